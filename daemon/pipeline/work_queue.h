// A bounded multi-producer multi-consumer queue between the consumer thread and the workers.
// The bound is soft: push() always succeeds (the consumer waits for room, then pauses fetching,
// when size() reaches the capacity).
//
// Thread-safety: all member functions are thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>

namespace newswatch::pipeline {

template <class T>
class WorkQueue {
 public:
  void push(T item) {
    {
      std::lock_guard lock(mu_);
      items_.push_back(std::move(item));
    }
    cv_.notify_one();
  }

  // Blocks until an item is available; nullopt once closed and empty.
  std::optional<T> pop() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    ++busy_;
    return item;
  }

  // A worker finished the item it popped.
  void done() {
    {
      std::lock_guard lock(mu_);
      --busy_;
    }
    idle_cv_.notify_all();
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
    idle_cv_.notify_all();
    return removed;
  }

  std::deque<T> take_all() {
    std::deque<T> all;
    {
      std::lock_guard lock(mu_);
      all.swap(items_);
    }
    idle_cv_.notify_all();
    return all;
  }

  // Wakes every pop(); they return nullopt once the queue is empty.
  void close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }

  // Waits until fewer than `n` items are queued (a worker finished one), or the timeout
  // passes; true when there is room.
  template <class Duration>
  bool wait_below(std::size_t n, Duration timeout) {
    std::unique_lock lock(mu_);
    return idle_cv_.wait_for(lock, timeout, [&] { return items_.size() < n; });
  }

  // Waits until the queue is empty and no worker holds an item, or the deadline passes.
  template <class TimePoint>
  bool wait_drained(TimePoint deadline) {
    std::unique_lock lock(mu_);
    return idle_cv_.wait_until(lock, deadline, [&] { return items_.empty() && busy_ == 0; });
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
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<T> items_;
  std::size_t busy_ = 0;
  bool closed_ = false;
};

}  // namespace newswatch::pipeline
