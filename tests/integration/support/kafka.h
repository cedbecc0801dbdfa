// Kafka helpers for integration tests against the real broker started by the ctest fixture
// `kafka` (scripts/kafka.sh; see tests/integration/README.md).
//
// Every function opens its own short-lived librdkafka client (C API), does one job
// synchronously, and destroys the client before returning: no state is shared between calls,
// so all functions are safe to call concurrently from several threads. Failures come back as
// Error values (result.h), never as exceptions; an Error from a broker or client carries its
// rd_kafka_resp_err_t in kafka_code.
//
// A SASL authentication failure is reported as soon as librdkafka sees it (kafka_code
// RD_KAFKA_RESP_ERR__AUTHENTICATION) instead of waiting for the operation's timeout.
//
// Tests must not collide on the shared broker: use unique_topic_name() / unique_group_id().
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/integration/support/result.h"

namespace newswatch::itest {

// The broker started by the ctest fixture, as recorded in its state directory.
struct KafkaFixture {
  std::string state_dir;       // absolute path of the fixture's state directory
  std::string bootstrap;       // host:port of the PLAINTEXT listener
  std::string sasl_bootstrap;  // host:port of the SASL_PLAINTEXT listener (PLAIN, SCRAM-SHA-256)

  // The account the broker accepts on the SASL listener, for both mechanisms.
  static constexpr std::string_view kSaslUser = "newswatch";
  static constexpr std::string_view kSaslPassword = "newswatch-secret";

  // Reads the state directory named by the environment variable NEWSWATCH_TEST_KAFKA_STATE
  // (set by tests/integration/CMakeLists.txt). Error if the variable is unset or the directory
  // holds no running fixture (no bootstrap file).
  static Result<KafkaFixture> from_env();
  // Reads the given state directory.
  static Result<KafkaFixture> from_state_dir(const std::string& state_dir);
};

// Absolute paths of the scripts that manage the real components.
std::string kafka_script();       // <source>/scripts/kafka.sh
std::string prometheus_script();  // <source>/scripts/prometheus.sh

// librdkafka settings shared by every client a helper creates.
struct ClientConfig {
  std::string bootstrap;
  // Extra librdkafka properties (e.g. security.protocol, sasl.*). Applied after the helper's
  // own defaults, so they may override them.
  std::map<std::string, std::string> properties{};

  // PLAINTEXT listener, no authentication.
  static ClientConfig plaintext(const KafkaFixture& fixture);
  // SASL_PLAINTEXT listener with `mechanism` ("PLAIN" or "SCRAM-SHA-256") and the given
  // credentials (the fixture accepts KafkaFixture::kSaslUser / kSaslPassword).
  static ClientConfig sasl(const KafkaFixture& fixture, std::string_view mechanism,
                           std::string_view user, std::string_view password);
};

// A name no other test (in this or another process) will use: "<prefix>-<pid>-<n>-<random>".
// prefix should be a valid topic-name fragment ([A-Za-z0-9._-]).
std::string unique_topic_name(std::string_view prefix);
std::string unique_group_id(std::string_view prefix);

// Connects and fetches cluster metadata: ok when the broker answered. Error (with kafka_code
// RD_KAFKA_RESP_ERR__AUTHENTICATION for a rejected login) otherwise.
Status check_connection(const ClientConfig& config,
                        std::chrono::milliseconds timeout = std::chrono::seconds(15));

// Creates `name` with `partitions` partitions (replication factor 1) through the Admin API
// (CreateTopics), then waits until metadata shows every partition with a leader, so the topic
// is usable as soon as this returns ok. Error if the topic already exists.
Status create_topic(const ClientConfig& config, const std::string& name, int partitions,
                    std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Partition ids of `topic`, ascending. Error if the topic does not exist.
Result<std::vector<int32_t>> partitions_of(
    const ClientConfig& config, const std::string& topic,
    std::chrono::milliseconds timeout = std::chrono::seconds(15));

struct Header {
  std::string name;
  std::optional<std::string> value;  // nullopt: a header with a null value
  friend bool operator==(const Header&, const Header&) = default;
};

struct OutgoingMessage {
  std::optional<std::string> key{};    // nullopt: null key
  std::optional<std::string> value{};  // nullopt: null value (tombstone)
  std::vector<Header> headers{};       // in order; names may repeat
  std::optional<int32_t> partition{};  // nullopt: librdkafka's default partitioner on the key
};

struct Delivered {
  int32_t partition = -1;
  int64_t offset = -1;
};

// Produces `messages` to `topic` (acks=all) and waits for every delivery report. On success
// returns one Delivered per message, in input order. If any message fails, returns the first
// failure's error (some other messages may have been written: the helper does not roll back).
Result<std::vector<Delivered>> produce(
    const ClientConfig& config, const std::string& topic,
    const std::vector<OutgoingMessage>& messages,
    std::chrono::milliseconds timeout = std::chrono::seconds(30));

struct ConsumedMessage {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<Header> headers;  // in the order they were produced
  int64_t timestamp_ms = -1;    // -1 if the broker gave none
  rd_kafka_timestamp_type_t timestamp_type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
};

struct ConsumeOptions {
  // Stop once this many messages were received. nullopt: no count limit.
  std::optional<std::size_t> max_messages{};
  // Stop once every partition has been read to its end (librdkafka's partition-EOF event: the
  // high watermark, or the last stable offset under read_committed). Everything acknowledged
  // to a producer before consume_all() was called is then included, whatever the timing: the
  // deterministic way to read "the whole topic".
  bool stop_at_end = false;
  // Stop when no new message arrived for this long (measured from the last message, or from
  // the start when none arrived yet). A safety net: prefer max_messages or stop_at_end, which do
  // not depend on how fast a loaded machine delivers.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(10);
  // Stop after this long whatever happens.
  std::chrono::milliseconds timeout = std::chrono::seconds(60);
  // Consumer group used for offset commits. Empty: a fresh unique group. The consumer never
  // joins the group (partitions are assigned, not subscribed) so it cannot disturb a running
  // group member; committed offsets are written as a standalone consumer would.
  std::string group_id{};
  // Commit the next offset after the last consumed message of each partition, synchronously,
  // before returning.
  bool commit = false;
  // "read_committed" (default) or "read_uncommitted".
  std::string isolation_level = "read_committed";
};

// Reads `topic` from the beginning of every partition (all partitions assigned at
// OFFSET_BEGINNING) until the first stop condition of `options` holds. Stopping on idle or
// timeout is not an error: the caller checks the count. Messages of one partition are in offset
// order; partitions interleave in arrival order. Error on a consumer error (unknown topic,
// authentication, a failed commit, ...).
Result<std::vector<ConsumedMessage>> consume_all(const ClientConfig& config,
                                                 const std::string& topic,
                                                 const ConsumeOptions& options = {});

// Committed offset of `group` for every partition of `topic` (partition -> offset; the offset
// is RD_KAFKA_OFFSET_INVALID (-1001) for a partition without a committed offset). Uses
// rd_kafka_committed() from a consumer that does not join the group.
Result<std::map<int32_t, int64_t>> committed_offsets(
    const ClientConfig& config, const std::string& group, const std::string& topic,
    std::chrono::milliseconds timeout = std::chrono::seconds(15));

// High watermark (offset of the next message to be written) of every partition of `topic`.
Result<std::map<int32_t, int64_t>> end_offsets(
    const ClientConfig& config, const std::string& topic,
    std::chrono::milliseconds timeout = std::chrono::seconds(15));

}  // namespace newswatch::itest
