#include "daemon/kafka/kafka.h"

#include <librdkafka/rdkafka_mock.h>

namespace newswatch::kafka {

std::string to_string(const TopicPartition& tp) {
  return tp.topic + "[" + std::to_string(tp.partition) + "]";
}

namespace {

void log_cb(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  auto* ctx = static_cast<CallbackContext*>(rd_kafka_opaque(rk));
  if (ctx != nullptr && ctx->events != nullptr) ctx->events->on_log(ctx->name, level, fac, buf);
}

void error_cb(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  auto* ctx = static_cast<CallbackContext*>(opaque);
  if (ctx == nullptr || ctx->events == nullptr) return;
  bool fatal = false;
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    char buf[512];
    const rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, buf, sizeof buf);
    ctx->events->on_error(ctx->name, orig, buf, true);
    return;
  }
  ctx->events->on_error(ctx->name, static_cast<rd_kafka_resp_err_t>(err), reason, fatal);
}

int stats_cb(rd_kafka_t*, char* json, size_t len, void* opaque) {
  auto* ctx = static_cast<CallbackContext*>(opaque);
  if (ctx != nullptr && ctx->events != nullptr)
    ctx->events->on_statistics(ctx->name, std::string_view(json, len));
  return 0;  // librdkafka frees the JSON
}

bool apply(rd_kafka_conf_t* conf, const Properties& props, std::string* error) {
  char errstr[512];
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      if (error != nullptr) *error = "librdkafka property " + k + ": " + errstr;
      return false;
    }
  }
  return true;
}

}  // namespace

ClientConf make_conf(const Properties& defaults, const Properties& properties,
                     const Properties& forced, ClientEvents* events, std::string_view client_name,
                     std::string* error) {
  ClientConf out;
  ConfPtr conf(rd_kafka_conf_new());
  if (!apply(conf.get(), defaults, error) || !apply(conf.get(), properties, error) ||
      !apply(conf.get(), forced, error)) {
    return out;
  }
  out.context =
      std::make_unique<CallbackContext>(CallbackContext{events, std::string(client_name), nullptr});
  rd_kafka_conf_set_opaque(conf.get(), out.context.get());
  rd_kafka_conf_set_log_cb(conf.get(), log_cb);
  rd_kafka_conf_set_error_cb(conf.get(), error_cb);
  rd_kafka_conf_set_stats_cb(conf.get(), stats_cb);
  out.conf = std::move(conf);
  return out;
}

std::unique_ptr<EmbeddedCluster> EmbeddedCluster::start(int brokers, std::string* error) {
  std::unique_ptr<EmbeddedCluster> c(new EmbeddedCluster());
  ConfPtr conf(rd_kafka_conf_new());
  char errstr[512];
  rd_kafka_conf_set(conf.get(), "log_level", "3", errstr, sizeof errstr);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf.release(), errstr, sizeof errstr);
  if (rk == nullptr) {
    if (error != nullptr)
      *error = std::string("cannot create the embedded cluster host: ") + errstr;
    return nullptr;
  }
  c->host_.reset(rk);
  c->mock_ = rd_kafka_mock_cluster_new(rk, brokers);
  if (c->mock_ == nullptr) {
    if (error != nullptr) *error = "cannot start librdkafka's mock cluster";
    return nullptr;
  }
  c->bootstrap_ = rd_kafka_mock_cluster_bootstraps(c->mock_);
  return c;
}

EmbeddedCluster::~EmbeddedCluster() {
  if (mock_ != nullptr) rd_kafka_mock_cluster_destroy(mock_);
}

bool EmbeddedCluster::create_topic(const std::string& topic, int partitions, std::string* error) {
  const rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mock_, topic.c_str(), partitions, 1);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (error != nullptr) *error = "cannot create topic " + topic + ": " + rd_kafka_err2str(err);
    return false;
  }
  return true;
}

}  // namespace newswatch::kafka
