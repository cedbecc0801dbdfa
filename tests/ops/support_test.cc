// The helpers the operability tests rely on: if they missed a metric name or misparsed an
// exposition, the "every metric exists" checks would pass for the wrong reason.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/ops/support/ops.h"

namespace newswatch::opstest {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

TEST(MetricNames, SelectorsFunctionsAndAggregations) {
  EXPECT_THAT(metric_names_in("up"), ElementsAre("up"));
  EXPECT_THAT(metric_names_in(R"(up{job="newswatch"} == 0)"), ElementsAre("up"));
  EXPECT_THAT(
      metric_names_in(
          R"(sum by (job, topic) (deriv(newswatch_consumer_lag_messages{job=~"$job"}[10m])) > 0)"),
      ElementsAre("newswatch_consumer_lag_messages"));
  EXPECT_THAT(
      metric_names_in("histogram_quantile(0.99, sum by (le) "
                      "(rate(newswatch_end_to_end_latency_seconds_bucket[$__rate_interval])))"),
      ElementsAre("newswatch_end_to_end_latency_seconds_bucket"));
  EXPECT_THAT(metric_names_in(
                  "sum without (reason) (rate(a_total[5m])) / on (instance) group_left (version) "
                  "b_info unless c offset 5m and bool d"),
              UnorderedElementsAre("a_total", "b_info", "c", "d"));
  EXPECT_THAT(
      metric_names_in("topk(10, sum by (rule_id) (increase(x_total{mode=\"alert\"}[$__range])))"),
      ElementsAre("x_total"));
  EXPECT_THAT(metric_names_in("time() - max(process_start_time_seconds)"),
              ElementsAre("process_start_time_seconds"));
  EXPECT_THAT(metric_names_in(R"q(label_replace(m, "dst", "$1", "src", "(.*)"))q"),
              ElementsAre("m"));
  EXPECT_THAT(metric_names_in("count(m == 0) or vector(0)"), ElementsAre("m"));
  EXPECT_THAT(metric_names_in("1 + 2.5e3 > bool 1"), IsEmpty());
  // Grafana variable queries.
  EXPECT_THAT(metric_names_in("label_values(newswatch_build_info, job)"),
              ElementsAre("newswatch_build_info"));
  EXPECT_THAT(metric_names_in(R"(label_values(newswatch_build_info{job=~"$job"}, instance))"),
              ElementsAre("newswatch_build_info"));
  EXPECT_THAT(metric_names_in("label_values(job)"), IsEmpty());
}

TEST(GrafanaVariables, AreReplacedForPrometheus) {
  EXPECT_EQ(substitute_grafana_variables(
                R"(rate(m{job=~"$job", instance=~"${instance}"}[$__rate_interval]))"),
            R"(rate(m{job=~".*", instance=~".*"}[1m]))");
  EXPECT_EQ(substitute_grafana_variables("increase(m[$__range])"), "increase(m[5m])");
  EXPECT_EQ(substitute_grafana_variables(R"q(label_replace(m, "a", "$1", "b", "(.*)"))q"),
            R"q(label_replace(m, "a", "$1", "b", "(.*)"))q");
}

TEST(DashboardQueries, FindsTargetsAnnotationsAndVariables) {
  const auto q = dashboard_queries(R"json({
    "annotations": {"list": [{"name": "reloads", "expr": "changes(a[2m]) > 0"}]},
    "templating": {"list": [
      {"name": "datasource", "type": "datasource", "query": "prometheus"},
      {"name": "job", "type": "query", "definition": "label_values(b, job)", "query": {"query": "label_values(b, job)"}}]},
    "panels": [
      {"type": "row", "title": "r", "panels": [{"title": "nested", "targets": [{"refId": "A", "expr": "c"}]}]},
      {"title": "t", "targets": [{"refId": "A", "expr": "d"}, {"refId": "B", "expr": "e"}]}]})json");
  ASSERT_TRUE(q.ok()) << q.error();
  std::vector<std::string> exprs;
  for (const auto& d : *q) exprs.push_back(d.expr);
  EXPECT_THAT(exprs,
              UnorderedElementsAre("changes(a[2m]) > 0", "label_values(b, job)", "c", "d", "e"));
  EXPECT_FALSE(dashboard_queries("{\"panels\": [").ok());
}

TEST(Exposition, ParsesSamplesLabelsAndTypes) {
  const auto e = parse_exposition(
      "# HELP a_total Help text.\n"
      "# TYPE a_total counter\n"
      "a_total{topic=\"news.fr\",rule=\"x\\\"y\"} 35\n"
      "a_total{topic=\"news.en\"} 2 1700000000000\n"
      "# TYPE h_seconds histogram\n"
      "h_seconds_bucket{le=\"+Inf\"} 3\n"
      "h_seconds_sum 0.5\n"
      "g NaN\n");
  ASSERT_TRUE(e.ok()) << e.error();
  EXPECT_EQ(e->types.at("a_total"), "counter");
  EXPECT_EQ(e->types.at("h_seconds"), "histogram");
  EXPECT_EQ(e->value("a_total", {{"topic", "news.fr"}}), 35);
  EXPECT_EQ(e->value("a_total", {{"rule", "x\"y"}}), 35);
  EXPECT_EQ(e->value("a_total"), std::nullopt);  // two samples
  EXPECT_EQ(e->sum("a_total"), 37);
  EXPECT_EQ(e->value("h_seconds_bucket", {{"le", "+Inf"}}), 3);
  EXPECT_THAT(e->sample_names(),
              UnorderedElementsAre("a_total", "h_seconds_bucket", "h_seconds_sum", "g"));
  EXPECT_FALSE(parse_exposition("a_total{topic=\"x\" 1\n").ok());
  EXPECT_FALSE(parse_exposition("a_total one\n").ok());
}

TEST(LogLines, JsonObjectsOnly) {
  const auto lines = parse_log_lines(
      "{\"ts\":\"2026-01-01T00:00:00.000Z\",\"level\":\"error\",\"msg\":\"rule "
      "error\",\"n\":3,\"ok\":true}\n"
      "not json\n"
      "{\"msg\":\"x\\ny\"}\n");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].get("level"), "error");
  EXPECT_EQ(lines[0].get("n"), "3");
  EXPECT_EQ(lines[0].get("ok"), "true");
  EXPECT_EQ(lines[1].get("msg"), "x\ny");
  EXPECT_EQ(lines[1].get("missing"), "");
}

TEST(Markdown, HeadingAnchors) {
  EXPECT_THAT(
      markdown_anchors("# Operating newswatch\n## NewswatchDown\n```\n# not a heading\n```\n"
                       "### Reload: SIGHUP, inotify & tests\n#nope\n"),
      UnorderedElementsAre("operating-newswatch", "newswatchdown", "reload-sighup-inotify--tests"));
}

}  // namespace
}  // namespace newswatch::opstest
