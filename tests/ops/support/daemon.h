// A newswatch daemon (`newswatch run`) started by a test against the real broker fixture, seen
// the way ops see it: its JSON log lines, its /metrics, /healthz and /readyz, signals.
//
//   DaemonConfig cfg{.bootstrap = kafka.bootstrap, .group = ..., .input_topics = {t}, ...};
//   auto d = Daemon::start(cfg);
//   ASSERT_TRUE(d.ok()) << d.error();
//   auto m = d->await_metrics([](const Exposition& e) { return e.sum("x") == 3; }, 30s);
//
// The daemon writes its config into a fresh directory, listens for metrics on an ephemeral
// loopback port (found in its "listen" log line) and logs JSON lines to stderr (kept in a file,
// see process().stderr_path()). The process is SIGKILLed on destruction if still running.
// Not thread-safe: one owner.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/integration/support/process.h"
#include "tests/integration/support/result.h"
#include "tests/ops/support/ops.h"

namespace newswatch::opstest {

struct DaemonConfig {
  std::string bootstrap;
  std::string group;
  std::vector<std::string> input_topics;
  std::string alert_topic;
  std::string dlq_topic{};
  std::string shadow_topic{};
  std::string rules_dir;
  bool watch = true;
  std::string reload_debounce = "100ms";
  int workers = 2;
  std::string log_level = "info";
  // Extra kafka.consumer properties; statistics.interval.ms defaults to 1000 (lag metric).
  std::map<std::string, std::string> consumer{};
  // Extra lines appended verbatim to the config file (YAML).
  std::string extra_yaml{};
  // Environment of the daemon (added to the test's).
  std::map<std::string, std::string> env{};
};

class Daemon {
 public:
  // Writes the config, spawns newswatch and waits (up to `timeout`) for its metrics listener.
  // Error, with the daemon's stderr, if it exits or never listens.
  static itest::Result<Daemon> start(const DaemonConfig& config,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(60));

  Daemon(Daemon&&) noexcept = default;
  Daemon& operator=(Daemon&&) noexcept = default;
  ~Daemon() = default;

  itest::ChildProcess& process() { return *process_; }
  const std::string& metrics_address() const { return address_; }  // 127.0.0.1:PORT
  const std::string& config_path() const { return config_path_; }

  // GET http://ADDRESS/PATH: status and body.
  itest::Result<std::pair<int, std::string>> get(const std::string& path) const;
  // The current /metrics, raw and parsed.
  itest::Result<std::string> scrape() const;
  itest::Result<Exposition> metrics() const;
  // Polls /metrics until `accept` is true; Error (naming `what` and the last exposition's
  // relevant value) on timeout or if the daemon exits.
  itest::Result<Exposition> await_metrics(const std::function<bool(const Exposition&)>& accept,
                                          std::chrono::milliseconds timeout,
                                          const std::string& what = "");
  // /readyz answers 200.
  itest::Status await_ready(std::chrono::milliseconds timeout);

  // Every JSON log line so far.
  std::vector<LogLine> logs() const;
  // Waits for a log line satisfying `accept` (lines already written count).
  itest::Result<LogLine> await_log(const std::function<bool(const LogLine&)>& accept,
                                   std::chrono::milliseconds timeout, const std::string& what = "");

 private:
  Daemon() = default;
  std::optional<itest::ChildProcess> process_;
  std::string address_;
  std::string config_path_;
};

// `n` JSON articles (one per line of a Kafka message) with ids "<prefix>-<i>" for i in
// [first, first + n), each containing `text` in its body.
std::vector<std::string> make_articles(const std::string& prefix, int first, int n,
                                       const std::string& text);

// One alert record read back from the alert topic.
struct AlertRecord {
  std::string rule_id;
  std::string ruleset_version;
  std::string article_id;
  std::string raw;
};
// Parses alert JSON; Error if a field is missing.
itest::Result<AlertRecord> parse_alert(const std::string& json);

}  // namespace newswatch::opstest
