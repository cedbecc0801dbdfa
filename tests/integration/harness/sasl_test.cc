// The SASL_PLAINTEXT listener of the `kafka` fixture: PLAIN and SCRAM-SHA-256 clients can
// produce and consume; wrong credentials are rejected as authentication failures.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/support/kafka.h"

namespace newswatch::itest {
namespace {

using std::chrono::milliseconds;

class SaslTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto fixture = KafkaFixture::from_env();
    ASSERT_TRUE(fixture.ok()) << fixture.error();
    fixture_ = fixture.value();
  }
  ClientConfig sasl(std::string_view user, std::string_view password) const {
    return ClientConfig::sasl(fixture_, GetParam(), user, password);
  }

  KafkaFixture fixture_;
};

TEST_P(SaslTest, AuthenticatedClientProducesAndConsumes) {
  const ClientConfig config = sasl(KafkaFixture::kSaslUser, KafkaFixture::kSaslPassword);
  ASSERT_TRUE(check_connection(config).ok());
  const std::string topic = unique_topic_name("itest-sasl");
  // Admin, producer and consumer all go through the SASL listener.
  Status created = create_topic(config, topic, 2);
  ASSERT_TRUE(created.ok()) << created;
  std::vector<OutgoingMessage> out;
  for (int i = 0; i < 10; ++i) {
    out.push_back({"k" + std::to_string(i), GetParam(), {{"mechanism", GetParam()}}, {}});
  }
  auto delivered = produce(config, topic, out);
  ASSERT_TRUE(delivered.ok()) << delivered.error();

  auto got = consume_all(config, topic, {.max_messages = 10});
  ASSERT_TRUE(got.ok()) << got.error();
  ASSERT_EQ(got->size(), 10u);
  for (const auto& m : got.value()) {
    EXPECT_EQ(m.value, GetParam());
    ASSERT_EQ(m.headers.size(), 1u);
    EXPECT_EQ(m.headers[0].value, GetParam());
  }
  // Same data seen through the PLAINTEXT listener: one broker, two doors.
  auto plain = consume_all(ClientConfig::plaintext(fixture_), topic, {.max_messages = 10});
  ASSERT_TRUE(plain.ok()) << plain.error();
  EXPECT_EQ(plain->size(), 10u);
}

TEST_P(SaslTest, WrongPasswordIsRejected) {
  const ClientConfig config = sasl(KafkaFixture::kSaslUser, "not-the-password");
  Status st = check_connection(config, milliseconds(15000));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kafka_code, RD_KAFKA_RESP_ERR__AUTHENTICATION) << st.error();

  // Producing fails with the authentication error too, well before the delivery timeout.
  const std::string topic = unique_topic_name("itest-sasl-denied");
  ASSERT_TRUE(create_topic(ClientConfig::plaintext(fixture_), topic, 1).ok());
  auto delivered = produce(config, topic, {{"k", "v", {}, {}}}, milliseconds(20000));
  ASSERT_FALSE(delivered.ok());
  EXPECT_EQ(delivered.error().kafka_code, RD_KAFKA_RESP_ERR__AUTHENTICATION) << delivered.error();
  // ... and nothing was written.
  auto ends = end_offsets(ClientConfig::plaintext(fixture_), topic);
  ASSERT_TRUE(ends.ok()) << ends.error();
  EXPECT_EQ(ends.value().at(0), 0);
}

TEST_P(SaslTest, UnknownUserIsRejected) {
  Status st = check_connection(sasl("nobody", KafkaFixture::kSaslPassword), milliseconds(15000));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kafka_code, RD_KAFKA_RESP_ERR__AUTHENTICATION) << st.error();
}

INSTANTIATE_TEST_SUITE_P(Mechanisms, SaslTest, ::testing::Values("PLAIN", "SCRAM-SHA-256"),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           std::string name = p.param;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace newswatch::itest
