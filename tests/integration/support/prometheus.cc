#include "tests/integration/support/prometheus.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include <simdjson.h>

#include "tests/integration/support/kafka.h"
#include "tests/integration/support/net.h"
#include "tests/integration/support/process.h"

namespace newswatch::itest {
namespace {

using Clock = std::chrono::steady_clock;

Result<std::vector<PromSample>> decode_vector(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json).get(doc) != simdjson::SUCCESS) {
    return Error{"prometheus: response is not JSON: " + json};
  }
  std::string_view status;
  if (doc["status"].get(status) != simdjson::SUCCESS || status != "success") {
    return Error{"prometheus: query failed: " + json};
  }
  std::string_view type;
  simdjson::dom::array result;
  if (doc["data"]["resultType"].get(type) != simdjson::SUCCESS || type != "vector" ||
      doc["data"]["result"].get(result) != simdjson::SUCCESS) {
    return Error{"prometheus: not an instant vector: " + json};
  }
  std::vector<PromSample> out;
  for (simdjson::dom::element item : result) {
    PromSample s;
    simdjson::dom::object metric;
    if (item["metric"].get(metric) == simdjson::SUCCESS) {
      for (auto field : metric) {
        std::string_view v;
        if (field.value.get(v) == simdjson::SUCCESS) s.labels[std::string(field.key)] = v;
      }
    }
    simdjson::dom::array value;
    std::string_view v;
    if (item["value"].get(value) != simdjson::SUCCESS || value.at(0).get(s.timestamp) ||
        value.at(1).get(v)) {
      return Error{"prometheus: malformed sample in " + json};
    }
    s.value = v;
    out.push_back(std::move(s));
  }
  return out;
}

std::string describe(const std::vector<PromSample>& samples) {
  std::ostringstream ss;
  ss << samples.size() << " sample(s)";
  for (const auto& s : samples) {
    ss << " {";
    for (const auto& [k, v] : s.labels) ss << k << "=\"" << v << "\",";
    ss << "} " << s.value << ";";
  }
  return ss.str();
}

}  // namespace

Result<PrometheusServer> PrometheusServer::start(const std::string& state_dir,
                                                 const std::vector<std::string>& targets,
                                                 const std::vector<std::string>& rule_files) {
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec) return Error{"create " + state_dir + ": " + ec.message()};
  const std::string dir = std::filesystem::absolute(state_dir).string();
  SpawnOptions o{.program = prometheus_script(), .args = {"start", dir}};
  for (const auto& r : rule_files) {
    o.args.push_back("--rules");
    o.args.push_back(r);
  }
  o.args.insert(o.args.end(), targets.begin(), targets.end());
  o.stdout_path = dir + "/start.stdout";
  o.stderr_path = dir + "/start.stderr";
  auto ran = run(o, std::chrono::seconds(90));
  if (!ran.ok()) return ran.error();
  PrometheusServer server;
  server.state_dir_ = dir;  // from here on, the destructor stops whatever was started
  if (!ran->status.success()) {
    return Error{"prometheus.sh start: " + ran->status.describe() + "\n" + ran->stderr_text};
  }
  std::ifstream in(dir + "/url");
  if (!(in >> server.url_)) return Error{"prometheus.sh start wrote no " + dir + "/url"};
  return server;
}

PrometheusServer::PrometheusServer(PrometheusServer&& other) noexcept
    : state_dir_(std::exchange(other.state_dir_, {})), url_(std::exchange(other.url_, {})) {}

PrometheusServer& PrometheusServer::operator=(PrometheusServer&& other) noexcept {
  if (this != &other) {
    stop();
    state_dir_ = std::exchange(other.state_dir_, {});
    url_ = std::exchange(other.url_, {});
  }
  return *this;
}

PrometheusServer::~PrometheusServer() {
  stop();
}

void PrometheusServer::stop() {
  if (state_dir_.empty()) return;
  SpawnOptions o{.program = prometheus_script(), .args = {"stop", state_dir_}};
  o.stdout_path = state_dir_ + "/stop.stdout";
  o.stderr_path = state_dir_ + "/stop.stderr";
  [[maybe_unused]] auto ignored = run(o, std::chrono::seconds(60));  // nothing to do on failure
  state_dir_.clear();
  url_.clear();
}

Result<std::string> PrometheusServer::query_json(const std::string& promql) const {
  auto resp = http_get(url_ + "/api/v1/query?query=" + url_encode(promql));
  if (!resp.ok()) return resp.error();
  if (resp->status != 200) {
    return Error{"prometheus query '" + promql + "': HTTP " + std::to_string(resp->status) + ": " +
                 resp->body};
  }
  return std::move(resp->body);
}

Result<std::vector<PromSample>> PrometheusServer::query(const std::string& promql) const {
  auto json = query_json(promql);
  if (!json.ok()) return json.error();
  return decode_vector(json.value());
}

Result<std::vector<PromSample>> PrometheusServer::await_query(
    const std::string& promql, const std::function<bool(const std::vector<PromSample>&)>& accept,
    std::chrono::milliseconds timeout, std::chrono::milliseconds interval) const {
  const auto deadline = Clock::now() + timeout;
  std::string last = "no answer";
  while (true) {
    auto samples = query(promql);
    if (samples.ok()) {
      if (accept(samples.value())) return samples;
      last = describe(samples.value());
    } else {
      last = samples.error().message;
    }
    if (Clock::now() + interval >= deadline) break;
    std::this_thread::sleep_for(interval);
  }
  return Error{"timed out after " + std::to_string(timeout.count()) + " ms waiting for '" + promql +
               "'; last result: " + last};
}

}  // namespace newswatch::itest
