#include "benchmarks/peers/naive_re2.h"

#include <algorithm>
#include <cctype>

#include "daemon/text/normalize.h"

#include "benchmarks/peers/text_util.h"

namespace newswatch::bench {

using match::LeafKind;
using match::QueryNode;

struct NaiveMatcher::Node {
  enum class Op { kGroup, kMeta, kAnd, kOr, kNot, kNear };
  Op op = Op::kGroup;
  std::uint8_t fields = match::kFieldAll;
  std::unique_ptr<RE2> folded;    // kGroup / kNear: on the folded view
  std::unique_ptr<RE2> original;  // kGroup: exact and regex leaves, on the original view
  std::unique_ptr<RE2> folded_b;  // kNear: operand B (folded is operand A)
  std::uint8_t near_distance = 0;
  bool near_ordered = false;
  match::MetaKind meta = match::MetaKind::kLang;
  std::string meta_value;
  std::vector<std::unique_ptr<Node>> children;
};

namespace {

constexpr std::string_view kBefore = "(?:^|[^\\p{L}\\p{N}])";
constexpr std::string_view kAfter = "(?:$|[^\\p{L}\\p{N}])";
constexpr std::string_view kBeforeOriginal = "(?:^|[^\\p{L}\\p{N}\\p{M}])";
constexpr std::string_view kAfterOriginal = "(?:$|[^\\p{L}\\p{N}\\p{M}])";
constexpr std::string_view kSep = "[^\\p{L}\\p{N}]+";

// A leaf as a regex without its outer boundaries, plus whether it starts/ends with a word
// character (then the caller adds the boundary).
struct Core {
  std::string pattern;
  bool word_first = false;
  bool word_last = false;
  bool on_original = false;
};

std::string original_view(std::string_view s) {
  std::string out;
  text::make_original_view(s, out);
  return out;
}

Core folded_core(const QueryNode& leaf) {
  Core c;
  const std::string folded = text::fold(original_view(leaf.text));
  switch (leaf.leaf_kind) {
    case LeafKind::kTerm:
    case LeafKind::kPrefix:
      c.pattern = RE2::QuoteMeta(folded);
      c.word_first = first_is_word(folded, true);
      c.word_last = last_is_word(folded, true);
      if (leaf.leaf_kind == LeafKind::kPrefix) {
        c.pattern += "[\\p{L}\\p{N}]*";
        c.word_last = false;  // the prefix may end anywhere inside a word
      }
      break;
    case LeafKind::kPhrase: {
      const auto words = split_words(folded, true);
      for (std::size_t i = 0; i < words.size(); ++i) {
        if (i) c.pattern += kSep;
        c.pattern += RE2::QuoteMeta(words[i]);
      }
      c.word_first = c.word_last = !words.empty();
      break;
    }
    case LeafKind::kExact: {  // approximation inside NEAR: folded, not exact
      const auto words = split_words(folded, true);
      if (leaf.exact_phrase) {
        for (std::size_t i = 0; i < words.size(); ++i) {
          if (i) c.pattern += kSep;
          c.pattern += RE2::QuoteMeta(words[i]);
        }
        c.word_first = c.word_last = !words.empty();
      } else {
        c.pattern = RE2::QuoteMeta(folded);
        c.word_first = first_is_word(folded, true);
        c.word_last = last_is_word(folded, true);
      }
      break;
    }
    case LeafKind::kRegex:  // approximation inside NEAR: case-insensitive on the folded view
      c.pattern = "(?i:" + leaf.text + ")";
      break;
  }
  return c;
}

// The pattern of one leaf for a group: on the folded view (terms, prefixes, phrases) or on
// the original view (exact, regex).
Core group_core(const QueryNode& leaf) {
  if (leaf.leaf_kind == LeafKind::kRegex) {
    Core c;
    c.on_original = true;
    c.pattern = (leaf.case_insensitive ? "(?i:" : "(?:") + leaf.text + ")";
    return c;
  }
  if (leaf.leaf_kind == LeafKind::kExact) {
    Core c;
    c.on_original = true;
    const std::string orig = original_view(leaf.text);
    if (leaf.exact_phrase) {
      const auto words = split_words(orig, false);
      for (std::size_t i = 0; i < words.size(); ++i) {
        if (i) c.pattern += "[^\\p{L}\\p{N}\\p{M}]+";
        c.pattern += RE2::QuoteMeta(words[i]);
      }
      c.word_first = c.word_last = !words.empty();
    } else {
      c.pattern = RE2::QuoteMeta(orig);
      c.word_first = first_is_word(orig, false);
      c.word_last = last_is_word(orig, false);
    }
    return c;
  }
  return folded_core(leaf);
}

// The alternation of several leaves with the boundaries factored out, as one would write it
// by hand: (?:^|[^\p{L}\p{N}])(?:alt1|alt2|...)(?:$|[^\p{L}\p{N}]) for the leaves that start
// and end with a word character, and likewise for the other three combinations.
std::string bounded_alternation(const std::vector<Core>& cores) {
  std::string out;
  int buckets = 0;
  for (int wf = 1; wf >= 0; --wf) {
    for (int wl = 1; wl >= 0; --wl) {
      std::string alts;
      bool original = false;
      for (const Core& c : cores) {
        if (c.word_first != (wf == 1) || c.word_last != (wl == 1)) continue;
        if (!alts.empty()) alts += '|';
        alts += c.pattern;
        original = c.on_original;
      }
      if (alts.empty()) continue;
      if (buckets++) out += '|';
      if (wf) out += original ? kBeforeOriginal : kBefore;
      out += "(?:" + alts + ")";
      if (wl) out += original ? kAfterOriginal : kAfter;
    }
  }
  return "(?:" + out + ")";
}

std::unique_ptr<RE2> compile(const std::string& pattern, std::vector<std::string>& errors) {
  RE2::Options opt;
  opt.set_log_errors(false);
  // RE2's default budget (8 MiB per regex), as most users leave it.
  auto re = std::make_unique<RE2>(pattern, opt);
  if (!re->ok()) {
    errors.push_back(re->error() + " in " + pattern.substr(0, 200));
    return nullptr;
  }
  return re;
}

}  // namespace

class NaiveBuilder {
 public:
  NaiveBuilder(const RuleSource& src, std::size_t& regexes, std::vector<std::string>& errors)
      : src_(src), regexes_(regexes), errors_(errors) {}

  // Leaves of an operand: a leaf, a list, or an OR of them.
  void operand_leaves(const QueryNode& n, std::vector<const QueryNode*>& out,
                      std::uint8_t& fields) {
    if (n.kind == QueryNode::Kind::kLeaf) {
      out.push_back(&n);
      fields |= n.fields;
    } else if (n.kind == QueryNode::Kind::kList) {
      for (const QueryNode* l : src_.flatten(n.text)) out.push_back(l);
      fields |= n.fields;
    } else {
      for (const auto& c : n.children) operand_leaves(c, out, fields);
    }
  }

  std::unique_ptr<NaiveMatcher::Node> build(const QueryNode& n, bool& ok) {
    using Op = NaiveMatcher::Node::Op;
    auto node = std::make_unique<NaiveMatcher::Node>();
    switch (n.kind) {
      case QueryNode::Kind::kLeaf:
      case QueryNode::Kind::kList: {
        node->op = Op::kGroup;
        std::vector<const QueryNode*> leaves;
        std::uint8_t fields = 0;
        operand_leaves(n, leaves, fields);
        node->fields = fields;
        std::vector<Core> folded;
        std::vector<Core> original;
        for (const QueryNode* l : leaves) {
          Core c = group_core(*l);
          (c.on_original ? original : folded).push_back(std::move(c));
        }
        if (!folded.empty()) {
          node->folded = compile(bounded_alternation(folded), errors_);
          ok = ok && node->folded != nullptr;
          ++regexes_;
        }
        if (!original.empty()) {
          node->original = compile(bounded_alternation(original), errors_);
          ok = ok && node->original != nullptr;
          ++regexes_;
        }
        return node;
      }
      case QueryNode::Kind::kMeta:
        node->op = Op::kMeta;
        node->meta = n.meta;
        node->meta_value =
            n.meta == match::MetaKind::kSource ? text::fold(n.text) : lower_ascii(n.text);
        return node;
      case QueryNode::Kind::kNot:
        node->op = Op::kNot;
        node->children.push_back(build(n.children[0], ok));
        return node;
      case QueryNode::Kind::kAnd:
      case QueryNode::Kind::kOr:
        node->op = n.kind == QueryNode::Kind::kAnd ? Op::kAnd : Op::kOr;
        for (const auto& c : n.children) node->children.push_back(build(c, ok));
        return node;
      case QueryNode::Kind::kNear: {
        // Each operand is one RE2 (its leaves' alternation); every occurrence of both is
        // collected and the word distance computed, as a straightforward implementation would.
        node->op = Op::kNear;
        node->near_distance = n.near_distance;
        node->near_ordered = n.near_ordered;
        std::vector<const QueryNode*> a;
        std::vector<const QueryNode*> b;
        std::uint8_t fa = 0;
        std::uint8_t fb = 0;
        operand_leaves(n.children[0], a, fa);
        operand_leaves(n.children[1], b, fb);
        node->fields = fa & fb;
        auto side = [&](const std::vector<const QueryNode*>& leaves) {
          std::vector<Core> cores;
          for (const QueryNode* l : leaves) cores.push_back(folded_core(*l));
          return bounded_alternation(cores);
        };
        node->folded = compile(side(a), errors_);
        node->folded_b = compile(side(b), errors_);
        ok = ok && node->folded != nullptr && node->folded_b != nullptr;
        regexes_ += 2;
        return node;
      }
    }
    return node;
  }

 private:
  const RuleSource& src_;
  std::size_t& regexes_;
  std::vector<std::string>& errors_;
};

NaiveMatcher::NaiveMatcher(const RuleSource& src) {
  NaiveBuilder b(src, regex_count_, errors_);
  for (const auto& r : src.rules) {
    if (!r.enabled) continue;
    bool ok = true;
    auto node = b.build(r.root, ok);
    if (!ok) {
      ++skipped_;
      continue;
    }
    rules_.push_back(std::move(node));
    ids_.push_back(r.id);
  }
}

NaiveMatcher::~NaiveMatcher() = default;

namespace {

struct WordSpan {
  std::uint32_t first;
  std::uint32_t last;
};

// Every match of `re` in the folded view, as word ranges (boundary characters the regex
// consumed are not part of any word, so they do not move the range).
void occurrences(const RE2& re, const text::FoldedText& ft, std::vector<WordSpan>& out) {
  out.clear();
  const std::string_view t = ft.folded();
  const auto words = ft.words();
  std::size_t pos = 0;
  re2::StringPiece m;
  while (pos <= t.size() && out.size() < 10'000 &&
         re.Match(re2::StringPiece(t.data(), t.size()), pos, t.size(), RE2::UNANCHORED, &m, 1)) {
    const auto b = static_cast<std::uint32_t>(m.data() - t.data());
    const auto e = static_cast<std::uint32_t>(b + m.size());
    const std::uint32_t first = ft.word_at_or_after(b);
    const auto after = static_cast<std::uint32_t>(
        std::partition_point(words.begin(), words.end(),
                             [&](const text::Span& w) { return w.begin < e; }) -
        words.begin());
    if (after > first) out.push_back(WordSpan{first, after - 1});
    // Let a boundary character that ends this match start the next one.
    std::size_t next = e;
    if (e > b && !last_is_word(t.substr(b, e - b), true)) --next;
    pos = std::max<std::size_t>(next, b + 1);
  }
}

bool near_pair(const std::vector<WordSpan>& a, const std::vector<WordSpan>& b, int n,
               bool ordered) {
  for (const auto& x : a) {
    for (const auto& y : b) {
      if (ordered && !(x.first < y.first)) continue;
      std::int64_t gap = 0;
      if (x.last < y.first)
        gap = static_cast<std::int64_t>(y.first) - x.last - 1;
      else if (y.last < x.first)
        gap = static_cast<std::int64_t>(x.first) - y.last - 1;
      if (gap <= n) return true;
    }
  }
  return false;
}

struct EvalContext {
  const decode::Article& article;
  NaiveMatcher::Scratch& scratch;
  bool meta_ready = false;
  std::string lang;
  std::string source;
  std::string host;
  std::vector<WordSpan> a;
  std::vector<WordSpan> b;
};

bool eval(const NaiveMatcher::Node& n, EvalContext& ctx) {
  using Op = NaiveMatcher::Node::Op;
  switch (n.op) {
    case Op::kNear:
      for (int f = 0; f < 2; ++f) {
        if ((n.fields & (1u << f)) == 0) continue;
        const text::FoldedText& ft = ctx.scratch.folded[f];
        occurrences(*n.folded, ft, ctx.a);
        if (ctx.a.empty()) continue;
        occurrences(*n.folded_b, ft, ctx.b);
        if (near_pair(ctx.a, ctx.b, n.near_distance, n.near_ordered)) return true;
      }
      return false;
    case Op::kGroup:
      for (int f = 0; f < 2; ++f) {
        if ((n.fields & (1u << f)) == 0) continue;
        const text::FoldedText& ft = ctx.scratch.folded[f];
        if (n.folded && RE2::PartialMatch(re2::StringPiece(ft.folded().data(), ft.folded().size()),
                                          *n.folded)) {
          return true;
        }
        if (n.original &&
            RE2::PartialMatch(re2::StringPiece(ft.original().data(), ft.original().size()),
                              *n.original)) {
          return true;
        }
      }
      return false;
    case Op::kMeta:
      if (!ctx.meta_ready) {
        ctx.lang = lang_primary(ctx.article.lang);
        ctx.source = text::fold(ctx.article.source);
        ctx.host = url_host(ctx.article.url);
        ctx.meta_ready = true;
      }
      switch (n.meta) {
        case match::MetaKind::kLang:
          return !ctx.lang.empty() && ctx.lang == n.meta_value;
        case match::MetaKind::kSource:
          return !ctx.source.empty() && ctx.source == n.meta_value;
        case match::MetaKind::kSite:
          return host_matches(ctx.host, n.meta_value);
      }
      return false;
    case Op::kNot:
      return !eval(*n.children[0], ctx);
    case Op::kAnd:
      for (const auto& c : n.children) {
        if (!eval(*c, ctx)) return false;
      }
      return true;
    case Op::kOr:
      for (const auto& c : n.children) {
        if (eval(*c, ctx)) return true;
      }
      return false;
  }
  return false;
}

}  // namespace

void NaiveMatcher::match(const decode::Article& article, Scratch& scratch,
                         std::vector<std::uint32_t>& out) const {
  scratch.folded[0].assign(article.title);
  scratch.folded[1].assign(article.body);
  EvalContext ctx{article, scratch, false, {}, {}, {}, {}, {}};
  for (std::uint32_t r = 0; r < rules_.size(); ++r) {
    if (eval(*rules_[r], ctx)) out.push_back(r);
  }
}

}  // namespace newswatch::bench
