#include "daemon/source/kafka_source.h"

#include <algorithm>
#include <cstring>

namespace newswatch::source {
namespace {

struct ListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const noexcept {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using ListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, ListDeleter>;

std::vector<kafka::TopicPartition> to_vector(const rd_kafka_topic_partition_list_t* l) {
  std::vector<kafka::TopicPartition> v;
  for (int i = 0; i < l->cnt; ++i) v.push_back({l->elems[i].topic, l->elems[i].partition});
  return v;
}

ListPtr to_list(const std::vector<kafka::TopicPartition>& v) {
  ListPtr l(rd_kafka_topic_partition_list_new(static_cast<int>(v.size())));
  for (const auto& tp : v)
    rd_kafka_topic_partition_list_add(l.get(), tp.topic.c_str(), tp.partition);
  return l;
}

}  // namespace

std::unique_ptr<KafkaSource> KafkaSource::create(const SourceOptions& o,
                                                 kafka::ClientEvents* events,
                                                 RebalanceHandler* rebalance, std::string* error) {
  std::unique_ptr<KafkaSource> s(new KafkaSource());
  s->rebalance_ = rebalance;
  const kafka::Properties defaults = {
      {"auto.offset.reset", "earliest"},
      {"statistics.interval.ms", std::to_string(o.statistics_interval_ms)},
      {"enable.partition.eof", "true"},
      {"client.id", "newswatch"},
  };
  const kafka::Properties forced = {
      {"bootstrap.servers", o.brokers},
      {"group.id", o.group_id},
      {"enable.auto.offset.store", "false"},
      {"enable.auto.commit", "true"},
  };
  kafka::ClientConf cc =
      kafka::make_conf(defaults, o.properties, forced, events, "consumer", error);
  if (!cc.conf) return nullptr;
  rd_kafka_conf_set_rebalance_cb(cc.conf.get(), &KafkaSource::rebalance_trampoline);
  rd_kafka_conf_set_offset_commit_cb(cc.conf.get(), &KafkaSource::commit_trampoline);
  cc.context->owner = s.get();
  s->context_ = std::move(cc.context);
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, cc.conf.release(), errstr, sizeof errstr);
  if (rk == nullptr) {
    if (error != nullptr) *error = std::string("cannot create the Kafka consumer: ") + errstr;
    return nullptr;
  }
  s->rk_.reset(rk);
  rd_kafka_poll_set_consumer(rk);
  s->cooperative_ =
      std::strcmp(rd_kafka_rebalance_protocol(rk) ? rd_kafka_rebalance_protocol(rk) : "",
                  "COOPERATIVE") == 0;
  ListPtr topics(rd_kafka_topic_partition_list_new(static_cast<int>(o.topics.size())));
  for (const auto& t : o.topics)
    rd_kafka_topic_partition_list_add(topics.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  const rd_kafka_resp_err_t err = rd_kafka_subscribe(rk, topics.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (error != nullptr) *error = std::string("cannot subscribe: ") + rd_kafka_err2str(err);
    return nullptr;
  }
  return s;
}

KafkaSource::~KafkaSource() {
  close();
  rk_.reset();
}

void KafkaSource::rebalance_trampoline(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                       rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto* ctx = static_cast<kafka::CallbackContext*>(opaque);
  auto* self = ctx != nullptr ? static_cast<KafkaSource*>(ctx->owner) : nullptr;
  if (self != nullptr) {
    self->on_rebalance(err, partitions);
  } else {
    rd_kafka_assign(rk, nullptr);
  }
}

void KafkaSource::commit_trampoline(rd_kafka_t*, rd_kafka_resp_err_t err,
                                    rd_kafka_topic_partition_list_t*, void* opaque) {
  auto* ctx = static_cast<kafka::CallbackContext*>(opaque);
  auto* self = ctx != nullptr ? static_cast<KafkaSource*>(ctx->owner) : nullptr;
  // Nothing stored since the last commit is not a commit.
  if (self != nullptr && self->rebalance_ != nullptr && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
    self->rebalance_->on_commit(err);
  }
}

void KafkaSource::on_rebalance(rd_kafka_resp_err_t err,
                               rd_kafka_topic_partition_list_t* partitions) {
  rd_kafka_t* rk = rk_.get();
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    const auto added = to_vector(partitions);
    if (cooperative_) {
      rd_kafka_error_t* e = rd_kafka_incremental_assign(rk, partitions);
      if (e != nullptr) rd_kafka_error_destroy(e);
      assignment_.insert(assignment_.end(), added.begin(), added.end());
    } else {
      rd_kafka_assign(rk, partitions);
      assignment_ = added;
    }
    std::sort(assignment_.begin(), assignment_.end());
    // A fresh assignment starts fetching: never inherit a pause.
    if (paused_) {
      ListPtr l = to_list(added);
      rd_kafka_pause_partitions(rk, l.get());
    }
    if (rebalance_ != nullptr) rebalance_->on_assign(added);
    return;
  }
  // Revoke (or an error: treat as losing everything).
  const auto revoked =
      err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS ? to_vector(partitions) : assignment_;
  if (rebalance_ != nullptr) rebalance_->on_revoke(revoked);
  if (rd_kafka_assignment_lost(rk) == 0) commit_sync();
  if (cooperative_ && err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
    rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk, partitions);
    if (e != nullptr) rd_kafka_error_destroy(e);
    std::erase_if(assignment_, [&](const kafka::TopicPartition& tp) {
      return std::find(revoked.begin(), revoked.end(), tp) != revoked.end();
    });
  } else {
    rd_kafka_assign(rk, nullptr);
    assignment_.clear();
  }
}

kafka::MessagePtr KafkaSource::poll(std::chrono::milliseconds timeout) {
  if (closed_) return nullptr;
  return kafka::MessagePtr(rd_kafka_consumer_poll(rk_.get(), static_cast<int>(timeout.count())));
}

void KafkaSource::pause_all() {
  if (paused_) return;
  paused_ = true;
  ListPtr l = to_list(assignment_);
  rd_kafka_pause_partitions(rk_.get(), l.get());
}

void KafkaSource::resume_all() {
  if (!paused_) return;
  paused_ = false;
  ListPtr l = to_list(assignment_);
  rd_kafka_resume_partitions(rk_.get(), l.get());
}

rd_kafka_resp_err_t KafkaSource::commit_sync() {
  const rd_kafka_resp_err_t err = rd_kafka_commit(rk_.get(), nullptr, 0);
  return err == RD_KAFKA_RESP_ERR__NO_OFFSET ? RD_KAFKA_RESP_ERR_NO_ERROR : err;
}

void KafkaSource::store_offset(const kafka::TopicPartition& tp, std::int64_t next_offset) {
  ListPtr l(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(l.get(), tp.topic.c_str(), tp.partition)->offset = next_offset;
  rd_kafka_offsets_store(rk_.get(), l.get());
}

std::int64_t KafkaSource::high_watermark(const kafka::TopicPartition& tp) {
  std::int64_t low = -1;
  std::int64_t high = -1;
  if (rd_kafka_get_watermark_offsets(rk_.get(), tp.topic.c_str(), tp.partition, &low, &high) !=
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    return -1;
  }
  return high;
}

void KafkaSource::close() {
  if (closed_ || !rk_) return;
  closed_ = true;
  rd_kafka_consumer_close(rk_.get());
}

}  // namespace newswatch::source
