// Per-rule alert deduplication (RULES-SPEC §4 `dedup`): a rule does not fire twice for the same
// key (article id, url or title) inside its window.
//
// Memory is bounded: at most max_entries keys are remembered; when full, the oldest entry is
// forgotten (so a duplicate may then get through: counted as an eviction).
// Thread-safety: all member functions may be called concurrently (internally sharded locks).
// Time is supplied by the caller (milliseconds on any monotonic clock), for testability.
//
// Two forms. admit(rule, article, now) treats an admitted alert as delivered at once (the
// offline `newswatch match`). The daemon's form takes a ticket naming the alert's delivery:
// the key stays *pending* until settle() says whether that alert was acknowledged. A duplicate
// that arrives while its key is pending is suppressed too, but its message must not be counted
// as done before the pending alert is: the caller learns the pending ticket (under the lock,
// so settle() cannot slip in between) and holds the message until that ticket settles. A
// pending alert that is given up (dropped) forgets its key, so the next copy is emitted.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
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

  enum class Verdict : std::uint8_t {
    kEmit,      // produce the alert; its key is pending under the given ticket until settle()
    kSuppress,  // an alert for this key was delivered inside the window
    kWait,      // an alert for this key is pending: on_pending(its ticket) has been called
  };
  struct Admission {
    Verdict verdict = Verdict::kEmit;
    std::uint64_t key = 0;  // pass to settle() with the ticket (meaningful for kEmit)
    bool tracked = false;   // kEmit only: false when the rule has no dedup (no settle needed)
  };
  // `ticket` must be non-zero and never reused. `on_pending(std::uint64_t pending_ticket)` is
  // called with the shard lock held (keep it short; it must not call back into this object).
  template <typename OnPending>
  Admission admit(const Rule& rule, const decode::Article& article, std::int64_t now_ms,
                  std::uint64_t ticket, OnPending&& on_pending);

  // The fate of the alert admitted under (key, ticket): delivered keeps the key for the rest
  // of its window; otherwise the key is forgotten. No-op when the entry has since expired,
  // been evicted or been taken over by another ticket.
  void settle(std::uint64_t key, std::uint64_t ticket, bool delivered);

  std::size_t size() const;
  std::uint64_t evictions() const noexcept { return evictions_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    std::int64_t expiry;   // steady milliseconds
    std::uint64_t ticket;  // non-zero while the alert that set it is pending
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::uint64_t, Entry> entries;  // key hash -> entry
    std::deque<std::uint64_t> order;                   // insertion order, for eviction
  };
  // The key hash, or nullopt when the rule does not deduplicate (or dedup is off).
  std::optional<std::uint64_t> key_of(const Rule& rule, const decode::Article& article) const;
  // With the shard's lock held: the live entry for `h` (expired ones forgotten first), or
  // null after inserting a fresh one {now + window, ticket}.
  Entry* find_or_insert(Shard& shard, std::uint64_t h, std::int64_t now_ms, std::int64_t window_ms,
                        std::uint64_t ticket);
  static std::int64_t window_ms(const Rule& rule);
  static constexpr std::size_t kShards = 16;
  std::size_t max_per_shard_;
  std::array<Shard, kShards> shards_;
  std::atomic<std::uint64_t> evictions_{0};
};

template <typename OnPending>
Deduplicator::Admission Deduplicator::admit(const Rule& rule, const decode::Article& article,
                                            std::int64_t now_ms, std::uint64_t ticket,
                                            OnPending&& on_pending) {
  const std::optional<std::uint64_t> h = key_of(rule, article);
  if (!h) return {};
  Shard& shard = shards_[*h % kShards];
  std::lock_guard lock(shard.mu);
  Entry* live = find_or_insert(shard, *h, now_ms, window_ms(rule), ticket);
  if (live == nullptr) return {Verdict::kEmit, *h, true};
  if (live->ticket == 0) return {Verdict::kSuppress, *h, false};
  on_pending(live->ticket);
  return {Verdict::kWait, *h, false};
}

}  // namespace newswatch::match
