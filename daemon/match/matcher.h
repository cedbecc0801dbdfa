// Matching articles against a CompiledRuleSet.
//
// Cost model: each text field is folded and walked word by word once; each word costs one
// lookup in a cache-resident hash index (plus one for 3-byte prefixes when the word passes
// the stem filters); regexes run only when their required literals were seen; only rules
// whose gate (see compiled.h) is present are evaluated. Rules whose words are absent cost
// nothing.
//
// Thread-safety: a Matcher is a per-thread scratch object (not thread-safe); the
// CompiledRuleSet it reads is immutable and shared. A Matcher may be used with different
// rule sets over its lifetime (e.g. across hot reloads).
// Allocation: none per article once the scratch buffers have grown to the largest article.
// Errors: none; every article yields a (possibly empty) MatchOutput.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "daemon/decode/article.h"
#include "daemon/match/rule_set.h"
#include "daemon/text/fold.h"

namespace newswatch::match {

enum class Field : std::uint8_t { kTitle = 0, kBody = 1 };
std::string_view to_string(Field f) noexcept;

// An occurrence that made a rule true: a byte span of the original view of `field`.
struct Occurrence {
  Field field = Field::kBody;
  text::Span span;
  std::uint32_t label = 0;  // CompiledRuleSet::label(label): the leaf as written in the query
};

struct RuleMatch {
  std::uint32_t rule = 0;               // index into CompiledRuleSet::rules()
  std::uint32_t occurrences_begin = 0;  // range in MatchOutput::occurrences
  std::uint32_t occurrences_end = 0;
  Field snippet_field = Field::kBody;  // a window of the original view around the first match
  text::Span snippet;
};

struct MatchStats {
  std::uint32_t words = 0;       // words walked (title + body)
  std::uint32_t leaves_hit = 0;  // distinct leaves with an occurrence
  std::uint32_t rules_evaluated = 0;
  std::uint32_t regexes_run = 0;
  bool occurrences_truncated = false;  // a leaf hit max_occurrences_per_leaf: NEAR may miss
  bool matches_truncated = false;      // more rules matched than MatchOptions::max_matches
};

struct MatchOutput {
  std::vector<RuleMatch> matches;  // ordered by rule index
  std::vector<Occurrence> occurrences;
  MatchStats stats;
  void clear() noexcept {
    matches.clear();
    occurrences.clear();
    stats = MatchStats{};
  }
};

struct MatchOptions {
  std::size_t max_matches = 1000;              // rules reported per article
  std::size_t max_occurrences_per_match = 50;  // occurrences reported per rule
};

class Matcher {
 public:
  explicit Matcher(MatchOptions options = {});

  // Every enabled rule that is true for `article` (which must stay alive and unchanged until
  // the next call, since the matcher keeps views of its text). `out` is cleared first.
  void match(const CompiledRuleSet& rules, const decode::Article& article, MatchOutput& out);

  // Evaluates one rule (enabled or not) on `article`; for rule tests and explain. Returns
  // whether it is true; when true and `out` is given, appends its RuleMatch to `out`.
  bool match_rule(const CompiledRuleSet& rules, std::uint32_t rule, const decode::Article& article,
                  MatchOutput* out = nullptr);

  // After match() or match_rule(): the views and occurrences of the last article, for explain.
  const text::FoldedText& folded(Field f) const noexcept { return folded_[static_cast<int>(f)]; }
  struct LeafOccurrence {
    Field field;
    std::uint32_t first_word;  // word indices (inclusive) in folded(field).words()
    std::uint32_t last_word;
    text::Span original;
  };
  // Occurrences of `leaf` (an id of CompiledRuleSet::Compiled::leaves) in text order, capped.
  std::vector<LeafOccurrence> occurrences_of(std::uint32_t leaf) const;
  // Whether `leaf` occurs in one of `fields`. A regex leaf is run here, on first need.
  bool leaf_present(std::uint32_t leaf, std::uint8_t fields);

 private:
  friend class Explainer;  // explain.cc walks the same evaluation
  struct Occ {
    std::uint32_t next;  // next occurrence of the same leaf, or kNone
    std::uint8_t field;
    bool has_original;  // regex occurrences know their original span already
    std::uint32_t first_word;
    std::uint32_t last_word;
    std::uint32_t begin;  // folded bytes, or original bytes when has_original
    std::uint32_t end;
  };
  struct LeafState {
    std::uint32_t epoch = 0;
    std::uint8_t fields = 0;     // fields with an occurrence
    std::uint8_t potential = 0;  // regex leaves: fields whose text holds the regex's atoms
    std::uint8_t evaluated = 0;  // regex leaves: fields the regex has been run on
    std::uint32_t head = 0;
    std::uint32_t tail = 0;
    std::uint32_t count[2] = {0, 0};
  };
  // A group is present as soon as one member is; its present members form a list (in
  // present_) so NEAR and witness collection never walk a whole list of entries.
  struct GroupState {
    std::uint32_t epoch = 0;
    std::uint32_t head = 0;  // first present member entry, or kNone
  };
  struct PresentMember {
    std::uint32_t member;
    std::uint32_t next;
  };
  struct NearItem {
    std::uint32_t first_word;
    std::uint32_t last_word;
    std::uint32_t occ;
    bool side_b;
    std::uint32_t label;
  };

  void begin_article(const CompiledRuleSet& rules, const decode::Article& article);
  void scan_field(Field field);
  LeafState& touch(std::uint32_t leaf);
  void find_regex_candidates(Field field);
  void run_regex(std::uint32_t leaf, Field field);
  bool group_present(std::uint32_t group);
  void complete_group(std::uint32_t group);
  void add_occurrence(std::uint32_t leaf, Field field, std::uint32_t first_word,
                      std::uint32_t last_word, std::uint32_t begin, std::uint32_t end,
                      bool has_original);
  bool verify_seq(const struct Seq& seq, Field field, std::uint32_t word, std::uint32_t& end_word,
                  text::Span& span) const;
  bool eval(std::uint32_t node);
  bool eval_meta(std::uint32_t meta);
  bool eval_near(std::uint32_t node, bool collect);
  void collect(std::uint32_t node);
  void collect_group(std::uint32_t group);
  void push_witness(std::uint32_t occ, std::uint32_t label);
  void emit(std::uint32_t rule, MatchOutput& out);
  text::Span original_span(const Occ& o) const;

  MatchOptions options_;
  const CompiledRuleSet* rules_ = nullptr;
  const struct CompiledRuleSet::Compiled* c_ = nullptr;
  const decode::Article* article_ = nullptr;
  text::FoldedText folded_[2];

  std::uint32_t epoch_ = 0;
  std::vector<LeafState> leaves_;
  std::vector<GroupState> groups_;
  std::vector<PresentMember> present_;
  std::vector<std::uint32_t> touched_;
  std::vector<Occ> occs_;
  // Candidate rules of the current article: one bit per rule, all zero between articles
  // (match() clears what it set); and the same rules as a list, in rule order.
  std::vector<std::uint64_t> candidate_bits_;
  std::vector<std::uint32_t> candidates_;
  bool truncated_ = false;
  std::uint32_t regexes_run_ = 0;

  // Regex prefilter scratch: atom_epoch_[atom] == atom_stamp_ when seen in the current field.
  bool regex_candidates_found_[2] = {false, false};  // this article, per field
  std::uint32_t atom_stamp_ = 0;
  std::vector<std::uint32_t> atom_epoch_;
  std::vector<int> matched_atoms_;
  std::vector<int> potentials_;

  // Metadata derived from the article, computed on first use.
  bool meta_ready_ = false;
  std::string lang_primary_;
  std::string source_folded_;
  std::string host_;

  // NEAR and witness scratch.
  std::vector<NearItem> near_items_;
  struct Witness {
    std::uint32_t occ;
    std::uint32_t label;
  };
  std::vector<Witness> witnesses_;
};

}  // namespace newswatch::match
