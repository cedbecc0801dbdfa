#include "daemon/match/rule_tests.h"

#include "daemon/match/explain.h"
#include "daemon/match/matcher.h"

namespace newswatch::match {

RuleTestReport run_rule_tests(const CompiledRuleSet& rules) {
  RuleTestReport report;
  Matcher matcher;
  const auto all = rules.rules();
  for (std::uint32_t r = 0; r < all.size(); ++r) {
    const Rule& rule = all[r];
    if (rule.must_match.empty() && rule.must_not_match.empty()) continue;
    ++report.rules_with_tests;
    for (const bool expected : {true, false}) {
      for (const RuleFixture& f : expected ? rule.must_match : rule.must_not_match) {
        ++report.articles;
        if (matcher.match_rule(rules, r, f.article) == expected) continue;
        RuleTestFailure failure;
        failure.rule = r;
        failure.fixture = f.origin + (f.file.empty() ? "" : " (" + f.file + ")");
        failure.expected_match = expected;
        failure.why = summarize_leaves(explain(matcher, rules, r, f.article));
        report.failures.push_back(std::move(failure));
      }
    }
  }
  return report;
}

std::string format_failure(const CompiledRuleSet& rules, const RuleTestFailure& f) {
  const Rule& rule = rules.rules()[f.rule];
  return f.fixture + ": rule " + rule.id + ": " +
         (f.expected_match ? "expected a match, but the query is false"
                           : "expected no match, but the query is true") +
         " for this test article; " + f.why;
}

}  // namespace newswatch::match
