// Helpers for the hostile-input and Kafka-security tests: a daemon config file, `newswatch
// run` as a child process with its JSON log, alerts and dead letters read back from Kafka,
// the metrics endpoint, and deadline-bounded waits.
//
// Everything returns values (Status / Result, support/result.h); nothing throws or asserts.
// Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tests/integration/daemon/daemon_support.h"
#include "tests/integration/support/kafka.h"
#include "tests/integration/support/process.h"
#include "tests/integration/support/result.h"

namespace newswatch::itest::hostile {

// Absolute path of the newswatch executable under test (compile definition NEWSWATCH_BINARY).
std::string newswatch_binary();

// A fresh directory <build>/integration/hostile/<name>-<pid>-<n>, kept for inspection.
Result<std::string> make_test_dir(std::string_view name);
Status write_file(const std::string& path, std::string_view content);

// What goes into the daemon's YAML config (see docs/configuration.md).
struct DaemonConfig {
  std::string brokers;
  std::string group;
  std::string input_topic;
  std::string alert_topic;
  std::string dlq_topic;  // empty: none
  std::string rules_dir;
  std::string max_message_bytes = "1MiB";
  std::string metrics_listen;  // empty: no listener
  std::string log_level = "info";
  int workers = 2;
  std::string shutdown_timeout = "20s";
  std::map<std::string, std::string> consumer;  // written as is: values may be ${VAR}
  std::map<std::string, std::string> producer;
};
// Writes <dir>/<name>.yaml; returns its path.
Result<std::string> write_config(const std::string& dir, std::string_view name,
                                 const DaemonConfig& config);

// A running `newswatch run --config FILE --log-format json --no-print-alerts`.
class Daemon {
 public:
  static Result<Daemon> start(const std::string& config_path,
                              const std::map<std::string, std::string>& env = {});
  ChildProcess& process() { return child_; }
  std::string log() const { return child_.read_stderr(); }
  std::string output() const { return child_.read_stdout() + child_.read_stderr(); }
  // Waits until the log has a line containing `needle`; returns that line.
  Result<std::string> await_log(std::string_view needle, std::chrono::milliseconds timeout);
  // host:port of the metrics listener, from the "serving /metrics" log event.
  Result<std::string> metrics_address(std::chrono::milliseconds timeout);
  std::string log_tail(std::size_t bytes = 4000) const;

 private:
  explicit Daemon(ChildProcess child) : child_(std::move(child)) {}
  ChildProcess child_;
};

// Deadline-bounded waits shared with the daemon tests (daemon/daemon_support.h).
using itest::await_committed_at_end;
using itest::poll_until;

// The fields of an alert the tests look at.
struct Alert {
  std::string rule_id;
  std::string article_id;
  std::string alert_id;
  std::string input_topic;
  std::int32_t input_partition = -1;
  std::int64_t input_offset = -1;
};
// Parses an alert message value (docs/alert.schema.json). Error if it is not an alert.
Result<Alert> parse_alert(std::string_view json);

// The first header called `name`, or nullopt.
std::optional<std::string> header(const ConsumedMessage& m, std::string_view name);

// The value of one sample of the Prometheus text exposition (`name{labels}` exactly as
// written, or a bare name), or nullopt.
std::optional<double> metric_value(std::string_view exposition, std::string_view sample);

}  // namespace newswatch::itest::hostile
