// Process metrics from procfs: real values of this process, and exact values from fixtures.
#include "daemon/telemetry/process_collector.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "daemon/telemetry/metrics.h"

#include "tests/telemetry/test_support.h"

namespace newswatch::telemetry {
namespace {

TEST(ProcessCollector, ValuesOfThisProcessAreSane) {
  const ProcessCollector::Sample s = ProcessCollector().read();
  ASSERT_TRUE(s.cpu_seconds && s.resident_memory_bytes && s.virtual_memory_bytes && s.open_fds &&
              s.max_fds && s.start_time_seconds);
  EXPECT_GE(*s.cpu_seconds, 0.0);
  EXPECT_GT(*s.resident_memory_bytes, 1024.0 * 1024.0);  // a gtest binary is more than 1 MiB
  EXPECT_GE(*s.virtual_memory_bytes, *s.resident_memory_bytes);
  EXPECT_GE(*s.open_fds, 3.0);  // stdin, stdout, stderr
  EXPECT_GE(*s.max_fds, *s.open_fds);
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(*s.start_time_seconds, now + 1);  // clock ticks round; allow a second
  EXPECT_GT(*s.start_time_seconds, now - 24 * 3600);
}

TEST(ProcessCollector, OpenFdsFollowsOpenAndClose) {
  const ProcessCollector c;
  const auto before = c.read().open_fds;
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const auto during = c.read().open_fds;
  ::close(fd);
  const auto after = c.read().open_fds;
  ASSERT_TRUE(before && during && after);
  EXPECT_EQ(*during, *before + 1);
  EXPECT_EQ(*after, *before);
}

class ProcFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("newswatch-proc-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "self" / "fd");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write(const std::string& relative, const std::string& content) {
    std::ofstream(dir_ / relative, std::ios::binary) << content;
  }
  ProcessCollector collector() const {
    return ProcessCollector(ProcessCollector::Paths{dir_ / "self", dir_ / "stat"});
  }

  std::filesystem::path dir_;
};

TEST_F(ProcFixture, ExactValuesFromFiles) {
  // comm with a space and a ')' inside, as proc(5) allows. Fields 14/15 (utime, stime) =
  // 250/150 ticks, 22 (starttime) = 1000 ticks, 23 (vsize) = 123456789, 24 (rss) = 300 pages.
  write("self/stat",
        "4242 (news watch) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 3 0 1000 "
        "123456789 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n");
  write("stat", "cpu  1 2 3 4\nintr 5\nbtime 1700000000\nprocesses 9\n");
  write("self/limits",
        "Limit                     Soft Limit           Hard Limit           Units     \n"
        "Max processes             96365                96365                processes \n"
        "Max open files            4096                 524288               files     \n");
  for (const char* name : {"0", "1", "2", "7"}) write(std::string("self/fd/") + name, "");

  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  const ProcessCollector::Sample s = collector().read();
  ASSERT_TRUE(s.cpu_seconds && s.resident_memory_bytes && s.virtual_memory_bytes && s.open_fds &&
              s.max_fds && s.start_time_seconds);
  EXPECT_DOUBLE_EQ(*s.cpu_seconds, 400 / tick);
  EXPECT_DOUBLE_EQ(*s.virtual_memory_bytes, 123456789.0);
  EXPECT_DOUBLE_EQ(*s.resident_memory_bytes, 300 * page);
  EXPECT_DOUBLE_EQ(*s.start_time_seconds, 1700000000.0 + 1000 / tick);
  EXPECT_DOUBLE_EQ(*s.open_fds, 4.0);
  EXPECT_DOUBLE_EQ(*s.max_fds, 4096.0);

  const auto families = collector().Collect();
  ASSERT_EQ(families.size(), 6u);
  EXPECT_EQ(families[0].name, "process_cpu_seconds_total");
  EXPECT_EQ(families[0].type, prometheus::MetricType::Counter);
  EXPECT_DOUBLE_EQ(families[0].metric.at(0).counter.value, 400 / tick);
  EXPECT_EQ(families[1].name, "process_resident_memory_bytes");
  EXPECT_EQ(families[1].type, prometheus::MetricType::Gauge);
  EXPECT_EQ(families[2].name, "process_virtual_memory_bytes");
  EXPECT_EQ(families[3].name, "process_open_fds");
  EXPECT_EQ(families[4].name, "process_max_fds");
  EXPECT_EQ(families[5].name, "process_start_time_seconds");
}

TEST_F(ProcFixture, UnlimitedOpenFilesIsInfinity) {
  write("self/limits",
        "Max open files            unlimited            unlimited            files\n");
  const auto s = collector().read();
  ASSERT_TRUE(s.max_fds);
  EXPECT_TRUE(std::isinf(*s.max_fds));
}

TEST_F(ProcFixture, UnreadableOrMalformedValuesAreLeftOut) {
  write("self/stat", "4242 (truncated) S 1 2 3\n");  // too few fields
  write("self/limits",
        "Max open files            lots                 lots                 files\n");
  std::filesystem::remove(dir_ / "self" / "fd");
  const auto s = collector().read();
  EXPECT_FALSE(s.cpu_seconds);
  EXPECT_FALSE(s.resident_memory_bytes);
  EXPECT_FALSE(s.virtual_memory_bytes);
  EXPECT_FALSE(s.start_time_seconds);
  EXPECT_FALSE(s.open_fds);
  EXPECT_FALSE(s.max_fds);
  EXPECT_TRUE(collector().Collect().empty());
}

TEST_F(ProcFixture, StartTimeNeedsBootTime) {
  write("self/stat",
        "1 (a) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 10 4096 1 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 "
        "0 0 0\n");
  write("stat", "cpu 1 2 3\n");  // no btime line
  const auto s = collector().read();
  EXPECT_TRUE(s.cpu_seconds);
  EXPECT_FALSE(s.start_time_seconds);
}

TEST(ProcessCollector, MetricsRegistryExportsProcessMetrics) {
  Metrics m(MetricsOptions{});
  const std::string text = testing::exposition(*m.registry());
  for (const char* name : {"process_cpu_seconds_total ", "process_resident_memory_bytes ",
                           "process_virtual_memory_bytes ", "process_open_fds ", "process_max_fds ",
                           "process_start_time_seconds "}) {
    EXPECT_NE(text.find(std::string("\n") + name), std::string::npos) << name << "\n" << text;
  }
}

}  // namespace
}  // namespace newswatch::telemetry
