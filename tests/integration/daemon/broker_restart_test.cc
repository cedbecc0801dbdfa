// The broker restarts (scripts/kafka.sh restart: same data, same ports) while `newswatch run`
// consumes and input keeps arriving: the daemon rides it out and no alert is lost. Runs
// serially (RUN_SERIAL): it takes the shared broker away.
#include <cerrno>
#include <fstream>
#include <iostream>
#include <string>

#include <gtest/gtest.h>
#include <signal.h>

#include "tests/integration/daemon/daemon_support.h"

namespace newswatch::itest {
namespace {

using std::chrono::seconds;

int read_pid(const std::string& state_dir) {
  std::ifstream in(state_dir + "/pid");
  int pid = 0;
  in >> pid;
  return pid;
}

TEST(DaemonBrokerRestartTest, BrokerRestartMidStreamLosesNothing) {
  auto scenario = make_scenario("restart", 4, 3000, 17);
  ASSERT_TRUE(scenario.ok()) << scenario.error();
  Scenario& s = *scenario;
  const std::size_t first_part = 1000;
  ASSERT_TRUE(s.produce_range(0, first_part).ok());

  DaemonSettings settings = s.settings(2);
  settings.consumer["auto.commit.interval.ms"] = "1000";
  settings.shutdown_timeout = "20s";
  auto config = write_daemon_config(s.dir, "daemon", settings);
  ASSERT_TRUE(config.ok()) << config.error();
  auto daemon = Daemon::start(s.dir, "daemon", *config);
  ASSERT_TRUE(daemon.ok()) << daemon.error();
  ASSERT_TRUE(poll_until([&] { return daemon->printed_alerts() >= 20; }, seconds(90)))
      << "no alerts before the restart\n"
      << daemon->log_tail();

  // The rest of the input in the background: 30 batches now, 10 held back and released once the
  // old broker process is gone, so they are produced into the outage and delivered after it.
  BackgroundProducer producer(s.kafka, s.input, s.messages(first_part, s.articles.size()), 50, 10);
  producer.start();
  ASSERT_TRUE(poll_until([&] { return producer.batches_done() >= 5; }, seconds(90)));

  const int old_pid = read_pid(s.fixture.state_dir);
  ASSERT_GT(old_pid, 0);
  SpawnOptions restart{.program = kafka_script(),
                       .args = {"restart", s.fixture.state_dir},
                       .stdout_path = s.dir + "/restart.stdout",
                       .stderr_path = s.dir + "/restart.stderr"};
  const auto restart_started = std::chrono::steady_clock::now();
  auto restarting = ChildProcess::spawn(restart);
  ASSERT_TRUE(restarting.ok()) << restarting.error();
  const bool old_gone = poll_until([&] { return ::kill(old_pid, 0) == -1 && errno == ESRCH; },
                                   seconds(90), std::chrono::milliseconds(50));
  EXPECT_TRUE(old_gone) << "the old broker process did not go away";
  const std::size_t printed_when_down = daemon->printed_alerts();
  producer.release();
  auto restarted = restarting->wait_for(seconds(240));
  ASSERT_TRUE(restarted.has_value()) << "kafka.sh restart did not finish";
  ASSERT_TRUE(restarted->success()) << restarted->describe() << "\n" << restarting->read_stderr();
  const double outage =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - restart_started).count();

  ASSERT_TRUE(producer.join().ok());
  auto caught_up = await_committed_at_end(s.kafka, s.group, s.input, seconds(120));
  ASSERT_TRUE(caught_up.ok()) << caught_up.error() << "\n" << daemon->log_tail();
  ASSERT_TRUE(daemon->process().poll() == std::nullopt) << "the daemon died\n"
                                                        << daemon->log_tail();
  ASSERT_TRUE(daemon->process().signal(SIGTERM).ok());
  auto status = daemon->process().wait_for(seconds(30));
  ASSERT_TRUE(status.has_value()) << daemon->log_tail();
  EXPECT_TRUE(status->success()) << status->describe() << "\n" << daemon->log_tail();

  auto got = s.read_alerts();
  ASSERT_TRUE(got.ok()) << got.error();
  const AlertComparison cmp = compare_alerts(s.expected, *got);
  EXPECT_TRUE(cmp.missing.empty()) << cmp.describe();
  EXPECT_TRUE(cmp.unexpected.empty()) << cmp.describe();
  EXPECT_TRUE(cmp.wrong_alert_id.empty()) << cmp.describe();
  EXPECT_LT(printed_when_down, s.expected.size()) << "the restart was not mid-stream";
  std::cout << "[ restart  ] restart took " << outage << " s; " << printed_when_down
            << " alerts delivered when the broker went down; " << got->size() << " delivered, "
            << s.expected.size() << " expected; duplicates: " << cmp.duplicate_copies
            << " extra copies" << std::endl;
}

}  // namespace
}  // namespace newswatch::itest
