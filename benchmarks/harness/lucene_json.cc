#include "benchmarks/harness/lucene_json.h"

#include <set>

#include "daemon/text/fold.h"
#include "daemon/text/utf8.h"

#include "benchmarks/harness/common.h"

namespace newswatch::bench {
namespace {

using match::LeafKind;
using match::QueryNode;

// ---- a small parser for the RE2 subset the translation handles ------------------------------

struct Rx {
  enum class Kind { kLit, kClass, kAny, kGroup, kBoundary } kind = Kind::kLit;
  char32_t cp = 0;  // kLit
  struct Range {
    char32_t lo;
    char32_t hi;
  };
  std::vector<Range> ranges;          // kClass
  bool negated = false;               // kClass
  std::vector<std::vector<Rx>> alts;  // kGroup
  int min = 1;
  int max = 1;  // -1: unbounded
};

bool is_word_cp(char32_t cp) {
  if (cp < 0x80)
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
  return text::is_word_char_original(cp);
}

class RxParser {
 public:
  explicit RxParser(std::string_view s) : s_(s) {}

  bool parse(std::vector<std::vector<Rx>>& alts, std::string& why) {
    if (!alternation(alts)) {
      why = why_;
      return false;
    }
    if (i_ != s_.size()) {
      why = "unbalanced ')'";
      return false;
    }
    return true;
  }

 private:
  bool fail(std::string w) {
    if (why_.empty()) why_ = std::move(w);
    return false;
  }

  char32_t next_cp() {
    std::size_t k = i_;
    const char32_t cp = text::decode_valid_utf8(s_, k);
    i_ = k;
    return cp;
  }

  bool alternation(std::vector<std::vector<Rx>>& alts) {
    alts.emplace_back();
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == ')') return true;
      if (c == '|') {
        ++i_;
        alts.emplace_back();
        continue;
      }
      Rx atom;
      if (!parse_atom(atom)) return false;
      if (!parse_quantifier(atom)) return false;
      alts.back().push_back(std::move(atom));
    }
    return true;
  }

  bool parse_number(int& out) {
    const std::size_t start = i_;
    out = 0;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') out = out * 10 + (s_[i_++] - '0');
    return i_ > start;
  }

  bool parse_quantifier(Rx& atom) {
    if (i_ >= s_.size()) return true;
    const char c = s_[i_];
    int mn = 1;
    int mx = 1;
    if (c == '?') {
      mn = 0;
      ++i_;
    } else if (c == '*') {
      mn = 0;
      mx = -1;
      ++i_;
    } else if (c == '+') {
      mx = -1;
      ++i_;
    } else if (c == '{') {
      const std::size_t save = i_++;
      if (!parse_number(mn)) {
        i_ = save;  // a literal '{'
        return true;
      }
      mx = mn;
      if (i_ < s_.size() && s_[i_] == ',') {
        ++i_;
        if (!parse_number(mx)) mx = -1;
      }
      if (i_ >= s_.size() || s_[i_] != '}') return fail("bad repetition");
      ++i_;
    } else {
      return true;
    }
    if (i_ < s_.size() && s_[i_] == '?') ++i_;  // lazy: same set of matches
    atom.min = mn;
    atom.max = mx;
    return true;
  }

  bool parse_escape_cp(char32_t& cp, Rx* cls) {
    // At the character after '\'.
    if (i_ >= s_.size()) return fail("trailing backslash");
    const char c = s_[i_++];
    auto add = [&](char32_t lo, char32_t hi) { cls->ranges.push_back({lo, hi}); };
    switch (c) {
      case 'd':
        if (!cls) return fail("internal");
        add('0', '9');
        return true;
      case 'w':
        if (!cls) return fail("internal");
        add('a', 'z');
        add('A', 'Z');
        add('0', '9');
        add('_', '_');
        return true;
      case 's':
        if (!cls) return fail("internal");
        add(' ', ' ');
        add('\t', '\r');
        return true;
      case 'n':
        cp = '\n';
        return true;
      case 't':
        cp = '\t';
        return true;
      case 'r':
        cp = '\r';
        return true;
      case 'f':
        cp = '\f';
        return true;
      case 'x': {
        char32_t v = 0;
        if (i_ < s_.size() && s_[i_] == '{') {
          ++i_;
          while (i_ < s_.size() && s_[i_] != '}') v = v * 16 + static_cast<char32_t>(hex(s_[i_++]));
          ++i_;
        } else {
          for (int k = 0; k < 2 && i_ < s_.size(); ++k)
            v = v * 16 + static_cast<char32_t>(hex(s_[i_++]));
        }
        cp = v;
        return true;
      }
      case 'p':
      case 'P':
      case 'D':
      case 'W':
      case 'S':
        return fail(std::string("\\") + c + " class");
      default:
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
          return fail(std::string("escape \\") + c);
        }
        --i_;
        cp = next_cp();
        return true;
    }
  }

  static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return 0;
  }

  bool parse_atom(Rx& atom) {
    const char c = s_[i_];
    if (c == '(') {
      ++i_;
      if (i_ < s_.size() && s_[i_] == '?') {
        if (i_ + 1 < s_.size() && s_[i_ + 1] == ':') {
          i_ += 2;
        } else {
          return fail("inline flags or named group");
        }
      }
      atom.kind = Rx::Kind::kGroup;
      if (!alternation(atom.alts)) return false;
      if (i_ >= s_.size() || s_[i_] != ')') return fail("missing ')'");
      ++i_;
      return true;
    }
    if (c == '[') {
      ++i_;
      atom.kind = Rx::Kind::kClass;
      if (i_ < s_.size() && s_[i_] == '^') {
        atom.negated = true;
        ++i_;
      }
      bool first = true;
      while (i_ < s_.size() && (s_[i_] != ']' || first)) {
        first = false;
        char32_t lo = 0;
        if (s_[i_] == '\\') {
          ++i_;
          const std::size_t before = atom.ranges.size();
          lo = 0xFFFFFFFF;
          if (!parse_escape_cp(lo, &atom)) return false;
          if (atom.ranges.size() != before) continue;  // a shorthand class
        } else {
          lo = next_cp();
        }
        char32_t hi = lo;
        if (i_ + 1 < s_.size() && s_[i_] == '-' && s_[i_ + 1] != ']') {
          ++i_;
          if (s_[i_] == '\\') {
            ++i_;
            if (!parse_escape_cp(hi, nullptr)) return false;
          } else {
            hi = next_cp();
          }
        }
        atom.ranges.push_back({lo, hi});
      }
      if (i_ >= s_.size()) return fail("missing ']'");
      ++i_;
      return true;
    }
    if (c == '.') {
      ++i_;
      atom.kind = Rx::Kind::kAny;
      return true;
    }
    if (c == '^' || c == '$') {
      ++i_;
      atom.kind = Rx::Kind::kBoundary;
      return true;
    }
    if (c == '\\') {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == 'b' || s_[i_] == 'B' || s_[i_] == 'A' || s_[i_] == 'z')) {
        if (s_[i_] == 'B') return fail("\\B");
        ++i_;
        atom.kind = Rx::Kind::kBoundary;
        return true;
      }
      if (i_ < s_.size() && (s_[i_] == 'd' || s_[i_] == 'w' || s_[i_] == 's')) {
        atom.kind = Rx::Kind::kClass;
        char32_t unused = 0;
        return parse_escape_cp(unused, &atom);
      }
      atom.kind = Rx::Kind::kLit;
      return parse_escape_cp(atom.cp, nullptr);
    }
    if (c == '*' || c == '+' || c == '?') return fail("nothing to repeat");
    atom.kind = Rx::Kind::kLit;
    atom.cp = next_cp();
    return true;
  }

  std::string_view s_;
  std::size_t i_ = 0;
  std::string why_;
};

// ---- separators and expansion ----------------------------------------------------------------

bool is_separator(const Rx& r) {
  switch (r.kind) {
    case Rx::Kind::kLit:
      return !is_word_cp(r.cp);
    case Rx::Kind::kClass:
      if (r.negated) return false;
      for (const auto& range : r.ranges) {
        if (range.hi - range.lo > 512) return false;
        for (char32_t cp = range.lo; cp <= range.hi; ++cp) {
          if (is_word_cp(cp)) return false;
        }
      }
      return true;
    case Rx::Kind::kBoundary:
      return true;
    default:
      return false;
  }
}

bool has_apostrophe(const Rx& r) {
  auto apos = [](char32_t cp) {
    return cp == '\'' || cp == 0x2019 || cp == 0x2018 || cp == 0x02BC;
  };
  if (r.kind == Rx::Kind::kLit) return apos(r.cp);
  if (r.kind == Rx::Kind::kClass) {
    for (const auto& range : r.ranges) {
      for (char32_t cp = range.lo; cp <= range.hi && cp - range.lo < 512; ++cp) {
        if (apos(cp)) return true;
      }
    }
  }
  return false;
}

bool contains_separator(const Rx& r) {
  if (r.kind != Rx::Kind::kGroup) return is_separator(r);
  for (const auto& alt : r.alts) {
    for (const auto& x : alt) {
      if (contains_separator(x)) return true;
    }
  }
  return false;
}

// An element of an expanded variant: a non-separator atom, or a cut.
struct Elem {
  const Rx* atom = nullptr;  // null: a cut
  bool apostrophe = false;   // the cut can be an apostrophe
};
using Variant = std::vector<Elem>;
constexpr std::size_t kMaxVariants = 32;

bool expand(const std::vector<Rx>& seq, std::vector<Variant>& out, std::string& why) {
  std::vector<Variant> vs(1);
  for (const Rx& r : seq) {
    std::vector<Variant> options;  // what this atom contributes, as alternatives
    if (is_separator(r)) {
      if (r.min == 0) options.emplace_back();
      options.push_back(Variant{Elem{nullptr, has_apostrophe(r)}});
    } else if (r.kind == Rx::Kind::kGroup && contains_separator(r)) {
      if (r.max != 1) {
        why = "a repeated group containing a separator";
        return false;
      }
      if (r.min == 0) options.emplace_back();
      for (const auto& alt : r.alts) {
        std::vector<Variant> sub;
        if (!expand(alt, sub, why)) return false;
        options.insert(options.end(), sub.begin(), sub.end());
      }
    } else {
      options.push_back(Variant{Elem{&r, false}});
    }
    std::vector<Variant> next;
    for (const auto& v : vs) {
      for (const auto& o : options) {
        Variant w = v;
        w.insert(w.end(), o.begin(), o.end());
        next.push_back(std::move(w));
        if (next.size() > kMaxVariants) {
          why = "more than 32 token variants";
          return false;
        }
      }
    }
    vs = std::move(next);
  }
  out.insert(out.end(), vs.begin(), vs.end());
  return true;
}

// ---- rendering to Lucene RegExp syntax -----------------------------------------------------

void append_escaped(std::string_view s, std::string& out) {
  for (char c : s) {
    if (std::string_view(".?+*|{}[]()\"\\#@&<>~").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
}

std::string utf8(char32_t cp) {
  std::string s;
  text::append_utf8(cp, s);
  return s;
}

std::string fold_cp(char32_t cp) {
  return text::fold(utf8(cp));
}

void render_class_member(char32_t lo, char32_t hi, bool folded, std::string& out) {
  auto one = [&](char32_t cp) {
    std::string s = folded ? fold_cp(cp) : utf8(cp);
    if (s.empty()) return;
    std::string esc;
    for (char c : s) {
      if (c == ']' || c == '[' || c == '\\' || c == '-' || c == '^' || c == '"') esc += '\\';
      esc += c;
    }
    out += esc;
  };
  if (lo == hi) {
    one(lo);
    return;
  }
  if (folded && lo >= 'A' && hi <= 'Z') {
    lo = lo - 'A' + 'a';
    hi = hi - 'A' + 'a';
  }
  one(lo);
  out += '-';
  one(hi);
}

void render(const Rx& r, bool folded, std::string& out);

void render_seq(const std::vector<Rx>& seq, bool folded, std::string& out) {
  for (const auto& r : seq) render(r, folded, out);
}

void render(const Rx& r, bool folded, std::string& out) {
  switch (r.kind) {
    case Rx::Kind::kLit: {
      const std::string s = folded ? fold_cp(r.cp) : utf8(r.cp);
      if (s.empty()) return;
      if (r.min != 1 || r.max != 1) out += '(';
      append_escaped(s, out);
      if (r.min != 1 || r.max != 1) out += ')';
      break;
    }
    case Rx::Kind::kClass:
      out += '[';
      if (r.negated) out += '^';
      for (const auto& range : r.ranges) render_class_member(range.lo, range.hi, folded, out);
      out += ']';
      break;
    case Rx::Kind::kAny:
      out += '.';
      break;
    case Rx::Kind::kGroup:
      out += '(';
      for (std::size_t i = 0; i < r.alts.size(); ++i) {
        if (i) out += '|';
        render_seq(r.alts[i], folded, out);
      }
      out += ')';
      break;
    case Rx::Kind::kBoundary:
      return;
  }
  if (r.min == 0 && r.max == 1)
    out += '?';
  else if (r.min == 0 && r.max == -1)
    out += '*';
  else if (r.min == 1 && r.max == -1)
    out += '+';
  else if (r.min != 1 || r.max != 1) {
    out += '{' + std::to_string(r.min);
    if (r.max != r.min) out += ',' + (r.max < 0 ? std::string() : std::to_string(r.max));
    out += '}';
  }
}

bool is_elided_article(std::string_view s) {
  static const std::set<std::string_view> kArticles = {
      "l", "m", "t", "qu", "n", "s", "j", "d", "c", "jusqu", "quoiqu", "lorsqu", "puisqu"};
  return kArticles.count(s) != 0;
}

std::vector<std::vector<std::string>> pieces_of(const std::vector<Variant>& variants, bool folded) {
  std::vector<std::vector<std::string>> out;
  std::set<std::vector<std::string>> seen;
  for (const auto& v : variants) {
    std::vector<std::string> pieces;
    std::string cur;
    auto cut = [&](bool apostrophe) {
      if (cur.empty()) return;
      // Lucene's ElisionFilter removes "l'", "d'", "qu'"... from the next token.
      std::string lower = text::fold(cur);
      if (!(apostrophe && is_elided_article(lower))) pieces.push_back(cur);
      cur.clear();
    };
    for (const Elem& e : v) {
      if (e.atom == nullptr) {
        cut(e.apostrophe);
      } else {
        render(*e.atom, folded, cur);
      }
    }
    cut(false);
    if (pieces.empty()) continue;
    pieces.front() = ".*" + pieces.front();
    pieces.back() += ".*";
    if (seen.insert(pieces).second) out.push_back(std::move(pieces));
  }
  return out;
}

// ---- JSON ------------------------------------------------------------------------------------

std::string_view kind_name(LeafKind k) {
  switch (k) {
    case LeafKind::kTerm:
      return "term";
    case LeafKind::kPrefix:
      return "prefix";
    case LeafKind::kPhrase:
      return "phrase";
    case LeafKind::kExact:
      return "exact";
    case LeafKind::kRegex:
      return "regex";
  }
  return "term";
}

void write_pieces(JsonWriter& j, const std::vector<std::vector<std::string>>& variants) {
  j.begin_array();
  for (const auto& v : variants) {
    j.begin_array();
    for (const auto& p : v) j.value(p);
    j.end_array();
  }
  j.end_array();
}

void write_leaf(JsonWriter& j, const QueryNode& leaf, TranslationStats& stats) {
  j.begin_object();
  j.key("kind").value(kind_name(leaf.leaf_kind));
  j.key("text").value(leaf.text);
  j.key("key").value(leaf_key(leaf));
  j.key("ci").value(leaf.case_insensitive);
  j.key("exact_phrase").value(leaf.exact_phrase);
  if (leaf.leaf_kind == LeafKind::kRegex) {
    const RegexTranslation t = translate_regex(leaf.text, leaf.case_insensitive);
    ++stats.regexes;
    j.key("rx").begin_object();
    j.key("ok").value(t.ok);
    if (!t.ok) {
      ++stats.regexes_untranslated;
      j.key("why").value(t.why);
    } else {
      j.key("view").value(t.folded_view ? "folded" : "original");
      j.key("variants");
      write_pieces(j, t.variants);
      j.key("folded_variants");
      write_pieces(j, t.folded_variants);
    }
    j.end_object();
  }
  j.end_object();
}

void write_node(JsonWriter& j, const QueryNode& n, TranslationStats& stats) {
  j.begin_object();
  switch (n.kind) {
    case QueryNode::Kind::kLeaf:
      j.key("op").value("leaf");
      j.key("f").value(static_cast<int>(n.fields));
      j.key("leaf");
      write_leaf(j, n, stats);
      break;
    case QueryNode::Kind::kList:
      j.key("op").value("list");
      j.key("f").value(static_cast<int>(n.fields));
      j.key("name").value(n.text);
      break;
    case QueryNode::Kind::kMeta:
      j.key("op").value("meta");
      j.key("kind").value(n.meta == match::MetaKind::kLang     ? "lang"
                          : n.meta == match::MetaKind::kSource ? "source"
                                                               : "site");
      j.key("value").value(n.text);
      break;
    case QueryNode::Kind::kNot:
    case QueryNode::Kind::kAnd:
    case QueryNode::Kind::kOr:
      j.key("op").value(n.kind == QueryNode::Kind::kNot   ? "not"
                        : n.kind == QueryNode::Kind::kAnd ? "and"
                                                          : "or");
      j.key("c").begin_array();
      for (const auto& c : n.children) write_node(j, c, stats);
      j.end_array();
      break;
    case QueryNode::Kind::kNear:
      j.key("op").value("near");
      j.key("n").value(static_cast<int>(n.near_distance));
      j.key("ordered").value(n.near_ordered);
      j.key("key").value(match::to_query_string(n));
      j.key("a");
      write_node(j, n.children[0], stats);
      j.key("b");
      write_node(j, n.children[1], stats);
      break;
  }
  j.end_object();
}

}  // namespace

RegexTranslation translate_regex(const std::string& re2_pattern, bool case_insensitive) {
  RegexTranslation t;
  std::vector<std::vector<Rx>> alts;
  RxParser parser(re2_pattern);
  if (!parser.parse(alts, t.why)) return t;
  std::vector<Variant> variants;
  for (const auto& alt : alts) {
    if (!expand(alt, variants, t.why)) return t;
    if (variants.size() > kMaxVariants) {
      t.why = "more than 32 token variants";
      return t;
    }
  }
  t.folded_view = case_insensitive;
  t.variants = pieces_of(variants, case_insensitive);
  t.folded_variants = pieces_of(variants, true);
  if (t.variants.empty()) {
    t.why = "only punctuation";
    return t;
  }
  t.ok = true;
  return t;
}

std::string rules_to_lucene_json(const RuleSource& src, TranslationStats& stats) {
  JsonWriter j;
  j.begin_object();
  j.key("lists").begin_object();
  for (const auto& [name, entries] : src.lists) {
    j.key(name).begin_array();
    for (const QueryNode* leaf : src.flatten(name)) write_leaf(j, *leaf, stats);
    j.end_array();
  }
  j.end_object();
  j.key("rules").begin_array();
  for (const auto& r : src.rules) {
    j.begin_object();
    j.key("id").value(r.id);
    j.key("enabled").value(r.enabled);
    j.key("query");
    write_node(j, r.root, stats);
    j.end_object();
    ++stats.rules;
  }
  j.end_array();
  j.end_object();
  return j.str();
}

}  // namespace newswatch::bench
