// The Kafka helpers of newswatch_itest against the real broker of the `kafka` fixture.
#include "tests/integration/support/kafka.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/integration/support/process.h"

namespace newswatch::itest {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;

class KafkaHarnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto fixture = KafkaFixture::from_env();
    ASSERT_TRUE(fixture.ok()) << fixture.error();
    fixture_ = fixture.value();
    config_ = ClientConfig::plaintext(fixture_);
  }

  KafkaFixture fixture_;
  ClientConfig config_;
};

TEST_F(KafkaHarnessTest, FixtureStateNamesLoopbackListeners) {
  EXPECT_THAT(fixture_.bootstrap, ::testing::StartsWith("127.0.0.1:"));
  EXPECT_THAT(fixture_.sasl_bootstrap, ::testing::StartsWith("127.0.0.1:"));
  EXPECT_NE(fixture_.bootstrap, fixture_.sasl_bootstrap);
  EXPECT_TRUE(check_connection(config_).ok());
}

TEST_F(KafkaHarnessTest, UniqueNamesDiffer) {
  std::set<std::string> names;
  for (int i = 0; i < 100; ++i) names.insert(unique_topic_name("t"));
  EXPECT_EQ(names.size(), 100u);
  EXPECT_THAT(*names.begin(), ::testing::MatchesRegex("t-[0-9]+-[0-9]+-[0-9a-f]+"));
}

TEST_F(KafkaHarnessTest, HundredKeyedMessagesWithHeadersRoundTripThroughThreePartitions) {
  const std::string topic = unique_topic_name("itest-roundtrip");
  ASSERT_TRUE(create_topic(config_, topic, 3).ok());
  auto parts = partitions_of(config_, topic);
  ASSERT_TRUE(parts.ok()) << parts.error();
  EXPECT_THAT(parts.value(), ElementsAre(0, 1, 2));

  std::vector<OutgoingMessage> out;
  for (int i = 0; i < 100; ++i) {
    const std::string n = std::to_string(i);
    out.push_back({"key-" + n,
                   "value-" + n,
                   {{"seq", n}, {"trace", "trace-" + n}, {"seq", "again-" + n}, {"null", {}}},
                   std::nullopt});
  }
  auto delivered = produce(config_, topic, out);
  ASSERT_TRUE(delivered.ok()) << delivered.error();
  ASSERT_EQ(delivered->size(), 100u);

  // Read to the end rather than to a count, so that an extra or duplicated message shows.
  auto got = consume_all(config_, topic, {.stop_at_end = true});
  ASSERT_TRUE(got.ok()) << got.error();
  ASSERT_EQ(got->size(), 100u);

  std::map<std::string, const ConsumedMessage*> by_key;
  std::map<int32_t, std::vector<int64_t>> offsets;
  for (const ConsumedMessage& m : got.value()) {
    ASSERT_TRUE(m.key.has_value());
    EXPECT_TRUE(by_key.emplace(*m.key, &m).second) << "duplicate " << *m.key;
    offsets[m.partition].push_back(m.offset);
    EXPECT_EQ(m.topic, topic);
    EXPECT_EQ(m.timestamp_type, RD_KAFKA_TIMESTAMP_CREATE_TIME);
    EXPECT_GT(m.timestamp_ms, 0);
  }
  for (int i = 0; i < 100; ++i) {
    const std::string n = std::to_string(i);
    auto it = by_key.find("key-" + n);
    ASSERT_NE(it, by_key.end()) << "missing key-" << n;
    const ConsumedMessage& m = *it->second;
    EXPECT_EQ(m.value, "value-" + n);
    EXPECT_THAT(m.headers, ElementsAre(Header{"seq", n}, Header{"trace", "trace-" + n},
                                       Header{"seq", "again-" + n}, Header{"null", std::nullopt}));
    EXPECT_EQ(m.partition, (*delivered)[static_cast<std::size_t>(i)].partition);
    EXPECT_EQ(m.offset, (*delivered)[static_cast<std::size_t>(i)].offset);
  }
  // Keys spread over all three partitions; each partition is read in offset order, no gaps.
  ASSERT_EQ(offsets.size(), 3u);
  for (const auto& [p, offs] : offsets) {
    for (std::size_t i = 0; i < offs.size(); ++i) EXPECT_EQ(offs[i], static_cast<int64_t>(i));
  }
  auto ends = end_offsets(config_, topic);
  ASSERT_TRUE(ends.ok()) << ends.error();
  int64_t total = 0;
  for (const auto& [p, end] : ends.value()) total += end;
  EXPECT_EQ(total, 100);
}

TEST_F(KafkaHarnessTest, ExplicitPartitionNullKeyAndNullValue) {
  const std::string topic = unique_topic_name("itest-nulls");
  ASSERT_TRUE(create_topic(config_, topic, 3).ok());
  auto delivered = produce(config_, topic, {{std::nullopt, std::nullopt, {}, 2}, {"", "", {}, 1}});
  ASSERT_TRUE(delivered.ok()) << delivered.error();
  EXPECT_EQ((*delivered)[0].partition, 2);
  EXPECT_EQ((*delivered)[1].partition, 1);

  auto got = consume_all(config_, topic, {.max_messages = 2});
  ASSERT_TRUE(got.ok()) << got.error();
  ASSERT_EQ(got->size(), 2u);
  for (const ConsumedMessage& m : got.value()) {
    if (m.partition == 2) {
      EXPECT_EQ(m.key, std::nullopt);
      EXPECT_EQ(m.value, std::nullopt);
    } else {
      EXPECT_EQ(m.partition, 1);
      EXPECT_EQ(m.key, "");  // empty, not null
      EXPECT_EQ(m.value, "");
      EXPECT_TRUE(m.headers.empty());
    }
  }
}

TEST_F(KafkaHarnessTest, ConsumeStopsAtTheEndOfEveryPartition) {
  const std::string topic = unique_topic_name("itest-end");
  ASSERT_TRUE(create_topic(config_, topic, 3).ok());
  // Partition 1 stays empty: its end is offset 0 and must not hold the consumer up.
  ASSERT_TRUE(
      produce(config_, topic, {{"a", "1", {}, 0}, {"b", "2", {}, 0}, {"c", "3", {}, 2}}).ok());
  const auto start = std::chrono::steady_clock::now();
  auto got = consume_all(config_, topic, {.stop_at_end = true});
  ASSERT_TRUE(got.ok()) << got.error();
  std::map<int32_t, std::vector<std::string>> keys;
  for (const auto& m : got.value()) keys[m.partition].push_back(m.key.value_or("<null>"));
  EXPECT_EQ(keys, (std::map<int32_t, std::vector<std::string>>{{0, {"a", "b"}}, {2, {"c"}}}));
  // It stopped because every partition reached its end, not on the (10 s) idle timer.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(9));
}

TEST_F(KafkaHarnessTest, ConsumeStopsWhenIdle) {
  const std::string topic = unique_topic_name("itest-idle");
  ASSERT_TRUE(create_topic(config_, topic, 1).ok());
  const auto start = std::chrono::steady_clock::now();
  auto got = consume_all(config_, topic, {.idle_timeout = milliseconds(500)});
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_TRUE(got->empty());
  // The idle timer ended it, long before the overall timeout.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

TEST_F(KafkaHarnessTest, CommittedOffsetsOfAGroup) {
  const std::string topic = unique_topic_name("itest-commit");
  ASSERT_TRUE(create_topic(config_, topic, 2).ok());
  std::vector<OutgoingMessage> out;
  for (int i = 0; i < 10; ++i) out.push_back({std::nullopt, "m", {}, i % 2 == 0 ? 0 : 1});
  out.push_back({std::nullopt, "m", {}, 0});
  ASSERT_TRUE(produce(config_, topic, out).ok());

  const std::string group = unique_group_id("itest-group");
  auto none = committed_offsets(config_, group, topic);
  ASSERT_TRUE(none.ok()) << none.error();
  EXPECT_EQ(none.value(), (std::map<int32_t, int64_t>{{0, RD_KAFKA_OFFSET_INVALID},
                                                      {1, RD_KAFKA_OFFSET_INVALID}}));

  auto got = consume_all(config_, topic, {.max_messages = 11, .group_id = group, .commit = true});
  ASSERT_TRUE(got.ok()) << got.error();
  ASSERT_EQ(got->size(), 11u);
  auto committed = committed_offsets(config_, group, topic);
  ASSERT_TRUE(committed.ok()) << committed.error();
  EXPECT_EQ(committed.value(), (std::map<int32_t, int64_t>{{0, 6}, {1, 5}}));
  auto ends = end_offsets(config_, topic);
  ASSERT_TRUE(ends.ok()) << ends.error();
  EXPECT_EQ(ends.value(), committed.value());
}

TEST_F(KafkaHarnessTest, ScriptCreatesTopicsWithKafkaTopics) {
  const std::string topic = unique_topic_name("itest-script");
  auto ran = run({.program = kafka_script(),
                  .args = {"topic", fixture_.state_dir, "create", topic, "3", "--config",
                           "retention.ms=3600000"}});
  ASSERT_TRUE(ran.ok()) << ran.error();
  ASSERT_TRUE(ran->status.success()) << ran->status.describe() << "\n" << ran->stderr_text;
  EXPECT_NE(ran->stdout_text.find("Created topic " + topic), std::string::npos);
  auto parts = partitions_of(config_, topic);
  ASSERT_TRUE(parts.ok()) << parts.error();
  EXPECT_THAT(parts.value(), ElementsAre(0, 1, 2));
}

TEST_F(KafkaHarnessTest, CreatingAnExistingTopicFails) {
  const std::string topic = unique_topic_name("itest-twice");
  ASSERT_TRUE(create_topic(config_, topic, 1).ok());
  Status again = create_topic(config_, topic, 1);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kafka_code, RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) << again.error();
}

TEST_F(KafkaHarnessTest, BrokerDoesNotAutoCreateTopics) {
  const std::string topic = unique_topic_name("itest-absent");
  // A producer's metadata request asks the broker to auto-create; the broker must refuse.
  auto delivered = produce(config_, topic, {{"k", "v", {}, {}}}, milliseconds(3000));
  EXPECT_FALSE(delivered.ok());
  auto parts = partitions_of(config_, topic, milliseconds(5000));
  ASSERT_FALSE(parts.ok());
  EXPECT_EQ(parts.error().kafka_code, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) << parts.error();
  auto got = consume_all(config_, topic);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().kafka_code, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) << got.error();
}

}  // namespace
}  // namespace newswatch::itest
