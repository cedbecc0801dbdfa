// Prints the /metrics answer of a fully populated Metrics registry, as served by HttpServer,
// for `promtool check metrics` (ctest telemetry.promtool_check_metrics). Every metric family
// gets at least one sample first. Exit status 1 when the server cannot be started or scraped.
#include <cstdio>
#include <string>
#include <vector>

#include "daemon/telemetry/http_server.h"
#include "daemon/telemetry/metrics.h"

#include "tests/telemetry/test_support.h"

int main() {
  using namespace newswatch;
  using namespace newswatch::telemetry;
  MetricsOptions options;
  options.input_topics = {"news.fr", "news.en"};
  options.max_rule_series = 3;
  options.version = "0.1.0";
  options.revision = "abc1234";
  Metrics m(options);

  m.topic("news.fr").articles_consumed->Increment();
  m.topic("news.fr").bytes_consumed->Increment(2048);
  m.decode_error(decode::DecodeErrorCode::kInvalidJson).Increment();
  m.dead_letters.Increment();
  m.skipped_messages.Increment();
  m.repaired_articles.Increment();
  m.queue_depth.Set(3);
  m.queue_capacity.Set(1024);
  m.consumer_pauses.Increment();
  m.rebalances.Increment();
  m.revokes.Increment();
  m.offsets_committed.Increment();
  m.offset_commit_errors.Increment();
  m.processing_seconds.Observe(0.0003);
  m.alerts_suppressed.Increment();
  m.alerts_truncated.Increment();
  m.shadow_unpublished.Increment();
  m.near_truncated.Increment();
  m.alerts_failed.Increment();
  m.end_to_end_seconds.Observe(0.2);
  m.deliveries_in_flight.Set(2);
  m.reloads_ok.Increment();
  m.reloads_failed.Increment();
  m.last_reload_timestamp.Set(1795676390);
  m.ready.Set(1);

  const auto rules = testing::load_rules(testing::rules_yaml(5));
  if (!rules) {
    std::fprintf(stderr, "rule set did not load\n");
    return 1;
  }
  const auto per_rule = m.publish_rule_set(*rules);
  for (auto* c : per_rule->matches) c->Increment();
  for (auto* c : per_rule->alerts) c->Increment();
  const std::vector<Metrics::PartitionLag> lags = {{"news.fr", 0, 12}, {"news.en", 3, 0}};
  m.set_consumer_lag(lags);

  std::string error;
  const auto server = HttpServer::start(
      "127.0.0.1:0", m.registry(),
      [] {
        return Readiness{true, ""};
      },
      &error);
  if (!server) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  const auto r = testing::http_get(server->port(), "/metrics");
  if (r.status != 200) {
    std::fprintf(stderr, "GET /metrics: status %d\n", r.status);
    return 1;
  }
  std::fwrite(r.body.data(), 1, r.body.size(), stdout);
  return 0;
}
