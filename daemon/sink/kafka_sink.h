// The alert sink: an idempotent librdkafka producer (enable.idempotence=true, acks=all), so a
// retried produce never duplicates or reorders alerts within a partition.
//
// Every produce carries an opaque pointer that comes back, exactly once, in the
// DeliveryHandler when the broker has acknowledged the message or librdkafka has given up on
// it (message.timeout.ms). The handler runs on the thread that calls poll().
//
// Threads: produce()/produce_copy() are thread-safe; poll() and flush() are called from one
// thread (the delivery thread).
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "daemon/kafka/kafka.h"

namespace newswatch::sink {

struct SinkOptions {
  std::string brokers;
  kafka::Properties properties;              // pass-through (never an owned property)
  std::size_t max_message_bytes = 1u << 20;  // raises message.max.bytes when larger
};

struct Header {
  std::string_view name;
  std::string_view value;
};

class DeliveryHandler {
 public:
  virtual ~DeliveryHandler() = default;
  // `message` (payload, key, topic, headers) is valid only during the call.
  virtual void on_delivery(void* opaque, rd_kafka_resp_err_t err,
                           const rd_kafka_message_t& message) = 0;
};

class KafkaSink {
 public:
  static std::unique_ptr<KafkaSink> create(const SinkOptions& options, kafka::ClientEvents* events,
                                           DeliveryHandler* delivery, std::string* error);
  ~KafkaSink();
  KafkaSink(const KafkaSink&) = delete;
  KafkaSink& operator=(const KafkaSink&) = delete;

  // Enqueues a copy of the message. While librdkafka's local queue is full it waits (up to
  // `max_wait`) for room: that is backpressure onto the workers. Returns NO_ERROR when the
  // message was enqueued (the handler will be called later), or the immediate error (the
  // handler will NOT be called for it).
  rd_kafka_resp_err_t produce(std::string_view topic, std::string_view key, std::string_view value,
                              std::span<const Header> headers, void* opaque,
                              std::chrono::milliseconds max_wait = std::chrono::seconds(5));

  // Serves delivery reports for up to `timeout`.
  void poll(std::chrono::milliseconds timeout);
  // Messages not yet acknowledged (queued or in flight).
  int outstanding() const;

  rd_kafka_t* handle() const noexcept { return rk_.get(); }

 private:
  KafkaSink() = default;
  static void dr_trampoline(rd_kafka_t* rk, const rd_kafka_message_t* msg, void* opaque);

  std::unique_ptr<kafka::CallbackContext> context_;  // outlives rk_
  kafka::HandlePtr rk_;
  DeliveryHandler* delivery_ = nullptr;
};

}  // namespace newswatch::sink
