// The article source: a librdkafka high-level consumer in a consumer group.
//
// newswatch owns the delivery guarantee, so offsets are never stored automatically
// (enable.auto.offset.store=false): the pipeline stores a partition's offset through
// store_offset() only when every message before it has been fully handled. Stored offsets are
// committed by librdkafka's auto-commit timer and synchronously on every revocation and at
// close.
//
// Threads: poll(), pause_all(), resume_all(), commit_sync(), assignment() and close() are
// called from ONE thread (the consumer thread); the RebalanceHandler is called from inside
// poll() on that thread. store_offset() may be called from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "daemon/kafka/kafka.h"

namespace newswatch::source {

struct SourceOptions {
  std::string brokers;
  std::string group_id;
  std::vector<std::string> topics;
  kafka::Properties properties;  // pass-through (never an owned property)
  int statistics_interval_ms = 5000;
};

// Told about assignment changes before they take effect (revoke) or after (assign), so the
// pipeline can quiesce revoked partitions before their offsets are committed.
class RebalanceHandler {
 public:
  virtual ~RebalanceHandler() = default;
  virtual void on_assign(const std::vector<kafka::TopicPartition>& partitions) = 0;
  // Must return only when the revoked partitions' work is finished or abandoned and their
  // final offsets are stored; the source then commits synchronously and lets them go.
  virtual void on_revoke(const std::vector<kafka::TopicPartition>& partitions) = 0;
  // The result of an offset commit (automatic, on revoke or at close); called on the consumer
  // thread. NO_ERROR when the broker stored the offsets.
  virtual void on_commit(rd_kafka_resp_err_t err) = 0;
};

class KafkaSource {
 public:
  // Null and *error set when the consumer cannot be created (bad property, ...). Connecting
  // to the brokers happens in the background; failures are reported through `events`.
  static std::unique_ptr<KafkaSource> create(const SourceOptions& options,
                                             kafka::ClientEvents* events,
                                             RebalanceHandler* rebalance, std::string* error);
  ~KafkaSource();
  KafkaSource(const KafkaSource&) = delete;
  KafkaSource& operator=(const KafkaSource&) = delete;

  // Next message or event (message->err set: partition EOF, errors), or null on timeout. Also
  // serves rebalances, errors, logs and statistics callbacks.
  kafka::MessagePtr poll(std::chrono::milliseconds timeout);

  // Stops / restarts fetching on every assigned partition (backpressure). Messages are not
  // lost: a resumed partition continues from the last message handed out by poll().
  void pause_all();
  void resume_all();
  bool paused() const noexcept { return paused_; }

  // Commits the stored offsets now. Returns NO_ERROR also when there was nothing to commit.
  rd_kafka_resp_err_t commit_sync();

  // Thread-safe: the next offset to consume for `tp` (the offset after the last handled one).
  void store_offset(const kafka::TopicPartition& tp, std::int64_t next_offset);

  const std::vector<kafka::TopicPartition>& assignment() const noexcept { return assignment_; }
  // High watermark of a partition as last seen by the client (-1 when unknown).
  std::int64_t high_watermark(const kafka::TopicPartition& tp);

  // Commits, leaves the group and closes. Idempotent.
  void close();

  rd_kafka_t* handle() const noexcept { return rk_.get(); }

 private:
  KafkaSource() = default;
  static void rebalance_trampoline(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                   rd_kafka_topic_partition_list_t* partitions, void* opaque);
  static void commit_trampoline(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                rd_kafka_topic_partition_list_t* offsets, void* opaque);
  void on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions);

  std::unique_ptr<kafka::CallbackContext> context_;  // outlives rk_ (declared first)
  kafka::HandlePtr rk_;
  RebalanceHandler* rebalance_ = nullptr;
  std::vector<kafka::TopicPartition> assignment_;
  bool cooperative_ = false;
  bool paused_ = false;
  bool closed_ = false;
};

}  // namespace newswatch::source
