// scripts/prometheus.sh + PrometheusServer: a real Prometheus scrapes an exposition served by
// the test and evaluates an alerting rule; values are read back through the query API.
#include "tests/integration/support/prometheus.h"

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/integration/support/kafka.h"
#include "tests/integration/support/net.h"

namespace newswatch::itest {
namespace {

using std::chrono::seconds;

std::string exposition(const std::string& run, uint64_t value) {
  return "# HELP newswatch_itest_probe_total Probe counter served by the integration test.\n"
         "# TYPE newswatch_itest_probe_total counter\n"
         "newswatch_itest_probe_total{run=\"" +
         run + "\"} " + std::to_string(value) + "\n";
}

bool has_value(const std::vector<PromSample>& samples, const std::string& value) {
  return samples.size() == 1 && samples[0].value == value;
}

TEST(PrometheusTest, ScrapesTheTestEndpointAndEvaluatesRules) {
  const std::string run = unique_topic_name("run");
  const uint64_t value = 1000000 + std::random_device{}() % 1000000;  // unique per run
  auto exporter = HttpTextServer::start("/metrics", exposition(run, value));
  ASSERT_TRUE(exporter.ok()) << exporter.error();

  const std::string dir = std::string(NEWSWATCH_BINARY_DIR) + "/integration/prometheus/" + run;
  std::filesystem::create_directories(dir);
  const std::string rules = dir + "/rules.yml";
  std::ofstream(rules) << "groups:\n"
                          "  - name: itest\n"
                          "    rules:\n"
                          "      - alert: NewswatchItestProbeHigh\n"
                          "        expr: newswatch_itest_probe_total > 1000\n"
                          "        labels: {severity: test}\n";
  auto prom = PrometheusServer::start(dir + "/server", {(*exporter)->address()}, {rules});
  ASSERT_TRUE(prom.ok()) << prom.error();

  const std::string series = "newswatch_itest_probe_total{run=\"" + run + "\"}";
  auto got = prom->await_query(
      series, [&](const auto& s) { return has_value(s, std::to_string(value)); }, seconds(60));
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_EQ((*got)[0].labels.at("instance"), (*exporter)->address());
  EXPECT_GE((*exporter)->requests(), 1u);

  // The scrape is live: a new value shows up.
  (*exporter)->set_body(exposition(run, value + 1));
  got = prom->await_query(
      series, [&](const auto& s) { return has_value(s, std::to_string(value + 1)); }, seconds(30));
  ASSERT_TRUE(got.ok()) << got.error();

  // The rule file was loaded and its alert fires.
  auto alerts = prom->await_query(
      "ALERTS{alertname=\"NewswatchItestProbeHigh\",alertstate=\"firing\",run=\"" + run + "\"}",
      [](const auto& s) { return s.size() == 1; }, seconds(30));
  ASSERT_TRUE(alerts.ok()) << alerts.error();
  EXPECT_EQ((*alerts)[0].labels.at("severity"), "test");

  // A query error is an error value, not a crash.
  auto bad = prom->query("sum(");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("HTTP 400"), std::string::npos) << bad.error();
}

TEST(PrometheusTest, StartFailsCleanlyOnABadRuleFile) {
  const std::string dir =
      std::string(NEWSWATCH_BINARY_DIR) + "/integration/prometheus/" + unique_topic_name("bad");
  std::filesystem::create_directories(dir);
  const std::string rules = dir + "/rules.yml";
  std::ofstream(rules)
      << "groups:\n  - name: x\n    rules:\n      - alert: A\n        expr: sum(\n";
  auto prom = PrometheusServer::start(dir + "/server", {"127.0.0.1:9"}, {rules});
  ASSERT_FALSE(prom.ok());
  EXPECT_NE(prom.error().message.find("promtool"), std::string::npos) << prom.error();
}

}  // namespace
}  // namespace newswatch::itest
