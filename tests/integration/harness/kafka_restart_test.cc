// scripts/kafka.sh restart keeps data, ports and consumer-group offsets: what the broker-restart
// tests of the daemon rely on. Runs serially (RUN_SERIAL): it takes the shared broker away for a
// few seconds.
#include <cerrno>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>

#include "tests/integration/support/kafka.h"
#include "tests/integration/support/process.h"

namespace newswatch::itest {
namespace {

std::string read_pid(const std::string& state_dir) {
  std::ifstream in(state_dir + "/pid");
  std::string pid;
  in >> pid;
  return pid;
}

TEST(KafkaRestartTest, RestartKeepsTopicsMessagesOffsetsAndAddresses) {
  auto before = KafkaFixture::from_env();
  ASSERT_TRUE(before.ok()) << before.error();
  const ClientConfig config = ClientConfig::plaintext(before.value());
  const std::string topic = unique_topic_name("itest-restart");
  const std::string group = unique_group_id("itest-restart");
  ASSERT_TRUE(create_topic(config, topic, 2).ok());
  std::vector<OutgoingMessage> out;
  for (int i = 0; i < 20; ++i) {
    out.push_back({"k" + std::to_string(i), "v" + std::to_string(i), {{"h", "x"}}, {}});
  }
  auto delivered = produce(config, topic, out);
  ASSERT_TRUE(delivered.ok()) << delivered.error();
  auto first = consume_all(config, topic, {.max_messages = 20, .group_id = group, .commit = true});
  ASSERT_TRUE(first.ok()) << first.error();
  ASSERT_EQ(first->size(), 20u);
  const std::string old_pid = read_pid(before->state_dir);
  ASSERT_FALSE(old_pid.empty());

  SpawnOptions restart{.program = kafka_script(), .args = {"restart", before->state_dir}};
  auto ran = run(restart, std::chrono::seconds(240));
  ASSERT_TRUE(ran.ok()) << ran.error();
  ASSERT_TRUE(ran->status.success()) << ran->status.describe() << "\n" << ran->stderr_text;

  // A new JVM, the old one gone, on the same addresses.
  auto after = KafkaFixture::from_env();
  ASSERT_TRUE(after.ok()) << after.error();
  EXPECT_EQ(after->bootstrap, before->bootstrap);
  EXPECT_EQ(after->sasl_bootstrap, before->sasl_bootstrap);
  const std::string new_pid = read_pid(after->state_dir);
  EXPECT_NE(new_pid, old_pid);
  EXPECT_EQ(::kill(std::stoi(old_pid), 0), -1);
  EXPECT_EQ(errno, ESRCH);

  // The same messages, headers included, and the group's offsets survived.
  auto again = consume_all(config, topic, {.stop_at_end = true});
  ASSERT_TRUE(again.ok()) << again.error();
  ASSERT_EQ(again->size(), 20u);
  for (std::size_t i = 0; i < 20; ++i) {
    bool found = false;
    for (const auto& m : again.value()) {
      if (m.partition == (*first)[i].partition && m.offset == (*first)[i].offset) {
        found = true;
        EXPECT_EQ(m.key, (*first)[i].key);
        EXPECT_EQ(m.value, (*first)[i].value);
        EXPECT_EQ(m.headers, (*first)[i].headers);
      }
    }
    EXPECT_TRUE(found) << "message " << i << " lost";
  }
  auto committed = committed_offsets(config, group, topic);
  ASSERT_TRUE(committed.ok()) << committed.error();
  auto ends = end_offsets(config, topic);
  ASSERT_TRUE(ends.ok()) << ends.error();
  EXPECT_EQ(committed.value(), ends.value());

  // And it takes new writes.
  auto more = produce(config, topic, {{"after", "restart", {}, {}}});
  ASSERT_TRUE(more.ok()) << more.error();
}

}  // namespace
}  // namespace newswatch::itest
