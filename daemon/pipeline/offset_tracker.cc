#include "daemon/pipeline/offset_tracker.h"

namespace newswatch::pipeline {

struct OffsetTracker::Partition {
  kafka::TopicPartition tp;
  bool forgotten = false;
  std::deque<Entry*> entries;  // consumption order; front is the oldest not yet popped
  std::size_t in_progress = 0;
};

class OffsetTracker::Entry {
 public:
  std::atomic<int> refs{1};
  std::atomic<bool> failed{false};  // some reference was dropped: never done
  std::int64_t offset = 0;
  bool done = false;       // guarded by the tracker mutex
  bool abandoned = false;  // guarded by the tracker mutex
  std::shared_ptr<Partition> partition;
};

OffsetTracker::OffsetTracker(StoreFn store) : store_(std::move(store)) {}

OffsetTracker::~OffsetTracker() {
  std::lock_guard lock(mu_);
  for (auto& [tp, p] : partitions_) {
    for (Entry* e : p->entries) {
      if (e->done || e->abandoned) delete e;
      // entries still referenced elsewhere are owned by their holders now
    }
    p->entries.clear();
    p->forgotten = true;
  }
}

void OffsetTracker::assign(const std::vector<kafka::TopicPartition>& partitions) {
  std::lock_guard lock(mu_);
  for (const auto& tp : partitions) {
    auto& p = partitions_[tp];
    if (!p || p->forgotten) {
      p = std::make_shared<Partition>();
      p->tp = tp;
    }
  }
}

OffsetTracker::Entry* OffsetTracker::track(const kafka::TopicPartition& tp, std::int64_t offset) {
  std::lock_guard lock(mu_);
  auto it = partitions_.find(tp);
  if (it == partitions_.end() || it->second->forgotten) return nullptr;
  auto* e = new Entry();
  e->offset = offset;
  e->partition = it->second;
  it->second->entries.push_back(e);
  ++it->second->in_progress;
  return e;
}

void OffsetTracker::retain(Entry* e) {
  e->refs.fetch_add(1, std::memory_order_relaxed);
}

void OffsetTracker::release(Entry* e) {
  if (e->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    finish(e, e->failed.load(std::memory_order_acquire));
  }
}

void OffsetTracker::drop(Entry* e) {
  e->failed.store(true, std::memory_order_release);
  release(e);
}

void OffsetTracker::abandon(Entry* e) {
  drop(e);
}

void OffsetTracker::finish(Entry* e, bool abandoned) {
  std::int64_t store_next = -1;
  kafka::TopicPartition tp;
  {
    std::lock_guard lock(mu_);
    Partition& p = *e->partition;
    if (p.forgotten) {
      delete e;  // the partition is gone: nothing to store, nobody else refers to it
      return;
    }
    if (abandoned) {
      e->abandoned = true;
    } else {
      e->done = true;
    }
    --p.in_progress;
    // Advance the low-water mark over the done prefix.
    while (!p.entries.empty() && p.entries.front()->done) {
      Entry* front = p.entries.front();
      p.entries.pop_front();
      store_next = front->offset + 1;
      delete front;
    }
    if (store_next >= 0) tp = p.tp;
  }
  idle_cv_.notify_all();
  if (store_next >= 0) {
    store_(tp, store_next);
    stored_.fetch_add(1, std::memory_order_relaxed);
  }
}

bool OffsetTracker::wait_idle(const std::vector<kafka::TopicPartition>& partitions,
                              std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  return idle_cv_.wait_until(lock, deadline, [&] {
    for (const auto& tp : partitions) {
      auto it = partitions_.find(tp);
      if (it != partitions_.end() && it->second->in_progress > 0) return false;
    }
    return true;
  });
}

bool OffsetTracker::wait_all_idle(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  return idle_cv_.wait_until(lock, deadline, [&] {
    for (const auto& [tp, p] : partitions_) {
      if (p->in_progress > 0) return false;
    }
    return true;
  });
}

void OffsetTracker::forget(const std::vector<kafka::TopicPartition>& partitions) {
  std::lock_guard lock(mu_);
  for (const auto& tp : partitions) {
    auto it = partitions_.find(tp);
    if (it == partitions_.end()) continue;
    Partition& p = *it->second;
    p.forgotten = true;
    for (Entry* e : p.entries) {
      // Done or abandoned entries have no other owner; in-progress ones delete themselves
      // when their last reference is released.
      if (e->done || e->abandoned) delete e;
    }
    p.entries.clear();
    partitions_.erase(it);
  }
  idle_cv_.notify_all();
}

std::size_t OffsetTracker::in_progress() const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& [tp, p] : partitions_) n += p->in_progress;
  return n;
}

}  // namespace newswatch::pipeline
