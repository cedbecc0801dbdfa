// nw_agree: where newswatch and Lucene Monitor disagree on which (rule, article) pairs match,
// and why.
//
//   nw_agree --rules DIR --corpus FILE --newswatch NW.tsv --lucene LM.tsv --probes PROBES.jsonl
//            [--examples 3]
//
// NW.tsv / LM.tsv: "rule_id<TAB>article_id" lines from nw_e2e --pairs and the Lucene peer's
// --pairs. PROBES.jsonl: the Lucene peer's per-leaf evaluation of the differing pairs
// (--nw-pairs/--probe-out). For each probed pair, the same leaves (and NEAR nodes) are
// evaluated with newswatch itself: every leaf becomes a one-leaf rule `title:(leaf)` /
// `body:(leaf)` of a probe rule set compiled by newswatch, every NEAR node a rule of its own.
// The first leaf (in rule order) whose presence differs between the two engines names the
// cause; when every leaf agrees, a differing NEAR node does; else the pair is "other".
// Prints one JSON object: counts, agreement ratio, and causes with examples.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "daemon/decode/decoder.h"
#include "daemon/match/matcher.h"
#include "daemon/match/rule_set.h"

#include "benchmarks/harness/common.h"
#include "benchmarks/harness/lucene_json.h"
#include "benchmarks/harness/rule_source.h"

namespace nb = newswatch::bench;
namespace nm = newswatch::match;

namespace {

// A minimal reader for the flat JSON objects the Lucene peer writes (strings, booleans,
// arrays of flat objects). Not a general JSON parser.
class MiniJson {
 public:
  explicit MiniJson(std::string_view s) : s_(s) {}

  struct Value {
    enum class Kind { kNull, kBool, kString, kNumber, kArray, kObject } kind = Kind::kNull;
    bool b = false;
    std::string str;
    std::vector<Value> items;
    std::vector<std::pair<std::string, Value>> fields;
    const Value* get(std::string_view k) const {
      for (const auto& f : fields) {
        if (f.first == k) return &f.second;
      }
      return nullptr;
    }
  };

  bool parse(Value& v) {
    ws();
    if (i_ >= s_.size()) return false;
    const char c = s_[i_];
    if (c == '{') {
      v.kind = Value::Kind::kObject;
      ++i_;
      ws();
      if (peek('}')) return true;
      while (true) {
        ws();
        Value key;
        if (!parse_string(key.str)) return false;
        ws();
        if (!peek(':')) return false;
        Value val;
        if (!parse(val)) return false;
        v.fields.emplace_back(std::move(key.str), std::move(val));
        ws();
        if (peek(',')) continue;
        return peek('}');
      }
    }
    if (c == '[') {
      v.kind = Value::Kind::kArray;
      ++i_;
      ws();
      if (peek(']')) return true;
      while (true) {
        Value item;
        if (!parse(item)) return false;
        v.items.push_back(std::move(item));
        ws();
        if (peek(',')) continue;
        return peek(']');
      }
    }
    if (c == '"') {
      v.kind = Value::Kind::kString;
      return parse_string(v.str);
    }
    if (s_.substr(i_, 4) == "true") {
      v.kind = Value::Kind::kBool;
      v.b = true;
      i_ += 4;
      return true;
    }
    if (s_.substr(i_, 5) == "false") {
      v.kind = Value::Kind::kBool;
      i_ += 5;
      return true;
    }
    if (s_.substr(i_, 4) == "null") {
      i_ += 4;
      return true;
    }
    v.kind = Value::Kind::kNumber;
    while (i_ < s_.size() &&
           std::string_view("+-.0123456789eE").find(s_[i_]) != std::string_view::npos) {
      v.str += s_[i_++];
    }
    return !v.str.empty();
  }

 private:
  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r'))
      ++i_;
  }
  bool peek(char c) {
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool parse_string(std::string& out) {
    if (!peek('"')) return false;
    while (i_ < s_.size() && s_[i_] != '"') {
      if (s_[i_] == '\\' && i_ + 1 < s_.size()) {
        const char e = s_[++i_];
        switch (e) {
          case 'n':
            out += '\n';
            break;
          case 't':
            out += '\t';
            break;
          case 'r':
            out += '\r';
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'u': {
            unsigned cp = std::stoul(std::string(s_.substr(i_ + 1, 4)), nullptr, 16);
            i_ += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && s_.substr(i_ + 1, 2) == "\\u") {
              const unsigned lo = std::stoul(std::string(s_.substr(i_ + 3, 4)), nullptr, 16);
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
              i_ += 6;
            }
            std::string u;
            if (cp < 0x80) {
              u += static_cast<char>(cp);
            } else if (cp < 0x800) {
              u += static_cast<char>(0xC0 | (cp >> 6));
              u += static_cast<char>(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
              u += static_cast<char>(0xE0 | (cp >> 12));
              u += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
              u += static_cast<char>(0x80 | (cp & 0x3F));
            } else {
              u += static_cast<char>(0xF0 | (cp >> 18));
              u += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
              u += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
              u += static_cast<char>(0x80 | (cp & 0x3F));
            }
            out += u;
            break;
          }
          default:
            out += e;
        }
        ++i_;
      } else {
        out += s_[i_++];
      }
    }
    return peek('"');
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

std::set<std::string> read_pairs(const std::string& path) {
  std::set<std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.insert(line);
  }
  return out;
}

std::string yaml_single(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

bool has_inner_punctuation(std::string_view key) {
  for (char c : key) {
    if (c == '-' || c == '\'' || c == '.' || c == '+' || c == '&' || c == '_' || c == '/')
      return true;
  }
  return key.find("\xE2\x80\x99") != std::string_view::npos;  // ’
}

// The cause of a leaf-level disagreement, from the leaf's kind and shape, refined with the
// text around newswatch's occurrence when there is one.
std::string leaf_cause(const std::string& kind, const std::string& key, bool newswatch_found,
                       const std::string& context) {
  if (kind == "regex") {
    return newswatch_found
               ? "regex: RE2 on the text vs RegexpQuery per token (newswatch finds it, the token "
                 "translation does not)"
               : "regex: RegexpQuery per token matches where RE2 on the text does not";
  }
  if (kind == "exact")
    return "exact term: tokenization of the original text (UAX#29 vs letters/digits)";
  if (kind == "term" && has_inner_punctuation(key)) {
    return "term with inner punctuation: Lucene drops the punctuation (e-commerce = e commerce), "
           "newswatch "
           "requires it";
  }
  if (newswatch_found) {
    if (context.find("\xC2\xAD") != std::string::npos) {
      return kind +
             ": soft hyphen (U+00AD) inside the word: newswatch folds it away, Lucene keeps it "
             "inside "
             "the token";
    }
    if (context.find('\'') != std::string::npos ||
        context.find("\xE2\x80\x99") != std::string::npos) {
      return kind +
             ": word next to an apostrophe that is not an elided article (aujourd'hui, "
             "prud'hommes): "
             "one UAX#29 token for Lucene, two words for newswatch";
    }
    bool digit_sep = false;
    for (std::size_t i = 1; i + 1 < context.size(); ++i) {
      const char c = context[i];
      if ((c == '.' || c == ',' || c == '_' || c == ':') &&
          std::isalnum(static_cast<unsigned char>(context[i - 1])) &&
          std::isalnum(static_cast<unsigned char>(context[i + 1]))) {
        digit_sep = true;
      }
    }
    if (digit_sep) {
      return kind +
             ": letters/digits joined by '.', ',' or '_' (3,4 / jd.com / 1.5): one UAX#29 token "
             "for "
             "Lucene, several words for newswatch";
    }
    return kind + ": found by newswatch only (folding or tokenization difference)";
  }
  return kind + ": found by Lucene only (folding or tokenization difference)";
}

}  // namespace

int main(int argc, char** argv) {
  std::string rules_dir, corpus_path, nw_path, lm_path, probes_path;
  std::size_t max_examples = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--rules")
      rules_dir = argv[i + 1];
    else if (a == "--corpus")
      corpus_path = argv[i + 1];
    else if (a == "--newswatch")
      nw_path = argv[i + 1];
    else if (a == "--lucene")
      lm_path = argv[i + 1];
    else if (a == "--probes")
      probes_path = argv[i + 1];
    else if (a == "--examples")
      max_examples = std::stoul(argv[i + 1]);
  }
  if (rules_dir.empty() || corpus_path.empty() || nw_path.empty() || lm_path.empty() ||
      probes_path.empty()) {
    std::fprintf(
        stderr,
        "usage: nw_agree --rules DIR --corpus FILE --newswatch NW.tsv --lucene LM.tsv --probes "
        "PROBES.jsonl\n");
    return 2;
  }
  const auto nw = read_pairs(nw_path);
  const auto lm = read_pairs(lm_path);
  std::size_t common = 0;
  for (const auto& p : nw) common += lm.count(p);

  // Probe records.
  std::vector<MiniJson::Value> probes;
  {
    std::ifstream in(probes_path);
    std::string line;
    while (std::getline(in, line)) {
      MiniJson::Value v;
      if (MiniJson(line).parse(v)) probes.push_back(std::move(v));
    }
  }
  // Distinct leaf and NEAR keys -> probe rules.
  std::map<std::string, std::size_t> leaf_ids;
  std::map<std::string, std::size_t> near_ids;
  for (const auto& p : probes) {
    for (const auto& l : p.get("leaves")->items)
      leaf_ids.emplace(l.get("key")->str, leaf_ids.size());
    for (const auto& n : p.get("nears")->items)
      near_ids.emplace(n.get("key")->str, near_ids.size());
  }
  std::string yaml = "rules:\n";
  for (const auto& [key, id] : leaf_ids) {
    yaml += "  - {id: l" + std::to_string(id) + "t, query: " + yaml_single("title:(" + key + ")") +
            "}\n";
    yaml += "  - {id: l" + std::to_string(id) + "b, query: " + yaml_single("body:(" + key + ")") +
            "}\n";
  }
  for (const auto& [key, id] : near_ids) {
    yaml += "  - {id: n" + std::to_string(id) + ", query: " + yaml_single(key) + "}\n";
  }
  // The probes refer to the rule set's lists (NEAR operands): include the rule files' lists.
  std::vector<nm::SourceFile> files;
  {
    std::string error;
    auto src = nb::read_rule_source(rules_dir, error);
    if (!src) {
      std::fprintf(stderr, "nw_agree: %s\n", error.c_str());
      return 1;
    }
    std::string lists = "lists:\n";
    for (const auto& [name, entries] : src->lists) {
      lists += "  " + name + ":\n";
      for (const auto& e : entries) {
        nm::QueryNode copy = e;
        copy.fields = nm::kFieldAll;
        lists += "    - " +
                 yaml_single(e.kind == nm::QueryNode::Kind::kList ? "@" + e.text
                                                                  : nm::to_query_string(copy)) +
                 "\n";
      }
    }
    files.push_back({"lists.yaml", lists});
  }
  files.push_back({"probes.yaml", yaml});
  nm::LoadResult loaded = nm::load_rule_set_from_sources(files, "/nonexistent");
  if (!loaded.rules) {
    for (const auto& d : loaded.diagnostics) {
      if (d.severity == nm::Diagnostic::Severity::kError)
        std::fprintf(stderr, "nw_agree: %s\n", d.to_string().c_str());
    }
    return 1;
  }
  const auto& probe_set = *loaded.rules;

  // Articles needed.
  std::unordered_set<std::string> wanted;
  for (const auto& p : probes) wanted.insert(p.get("article")->str);
  std::unordered_map<std::string, std::string> article_json;
  {
    std::vector<std::string> lines;
    std::string error;
    if (!nb::read_lines(corpus_path, lines, error)) {
      std::fprintf(stderr, "nw_agree: %s\n", error.c_str());
      return 2;
    }
    newswatch::decode::ArticleDecoder decoder;
    newswatch::decode::Article a;
    for (auto& l : lines) {
      if (decoder.decode(l, a)) continue;
      if (wanted.count(a.id)) article_json.emplace(a.id, std::move(l));
    }
  }

  struct Cause {
    std::size_t newswatch_only = 0;
    std::size_t lucene_only = 0;
    std::vector<std::string> examples;  // JSON objects
  };
  std::map<std::string, Cause> causes;
  newswatch::decode::ArticleDecoder decoder;
  newswatch::decode::Article article;
  nm::Matcher matcher;
  nm::MatchOutput out;
  std::string cached_article;
  std::unordered_map<std::string, std::pair<nm::Field, newswatch::text::Span>>
      fired;  // probe id -> first occurrence
  for (const auto& p : probes) {
    const std::string& aid = p.get("article")->str;
    const auto it = article_json.find(aid);
    if (it == article_json.end()) continue;
    if (cached_article != aid) {
      if (decoder.decode(it->second, article)) continue;
      matcher.match(probe_set, article, out);
      fired.clear();
      for (const auto& m : out.matches) {
        const auto& o = out.occurrences;
        std::pair<nm::Field, newswatch::text::Span> first{nm::Field::kBody, {}};
        if (m.occurrences_begin < m.occurrences_end)
          first = {o[m.occurrences_begin].field, o[m.occurrences_begin].span};
        fired.emplace(probe_set.rules()[m.rule].id, first);
      }
      cached_article = aid;
    }
    const bool nw_only = p.get("side")->str == "newswatch_only";
    std::string cause;
    std::string example_leaf;
    std::string context;
    for (const auto& l : p.get("leaves")->items) {
      const std::string& key = l.get("key")->str;
      const std::string id = "l" + std::to_string(leaf_ids.at(key));
      const bool nw_t = fired.count(id + "t") != 0;
      const bool nw_b = fired.count(id + "b") != 0;
      const bool lm_t = l.get("title")->b;
      const bool lm_b = l.get("body")->b;
      if (nw_t == lm_t && nw_b == lm_b) continue;
      const bool nw_found = (nw_t && !lm_t) || (nw_b && !lm_b);
      if (nw_found) {
        const auto f = fired.at(nw_t && !lm_t ? id + "t" : id + "b");
        const std::string& text = f.first == nm::Field::kTitle ? article.title : article.body;
        const std::size_t b = f.second.begin > 40 ? f.second.begin - 40 : 0;
        const std::size_t e = std::min<std::size_t>(text.size(), f.second.end + 40);
        // Widen to code point boundaries.
        std::size_t bb = b;
        while (bb > 0 && (static_cast<unsigned char>(text[bb]) & 0xC0) == 0x80) --bb;
        std::size_t ee = e;
        while (ee < text.size() && (static_cast<unsigned char>(text[ee]) & 0xC0) == 0x80) ++ee;
        context = text.substr(bb, ee - bb);
        // Only the immediate surroundings of the word decide the apostrophe/number causes.
        const std::size_t wb = f.second.begin - bb;
        const std::size_t we = f.second.end - bb;
        const std::string near_word =
            context.substr(wb > 4 ? wb - 4 : 0, (we + 4) - (wb > 4 ? wb - 4 : 0));
        cause = leaf_cause(l.get("kind")->str, key, true, near_word);
      } else {
        cause = leaf_cause(l.get("kind")->str, key, false, {});
      }
      example_leaf = key;
      break;
    }
    if (cause.empty()) {
      for (const auto& n : p.get("nears")->items) {
        const std::string& key = n.get("key")->str;
        const bool nw_m = fired.count("n" + std::to_string(near_ids.at(key))) != 0;
        if (nw_m != n.get("match")->b) {
          cause =
              "NEAR distance: words counted differently (elided l'/d' are words for newswatch, "
              "dropped by "
              "Lucene's ElisionFilter; UAX#29 tokens vs letter/digit runs; ONEAR order vs span "
              "order)";
          example_leaf = key;
          break;
        }
      }
    }
    if (cause.empty())
      cause = "other: every leaf and NEAR agrees (boolean structure or field scope)";
    Cause& c = causes[cause];
    (nw_only ? c.newswatch_only : c.lucene_only)++;
    if (c.examples.size() < max_examples) {
      nb::JsonWriter j;
      j.begin_object();
      j.key("rule").value(p.get("rule")->str);
      j.key("article").value(aid);
      j.key("side").value(p.get("side")->str);
      j.key("leaf").value(example_leaf);
      if (!context.empty()) j.key("context").value(context);
      j.end_object();
      c.examples.push_back(j.str());
    }
  }

  const std::size_t nw_only = nw.size() - common;
  const std::size_t lm_only = lm.size() - common;
  nb::JsonWriter j;
  j.begin_object();
  j.key("pairs_newswatch").value(static_cast<std::uint64_t>(nw.size()));
  j.key("pairs_lucene").value(static_cast<std::uint64_t>(lm.size()));
  j.key("common").value(static_cast<std::uint64_t>(common));
  j.key("newswatch_only").value(static_cast<std::uint64_t>(nw_only));
  j.key("lucene_only").value(static_cast<std::uint64_t>(lm_only));
  const double denom = static_cast<double>(common + nw_only + lm_only);
  j.key("agreement").value(denom > 0 ? static_cast<double>(common) / denom : 1.0);
  j.key("probed_pairs").value(static_cast<std::uint64_t>(probes.size()));
  j.key("causes").begin_array();
  std::vector<std::pair<std::string, Cause>> sorted(causes.begin(), causes.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.second.newswatch_only + a.second.lucene_only >
           b.second.newswatch_only + b.second.lucene_only;
  });
  std::string body = j.str();
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    const auto& [name, c] = sorted[i];
    nb::JsonWriter cj;
    cj.begin_object();
    cj.key("cause").value(name);
    cj.key("newswatch_only").value(static_cast<std::uint64_t>(c.newswatch_only));
    cj.key("lucene_only").value(static_cast<std::uint64_t>(c.lucene_only));
    cj.key("examples").begin_array().end_array();
    cj.end_object();
    std::string s = cj.str();
    // Splice the pre-rendered example objects into the empty array.
    std::string ex;
    for (std::size_t k = 0; k < c.examples.size(); ++k) ex += (k ? "," : "") + c.examples[k];
    s.insert(s.size() - 2, ex);
    body += (i ? "," : "") + s;
  }
  body += "]}";
  std::printf("%s\n", body.c_str());
  return 0;
}
