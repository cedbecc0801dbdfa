// The rule set the workers match against, replaced whole on reload.
//
// A snapshot bundles the compiled rules with the metric handles made for them, so an alert is
// always counted under the rule set that produced it. Workers keep their snapshot and compare
// a generation number (one atomic load per message) to notice a new one; a snapshot stays
// alive as long as any worker or in-flight alert holds it, so no article is ever matched by a
// mixed or half-built set.
//
// Thread-safety: all member functions are thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "daemon/match/rule_set.h"
#include "daemon/telemetry/metrics.h"

namespace newswatch::pipeline {

struct RulesSnapshot {
  std::shared_ptr<const match::CompiledRuleSet> rules;
  std::shared_ptr<const telemetry::RuleMetrics> metrics;
};

class RuleSetHolder {
 public:
  void publish(std::shared_ptr<const RulesSnapshot> snapshot) {
    std::lock_guard lock(mu_);
    current_ = std::move(snapshot);
    generation_.fetch_add(1, std::memory_order_release);
  }
  std::shared_ptr<const RulesSnapshot> current() const {
    std::lock_guard lock(mu_);
    return current_;
  }
  std::uint64_t generation() const noexcept { return generation_.load(std::memory_order_acquire); }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const RulesSnapshot> current_;
  std::atomic<std::uint64_t> generation_{0};
};

}  // namespace newswatch::pipeline
