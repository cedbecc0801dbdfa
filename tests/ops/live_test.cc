// The daemon as ops see it, against the real Kafka broker: the live /metrics of a daemon that
// has processed the demo feed passes `promtool check metrics`, contains every metric the
// dashboard and the alert rules use and every metric docs/operations.md documents; a real
// Prometheus scraping it counts exactly the articles produced, evaluates every dashboard query
// and every alert rule without error; the container health check works; secrets stay out of
// the logs; SIGTERM stops cleanly.
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include "tests/integration/support/kafka.h"
#include "tests/integration/support/net.h"
#include "tests/integration/support/process.h"
#include "tests/integration/support/prometheus.h"
#include "tests/ops/support/daemon.h"
#include "tests/ops/support/ops.h"

namespace newswatch::opstest {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kPromtool = NEWSWATCH_PROMTOOL;
constexpr const char* kSecret = "ops-s3cret-Value-never-logged";
// Series that Prometheus makes itself, not the daemon.
const std::set<std::string> kPrometheusSeries = {"up", "ALERTS", "ALERTS_FOR_STATE"};

// A daemon on fresh topics that has consumed and matched every line of the demo feed
// (deploy/demo/sample-feed.jsonl: alerts, shadow alerts, a dedup duplicate, two undecodable
// lines that go to the DLQ), with consumer lag reported for every partition.
struct FedDaemon {
  itest::KafkaFixture kafka;
  std::string input;
  std::size_t produced = 0;
  std::optional<Daemon> daemon;
  Exposition exposition;
};

void start_fed_daemon(FedDaemon& f, const std::string& log_level = "info") {
  auto kafka = itest::KafkaFixture::from_env();
  ASSERT_TRUE(kafka.ok()) << kafka.error();
  f.kafka = *kafka;
  const auto client = itest::ClientConfig::plaintext(f.kafka);
  f.input = itest::unique_topic_name("ops-articles");
  const std::string alerts = itest::unique_topic_name("ops-alerts");
  const std::string shadow = itest::unique_topic_name("ops-shadow");
  const std::string dlq = itest::unique_topic_name("ops-dlq");
  ASSERT_TRUE(itest::create_topic(client, f.input, 3).ok());
  for (const auto& t : {alerts, shadow, dlq}) ASSERT_TRUE(itest::create_topic(client, t, 1).ok());

  auto d =
      Daemon::start({.bootstrap = f.kafka.bootstrap,
                     .group = itest::unique_group_id("ops-live"),
                     .input_topics = {f.input},
                     .alert_topic = alerts,
                     .dlq_topic = dlq,
                     .shadow_topic = shadow,
                     .rules_dir = source_path("rules"),
                     .log_level = log_level,
                     // A secret the daemon is given but must never print.
                     .consumer = {{"sasl.username", "ops"}, {"sasl.password", "${NW_OPS_SECRET}"}},
                     .env = {{"NW_OPS_SECRET", kSecret}}});
  ASSERT_TRUE(d.ok()) << d.error();
  f.daemon.emplace(std::move(*d));
  ASSERT_TRUE(f.daemon->await_ready(seconds(60)).ok());

  const auto feed = read_file(source_path("deploy/demo/sample-feed.jsonl"));
  ASSERT_TRUE(feed.ok()) << feed.error();
  std::vector<itest::OutgoingMessage> messages;
  std::istringstream lines(*feed);
  // Spread over the 3 partitions explicitly: with null keys librdkafka's sticky partitioner
  // may put a fast batch in one partition, and a partition that never had a message reports
  // no consumer lag (the wait below wants lag 0 on all 3).
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) {
      messages.push_back({.value = line, .partition = static_cast<int32_t>(messages.size() % 3)});
    }
  }
  ASSERT_EQ(messages.size(), 35u);
  ASSERT_TRUE(itest::produce(client, f.input, messages).ok());
  f.produced = messages.size();

  const double n = static_cast<double>(f.produced);
  const std::string topic = f.input;
  auto e = f.daemon->await_metrics(
      [&](const Exposition& x) {
        return x.value("newswatch_articles_consumed_total", {{"topic", topic}}) == n &&
               x.value("newswatch_deliveries_in_flight") == 0.0 &&
               x.sum("newswatch_dead_letters_total") == 2 &&
               x.find("newswatch_consumer_lag_messages", {{"topic", topic}}).size() == 3 &&
               x.sum("newswatch_consumer_lag_messages", {{"topic", topic}}) == 0 &&
               x.value("newswatch_ready") == 1.0;
      },
      seconds(90), "every article consumed and delivered, lag 0 on 3 partitions");
  ASSERT_TRUE(e.ok()) << e.error();
  f.exposition = *e;
}

// Every metric name the dashboard and the alert rules use.
std::map<std::string, std::string> used_metric_names() {  // name -> where
  std::map<std::string, std::string> used;
  const auto dash = read_file(source_path("deploy/grafana/newswatch-dashboard.json"));
  EXPECT_TRUE(dash.ok());
  const auto queries = dashboard_queries(dash.ok() ? *dash : "{}");
  EXPECT_TRUE(queries.ok());
  for (const auto& q : *queries) {
    for (const auto& n : metric_names_in(q.expr)) used.emplace(n, "dashboard " + q.where);
  }
  const auto rules_text = read_file(source_path("deploy/prometheus/newswatch-alerts.yml"));
  EXPECT_TRUE(rules_text.ok());
  const auto rules = rule_exprs(rules_text.ok() ? *rules_text : "");
  EXPECT_TRUE(rules.ok());
  for (const auto& r : *rules) {
    for (const auto& n : metric_names_in(r.expr)) used.emplace(n, "alert " + r.name);
  }
  return used;
}

TEST(OpsLive, LiveMetricsPassPromtoolAndHoldEveryMetricTheDashboardAndAlertsUse) {
  FedDaemon f;
  start_fed_daemon(f, "debug");
  if (HasFatalFailure()) return;
  Daemon& d = *f.daemon;
  auto text = d.scrape();
  ASSERT_TRUE(text.ok()) << text.error();

  // 1. promtool's linter on the live exposition.
  if (std::string(kPromtool).empty()) {
    ADD_FAILURE() << "promtool not installed (Debian package prometheus)";
  } else {
    const std::string file = fs::path(d.config_path()).parent_path() / "metrics.txt";
    ASSERT_TRUE(write_file(file, *text).ok());
    auto r =
        itest::run({.program = "bash",
                    .args = {"-c", std::string("\"$0\" check metrics < \"$1\""), kPromtool, file}});
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_TRUE(r->status.success()) << r->stdout_text << r->stderr_text;
    EXPECT_EQ(r->stdout_text + r->stderr_text, "") << "promtool lint findings";
  }

  // 2. Every metric the dashboard and the alert rules use is in the exposition.
  auto parsed = parse_exposition(*text);
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  const auto names = parsed->sample_names();
  const auto used = used_metric_names();
  EXPECT_GE(used.size(), 25u);
  for (const auto& [name, where] : used) {
    if (kPrometheusSeries.contains(name)) continue;
    EXPECT_TRUE(names.contains(name))
        << name << " (used by " << where << ") is not exported by the daemon";
  }
  // ... and the series the dashboard breaks down by carry the labels it groups by.
  EXPECT_FALSE(
      parsed
          ->find("newswatch_alerts_published_total", {{"mode", "alert"}, {"severity", "critical"}})
          .empty());
  EXPECT_FALSE(parsed->find("newswatch_rule_matches_total", {{"rule_id", "alibaba-europe-finance"}})
                   .empty());
  EXPECT_GT(parsed->sum("newswatch_alerts_published_total", {{"mode", "shadow"}}), 0);
  EXPECT_EQ(parsed->sum("newswatch_alerts_suppressed_total", {{"reason", "dedup"}}), 1);
  EXPECT_EQ(parsed->sum("newswatch_decode_errors_total"), 2);
  EXPECT_EQ(parsed->find("newswatch_ruleset_info").size(), 1u);

  // 3. docs/operations.md documents every metric family the daemon exports.
  const auto ops_doc = read_file(source_path("docs/operations.md"));
  ASSERT_TRUE(ops_doc.ok()) << ops_doc.error();
  for (const auto& [family, type] : parsed->types) {
    EXPECT_THAT(*ops_doc, HasSubstr("`" + family + "`"))
        << family << " (" << type << ") is not in docs/operations.md";
  }

  // 4. The container health check (deploy/docker/healthcheck.sh) against the live listener.
  const std::string port = d.metrics_address().substr(d.metrics_address().rfind(':') + 1);
  const auto probe = [&](const std::string& path) {
    auto r = itest::run(
        {.program = "bash", .args = {source_path("deploy/docker/healthcheck.sh"), path, port}},
        seconds(30));
    return r.ok() ? r->status.code : -1;
  };
  EXPECT_EQ(probe("/healthz"), 0);
  EXPECT_EQ(probe("/readyz"), 0);
  EXPECT_EQ(probe("/no-such-path"), 1);  // 404

  // 5. The secret given through ${VAR} is in no log line, even at debug level, where the
  // effective configuration is logged with it redacted.
  const std::string log = d.process().read_stderr() + d.process().read_stdout();
  EXPECT_THAT(log, Not(HasSubstr(kSecret)));
  bool config_logged = false;
  for (const auto& l : d.logs()) {
    if (l.get("msg") == "effective configuration") {
      config_logged = true;
      EXPECT_THAT(l.get("config"), HasSubstr("[redacted]"));
    }
  }
  EXPECT_TRUE(config_logged);

  // 6. SIGTERM: a clean, complete stop; then the health check fails.
  const auto st = d.process().terminate(seconds(30));
  EXPECT_TRUE(st.success()) << st.describe();
  auto stopped = d.await_log([](const LogLine& l) { return l.get("event") == "exit"; }, seconds(5),
                             "the exit line");
  ASSERT_TRUE(stopped.ok()) << stopped.error();
  EXPECT_EQ(stopped->get("clean"), "true") << stopped->raw;
  EXPECT_EQ(probe("/healthz"), 1);
}

itest::Result<std::string> prometheus_get(const itest::PrometheusServer& p,
                                          const std::string& path) {
  auto r = itest::http_get(p.url() + path, seconds(10));
  if (!r.ok()) return r.error();
  if (r->status != 200)
    return itest::Error{path + " answered " + std::to_string(r->status) + ": " + r->body};
  return r->body;
}

TEST(OpsLive, RealPrometheusCountsEveryArticleAndEvaluatesDashboardAndAlerts) {
  FedDaemon f;
  start_fed_daemon(f);
  if (HasFatalFailure()) return;
  const std::string dir = std::string(NEWSWATCH_BINARY_DIR) + "/integration/prometheus/" +
                          itest::unique_topic_name("ops");
  fs::create_directories(dir);
  auto prom =
      itest::PrometheusServer::start(dir + "/server", {f.daemon->metrics_address()},
                                     {source_path("deploy/prometheus/newswatch-alerts.yml")});
  ASSERT_TRUE(prom.ok()) << prom.error();

  // The PromQL of the issue: exactly the number of articles produced.
  const std::string want = std::to_string(f.produced);
  auto total = prom->await_query(
      "sum(newswatch_articles_consumed_total)",
      [&](const auto& s) { return s.size() == 1 && s[0].value == want; }, seconds(90));
  ASSERT_TRUE(total.ok()) << total.error();
  auto per_topic = prom->query("newswatch_articles_consumed_total{topic=\"" + f.input + "\"}");
  ASSERT_TRUE(per_topic.ok()) << per_topic.error();
  ASSERT_EQ(per_topic->size(), 1u);
  EXPECT_EQ((*per_topic)[0].value, want);
  EXPECT_EQ((*per_topic)[0].labels.at("job"), "newswatch");

  // Every dashboard query is valid PromQL on the real data; panel queries return data (the
  // ones over Prometheus' own ALERTS series may legitimately be empty).
  const auto dash = read_file(source_path("deploy/grafana/newswatch-dashboard.json"));
  ASSERT_TRUE(dash.ok());
  const auto queries = dashboard_queries(*dash);
  ASSERT_TRUE(queries.ok()) << queries.error();
  std::size_t checked = 0;
  for (const auto& q : *queries) {
    SCOPED_TRACE(q.where + ": " + q.expr);
    std::string promql = substitute_grafana_variables(q.expr);
    if (q.is_variable) {  // label_values(selector, label): the selector must find series
      const auto open = promql.find('(');
      promql = promql.substr(open + 1, promql.rfind(',') - open - 1);
    }
    const bool may_be_empty = q.expr.find("ALERTS") != std::string::npos ||
                              q.where.find("annotations") != std::string::npos;
    auto r = prom->await_query(
        promql, [&](const auto& s) { return may_be_empty || !s.empty(); }, seconds(30),
        std::chrono::milliseconds(500));
    EXPECT_TRUE(r.ok()) << r.error();
    ++checked;
  }
  EXPECT_GE(checked, 40u);

  // Every alert rule is loaded and evaluates without error against the daemon's series.
  std::string last;
  const auto deadline = std::chrono::steady_clock::now() + seconds(60);
  std::size_t ok_rules = 0;
  std::set<std::string> firing;
  while (std::chrono::steady_clock::now() < deadline) {
    auto body = prometheus_get(*prom, "/api/v1/rules");
    ASSERT_TRUE(body.ok()) << body.error();
    last = *body;
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    const simdjson::padded_string padded(*body);
    ASSERT_EQ(parser.parse(padded).get(doc), simdjson::SUCCESS);
    ok_rules = 0;
    bool all_evaluated = true;
    for (simdjson::dom::element g : doc["data"]["groups"].get_array()) {
      for (simdjson::dom::element r : g["rules"].get_array()) {
        std::string_view health, name, state;
        if (r["health"].get(health) != simdjson::SUCCESS) health = "";
        if (r["name"].get(name) != simdjson::SUCCESS) name = "";
        if (r["state"].get(state) != simdjson::SUCCESS) state = "";
        all_evaluated = all_evaluated && health != "unknown";
        if (health == "ok") ++ok_rules;
        if (state == "firing" || state == "pending") firing.insert(std::string(name));
      }
    }
    if (all_evaluated) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // polling, bounded by deadline
  }
  const auto rules = rule_exprs(*read_file(source_path("deploy/prometheus/newswatch-alerts.yml")));
  ASSERT_TRUE(rules.ok());
  EXPECT_EQ(ok_rules, rules->size()) << last;
  // A healthy daemon that has just matched the demo feed: only the decode error ratio (2 of 35
  // lines are broken on purpose, 5.7% > 5%) and the "no articles" rate (the feed ended) can
  // be pending; nothing else.
  for (const auto& name : firing) {
    EXPECT_TRUE(name == "NewswatchDecodeErrorRatioHigh" || name == "NewswatchNoArticles")
        << name << " is active";
  }
}

}  // namespace
}  // namespace newswatch::opstest
