// A bounded multi-producer multi-consumer queue between the consumer thread and the workers.
// The bound is soft: push_batch() always succeeds (the consumer waits for room, then pauses
// fetching, when size() reaches the capacity).
//
// Items move in batches: push_batch() hands over many items under one lock and one wake-up,
// pop_batch() takes several. A waiter is woken only when what it waits
// for has become true (room below its threshold, or drained), not on every item: at tens of
// thousands of items per second a wake-up per item costs a context switch per item.
//
// Thread-safety: all member functions are thread-safe.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

namespace newswatch::pipeline {

template <class T>
class WorkQueue {
 public:
  // Moves every item of `items` to the back of the queue, in order, and clears `items`.
  void push_batch(std::vector<T>& items) {
    if (items.empty()) return;
    const std::size_t n = items.size();
    {
      std::lock_guard lock(mu_);
      for (T& item : items) items_.push_back(std::move(item));
    }
    items.clear();
    if (n == 1) {
      cv_.notify_one();
    } else {
      cv_.notify_all();
    }
  }

  // Blocks until an item is available, then moves up to `max` items to the back of `out`: at
  // most an even share of what is queued among `sharers` takers, so that one taker does not
  // hold a backlog its peers could work on. Returns how many were taken, 0 once closed and
  // empty. The caller calls done(n) when it has finished with them.
  std::size_t pop_batch(std::vector<T>& out, std::size_t max, std::size_t sharers) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return 0;
    const std::size_t takers = std::max<std::size_t>(sharers, 1);
    const std::size_t share = (items_.size() + takers - 1) / takers;
    const std::size_t n = std::clamp<std::size_t>(share, 1, std::max<std::size_t>(max, 1));
    for (std::size_t i = 0; i < n; ++i) {
      out.push_back(std::move(items_.front()));
      items_.pop_front();
    }
    busy_ += n;
    notify_room(lock);
    return n;
  }

  // A worker finished `n` items it popped.
  void done(std::size_t n = 1) {
    bool drained = false;
    {
      std::lock_guard lock(mu_);
      busy_ -= n;
      drained = drain_waiters_ > 0 && items_.empty() && busy_ == 0;
    }
    if (drained) idle_cv_.notify_all();
  }

  // Removes (and returns) every queued item matching `pred`.
  std::deque<T> remove_if(const std::function<bool(const T&)>& pred) {
    std::deque<T> removed;
    {
      std::lock_guard lock(mu_);
      for (auto it = items_.begin(); it != items_.end();) {
        if (pred(*it)) {
          removed.push_back(std::move(*it));
          it = items_.erase(it);
        } else {
          ++it;
        }
      }
    }
    room_cv_.notify_all();
    idle_cv_.notify_all();
    return removed;
  }

  std::deque<T> take_all() {
    std::deque<T> all;
    {
      std::lock_guard lock(mu_);
      all.swap(items_);
    }
    room_cv_.notify_all();
    idle_cv_.notify_all();
    return all;
  }

  // Wakes every pop_batch(); they return 0 once the queue is empty.
  void close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }

  // Waits until fewer than `n` items are queued (workers took some), or the timeout passes;
  // true when there is room.
  template <class Duration>
  bool wait_below(std::size_t n, Duration timeout) {
    std::unique_lock lock(mu_);
    if (items_.size() < n) return true;
    ++room_waiters_;
    room_threshold_ = std::max(room_threshold_, n);
    const bool room = room_cv_.wait_for(lock, timeout, [&] { return items_.size() < n; });
    if (--room_waiters_ == 0) room_threshold_ = 0;
    return room;
  }

  // Waits until the queue is empty and no worker holds an item, or the deadline passes.
  template <class TimePoint>
  bool wait_drained(TimePoint deadline) {
    std::unique_lock lock(mu_);
    ++drain_waiters_;
    const bool drained =
        idle_cv_.wait_until(lock, deadline, [&] { return items_.empty() && busy_ == 0; });
    --drain_waiters_;
    return drained;
  }

  std::size_t size() const {
    std::lock_guard lock(mu_);
    return items_.size();
  }
  bool idle() const {
    std::lock_guard lock(mu_);
    return items_.empty() && busy_ == 0;
  }

 private:
  // After items were taken: wakes the room waiters once the queue is below the highest
  // threshold any of them waits for (each re-checks its own).
  void notify_room(std::unique_lock<std::mutex>& lock) {
    const bool wake = room_waiters_ > 0 && items_.size() < room_threshold_;
    lock.unlock();
    if (wake) room_cv_.notify_all();
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;       // items available, or closed
  std::condition_variable room_cv_;  // wait_below()
  std::condition_variable idle_cv_;  // wait_drained()
  std::deque<T> items_;
  std::size_t busy_ = 0;
  std::size_t room_waiters_ = 0;
  std::size_t room_threshold_ = 0;  // highest `n` of the current wait_below() callers
  std::size_t drain_waiters_ = 0;
  bool closed_ = false;
};

}  // namespace newswatch::pipeline
