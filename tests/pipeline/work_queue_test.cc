#include "daemon/pipeline/work_queue.h"

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace newswatch::pipeline {
namespace {

using std::chrono::milliseconds;

TEST(WorkQueue, WaitBelowReturnsWhenAWorkerFreesRoom) {
  WorkQueue<int> q;
  for (int i = 0; i < 3; ++i) q.push(i);
  EXPECT_TRUE(q.wait_below(4, milliseconds(0)));    // already room
  EXPECT_FALSE(q.wait_below(3, milliseconds(20)));  // full, nobody works
  std::thread worker([&] {
    std::this_thread::sleep_for(milliseconds(50));
    auto item = q.pop();
    ASSERT_TRUE(item.has_value());
    q.done();
  });
  EXPECT_TRUE(q.wait_below(3, std::chrono::seconds(30)));
  EXPECT_EQ(q.size(), 2u);
  worker.join();
}

}  // namespace
}  // namespace newswatch::pipeline
