#include "benchmarks/peers/hyperscan_literals.h"

#include <chrono>
#include <set>
#include <utility>

#include "daemon/match/compiled.h"
#include "daemon/text/fold.h"
#include "daemon/text/normalize.h"

#include "benchmarks/peers/text_util.h"

namespace newswatch::bench {
namespace {

struct ScanContext {
  const std::vector<HyperscanLiterals::Pattern>* patterns;
  std::string_view text;
  HyperscanLiterals::Hits* hits;
};

int on_match(unsigned int id, unsigned long long /*from*/, unsigned long long to,
             unsigned int /*flags*/, void* context) {
  auto* ctx = static_cast<ScanContext*>(context);
  const HyperscanLiterals::Pattern& p = (*ctx->patterns)[id];
  ++ctx->hits->raw;
  const auto end = static_cast<std::size_t>(to);
  const std::size_t begin = end - p.length;
  switch (p.kind) {
    case HyperscanLiterals::Kind::kWord:
      if (!word_before(ctx->text, begin) && !word_at(ctx->text, end)) ++ctx->hits->accepted;
      break;
    case HyperscanLiterals::Kind::kPrefix:
      if (!word_before(ctx->text, begin)) ++ctx->hits->accepted;
      break;
    case HyperscanLiterals::Kind::kAtom:
      ++ctx->hits->accepted;
      break;
  }
  return 0;
}

}  // namespace

HyperscanLiterals::~HyperscanLiterals() {
  if (db_ != nullptr) hs_free_database(db_);
}

std::unique_ptr<HyperscanLiterals> HyperscanLiterals::build(const match::CompiledRuleSet& rules,
                                                            std::string& error) {
  const auto& c = rules.compiled();
  std::set<std::pair<std::string, Kind>> literals;
  for (const match::Seq& seq : c.seqs) {
    if (seq.words.empty() || seq.words[0].empty()) continue;
    const bool prefix = seq.words.size() == 1 && seq.last_prefix;
    literals.emplace(seq.words[0], prefix ? Kind::kPrefix : Kind::kWord);
  }
  if (c.regexes && c.regexes->NumRegexps() > 0) {
    re2::FilteredRE2 f(3);
    for (int i = 0; i < c.regexes->NumRegexps(); ++i) {
      const RE2& re = c.regexes->GetRE2(i);
      int id = 0;
      f.Add(re.pattern(), re.options(), &id);
    }
    std::vector<std::string> atoms;
    f.Compile(&atoms);
    for (const auto& a : atoms) {
      std::string original;
      text::make_original_view(a, original);
      std::string folded = text::fold(original);
      if (!folded.empty()) literals.emplace(std::move(folded), Kind::kAtom);
    }
  }
  std::unique_ptr<HyperscanLiterals> out(new HyperscanLiterals());
  std::vector<const char*> exprs;
  std::vector<std::size_t> lens;
  std::vector<unsigned> flags;
  std::vector<unsigned> ids;
  for (const auto& [lit, kind] : literals) {
    exprs.push_back(lit.data());
    lens.push_back(lit.size());
    flags.push_back(0);
    ids.push_back(static_cast<unsigned>(out->patterns_.size()));
    out->patterns_.push_back(Pattern{kind, static_cast<std::uint32_t>(lit.size())});
    (kind == Kind::kWord ? out->words_ : kind == Kind::kPrefix ? out->prefixes_ : out->atoms_)++;
  }
  if (exprs.empty()) {
    error = "no literal to scan";
    return nullptr;
  }
  const auto start = std::chrono::steady_clock::now();
  hs_compile_error_t* err = nullptr;
  if (hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(),
                           static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr, &out->db_,
                           &err) != HS_SUCCESS) {
    error =
        std::string("hs_compile_lit_multi: ") + (err != nullptr ? err->message : "unknown error");
    hs_free_compile_error(err);
    return nullptr;
  }
  out->compile_seconds_ =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

std::size_t HyperscanLiterals::database_bytes() const noexcept {
  std::size_t size = 0;
  if (db_ != nullptr) hs_database_size(db_, &size);
  return size;
}

HyperscanLiterals::Scratch::Scratch(const HyperscanLiterals& db) {
  hs_alloc_scratch(db.db_, &scratch_);
}

HyperscanLiterals::Scratch::~Scratch() {
  if (scratch_ != nullptr) hs_free_scratch(scratch_);
}

void HyperscanLiterals::scan(std::string_view folded, Scratch& scratch, Hits& hits) const {
  if (folded.empty()) return;
  ScanContext ctx{&patterns_, folded, &hits};
  hs_scan(db_, folded.data(), static_cast<unsigned>(folded.size()), 0, scratch.get(), on_match,
          &ctx);
}

}  // namespace newswatch::bench
