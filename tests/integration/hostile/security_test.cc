// Kafka security and exposure of `newswatch run` against the real broker:
//  - SASL/PLAIN and SASL/SCRAM-SHA-256, configured only through the kafka.consumer /
//    kafka.producer pass-through properties, with the password from the environment
//    (${VAR}): articles in, alerts out, through the SASL_PLAINTEXT listener;
//  - a wrong password: the daemon reports the authentication failure and never becomes ready;
//  - the password never appears in anything the daemon writes (debug log level, librdkafka
//    debug contexts, `--check` output);
//  - the metrics listener binds exactly the configured address, and the documented default.
#include <chrono>
#include <csignal>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/hostile/hostile_support.h"
#include "tests/integration/support/kafka.h"
#include "tests/integration/support/net.h"
#include "tests/integration/support/process.h"

namespace newswatch::itest::hostile {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kRules = R"(rules:
  - id: sasl-banque
    query: banque
)";

// Never used as a real password anywhere else; its absence from the output is checked.
constexpr std::string_view kWrongPassword = "wrong-pw-7f3c9e1a";

class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto fixture = KafkaFixture::from_env();
    ASSERT_TRUE(fixture.ok()) << fixture.error();
    fixture_ = fixture.value();
    plain_ = ClientConfig::plaintext(fixture_);
  }

  // A daemon config whose consumer and producer talk SASL through the pass-through maps, the
  // password coming from NW_TEST_KAFKA_PASSWORD.
  DaemonConfig sasl_config(const std::string& dir, const std::string& mechanism) {
    DaemonConfig dc;
    dc.brokers = fixture_.sasl_bootstrap;
    dc.group = unique_group_id("sasl");
    dc.input_topic = unique_topic_name("sasl-in");
    dc.alert_topic = unique_topic_name("sasl-alerts");
    dc.rules_dir = dir + "/rules";
    dc.metrics_listen = "127.0.0.1:0";
    dc.log_level = "debug";
    for (auto* m : {&dc.consumer, &dc.producer}) {
      (*m)["security.protocol"] = "SASL_PLAINTEXT";
      (*m)["sasl.mechanism"] = mechanism;
      (*m)["sasl.username"] = std::string(KafkaFixture::kSaslUser);
      (*m)["sasl.password"] = "${NW_TEST_KAFKA_PASSWORD}";
      // librdkafka's own debug output for the security handshake goes to the daemon's log.
      (*m)["debug"] = "security,broker,conf";
    }
    return dc;
  }

  KafkaFixture fixture_;
  ClientConfig plain_;
};

class SaslDaemonTest : public SecurityTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(SaslDaemonTest, AlertsFlowOverSaslAndThePasswordIsNeverWritten) {
  auto dir = make_test_dir("sasl-" + GetParam());
  ASSERT_TRUE(dir.ok()) << dir.error();
  ASSERT_TRUE(write_file(*dir + "/rules/r.yaml", kRules).ok());
  const DaemonConfig dc = sasl_config(*dir, GetParam());
  ASSERT_TRUE(create_topic(plain_, dc.input_topic, 2).ok());
  ASSERT_TRUE(create_topic(plain_, dc.alert_topic, 1).ok());
  auto config = write_config(*dir, "daemon", dc);
  ASSERT_TRUE(config.ok()) << config.error();
  const std::string password(KafkaFixture::kSaslPassword);

  auto daemon = Daemon::start(*config, {{"NW_TEST_KAFKA_PASSWORD", password}});
  ASSERT_TRUE(daemon.ok()) << daemon.error();
  auto assigned = daemon->await_log("partitions assigned", 60s);
  ASSERT_TRUE(assigned.ok()) << assigned.error();

  std::vector<OutgoingMessage> in;
  for (int i = 0; i < 6; ++i) {
    in.push_back({"a" + std::to_string(i), R"({"id":"sasl-)" + std::to_string(i) +
                                               R"(","title":"banque )" + GetParam() + R"("})"});
  }
  in.push_back({"x", R"({"id":"sasl-none","title":"rien"})"});
  ASSERT_TRUE(produce(plain_, dc.input_topic, in).ok());
  auto got = consume_all(plain_, dc.alert_topic, {.max_messages = 6, .timeout = 90s});
  ASSERT_TRUE(got.ok()) << got.error();
  ASSERT_EQ(got->size(), 6u) << daemon->log_tail();
  for (const auto& m : got.value()) {
    auto a = parse_alert(m.value.value_or(""));
    ASSERT_TRUE(a.ok()) << a.error();
    EXPECT_EQ(a->rule_id, "sasl-banque");
  }
  // The consumer group really is the daemon's, over SASL: its offsets reach the end.
  ASSERT_TRUE(await_committed_at_end(plain_, dc.group, dc.input_topic, 60s).ok());

  // Ready, with the scrape answering.
  auto address = daemon->metrics_address(10s);
  ASSERT_TRUE(address.ok()) << address.error();
  EXPECT_TRUE(poll_until(
      [&] {
        auto r = http_get("http://" + *address + "/readyz");
        return r.ok() && r->status == 200;
      },
      30s));

  ASSERT_TRUE(daemon->process().signal(SIGTERM).ok());
  const auto status = daemon->process().wait_for(60s);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->success()) << status->describe();

  const std::string everything = daemon->output();
  // The debug contexts were on (so this checks something), and the secret is not there.
  EXPECT_NE(everything.find("sasl.mechanism"), std::string::npos) << "no configuration logged";
  EXPECT_NE(everything.find("rdkafka"), std::string::npos) << "no librdkafka log line";
  EXPECT_EQ(everything.find(password), std::string::npos)
      << "the SASL password appears in the daemon's output";
}

// Test names: PLAIN, SCRAM_SHA_256.
std::string mechanism_name(const ::testing::TestParamInfo<std::string>& param) {
  std::string n = param.param;
  for (char& c : n) c = c == '-' ? '_' : c;
  return n;
}

INSTANTIATE_TEST_SUITE_P(Mechanisms, SaslDaemonTest,
                         ::testing::Values(std::string("PLAIN"), std::string("SCRAM-SHA-256")),
                         mechanism_name);

TEST_F(SecurityTest, WrongPasswordIsReportedNeverLoggedAndTheDaemonIsNotReady) {
  auto dir = make_test_dir("sasl-wrong");
  ASSERT_TRUE(dir.ok()) << dir.error();
  ASSERT_TRUE(write_file(*dir + "/rules/r.yaml", kRules).ok());
  DaemonConfig dc = sasl_config(*dir, "SCRAM-SHA-256");
  ASSERT_TRUE(create_topic(plain_, dc.input_topic, 1).ok());
  ASSERT_TRUE(create_topic(plain_, dc.alert_topic, 1).ok());
  auto config = write_config(*dir, "daemon", dc);
  ASSERT_TRUE(config.ok()) << config.error();

  auto daemon = Daemon::start(*config, {{"NW_TEST_KAFKA_PASSWORD", std::string(kWrongPassword)}});
  ASSERT_TRUE(daemon.ok()) << daemon.error();
  auto failure =
      daemon->await_log("uthentication", 60s);  // "Authentication failed", _AUTHENTICATION
  ASSERT_TRUE(failure.ok()) << failure.error();
  auto address = daemon->metrics_address(10s);
  ASSERT_TRUE(address.ok()) << address.error();
  auto ready = http_get("http://" + *address + "/readyz");
  ASSERT_TRUE(ready.ok()) << ready.error();
  EXPECT_EQ(ready->status, 503) << ready->body;
  EXPECT_FALSE(daemon->process().poll().has_value()) << "the daemon should keep retrying";

  ASSERT_TRUE(daemon->process().signal(SIGTERM).ok());
  const auto status = daemon->process().wait_for(60s);
  ASSERT_TRUE(status.has_value()) << "no exit after SIGTERM\n" << daemon->log_tail();
  const std::string everything = daemon->output();
  EXPECT_EQ(everything.find(kWrongPassword), std::string::npos)
      << "the SASL password appears in the daemon's output";
}

TEST_F(SecurityTest, CheckModeRedactsEverySecret) {
  auto dir = make_test_dir("check-redact");
  ASSERT_TRUE(dir.ok()) << dir.error();
  ASSERT_TRUE(write_file(*dir + "/rules/r.yaml", kRules).ok());
  DaemonConfig dc = sasl_config(*dir, "PLAIN");
  dc.consumer["sasl.jaas.config"] =
      "org.apache.kafka.common.security.plain.PlainLoginModule "
      "required username=\"u\" password=\"jaas-pw-3b1d\";";
  dc.producer["ssl.key.password"] = "key-pw-99c2";
  auto config = write_config(*dir, "daemon", dc);
  ASSERT_TRUE(config.ok()) << config.error();
  SpawnOptions o{.program = newswatch_binary(), .args = {"run", "--config", *config, "--check"}};
  o.env["NW_TEST_KAFKA_PASSWORD"] = "env-pw-51ae";
  auto r = run(o, 60s);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_TRUE(r->status.success()) << r->stderr_text;
  const std::string all = r->stdout_text + r->stderr_text;
  EXPECT_NE(all.find("\"sasl.password\": \"[redacted]\""), std::string::npos) << all;
  for (const char* secret : {"env-pw-51ae", "jaas-pw-3b1d", "key-pw-99c2"}) {
    EXPECT_EQ(all.find(secret), std::string::npos) << secret << " in\n" << all;
  }
}

// ---- the metrics listener ------------------------------------------------------------------

TEST_F(SecurityTest, MetricsListenerBindsExactlyTheConfiguredAddress) {
  auto dir = make_test_dir("metrics-bind");
  ASSERT_TRUE(dir.ok()) << dir.error();
  ASSERT_TRUE(write_file(*dir + "/rules/r.yaml", kRules).ok());
  DaemonConfig dc;
  dc.brokers = fixture_.bootstrap;
  dc.group = unique_group_id("bind");
  dc.input_topic = unique_topic_name("bind-in");
  dc.alert_topic = unique_topic_name("bind-alerts");
  dc.rules_dir = *dir + "/rules";
  ASSERT_TRUE(create_topic(plain_, dc.input_topic, 1).ok());
  ASSERT_TRUE(create_topic(plain_, dc.alert_topic, 1).ok());
  // 127.0.0.2 is loopback too, but a distinct address: a listener on 0.0.0.0 or 127.0.0.1
  // would answer on the other one.
  auto port = free_port();
  ASSERT_TRUE(port.ok()) << port.error();
  const std::string listen = "127.0.0.2:" + std::to_string(port.value());
  dc.metrics_listen = listen;
  auto config = write_config(*dir, "daemon", dc);
  ASSERT_TRUE(config.ok()) << config.error();
  auto daemon = Daemon::start(*config);
  ASSERT_TRUE(daemon.ok()) << daemon.error();
  auto address = daemon->metrics_address(60s);
  ASSERT_TRUE(address.ok()) << address.error();
  EXPECT_EQ(*address, listen);
  auto on = http_get("http://" + listen + "/metrics");
  ASSERT_TRUE(on.ok()) << on.error();
  EXPECT_EQ(on->status, 200);
  EXPECT_NE(on->body.find("newswatch_article_processing_seconds"), std::string::npos);
  auto other = http_get("http://127.0.0.1:" + std::to_string(port.value()) + "/metrics", 2s);
  EXPECT_FALSE(other.ok()) << "the listener answers on 127.0.0.1 too";
  daemon->process().terminate(30s);
}

TEST_F(SecurityTest, EmptyListenAddressServesNothing) {
  auto dir = make_test_dir("metrics-off");
  ASSERT_TRUE(dir.ok()) << dir.error();
  ASSERT_TRUE(write_file(*dir + "/rules/r.yaml", kRules).ok());
  DaemonConfig dc;
  dc.brokers = fixture_.bootstrap;
  dc.group = unique_group_id("nolisten");
  dc.input_topic = unique_topic_name("nolisten-in");
  dc.alert_topic = unique_topic_name("nolisten-alerts");
  dc.rules_dir = *dir + "/rules";
  dc.metrics_listen = "";
  ASSERT_TRUE(create_topic(plain_, dc.input_topic, 1).ok());
  ASSERT_TRUE(create_topic(plain_, dc.alert_topic, 1).ok());
  auto config = write_config(*dir, "daemon", dc);
  ASSERT_TRUE(config.ok()) << config.error();
  auto daemon = Daemon::start(*config);
  ASSERT_TRUE(daemon.ok()) << daemon.error();
  ASSERT_TRUE(daemon->await_log("partitions assigned", 60s).ok()) << daemon->log_tail();
  EXPECT_EQ(daemon->log().find("serving /metrics"), std::string::npos);
  daemon->process().terminate(30s);
}

TEST_F(SecurityTest, DefaultListenAddressIsLoopbackAndDocumented) {
  auto dir = make_test_dir("metrics-default");
  ASSERT_TRUE(dir.ok()) << dir.error();
  ASSERT_TRUE(write_file(*dir + "/rules/r.yaml", kRules).ok());
  // No metrics section at all.
  const std::string yaml = "kafka:\n  brokers: " + fixture_.bootstrap +
                           "\n  input_topics: [x]\n  alert_topic: y\nrules:\n  dir: " + *dir +
                           "/rules\n";
  ASSERT_TRUE(write_file(*dir + "/daemon.yaml", yaml).ok());
  auto r = run({.program = newswatch_binary(),
                .args = {"run", "--config", *dir + "/daemon.yaml", "--check"}},
               60s);
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_TRUE(r->status.success()) << r->stderr_text;
  EXPECT_NE(r->stdout_text.find("listen: \"127.0.0.1:9464\""), std::string::npos) << r->stdout_text;
  std::ifstream in(std::string(NEWSWATCH_SOURCE_DIR) + "/docs/configuration.md");
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(doc.find("| `metrics.listen` | string | `127.0.0.1:9464` |"), std::string::npos);
}

}  // namespace
}  // namespace newswatch::itest::hostile
