#include "daemon/sink/kafka_sink.h"

#include <thread>

namespace newswatch::sink {

std::unique_ptr<KafkaSink> KafkaSink::create(const SinkOptions& o, kafka::ClientEvents* events,
                                             DeliveryHandler* delivery, std::string* error) {
  std::unique_ptr<KafkaSink> s(new KafkaSink());
  s->delivery_ = delivery;
  kafka::Properties defaults = {
      {"client.id", "newswatch"},
      {"linger.ms", "5"},
      {"compression.type", "lz4"},
      {"statistics.interval.ms", "0"},
  };
  // A dead-letter copy carries the original message, which may be as large as the consumer
  // accepts; leave room for headers.
  const std::size_t needed = o.max_message_bytes + 64 * 1024;
  if (needed > 1'000'000) defaults["message.max.bytes"] = std::to_string(needed);
  const kafka::Properties forced = {
      {"bootstrap.servers", o.brokers},
      {"enable.idempotence", "true"},
      {"acks", "all"},
  };
  kafka::ClientConf cc =
      kafka::make_conf(defaults, o.properties, forced, events, "producer", error);
  if (!cc.conf) return nullptr;
  rd_kafka_conf_set_dr_msg_cb(cc.conf.get(), &KafkaSink::dr_trampoline);
  cc.context->owner = s.get();
  s->context_ = std::move(cc.context);
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, cc.conf.release(), errstr, sizeof errstr);
  if (rk == nullptr) {
    if (error != nullptr) *error = std::string("cannot create the Kafka producer: ") + errstr;
    return nullptr;
  }
  s->rk_.reset(rk);
  return s;
}

KafkaSink::~KafkaSink() {
  rk_.reset();
}

void KafkaSink::dr_trampoline(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque) {
  auto* ctx = static_cast<kafka::CallbackContext*>(opaque);
  auto* self = ctx != nullptr ? static_cast<KafkaSink*>(ctx->owner) : nullptr;
  if (self != nullptr && self->delivery_ != nullptr) {
    self->delivery_->on_delivery(msg->_private, msg->err, *msg);
  }
}

rd_kafka_resp_err_t KafkaSink::produce(std::string_view topic, std::string_view key,
                                       std::string_view value, std::span<const Header> headers,
                                       void* opaque, std::chrono::milliseconds max_wait) {
  const auto deadline = std::chrono::steady_clock::now() + max_wait;
  for (;;) {
    rd_kafka_headers_t* hdrs = rd_kafka_headers_new(headers.size());
    for (const Header& h : headers) {
      rd_kafka_header_add(hdrs, h.name.data(), static_cast<ssize_t>(h.name.size()), h.value.data(),
                          static_cast<ssize_t>(h.value.size()));
    }
    const std::string topic_name(topic);
    rd_kafka_vu_t vu[6] = {};
    vu[0].vtype = RD_KAFKA_VTYPE_TOPIC;
    vu[0].u.cstr = topic_name.c_str();
    vu[1].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    vu[1].u.i = RD_KAFKA_MSG_F_COPY;
    vu[2].vtype = RD_KAFKA_VTYPE_KEY;
    vu[2].u.mem.ptr = const_cast<char*>(key.data());
    vu[2].u.mem.size = key.size();
    vu[3].vtype = RD_KAFKA_VTYPE_VALUE;
    vu[3].u.mem.ptr = const_cast<char*>(value.data());
    vu[3].u.mem.size = value.size();
    vu[4].vtype = RD_KAFKA_VTYPE_HEADERS;
    vu[4].u.headers = hdrs;
    vu[5].vtype = RD_KAFKA_VTYPE_OPAQUE;
    vu[5].u.ptr = opaque;
    rd_kafka_error_t* error = rd_kafka_produceva(rk_.get(), vu, 6);
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (error != nullptr) {
      err = rd_kafka_error_code(error);
      rd_kafka_error_destroy(error);
    }
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return err;  // librdkafka owns the headers now
    rd_kafka_headers_destroy(hdrs);
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || std::chrono::steady_clock::now() >= deadline)
      return err;
    // The delivery thread frees room; wait a little.
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void KafkaSink::poll(std::chrono::milliseconds timeout) {
  rd_kafka_poll(rk_.get(), static_cast<int>(timeout.count()));
}

int KafkaSink::outstanding() const {
  return rd_kafka_outq_len(rk_.get());
}

}  // namespace newswatch::sink
