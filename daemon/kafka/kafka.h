// Thin RAII over the librdkafka C API shared by the source (consumer) and the sink
// (producer), plus the in-process mock cluster used for the embedded demo mode and for
// deterministic fault-injection tests.
//
// Thread-safety: as librdkafka's: handles are thread-safe unless a function says otherwise.
// Errors are returned as values (strings); nothing here logs.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <librdkafka/rdkafka.h>

struct rd_kafka_mock_cluster_s;

namespace newswatch::kafka {

struct TopicPartition {
  std::string topic;
  std::int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};
std::string to_string(const TopicPartition& tp);  // "topic[3]"

using Properties = std::map<std::string, std::string, std::less<>>;

struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const noexcept { rd_kafka_destroy(rk); }
};
using HandlePtr = std::unique_ptr<rd_kafka_t, HandleDeleter>;

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const noexcept { rd_kafka_conf_destroy(c); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

struct MessageDeleter {
  void operator()(rd_kafka_message_t* m) const noexcept { rd_kafka_message_destroy(m); }
};
using MessagePtr = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;

// Callbacks every client reports through. Called from librdkafka threads or from the thread
// that polls the client: implementations must be thread-safe and must not block.
class ClientEvents {
 public:
  virtual ~ClientEvents() = default;
  // `client` is "consumer" or "producer"; `level` is syslog-style (0 emerg .. 7 debug).
  virtual void on_log(std::string_view client, int level, std::string_view facility,
                      std::string_view message) = 0;
  virtual void on_error(std::string_view client, rd_kafka_resp_err_t err, std::string_view reason,
                        bool fatal) = 0;
  virtual void on_statistics(std::string_view client, std::string_view json) = 0;
};

// What the log/error/statistics callbacks of one client need. Must outlive the client
// (rd_kafka_destroy may still log): its owner destroys the client first.
struct CallbackContext {
  ClientEvents* events = nullptr;
  std::string name;
  void* owner = nullptr;  // the wrapper object, for client-specific callbacks (rebalance, delivery)
};

struct ClientConf {
  ConfPtr conf;  // null on error
  std::unique_ptr<CallbackContext> context;
};

// A new configuration with `defaults` applied, then `properties` (user pass-through), then
// `forced` (what newswatch owns), and the log/error/statistics callbacks wired to `events`
// (which must outlive the client). conf is null and *error set when a property is refused.
ClientConf make_conf(const Properties& defaults, const Properties& properties,
                     const Properties& forced, ClientEvents* events, std::string_view client_name,
                     std::string* error);

// librdkafka's mock cluster inside this process: real Kafka protocol on loopback ports,
// group coordination, offsets and idempotent produce. Facts (librdkafka 2.0.2): it keeps only
// the last 5 MiB / 100,000 messages of each partition, answers a long-poll fetch only after
// fetch.wait.max.ms, and gives the first group assignment after about 3 s.
class EmbeddedCluster {
 public:
  static std::unique_ptr<EmbeddedCluster> start(int brokers, std::string* error);
  ~EmbeddedCluster();
  EmbeddedCluster(const EmbeddedCluster&) = delete;
  EmbeddedCluster& operator=(const EmbeddedCluster&) = delete;

  const std::string& bootstrap_servers() const noexcept { return bootstrap_; }
  bool create_topic(const std::string& topic, int partitions, std::string* error);
  // For fault-injection tests (rdkafka_mock.h).
  rd_kafka_mock_cluster_s* mock() const noexcept { return mock_; }

 private:
  EmbeddedCluster() = default;
  HandlePtr host_;  // the client that hosts the cluster
  rd_kafka_mock_cluster_s* mock_ = nullptr;
  std::string bootstrap_;
};

}  // namespace newswatch::kafka
