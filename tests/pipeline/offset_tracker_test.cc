#include "daemon/pipeline/offset_tracker.h"

#include <map>
#include <mutex>
#include <random>
#include <thread>

#include <gtest/gtest.h>

namespace newswatch::pipeline {
namespace {

using kafka::TopicPartition;

struct Stored {
  std::mutex mu;
  std::map<TopicPartition, std::vector<std::int64_t>> calls;
  void operator()(const TopicPartition& tp, std::int64_t next) {
    std::lock_guard lock(mu);
    calls[tp].push_back(next);
  }
  std::int64_t last(const TopicPartition& tp) {
    std::lock_guard lock(mu);
    auto it = calls.find(tp);
    return it == calls.end() || it->second.empty() ? -1 : it->second.back();
  }
};

const TopicPartition kP0{"articles", 0};
const TopicPartition kP1{"articles", 1};

TEST(OffsetTracker, StoresOnlyTheContiguousLowWaterMark) {
  Stored stored;
  OffsetTracker t([&](const TopicPartition& tp, std::int64_t n) { stored(tp, n); });
  t.assign({kP0});
  auto* a = t.track(kP0, 10);
  auto* b = t.track(kP0, 11);
  auto* c = t.track(kP0, 12);
  t.release(c);  // 12 done, but 10 and 11 are not
  EXPECT_EQ(stored.last(kP0), -1);
  t.release(a);
  EXPECT_EQ(stored.last(kP0), 11);  // next to consume after 10
  t.release(b);
  EXPECT_EQ(stored.last(kP0), 13);  // 11 and 12 done: jumps over both
  EXPECT_EQ(t.in_progress(), 0u);
}

TEST(OffsetTracker, AMessageIsDoneOnlyWhenEveryProduceIsAcknowledged) {
  Stored stored;
  OffsetTracker t([&](const TopicPartition& tp, std::int64_t n) { stored(tp, n); });
  t.assign({kP0});
  auto* a = t.track(kP0, 0);
  t.retain(a);   // alert 1
  t.retain(a);   // alert 2
  t.release(a);  // processing finished
  t.release(a);  // alert 1 acknowledged
  EXPECT_EQ(stored.last(kP0), -1);
  t.release(a);  // alert 2 acknowledged
  EXPECT_EQ(stored.last(kP0), 1);
}

TEST(OffsetTracker, ADroppedProduceNeverLetsTheOffsetPass) {
  Stored stored;
  OffsetTracker t([&](const TopicPartition& tp, std::int64_t n) { stored(tp, n); });
  t.assign({kP0});
  auto* a = t.track(kP0, 0);
  auto* b = t.track(kP0, 1);
  t.retain(a);   // an alert
  t.release(a);  // processing finished
  t.drop(a);     // the alert was given up (e.g. shutdown before the broker acknowledged)
  t.release(b);
  EXPECT_EQ(stored.last(kP0), -1);  // neither 0 nor 1 may be committed
  EXPECT_EQ(t.in_progress(), 0u);
}

TEST(OffsetTracker, LastReleaseSuccessAfterADropStillCountsAsFailed) {
  Stored stored;
  OffsetTracker t([&](const TopicPartition& tp, std::int64_t n) { stored(tp, n); });
  t.assign({kP0});
  auto* a = t.track(kP0, 0);
  t.retain(a);
  t.retain(a);
  t.drop(a);     // one alert lost
  t.release(a);  // the other delivered
  t.release(a);  // processing done
  EXPECT_EQ(stored.last(kP0), -1);
}

TEST(OffsetTracker, AbandonedMessagesBlockUntilForgotten) {
  Stored stored;
  OffsetTracker t([&](const TopicPartition& tp, std::int64_t n) { stored(tp, n); });
  t.assign({kP0, kP1});
  auto* a = t.track(kP0, 5);
  auto* b = t.track(kP0, 6);
  auto* other = t.track(kP1, 100);
  t.abandon(a);  // dropped from the queue on revoke
  t.release(b);
  EXPECT_EQ(stored.last(kP0), -1);
  EXPECT_TRUE(t.wait_idle({kP0}, std::chrono::steady_clock::now()));
  EXPECT_FALSE(
      t.wait_idle({kP1}, std::chrono::steady_clock::now() + std::chrono::milliseconds(10)));
  t.forget({kP0});
  EXPECT_EQ(t.track(kP0, 7), nullptr);  // not assigned any more
  t.release(other);
  EXPECT_EQ(stored.last(kP1), 101);
}

TEST(OffsetTracker, ReleasesAfterForgetAreIgnored) {
  Stored stored;
  OffsetTracker t([&](const TopicPartition& tp, std::int64_t n) { stored(tp, n); });
  t.assign({kP0});
  auto* a = t.track(kP0, 0);
  t.forget({kP0});
  t.release(a);  // a straggler from the revoked generation
  EXPECT_EQ(stored.last(kP0), -1);
  t.assign({kP0});  // re-assigned later: a fresh start
  auto* b = t.track(kP0, 0);
  t.release(b);
  EXPECT_EQ(stored.last(kP0), 1);
}

TEST(OffsetTracker, WaitIdleWakesWhenWorkFinishes) {
  OffsetTracker t([](const TopicPartition&, std::int64_t) {});
  t.assign({kP0});
  auto* a = t.track(kP0, 0);
  std::thread finisher([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    t.release(a);
  });
  EXPECT_TRUE(t.wait_all_idle(std::chrono::steady_clock::now() + std::chrono::seconds(10)));
  finisher.join();
}

// Many threads completing messages in random order: the stored offsets are monotonic, never
// pass an unfinished message, and end at the last offset + 1.
TEST(OffsetTracker, ConcurrentCompletionsStoreMonotonicContiguousMarks) {
  constexpr int kMessages = 20000;
  std::mutex mu;
  std::vector<std::int64_t> stores;
  std::vector<std::atomic<bool>> done(kMessages);
  OffsetTracker t([&](const TopicPartition&, std::int64_t next) {
    // Everything below `next` must be done at the time it is stored.
    for (std::int64_t i = std::max<std::int64_t>(0, next - 64); i < next; ++i) {
      ASSERT_TRUE(done[i].load()) << "stored " << next << " before " << i << " was done";
    }
    std::lock_guard lock(mu);
    stores.push_back(next);
  });
  t.assign({kP0});
  std::vector<OffsetTracker::Entry*> entries;
  for (int i = 0; i < kMessages; ++i) {
    auto* e = t.track(kP0, i);
    t.retain(e);  // one alert each
    entries.push_back(e);
  }
  std::vector<int> order(kMessages * 2);
  for (int i = 0; i < kMessages * 2; ++i) order[i] = i % kMessages;
  std::shuffle(order.begin(), order.end(), std::mt19937(42));
  std::vector<std::atomic<int>> releases(kMessages);
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      for (std::size_t k = w; k < order.size(); k += 4) {
        const int i = order[k];
        if (releases[i].fetch_add(1) == 1) done[i] = true;  // the second release completes it
        t.release(entries[i]);
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_FALSE(stores.empty());
  EXPECT_TRUE(std::is_sorted(stores.begin(), stores.end()));
  EXPECT_EQ(stores.back(), kMessages);
  EXPECT_EQ(t.in_progress(), 0u);
}

}  // namespace
}  // namespace newswatch::pipeline
