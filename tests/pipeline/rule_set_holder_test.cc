// RuleSetHolder under load, without Kafka: the workers' side of a hot reload (generation check,
// snapshot copy, match, per-rule counters) racing the housekeeping thread's publish (compile,
// publish_rule_set, swap). Labelled `concurrency`: the TSan step runs it.
#include "daemon/pipeline/rule_set_holder.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "daemon/match/matcher.h"
#include "daemon/match/rule_set.h"
#include "daemon/telemetry/metrics.h"

namespace newswatch::pipeline {
namespace {

std::shared_ptr<const match::CompiledRuleSet> compile(const std::string& prefix) {
  const match::SourceFile file{"rules.yaml", "rules:\n  - id: " + prefix +
                                                 "-banque\n    query: banque\n  - id: " + prefix +
                                                 "-cyber\n    query: cyber*\n  - id: " + prefix +
                                                 "-near\n    query: banque NEAR/3 cyberattaque\n"};
  match::LoadResult loaded = match::load_rule_set_from_sources({&file, 1}, ".");
  return loaded.rules;
}

TEST(RuleSetHolder, WorkersNeverSeeAMixedOrHalfBuiltSetWhileReloadsRace) {
  telemetry::Metrics metrics(telemetry::MetricsOptions{{"in"}, true, 1000, "t", "t"});
  std::shared_ptr<const match::CompiledRuleSet> sets[2] = {compile("a"), compile("b")};
  ASSERT_TRUE(sets[0] && sets[1]);
  RuleSetHolder holder;
  auto publish = [&](const std::shared_ptr<const match::CompiledRuleSet>& rules) {
    auto snapshot = std::make_shared<RulesSnapshot>();
    snapshot->metrics = metrics.publish_rule_set(*rules);
    snapshot->rules = rules;
    holder.publish(std::move(snapshot));
  };
  publish(sets[0]);

  std::atomic<bool> done{false};
  std::atomic<int> mixed{0};
  std::atomic<int> incomplete{0};
  std::atomic<long> articles{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&, w] {
      match::Matcher matcher;
      match::MatchOutput out;
      decode::Article article;
      article.id = "w" + std::to_string(w);
      article.title = "Cyberattaque contre une banque";
      article.body = "Une banque régionale a subi une cyberattaque massive.";
      std::uint64_t seen = 0;
      std::shared_ptr<const RulesSnapshot> snapshot;
      while (!done.load(std::memory_order_relaxed)) {
        if (const std::uint64_t g = holder.generation(); g != seen || !snapshot) {
          snapshot = holder.current();
          seen = g;
        }
        matcher.match(*snapshot->rules, article, out);
        if (out.matches.size() != 3) ++incomplete;
        const char first = snapshot->rules->rules()[out.matches.front().rule].id[0];
        for (const match::RuleMatch& m : out.matches) {
          if (snapshot->rules->rules()[m.rule].id[0] != first) ++mixed;
          snapshot->metrics->matches[m.rule]->Increment();
        }
        ++articles;
      }
    });
  }
  int swaps = 0;
  for (; swaps < 200; ++swaps) {
    publish(sets[(swaps + 1) % 2]);
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  done = true;
  for (auto& t : workers) t.join();
  EXPECT_EQ(mixed.load(), 0);
  EXPECT_EQ(incomplete.load(), 0);
  EXPECT_GT(articles.load(), swaps);
}

}  // namespace
}  // namespace newswatch::pipeline
