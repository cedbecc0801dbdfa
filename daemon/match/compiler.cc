// RawRuleSet -> CompiledRuleSet: list resolution, query validation, leaf interning, programs,
// literal and regex indexes.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include <openssl/evp.h>

#include "daemon/match/compiled.h"
#include "daemon/match/loader_internal.h"
#include "daemon/text/fold.h"
#include "daemon/text/normalize.h"
#include "daemon/text/utf8.h"

namespace newswatch::match {

CompiledRuleSet::CompiledRuleSet() : compiled_(std::make_unique<Compiled>()) {}
CompiledRuleSet::~CompiledRuleSet() = default;

int CompiledRuleSet::find_rule(std::string_view id) const noexcept {
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    if (rules_[i].id == id) return static_cast<int>(i);
  }
  return -1;
}

std::size_t CompiledRuleSet::enabled_rule_count() const noexcept {
  return static_cast<std::size_t>(
      std::count_if(rules_.begin(), rules_.end(), [](const Rule& r) { return r.enabled; }));
}

std::string_view CompiledRuleSet::label(std::uint32_t label_id) const noexcept {
  const auto& labels = compiled_->labels;
  return label_id < labels.size() ? std::string_view(labels[label_id]) : std::string_view();
}

namespace {

using internal::diagnostic_at;
using internal::RawRuleSet;
using internal::ScalarPos;

std::string sha256_hex16(const RawRuleSet& raw) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  for (std::size_t i = 0; i < raw.files.size(); ++i) {
    const std::string& rel = raw.relative_paths[i];
    const std::string& content = raw.files[i]->content;
    EVP_DigestUpdate(ctx, rel.data(), rel.size());
    EVP_DigestUpdate(ctx, "\0", 1);
    const std::string len = std::to_string(content.size());
    EVP_DigestUpdate(ctx, len.data(), len.size());
    EVP_DigestUpdate(ctx, "\0", 1);
    EVP_DigestUpdate(ctx, content.data(), content.size());
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx, md, &n);
  EVP_MD_CTX_free(ctx);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 8; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

std::size_t count_code_points(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

std::string leaf_label(const QueryNode& leaf) {
  QueryNode copy = leaf;
  copy.fields = kFieldAll;
  return to_query_string(copy);
}

// A leaf ready to intern, with where to report problems about it.
struct LeafSite {
  const QueryNode* node = nullptr;
  const ScalarPos* pos = nullptr;
  std::uint32_t offset = 0;  // of the leaf inside the scalar
};

struct FlatList {
  enum class State { kUnvisited, kVisiting, kDone };
  State state = State::kUnvisited;
  bool ok = true;                  // false once any problem was reported for this list
  std::vector<QueryNode> entries;  // parsed, same order as the file
  std::vector<const ScalarPos*> entry_pos;
  std::vector<std::uint32_t> leaves;  // flattened, deduplicated leaf ids
  std::size_t depth = 0;              // nesting of @refs below this list
};

}  // namespace

class RuleSetBuilder {
 public:
  RuleSetBuilder(RawRuleSet raw, const LoadOptions& options, Diagnostics& diagnostics)
      : raw_(std::move(raw)), options_(options), diagnostics_(diagnostics) {
    set_ = std::shared_ptr<CompiledRuleSet>(new CompiledRuleSet());
    c_ = set_->compiled_.get();
    c_->max_occurrences_per_leaf = options.limits.max_occurrences_per_leaf;
  }

  std::shared_ptr<const CompiledRuleSet> build() {
    const auto start = std::chrono::steady_clock::now();
    regexes_ = std::make_unique<re2::FilteredRE2>(3);
    build_lists();
    for (auto& raw_rule : raw_.rules) build_rule(raw_rule);
    if (has_errors(diagnostics_)) return nullptr;
    finish_regexes();
    build_indexes();
    set_->version_ = sha256_hex16(raw_);
    set_->file_count_ = raw_.files.size();
    set_->compile_time_ = std::chrono::steady_clock::now() - start;
    return set_;
  }

 private:
  void error(const ScalarPos& pos, std::uint32_t offset, std::string message) {
    diagnostics_.push_back(diagnostic_at(pos, offset, std::move(message)));
  }
  void warning(const ScalarPos& pos, std::uint32_t offset, std::string message) {
    diagnostics_.push_back(
        diagnostic_at(pos, offset, std::move(message), Diagnostic::Severity::kWarning));
  }

  // ---- lists ---------------------------------------------------------------------------

  void build_lists() {
    for (std::size_t i = 0; i < raw_.lists.size(); ++i) {
      const auto& l = raw_.lists[i];
      auto [it, inserted] = list_index_.emplace(l.name, i);
      if (!inserted) {
        const auto& first = raw_.lists[it->second].name_pos;
        error(l.name_pos, 0,
              "list '" + l.name + "' is already defined at " + first.file->path + ":" +
                  std::to_string(first.line + 1) + ":" + std::to_string(first.column + 1) +
                  " (list names are global across files)");
      }
    }
    flat_.resize(raw_.lists.size());
    // Parse and validate every entry where it is written, used or not.
    for (std::size_t i = 0; i < raw_.lists.size(); ++i) {
      auto& flat = flat_[i];
      for (const auto& entry : raw_.lists[i].entries) {
        ParsedQuery p = parse_list_entry(entry.pos.value);
        if (!p.errors.empty()) {
          for (const auto& e : p.errors) error(entry.pos, e.offset, e.message);
          flat.ok = false;
          continue;
        }
        if (p.root->kind == QueryNode::Kind::kLeaf) {
          if (intern_leaf(LeafSite{&*p.root, &entry.pos, p.root->begin}) < 0) flat.ok = false;
        }
        flat.entries.push_back(std::move(*p.root));
        flat.entry_pos.push_back(&entry.pos);
      }
    }
    for (std::size_t i = 0; i < raw_.lists.size(); ++i) {
      std::vector<std::size_t> path;
      resolve_list(i, path);
    }
  }

  // Flattens list i; reports cycles, unknown lists and limits at the entry that causes them.
  bool resolve_list(std::size_t i, std::vector<std::size_t>& path) {
    FlatList& flat = flat_[i];
    if (flat.state == FlatList::State::kDone) return flat.ok;
    if (flat.state == FlatList::State::kVisiting) return false;  // the caller reports the cycle
    flat.state = FlatList::State::kVisiting;
    path.push_back(i);
    bool ok = flat.ok;
    std::set<std::uint32_t> seen;
    for (std::size_t e = 0; e < flat.entries.size(); ++e) {
      const QueryNode& entry = flat.entries[e];
      const ScalarPos& pos = *flat.entry_pos[e];
      if (entry.kind == QueryNode::Kind::kLeaf) {
        const int id = intern_leaf(LeafSite{&entry, &pos, entry.begin});
        if (id >= 0 && seen.insert(static_cast<std::uint32_t>(id)).second) {
          flat.leaves.push_back(static_cast<std::uint32_t>(id));
        }
        continue;
      }
      auto it = list_index_.find(entry.text);
      if (it == list_index_.end()) {
        error(pos, entry.begin, "unknown list '@" + entry.text + "'");
        ok = false;
        continue;
      }
      const std::size_t j = it->second;
      if (flat_[j].state == FlatList::State::kVisiting) {
        std::string cycle;
        for (auto p = std::find(path.begin(), path.end(), j); p != path.end(); ++p) {
          cycle += "@" + raw_.lists[*p].name + " -> ";
        }
        cycle += "@" + raw_.lists[j].name;
        error(pos, entry.begin, "list cycle: " + cycle);
        ok = false;
        continue;
      }
      if (!resolve_list(j, path)) {
        ok = false;  // already reported where the problem is
        continue;
      }
      flat.depth = std::max(flat.depth, flat_[j].depth + 1);
      if (flat.depth > options_.limits.max_list_depth) {
        error(pos, entry.begin,
              "lists nested too deeply (more than " +
                  std::to_string(options_.limits.max_list_depth) +
                  " levels of @list inside @list)");
        ok = false;
        continue;
      }
      for (std::uint32_t leaf : flat_[j].leaves) {
        if (seen.insert(leaf).second) flat.leaves.push_back(leaf);
      }
    }
    if (ok && flat.leaves.size() > options_.limits.max_list_entries) {
      error(raw_.lists[i].name_pos, 0,
            "list '" + raw_.lists[i].name + "' has " + std::to_string(flat.leaves.size()) +
                " entries after expanding its @lists; the limit is " +
                std::to_string(options_.limits.max_list_entries));
      ok = false;
    }
    path.pop_back();
    flat.state = FlatList::State::kDone;
    flat.ok = ok;
    if (!ok) flat.leaves.clear();
    return ok;
  }

  // ---- leaves --------------------------------------------------------------------------

  // Returns the leaf id, or -1 after reporting why the leaf is invalid. A leaf that is
  // invalid is reported once per place it is written.
  int intern_leaf(const LeafSite& site) {
    const QueryNode& n = *site.node;
    const std::string key = leaf_key(n);
    if (auto it = leaf_ids_.find(key); it != leaf_ids_.end()) {
      if (it->second >= 0) return it->second;
      auto& reported = invalid_reported_[key];
      if (!reported.insert({site.pos, site.offset}).second) return -1;
      error(*site.pos, site.offset, invalid_reason_[key]);
      return -1;
    }
    std::string why;
    const int id =
        n.leaf_kind == LeafKind::kRegex ? make_regex_leaf(n, why) : make_literal_leaf(n, why);
    leaf_ids_[key] = id;
    if (id < 0) {
      invalid_reason_[key] = why;
      invalid_reported_[key].insert({site.pos, site.offset});
      error(*site.pos, site.offset, why);
    } else {
      leaf_origin_.emplace_back(site.pos, site.offset);
    }
    return id;
  }

  int make_literal_leaf(const QueryNode& n, std::string& why) {
    std::string original;
    text::make_original_view(n.text, original);
    text::FoldedText ft;
    ft.assign(original);
    const std::string_view folded = ft.folded();
    const auto words = ft.words();
    const std::string shown = leaf_label(n);
    if (words.empty()) {
      why = "'" + shown + "' has no letter or digit: terms are matched on words";
      return -1;
    }
    Seq seq;
    seq.phrase =
        n.leaf_kind == LeafKind::kPhrase || (n.leaf_kind == LeafKind::kExact && n.exact_phrase);
    seq.exact = n.leaf_kind == LeafKind::kExact;
    for (std::size_t i = 0; i < words.size(); ++i) {
      seq.words.emplace_back(folded.substr(words[i].begin, words[i].end - words[i].begin));
      if (!seq.phrase && i + 1 < words.size()) {
        seq.seps.emplace_back(folded.substr(words[i].end, words[i + 1].begin - words[i].end));
      }
    }
    if (!seq.phrase) {
      seq.leading = std::string(folded.substr(0, words.front().begin));
      seq.trailing = std::string(folded.substr(words.back().end));
    }
    if (n.leaf_kind == LeafKind::kPrefix) {
      if (count_code_points(folded) < 3) {
        why = "prefix '" + shown + "' is too short: write at least 3 characters before '*'";
        return -1;
      }
      seq.last_prefix = seq.trailing.empty();
      if (words.size() == 1 && seq.last_prefix && seq.words[0].size() < 3) {
        why = "prefix '" + shown + "' is too short: write at least 3 characters before '*'";
        return -1;
      }
    }
    if (seq.exact) {
      std::vector<text::Span> orig;
      for (const auto& w : words) orig.push_back(ft.to_original(w));
      for (std::size_t i = 0; i < orig.size(); ++i) {
        seq.exact_words.emplace_back(original.substr(orig[i].begin, orig[i].end - orig[i].begin));
        if (!seq.phrase && i + 1 < orig.size()) {
          seq.exact_seps.emplace_back(
              original.substr(orig[i].end, orig[i + 1].begin - orig[i].end));
        }
      }
      if (!seq.phrase) {
        seq.exact_leading = original.substr(0, orig.front().begin);
        seq.exact_trailing = original.substr(orig.back().end);
      }
    }
    Leaf leaf;
    leaf.kind = n.leaf_kind;
    leaf.display = shown;
    leaf.seq = static_cast<std::int32_t>(c_->seqs.size());
    const auto id = static_cast<std::uint32_t>(c_->leaves.size());
    seq.leaf = id;
    c_->seqs.push_back(std::move(seq));
    c_->leaves.push_back(std::move(leaf));
    return static_cast<int>(id);
  }

  int make_regex_leaf(const QueryNode& n, std::string& why) {
    RE2::Options opt;
    opt.set_log_errors(false);
    opt.set_case_sensitive(!n.case_insensitive);
    opt.set_max_mem(options_.limits.max_regex_memory);
    RE2 re(n.text, opt);
    const std::string shown = leaf_label(n);
    if (!re.ok()) {
      why = "regex " + shown + " does not compile: " + re.error();
      return -1;
    }
    if (re.ProgramSize() > options_.limits.max_regex_program_size) {
      why = "regex " + shown + " is too complex (RE2 program size " +
            std::to_string(re.ProgramSize()) + "; the limit is " +
            std::to_string(options_.limits.max_regex_program_size) + ")";
      return -1;
    }
    if (RE2::PartialMatch("", re)) {
      why = "regex " + shown + " matches empty text, so it would match every article";
      return -1;
    }
    int regex_id = -1;
    if (regexes_->Add(n.text, opt, &regex_id) != RE2::NoError) {
      why = "regex " + shown + " was refused by the regex prefilter";
      return -1;
    }
    Leaf leaf;
    leaf.kind = LeafKind::kRegex;
    leaf.display = shown;
    leaf.regex = regex_id;
    const auto id = static_cast<std::uint32_t>(c_->leaves.size());
    if (c_->regex_leaf.size() <= static_cast<std::size_t>(regex_id))
      c_->regex_leaf.resize(regex_id + 1);
    c_->regex_leaf[regex_id] = id;
    c_->leaves.push_back(std::move(leaf));
    return static_cast<int>(id);
  }

  // ---- rules ---------------------------------------------------------------------------

  void build_rule(internal::RawRule& raw) {
    const ScalarPos& qpos = raw.query_pos;
    ParsedQuery parsed = parse_query(raw.rule.query, options_.limits.query);
    if (!parsed.errors.empty()) {
      for (const auto& e : parsed.errors) error(qpos, e.offset, e.message);
      return;
    }
    const QueryNode& root = *parsed.root;
    const std::size_t errors_before = error_count();
    validate(root, qpos);
    lint(root, qpos);
    if (error_count() != errors_before) return;

    Program program;
    program.root = lower(root);
    // An always-true query would fire on every article.
    if (eval_empty(program.root)) {
      error(qpos, 0,
            "query '" + raw.rule.query +
                "' is true for an empty article, so it would fire on every article (e.g. a "
                "query made only of NOT): add a positive term");
      return;
    }
    const Tri gated = eval_unknown_meta(program.root);
    program.text_gated = gated == Tri::kFalse;
    literal_gated_.push_back(eval_literals_absent(program.root) == Tri::kFalse);
    if (!program.text_gated && !has_text_leaf(program.root)) {
      warning(qpos, 0,
              "query only filters metadata (lang:, source:, site:): it fires on every article "
              "that passes the filter");
    }
    if (!has_errors(diagnostics_)) {
      set_->rules_.push_back(std::move(raw.rule));
      c_->programs.push_back(program);
    }
  }

  std::size_t error_count() const {
    return static_cast<std::size_t>(std::count_if(
        diagnostics_.begin(), diagnostics_.end(),
        [](const Diagnostic& d) { return d.severity == Diagnostic::Severity::kError; }));
  }

  static bool near_operand_ok(const QueryNode& n) {
    switch (n.kind) {
      case QueryNode::Kind::kLeaf:
      case QueryNode::Kind::kList:
        return true;
      case QueryNode::Kind::kOr:
        return std::all_of(n.children.begin(), n.children.end(), near_operand_ok);
      default:
        return false;
    }
  }

  static std::string_view kind_name(const QueryNode& n) {
    switch (n.kind) {
      case QueryNode::Kind::kAnd:
        return "an AND";
      case QueryNode::Kind::kOr:
        return "an OR-group containing something else";
      case QueryNode::Kind::kNot:
        return "a NOT";
      case QueryNode::Kind::kNear:
        return "a NEAR";
      case QueryNode::Kind::kMeta:
        return "a metadata filter";
      default:
        return "this";
    }
  }

  // Reports every semantic problem of a parsed query.
  void validate(const QueryNode& n, const ScalarPos& qpos) {
    switch (n.kind) {
      case QueryNode::Kind::kLeaf:
        intern_leaf(LeafSite{&n, &qpos, n.begin});
        return;
      case QueryNode::Kind::kList: {
        auto it = list_index_.find(n.text);
        if (it == list_index_.end()) {
          error(qpos, n.begin, "unknown list '@" + n.text + "'");
        }
        return;
      }
      case QueryNode::Kind::kMeta:
        validate_meta(n, qpos);
        return;
      case QueryNode::Kind::kNear:
        for (const auto& operand : n.children) {
          if (!near_operand_ok(operand)) {
            const QueryNode* bad = &operand;
            if (operand.kind == QueryNode::Kind::kOr) {
              for (const auto& c : operand.children) {
                if (!near_operand_ok(c)) {
                  bad = &c;
                  break;
                }
              }
            }
            error(qpos, bad->begin,
                  std::string("NEAR operand not allowed: ") + std::string(kind_name(*bad)) +
                      "; NEAR/ONEAR take terms, phrases, prefixes, regexes, @lists or "
                      "parenthesised OR-groups of them");
          }
        }
        if (near_operand_ok(n.children[0]) && near_operand_ok(n.children[1]) &&
            (field_union(n.children[0]) & field_union(n.children[1])) == 0) {
          error(qpos, n.begin,
                "NEAR operands look in different fields (title: vs body:), so they can never be "
                "near each other: NEAR only pairs occurrences within one field");
        }
        for (const auto& c : n.children) validate(c, qpos);
        return;
      default:
        for (const auto& c : n.children) validate(c, qpos);
        return;
    }
  }

  static std::uint8_t field_union(const QueryNode& n) {
    if (n.kind == QueryNode::Kind::kLeaf || n.kind == QueryNode::Kind::kList) return n.fields;
    std::uint8_t m = 0;
    for (const auto& c : n.children) m |= field_union(c);
    return m;
  }

  // Habits from other query languages that parse here but mean something else.
  void lint(const QueryNode& n, const ScalarPos& qpos) {
    if (n.kind == QueryNode::Kind::kLeaf && n.leaf_kind == LeafKind::kTerm && n.text.size() > 1) {
      const char c = n.text.front();
      if (c == '-' || c == '+') {
        warning(qpos, n.begin,
                std::string("'") + n.text + "' searches for the text '" + n.text + "' (with its '" +
                    c + "'); to " +
                    (c == '-' ? "exclude " + n.text.substr(1) + " write NOT " + n.text.substr(1)
                              : "require " + n.text.substr(1) +
                                    " just write it (terms side by side are ANDed)"));
      }
      if (n.text == "and" || n.text == "or" || n.text == "not") {
        std::string upper;
        for (char ch : n.text) upper += static_cast<char>(ch - 'a' + 'A');
        warning(qpos, n.begin,
                "lower-case '" + n.text + "' is searched as a word; write " + upper +
                    " for the operator, or quote the phrase (\"rock and roll\")");
      }
    }
    for (const auto& c : n.children) lint(c, qpos);
  }

  void validate_meta(const QueryNode& n, const ScalarPos& qpos) {
    const std::string& v = n.text;
    if (n.meta == MetaKind::kLang) {
      bool ok = v.size() >= 2 && v.size() <= 8;
      for (char ch : v) ok = ok && std::isalpha(static_cast<unsigned char>(ch));
      if (!ok) {
        error(qpos, n.begin,
              "lang: takes a primary language subtag such as fr or en (lang:fr also matches "
              "articles in fr-FR or fr-CA), not '" +
                  v + "'");
      }
    } else if (n.meta == MetaKind::kSite) {
      bool ok = !v.empty() && v.front() != '.' && v.back() != '.';
      for (char ch : v) {
        ok = ok && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-');
      }
      if (!ok) {
        error(qpos, n.begin,
              "site: takes a host name such as lesechos.fr (no scheme, path or port), not '" + v +
                  "'");
      }
    } else if (text::fold(v).empty()) {
      error(qpos, n.begin, "source: needs a source name, e.g. source:\"Les Echos\"");
    }
  }

  std::uint32_t intern_label(const std::string& label) {
    auto [it, inserted] = label_ids_.emplace(label, static_cast<std::uint32_t>(c_->labels.size()));
    if (inserted) c_->labels.push_back(label);
    return it->second;
  }

  // Adds the members of a leaf, list or OR-group of them to the group being built.
  void add_members(const QueryNode& n, std::vector<Member>& members) {
    switch (n.kind) {
      case QueryNode::Kind::kLeaf: {
        const int id = leaf_ids_.at(leaf_key(n));
        if (id < 0) return;  // reported where it is written
        members.push_back(
            Member{static_cast<std::uint32_t>(id), n.fields, intern_label(leaf_label(n))});
        return;
      }
      case QueryNode::Kind::kList: {
        const std::uint32_t label = intern_label("@" + n.text);
        const auto it = list_index_.find(n.text);
        if (it == list_index_.end()) return;  // reported by validate()
        for (std::uint32_t leaf : flat_[it->second].leaves) {
          members.push_back(Member{leaf, n.fields, label});
        }
        return;
      }
      default:
        for (const auto& c : n.children) add_members(c, members);
        return;
    }
  }

  static std::string leaf_key(const QueryNode& n) {
    std::string key;
    key += static_cast<char>('0' + static_cast<int>(n.leaf_kind));
    key += n.exact_phrase ? 'q' : '-';
    key += n.case_insensitive ? 'i' : '-';
    key += n.text;
    return key;
  }

  // Groups are interned: every rule that writes the same operand (e.g. `@t_energy`, or the
  // same term in the same fields) shares one group, so an occurrence marks it once however
  // many rules use it.
  std::uint32_t make_group(const QueryNode& n) {
    std::vector<Member> members;
    add_members(n, members);
    std::string key;
    key.reserve(members.size() * 9);
    for (const Member& m : members) {
      char buf[9];
      std::memcpy(buf, &m.leaf, 4);
      buf[4] = static_cast<char>(m.fields);
      std::memcpy(buf + 5, &m.label, 4);
      key.append(buf, sizeof buf);
    }
    const auto [it, inserted] =
        group_ids_.emplace(std::move(key), static_cast<std::uint32_t>(c_->groups.size()));
    if (!inserted) return it->second;
    const auto id = static_cast<std::uint32_t>(c_->groups.size());
    Group g;
    g.begin = static_cast<std::uint32_t>(c_->members.size());
    for (Member& m : members) m.group = id;
    c_->members.insert(c_->members.end(), members.begin(), members.end());
    g.end = static_cast<std::uint32_t>(c_->members.size());
    g.regex_begin = static_cast<std::uint32_t>(c_->group_regex_members.size());
    for (std::uint32_t m = g.begin; m < g.end; ++m) {
      if (c_->leaves[c_->members[m].leaf].regex >= 0) c_->group_regex_members.push_back(m);
    }
    g.regex_end = static_cast<std::uint32_t>(c_->group_regex_members.size());
    c_->groups.push_back(g);
    return id;
  }

  bool group_has_regex(std::uint32_t g) const {
    return c_->groups[g].regex_end > c_->groups[g].regex_begin;
  }

  std::uint32_t add_node(const Node& node, std::string source) {
    c_->nodes.push_back(node);
    c_->node_sources.push_back(std::move(source));
    return static_cast<std::uint32_t>(c_->nodes.size() - 1);
  }

  std::uint32_t lower(const QueryNode& n) {
    Node node;
    std::string source = to_query_string(n);
    switch (n.kind) {
      case QueryNode::Kind::kLeaf:
      case QueryNode::Kind::kList:
        node.op = Node::Op::kGroup;
        node.a = make_group(n);
        node.has_regex = group_has_regex(node.a);
        return add_node(node, std::move(source));
      case QueryNode::Kind::kMeta: {
        Meta m;
        m.kind = n.meta;
        if (n.meta == MetaKind::kSource) {
          m.value = text::fold(n.text);
        } else {
          for (char ch : n.text)
            m.value += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        }
        c_->metas.push_back(std::move(m));
        node.op = Node::Op::kMeta;
        node.a = static_cast<std::uint32_t>(c_->metas.size() - 1);
        return add_node(node, std::move(source));
      }
      case QueryNode::Kind::kNot:
        node.op = Node::Op::kNot;
        node.a = lower(n.children[0]);
        node.has_regex = c_->nodes[node.a].has_regex;
        return add_node(node, std::move(source));
      case QueryNode::Kind::kNear:
        node.op = Node::Op::kNear;
        node.near_distance = n.near_distance;
        node.near_ordered = n.near_ordered;
        node.a = make_group(n.children[0]);
        node.b = make_group(n.children[1]);
        node.has_regex = group_has_regex(node.a) || group_has_regex(node.b);
        for (std::uint32_t g : {node.a, node.b}) {
          for (std::uint32_t m = c_->groups[g].begin; m < c_->groups[g].end; ++m) {
            c_->leaves[c_->members[m].leaf].needs_positions = true;
          }
        }
        return add_node(node, std::move(source));
      case QueryNode::Kind::kAnd:
      case QueryNode::Kind::kOr: {
        node.op = n.kind == QueryNode::Kind::kAnd ? Node::Op::kAnd : Node::Op::kOr;
        std::vector<std::uint32_t> children;
        for (const auto& ch : n.children) children.push_back(lower(ch));
        // Children without regexes first: evaluation short-circuits, so an AND whose literal
        // part is false never runs its regexes.
        std::stable_partition(children.begin(), children.end(),
                              [&](std::uint32_t c) { return !c_->nodes[c].has_regex; });
        node.has_regex = std::any_of(children.begin(), children.end(),
                                     [&](std::uint32_t c) { return c_->nodes[c].has_regex; });
        node.a = static_cast<std::uint32_t>(c_->node_children.size());
        c_->node_children.insert(c_->node_children.end(), children.begin(), children.end());
        node.b = static_cast<std::uint32_t>(c_->node_children.size());
        return add_node(node, std::move(source));
      }
    }
    return 0;
  }

  // Truth on an article whose title, body and metadata are all empty.
  bool eval_empty(std::uint32_t i) const {
    const Node& n = c_->nodes[i];
    switch (n.op) {
      case Node::Op::kGroup:
      case Node::Op::kMeta:
      case Node::Op::kNear:
        return false;
      case Node::Op::kNot:
        return !eval_empty(n.a);
      case Node::Op::kAnd:
        for (std::uint32_t k = n.a; k < n.b; ++k) {
          if (!eval_empty(c_->node_children[k])) return false;
        }
        return true;
      case Node::Op::kOr:
        for (std::uint32_t k = n.a; k < n.b; ++k) {
          if (eval_empty(c_->node_children[k])) return true;
        }
        return false;
    }
    return false;
  }

  enum class Tri { kFalse, kTrue, kUnknown };

  // Truth when no text leaf is present and metadata is unknown: kFalse means the rule can only
  // fire on an article containing one of its leaves.
  Tri eval_unknown_meta(std::uint32_t i) const {
    const Node& n = c_->nodes[i];
    switch (n.op) {
      case Node::Op::kGroup:
      case Node::Op::kNear:
        return Tri::kFalse;
      case Node::Op::kMeta:
        return Tri::kUnknown;
      case Node::Op::kNot: {
        const Tri t = eval_unknown_meta(n.a);
        return t == Tri::kUnknown ? t : (t == Tri::kTrue ? Tri::kFalse : Tri::kTrue);
      }
      case Node::Op::kAnd: {
        Tri acc = Tri::kTrue;
        for (std::uint32_t k = n.a; k < n.b; ++k) {
          const Tri t = eval_unknown_meta(c_->node_children[k]);
          if (t == Tri::kFalse) return Tri::kFalse;
          if (t == Tri::kUnknown) acc = Tri::kUnknown;
        }
        return acc;
      }
      case Node::Op::kOr: {
        Tri acc = Tri::kFalse;
        for (std::uint32_t k = n.a; k < n.b; ++k) {
          const Tri t = eval_unknown_meta(c_->node_children[k]);
          if (t == Tri::kTrue) return Tri::kTrue;
          if (t == Tri::kUnknown) acc = Tri::kUnknown;
        }
        return acc;
      }
    }
    return Tri::kUnknown;
  }

  // Truth when no literal leaf is present, regexes and metadata unknown: kFalse means the rule
  // can only fire on an article where one of its literal leaves occurs.
  Tri eval_literals_absent(std::uint32_t i) const {
    const Node& n = c_->nodes[i];
    switch (n.op) {
      case Node::Op::kGroup:
      case Node::Op::kNear:
        return n.has_regex ? Tri::kUnknown : Tri::kFalse;
      case Node::Op::kMeta:
        return Tri::kUnknown;
      case Node::Op::kNot: {
        const Tri t = eval_literals_absent(n.a);
        return t == Tri::kUnknown ? t : (t == Tri::kTrue ? Tri::kFalse : Tri::kTrue);
      }
      case Node::Op::kAnd: {
        Tri acc = Tri::kTrue;
        for (std::uint32_t k = n.a; k < n.b; ++k) {
          const Tri t = eval_literals_absent(c_->node_children[k]);
          if (t == Tri::kFalse) return Tri::kFalse;
          if (t == Tri::kUnknown) acc = Tri::kUnknown;
        }
        return acc;
      }
      case Node::Op::kOr: {
        Tri acc = Tri::kFalse;
        for (std::uint32_t k = n.a; k < n.b; ++k) {
          const Tri t = eval_literals_absent(c_->node_children[k]);
          if (t == Tri::kTrue) return Tri::kTrue;
          if (t == Tri::kUnknown) acc = Tri::kUnknown;
        }
        return acc;
      }
    }
    return Tri::kUnknown;
  }

  bool has_text_leaf(std::uint32_t i) const {
    const Node& n = c_->nodes[i];
    switch (n.op) {
      case Node::Op::kGroup:
      case Node::Op::kNear:
        return true;
      case Node::Op::kMeta:
        return false;
      case Node::Op::kNot:
        return has_text_leaf(n.a);
      default:
        for (std::uint32_t k = n.a; k < n.b; ++k) {
          if (has_text_leaf(c_->node_children[k])) return true;
        }
        return false;
    }
  }

  // ---- indexes -------------------------------------------------------------------------

  void finish_regexes() {
    if (regexes_->NumRegexps() == 0) return;
    std::vector<std::string> atoms;
    regexes_->Compile(&atoms);
    // Atoms are matched on the folded text: fold them the same way. Several atoms may fold
    // to the same string.
    std::map<std::string, std::size_t> folded_index;
    std::vector<std::string> patterns;
    for (std::size_t i = 0; i < atoms.size(); ++i) {
      std::string original;
      text::make_original_view(atoms[i], original);
      std::string folded = text::fold(original);
      if (folded.empty()) {
        c_->empty_atoms.push_back(static_cast<int>(i));
        continue;
      }
      auto [it, inserted] = folded_index.emplace(folded, patterns.size());
      if (inserted) {
        patterns.push_back(folded);
        c_->atom_ids.emplace_back();
      }
      c_->atom_ids[it->second].push_back(static_cast<int>(i));
    }
    c_->atoms = LiteralScanner(patterns);
    std::vector<int> unfiltered;
    regexes_->AllPotentials({}, &unfiltered);
    c_->unfiltered_regexes = unfiltered;
    set_->stats_.unfiltered_regexes = unfiltered.size();
    // A regex with no atom runs on every article if a rule can fire through it without any
    // literal leaf present (in an AND with a term it waits for the term): warn about those,
    // where they are written.
    std::set<std::uint32_t> eager_leaves;
    for (std::uint32_t r = 0; r < c_->programs.size(); ++r) {
      if (!literal_gated_[r]) collect_leaves(c_->programs[r].root, eager_leaves);
    }
    for (int rid : unfiltered) {
      const std::uint32_t leaf = c_->regex_leaf[rid];
      if (eager_leaves.count(leaf) == 0) continue;
      const auto& [pos, offset] = leaf_origin_[leaf];
      warning(*pos, offset,
              "regex " + c_->leaves[leaf].display +
                  ": RE2's prefilter finds no required literal (of 3+ characters) in it and its "
                  "rule can fire without any of its words, so it runs on every article; AND it "
                  "with a term or put a literal word in it to keep large rule sets fast");
    }
    c_->regexes = std::move(regexes_);
  }

  // ---- candidate gates -------------------------------------------------------------------
  //
  // A text-gated rule is evaluated on an article only when one of its gate leaves occurs
  // there. A gate is a set of groups at least one of which is present whenever the rule is
  // true: a group is its own gate; an OR needs the union of its children's gates; an AND or a
  // NEAR is false unless every operand is true, so any one operand's gate will do, and the
  // cheapest is taken — the operand least likely to occur in an article (an entity's aliases
  // rather than a 40-word topic list). NOT and metadata have no gate.
  struct Gate {
    std::vector<std::uint32_t> groups;
    double cost = 0;
  };

  // Expected cost of a leaf as a gate, from its shape: roughly how often such a leaf occurs in
  // news text. A regex is a last resort: gating on it means searching its atoms in every
  // article.
  double leaf_cost(std::uint32_t leaf) const {
    const Leaf& l = c_->leaves[leaf];
    if (l.regex >= 0 || l.seq < 0) return 1e6;
    const Seq& seq = c_->seqs[static_cast<std::size_t>(l.seq)];
    const std::size_t len = seq.words.empty() ? 0 : seq.words[0].size();
    double cost = 1.0;
    if (seq.words.size() >= 2) {
      cost = 0.3;  // a phrase: its first word and the rest, in order
    } else if (seq.last_prefix) {
      cost = len <= 3 ? 8.0 : len <= 5 ? 3.0 : 1.5;  // short stems match many words
    } else {
      cost = len <= 2 ? 4.0 : len <= 4 ? 1.5 : 1.0;
    }
    return seq.exact ? cost * 0.7 : cost;
  }

  // A group's cost: the sum of its members', times a factor that grows with the number of
  // rules sharing it — shared lists (places, topics) are context, written to be common.
  double group_cost(std::uint32_t g) {
    double& cost = group_cost_[g];  // sized in build_indexes
    if (cost < 0) {
      double sum = 0;
      for (std::uint32_t m = c_->groups[g].begin; m < c_->groups[g].end; ++m)
        sum += leaf_cost(c_->members[m].leaf);
      cost = sum * (1.0 + 0.5 * std::log2(1.0 + group_uses_[g]));
    }
    return cost;
  }

  std::optional<Gate> gate(std::uint32_t i) {
    const Node& n = c_->nodes[i];
    switch (n.op) {
      case Node::Op::kGroup:
        return Gate{{n.a}, group_cost(n.a)};
      case Node::Op::kNear: {
        const double a = group_cost(n.a);
        const double b = group_cost(n.b);
        return a <= b ? Gate{{n.a}, a} : Gate{{n.b}, b};
      }
      case Node::Op::kMeta:
      case Node::Op::kNot:
        return std::nullopt;
      case Node::Op::kAnd: {
        std::optional<Gate> best;
        for (std::uint32_t k = n.a; k < n.b; ++k) {
          std::optional<Gate> g = gate(c_->node_children[k]);
          if (g && (!best || g->cost < best->cost)) best = std::move(g);
        }
        return best;
      }
      case Node::Op::kOr: {
        Gate all;
        for (std::uint32_t k = n.a; k < n.b; ++k) {
          std::optional<Gate> g = gate(c_->node_children[k]);
          if (!g) return std::nullopt;
          all.groups.insert(all.groups.end(), g->groups.begin(), g->groups.end());
          all.cost += g->cost;
        }
        return all;
      }
    }
    return std::nullopt;
  }

  void build_indexes() {
    auto& rules = set_->rules_;
    group_uses_.assign(c_->groups.size(), 0);
    group_cost_.assign(c_->groups.size(), -1.0);
    for (std::uint32_t r = 0; r < rules.size(); ++r) {
      if (!rules[r].enabled) continue;
      std::set<std::uint32_t> used;
      collect_groups(c_->programs[r].root, used);
      for (std::uint32_t g : used) ++group_uses_[g];
    }
    // leaf -> the enabled rules it gates; rules that are always evaluated. Regex atoms are
    // searched in every article only when some gate holds a regex (the rule can fire through
    // the regex alone); otherwise a regex runs when a candidate rule's evaluation reaches it.
    std::vector<std::vector<std::uint32_t>> per_leaf(c_->leaves.size());
    for (std::uint32_t r = 0; r < rules.size(); ++r) {
      if (!rules[r].enabled) continue;
      const std::uint32_t root = c_->programs[r].root;
      if (!c_->programs[r].text_gated) {
        c_->always_rules.push_back(r);
        continue;
      }
      std::set<std::uint32_t> leaves;
      if (const std::optional<Gate> g = gate(root)) {
        for (std::uint32_t group : g->groups) add_group_leaves(group, leaves);
      } else {
        collect_leaves(root, leaves);  // e.g. NOT NOT x: every leaf
      }
      for (std::uint32_t leaf : leaves) {
        per_leaf[leaf].push_back(r);
        if (c_->leaves[leaf].regex >= 0) c_->eager_regexes = true;
      }
      set_->stats_.gate_leaves += leaves.size();
    }
    c_->leaf_rules_begin.push_back(0);
    for (const auto& v : per_leaf) {
      c_->leaf_rules.insert(c_->leaf_rules.end(), v.begin(), v.end());
      c_->leaf_rules_begin.push_back(static_cast<std::uint32_t>(c_->leaf_rules.size()));
    }
    std::vector<std::vector<std::uint32_t>> members_of(c_->leaves.size());
    for (std::uint32_t m = 0; m < c_->members.size(); ++m)
      members_of[c_->members[m].leaf].push_back(m);
    c_->leaf_members_begin.push_back(0);
    for (const auto& v : members_of) {
      for (std::uint32_t m : v) {
        c_->leaf_members.push_back(
            {m, c_->members[m].group, static_cast<std::uint8_t>(c_->members[m].fields)});
      }
      c_->leaf_members_begin.push_back(static_cast<std::uint32_t>(c_->leaf_members.size()));
    }
    WordIndexBuilder words;
    WordIndexBuilder prefixes;
    c_->seq_plain_leaf.assign(c_->seqs.size(), kNoLeaf);
    for (std::uint32_t s = 0; s < c_->seqs.size(); ++s) {
      const Seq& seq = c_->seqs[s];
      if (seq.words.size() == 1 && seq.last_prefix) {
        const std::string& stem = seq.words[0];
        Stem st;
        st.head = load_head8(stem);
        st.len = static_cast<std::uint32_t>(stem.size());
        st.seq = s;
        st.leaf = seq.leaf;
        st.plain = seq.leading.empty();
        prefixes.add(std::string_view(stem).substr(0, 3),
                     static_cast<std::uint32_t>(c_->stems.size()));
        c_->stems.push_back(st);
        if (stem.size() == 3) {
          c_->stem_filter3.set(prefix_key3(st.head));
          c_->has_stems3 = true;
        } else {
          c_->stem_filter4.set(prefix_key4(st.head));
        }
      } else {
        words.add(seq.words[0], s);
        if (seq.words.size() == 1 && seq.leading.empty() && seq.trailing.empty() && !seq.exact)
          c_->seq_plain_leaf[s] = seq.leaf;
      }
    }
    c_->words = words.build();
    c_->prefixes = prefixes.build();

    auto& st = set_->stats_;
    st.leaves = c_->leaves.size();
    st.words_indexed = c_->words.size();
    st.prefixes = c_->prefixes.size();
    st.regexes = c_->regex_leaf.size();
    st.always_evaluated_rules = c_->always_rules.size();
    st.groups = c_->groups.size();
    st.eager_regexes = c_->eager_regexes;
    std::size_t bytes =
        c_->words.memory_bytes() + c_->prefixes.memory_bytes() + c_->atoms.memory_bytes();
    for (const auto& seq : c_->seqs) {
      bytes += sizeof(Seq);
      for (const auto& w : seq.words) bytes += w.capacity();
    }
    bytes += c_->leaves.size() * sizeof(Leaf) + c_->members.size() * sizeof(Member) +
             c_->nodes.size() * sizeof(Node) + c_->leaf_rules.size() * 4;
    if (c_->regexes) {
      for (int i = 0; i < c_->regexes->NumRegexps(); ++i)
        bytes += c_->regexes->GetRE2(i).ProgramSize() * 16;
    }
    st.memory_bytes = bytes;
  }

  // Every group the query under node `i` refers to.
  void collect_groups(std::uint32_t i, std::set<std::uint32_t>& out) const {
    const Node& n = c_->nodes[i];
    switch (n.op) {
      case Node::Op::kGroup:
        out.insert(n.a);
        return;
      case Node::Op::kNear:
        out.insert(n.a);
        out.insert(n.b);
        return;
      case Node::Op::kMeta:
        return;
      case Node::Op::kNot:
        collect_groups(n.a, out);
        return;
      default:
        for (std::uint32_t k = n.a; k < n.b; ++k) collect_groups(c_->node_children[k], out);
        return;
    }
  }

  void add_group_leaves(std::uint32_t g, std::set<std::uint32_t>& out) const {
    for (std::uint32_t m = c_->groups[g].begin; m < c_->groups[g].end; ++m)
      out.insert(c_->members[m].leaf);
  }

  void collect_leaves(std::uint32_t i, std::set<std::uint32_t>& out) const {
    std::set<std::uint32_t> groups;
    collect_groups(i, groups);
    for (std::uint32_t g : groups) add_group_leaves(g, out);
  }

  RawRuleSet raw_;
  const LoadOptions& options_;
  Diagnostics& diagnostics_;
  std::shared_ptr<CompiledRuleSet> set_;
  CompiledRuleSet::Compiled* c_ = nullptr;
  std::unique_ptr<re2::FilteredRE2> regexes_;

  std::unordered_map<std::string, std::size_t> list_index_;
  std::vector<FlatList> flat_;
  std::unordered_map<std::string, int> leaf_ids_;
  std::unordered_map<std::string, std::string> invalid_reason_;
  std::unordered_map<std::string, std::set<std::pair<const ScalarPos*, std::uint32_t>>>
      invalid_reported_;
  // leaf id -> where it was first written (for warnings about the leaf itself).
  std::vector<std::pair<const ScalarPos*, std::uint32_t>> leaf_origin_;
  std::unordered_map<std::string, std::uint32_t> label_ids_;
  std::unordered_map<std::string, std::uint32_t> group_ids_;  // members (bytes) -> group
  std::vector<std::uint32_t> group_uses_;                     // group -> enabled rules using it
  std::vector<double> group_cost_;                            // group -> gate cost (see group_cost)
  std::vector<bool> literal_gated_;                           // per rule, parallel to programs
};

namespace internal {

std::shared_ptr<const CompiledRuleSet> compile_rule_set(RawRuleSet raw, const LoadOptions& options,
                                                        Diagnostics& diagnostics) {
  return RuleSetBuilder(std::move(raw), options, diagnostics).build();
}

}  // namespace internal
}  // namespace newswatch::match
