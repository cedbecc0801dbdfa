#include "daemon/pipeline/work_queue.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace newswatch::pipeline {
namespace {

using std::chrono::milliseconds;

TEST(WorkQueue, WaitBelowReturnsWhenAWorkerFreesRoom) {
  WorkQueue<int> q;
  std::vector<int> items{0, 1, 2};
  q.push_batch(items);
  EXPECT_TRUE(q.wait_below(4, milliseconds(0)));    // already room
  EXPECT_FALSE(q.wait_below(3, milliseconds(20)));  // full, nobody works
  std::thread worker([&] {
    std::this_thread::sleep_for(milliseconds(50));
    std::vector<int> taken;
    ASSERT_EQ(q.pop_batch(taken, 1, 1), 1u);
    q.done();
  });
  EXPECT_TRUE(q.wait_below(3, std::chrono::seconds(30)));
  EXPECT_EQ(q.size(), 2u);
  worker.join();
}

// The worker pool's queue under load (run under TSan by the concurrency step): one consumer
// thread pushing `push_batch` items at a time with the pipeline's wait-then-push backpressure,
// `workers` workers taking up to `pop_max` each. Every item is processed exactly once, room
// waiters are woken as workers take items, and wait_drained() sees the end.
void expect_every_item_processed_once(int workers, std::size_t push_batch, std::size_t pop_max) {
  constexpr int kItems = 20000;
  constexpr std::size_t kCapacity = 64;
  WorkQueue<int> q;
  std::vector<std::atomic<int>> seen(kItems);
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      std::vector<int> items;
      while (const std::size_t n = q.pop_batch(items, pop_max, static_cast<std::size_t>(workers))) {
        for (int item : items) seen[static_cast<std::size_t>(item)].fetch_add(1);
        items.clear();
        q.done(n);
      }
    });
  }
  std::vector<int> batch;
  for (int i = 0; i < kItems; ++i) {
    batch.push_back(i);
    if (batch.size() == push_batch || i + 1 == kItems) {
      while (q.size() >= kCapacity) q.wait_below(kCapacity - kCapacity / 4, milliseconds(100));
      q.push_batch(batch);
    }
  }
  EXPECT_TRUE(q.wait_drained(std::chrono::steady_clock::now() + std::chrono::seconds(60)));
  q.close();
  for (auto& t : threads) t.join();
  int wrong = 0;
  for (const auto& s : seen) wrong += s.load() != 1;
  EXPECT_EQ(wrong, 0);
}

TEST(WorkQueue, FourWorkersProcessEveryItemOnce) {
  expect_every_item_processed_once(4, 1, 1);
}

TEST(WorkQueue, BatchedWorkersProcessEveryItemOnce) {
  expect_every_item_processed_once(3, 16, 8);
}

TEST(WorkQueue, PopBatchTakesAnEvenShareOfTheBacklog) {
  WorkQueue<int> q;
  std::vector<int> batch{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  q.push_batch(batch);
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(q.size(), 10u);
  std::vector<int> out;
  EXPECT_EQ(q.pop_batch(out, 8, 2), 5u);                       // half of 10 for each of two takers
  EXPECT_EQ(q.pop_batch(out, 2, 2), 2u);                       // capped by max
  EXPECT_EQ(q.pop_batch(out, 8, 4), 1u);                       // 3 left among 4: at least one each
  EXPECT_EQ(out, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));  // in order
  EXPECT_EQ(q.size(), 2u);
  EXPECT_FALSE(q.idle());
  q.take_all();
  q.done(8);
  EXPECT_TRUE(q.idle());
}

TEST(WorkQueue, WaitDrainedReturnsWhenTheLastBatchIsDone) {
  WorkQueue<int> q;
  std::vector<int> batch{1, 2, 3};
  q.push_batch(batch);
  std::vector<int> out;
  ASSERT_EQ(q.pop_batch(out, 8, 1), 3u);
  EXPECT_FALSE(q.wait_drained(std::chrono::steady_clock::now() + milliseconds(20)));
  std::thread worker([&] {
    std::this_thread::sleep_for(milliseconds(50));
    q.done(3);
  });
  EXPECT_TRUE(q.wait_drained(std::chrono::steady_clock::now() + std::chrono::seconds(30)));
  worker.join();
}

}  // namespace
}  // namespace newswatch::pipeline
