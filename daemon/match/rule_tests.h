// Runs the `tests:` of every rule (RULES-SPEC §1): each `match` article must make the rule
// true, each `no_match` article must not. Enabled and disabled rules alike; dedup and mode
// do not apply. Used by `newswatch test` and as the gate of hot reload.
//
// Thread-safety: pure with respect to the rule set; allocates its own Matcher.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "daemon/match/rule_set.h"

namespace newswatch::match {

struct RuleTestFailure {
  std::uint32_t rule = 0;
  std::string fixture;  // where the test article is written ("path:line:col", plus its file)
  bool expected_match = true;
  std::string why;  // which leaves were found and which were not
};

struct RuleTestReport {
  std::size_t rules_with_tests = 0;
  std::size_t articles = 0;
  std::vector<RuleTestFailure> failures;
  bool ok() const noexcept { return failures.empty(); }
};

RuleTestReport run_rule_tests(const CompiledRuleSet& rules);

// "path:line:col: rule ID: expected a match ..." one failure per line.
std::string format_failure(const CompiledRuleSet& rules, const RuleTestFailure& f);

}  // namespace newswatch::match
