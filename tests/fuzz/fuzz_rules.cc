// Fuzz target for the rule-file loader (daemon/match/rule_set.h): any bytes -> one to four rule
// files -> load_rule_set_from_sources -> (when it loads) rule tests, matching and explain.
//
// Checks the loader's contract on every input: a rule set exactly when there is no error,
// every diagnostic with a message and a sane position, a 16-hex-digit version, unique ids, and
// fixture files that never come from outside the fixture root (the root holds a symlink that
// points outside, and a sibling file outside it, both carrying a marker title). Then the
// loaded set is exercised: run_rule_tests, match on a few articles (spans inside the fields,
// matches in rule order), and explain() agreeing with match_rule() for each rule.
//
// Input layout: files separated by the line "%%" ("\n%%\n"); they are named rules.yaml,
// sub/two.yaml, sub/deeper/three.yml and four.yaml, so relative fixture paths resolve from
// different directories. The fixture root (a temporary directory made once per process) holds
// ok.json, bad.json, sub/fixture.json, link.json (a symlink to ../<outside file>).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include "daemon/decode/article.h"
#include "daemon/match/explain.h"
#include "daemon/match/matcher.h"
#include "daemon/match/rule_set.h"
#include "daemon/match/rule_tests.h"
#include "daemon/text/normalize.h"
#include "daemon/text/utf8.h"

namespace {

#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

namespace fs = std::filesystem;
namespace match = newswatch::match;
namespace decode = newswatch::decode;

constexpr std::string_view kOutsideMarker = "OUTSIDE-THE-RULES-DIRECTORY";

void write_file(const fs::path& p, std::string_view content) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
}

// The fixture root, made once: <tmp>/newswatch-fuzz-rules-XXXXXX/root, with an article file
// next to it (outside the root) that nothing may load.
struct FixtureRoot {
  fs::path base;
  fs::path root;
  FixtureRoot() {
    std::string tmpl = (fs::temp_directory_path() / "newswatch-fuzz-rules-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    base = tmpl;
    root = base / "root";
    write_file(root / "ok.json",
               R"({"id": "fx-ok", "title": "Alibaba rachète une banque", "body": "en Europe"})");
    write_file(root / "bad.json", "[1, 2]");
    write_file(root / "sub" / "fixture.json",
               R"({"id": "fx-sub", "title": "Cyberattaque", "body": "rançongiciel à Paris"})");
    const std::string outside = "{\"id\": \"outside\", \"title\": \"" +
                                std::string(kOutsideMarker) + "\", \"body\": \"" +
                                std::string(kOutsideMarker) + "\"}";
    write_file(base / "outside.json", outside);
    std::error_code ec;
    fs::create_symlink("../outside.json", root / "link.json", ec);
  }
  ~FixtureRoot() {
    std::error_code ec;
    fs::remove_all(base, ec);
  }
};

const FixtureRoot& fixture_root() {
  static const FixtureRoot r;
  return r;
}

std::vector<match::SourceFile> split_files(std::string_view input) {
  static const char* const kNames[] = {"rules.yaml", "sub/two.yaml", "sub/deeper/three.yml",
                                       "four.yaml"};
  std::vector<match::SourceFile> files;
  constexpr std::string_view kSep = "\n%%\n";
  while (files.size() < 3) {
    const std::size_t at = input.find(kSep);
    if (at == std::string_view::npos) break;
    files.push_back({kNames[files.size()], std::string(input.substr(0, at))});
    input.remove_prefix(at + kSep.size());
  }
  files.push_back({kNames[files.size()], std::string(input)});
  return files;
}

decode::Article make_article(std::string_view id, std::string_view title, std::string_view body,
                             std::string_view lang, std::string_view url) {
  decode::Article a;
  a.id = id;
  newswatch::text::make_original_view(title, a.title);
  newswatch::text::make_original_view(body, a.body);
  a.lang = lang;
  a.url = url;
  a.source = "Reuters";
  return a;
}

void check_fixture(const match::Rule& rule, const match::RuleFixture& f, const fs::path& root) {
  FUZZ_CHECK(!f.origin.empty());
  FUZZ_CHECK(f.article.title.find(kOutsideMarker) == std::string::npos);
  FUZZ_CHECK(f.article.body.find(kOutsideMarker) == std::string::npos);
  FUZZ_CHECK(newswatch::text::is_valid_utf8(f.article.title));
  FUZZ_CHECK(newswatch::text::is_valid_utf8(f.article.body));
  if (f.file.empty()) return;
  std::error_code ec;
  const fs::path full =
      fs::weakly_canonical(root / fs::path(rule.file).parent_path() / fs::path(f.file), ec);
  FUZZ_CHECK(!ec);
  const fs::path canonical_root = fs::weakly_canonical(root, ec);
  const std::string full_s = full.string();
  const std::string root_s = canonical_root.string() + "/";
  FUZZ_CHECK(full_s.compare(0, root_s.size(), root_s) == 0);  // inside the root
}

void check_matches(match::Matcher& m, const match::CompiledRuleSet& rules,
                   const decode::Article& a) {
  match::MatchOutput out;
  m.match(rules, a, out);
  std::int64_t prev = -1;
  for (const match::RuleMatch& rm : out.matches) {
    FUZZ_CHECK(rm.rule < rules.rules().size());
    FUZZ_CHECK(static_cast<std::int64_t>(rm.rule) > prev);  // ordered by rule index, once each
    prev = rm.rule;
    FUZZ_CHECK(rules.rules()[rm.rule].enabled);
    FUZZ_CHECK(rm.occurrences_begin <= rm.occurrences_end);
    FUZZ_CHECK(rm.occurrences_end <= out.occurrences.size());
    const std::string& sf = rm.snippet_field == match::Field::kTitle ? a.title : a.body;
    FUZZ_CHECK(rm.snippet.begin <= rm.snippet.end && rm.snippet.end <= sf.size());
    for (auto i = rm.occurrences_begin; i < rm.occurrences_end; ++i) {
      const match::Occurrence& o = out.occurrences[i];
      const std::string& field = o.field == match::Field::kTitle ? a.title : a.body;
      FUZZ_CHECK(o.span.begin <= o.span.end && o.span.end <= field.size());
      FUZZ_CHECK(newswatch::text::is_valid_utf8(
          std::string_view(field).substr(o.span.begin, o.span.end - o.span.begin)));
      (void)rules.label(o.label);
    }
    // The same rule evaluated alone agrees.
    FUZZ_CHECK(m.match_rule(rules, rm.rule, a));
  }
  // And the converse: every enabled rule that is true when evaluated alone was a candidate
  // and fired (the candidate gates never skip a rule that matches).
  if (out.stats.matches_truncated) return;
  std::vector<bool> fired(rules.rules().size(), false);
  for (const match::RuleMatch& rm : out.matches) fired[rm.rule] = true;
  for (std::uint32_t r = 0; r < rules.rules().size(); ++r) {
    if (rules.rules()[r].enabled) FUZZ_CHECK(m.match_rule(rules, r, a) == fired[r]);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const FixtureRoot& fx = fixture_root();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::vector<match::SourceFile> files = split_files(input);

  const match::LoadResult r = match::load_rule_set_from_sources(files, fx.root);
  FUZZ_CHECK(static_cast<bool>(r.rules) == !match::has_errors(r.diagnostics));
  for (const match::Diagnostic& d : r.diagnostics) {
    FUZZ_CHECK(!d.message.empty());
    FUZZ_CHECK(d.line >= 0 && d.column >= 0);
    FUZZ_CHECK(d.line > 0 || d.column == 0);
    const std::string text = d.to_string();
    FUZZ_CHECK(text.find(d.message) != std::string::npos);
  }
  if (!r.rules) return 0;
  const match::CompiledRuleSet& rules = *r.rules;

  FUZZ_CHECK(rules.version().size() == 16);
  FUZZ_CHECK(rules.version().find_first_not_of("0123456789abcdef") == std::string::npos);
  std::set<std::string> ids;
  for (const match::Rule& rule : rules.rules()) {
    FUZZ_CHECK(!rule.id.empty());
    FUZZ_CHECK(ids.insert(rule.id).second);
    FUZZ_CHECK(rules.find_rule(rule.id) == static_cast<int>(&rule - rules.rules().data()));
    for (const auto& f : rule.must_match) check_fixture(rule, f, fx.root);
    for (const auto& f : rule.must_not_match) check_fixture(rule, f, fx.root);
  }

  // Rule tests may fail (the fuzzer writes nonsense tests) but must run.
  const match::RuleTestReport report = match::run_rule_tests(rules);
  for (const auto& f : report.failures) {
    FUZZ_CHECK(f.rule < rules.rules().size());
    FUZZ_CHECK(!match::format_failure(rules, f).empty());
  }

  static match::Matcher matcher;  // reused across rule sets, as across hot reloads
  static const decode::Article kArticles[] = {
      make_article("a1", "Alibaba rachète une banque européenne",
                   "Ant Group et AliExpress en Europe: cyberattaque, rançongiciel, CVE-2024-3094.",
                   "fr", "https://www.example.com/a1"),
      make_article("a2", "", "banque banque banque attaque e-commerce c++ =EU l'État Dubaï", "en",
                   "https://news.example.org/x"),
      make_article("a3", "Ｆｕｌｌｗｉｄｔｈ ﬁnance", "Maîtres très Société Générale", "de", ""),
  };
  for (const decode::Article& a : kArticles) check_matches(matcher, rules, a);

  const std::size_t n = std::min<std::size_t>(rules.rules().size(), 16);
  for (std::uint32_t i = 0; i < n; ++i) {
    const decode::Article& a = kArticles[i % 3];
    const bool fired = matcher.match_rule(rules, i, a);
    const match::Explanation e = match::explain(matcher, rules, i, a);
    FUZZ_CHECK(e.rule_id == rules.rules()[i].id);
    FUZZ_CHECK(e.fired == fired);
    FUZZ_CHECK(!match::render_explanation(e).empty());
  }
  return 0;
}
