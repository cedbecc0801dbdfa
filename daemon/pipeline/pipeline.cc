#include "daemon/pipeline/pipeline.h"

#include <algorithm>
#include <iterator>

#include "daemon/match/matcher.h"
#include "daemon/pipeline/alert_builder.h"

namespace newswatch::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t unix_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
std::int64_t steady_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
      .count();
}

std::string_view view(const void* p, std::size_t n) {
  return p == nullptr ? std::string_view() : std::string_view(static_cast<const char*>(p), n);
}

// A dead-letter copy that is refused as too large (by the broker, or by the producer before
// it is even enqueued) is replaced by its first bytes.
constexpr std::size_t kTruncatedDeadLetterBytes = 64 * 1024;

// Cuts a too-large dead-letter copy down to kTruncatedDeadLetterBytes, recording the original
// size in a newswatch-truncated-from header. Retrying it unchanged could never succeed.
void truncate_too_large_dead_letter(std::string& value,
                                    std::vector<std::pair<std::string, std::string>>& headers) {
  if (value.size() <= kTruncatedDeadLetterBytes) return;
  headers.emplace_back("newswatch-truncated-from", std::to_string(value.size()));
  value.resize(kTruncatedDeadLetterBytes);
}

}  // namespace

struct WorkerState {
  explicit WorkerState(const PipelineOptions& o)
      : decoder(o.decode), matcher(match::MatchOptions{o.max_alerts_per_article, 50}) {}
  decode::ArticleDecoder decoder;
  match::Matcher matcher;
  match::MatchOutput out;
  AlertBuilder builder;
  decode::Article article;
  std::string json;
  std::shared_ptr<const RulesSnapshot> snapshot;
  std::uint64_t generation = ~0ull;
};

Pipeline::Pipeline(PipelineOptions options, RuleSetHolder& rules, match::Deduplicator& dedup,
                   telemetry::Metrics& metrics, PipelineEvents& events)
    : options_(std::move(options)),
      rules_(rules),
      dedup_(dedup),
      metrics_(metrics),
      events_(events),
      tracker_([this](const kafka::TopicPartition& tp, std::int64_t next) {
        if (source_ != nullptr) source_->store_offset(tp, next);
      }) {
  metrics_.queue_capacity.Set(static_cast<double>(options_.queue_capacity));
}

Pipeline::~Pipeline() {
  queue_.close();
  for (auto& w : workers_) {
    if (w.joinable()) w.join();
  }
  stop_delivery_ = true;
  if (delivery_thread_.joinable()) delivery_thread_.join();
}

void Pipeline::attach(source::KafkaSource* source, sink::KafkaSink* sink) {
  source_ = source;
  sink_ = sink;
}

void Pipeline::start() {
  for (std::uint32_t i = 0; i < options_.workers; ++i)
    workers_.emplace_back([this] { worker_loop(); });
  delivery_thread_ = std::thread([this] { delivery_loop(); });
}

// ---- consumer thread ---------------------------------------------------------------------

Pipeline::StopReason Pipeline::run_consumer(const std::atomic<bool>& stop, bool exit_when_idle) {
  // Start of the current idle stretch; time_point::max() while not idle. (Not an optional:
  // GCC 12 reports a false -Wmaybe-uninitialized on optional<time_point>.)
  Clock::time_point idle_since = Clock::time_point::max();
  while (!stop.load()) {
    if (!fatal_reason().empty()) return StopReason::kFatal;
    const std::size_t depth = queue_.size();
    metrics_.queue_depth.Set(static_cast<double>(depth));
    if (!source_->paused() && depth >= options_.queue_capacity) {
      // Full: first wait a little for room without pausing. Pausing makes librdkafka drop what
      // it has prefetched for those partitions and fetch it again after the resume, a round
      // trip per pause (with the default 1,024-message queue that held the real-broker replay
      // of the corpus at ~2,100 articles/s, with the CPU 95% idle). Meanwhile librdkafka keeps
      // prefetching within its own bounds (queued.max.messages.kbytes). A queue that stays
      // full — slow workers — pauses fetching, so the consumer goes on polling. It waits for
      // the queue to drain to three quarters, not for one free slot: waking on every finished
      // job made the consumer and the workers hand the CPU back and forth once per message.
      if (!queue_.wait_below(options_.queue_capacity - options_.queue_capacity / 4,
                             std::chrono::milliseconds(500))) {
        source_->pause_all();
        metrics_.consumer_pauses.Increment();
      }
    } else if (source_->paused() && depth <= options_.queue_capacity / 2) {
      source_->resume_all();
    }
    // One blocking poll, then whatever else librdkafka already holds (up to a batch), handed to
    // the workers under one lock and one wake-up.
    bool consumed_any = false;
    bool event = false;
    kafka::MessagePtr msg = source_->poll(std::chrono::milliseconds(50));
    while (msg) {
      if (take(std::move(msg))) {
        consumed_any = true;
      } else {
        event = true;
      }
      if (pending_.size() >= kConsumeBatch) break;
      msg = source_->poll(std::chrono::milliseconds(0));
    }
    queue_.push_batch(pending_);
    if (consumed_any) idle_since = Clock::time_point::max();
    if (consumed_any || event) continue;
    if (exit_when_idle) {
      if (idle()) {
        const auto now = Clock::now();
        if (idle_since == Clock::time_point::max()) idle_since = now;
        if (now - idle_since >= std::chrono::milliseconds(500)) return StopReason::kIdle;
      } else {
        idle_since = Clock::time_point::max();
      }
    }
  }
  return StopReason::kRequested;
}

bool Pipeline::take(kafka::MessagePtr msg) {
  kafka::TopicPartition tp{msg->rkt != nullptr ? rd_kafka_topic_name(msg->rkt) : "",
                           msg->partition};
  if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    at_eof_.insert(std::move(tp));
    return false;
  }
  if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    events_.consumer_error(rd_kafka_message_errstr(msg.get()));
    return false;
  }
  at_eof_.erase(tp);
  OffsetTracker::Entry* entry = tracker_.track(tp, msg->offset);
  if (entry == nullptr) return false;  // not (or no longer) assigned: it will be re-consumed
  consumed_.fetch_add(1, std::memory_order_relaxed);
  pending_.push_back(Job{std::move(msg), entry, std::move(tp)});
  return true;
}

bool Pipeline::idle() const {
  const auto& assignment = source_->assignment();
  if (assignment.empty()) return false;
  for (const auto& tp : assignment) {
    if (at_eof_.count(tp) == 0) return false;
  }
  return queue_.idle() && tracker_.in_progress() == 0 && deliveries_pending_.load() == 0;
}

void Pipeline::on_assign(const std::vector<kafka::TopicPartition>& partitions) {
  tracker_.assign(partitions);
  assigned_count_ = source_ != nullptr ? source_->assignment().size() : partitions.size();
  metrics_.rebalances.Increment();
  events_.assigned(partitions);
}

void Pipeline::on_revoke(const std::vector<kafka::TopicPartition>& partitions) {
  const std::set<kafka::TopicPartition> revoked(partitions.begin(), partitions.end());
  // Queued messages of these partitions (and those of the batch being collected, when the
  // revocation comes from a poll in the middle of it) are dropped unprocessed: the next owner
  // consumes them.
  const auto of_revoked = [&](const Job& j) { return revoked.count(j.tp) > 0; };
  std::deque<Job> dropped = queue_.remove_if(of_revoked);
  const auto kept_end = std::stable_partition(pending_.begin(), pending_.end(),
                                              [&](const Job& j) { return !of_revoked(j); });
  std::move(kept_end, pending_.end(), std::back_inserter(dropped));
  pending_.erase(kept_end, pending_.end());
  for (Job& j : dropped) tracker_.abandon(j.entry);
  // Messages being processed or awaiting delivery get a bounded time to finish, so their
  // offsets are committed and the next owner does not repeat them.
  const bool drained = tracker_.wait_idle(partitions, Clock::now() + options_.revoke_timeout);
  tracker_.forget(partitions);
  for (const auto& tp : partitions) at_eof_.erase(tp);
  std::size_t remaining = 0;
  if (source_ != nullptr) {
    for (const auto& tp : source_->assignment()) remaining += revoked.count(tp) == 0;
  }
  assigned_count_ = remaining;
  metrics_.revokes.Increment();
  events_.revoked(partitions, dropped.size(), drained);
}

void Pipeline::on_commit(rd_kafka_resp_err_t err) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    metrics_.offsets_committed.Increment();
  } else {
    metrics_.offset_commit_errors.Increment();
  }
}

bool Pipeline::shutdown(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  source_->pause_all();
  // Finish what is queued, within the bound; abandon the rest (it will be re-consumed).
  bool complete = queue_.wait_drained(deadline);
  if (!complete) {
    for (Job& j : queue_.take_all()) tracker_.abandon(j.entry);
  }
  queue_.close();
  for (auto& w : workers_) w.join();
  workers_.clear();
  // Every alert acknowledged (the delivery thread keeps retrying until the deadline).
  complete = tracker_.wait_all_idle(deadline) && complete;
  const rd_kafka_resp_err_t err = source_->commit_sync();  // counted by on_commit()
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    events_.commit_failed(err);
    complete = false;
  }
  source_->close();  // leaves the group (final revoke: offsets committed again, nothing new)
  stopping_ = true;
  stop_delivery_ = true;
  if (delivery_thread_.joinable()) delivery_thread_.join();
  // What is still unacknowledged is given up: nothing is committed past it.
  rd_kafka_purge(sink_->handle(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  sink_->poll(std::chrono::milliseconds(100));
  std::vector<Retry> left;
  {
    std::lock_guard lock(retry_mu_);
    left.swap(retries_);
  }
  for (Retry& r : left) {
    settle_dedup(*r.delivery, false);
    tracker_.drop(r.delivery->entry);
    delete r.delivery;
  }
  return complete && left.empty();
}

// ---- workers -----------------------------------------------------------------------------

void Pipeline::worker_loop() {
  WorkerState state(options_);
  std::vector<Job> jobs;
  while (const std::size_t n = queue_.pop_batch(jobs, kWorkerBatch, options_.workers)) {
    for (Job& job : jobs) process(job, state);
    jobs.clear();
    queue_.done(n);
  }
}

void Pipeline::process(Job& job, WorkerState& st) {
  const auto start = Clock::now();
  if (rules_.generation() != st.generation) {
    st.generation = rules_.generation();
    st.snapshot = rules_.current();
  }
  const rd_kafka_message_t& m = *job.message;
  const std::string_view payload = view(m.payload, m.len);
  const std::string_view key = view(m.key, m.key_len);
  const telemetry::TopicMetrics& tm = metrics_.topic(job.tp.topic);
  tm.articles_consumed->Increment();
  tm.bytes_consumed->Increment(static_cast<double>(m.len));
  rd_kafka_timestamp_type_t ts_type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  const std::int64_t ts = rd_kafka_message_timestamp(&m, &ts_type);
  const std::int64_t source_ts = ts_type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? -1 : ts;

  if (auto err = st.decoder.decode(payload, st.article)) {
    metrics_.decode_error(err->code).Increment();
    const bool dlq = !options_.dlq_topic.empty();
    if (dlq) {
      const std::string partition = std::to_string(job.tp.partition);
      const std::string offset = std::to_string(m.offset);
      const std::string detail = err->detail.substr(0, 512);
      const sink::Header headers[] = {
          {"newswatch-error", decode::to_string(err->code)},
          {"newswatch-error-detail", detail},
          {"newswatch-source-topic", job.tp.topic},
          {"newswatch-source-partition", partition},
          {"newswatch-source-offset", offset},
      };
      produce_tracked(options_.dlq_topic, key, payload, headers,
                      new Delivery{Kind::kDeadLetter, job.entry, nullptr, 0, source_ts, 0});
    } else {
      metrics_.skipped_messages.Increment();
    }
    events_.undecodable(job.tp, m.offset, *err, dlq);
  } else {
    const match::CompiledRuleSet& rules = *st.snapshot->rules;
    const telemetry::RuleMetrics& rule_metrics = *st.snapshot->metrics;
    if ((st.article.changes & decode::kArticleRepairedUtf8) != 0)
      metrics_.repaired_articles.Increment();
    st.matcher.match(rules, st.article, st.out);
    if (st.out.stats.occurrences_truncated) metrics_.near_truncated.Increment();
    if (st.out.stats.matches_truncated) metrics_.alerts_truncated.Increment();
    const std::int64_t detected = unix_millis();
    const alert::KafkaOrigin origin{job.tp.topic, job.tp.partition, m.offset};
    for (const match::RuleMatch& rm : st.out.matches) {
      const match::Rule& rule = rules.rules()[rm.rule];
      rule_metrics.matches[rm.rule]->Increment();
      const bool shadow = rule.mode == match::Mode::kShadow;
      const std::string& topic = shadow ? options_.shadow_topic : options_.alert_topic;
      if (topic.empty()) {
        metrics_.shadow_unpublished.Increment();
        continue;
      }
      // A duplicate of an alert still in flight waits for it: this message is not done until
      // that alert is acknowledged (else a rebalance that re-delivers a message whose alert is
      // stuck would let its offset pass the undelivered alert).
      const std::uint64_t ticket = next_dedup_ticket_.fetch_add(1, std::memory_order_relaxed);
      const match::Deduplicator::Admission admission =
          dedup_.admit(rule, st.article, steady_millis(), ticket, [&](std::uint64_t pending) {
            tracker_.retain(job.entry);
            std::lock_guard lock(waiters_mu_);
            waiters_[pending].push_back(job.entry);
          });
      if (admission.verdict != match::Deduplicator::Verdict::kEmit) {
        metrics_.alerts_suppressed.Increment();
        continue;
      }
      st.json.clear();
      st.builder.encode(rules, st.out, rm, st.article, detected, origin, st.json);
      const sink::Header headers[] = {
          {"rule_id", rule.id},
          {"severity", match::to_string(rule.severity)},
          {"content-type", "application/json"},
      };
      auto* d = new Delivery{
          shadow ? Kind::kShadow : Kind::kAlert, job.entry, st.snapshot, rm.rule, source_ts, 0};
      if (admission.tracked) {
        d->dedup_key = admission.key;
        d->dedup_ticket = ticket;
      }
      produce_tracked(topic, st.article.id, st.json, headers, d);
    }
  }
  metrics_.processing_seconds.Observe(std::chrono::duration<double>(Clock::now() - start).count());
  job.message.reset();
  tracker_.release(job.entry);  // the processing reference
}

void Pipeline::produce_tracked(const std::string& topic, std::string_view key,
                               std::string_view value, std::span<const sink::Header> headers,
                               Delivery* d) {
  tracker_.retain(d->entry);
  deliveries_pending_.fetch_add(1);
  metrics_.deliveries_in_flight.Increment();
  const rd_kafka_resp_err_t err = sink_->produce(topic, key, value, headers, d);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
  // Not enqueued: it is pending again only once the retry enqueues it.
  deliveries_pending_.fetch_sub(1);
  metrics_.deliveries_in_flight.Decrement();
  metrics_.alerts_failed.Increment();
  events_.delivery_failed(topic, err, d->attempt);
  std::vector<std::pair<std::string, std::string>> copy;
  for (const auto& h : headers) copy.emplace_back(h.name, h.value);
  std::string retry_value(value);
  // librdkafka refuses a message above message.max.bytes right here, without a delivery
  // report: a dead-letter copy of an oversized message must shrink, as in on_delivery().
  if (d->kind == Kind::kDeadLetter && err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
    truncate_too_large_dead_letter(retry_value, copy);
  }
  schedule_retry(d, topic, std::string(key), std::move(retry_value), std::move(copy));
}

// ---- delivery thread ---------------------------------------------------------------------

void Pipeline::delivery_loop() {
  while (!stop_delivery_.load()) {
    sink_->poll(std::chrono::milliseconds(20));
    run_due_retries(false);
  }
}

void Pipeline::on_delivery(void* opaque, rd_kafka_resp_err_t err,
                           const rd_kafka_message_t& message) {
  auto* d = static_cast<Delivery*>(opaque);
  if (d == nullptr) return;
  const std::string_view topic = message.rkt != nullptr ? rd_kafka_topic_name(message.rkt) : "";
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR || stopping_.load()) {
    deliveries_pending_.fetch_sub(1);
    metrics_.deliveries_in_flight.Decrement();
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      consecutive_failures_ = 0;
      if (d->kind == Kind::kDeadLetter) {
        metrics_.dead_letters.Increment();
      } else {
        if (d->snapshot) d->snapshot->metrics->alerts[d->rule]->Increment();
        if (d->source_timestamp_ms >= 0) {
          metrics_.end_to_end_seconds.Observe(std::max<double>(
              0.0, static_cast<double>(unix_millis() - d->source_timestamp_ms) / 1000.0));
        }
        events_.alert_delivered(topic, view(message.payload, message.len));
      }
      settle_dedup(*d, true);
      tracker_.release(d->entry);
    } else {
      // Stopping: the unacknowledged message is given up, and no offset may move past it.
      settle_dedup(*d, false);
      tracker_.drop(d->entry);
    }
    delete d;
    return;
  }
  consecutive_failures_.fetch_add(1);
  metrics_.alerts_failed.Increment();
  events_.delivery_failed(topic, err, d->attempt);
  std::string value(view(message.payload, message.len));
  std::vector<std::pair<std::string, std::string>> headers;
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_headers(&message, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR && hdrs != nullptr) {
    const char* name = nullptr;
    const void* val = nullptr;
    std::size_t size = 0;
    for (std::size_t i = 0;
         rd_kafka_header_get_all(hdrs, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
      headers.emplace_back(name, std::string(view(val, size)));
    }
  }
  if (d->kind == Kind::kDeadLetter && err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
    truncate_too_large_dead_letter(value, headers);
  }
  // No longer in flight; the retry counts it again when it enqueues it. The Delivery keeps
  // its reference on the message's entry across attempts.
  deliveries_pending_.fetch_sub(1);
  metrics_.deliveries_in_flight.Decrement();
  schedule_retry(d, std::string(topic), std::string(view(message.key, message.key_len)),
                 std::move(value), std::move(headers));
}

void Pipeline::settle_dedup(const Delivery& d, bool delivered) {
  if (d.dedup_ticket == 0) return;
  // After settle() no one can start waiting on this ticket: the waiters are all here.
  dedup_.settle(d.dedup_key, d.dedup_ticket, delivered);
  std::vector<OffsetTracker::Entry*> waiting;
  {
    std::lock_guard lock(waiters_mu_);
    auto it = waiters_.find(d.dedup_ticket);
    if (it == waiters_.end()) return;
    waiting.swap(it->second);
    waiters_.erase(it);
  }
  for (OffsetTracker::Entry* e : waiting) {
    if (delivered) {
      tracker_.release(e);
    } else {
      tracker_.drop(e);
    }
  }
}

void Pipeline::schedule_retry(Delivery* d, std::string topic, std::string key, std::string value,
                              std::vector<std::pair<std::string, std::string>> headers) {
  const int attempt = ++d->attempt;
  const auto backoff = std::min(std::chrono::milliseconds(100) * (1 << std::min(attempt, 9)),
                                std::chrono::milliseconds(30'000));
  std::lock_guard lock(retry_mu_);
  retries_.push_back(Retry{Clock::now() + backoff, std::move(topic), std::move(key),
                           std::move(value), std::move(headers), d});
}

void Pipeline::run_due_retries(bool all) {
  std::vector<Retry> due;
  {
    std::lock_guard lock(retry_mu_);
    const auto now = Clock::now();
    for (auto it = retries_.begin(); it != retries_.end();) {
      if (all || it->due <= now) {
        due.push_back(std::move(*it));
        it = retries_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (Retry& r : due) {
    std::vector<sink::Header> headers;
    for (const auto& [n, v] : r.headers) headers.push_back({n, v});
    const rd_kafka_resp_err_t err =
        sink_->produce(r.topic, r.key, r.value, headers, r.delivery, std::chrono::milliseconds(0));
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      deliveries_pending_.fetch_add(1);
      metrics_.deliveries_in_flight.Increment();
      continue;
    }
    events_.delivery_failed(r.topic, err, r.delivery->attempt);
    schedule_retry(r.delivery, std::move(r.topic), std::move(r.key), std::move(r.value),
                   std::move(r.headers));
  }
}

bool Pipeline::producer_healthy() const noexcept {
  return consecutive_failures_.load() < 5;
}

void Pipeline::report_fatal(std::string reason) {
  std::lock_guard lock(fatal_mu_);
  if (fatal_.empty()) fatal_ = std::move(reason);
}

std::string Pipeline::fatal_reason() const {
  std::lock_guard lock(fatal_mu_);
  return fatal_;
}

}  // namespace newswatch::pipeline
