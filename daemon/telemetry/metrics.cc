#include "daemon/telemetry/metrics.h"

#include <array>
#include <chrono>
#include <set>
#include <unordered_map>
#include <utility>

#include <prometheus/labels.h>

#include "daemon/telemetry/process_collector.h"
#include "daemon/telemetry/registry.h"

namespace newswatch::telemetry {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;
using prometheus::Labels;

constexpr std::string_view kOther = "_other";

// Every DecodeErrorCode, in enum order (the index of decode_error()).
constexpr std::array kDecodeErrorCodes = {
    decode::DecodeErrorCode::kEmpty,       decode::DecodeErrorCode::kTooLarge,
    decode::DecodeErrorCode::kInvalidJson, decode::DecodeErrorCode::kNotObject,
    decode::DecodeErrorCode::kWrongType,   decode::DecodeErrorCode::kNoText,
};

// A switch, so that a new enumerator is a compile error (-Wswitch) until it is listed above.
std::size_t decode_error_index(decode::DecodeErrorCode code) noexcept {
  switch (code) {
    case decode::DecodeErrorCode::kEmpty:
      return 0;
    case decode::DecodeErrorCode::kTooLarge:
      return 1;
    case decode::DecodeErrorCode::kInvalidJson:
      return 2;
    case decode::DecodeErrorCode::kNotObject:
      return 3;
    case decode::DecodeErrorCode::kWrongType:
      return 4;
    case decode::DecodeErrorCode::kNoText:
      return 5;
  }
  return 2;  // not a valid enumerator: counted as invalid_json
}

// 50 µs .. 1 s, roughly 1-2.5-5 per decade.
const Histogram::BucketBoundaries kProcessingBuckets = {
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0};
// 1 ms .. 60 s.
const Histogram::BucketBoundaries kEndToEndBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0};

Family<Counter>& counter_family(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}
Family<Gauge>& gauge_family(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r);
}
Family<Histogram>& histogram_family(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(r);
}

std::shared_ptr<prometheus::Registry> make_registry() {
  auto registry = std::make_shared<CollectorRegistry>();
  registry->add_collectable(std::make_shared<ProcessCollector>());
  return registry;
}

}  // namespace

// Reference-counted per-rule series. A series (a Counter in one of the two families) is
// referenced once by every live RuleMetrics that points at it; the last reference removes
// it from its family. So series of rules dropped by a reload disappear once no worker holds
// the old table, and a rule kept across reloads keeps its counter (the new table takes its
// reference before the old one drops its own).
class RuleSeriesTable : public std::enable_shared_from_this<RuleSeriesTable> {
 public:
  RuleSeriesTable(std::shared_ptr<prometheus::Registry> registry, Family<Counter>& matches,
                  Family<Counter>& alerts)
      : registry_(std::move(registry)), matches_(matches), alerts_(alerts) {}

  std::shared_ptr<const RuleMetrics> build(const match::CompiledRuleSet& rules, bool per_rule,
                                           std::size_t max_rule_series) {
    auto table = std::make_unique<RuleMetrics>();
    const auto rule_list = rules.rules();
    table->matches.reserve(rule_list.size());
    table->alerts.reserve(rule_list.size());
    std::size_t named = 0;
    std::lock_guard lock(mutex_);
    for (const match::Rule& rule : rule_list) {
      bool own_series = false;
      if (per_rule && rule.enabled && named < max_rule_series) {
        own_series = true;
        ++named;
      }
      const std::string id = own_series ? rule.id : std::string(kOther);
      const std::string severity(match::to_string(rule.severity));
      table->matches.push_back(&matches_.Add(Labels{{"rule_id", id}, {"severity", severity}}));
      table->alerts.push_back(
          &alerts_.Add(Labels{{"rule_id", id},
                              {"severity", severity},
                              {"mode", std::string(match::to_string(rule.mode))}}));
    }
    for (Counter* c : distinct(*table)) {
      auto [it, inserted] = refs_.try_emplace(c, Ref{nullptr, 0});
      if (inserted) it->second.family = owner_of(c, *table);
      ++it->second.count;
    }
    std::shared_ptr<RuleSeriesTable> self = shared_from_this();
    return std::shared_ptr<const RuleMetrics>(table.release(),
                                              [self](const RuleMetrics* p) noexcept {
                                                self->release(*p);
                                                delete p;
                                              });
  }

 private:
  struct Ref {
    Family<Counter>* family;
    std::size_t count;
  };

  static std::set<Counter*> distinct(const RuleMetrics& t) {
    std::set<Counter*> out(t.matches.begin(), t.matches.end());
    out.insert(t.alerts.begin(), t.alerts.end());
    return out;
  }

  Family<Counter>* owner_of(Counter* c, const RuleMetrics& t) {
    for (Counter* m : t.matches) {
      if (m == c) return &matches_;
    }
    return &alerts_;
  }

  void release(const RuleMetrics& t) noexcept {
    std::lock_guard lock(mutex_);
    for (Counter* c : distinct(t)) {
      const auto it = refs_.find(c);
      if (it == refs_.end()) continue;
      if (--it->second.count == 0) {
        it->second.family->Remove(c);
        refs_.erase(it);
      }
    }
  }

  std::shared_ptr<prometheus::Registry> registry_;  // keeps the families alive
  Family<Counter>& matches_;
  Family<Counter>& alerts_;
  std::mutex mutex_;
  std::unordered_map<Counter*, Ref> refs_;
};

struct Metrics::Families {
  Families(const std::shared_ptr<prometheus::Registry>& registry, const MetricsOptions& o)
      : articles_consumed(counter_family(*registry, "newswatch_articles_consumed_total",
                                         "Kafka messages consumed from input topics.")),
        bytes_consumed(counter_family(*registry, "newswatch_consumed_bytes_total",
                                      "Payload bytes of the Kafka messages consumed.")),
        decode_errors(counter_family(*registry, "newswatch_decode_errors_total",
                                     "Messages that could not be decoded as articles, by reason.")),
        dead_letters_f(counter_family(*registry, "newswatch_dead_letters_total",
                                      "Undecodable messages copied to the dead-letter topic and "
                                      "acknowledged by the broker.")),
        skipped(counter_family(*registry, "newswatch_skipped_messages_total",
                               "Undecodable messages skipped because no dead-letter topic is "
                               "configured.")),
        repaired(counter_family(*registry, "newswatch_repaired_articles_total",
                                "Articles decoded after replacing invalid UTF-8.")),
        queue_depth_f(gauge_family(*registry, "newswatch_queue_depth_messages",
                                   "Messages waiting in the queue between consumer and workers.")),
        queue_capacity_f(gauge_family(*registry, "newswatch_queue_capacity_messages",
                                      "Capacity of the queue between consumer and workers.")),
        consumer_pauses_f(counter_family(*registry, "newswatch_consumer_pauses_total",
                                         "Times the consumer paused fetching because the queue "
                                         "was full.")),
        rebalances_f(counter_family(*registry, "newswatch_rebalances_total",
                                    "Consumer group rebalance events, by kind.")),
        offset_commits(counter_family(*registry, "newswatch_offset_commits_total",
                                      "Offset commits, by result.")),
        processing(histogram_family(*registry, "newswatch_article_processing_seconds",
                                    "Time to decode, normalise and match one article.")),
        alerts_suppressed_f(counter_family(*registry, "newswatch_alerts_suppressed_total",
                                           "Alerts not published, by reason.")),
        near_truncated_f(counter_family(*registry, "newswatch_near_truncated_articles_total",
                                        "Articles whose NEAR evaluation hit the occurrence "
                                        "limit.")),
        alerts_failed_f(counter_family(*registry, "newswatch_alerts_failed_total",
                                       "Alert delivery attempts that failed (retried).")),
        end_to_end(histogram_family(*registry, "newswatch_end_to_end_latency_seconds",
                                    "Time from the Kafka timestamp of an article to the broker's "
                                    "acknowledgement of its alert.")),
        in_flight(gauge_family(*registry, "newswatch_deliveries_in_flight",
                               "Alert and dead-letter messages produced and not yet "
                               "acknowledged.")),
        reloads(counter_family(*registry, "newswatch_ruleset_reloads_total",
                               "Rule set reload attempts, by result.")),
        last_reload(gauge_family(*registry, "newswatch_ruleset_last_reload_timestamp_seconds",
                                 "Unix time of the last successful rule set load.")),
        ruleset_rules_f(gauge_family(*registry, "newswatch_ruleset_rules",
                                     "Rules in the current rule set, by state.")),
        compile_seconds(gauge_family(*registry, "newswatch_ruleset_compile_seconds",
                                     "Time taken to compile the current rule set.")),
        last_reload_ok_f(gauge_family(*registry, "newswatch_ruleset_last_reload_successful",
                                      "1 when the last rule set load attempt succeeded, 0 when "
                                      "it failed and the previous set is still serving.")),
        dedup_entries_f(gauge_family(*registry, "newswatch_dedup_entries",
                                     "(rule, key) pairs remembered by the deduplicator.")),
        dedup_evictions_f(counter_family(*registry, "newswatch_dedup_evictions_total",
                                         "Dedup entries forgotten before their window ended "
                                         "because dedup.max_entries was reached.")),
        ruleset_info(gauge_family(*registry, "newswatch_ruleset_info",
                                  "The current rule set (value 1), labelled by its version.")),
        ready_f(gauge_family(*registry, "newswatch_ready",
                             "1 when the daemon is ready (rules loaded, consumer assigned, "
                             "producer healthy), else 0.")),
        build_info(gauge_family(*registry, "newswatch_build_info",
                                "Build of the running daemon (value 1).")),
        consumer_lag(gauge_family(*registry, "newswatch_consumer_lag_messages",
                                  "Consumer lag per assigned partition, from librdkafka "
                                  "statistics.")),
        rule_matches(counter_family(*registry, "newswatch_rule_matches_total",
                                    "Rule matches, by rule (capped, see metrics.max_rule_series) "
                                    "and severity.")),
        alerts_published(counter_family(*registry, "newswatch_alerts_published_total",
                                        "Alerts acknowledged by the broker, by rule (capped), "
                                        "severity and mode.")),
        rule_series(std::make_shared<RuleSeriesTable>(registry, rule_matches, alerts_published)) {
    for (const std::string& t : o.input_topics) {
      if (topics.contains(t)) continue;
      topics.emplace(t, TopicMetrics{&articles_consumed.Add({{"topic", t}}),
                                     &bytes_consumed.Add({{"topic", t}})});
    }
    other_topic = TopicMetrics{&articles_consumed.Add({{"topic", std::string(kOther)}}),
                               &bytes_consumed.Add({{"topic", std::string(kOther)}})};
    for (std::size_t i = 0; i < kDecodeErrorCodes.size(); ++i) {
      decode_error_counters[i] =
          &decode_errors.Add({{"reason", std::string(decode::to_string(kDecodeErrorCodes[i]))}});
    }
    build_info.Add({{"version", o.version}, {"revision", o.revision}}).Set(1);
    disabled_rules = &ruleset_rules_f.Add({{"state", "disabled"}});
  }

  Family<Counter>& articles_consumed;
  Family<Counter>& bytes_consumed;
  Family<Counter>& decode_errors;
  Family<Counter>& dead_letters_f;
  Family<Counter>& skipped;
  Family<Counter>& repaired;
  Family<Gauge>& queue_depth_f;
  Family<Gauge>& queue_capacity_f;
  Family<Counter>& consumer_pauses_f;
  Family<Counter>& rebalances_f;
  Family<Counter>& offset_commits;
  Family<Histogram>& processing;
  Family<Counter>& alerts_suppressed_f;
  Family<Counter>& near_truncated_f;
  Family<Counter>& alerts_failed_f;
  Family<Histogram>& end_to_end;
  Family<Gauge>& in_flight;
  Family<Counter>& reloads;
  Family<Gauge>& last_reload;
  Family<Gauge>& ruleset_rules_f;
  Family<Gauge>& compile_seconds;
  Family<Gauge>& last_reload_ok_f;
  Family<Gauge>& dedup_entries_f;
  Family<Counter>& dedup_evictions_f;
  Family<Gauge>& ruleset_info;
  Family<Gauge>& ready_f;
  Family<Gauge>& build_info;
  Family<Gauge>& consumer_lag;
  Family<Counter>& rule_matches;
  Family<Counter>& alerts_published;

  std::map<std::string, TopicMetrics, std::less<>> topics;
  TopicMetrics other_topic;
  std::array<Counter*, kDecodeErrorCodes.size()> decode_error_counters{};
  Gauge* disabled_rules = nullptr;

  std::shared_ptr<RuleSeriesTable> rule_series;
  std::mutex ruleset_mutex;
  Gauge* ruleset_info_current = nullptr;             // guarded by ruleset_mutex
  std::shared_ptr<const RuleMetrics> current_rules;  // guarded by ruleset_mutex

  std::mutex lag_mutex;
  std::map<std::pair<std::string, std::int32_t>, Gauge*> lag;  // guarded by lag_mutex
};

Metrics::Metrics(const MetricsOptions& options)
    : options_(options),
      registry_(make_registry()),
      f_(std::make_unique<Families>(registry_, options_)),
      dead_letters(f_->dead_letters_f.Add({})),
      skipped_messages(f_->skipped.Add({})),
      repaired_articles(f_->repaired.Add({})),
      queue_depth(f_->queue_depth_f.Add({})),
      queue_capacity(f_->queue_capacity_f.Add({})),
      consumer_pauses(f_->consumer_pauses_f.Add({})),
      rebalances(f_->rebalances_f.Add({{"kind", "assign"}})),
      revokes(f_->rebalances_f.Add({{"kind", "revoke"}})),
      offsets_committed(f_->offset_commits.Add({{"result", "ok"}})),
      offset_commit_errors(f_->offset_commits.Add({{"result", "error"}})),
      processing_seconds(f_->processing.Add({}, kProcessingBuckets)),
      alerts_suppressed(f_->alerts_suppressed_f.Add({{"reason", "dedup"}})),
      alerts_truncated(f_->alerts_suppressed_f.Add({{"reason", "max_alerts_per_article"}})),
      shadow_unpublished(f_->alerts_suppressed_f.Add({{"reason", "no_shadow_topic"}})),
      near_truncated(f_->near_truncated_f.Add({})),
      alerts_failed(f_->alerts_failed_f.Add({})),
      end_to_end_seconds(f_->end_to_end.Add({}, kEndToEndBuckets)),
      deliveries_in_flight(f_->in_flight.Add({})),
      reloads_ok(f_->reloads.Add({{"result", "success"}})),
      reloads_failed(f_->reloads.Add({{"result", "failure"}})),
      last_reload_timestamp(f_->last_reload.Add({})),
      ruleset_rules(f_->ruleset_rules_f.Add({{"state", "enabled"}})),
      ruleset_compile_seconds(f_->compile_seconds.Add({})),
      last_reload_successful(f_->last_reload_ok_f.Add({})),
      dedup_entries(f_->dedup_entries_f.Add({})),
      dedup_evictions(f_->dedup_evictions_f.Add({})),
      ready(f_->ready_f.Add({})) {}

Metrics::~Metrics() = default;

const TopicMetrics& Metrics::topic(std::string_view topic) const noexcept {
  const auto it = f_->topics.find(topic);
  return it == f_->topics.end() ? f_->other_topic : it->second;
}

prometheus::Counter& Metrics::decode_error(decode::DecodeErrorCode code) const noexcept {
  return *f_->decode_error_counters[decode_error_index(code)];
}

std::shared_ptr<const RuleMetrics> Metrics::publish_rule_set(const match::CompiledRuleSet& rules) {
  auto table = f_->rule_series->build(rules, options_.per_rule_series, options_.max_rule_series);
  std::shared_ptr<const RuleMetrics> previous;  // released outside the lock
  std::lock_guard lock(f_->ruleset_mutex);
  Gauge* info = &f_->ruleset_info.Add({{"version", rules.version()}});
  info->Set(1);
  if (f_->ruleset_info_current != nullptr && f_->ruleset_info_current != info) {
    f_->ruleset_info.Remove(f_->ruleset_info_current);
  }
  f_->ruleset_info_current = info;
  const std::size_t enabled = rules.enabled_rule_count();
  ruleset_rules.Set(static_cast<double>(enabled));
  f_->disabled_rules->Set(static_cast<double>(rules.rules().size() - enabled));
  ruleset_compile_seconds.Set(std::chrono::duration<double>(rules.compile_time()).count());
  previous = std::exchange(f_->current_rules, table);
  return table;
}

void Metrics::set_consumer_lag(std::span<const PartitionLag> lags) {
  std::lock_guard lock(f_->lag_mutex);
  std::map<std::pair<std::string, std::int32_t>, Gauge*> next;
  for (const PartitionLag& l : lags) {
    auto key = std::make_pair(l.topic, l.partition);
    Gauge* g = nullptr;
    if (const auto it = next.find(key); it != next.end()) {
      g = it->second;
    } else if (const auto old = f_->lag.find(key); old != f_->lag.end()) {
      g = old->second;
    } else {
      g = &f_->consumer_lag.Add({{"topic", l.topic}, {"partition", std::to_string(l.partition)}});
    }
    g->Set(static_cast<double>(l.lag));
    next.emplace(std::move(key), g);
  }
  for (const auto& [key, gauge] : f_->lag) {
    if (!next.contains(key)) f_->consumer_lag.Remove(gauge);
  }
  f_->lag = std::move(next);
}

}  // namespace newswatch::telemetry
