// A real Prometheus server for integration tests, started through scripts/prometheus.sh
// (Debian's /usr/bin/prometheus on a free loopback port, scraping its targets every second).
//
//   auto prom = itest::PrometheusServer::start(state_dir, {exporter.address()});
//   ASSERT_TRUE(prom.ok()) << prom.error();
//   auto samples = prom->await_query("my_counter_total", [](const auto& s) { return !s.empty(); },
//                                    30s);
//
// The server is stopped when the object is destroyed; its log (state_dir/prometheus.log) and
// generated config are kept. Not thread-safe (one owner), but query() only does an HTTP GET
// and may be called from any thread while the owner does not destroy the object.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/support/result.h"

namespace newswatch::itest {

// One element of an instant-vector query result.
struct PromSample {
  std::map<std::string, std::string> labels;  // includes __name__ when present
  double timestamp = 0;                       // seconds since the epoch
  std::string value;                          // as Prometheus printed it, e.g. "42", "NaN"
};

class PrometheusServer {
 public:
  // Runs `scripts/prometheus.sh start state_dir [--rules F]... targets...` and waits for it.
  // Error (with the script's stderr) if the server does not become ready.
  static Result<PrometheusServer> start(const std::string& state_dir,
                                        const std::vector<std::string>& targets,
                                        const std::vector<std::string>& rule_files = {});

  PrometheusServer(PrometheusServer&& other) noexcept;
  PrometheusServer& operator=(PrometheusServer&& other) noexcept;
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;
  ~PrometheusServer();  // scripts/prometheus.sh stop

  const std::string& url() const { return url_; }  // http://127.0.0.1:PORT
  const std::string& state_dir() const { return state_dir_; }

  // GET /api/v1/query?query=<promql>: the raw JSON body. Error unless HTTP 200.
  Result<std::string> query_json(const std::string& promql) const;
  // Same, decoded: the samples of an instant-vector result. Error if Prometheus reports an
  // error or the result is not a vector.
  Result<std::vector<PromSample>> query(const std::string& promql) const;
  // Polls query(promql) every `interval` until `accept(samples)` is true (returns those
  // samples) or `timeout` passes (Error naming the last result or query error).
  Result<std::vector<PromSample>> await_query(
      const std::string& promql, const std::function<bool(const std::vector<PromSample>&)>& accept,
      std::chrono::milliseconds timeout,
      std::chrono::milliseconds interval = std::chrono::milliseconds(200)) const;

 private:
  PrometheusServer() = default;
  void stop();

  std::string state_dir_;
  std::string url_;
};

}  // namespace newswatch::itest
