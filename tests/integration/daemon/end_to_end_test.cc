// `newswatch run --exit-when-idle` against the real broker, end to end: a few hundred
// generated FR/EN articles, the starter rules' seed article, an article with invalid UTF-8, and
// one message for every decode error go in; the alerts that come out are exactly the ones
// `newswatch match` computes offline for the same messages, with the right key, headers and
// input coordinates; every undecodable message is on the dead-letter topic unchanged with the
// reason and its origin; shadow alerts go to the shadow topic; the group's committed offsets
// reach the end of every input partition.
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/daemon/articles.h"
#include "tests/integration/daemon/daemon_support.h"

namespace newswatch::itest {
namespace {

using std::chrono::seconds;

constexpr int kInputPartitions = 4;
constexpr std::size_t kMaxMessageBytes = 64 * 1024;

// Severity of each test rule (tests/integration/daemon/rules/itest.yaml).
const std::map<std::string, std::string> kSeverity = {
    {"itest-cyber-bank", "critical"}, {"itest-sanctions", "high"},
    {"itest-energy-fr", "low"},       {"itest-dubai", "medium"},
    {"itest-alibaba-europe", "high"}, {"itest-shadow-oil", "info"},
};

struct Input {
  std::string key;
  std::string value;
  std::string article_id;  // empty for undecodable messages
  std::string reason;      // expected dead-letter reason, empty for articles
  Delivered at;
};

TEST(DaemonEndToEndTest, AlertsMatchOfflineDeadLettersKeepOriginsAndOffsetsReachTheEnd) {
  auto fixture = KafkaFixture::from_env();
  ASSERT_TRUE(fixture.ok()) << fixture.error();
  const ClientConfig kafka = ClientConfig::plaintext(*fixture);
  auto dir = make_test_dir("e2e");
  ASSERT_TRUE(dir.ok()) << dir.error();

  const std::string input = unique_topic_name("nw-e2e-in");
  const std::string alerts = unique_topic_name("nw-e2e-alerts");
  const std::string dlq = unique_topic_name("nw-e2e-dlq");
  const std::string shadow = unique_topic_name("nw-e2e-shadow");
  const std::string group = unique_group_id("nw-e2e");
  ASSERT_TRUE(create_topic(kafka, input, kInputPartitions).ok());
  ASSERT_TRUE(create_topic(kafka, alerts, 3).ok());
  ASSERT_TRUE(create_topic(kafka, dlq, 2).ok());
  ASSERT_TRUE(create_topic(kafka, shadow, 1).ok());

  // ---- input: articles, the seed article, invalid UTF-8, undecodable messages -----------
  std::vector<Input> inputs;
  for (auto& a : generate_articles(input, 300, 20261126)) {
    inputs.push_back({a.id, std::move(a.json), a.id, "", {}});
  }
  const std::string seed = seed_article_json();
  ASSERT_FALSE(seed.empty()) << "rules/fixtures/seed-article.json not readable";
  inputs.push_back(
      {"seed-alibaba-aliexpress-europe", seed, "seed-alibaba-aliexpress-europe", "", {}});
  const GeneratedArticle bad_utf8 = invalid_utf8_article(input + "-bad-utf8");
  inputs.push_back({bad_utf8.id, bad_utf8.json, bad_utf8.id, "", {}});
  const auto specials = undecodable_messages(input, kMaxMessageBytes);
  for (std::size_t i = 0; i < specials.size(); ++i) {
    // Spread over the stream and the partitions.
    const std::size_t pos = (i * 41 + 7) % inputs.size();
    inputs.insert(inputs.begin() + static_cast<std::ptrdiff_t>(pos),
                  Input{specials[i].key, specials[i].value, "", specials[i].reason, {}});
  }
  std::vector<OutgoingMessage> out;
  std::vector<std::string> values;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    out.push_back({inputs[i].key, inputs[i].value, {}, static_cast<int32_t>(i % kInputPartitions)});
    values.push_back(inputs[i].value);
  }
  auto delivered = produce(kafka, input, out, seconds(60));
  ASSERT_TRUE(delivered.ok()) << delivered.error();
  std::map<std::string, Delivered> article_at;  // article id -> where it was produced
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    inputs[i].at = (*delivered)[i];
    if (!inputs[i].article_id.empty()) article_at[inputs[i].article_id] = inputs[i].at;
  }

  // ---- expected, offline ---------------------------------------------------------------
  auto expected = expected_alerts(values, kMaxMessageBytes, *dir);
  ASSERT_TRUE(expected.ok()) << expected.error();
  std::set<AlertKey> expected_keys;
  std::set<std::string> rules_fired;
  std::set<std::string> articles_with_alerts;
  for (const auto& e : *expected) {
    expected_keys.insert({e.rule_id, e.article_id});
    rules_fired.insert(e.rule_id);
    articles_with_alerts.insert(e.article_id);
  }
  // The input is meant to exercise every rule, hits and misses; check it does.
  for (const auto& [rule, severity] : kSeverity) {
    EXPECT_TRUE(rules_fired.count(rule)) << rule << " never fires on the generated input";
  }
  EXPECT_TRUE(expected_keys.count({"itest-alibaba-europe", "seed-alibaba-aliexpress-europe"}));
  EXPECT_TRUE(expected_keys.count({"itest-cyber-bank", bad_utf8.id}))
      << "the article with invalid UTF-8 must be repaired and still match";
  EXPECT_GT(articles_with_alerts.size(), 50u);
  EXPECT_LT(articles_with_alerts.size(), article_at.size() - 50) << "too few misses";
  for (const auto& s : specials) {
    for (const auto& e : *expected) {
      EXPECT_EQ(e.article_id.find("-special-"), std::string::npos) << "undecodable message matched";
      if (s.reason == "too_large") {
        EXPECT_NE(e.article_id, input + "-oversized");
      }
    }
  }

  // ---- run the daemon until it has handled everything ----------------------------------
  DaemonSettings settings{.brokers = fixture->bootstrap,
                          .group = group,
                          .input_topic = input,
                          .alert_topic = alerts,
                          .dlq_topic = dlq,
                          .shadow_topic = shadow,
                          .max_message_bytes = kMaxMessageBytes,
                          .workers = 2};
  auto config = write_daemon_config(*dir, "daemon", settings);
  ASSERT_TRUE(config.ok()) << config.error();
  auto daemon = Daemon::start(*dir, "daemon", *config, {"--exit-when-idle"});
  ASSERT_TRUE(daemon.ok()) << daemon.error();
  auto status = daemon->process().wait_for(seconds(150));
  ASSERT_TRUE(status.has_value()) << "the daemon did not exit when idle\n" << daemon->log_tail();
  ASSERT_TRUE(status->success()) << status->describe() << "\n" << daemon->log_tail();

  // ---- alerts ----------------------------------------------------------------------------
  auto alert_msgs = consume_all(kafka, alerts, {.stop_at_end = true});
  ASSERT_TRUE(alert_msgs.ok()) << alert_msgs.error();
  auto got = parse_alerts(*alert_msgs);
  ASSERT_TRUE(got.ok()) << got.error();
  const AlertComparison cmp = compare_alerts(*expected, *got, "alert");
  EXPECT_TRUE(cmp.same_set()) << cmp.describe();
  EXPECT_TRUE(cmp.wrong_alert_id.empty()) << cmp.describe();
  EXPECT_EQ(cmp.duplicate_copies, 0u) << "one clean run must not repeat alerts\n" << cmp.describe();
  for (const auto& a : *got) {
    SCOPED_TRACE("alert " + a.rule_id + " / " + a.article_id);
    EXPECT_EQ(a.mode, "alert");
    EXPECT_EQ(a.message.key, a.article_id);
    EXPECT_EQ(header_value(a.message, "rule_id"), a.rule_id);
    EXPECT_EQ(header_value(a.message, "severity"), a.severity);
    ASSERT_TRUE(kSeverity.count(a.rule_id));
    EXPECT_EQ(a.severity, kSeverity.at(a.rule_id));
    EXPECT_EQ(header_value(a.message, "content-type"), "application/json");
    ASSERT_TRUE(article_at.count(a.article_id));
    EXPECT_EQ(a.input_topic, input);
    EXPECT_EQ(a.input_partition, article_at[a.article_id].partition);
    EXPECT_EQ(a.input_offset, article_at[a.article_id].offset);
  }

  // ---- shadow alerts -----------------------------------------------------------------------
  auto shadow_msgs = consume_all(kafka, shadow, {.stop_at_end = true});
  ASSERT_TRUE(shadow_msgs.ok()) << shadow_msgs.error();
  auto shadow_got = parse_alerts(*shadow_msgs);
  ASSERT_TRUE(shadow_got.ok()) << shadow_got.error();
  const AlertComparison shadow_cmp = compare_alerts(*expected, *shadow_got, "shadow");
  EXPECT_TRUE(shadow_cmp.same_set()) << shadow_cmp.describe();
  EXPECT_FALSE(shadow_got->empty());
  // --print-alerts prints every acknowledged alert, shadow ones included.
  EXPECT_EQ(daemon->printed_alerts(), got->size() + shadow_got->size());
  for (const auto& a : *shadow_got) {
    EXPECT_EQ(a.mode, "shadow");
    EXPECT_EQ(header_value(a.message, "rule_id"), a.rule_id);
  }

  // ---- dead letters ------------------------------------------------------------------------
  auto dead = consume_all(kafka, dlq, {.stop_at_end = true});
  ASSERT_TRUE(dead.ok()) << dead.error();
  EXPECT_EQ(dead->size(), specials.size());
  std::set<std::string> reasons_seen;
  for (const auto& m : *dead) {
    const auto partition = header_value(m, "newswatch-source-partition");
    const auto offset = header_value(m, "newswatch-source-offset");
    ASSERT_TRUE(partition && offset) << "dead letter without origin headers";
    const Input* origin = nullptr;
    for (const auto& in : inputs) {
      if (std::to_string(in.at.partition) == *partition &&
          std::to_string(in.at.offset) == *offset) {
        origin = &in;
      }
    }
    ASSERT_NE(origin, nullptr) << "dead letter points at " << *partition << "@" << *offset
                               << ", where nothing was produced";
    SCOPED_TRACE("dead letter of " + origin->key);
    EXPECT_FALSE(origin->reason.empty()) << "a decodable article was dead-lettered";
    EXPECT_EQ(header_value(m, "newswatch-error"), origin->reason);
    EXPECT_EQ(header_value(m, "newswatch-source-topic"), input);
    const auto detail = header_value(m, "newswatch-error-detail");
    ASSERT_TRUE(detail.has_value());
    if (origin->reason != "empty") {
      EXPECT_FALSE(detail->empty());
    }
    EXPECT_LE(detail->size(), 512u);
    EXPECT_EQ(m.key, origin->key);
    ASSERT_TRUE(m.value.has_value() || origin->value.empty());
    EXPECT_EQ(m.value.value_or(""), origin->value) << "the dead-letter copy is not the original";
    reasons_seen.insert(origin->key);
  }
  EXPECT_EQ(reasons_seen.size(), specials.size()) << "some undecodable message is missing";

  // ---- offsets -----------------------------------------------------------------------------
  auto committed = committed_offsets(kafka, group, input);
  ASSERT_TRUE(committed.ok()) << committed.error();
  auto ends = end_offsets(kafka, input);
  ASSERT_TRUE(ends.ok()) << ends.error();
  EXPECT_EQ(*committed, *ends) << "committed " << describe_offsets(*committed) << ", end "
                               << describe_offsets(*ends);
}

}  // namespace
}  // namespace newswatch::itest
