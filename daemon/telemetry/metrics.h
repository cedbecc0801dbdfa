// The daemon's metrics catalogue (Prometheus, via prometheus-cpp).
//
// Every metric the daemon exports is declared here, created once when Metrics is built, and
// handed to the stages as plain references/pointers: nothing is looked up by name or label on
// the hot path. Names follow Prometheus conventions: newswatch_<noun>_<unit>_total for
// counters, _seconds histograms, _bytes sizes; label values are bounded (topics and partitions
// from the config and the assignment, decode reasons from a closed set, rule ids capped by
// metrics.max_rule_series with the rest under rule_id="_other").
//
// Thread-safety: prometheus-cpp counters, gauges and histograms are thread-safe. Metrics
// itself is immutable after construction except for the per-rule tables (RuleMetrics), which
// are rebuilt per rule set and shared via shared_ptr, and the lag gauges (set_consumer_lag),
// which are internally synchronised. Every member function may be called from any thread.
//
// Per-rule series and their cap (metrics.per_rule_series, metrics.max_rule_series):
//   - newswatch_rule_matches_total{rule_id,severity} and
//     newswatch_alerts_published_total{rule_id,severity,mode} get one series per rule for the
//     first max_rule_series ENABLED rules in CompiledRuleSet::rules() order (rule files sorted
//     by path, rules in file order). Every other rule (beyond the cap, or disabled) counts into
//     rule_id="_other" with its own severity (and mode), so the number of series is at most
//     max_rule_series + 5 severities (x 2 modes for alerts), whatever the size of the rule set.
//   - per_rule_series=false (or max_rule_series=0) puts every rule under rule_id="_other".
//   - A series lives as long as some RuleMetrics table points at it: when a reload drops or
//     caps a rule, its series disappears once the last worker releases the old table (Metrics
//     keeps the latest table itself). A rule present before and after a reload keeps its
//     counter.
//
// Errors: constructing Metrics and publish_rule_set() only throw std::bad_alloc. Nothing here
// logs.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "daemon/decode/decoder.h"
#include "daemon/match/rule_set.h"

namespace newswatch::telemetry {

struct MetricsOptions {
  std::vector<std::string> input_topics;  // articles_consumed etc. get one series per topic
  bool per_rule_series = true;
  std::size_t max_rule_series = 1000;  // rules beyond this share rule_id="_other"
  std::string version;                 // build info labels
  std::string revision;
};
// Also exported, without configuration: newswatch_build_info{version,revision} (value 1) and
// the standard process_* metrics (see process_collector.h) through the registry.

// Per-topic handles for the consumer side.
struct TopicMetrics {
  prometheus::Counter* articles_consumed = nullptr;  // newswatch_articles_consumed_total{topic}
  prometheus::Counter* bytes_consumed = nullptr;     // newswatch_consumed_bytes_total{topic}
};

// Per-rule handles, indexed like CompiledRuleSet::rules() (same size; no pointer is null).
// Rebuilt for every rule set; rules without their own series share the "_other" counter of
// their severity (and mode). See "Per-rule series and their cap" above.
struct RuleMetrics {
  // newswatch_rule_matches_total{rule_id,severity}
  std::vector<prometheus::Counter*> matches;
  // newswatch_alerts_published_total{rule_id,severity,mode}; mode "alert" or "shadow"
  std::vector<prometheus::Counter*> alerts;
};

class Metrics {
  // Declared first: the reference members below are bound to objects these own.
  struct Families;
  MetricsOptions options_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<Families> f_;

 public:
  explicit Metrics(const MetricsOptions& options);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // The registry to serve (HttpServer) or serialise. It is a CollectorRegistry (registry.h):
  // its Collect() also returns the process_* metrics.
  const std::shared_ptr<prometheus::Registry>& registry() const noexcept { return registry_; }

  // Consumer side. `topic` must be one of the configured input topics; any other returns a
  // shared "_other" series (never null). This is a map lookup: call it when a partition is
  // assigned and keep the handles, not per message. The reference lives as long as Metrics.
  const TopicMetrics& topic(std::string_view topic) const noexcept;
  // newswatch_decode_errors_total{reason}, reason = decode::to_string(code); every reason's
  // series exists from construction. An array index, fine on the hot path.
  prometheus::Counter& decode_error(decode::DecodeErrorCode code) const noexcept;
  // newswatch_dead_letters_total (DLQ copies acknowledged by the broker)
  prometheus::Counter& dead_letters;
  // newswatch_skipped_messages_total (undecodable, no DLQ topic)
  prometheus::Counter& skipped_messages;
  // newswatch_repaired_articles_total (invalid UTF-8 fixed)
  prometheus::Counter& repaired_articles;
  prometheus::Gauge& queue_depth;             // newswatch_queue_depth_messages
  prometheus::Gauge& queue_capacity;          // newswatch_queue_capacity_messages
  prometheus::Counter& consumer_pauses;       // newswatch_consumer_pauses_total (backpressure)
  prometheus::Counter& rebalances;            // newswatch_rebalances_total{kind="assign"}
  prometheus::Counter& revokes;               // newswatch_rebalances_total{kind="revoke"}
  prometheus::Counter& offsets_committed;     // newswatch_offset_commits_total{result="ok"}
  prometheus::Counter& offset_commit_errors;  // newswatch_offset_commits_total{result="error"}

  // Matching.
  // newswatch_article_processing_seconds (buckets 50us..1s)
  prometheus::Histogram& processing_seconds;
  // newswatch_alerts_suppressed_total{reason="dedup"}
  prometheus::Counter& alerts_suppressed;
  // newswatch_alerts_suppressed_total{reason="max_alerts_per_article"}
  prometheus::Counter& alerts_truncated;
  // newswatch_alerts_suppressed_total{reason="no_shadow_topic"}
  prometheus::Counter& shadow_unpublished;
  // newswatch_near_truncated_articles_total
  prometheus::Counter& near_truncated;

  // Producer side.
  // newswatch_alerts_failed_total (delivery attempts that failed; retried)
  prometheus::Counter& alerts_failed;
  // newswatch_end_to_end_latency_seconds (Kafka timestamp -> alert acked; buckets 1ms..60s)
  prometheus::Histogram& end_to_end_seconds;
  // newswatch_deliveries_in_flight
  prometheus::Gauge& deliveries_in_flight;

  // Rule set.
  // newswatch_ruleset_reloads_total{result="success"}
  prometheus::Counter& reloads_ok;
  // newswatch_ruleset_reloads_total{result="failure"}
  prometheus::Counter& reloads_failed;
  // newswatch_ruleset_last_reload_timestamp_seconds (successful)
  prometheus::Gauge& last_reload_timestamp;
  // newswatch_ruleset_rules{state="enabled"} (set by publish_rule_set)
  prometheus::Gauge& ruleset_rules;
  // newswatch_ruleset_compile_seconds (set by publish_rule_set)
  prometheus::Gauge& ruleset_compile_seconds;
  // newswatch_ruleset_last_reload_successful: 1 when the last load attempt succeeded, 0 when
  // it failed (the previous set is then still serving).
  prometheus::Gauge& last_reload_successful;

  // Dedup memory.
  prometheus::Gauge& dedup_entries;  // newswatch_dedup_entries
  prometheus::Counter&
      dedup_evictions;  // newswatch_dedup_evictions_total (forgotten early: memory bound)

  // Health.
  prometheus::Gauge& ready;  // newswatch_ready (1 when /readyz answers 200)

  // Called when a rule set is published (off the hot path): sets
  // newswatch_ruleset_info{version} (only the current version has value 1; the previous
  // series is removed), newswatch_ruleset_rules{state="enabled"|"disabled"} and the compile
  // time, creates the per-rule series (see the cap above) and returns their handles. It does
  // not touch the reload counters or the last-reload timestamp: the caller owns those.
  std::shared_ptr<const RuleMetrics> publish_rule_set(const match::CompiledRuleSet& rules);

  // Consumer lag per assigned partition, from librdkafka statistics (see kafka_stats.h)
  // (newswatch_consumer_lag_messages{topic,partition}); partitions not in `lags` any more
  // are removed, so an empty span removes them all. A (topic, partition) given twice: the
  // last value wins.
  struct PartitionLag {
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t lag = 0;
  };
  void set_consumer_lag(std::span<const PartitionLag> lags);
};

}  // namespace newswatch::telemetry
