// Internals of a CompiledRuleSet that the matcher, explain and the rule-test runner read.
// Not a public API: other stages use rule_set.h and matcher.h.
//
// Model. Every distinct leaf of every rule (after list expansion, deduplicated across rules)
// is either
//  - a literal leaf (term, prefix, phrase, exact): a sequence of folded words (see Seq),
//    found by looking its first word up in `words` (or its first three bytes up in
//    `prefixes` for one-word prefixes) while walking the words of a field once; or
//  - a regex leaf: run with RE2 on the original view, only when the regex's required
//    literals ("atoms", from RE2's FilteredRE2) were seen by `atoms` in the folded view.
// A rule's query is a small tree (Node) over groups of leaves (a single leaf, a list, or the
// OR-group operand of a NEAR); groups are shared by every rule writing the same operand.
// Only rules with a leaf of their gate present are evaluated (leaf_rules: a gate is a set of
// groups one of which is present whenever the rule is true, chosen at compile time), plus the
// few whose query can be true without any text leaf (always_rules).
#pragma once

#include <algorithm>
#include <bitset>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <re2/filtered_re2.h>
#include <re2/re2.h>

#include "daemon/match/literal_scanner.h"
#include "daemon/match/query.h"
#include "daemon/match/rule_set.h"
#include "daemon/match/word_index.h"

namespace newswatch::match {

// A literal leaf as a sequence of words.
struct Seq {
  std::uint32_t leaf = 0;
  std::vector<std::string> words;  // folded; the last one is a prefix when last_prefix
  std::vector<std::string> seps;   // folded text between words (terms only; size words-1)
  std::string leading;             // folded non-word text right before the first word
  std::string trailing;            // folded non-word text right after the last word
  bool phrase = false;             // separators are any run of non-word characters
  bool last_prefix = false;
  bool exact = false;                    // also compare the original text:
  std::vector<std::string> exact_words;  // original bytes of each word
  std::vector<std::string> exact_seps;   // original separators (exact terms only)
  std::string exact_leading;
  std::string exact_trailing;
};

struct Leaf {
  LeafKind kind = LeafKind::kTerm;
  std::string display;           // as written, e.g. "europ*", "\"ant group\"", "/x/i"
  std::int32_t seq = -1;         // literal leaves: index into Compiled::seqs
  std::int32_t regex = -1;       // regex leaves: id in Compiled::regexes
  bool needs_positions = false;  // used by a NEAR: keep every occurrence (up to the limit)
};

// A member of a group: a leaf looked for in some fields, reported under a label.
struct Member {
  std::uint32_t leaf = 0;
  std::uint8_t fields = kFieldAll;
  std::uint32_t label = 0;
  std::uint32_t group = 0;  // the group this member belongs to
};

struct Group {
  std::uint32_t begin = 0;  // range in Compiled::members
  std::uint32_t end = 0;
  // Members whose leaf is a regex, in [regex_begin, regex_end) of Compiled::group_regex_members:
  // a group is known present as soon as a literal member is hit; its regex members are run
  // only when the group is evaluated and no literal member was hit.
  std::uint32_t regex_begin = 0;
  std::uint32_t regex_end = 0;
};

struct Node {
  enum class Op : std::uint8_t { kGroup, kMeta, kAnd, kOr, kNot, kNear };
  Op op = Op::kGroup;
  bool has_regex = false;  // some leaf below is a regex (AND evaluates such children last)
  std::uint8_t near_distance = 0;
  bool near_ordered = false;
  // kGroup: a = group. kMeta: a = meta. kAnd/kOr: children [a, b) in node_children.
  // kNot: a = child node. kNear: a, b = groups.
  std::uint32_t a = 0;
  std::uint32_t b = 0;
};
static_assert(sizeof(Node) == 12, "nodes are read once per candidate rule: keep them small");

struct Meta {
  MetaKind kind = MetaKind::kLang;
  std::string value;  // lang: lower-case primary subtag; source: folded; site: lower-case host
};

struct Program {
  std::uint32_t root = 0;
  bool text_gated = true;  // false: can be true without any text leaf, so always evaluated
};

// 16-bit keys of a word's first three and first four bytes (the low bytes of `first8`, a
// little-endian load of the word), for the prefix pre-filters.
inline std::uint32_t prefix_key3(std::uint64_t first8) noexcept {
  return static_cast<std::uint32_t>(((first8 & 0xFFFFFFu) * 0x9E3779B97F4A7C15ull) >> 48);
}
inline std::uint32_t prefix_key4(std::uint64_t first8) noexcept {
  return static_cast<std::uint32_t>(((first8 & 0xFFFFFFFFu) * 0xC2B2AE3D27D4EB4Full) >> 48);
}
inline std::uint64_t load_head8(std::string_view w) noexcept {
  std::uint64_t v = 0;
  std::memcpy(&v, w.data(), std::min<std::size_t>(w.size(), 8));
  return v;
}
// The low `n` bytes of a little-endian load (n <= 8).
inline std::uint64_t low_bytes(std::uint64_t v, std::size_t n) noexcept {
  return n >= 8 ? v : v & ((std::uint64_t{1} << (8 * n)) - 1);
}

// A one-word prefix leaf (stem*) as the scan checks it: the stem's first bytes inline, so a
// word is tested with one masked compare instead of a visit to its Seq.
struct Stem {
  std::uint64_t head = 0;  // first min(len, 8) bytes of the folded stem, zero-padded
  std::uint32_t len = 0;   // stem length in bytes (>= 3)
  std::uint32_t seq = 0;
  std::uint32_t leaf = 0;
  bool plain = true;  // no leading text to verify: the occurrence is the word itself
};

inline constexpr std::uint32_t kNoLeaf = 0xFFFFFFFFu;

struct CompiledRuleSet::Compiled {
  std::vector<Leaf> leaves;
  std::vector<Seq> seqs;
  std::vector<Member> members;
  std::vector<Group> groups;
  std::vector<Node> nodes;
  std::vector<std::string> node_sources;  // parallel to nodes: the sub-query as written
                                          // (normalised), for explain
  std::vector<std::uint32_t> node_children;
  std::vector<Meta> metas;
  std::vector<Program> programs;  // parallel to CompiledRuleSet::rules()
  std::vector<std::string> labels;

  // leaf -> rules it gates (CSR), rules that are always evaluated.
  std::vector<std::uint32_t> leaf_rules_begin;  // size leaves + 1
  std::vector<std::uint32_t> leaf_rules;
  std::vector<std::uint32_t> always_rules;

  // leaf -> the members (of any group) that refer to it (CSR), so a hit marks its groups.
  std::vector<std::uint32_t> leaf_members_begin;  // size leaves + 1
  struct LeafMember {
    std::uint32_t member = 0;
    std::uint32_t group = 0;  // members[member].group, inline: the scan reads these in a row
    std::uint8_t fields = 0;  // members[member].fields
  };
  std::vector<LeafMember> leaf_members;
  std::vector<std::uint32_t> group_regex_members;

  // Literal lookup: first folded word -> seqs starting with it (excluding one-word prefixes).
  WordIndex words;
  // seq -> its leaf when the seq is one plain word (no separators to check, not exact), so a
  // word-index hit on it is an occurrence at once; kNoLeaf otherwise.
  std::vector<std::uint32_t> seq_plain_leaf;
  // One-word prefixes: `prefixes` maps a stem's first three bytes to indexes into `stems`.
  // A word is looked up only if its first three bytes pass `stem_filter3` (stems of exactly
  // three bytes) or its first four pass `stem_filter4` (longer stems): 8 KiB each, in cache.
  WordIndex prefixes;
  std::vector<Stem> stems;
  std::bitset<65536> stem_filter3;
  std::bitset<65536> stem_filter4;
  bool has_stems3 = false;

  // Regexes: RE2's FilteredRE2 holds the compiled RE2 objects and the prefilter tree.
  std::unique_ptr<re2::FilteredRE2> regexes;
  std::vector<std::uint32_t> regex_leaf;   // regex id -> leaf
  LiteralScanner atoms;                    // folded atoms
  std::vector<std::vector<int>> atom_ids;  // AC pattern -> FilteredRE2 atom indices
  std::vector<int> empty_atoms;            // atoms that fold to nothing: always present
  std::vector<int> unfiltered_regexes;     // regex ids that pass the prefilter with no atom
  // Some enabled rule can be true through a regex with none of its literal leaves present:
  // then regex atoms are searched in every article to find candidates. Otherwise regexes are
  // looked at only when a candidate rule's evaluation reaches them.
  bool eager_regexes = false;
  std::size_t max_occurrences_per_leaf = 10'000;
};

}  // namespace newswatch::match
