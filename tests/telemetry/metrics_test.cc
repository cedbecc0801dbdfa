// The metrics catalogue: exact names, labels and buckets; per-rule cap; rule set info; lag.
#include "daemon/telemetry/metrics.h"

#include <atomic>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/telemetry/test_support.h"

namespace newswatch::telemetry {
namespace {

using testing::exposition;
using testing::load_rules;
using testing::rules_yaml;

MetricsOptions options() {
  MetricsOptions o;
  o.input_topics = {"news.fr", "news.en", "news.fr"};
  o.version = "1.2.3";
  o.revision = "deadbeef";
  return o;
}

// The value of the sample written exactly as `series` (name{labels}), or nullopt.
std::optional<double> sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

// Number of samples whose series starts with `prefix`.
int count_series(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) n += line.compare(0, prefix.size(), prefix) == 0;
  return n;
}

TEST(Metrics, EveryMetricExistsWithItsExactNameAfterConstruction) {
  Metrics m(options());
  const std::string text = exposition(*m.registry());
  const std::vector<std::string> zero_series = {
      R"(newswatch_articles_consumed_total{topic="news.fr"})",
      R"(newswatch_articles_consumed_total{topic="news.en"})",
      R"(newswatch_articles_consumed_total{topic="_other"})",
      R"(newswatch_consumed_bytes_total{topic="news.fr"})",
      R"(newswatch_consumed_bytes_total{topic="news.en"})",
      R"(newswatch_consumed_bytes_total{topic="_other"})",
      R"(newswatch_decode_errors_total{reason="empty"})",
      R"(newswatch_decode_errors_total{reason="too_large"})",
      R"(newswatch_decode_errors_total{reason="invalid_json"})",
      R"(newswatch_decode_errors_total{reason="not_object"})",
      R"(newswatch_decode_errors_total{reason="wrong_type"})",
      R"(newswatch_decode_errors_total{reason="no_text"})",
      "newswatch_dead_letters_total",
      "newswatch_skipped_messages_total",
      "newswatch_repaired_articles_total",
      "newswatch_queue_depth_messages",
      "newswatch_queue_capacity_messages",
      "newswatch_consumer_pauses_total",
      R"(newswatch_rebalances_total{kind="assign"})",
      R"(newswatch_rebalances_total{kind="revoke"})",
      R"(newswatch_offset_commits_total{result="ok"})",
      R"(newswatch_offset_commits_total{result="error"})",
      R"(newswatch_alerts_suppressed_total{reason="dedup"})",
      R"(newswatch_alerts_suppressed_total{reason="max_alerts_per_article"})",
      R"(newswatch_alerts_suppressed_total{reason="no_shadow_topic"})",
      "newswatch_near_truncated_articles_total",
      "newswatch_alerts_failed_total",
      "newswatch_deliveries_in_flight",
      R"(newswatch_ruleset_reloads_total{result="success"})",
      R"(newswatch_ruleset_reloads_total{result="failure"})",
      "newswatch_ruleset_last_reload_timestamp_seconds",
      R"(newswatch_ruleset_rules{state="enabled"})",
      R"(newswatch_ruleset_rules{state="disabled"})",
      "newswatch_ruleset_compile_seconds",
      "newswatch_ready",
      "newswatch_article_processing_seconds_count",
      "newswatch_end_to_end_latency_seconds_count",
  };
  for (const auto& s : zero_series) EXPECT_EQ(sample(text, s), 0.0) << s << "\n" << text;
  EXPECT_EQ(count_series(text, "newswatch_articles_consumed_total{"), 3);  // duplicate dropped
  EXPECT_EQ(sample(text, R"(newswatch_build_info{revision="deadbeef",version="1.2.3"})"), 1.0);

  const std::vector<std::string> types = {
      "# TYPE newswatch_articles_consumed_total counter",
      "# TYPE newswatch_consumed_bytes_total counter",
      "# TYPE newswatch_decode_errors_total counter",
      "# TYPE newswatch_queue_depth_messages gauge",
      "# TYPE newswatch_article_processing_seconds histogram",
      "# TYPE newswatch_end_to_end_latency_seconds histogram",
      "# TYPE newswatch_build_info gauge",
      "# TYPE process_cpu_seconds_total counter",
      "# TYPE process_resident_memory_bytes gauge",
      "# TYPE process_open_fds gauge",
  };
  for (const auto& t : types) EXPECT_NE(text.find(t + "\n"), std::string::npos) << t;
  // No per-rule, rule set or lag series before anything is published (and a family without
  // series is not written at all).
  for (const char* name : {"newswatch_rule_matches_total", "newswatch_alerts_published_total",
                           "newswatch_ruleset_info", "newswatch_consumer_lag_messages"}) {
    EXPECT_EQ(count_series(text, name), 0) << name;
  }

  const auto rules = load_rules(rules_yaml(2));
  ASSERT_TRUE(rules);
  m.publish_rule_set(*rules);
  const std::vector<Metrics::PartitionLag> lags = {{"news.fr", 0, 1}};
  m.set_consumer_lag(lags);
  const std::string after = exposition(*m.registry());
  for (const char* type :
       {"# TYPE newswatch_rule_matches_total counter",
        "# TYPE newswatch_alerts_published_total counter", "# TYPE newswatch_ruleset_info gauge",
        "# TYPE newswatch_consumer_lag_messages gauge"}) {
    EXPECT_NE(after.find(std::string(type) + "\n"), std::string::npos) << type;
  }
}

TEST(Metrics, HistogramBuckets) {
  Metrics m(options());
  const std::string text = exposition(*m.registry());
  const std::vector<std::string> processing = {"5e-05",  "0.0001", "0.00025", "0.0005", "0.001",
                                               "0.0025", "0.005",  "0.01",    "0.025",  "0.05",
                                               "0.1",    "0.25",   "0.5",     "1",      "+Inf"};
  for (const auto& le : processing) {
    EXPECT_EQ(sample(text, "newswatch_article_processing_seconds_bucket{le=\"" + le + "\"}"), 0.0)
        << le;
  }
  EXPECT_EQ(count_series(text, "newswatch_article_processing_seconds_bucket{"), 15);
  const std::vector<std::string> end_to_end = {"0.001", "0.01", "0.1", "1",
                                               "10",    "30",   "60",  "+Inf"};
  for (const auto& le : end_to_end) {
    EXPECT_EQ(sample(text, "newswatch_end_to_end_latency_seconds_bucket{le=\"" + le + "\"}"), 0.0)
        << le;
  }
  EXPECT_EQ(count_series(text, "newswatch_end_to_end_latency_seconds_bucket{"), 17);

  m.processing_seconds.Observe(0.0007);
  m.end_to_end_seconds.Observe(45);
  const std::string after = exposition(*m.registry());
  EXPECT_EQ(sample(after, R"(newswatch_article_processing_seconds_bucket{le="0.0005"})"), 0.0);
  EXPECT_EQ(sample(after, R"(newswatch_article_processing_seconds_bucket{le="0.001"})"), 1.0);
  EXPECT_EQ(sample(after, R"(newswatch_end_to_end_latency_seconds_bucket{le="30"})"), 0.0);
  EXPECT_EQ(sample(after, R"(newswatch_end_to_end_latency_seconds_bucket{le="60"})"), 1.0);
}

TEST(Metrics, HandlesReachTheirSeries) {
  Metrics m(options());
  m.topic("news.en").articles_consumed->Increment();
  m.topic("news.en").bytes_consumed->Increment(512);
  m.topic("not-configured").articles_consumed->Increment(2);
  m.decode_error(decode::DecodeErrorCode::kNoText).Increment();
  m.decode_error(decode::DecodeErrorCode::kTooLarge).Increment(3);
  m.revokes.Increment();
  m.offset_commit_errors.Increment();
  m.alerts_truncated.Increment();
  m.reloads_failed.Increment();
  m.queue_depth.Set(17);
  const std::string text = exposition(*m.registry());
  EXPECT_EQ(sample(text, R"(newswatch_articles_consumed_total{topic="news.en"})"), 1.0);
  EXPECT_EQ(sample(text, R"(newswatch_consumed_bytes_total{topic="news.en"})"), 512.0);
  EXPECT_EQ(sample(text, R"(newswatch_articles_consumed_total{topic="news.fr"})"), 0.0);
  EXPECT_EQ(sample(text, R"(newswatch_articles_consumed_total{topic="_other"})"), 2.0);
  EXPECT_EQ(sample(text, R"(newswatch_decode_errors_total{reason="no_text"})"), 1.0);
  EXPECT_EQ(sample(text, R"(newswatch_decode_errors_total{reason="too_large"})"), 3.0);
  EXPECT_EQ(sample(text, R"(newswatch_rebalances_total{kind="revoke"})"), 1.0);
  EXPECT_EQ(sample(text, R"(newswatch_rebalances_total{kind="assign"})"), 0.0);
  EXPECT_EQ(sample(text, R"(newswatch_offset_commits_total{result="error"})"), 1.0);
  EXPECT_EQ(sample(text, R"(newswatch_alerts_suppressed_total{reason="max_alerts_per_article"})"),
            1.0);
  EXPECT_EQ(sample(text, R"(newswatch_ruleset_reloads_total{result="failure"})"), 1.0);
  EXPECT_EQ(sample(text, "newswatch_queue_depth_messages"), 17.0);
}

TEST(Metrics, PerRuleSeriesAreCappedAndTheRestShareOther) {
  MetricsOptions o = options();
  o.max_rule_series = 2;
  Metrics m(o);
  const auto rules = load_rules(rules_yaml(5));  // r0 info, r1 low (shadow), r2 medium,
  ASSERT_TRUE(rules);                            // r3 high, r4 critical, off (disabled, medium)
  const auto t = m.publish_rule_set(*rules);
  ASSERT_EQ(t->matches.size(), rules->rules().size());
  ASSERT_EQ(t->alerts.size(), rules->rules().size());
  for (std::size_t i = 0; i < t->matches.size(); ++i) {
    ASSERT_NE(t->matches[i], nullptr);
    ASSERT_NE(t->alerts[i], nullptr);
    t->matches[i]->Increment(static_cast<double>(i + 1));
    t->alerts[i]->Increment(static_cast<double>(10 * (i + 1)));
  }
  const std::string text = exposition(*m.registry());
  EXPECT_EQ(sample(text, R"(newswatch_rule_matches_total{rule_id="r0",severity="info"})"), 1.0);
  EXPECT_EQ(sample(text, R"(newswatch_rule_matches_total{rule_id="r1",severity="low"})"), 2.0);
  EXPECT_EQ(sample(text, R"(newswatch_rule_matches_total{rule_id="_other",severity="medium"})"),
            3.0 + 6.0);  // r2 and the disabled rule
  EXPECT_EQ(sample(text, R"(newswatch_rule_matches_total{rule_id="_other",severity="high"})"), 4.0);
  EXPECT_EQ(sample(text, R"(newswatch_rule_matches_total{rule_id="_other",severity="critical"})"),
            5.0);
  EXPECT_EQ(count_series(text, "newswatch_rule_matches_total{"), 5);
  EXPECT_EQ(count_series(text, R"(newswatch_rule_matches_total{rule_id="r2")"), 0);
  EXPECT_EQ(
      sample(text,
             R"(newswatch_alerts_published_total{mode="alert",rule_id="r0",severity="info"})"),
      10.0);
  EXPECT_EQ(
      sample(text,
             R"(newswatch_alerts_published_total{mode="shadow",rule_id="r1",severity="low"})"),
      20.0);
  EXPECT_EQ(
      sample(text,
             R"(newswatch_alerts_published_total{mode="alert",rule_id="_other",severity="high"})"),
      40.0);
  // Handles of capped rules with the same severity are the same counter.
  EXPECT_EQ(t->matches[2], t->matches[5]);
  EXPECT_NE(t->matches[0], t->matches[1]);
}

TEST(Metrics, CapCountsEnabledRulesOnly) {
  MetricsOptions o = options();
  o.max_rule_series = 1;
  Metrics m(o);
  const auto rules = load_rules(
      "rules:\n  - id: first\n    enabled: false\n    query: a\n  - id: second\n    query: b\n"
      "  - id: third\n    query: c\n");
  ASSERT_TRUE(rules);
  m.publish_rule_set(*rules);
  const std::string text = exposition(*m.registry());
  EXPECT_EQ(count_series(text, R"(newswatch_rule_matches_total{rule_id="second")"), 1);
  EXPECT_EQ(count_series(text, R"(newswatch_rule_matches_total{rule_id="first")"), 0);
  EXPECT_EQ(count_series(text, R"(newswatch_rule_matches_total{rule_id="third")"), 0);
}

TEST(Metrics, PerRuleSeriesSwitchedOffPutsEveryRuleUnderOther) {
  MetricsOptions o = options();
  o.per_rule_series = false;
  Metrics m(o);
  const auto rules = load_rules(rules_yaml(5));
  ASSERT_TRUE(rules);
  const auto t = m.publish_rule_set(*rules);
  for (auto* c : t->matches) c->Increment();
  const std::string text = exposition(*m.registry());
  EXPECT_EQ(count_series(text, R"(newswatch_rule_matches_total{rule_id="r)"), 0);
  EXPECT_EQ(count_series(text, R"(newswatch_rule_matches_total{rule_id="_other")"), 5);
  EXPECT_EQ(sample(text, R"(newswatch_rule_matches_total{rule_id="_other",severity="medium"})"),
            2.0);
  EXPECT_EQ(
      count_series(text, R"(newswatch_alerts_published_total{mode="shadow",rule_id="_other")"), 1);
}

TEST(Metrics, RulesetInfoKeepsOnlyTheCurrentVersion) {
  Metrics m(options());
  const auto a = load_rules(rules_yaml(3));
  const auto b = load_rules(rules_yaml(4));
  ASSERT_TRUE(a && b);
  ASSERT_NE(a->version(), b->version());
  m.publish_rule_set(*a);
  std::string text = exposition(*m.registry());
  EXPECT_EQ(sample(text, "newswatch_ruleset_info{version=\"" + a->version() + "\"}"), 1.0);
  EXPECT_EQ(sample(text, R"(newswatch_ruleset_rules{state="enabled"})"), 3.0);
  EXPECT_EQ(sample(text, R"(newswatch_ruleset_rules{state="disabled"})"), 1.0);
  const auto compile = sample(text, "newswatch_ruleset_compile_seconds");
  ASSERT_TRUE(compile);
  EXPECT_DOUBLE_EQ(*compile, std::chrono::duration<double>(a->compile_time()).count());

  m.publish_rule_set(*b);
  text = exposition(*m.registry());
  EXPECT_EQ(count_series(text, "newswatch_ruleset_info{"), 1);
  EXPECT_EQ(sample(text, "newswatch_ruleset_info{version=\"" + b->version() + "\"}"), 1.0);
  EXPECT_EQ(sample(text, R"(newswatch_ruleset_rules{state="enabled"})"), 4.0);

  m.publish_rule_set(*b);  // same version again: still one series
  text = exposition(*m.registry());
  EXPECT_EQ(count_series(text, "newswatch_ruleset_info{"), 1);
  EXPECT_EQ(sample(text, "newswatch_ruleset_info{version=\"" + b->version() + "\"}"), 1.0);
}

TEST(Metrics, RuleSeriesOfDroppedRulesGoAwayWhenTheOldTableIsReleased) {
  Metrics m(options());
  const auto a = load_rules(rules_yaml(3));  // r0 r1 r2 off
  const auto b = load_rules(
      "rules:\n  - id: r0\n    severity: info\n    query: word0\n"
      "  - id: r9\n    query: word9\n");
  ASSERT_TRUE(a && b);
  auto old_table = m.publish_rule_set(*a);
  old_table->matches[0]->Increment(5);  // r0
  old_table->matches[2]->Increment(1);  // r2
  auto new_table = m.publish_rule_set(*b);
  std::string text = exposition(*m.registry());
  // A worker still holds the old table: its series stay.
  EXPECT_EQ(sample(text, R"(newswatch_rule_matches_total{rule_id="r2",severity="medium"})"), 1.0);
  EXPECT_EQ(sample(text, R"(newswatch_rule_matches_total{rule_id="r9",severity="medium"})"), 0.0);
  // r0 is in both sets: same counter, count kept.
  EXPECT_EQ(old_table->matches[0], new_table->matches[0]);
  old_table.reset();
  text = exposition(*m.registry());
  EXPECT_EQ(count_series(text, R"(newswatch_rule_matches_total{rule_id="r2")"), 0);
  EXPECT_EQ(count_series(text, R"(newswatch_rule_matches_total{rule_id="r1")"), 0);
  EXPECT_EQ(count_series(text, R"(newswatch_alerts_published_total{mode="shadow")"), 0);
  EXPECT_EQ(sample(text, R"(newswatch_rule_matches_total{rule_id="r0",severity="info"})"), 5.0);
  // Metrics keeps the current table: dropping the caller's copy keeps the series.
  new_table.reset();
  text = exposition(*m.registry());
  EXPECT_EQ(sample(text, R"(newswatch_rule_matches_total{rule_id="r9",severity="medium"})"), 0.0);
}

TEST(Metrics, ATableMayOutliveMetrics) {
  std::shared_ptr<const RuleMetrics> table;
  {
    Metrics m(options());
    const auto rules = load_rules(rules_yaml(2));
    ASSERT_TRUE(rules);
    table = m.publish_rule_set(*rules);
  }
  table->matches[0]->Increment();  // still valid memory
  table.reset();
}

TEST(Metrics, ConsumerLagSetAndRemove) {
  Metrics m(options());
  std::vector<Metrics::PartitionLag> lags = {
      {"news.fr", 0, 5}, {"news.fr", 1, 7}, {"news.en", 2, 0}};
  m.set_consumer_lag(lags);
  std::string text = exposition(*m.registry());
  EXPECT_EQ(sample(text, R"(newswatch_consumer_lag_messages{partition="0",topic="news.fr"})"), 5.0);
  EXPECT_EQ(sample(text, R"(newswatch_consumer_lag_messages{partition="1",topic="news.fr"})"), 7.0);
  EXPECT_EQ(sample(text, R"(newswatch_consumer_lag_messages{partition="2",topic="news.en"})"), 0.0);

  lags = {{"news.fr", 1, 3}, {"news.fr", 1, 4}};  // duplicate: last wins
  m.set_consumer_lag(lags);
  text = exposition(*m.registry());
  EXPECT_EQ(count_series(text, "newswatch_consumer_lag_messages{"), 1);
  EXPECT_EQ(sample(text, R"(newswatch_consumer_lag_messages{partition="1",topic="news.fr"})"), 4.0);

  m.set_consumer_lag({});
  text = exposition(*m.registry());
  EXPECT_EQ(count_series(text, "newswatch_consumer_lag_messages{"), 0);
}

// Publishing, counting through old and new tables, setting lag and scraping at once. Under
// the tsan preset this checks the locking; in every build it checks nothing is lost.
TEST(Metrics, ConcurrentPublishCountAndScrape) {
  Metrics m(options());
  const auto a = load_rules(rules_yaml(3));
  const auto b = load_rules(rules_yaml(4));
  ASSERT_TRUE(a && b);
  auto first = m.publish_rule_set(*a);
  std::atomic<bool> stop{false};
  std::thread publisher([&] {
    for (int i = 0; i < 200; ++i) m.publish_rule_set(i % 2 ? *a : *b);
  });
  std::thread scraper([&] {
    while (!stop) {
      const std::string text = exposition(*m.registry());
      EXPECT_NE(text.find("newswatch_ruleset_info{"), std::string::npos);
      std::vector<Metrics::PartitionLag> lags = {{"news.fr", 0, 1}};
      m.set_consumer_lag(lags);
    }
  });
  for (int i = 0; i < 10000; ++i) first->matches[0]->Increment();
  publisher.join();
  stop = true;
  scraper.join();
  const std::string text = exposition(*m.registry());
  EXPECT_EQ(sample(text, R"(newswatch_rule_matches_total{rule_id="r0",severity="info"})"), 10000.0);
}

}  // namespace
}  // namespace newswatch::telemetry
