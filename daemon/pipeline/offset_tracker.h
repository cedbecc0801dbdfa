// At-least-once bookkeeping: which consumed messages are fully handled, per partition.
//
// A message is "done" when its processing has finished and every produce it caused (alerts,
// or its dead-letter copy) has been acknowledged. A partition's offset may only move past a
// message once that message and every message before it in the partition are done: the
// tracker keeps, per partition, the messages in consumption order and calls `store` with the
// next offset to consume whenever that contiguous low-water mark advances.
//
// Lifecycle of one message:   track() -> [retain() per produce] -> release() per retain and
// one final release() for the processing itself. A reference whose work failed for good
// (a produce given up at shutdown) is let go with drop() instead: the message then never
// counts as done. abandon() gives up a message that was never processed (dropped from the
// queue): it holds only the processing reference. A message that is not done blocks the
// low-water mark until its partition is forgotten: it will be re-consumed.
// Partitions: assign() when assigned; forget() when revoked — later releases of messages from
// a forgotten partition are ignored (their offsets can no longer be stored).
//
// Thread-safety: all member functions are thread-safe. track() must be called in consumption
// order for each partition (one consumer thread). `store` is called with no lock held.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "daemon/kafka/kafka.h"

namespace newswatch::pipeline {

class OffsetTracker {
 public:
  using StoreFn = std::function<void(const kafka::TopicPartition&, std::int64_t next_offset)>;
  explicit OffsetTracker(StoreFn store);
  ~OffsetTracker();
  OffsetTracker(const OffsetTracker&) = delete;
  OffsetTracker& operator=(const OffsetTracker&) = delete;

  class Entry;  // one tracked message; opaque

  void assign(const std::vector<kafka::TopicPartition>& partitions);
  // Starts tracking a message (one reference: its processing). Null when the partition is not
  // assigned (the caller should then drop the message).
  Entry* track(const kafka::TopicPartition& tp, std::int64_t offset);
  void retain(Entry* e);
  void release(Entry* e);
  void drop(Entry* e);
  void abandon(Entry* e);

  // Waits until no message of these partitions is in progress (tracked, neither done nor
  // abandoned). False on timeout.
  bool wait_idle(const std::vector<kafka::TopicPartition>& partitions,
                 std::chrono::steady_clock::time_point deadline);
  bool wait_all_idle(std::chrono::steady_clock::time_point deadline);
  void forget(const std::vector<kafka::TopicPartition>& partitions);

  std::size_t in_progress() const;  // over all partitions
  std::uint64_t offsets_stored() const noexcept { return stored_.load(std::memory_order_relaxed); }

 private:
  struct Partition;
  void finish(Entry* e, bool abandoned);

  StoreFn store_;
  mutable std::mutex mu_;
  std::condition_variable idle_cv_;
  std::map<kafka::TopicPartition, std::shared_ptr<Partition>> partitions_;
  std::atomic<std::uint64_t> stored_{0};
};

}  // namespace newswatch::pipeline
