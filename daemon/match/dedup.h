// Per-rule alert deduplication (RULES-SPEC §4 `dedup`): a rule does not fire twice for the same
// key (article id, url or title) inside its window.
//
// Memory is bounded: at most max_entries keys are remembered; when full, the oldest entry is
// forgotten (so a duplicate may then get through: counted as an eviction).
// Thread-safety: all member functions may be called concurrently (internally sharded locks).
// Time is supplied by the caller (milliseconds on any monotonic clock), for testability.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include "daemon/decode/article.h"
#include "daemon/match/rule_set.h"

namespace newswatch::match {

class Deduplicator {
 public:
  // max_entries == 0 disables deduplication (every alert is admitted).
  explicit Deduplicator(std::size_t max_entries);

  // True when the alert of `rule` for `article` should be emitted (and remembers it); false when
  // the same rule already fired for the same key less than rule.dedup_window ago. A zero
  // window admits everything.
  bool admit(const Rule& rule, const decode::Article& article, std::int64_t now_ms);

  std::size_t size() const;
  std::uint64_t evictions() const noexcept { return evictions_.load(std::memory_order_relaxed); }

 private:
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::uint64_t, std::int64_t> expiry;  // key hash -> expiry time
    std::deque<std::uint64_t> order;                         // insertion order, for eviction
  };
  static constexpr std::size_t kShards = 16;
  std::size_t max_per_shard_;
  std::array<Shard, kShards> shards_;
  std::atomic<std::uint64_t> evictions_{0};
};

}  // namespace newswatch::match
