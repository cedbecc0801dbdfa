// The deploy/ artifacts, checked without a broker: Prometheus rules (promtool check + unit
// tests), the Grafana dashboard, the systemd unit (systemd-analyze), the Dockerfile and the
// compose file (structure; no Docker engine here), the Kubernetes manifests (structure and
// consistency with the daemon's config and the image), and every example configuration
// (`newswatch run --check`).
#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include "tests/integration/support/process.h"
#include "tests/ops/support/ops.h"

namespace newswatch::opstest {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kNewswatch = NEWSWATCH_BIN;
constexpr const char* kPromtool = NEWSWATCH_PROMTOOL;
constexpr const char* kSystemdAnalyze = NEWSWATCH_SYSTEMD_ANALYZE;
constexpr const char* kKubectl = NEWSWATCH_KUBECTL;

itest::RunResult run_ok(const itest::SpawnOptions& o) {
  auto r = itest::run(o, std::chrono::seconds(120));
  if (!r.ok()) {
    ADD_FAILURE() << r.error();
    return {};
  }
  return *r;
}

std::string must_read(const std::string& relative) {
  auto text = read_file(source_path(relative));
  EXPECT_TRUE(text.ok()) << text.error();
  return text.ok() ? *text : std::string();
}

YAML::Node must_load_yaml(const std::string& relative) {
  try {
    return YAML::LoadFile(source_path(relative));
  } catch (const YAML::Exception& e) {
    ADD_FAILURE() << relative << ": " << e.what();
    return YAML::Node();
  }
}

// The port of a "host:port" listen address.
std::string port_of(const std::string& listen) {
  return listen.substr(listen.rfind(':') + 1);
}

// Extracts the data of a ConfigMap manifest into `dir` (one file per key), as the kubelet
// mounts it.
void extract_configmap(const std::string& relative, const std::string& dir) {
  const YAML::Node cm = must_load_yaml(relative);
  ASSERT_EQ(cm["kind"].as<std::string>(""), "ConfigMap");
  for (const auto& kv : cm["data"]) {
    ASSERT_TRUE(
        write_file(dir + "/" + kv.first.as<std::string>(), kv.second.as<std::string>()).ok());
  }
}

// ---- Prometheus ------------------------------------------------------------------------------

TEST(PrometheusRules, PromtoolCheckRules) {
  if (std::string(kPromtool).empty())
    GTEST_SKIP() << "promtool not installed (Debian package prometheus)";
  const auto r =
      run_ok({.program = kPromtool,
              .args = {"check", "rules", source_path("deploy/prometheus/newswatch-alerts.yml")}});
  EXPECT_TRUE(r.status.success()) << r.stdout_text << r.stderr_text;
  EXPECT_THAT(r.stdout_text, HasSubstr("SUCCESS"));
}

TEST(PrometheusRules, PromtoolUnitTestsPass) {
  if (std::string(kPromtool).empty())
    GTEST_SKIP() << "promtool not installed (Debian package prometheus)";
  const auto r =
      run_ok({.program = kPromtool,
              .args = {"test", "rules",
                       source_path("deploy/prometheus/tests/newswatch-alerts.test.yml")}});
  EXPECT_TRUE(r.status.success()) << r.stdout_text << r.stderr_text;
  EXPECT_THAT(r.stdout_text + r.stderr_text, HasSubstr("SUCCESS"));
}

// Every alert: a severity that routes, a summary and description, a runbook that exists in
// docs/operations.md, and unit tests in which it fires and in which it must not.
TEST(PrometheusRules, EveryAlertHasRunbookAndFiringAndQuietUnitTests) {
  const auto rules = rule_exprs(must_read("deploy/prometheus/newswatch-alerts.yml"));
  ASSERT_TRUE(rules.ok()) << rules.error();
  ASSERT_GE(rules->size(), 6u);
  const auto anchors = markdown_anchors(must_read("docs/operations.md"));
  const YAML::Node tests = must_load_yaml("deploy/prometheus/tests/newswatch-alerts.test.yml");
  std::map<std::string, std::pair<int, int>> cases;  // alert -> (firing, quiet) evaluations
  for (const auto& t : tests["tests"]) {
    for (const auto& a : t["alert_rule_test"]) {
      auto& c = cases[a["alertname"].as<std::string>()];
      (a["exp_alerts"].size() > 0 ? c.first : c.second)++;
    }
  }
  std::set<std::string> names;
  for (const auto& r : *rules) {
    SCOPED_TRACE(r.name);
    names.insert(r.name);
    EXPECT_THAT(r.name, ::testing::StartsWith("Newswatch"));
    ASSERT_TRUE(r.labels.contains("severity"));
    EXPECT_TRUE(r.labels.at("severity") == "critical" || r.labels.at("severity") == "warning");
    EXPECT_FALSE(r.annotations.count("summary") == 0 || r.annotations.at("summary").empty());
    EXPECT_FALSE(r.annotations.count("description") == 0 ||
                 r.annotations.at("description").empty());
    ASSERT_TRUE(r.annotations.contains("runbook_url"));
    const std::string& url = r.annotations.at("runbook_url");
    ASSERT_THAT(url, ::testing::StartsWith("docs/operations.md#"));
    EXPECT_TRUE(anchors.contains(url.substr(url.find('#') + 1))) << "no heading for " << url;
    EXPECT_GE(cases[r.name].first, 1) << "no unit test where it fires";
    EXPECT_GE(cases[r.name].second, 1) << "no unit test where it stays quiet";
  }
  // The alerts the issue asks for.
  for (const char* wanted :
       {"NewswatchConsumerLagGrowing", "NewswatchNoArticles", "NewswatchDecodeErrorRatioHigh",
        "NewswatchProducerErrors", "NewswatchRuleReloadFailed", "NewswatchNotReady"}) {
    EXPECT_TRUE(names.contains(wanted)) << wanted;
  }
}

TEST(PrometheusRules, ComposePrometheusConfigIsValidAndNamesTheJob) {
  if (std::string(kPromtool).empty())
    GTEST_SKIP() << "promtool not installed (Debian package prometheus)";
  const auto r = run_ok(
      {.program = kPromtool,
       .args = {"check", "config", "--syntax-only", source_path("deploy/compose/prometheus.yml")}});
  EXPECT_TRUE(r.status.success()) << r.stdout_text << r.stderr_text;
  const YAML::Node cfg = must_load_yaml("deploy/compose/prometheus.yml");
  // NewswatchDown selects up{job="newswatch"}.
  EXPECT_EQ(cfg["scrape_configs"][0]["job_name"].as<std::string>(""), "newswatch");
  EXPECT_THAT(must_read("deploy/prometheus/newswatch-alerts.yml"),
              HasSubstr("up{job=\"newswatch\"}"));
}

// ---- Grafana ---------------------------------------------------------------------------------

TEST(GrafanaDashboard, IsWellFormed) {
  const std::string text = must_read("deploy/grafana/newswatch-dashboard.json");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const simdjson::padded_string padded(text);
  ASSERT_EQ(parser.parse(padded).get(doc), simdjson::SUCCESS);
  std::string_view uid, title;
  ASSERT_EQ(doc["uid"].get(uid), simdjson::SUCCESS);
  ASSERT_EQ(doc["title"].get(title), simdjson::SUCCESS);
  EXPECT_FALSE(uid.empty());
  // A datasource variable, so the dashboard imports into any Grafana.
  bool has_datasource_var = false;
  for (simdjson::dom::element v : doc["templating"]["list"].get_array()) {
    std::string_view type;
    if (v["type"].get(type) == simdjson::SUCCESS && type == "datasource") has_datasource_var = true;
  }
  EXPECT_TRUE(has_datasource_var);
  // Unique ids, every panel placed inside the 24-column grid, no two panels overlapping.
  std::set<int64_t> ids;
  struct Box {
    int64_t x, y, w, h;
    std::string title;
  };
  std::vector<Box> boxes;
  std::size_t with_targets = 0;
  for (simdjson::dom::element p : doc["panels"].get_array()) {
    int64_t id = 0;
    ASSERT_EQ(p["id"].get(id), simdjson::SUCCESS);
    EXPECT_TRUE(ids.insert(id).second) << "duplicate panel id " << id;
    Box b{};
    std::string_view t;
    if (p["title"].get(t) != simdjson::SUCCESS) t = "(untitled)";
    b.title = std::string(t);
    ASSERT_EQ(p["gridPos"]["x"].get(b.x), simdjson::SUCCESS);
    ASSERT_EQ(p["gridPos"]["y"].get(b.y), simdjson::SUCCESS);
    ASSERT_EQ(p["gridPos"]["w"].get(b.w), simdjson::SUCCESS);
    ASSERT_EQ(p["gridPos"]["h"].get(b.h), simdjson::SUCCESS);
    EXPECT_LE(b.x + b.w, 24) << b.title;
    for (const Box& o : boxes) {
      const bool overlap = b.x < o.x + o.w && o.x < b.x + b.w && b.y < o.y + o.h && o.y < b.y + b.h;
      EXPECT_FALSE(overlap) << "\"" << b.title << "\" overlaps \"" << o.title << "\"";
    }
    boxes.push_back(b);
    simdjson::dom::array targets;
    if (p["targets"].get(targets) != simdjson::SUCCESS) continue;
    ++with_targets;
    for (simdjson::dom::element tg : targets) {
      std::string_view ds;
      ASSERT_EQ(tg["datasource"]["uid"].get(ds), simdjson::SUCCESS) << b.title;
      EXPECT_EQ(ds, "${datasource}") << b.title;
    }
  }
  EXPECT_GE(with_targets, 20u);
  // Every query selects at least one metric.
  const auto queries = dashboard_queries(text);
  ASSERT_TRUE(queries.ok()) << queries.error();
  for (const auto& q : *queries)
    EXPECT_FALSE(metric_names_in(q.expr).empty()) << q.where << ": " << q.expr;
}

// What the issue asks the dashboard to show: throughput, lag, latency percentiles, alerts by
// rule and severity, errors, reloads.
TEST(GrafanaDashboard, ShowsThroughputLagLatencyAlertsErrorsReloads) {
  const auto queries = dashboard_queries(must_read("deploy/grafana/newswatch-dashboard.json"));
  ASSERT_TRUE(queries.ok()) << queries.error();
  const auto any = [&](const std::function<bool(const std::string&)>& pred) {
    return std::any_of(queries->begin(), queries->end(),
                       [&](const DashboardQuery& q) { return pred(q.expr); });
  };
  const auto has = [](const std::string& e, std::initializer_list<const char*> parts) {
    return std::all_of(parts.begin(), parts.end(),
                       [&](const char* p) { return e.find(p) != std::string::npos; });
  };
  EXPECT_TRUE(any([&](const std::string& e) {
    return has(e, {"rate(newswatch_articles_consumed_total", "by (topic)"});
  }));
  EXPECT_TRUE(any([&](const std::string& e) {
    return has(e, {"newswatch_consumer_lag_messages", "by (topic)"});
  }));
  for (const char* h : {"newswatch_article_processing_seconds_bucket",
                        "newswatch_end_to_end_latency_seconds_bucket"}) {
    for (const char* q :
         {"histogram_quantile(0.5,", "histogram_quantile(0.9,", "histogram_quantile(0.99,"}) {
      EXPECT_TRUE(any([&](const std::string& e) { return has(e, {q, h}); })) << q << " " << h;
    }
  }
  EXPECT_TRUE(any([&](const std::string& e) {
    return has(e, {"newswatch_alerts_published_total", "by (rule_id)"});
  }));
  EXPECT_TRUE(any([&](const std::string& e) {
    return has(e, {"newswatch_alerts_published_total", "by (severity)"});
  }));
  EXPECT_TRUE(any([&](const std::string& e) {
    return has(e, {"newswatch_decode_errors_total", "by (reason)"});
  }));
  EXPECT_TRUE(any([&](const std::string& e) { return has(e, {"newswatch_alerts_failed_total"}); }));
  EXPECT_TRUE(any([&](const std::string& e) {
    return has(e, {"newswatch_ruleset_reloads_total", "by (result)"});
  }));
}

// ---- systemd ---------------------------------------------------------------------------------

TEST(Systemd, UnitVerifiesAndIsHardened) {
  if (std::string(kSystemdAnalyze).empty()) GTEST_SKIP() << "systemd-analyze not installed";
  std::string unit = must_read("deploy/systemd/newswatch.service");
  EXPECT_THAT(unit, HasSubstr("\nExecReload=/bin/kill -HUP $MAINPID\n"));
  EXPECT_THAT(unit, HasSubstr("\nUser=newswatch\n"));
  // systemd-analyze verify checks that the binary exists: point the unit at the built one.
  const std::string bin = fs::weakly_canonical(kNewswatch).string();
  for (std::size_t p = unit.find("/usr/local/bin/newswatch"); p != std::string::npos;
       p = unit.find("/usr/local/bin/newswatch", p + bin.size())) {
    unit.replace(p, std::string_view("/usr/local/bin/newswatch").size(), bin);
  }
  const auto dir = make_temp_dir("newswatch-systemd");
  ASSERT_TRUE(dir.ok()) << dir.error();
  const std::string path = *dir + "/newswatch.service";
  ASSERT_TRUE(write_file(path, unit).ok());
  const auto verify = run_ok({.program = kSystemdAnalyze, .args = {"verify", path}});
  EXPECT_TRUE(verify.status.success()) << verify.stderr_text;
  // Unknown or misspelt directives are only warnings: there must be none.
  EXPECT_EQ(verify.stderr_text, "");
  // Exposure 0..100 (shown as 0.0..10.0); 20 is "OK" territory. The unit scores 11 today.
  const auto security = run_ok(
      {.program = kSystemdAnalyze, .args = {"security", "--offline=true", "--threshold=20", path}});
  EXPECT_TRUE(security.status.success()) << security.stdout_text << security.stderr_text;
  fs::remove_all(*dir);
}

// ---- Docker ----------------------------------------------------------------------------------

// No Docker engine on the test machines: the Dockerfile is checked as text, and its runtime
// package list against the libraries the binary really links.
TEST(Docker, DockerfileIsMultiStageDebian12AndNonRoot) {
  const std::string df = must_read("deploy/docker/Dockerfile");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(df, m, std::regex(R"(\nARG DEBIAN_IMAGE=(\S+)\n)")));
  EXPECT_EQ(m[1].str(), "debian:12-slim");
  const std::regex from(R"(\nFROM (\S+) AS (\S+)\n)");
  std::vector<std::string> stages;
  for (auto it = std::sregex_iterator(df.begin(), df.end(), from); it != std::sregex_iterator();
       ++it) {
    EXPECT_EQ((*it)[1].str(), "${DEBIAN_IMAGE}");
    stages.push_back((*it)[2].str());
  }
  ASSERT_EQ(stages.size(), 2u);
  EXPECT_THAT(df, HasSubstr("COPY --from=" + stages[0] + " "));
  // The last USER is numeric and not root.
  const std::regex user(R"(\nUSER (\d+)(:(\d+))?\n)");
  std::string uid;
  for (auto it = std::sregex_iterator(df.begin(), df.end(), user); it != std::sregex_iterator();
       ++it)
    uid = (*it)[1];
  ASSERT_FALSE(uid.empty());
  EXPECT_NE(uid, "0");
  EXPECT_LT(df.rfind("\nUSER "), df.rfind("\nENTRYPOINT "));
  // The build stage takes the binary from where CMake puts the `newswatch` target.
  const std::string built = fs::relative(kNewswatch, NEWSWATCH_BINARY_DIR).string();
  EXPECT_THAT(df, HasSubstr(" /build/" + built + " "))
      << "the newswatch target is built at " << built;
  EXPECT_THAT(df, HasSubstr("--target newswatch"));
  // Port, health check and config agree with the config the image ships.
  const YAML::Node cfg = must_load_yaml("deploy/docker/newswatch.yaml");
  const std::string port = port_of(cfg["metrics"]["listen"].as<std::string>());
  EXPECT_EQ(cfg["metrics"]["listen"].as<std::string>(), "0.0.0.0:" + port);
  EXPECT_THAT(df, HasSubstr("\nEXPOSE " + port + "\n"));
  EXPECT_THAT(
      df, HasSubstr("\"/usr/local/bin/newswatch-healthcheck\", \"/healthz\", \"" + port + "\"]"));
  EXPECT_EQ(cfg["rules"]["dir"].as<std::string>(), "/etc/newswatch/rules");
  // Every COPY source exists and is let through by Dockerfile.dockerignore.
  const std::string ignore = must_read("deploy/docker/Dockerfile.dockerignore");
  const std::regex copy(R"(\nCOPY (--chmod=\S+ )?([^-\s]\S*) (\S+)(?=\n))");
  int copies = 0;
  for (auto it = std::sregex_iterator(df.begin(), df.end(), copy); it != std::sregex_iterator();
       ++it) {
    const std::string src = (*it)[2];
    if (src == ".") continue;
    ++copies;
    EXPECT_TRUE(fs::exists(source_path(src))) << src;
    std::string top =
        src.substr(0, src.find('/') == std::string::npos ? src.size() : src.find('/') + 1);
    const bool allowed =
        ignore.find("\n!" + src + "\n") != std::string::npos ||
        ignore.find("\n!" + top + "\n") != std::string::npos ||
        ignore.find("\n!" + src.substr(0, src.rfind('/') + 1) + "\n") != std::string::npos;
    EXPECT_TRUE(allowed) << src << " is excluded by Dockerfile.dockerignore";
  }
  EXPECT_GE(copies, 4);
}

std::string run_text(const std::string& program, std::vector<std::string> args) {
  const auto r = run_ok({.program = program, .args = std::move(args)});
  return r.status.success() ? r.stdout_text : std::string();
}

// The runtime stage installs the Debian packages that provide every shared library of the
// binary (or a package that depends on it, or one of the base image's).
TEST(Docker, RuntimeStageInstallsEveryLinkedLibrary) {
  if (run_text("/usr/bin/which", {"dpkg-query"}).empty()) GTEST_SKIP() << "not a Debian system";
  const std::string df = must_read("deploy/docker/Dockerfile");
  const std::size_t runtime = df.find(" AS runtime\n");
  ASSERT_NE(runtime, std::string::npos);
  const std::size_t install = df.find("apt-get install", runtime);
  ASSERT_NE(install, std::string::npos);
  const std::string list = df.substr(install, df.find("&&", install) - install);
  std::set<std::string> wanted;
  const std::regex pkg(R"((lib[a-z0-9.+-]+|ca-certificates))");
  for (auto it = std::sregex_iterator(list.begin(), list.end(), pkg); it != std::sregex_iterator();
       ++it) {
    wanted.insert((*it)[1]);
  }
  ASSERT_GE(wanted.size(), 5u);
  // What those packages pull in (their installed dependencies, recursively), plus the
  // packages every debian:12-slim has.
  std::set<std::string> provided = {"libc6", "libgcc-s1", "libstdc++6"};
  std::vector<std::string> todo(wanted.begin(), wanted.end());
  while (!todo.empty()) {
    const std::string p = todo.back();
    todo.pop_back();
    if (!provided.insert(p).second && !wanted.contains(p)) continue;
    const std::string deps = run_text("dpkg-query", {"-W", "-f=${Depends}, ${Pre-Depends}", p});
    const std::regex dep(R"((?:^|[,|]\s*)([a-z0-9][a-z0-9.+-]+))");
    for (auto it = std::sregex_iterator(deps.begin(), deps.end(), dep);
         it != std::sregex_iterator(); ++it) {
      if (!provided.contains((*it)[1])) todo.push_back((*it)[1]);
    }
  }
  const std::string ldd = run_text("ldd", {kNewswatch});
  ASSERT_FALSE(ldd.empty());
  const std::regex lib(R"(=> (/\S+) \()");
  int libs = 0;
  for (auto it = std::sregex_iterator(ldd.begin(), ldd.end(), lib); it != std::sregex_iterator();
       ++it) {
    const std::string path = fs::canonical((*it)[1].str()).string();
    std::string owner = run_text("dpkg", {"-S", path});
    if (owner.empty()) {  // merged /usr: dpkg knows /lib/x86_64-linux-gnu/..., not /usr/lib/...
      owner = run_text("dpkg", {"-S", path.starts_with("/usr/") ? path.substr(4) : "/usr" + path});
    }
    ASSERT_FALSE(owner.empty()) << "no package owns " << path;
    owner = owner.substr(0, owner.find_first_of(":"));
    // A sanitizer build of the test tree links the sanitizer runtimes; the image is built
    // with the release preset, which does not.
    if (owner == "libasan8" || owner == "libubsan1" || owner == "libtsan2") continue;
    ++libs;
    EXPECT_TRUE(provided.contains(owner))
        << path << " comes from " << owner << ", which the runtime stage does not install";
  }
  EXPECT_GE(libs, 8);
}

TEST(Docker, HealthcheckScriptIsValidBash) {
  const auto r =
      run_ok({.program = "bash", .args = {"-n", source_path("deploy/docker/healthcheck.sh")}});
  EXPECT_TRUE(r.status.success()) << r.stderr_text;
  // COPY --chmod sets the mode in the image; executable in the repository too, to run by hand.
  EXPECT_NE(
      fs::status(source_path("deploy/docker/healthcheck.sh")).permissions() & fs::perms::owner_exec,
      fs::perms::none);
}

// ---- docker compose --------------------------------------------------------------------------

TEST(Compose, KafkaKraftNewswatchPrometheusGrafana) {
  const YAML::Node c = must_load_yaml("deploy/compose/docker-compose.yml");
  const std::string dir = source_path("deploy/compose");
  const YAML::Node s = c["services"];
  for (const char* name : {"kafka", "newswatch", "prometheus", "grafana"})
    ASSERT_TRUE(s[name]) << name;
  // Kafka 3.9 in KRaft mode, no ZooKeeper anywhere.
  EXPECT_THAT(s["kafka"]["image"].as<std::string>(), ::testing::StartsWith("apache/kafka:3.9"));
  EXPECT_THAT(s["kafka"]["environment"]["KAFKA_PROCESS_ROLES"].as<std::string>(),
              HasSubstr("controller"));
  EXPECT_THAT(must_read("deploy/compose/docker-compose.yml"), Not(HasSubstr("ZOOKEEPER")));
  // newswatch is built with deploy/docker/Dockerfile from the repository root.
  const YAML::Node build = s["newswatch"]["build"];
  const fs::path context = fs::path(dir) / build["context"].as<std::string>();
  EXPECT_TRUE(fs::exists(context / build["dockerfile"].as<std::string>()));
  EXPECT_EQ(fs::canonical(context), fs::canonical(source_path(".")));
  // Every bind mount exists; every published port is on loopback only.
  for (const auto& svc : s) {
    for (const auto& v : svc.second["volumes"]) {
      const std::string spec = v.as<std::string>();
      const std::string host = spec.substr(0, spec.find(':'));
      if (host.starts_with(".") || host.starts_with("/")) {
        EXPECT_TRUE(fs::exists(fs::path(dir) / host)) << svc.first << ": " << spec;
      }
    }
    for (const auto& p : svc.second["ports"]) {
      EXPECT_THAT(p.as<std::string>(), ::testing::StartsWith("127.0.0.1:")) << svc.first;
    }
  }
  // Prometheus scrapes newswatch on the port its config listens on, and loads the alert rules.
  const YAML::Node prom = must_load_yaml("deploy/compose/prometheus.yml");
  const YAML::Node image_cfg = must_load_yaml("deploy/docker/newswatch.yaml");
  EXPECT_EQ(prom["scrape_configs"][0]["dns_sd_configs"][0]["port"].as<std::string>(),
            port_of(image_cfg["metrics"]["listen"].as<std::string>()));
  bool rules_mounted = false;
  for (const auto& v : s["prometheus"]["volumes"]) {
    rules_mounted =
        rules_mounted || v.as<std::string>().starts_with("../prometheus/newswatch-alerts.yml:" +
                                                         prom["rule_files"][0].as<std::string>());
  }
  EXPECT_TRUE(rules_mounted);
  // Grafana gets the dashboard through a provider whose path is where deploy/grafana is mounted.
  const YAML::Node provider =
      must_load_yaml("deploy/compose/grafana/provisioning/dashboards/newswatch.yml");
  const std::string dash_path = provider["providers"][0]["options"]["path"].as<std::string>();
  bool dashboards_mounted = false;
  for (const auto& v : s["grafana"]["volumes"]) {
    dashboards_mounted =
        dashboards_mounted || v.as<std::string>().starts_with("../grafana:" + dash_path);
  }
  EXPECT_TRUE(dashboards_mounted);
  const YAML::Node ds =
      must_load_yaml("deploy/compose/grafana/provisioning/datasources/prometheus.yml");
  EXPECT_EQ(ds["datasources"][0]["type"].as<std::string>(), "prometheus");
  // newswatch gets more time to stop than its own shutdown timeout.
  EXPECT_EQ(s["newswatch"]["stop_signal"].as<std::string>(), "SIGTERM");
}

// ---- Kubernetes ------------------------------------------------------------------------------

int seconds_of(const std::string& duration) {  // "30s", "2m"
  const int n = std::stoi(duration);
  return duration.ends_with("m") ? n * 60 : duration.ends_with("ms") ? n / 1000 : n;
}

TEST(Kubernetes, ManifestsAreConsistentWithEachOtherTheImageAndTheConfig) {
  const YAML::Node k = must_load_yaml("deploy/kubernetes/kustomization.yaml");
  std::map<std::string, YAML::Node> by_kind_name;
  for (const auto& r : k["resources"]) {
    const YAML::Node doc = must_load_yaml("deploy/kubernetes/" + r.as<std::string>());
    ASSERT_TRUE(doc["apiVersion"] && doc["kind"] && doc["metadata"]["name"]) << r.as<std::string>();
    by_kind_name[doc["kind"].as<std::string>() + "/" + doc["metadata"]["name"].as<std::string>()] =
        doc;
  }
  ASSERT_TRUE(by_kind_name.contains("Deployment/newswatch"));
  ASSERT_TRUE(by_kind_name.contains("Service/newswatch"));
  const YAML::Node secret = must_load_yaml("deploy/kubernetes/secret.example.yaml");
  const YAML::Node dep = by_kind_name["Deployment/newswatch"];
  const YAML::Node pod = dep["spec"]["template"];
  const YAML::Node c = pod["spec"]["containers"][0];

  // The configuration the pods run with.
  const YAML::Node cm = by_kind_name["ConfigMap/newswatch-config"];
  ASSERT_TRUE(cm) << "ConfigMap newswatch-config";
  const YAML::Node cfg = YAML::Load(cm["data"]["newswatch.yaml"].as<std::string>());
  const std::string port = port_of(cfg["metrics"]["listen"].as<std::string>());
  EXPECT_EQ(cfg["metrics"]["listen"].as<std::string>(), "0.0.0.0:" + port)
      << "probes need the pod IP";

  // Ports, scrape annotations, probes.
  EXPECT_EQ(c["ports"][0]["name"].as<std::string>(), "metrics");
  EXPECT_EQ(c["ports"][0]["containerPort"].as<std::string>(), port);
  const YAML::Node ann = pod["metadata"]["annotations"];
  EXPECT_EQ(ann["prometheus.io/scrape"].as<std::string>(), "true");
  EXPECT_EQ(ann["prometheus.io/port"].as<std::string>(), port);
  EXPECT_EQ(ann["prometheus.io/path"].as<std::string>(), "/metrics");
  EXPECT_EQ(c["livenessProbe"]["httpGet"]["path"].as<std::string>(), "/healthz");
  EXPECT_EQ(c["startupProbe"]["httpGet"]["path"].as<std::string>(), "/healthz");
  EXPECT_EQ(c["readinessProbe"]["httpGet"]["path"].as<std::string>(), "/readyz");
  for (const char* probe : {"livenessProbe", "readinessProbe", "startupProbe"}) {
    EXPECT_EQ(c[probe]["httpGet"]["port"].as<std::string>(), "metrics") << probe;
  }
  const YAML::Node svc = by_kind_name["Service/newswatch"];
  EXPECT_EQ(svc["spec"]["ports"][0]["targetPort"].as<std::string>(), "metrics");
  EXPECT_FALSE(svc["metadata"]["annotations"]) << "pods and Service both annotated: scraped twice";
  for (const YAML::Node& sel : {svc["spec"]["selector"], dep["spec"]["selector"]["matchLabels"]}) {
    for (const auto& kv : sel) {
      EXPECT_EQ(pod["metadata"]["labels"][kv.first.as<std::string>()].as<std::string>(""),
                kv.second.as<std::string>());
    }
  }

  // Non-root with the image's uid, read-only root, no privilege escalation.
  const std::string df = must_read("deploy/docker/Dockerfile");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(df, m, std::regex(R"(\nUSER (\d+))")));
  EXPECT_TRUE(pod["spec"]["securityContext"]["runAsNonRoot"].as<bool>());
  EXPECT_EQ(pod["spec"]["securityContext"]["runAsUser"].as<std::string>(), m[1].str());
  EXPECT_TRUE(c["securityContext"]["readOnlyRootFilesystem"].as<bool>());
  EXPECT_FALSE(c["securityContext"]["allowPrivilegeEscalation"].as<bool>());

  // Mounts: every one has a volume; ConfigMaps and Secrets exist; the config file the args
  // name is in the config mount; the rules mount is rules.dir and not a subPath (updates).
  std::map<std::string, YAML::Node> volumes;
  for (const auto& v : pod["spec"]["volumes"])
    volumes[v["name"].as<std::string>()] = static_cast<const YAML::Node&>(v);
  std::map<std::string, std::string> mounts;  // volume -> mountPath
  for (const auto& vm : c["volumeMounts"]) {
    const std::string name = vm["name"].as<std::string>();
    ASSERT_TRUE(volumes.contains(name)) << name;
    EXPECT_FALSE(vm["subPath"]) << name << ": subPath mounts never see ConfigMap updates";
    mounts[name] = vm["mountPath"].as<std::string>();
    if (volumes[name]["configMap"]) {
      EXPECT_TRUE(by_kind_name.contains("ConfigMap/" +
                                        volumes[name]["configMap"]["name"].as<std::string>()))
          << name;
    }
    if (volumes[name]["secret"]) {
      EXPECT_EQ(volumes[name]["secret"]["secretName"].as<std::string>(),
                secret["metadata"]["name"].as<std::string>());
      for (const auto& item : volumes[name]["secret"]["items"]) {
        EXPECT_TRUE(secret["stringData"][item["key"].as<std::string>()])
            << item["key"].as<std::string>();
      }
    }
  }
  std::vector<std::string> args;
  for (const auto& a : c["args"]) args.push_back(a.as<std::string>());
  const auto cfg_arg = std::find(args.begin(), args.end(), "--config");
  ASSERT_NE(cfg_arg, args.end());
  ASSERT_NE(cfg_arg + 1, args.end());
  EXPECT_EQ(*(cfg_arg + 1), mounts["config"] + "/newswatch.yaml");
  EXPECT_EQ(mounts["rules"], cfg["rules"]["dir"].as<std::string>());
  EXPECT_TRUE(cfg["rules"]["watch"].as<bool>());
  EXPECT_EQ(cfg["kafka"]["consumer"]["ssl.ca.location"].as<std::string>(),
            mounts["kafka-ca"] + "/ca.crt");

  // Every ${VAR} of the config (without a default) is set in the container's env; secrets
  // come from the Secret.
  std::set<std::string> env;
  for (const auto& e : c["env"]) {
    env.insert(e["name"].as<std::string>());
    if (e["valueFrom"]["secretKeyRef"]) {
      const YAML::Node ref = e["valueFrom"]["secretKeyRef"];
      EXPECT_EQ(ref["name"].as<std::string>(), secret["metadata"]["name"].as<std::string>());
      EXPECT_TRUE(secret["stringData"][ref["key"].as<std::string>()])
          << ref["key"].as<std::string>();
    }
  }
  const std::string cfg_text = cm["data"]["newswatch.yaml"].as<std::string>();
  const std::regex var(R"(\$\{([A-Za-z_][A-Za-z0-9_]*)\})");
  for (auto it = std::sregex_iterator(cfg_text.begin(), cfg_text.end(), var);
       it != std::sregex_iterator(); ++it) {
    EXPECT_TRUE(env.contains((*it)[1])) << "${" << (*it)[1] << "} is not set in the pod";
  }

  // A graceful stop fits in the grace period; one pod at a time on rollouts and drains.
  EXPECT_GT(pod["spec"]["terminationGracePeriodSeconds"].as<int>(),
            seconds_of(cfg["pipeline"]["shutdown_timeout"].as<std::string>()));
  EXPECT_EQ(dep["spec"]["strategy"]["rollingUpdate"]["maxSurge"].as<int>(), 0);
  ASSERT_TRUE(by_kind_name.contains("PodDisruptionBudget/newswatch"));
  EXPECT_EQ(by_kind_name["PodDisruptionBudget/newswatch"]["spec"]["maxUnavailable"].as<int>(), 1);
}

TEST(Kubernetes, KustomizeRenders) {
  if (std::string(kKubectl).empty()) GTEST_SKIP() << "kubectl not installed";
  const auto r =
      run_ok({.program = kKubectl, .args = {"kustomize", source_path("deploy/kubernetes")}});
  ASSERT_TRUE(r.status.success()) << r.stderr_text;
  std::size_t docs = 0;
  for (const auto& d : YAML::LoadAll(r.stdout_text)) {
    ++docs;
    EXPECT_EQ(d["metadata"]["namespace"].as<std::string>(""), "newswatch");
  }
  EXPECT_EQ(docs, 5u);
  EXPECT_THAT(r.stdout_text, HasSubstr("image: registry.example.internal/newswatch:"));
}

TEST(Kubernetes, RulesConfigMapLoadsAndPassesItsTests) {
  const auto dir = make_temp_dir("newswatch-k8s-rules");
  ASSERT_TRUE(dir.ok()) << dir.error();
  extract_configmap("deploy/kubernetes/configmap-rules.yaml", *dir);
  const auto check = run_ok({.program = kNewswatch, .args = {"check", *dir}});
  EXPECT_TRUE(check.status.success()) << check.stdout_text << check.stderr_text;
  const auto test = run_ok({.program = kNewswatch, .args = {"test", *dir}});
  EXPECT_TRUE(test.status.success()) << test.stdout_text << test.stderr_text;
  fs::remove_all(*dir);
}

// ---- example configurations -------------------------------------------------------------------

constexpr const char* kSecret = "s3cr3t-Value-that-must-never-be-printed";

struct ConfigCase {
  const char* name;
  std::string config;  // path
  std::map<std::string, std::string> env;
  std::string rules;  // --rules override ("" = the file's rules.dir)
};

void expect_check_passes(const ConfigCase& c) {
  SCOPED_TRACE(c.name);
  std::vector<std::string> args = {"run", "--config", c.config, "--check"};
  if (!c.rules.empty()) {
    args.push_back("--rules");
    args.push_back(c.rules);
  }
  const auto r = run_ok({.program = kNewswatch, .args = args, .env = c.env});
  EXPECT_TRUE(r.status.success()) << r.status.describe() << "\n" << r.stderr_text;
  EXPECT_THAT(r.stderr_text, HasSubstr("configuration ok"));
  EXPECT_THAT(r.stdout_text, HasSubstr("kafka:"));  // the effective configuration
  // Secrets given through ${VAR} are never printed.
  EXPECT_THAT(r.stdout_text + r.stderr_text, Not(HasSubstr(kSecret)));
}

TEST(ExampleConfigs, EveryExampleConfigPassesCheck) {
  const std::string repo_rules = source_path("rules");
  std::vector<ConfigCase> cases = {
      {"production",
       source_path("deploy/config/newswatch.yaml"),
       {{"KAFKA_PASSWORD", kSecret}},
       repo_rules},
      {"local", source_path("deploy/config/newswatch-local.yaml"), {}, ""},
      {"embedded", source_path("deploy/config/newswatch-embedded.yaml"), {}, ""},
      {"container image",
       source_path("deploy/docker/newswatch.yaml"),
       {{"KAFKA_BROKERS", "kafka:9092"}},
       repo_rules},
  };
  // The ConfigMap's configuration with the ConfigMap's rules, as a pod mounts them.
  const auto dir = make_temp_dir("newswatch-k8s-config");
  ASSERT_TRUE(dir.ok()) << dir.error();
  ASSERT_TRUE(fs::create_directory(*dir + "/config"));
  ASSERT_TRUE(fs::create_directory(*dir + "/rules"));
  extract_configmap("deploy/kubernetes/configmap.yaml", *dir + "/config");
  extract_configmap("deploy/kubernetes/configmap-rules.yaml", *dir + "/rules");
  cases.push_back(
      {"kubernetes",
       *dir + "/config/newswatch.yaml",
       {{"KAFKA_PASSWORD", kSecret}, {"KAFKA_USERNAME", "nw"}, {"POD_NAME", "newswatch-0"}},
       *dir + "/rules"});
  // Every newswatch config file under deploy/ is one of the cases above (the Kubernetes one is
  // embedded in a ConfigMap).
  std::set<std::string> covered;
  for (const auto& c : cases) covered.insert(fs::weakly_canonical(c.config).string());
  const std::regex is_config(R"((^|\n)kafka:\s*\n)");
  for (const auto& e : fs::recursive_directory_iterator(source_path("deploy"))) {
    if (e.path().extension() != ".yaml" && e.path().extension() != ".yml") continue;
    const auto text = read_file(e.path().string());
    ASSERT_TRUE(text.ok()) << text.error();
    if (!std::regex_search(*text, is_config)) continue;
    EXPECT_TRUE(covered.contains(fs::weakly_canonical(e.path()).string()))
        << e.path() << " is a newswatch config this test does not check";
  }
  for (const auto& c : cases) expect_check_passes(c);
  fs::remove_all(*dir);
}

TEST(ExampleConfigs, ProductionConfigWithoutItsPasswordIsRefused) {
  const auto r = run_ok({.program = "/usr/bin/env",
                         .args = {"-u", "KAFKA_PASSWORD", kNewswatch, "run", "--config",
                                  source_path("deploy/config/newswatch.yaml"), "--check", "--rules",
                                  source_path("rules")}});
  EXPECT_TRUE(r.status.exited);
  EXPECT_EQ(r.status.code, 2);
  EXPECT_THAT(r.stderr_text, HasSubstr("KAFKA_PASSWORD"));
}

}  // namespace
}  // namespace newswatch::opstest
