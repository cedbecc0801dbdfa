// The running pipeline: consumer loop -> work queue -> N workers (decode, match, dedup,
// encode) -> producer, with the offset tracker closing the loop (DESIGN.md "Pipeline").
//
// Delivery guarantee (at-least-once): a consumed message's offset is stored only when its
// processing is finished and every alert it produced (or its dead-letter copy) has been
// acknowledged by the broker, and only as the contiguous low-water mark of its partition. A
// failed produce is retried (with backoff) until it succeeds or the process stops; it never
// lets the offset pass it. Alert ids are deterministic, so the duplicates that re-consumption
// after a crash causes carry the same alert_id.
//
// Threads: run_consumer() runs on the caller's thread (the consumer thread) until stop is
// requested, the source fails fatally, or (with exit_when_idle) everything is consumed and
// delivered. Workers and one delivery thread are started by start(). shutdown() runs on the
// consumer thread after run_consumer() returns.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "daemon/decode/decoder.h"
#include "daemon/kafka/kafka.h"
#include "daemon/match/dedup.h"
#include "daemon/pipeline/offset_tracker.h"
#include "daemon/pipeline/rule_set_holder.h"
#include "daemon/pipeline/work_queue.h"
#include "daemon/sink/kafka_sink.h"
#include "daemon/source/kafka_source.h"
#include "daemon/telemetry/metrics.h"

namespace newswatch::pipeline {

struct PipelineOptions {
  std::string alert_topic;
  std::string shadow_topic;  // empty: shadow alerts are counted, not published
  std::string dlq_topic;     // empty: undecodable messages are counted, reported and skipped
  std::uint32_t workers = 2;
  std::uint32_t queue_capacity = 1024;
  std::uint32_t max_alerts_per_article = 100;
  decode::DecodeOptions decode;
  std::chrono::milliseconds revoke_timeout{10'000};  // wait for in-flight work on revoke
};

// What the pipeline reports to the daemon (which logs it). Called from any pipeline thread:
// implementations must be thread-safe and quick.
class PipelineEvents {
 public:
  virtual ~PipelineEvents() = default;
  virtual void assigned(const std::vector<kafka::TopicPartition>& partitions) = 0;
  virtual void revoked(const std::vector<kafka::TopicPartition>& partitions, std::size_t abandoned,
                       bool drained) = 0;
  virtual void undecodable(const kafka::TopicPartition& tp, std::int64_t offset,
                           const decode::DecodeError& error, bool dead_lettered) = 0;
  virtual void delivery_failed(std::string_view topic, rd_kafka_resp_err_t err, int attempt) = 0;
  virtual void consumer_error(std::string_view what) = 0;
  virtual void commit_failed(rd_kafka_resp_err_t err) = 0;
  // An alert was acknowledged by the broker (for printing in the embedded demo).
  virtual void alert_delivered(std::string_view topic, std::string_view json) = 0;
};

class Pipeline final : public source::RebalanceHandler, public sink::DeliveryHandler {
 public:
  Pipeline(PipelineOptions options, RuleSetHolder& rules, match::Deduplicator& dedup,
           telemetry::Metrics& metrics, PipelineEvents& events);
  ~Pipeline() override;
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Both must outlive the pipeline. The source must have been created with this pipeline as
  // its RebalanceHandler and the sink with it as its DeliveryHandler.
  void attach(source::KafkaSource* source, sink::KafkaSink* sink);
  void start();

  enum class StopReason { kRequested, kIdle, kFatal };
  StopReason run_consumer(const std::atomic<bool>& stop, bool exit_when_idle);

  // Graceful stop: stops fetching, lets the workers finish what is queued, waits for every
  // delivery, stores and commits offsets, leaves the group — all within `timeout`. Work still
  // unfinished at the deadline is abandoned (it will be re-consumed). Returns true when
  // everything consumed was delivered and committed.
  bool shutdown(std::chrono::milliseconds timeout);

  // Health, for /readyz: joined the group with at least one partition, producer not failing.
  bool assigned() const noexcept { return assigned_count_.load() > 0; }
  bool producer_healthy() const noexcept;
  void report_fatal(std::string reason);
  std::string fatal_reason() const;

  std::uint64_t messages_consumed() const noexcept { return consumed_.load(); }

 private:
  struct Job {
    kafka::MessagePtr message;
    OffsetTracker::Entry* entry = nullptr;
    kafka::TopicPartition tp;
  };
  enum class Kind : std::uint8_t { kAlert, kShadow, kDeadLetter };
  struct Delivery {
    Kind kind = Kind::kAlert;
    OffsetTracker::Entry* entry = nullptr;
    // The snapshot that produced the alert: keeps its per-rule counters alive until the
    // acknowledgement, even if a reload has replaced it meanwhile (null for dead letters).
    std::shared_ptr<const RulesSnapshot> snapshot;
    std::uint32_t rule = 0;
    std::int64_t source_timestamp_ms = -1;  // Kafka timestamp of the consumed message
    int attempt = 0;
    // Dedup: the key this alert holds pending (ticket 0: none). Messages whose alert for the
    // same key was suppressed meanwhile wait for it in waiters_[ticket].
    std::uint64_t dedup_key = 0;
    std::uint64_t dedup_ticket = 0;
  };
  struct Retry {
    std::chrono::steady_clock::time_point due;
    std::string topic;
    std::string key;
    std::string value;
    std::vector<std::pair<std::string, std::string>> headers;
    Delivery* delivery;
  };

  // source::RebalanceHandler (consumer thread)
  void on_assign(const std::vector<kafka::TopicPartition>& partitions) override;
  void on_revoke(const std::vector<kafka::TopicPartition>& partitions) override;
  void on_commit(rd_kafka_resp_err_t err) override;
  // sink::DeliveryHandler (delivery thread)
  void on_delivery(void* opaque, rd_kafka_resp_err_t err,
                   const rd_kafka_message_t& message) override;

  // Consumer thread: turns a polled message into a job in pending_ (true), or handles an
  // event (partition EOF, consumer error) or a message of a partition no longer assigned.
  bool take(kafka::MessagePtr msg);
  void worker_loop();
  void delivery_loop();
  void process(Job& job, struct WorkerState& state);
  void produce_tracked(const std::string& topic, std::string_view key, std::string_view value,
                       std::span<const sink::Header> headers, Delivery* d);
  void schedule_retry(Delivery* d, std::string topic, std::string key, std::string value,
                      std::vector<std::pair<std::string, std::string>> headers);
  void run_due_retries(bool all);
  // The end of an alert's delivery for dedup: its key is kept (delivered) or forgotten, and the
  // messages waiting on it are released (delivered) or dropped (given up).
  void settle_dedup(const Delivery& d, bool delivered);
  bool idle() const;

  PipelineOptions options_;
  RuleSetHolder& rules_;
  match::Deduplicator& dedup_;
  telemetry::Metrics& metrics_;
  PipelineEvents& events_;
  source::KafkaSource* source_ = nullptr;
  sink::KafkaSink* sink_ = nullptr;

  // Messages polled in one round go to the queue together; a worker takes up to kWorkerBatch
  // at a time (fewer when the queue is short, so its peers get their share).
  static constexpr std::size_t kConsumeBatch = 64;
  static constexpr std::size_t kWorkerBatch = 8;

  OffsetTracker tracker_;
  WorkQueue<Job> queue_;
  std::vector<Job> pending_;  // consumer thread only: the batch being collected
  std::vector<std::thread> workers_;
  std::thread delivery_thread_;
  std::atomic<bool> stop_delivery_{false};
  std::atomic<bool> stopping_{false};  // shutdown: failed deliveries are given up, not retried

  std::mutex retry_mu_;
  std::vector<Retry> retries_;
  std::atomic<std::int64_t> deliveries_pending_{0};
  std::atomic<std::int64_t> consecutive_failures_{0};

  std::atomic<std::uint64_t> next_dedup_ticket_{1};
  std::mutex waiters_mu_;  // taken inside a dedup shard lock, never the other way round
  std::unordered_map<std::uint64_t, std::vector<OffsetTracker::Entry*>> waiters_;

  std::atomic<std::size_t> assigned_count_{0};
  std::set<kafka::TopicPartition> at_eof_;  // consumer thread only
  std::atomic<std::uint64_t> consumed_{0};

  mutable std::mutex fatal_mu_;
  std::string fatal_;
};

}  // namespace newswatch::pipeline
