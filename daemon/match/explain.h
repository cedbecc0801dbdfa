// Why a rule fired or not on one article: every leaf with its occurrences in the original
// text, every operator with its truth value. Used by `newswatch explain` and by rule tests to
// say what went wrong.
//
// Thread-safety: explain() uses the given Matcher (per-thread scratch); the result is a plain
// value that owns its strings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/decode/article.h"
#include "daemon/match/matcher.h"
#include "daemon/match/rule_set.h"

namespace newswatch::match {

struct ExplainHit {
  Field field = Field::kBody;
  text::Span span;   // original bytes
  std::string text;  // the matched original text
};

struct ExplainNode {
  enum class Kind : std::uint8_t { kAnd, kOr, kNot, kNear, kLeaf, kList, kMeta };
  Kind kind = Kind::kLeaf;
  std::string expr;  // the sub-query (normalised)
  bool value = false;
  std::vector<ExplainNode> children;  // operators: operands; lists: the entries that were found
  std::vector<ExplainHit> hits;       // leaves: occurrences in text order (capped)
  std::string note;                   // e.g. "2 of 9 entries found", "closest: 5 words apart"
};

struct Explanation {
  std::string rule_id;
  bool fired = false;
  ExplainNode root;
};

// Explains rule `rule` (an index into rules.rules()) on `article`.
Explanation explain(Matcher& matcher, const CompiledRuleSet& rules, std::uint32_t rule,
                    const decode::Article& article);

// A readable tree, one node per line, e.g.
//   ✔ @alibaba AND @europe AND @finance
//   ├─ ✔ @alibaba — 2 of 6 entries found
//   │  ├─ ✔ aliexpress*  body 812..819 "AliExpress"
std::string render_explanation(const Explanation& e);

// One line: which top-level leaves were found (with their first hit) and which were not.
std::string summarize_leaves(const Explanation& e);

}  // namespace newswatch::match
