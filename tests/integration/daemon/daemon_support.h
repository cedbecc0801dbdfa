// Helpers for the process-level tests of `newswatch run` against the real broker: where the
// binary and the test rules are, the expected alerts (computed by `newswatch match`, which
// shares the daemon's decoder, matcher and alert encoder), alerts read back from Kafka, a
// daemon config file, a running daemon and its JSON log, and deadline-bounded polling.
//
// Everything returns values (Status / Result, support/result.h); nothing throws or asserts.
// Not thread-safe unless a function says so.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "tests/integration/daemon/articles.h"
#include "tests/integration/support/kafka.h"
#include "tests/integration/support/process.h"
#include "tests/integration/support/result.h"

namespace newswatch::itest {

// Absolute path of the newswatch executable under test (compile definition NEWSWATCH_BINARY).
std::string newswatch_binary();
// The rules of these tests: <source>/tests/integration/daemon/rules.
std::string daemon_rules_dir();

// A fresh directory for one test's files (config, JSON Lines, daemon output):
// <build>/integration/daemon-tests/<name>-<pid>-<n>. Kept after the test for inspection.
Result<std::string> make_test_dir(std::string_view name);

// (rule_id, article id): what "one alert per (rule, article)" is about.
using AlertKey = std::pair<std::string, std::string>;

struct ExpectedAlert {
  std::string rule_id;
  std::string article_id;
  std::string alert_id;
  std::string mode;  // "alert" or "shadow"
};

// Runs `newswatch match --rules <daemon_rules_dir()> --max-message-bytes N` on `messages` (one
// message per line of a JSON Lines file written to `dir`; trailing newlines are stripped, an
// empty message is a blank line that match skips) and parses its output. Error if a message
// contains a line break inside, if match fails, or if a line does not parse.
Result<std::vector<ExpectedAlert>> expected_alerts(const std::vector<std::string>& messages,
                                                   std::size_t max_message_bytes,
                                                   const std::string& dir);

// An alert as read back from the alert (or shadow) topic.
struct AlertRecord {
  std::string rule_id;
  std::string article_id;
  std::string alert_id;
  std::string mode;
  std::string severity;
  std::string input_topic;  // "input" object of the alert; empty / -1 when absent
  std::int32_t input_partition = -1;
  std::int64_t input_offset = -1;
  ConsumedMessage message;  // where and how it was read (key, headers, partition, offset)
};

// Parses the value of an alert message. Error if the value is not an alert JSON object.
Result<AlertRecord> parse_alert(const ConsumedMessage& message);
// parse_alert() of every message; error at the first that does not parse.
Result<std::vector<AlertRecord>> parse_alerts(const std::vector<ConsumedMessage>& messages);

// The value of a header (the first one with that name), or nullopt.
std::optional<std::string> header_value(const ConsumedMessage& message, std::string_view name);

// How a set of alerts read from Kafka compares with the expected ones.
struct AlertComparison {
  std::vector<AlertKey> missing;     // expected, never delivered
  std::vector<AlertKey> unexpected;  // delivered, not expected
  // Pairs delivered more than once, with how many extra copies (at-least-once allows them).
  std::map<AlertKey, std::size_t> duplicated;
  std::size_t duplicate_copies = 0;
  // Pairs whose delivered alert_id differs from the expected one (or between copies).
  std::vector<AlertKey> wrong_alert_id;

  bool same_set() const { return missing.empty() && unexpected.empty(); }
  // A few lines naming the first differences, for assertion messages.
  std::string describe() const;
};
// `expected` restricted to mode `mode` ("alert" for the alert topic, "shadow" for the shadow
// topic) against `got`.
AlertComparison compare_alerts(const std::vector<ExpectedAlert>& expected,
                               const std::vector<AlertRecord>& got,
                               std::string_view mode = "alert");

// What goes into the daemon's YAML config file.
struct DaemonSettings {
  std::string brokers{};
  std::string group{};
  std::string input_topic{};
  std::string alert_topic{};
  std::string dlq_topic{};     // empty: none
  std::string shadow_topic{};  // empty: none
  std::size_t max_message_bytes = 64 * 1024;
  int workers = 2;
  std::string shutdown_timeout = "30s";
  // librdkafka pass-through maps (kafka.consumer / kafka.producer).
  std::map<std::string, std::string> consumer{};
  std::map<std::string, std::string> producer{};
};
// Writes <dir>/<name>.yaml and returns its path. rules.watch is off, metrics.listen is "" (no
// port), logs are JSON at info level.
Result<std::string> write_daemon_config(const std::string& dir, std::string_view name,
                                        const DaemonSettings& settings);

// One line of the daemon's JSON log (stderr), flattened: every top-level field as text (a
// string's value, or the JSON text of a number, boolean or null).
using LogEvent = std::map<std::string, std::string>;

// A running `newswatch run --config FILE --log-format json --print-alerts [extra args]`.
// stdout (printed alerts, one JSON object per line, after each acknowledgement) and stderr
// (the log) go to <dir>/<name>.stdout / .stderr. The destructor kills the process group if it
// is still running (ChildProcess).
class Daemon {
 public:
  static Result<Daemon> start(const std::string& dir, std::string_view name,
                              const std::string& config_path,
                              const std::vector<std::string>& extra_args = {});

  ChildProcess& process() { return child_; }
  const std::string& name() const { return name_; }

  // Number of alerts the daemon printed so far (complete lines on stdout).
  std::size_t printed_alerts() const;
  // Parsed log lines so far (lines that are not JSON objects are skipped).
  std::vector<LogEvent> log_events() const;
  // The partitions ("topic[p]") of every "partitions assigned" log event so far, in order.
  std::vector<std::vector<std::string>> assignments() const;
  // The assignment after replaying every "partitions assigned" / "partitions revoked" event.
  std::set<std::string> current_assignment() const;
  // The last few KiB of the log, for failure messages.
  std::string log_tail(std::size_t bytes = 6000) const;

 private:
  explicit Daemon(ChildProcess child) : child_(std::move(child)) {}
  ChildProcess child_;
  std::string name_;
};

// Calls `condition` every `interval` until it returns true (true) or `timeout` passes (false).
bool poll_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval = std::chrono::milliseconds(200));

// Waits until the committed offsets of `group` on `topic` equal the end offsets of every
// partition (empty partitions, end 0, need no commit). Error on timeout, naming the last
// committed and end offsets.
Status await_committed_at_end(const ClientConfig& config, const std::string& group,
                              const std::string& topic, std::chrono::milliseconds timeout);

// "p0=12 p1=40 ..." for messages.
std::string describe_offsets(const std::map<std::int32_t, std::int64_t>& offsets);

// Builds the input messages: each article keyed by its id, round-robin over `partitions`
// partitions starting at `first_partition`.
std::vector<OutgoingMessage> to_messages(
    const std::vector<std::pair<std::string, std::string>>& keyed_values, int partitions,
    int first_partition = 0);

// Produces `messages` to `topic` from a background thread, in batches of `batch_size` (each
// batch acknowledged before the next starts), once start() is called. The last `held_batches`
// batches wait for release(): a test stops a daemon while they are held, so the stop is
// mid-stream by construction. Observers and release() are thread-safe.
class BackgroundProducer {
 public:
  BackgroundProducer(ClientConfig config, std::string topic, std::vector<OutgoingMessage> messages,
                     std::size_t batch_size, std::size_t held_batches = 0);
  ~BackgroundProducer();  // releases and joins
  BackgroundProducer(const BackgroundProducer&) = delete;
  BackgroundProducer& operator=(const BackgroundProducer&) = delete;

  void start();
  void release();
  std::size_t batches() const { return batches_; }
  std::size_t batches_done() const { return done_.load(); }
  // True once every batch that is not held was acknowledged (or producing failed).
  bool waiting_for_release() const;
  bool finished() const { return finished_.load(); }
  // Releases the held batches, waits for the thread; the first produce error, if any.
  Status join();

 private:
  ClientConfig config_;
  std::string topic_;
  std::vector<OutgoingMessage> messages_;
  std::size_t batch_size_;
  std::size_t batches_;
  std::size_t held_;
  std::atomic<std::size_t> done_{0};
  std::atomic<bool> failed_{false};
  std::atomic<bool> finished_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
  Status status_;
  std::thread thread_;
};

// What most daemon tests start from: uniquely named input (`partitions` partitions) and alert
// (3 partitions) topics, a unique group, `count` generated articles (not produced yet) and the
// alerts `newswatch match` expects for all of them.
struct Scenario {
  KafkaFixture fixture;
  ClientConfig kafka;
  std::string dir;
  std::string input;
  std::string alerts;
  std::string group;
  int partitions = 0;
  std::vector<GeneratedArticle> articles;
  std::vector<ExpectedAlert> expected;  // mode "alert" only (the rules' shadow rule excluded)

  // Articles [begin, end) as messages keyed by article id, partition = index % partitions.
  std::vector<OutgoingMessage> messages(std::size_t begin, std::size_t end) const;
  Status produce_range(std::size_t begin, std::size_t end) const;
  // Daemon settings for this scenario: no DLQ, no shadow topic, session.timeout.ms=6000 (so a
  // killed member leaves the group quickly), heartbeat.interval.ms=1000.
  DaemonSettings settings(int workers) const;
  // Every alert on the alert topic now (consume_all with stop_at_end), parsed.
  Result<std::vector<AlertRecord>> read_alerts() const;
};
Result<Scenario> make_scenario(std::string_view name, int partitions, std::size_t count,
                               std::uint64_t seed);

}  // namespace newswatch::itest
