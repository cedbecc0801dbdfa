// The delivery guarantee of `newswatch run` across process failures, on the real broker:
//  - SIGKILL mid-stream, restart with the same group: every expected alert is delivered;
//    duplicates are allowed but carry the same alert_id (and are counted and printed);
//  - SIGTERM mid-stream: exit 0 within pipeline.shutdown_timeout, restart: no duplicates and
//    nothing missing;
//  - two daemons in one group split the partitions; one is SIGKILLed, the other takes its
//    partitions over; together they deliver every expected alert.
// "Mid-stream" is by construction: the input is still being produced (BackgroundProducer)
// when the daemon is stopped, so the first daemon cannot have seen all of it.
#include <iostream>
#include <memory>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <signal.h>

#include "tests/integration/daemon/daemon_support.h"

namespace newswatch::itest {
namespace {

using std::chrono::seconds;

std::size_t sum(const std::map<int32_t, int64_t>& offsets) {
  std::size_t n = 0;
  for (const auto& [p, o] : offsets) n += o > 0 ? static_cast<std::size_t>(o) : 0;
  return n;
}

// The second half of a scenario's input, produced in the background while a daemon runs.
struct MidStream {
  Scenario& s;
  std::size_t half;
  std::unique_ptr<BackgroundProducer> producer;

  // The second half in batches of `batch`, the last `held` of them held back until the
  // producer is joined (after the daemon was stopped).
  void start_second_half(std::size_t batch, std::size_t held) {
    producer = std::make_unique<BackgroundProducer>(
        s.kafka, s.input, s.messages(half, s.articles.size()), batch, held);
    producer->start();
  }
};

TEST(DaemonDeliveryTest, SigkillMidStreamThenRestartLosesNothing) {
  auto scenario = make_scenario("crash", 4, 5000, 7);
  ASSERT_TRUE(scenario.ok()) << scenario.error();
  Scenario& s = *scenario;
  // A backlog of 3000 articles before the daemon starts, 2000 more while it runs.
  const std::size_t backlog = 3000;
  ASSERT_TRUE(s.produce_range(0, backlog).ok());

  // One worker, auto-commit every second. The kill comes once the group has committed part of
  // the backlog (the restart must resume there without skipping anything) while the daemon is
  // still working through it: offsets of delivered alerts stored but not committed yet, alerts
  // in flight (the restart repeats those).
  DaemonSettings settings = s.settings(1);
  settings.consumer["auto.commit.interval.ms"] = "1000";
  auto config = write_daemon_config(s.dir, "daemon", settings);
  ASSERT_TRUE(config.ok()) << config.error();
  auto first = Daemon::start(s.dir, "first", *config);
  ASSERT_TRUE(first.ok()) << first.error();
  MidStream mid{s, backlog, nullptr};
  mid.start_second_half(100, 5);
  std::size_t committed_before_kill = 0;
  ASSERT_TRUE(poll_until(
      [&] {
        if (first->printed_alerts() < 20 || mid.producer->batches_done() < 1) return false;
        auto c = committed_offsets(s.kafka, s.group, s.input);
        committed_before_kill = c.ok() ? sum(*c) : 0;
        return committed_before_kill >= 300;
      },
      seconds(90)))
      << "the first daemon printed " << first->printed_alerts() << " alerts, committed "
      << committed_before_kill << " messages\n"
      << first->log_tail();
  ASSERT_FALSE(mid.producer->finished()) << "the input was complete before the kill";
  ASSERT_TRUE(first->process().signal(SIGKILL).ok());
  auto killed = first->process().wait_for(seconds(10));
  ASSERT_TRUE(killed.has_value());
  EXPECT_FALSE(killed->exited) << killed->describe();
  const std::size_t printed_before_kill = first->printed_alerts();
  auto committed_at_kill = committed_offsets(s.kafka, s.group, s.input);
  ASSERT_TRUE(committed_at_kill.ok()) << committed_at_kill.error();

  ASSERT_TRUE(mid.producer->join().ok());
  auto second = Daemon::start(s.dir, "second", *config, {"--exit-when-idle"});
  ASSERT_TRUE(second.ok()) << second.error();
  auto status = second->process().wait_for(seconds(150));
  ASSERT_TRUE(status.has_value()) << "the restarted daemon did not finish\n" << second->log_tail();
  ASSERT_TRUE(status->success()) << status->describe() << "\n" << second->log_tail();

  auto got = s.read_alerts();
  ASSERT_TRUE(got.ok()) << got.error();
  const AlertComparison cmp = compare_alerts(s.expected, *got);
  EXPECT_TRUE(cmp.missing.empty()) << cmp.describe();
  EXPECT_TRUE(cmp.unexpected.empty()) << cmp.describe();
  EXPECT_TRUE(cmp.wrong_alert_id.empty()) << "a duplicate must carry the same alert_id\n"
                                          << cmp.describe();
  EXPECT_LT(printed_before_kill, s.expected.size()) << "the kill was not mid-stream";
  // Every acknowledged alert is on the topic (some more may be: written by the broker, but the
  // acknowledgement reached a daemon that was already dead).
  EXPECT_LE(printed_before_kill + second->printed_alerts(), got->size());
  EXPECT_TRUE(await_committed_at_end(s.kafka, s.group, s.input, seconds(30)).ok());

  std::cout << "[ crash    ] expected alerts " << s.expected.size() << ", delivered " << got->size()
            << "; first daemon delivered " << printed_before_kill << " before SIGKILL (group had "
            << "committed " << sum(*committed_at_kill) << " input messages, "
            << committed_before_kill
            << " just before the kill); duplicates: " << cmp.duplicate_copies << " extra copies of "
            << cmp.duplicated.size() << " (rule, article) pairs, all with the same alert_id"
            << std::endl;
  RecordProperty("duplicate_copies", static_cast<int>(cmp.duplicate_copies));
}

TEST(DaemonDeliveryTest, SigtermMidStreamExitsCleanlyAndRestartRepeatsNothing) {
  auto scenario = make_scenario("graceful", 4, 4000, 11);
  ASSERT_TRUE(scenario.ok()) << scenario.error();
  Scenario& s = *scenario;
  const std::size_t half = s.articles.size() / 2;
  ASSERT_TRUE(s.produce_range(0, half).ok());

  DaemonSettings settings = s.settings(1);
  settings.shutdown_timeout = "20s";
  auto config = write_daemon_config(s.dir, "daemon", settings);
  ASSERT_TRUE(config.ok()) << config.error();
  auto first = Daemon::start(s.dir, "first", *config);
  ASSERT_TRUE(first.ok()) << first.error();
  ASSERT_TRUE(poll_until([&] { return first->printed_alerts() >= 20; }, seconds(90)))
      << "no alerts from the first daemon\n"
      << first->log_tail();

  MidStream mid{s, half, nullptr};
  mid.start_second_half(100, 5);
  ASSERT_TRUE(poll_until([&] { return mid.producer->batches_done() >= 2; }, seconds(90)));
  ASSERT_FALSE(mid.producer->finished()) << "the input was complete before the stop";
  const auto stop_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(first->process().signal(SIGTERM).ok());
  // The bound: pipeline.shutdown_timeout (20 s), plus a little for process exit.
  auto status = first->process().wait_for(seconds(25));
  ASSERT_TRUE(status.has_value()) << "no exit within the shutdown bound\n" << first->log_tail();
  EXPECT_TRUE(status->success()) << status->describe() << "\n" << first->log_tail();
  const double stop_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - stop_at).count();
  bool clean = false;
  for (const auto& ev : first->log_events()) {
    if (ev.count("event") && ev.at("event") == "exit")
      clean = ev.count("clean") && ev.at("clean") == "true";
  }
  EXPECT_TRUE(clean) << "the daemon did not report a clean stop\n" << first->log_tail();
  const std::size_t printed_first = first->printed_alerts();

  ASSERT_TRUE(mid.producer->join().ok());
  auto second = Daemon::start(s.dir, "second", *config, {"--exit-when-idle"});
  ASSERT_TRUE(second.ok()) << second.error();
  auto status2 = second->process().wait_for(seconds(150));
  ASSERT_TRUE(status2.has_value()) << "the restarted daemon did not finish\n" << second->log_tail();
  ASSERT_TRUE(status2->success()) << status2->describe() << "\n" << second->log_tail();

  auto got = s.read_alerts();
  ASSERT_TRUE(got.ok()) << got.error();
  const AlertComparison cmp = compare_alerts(s.expected, *got);
  EXPECT_TRUE(cmp.same_set()) << cmp.describe();
  EXPECT_TRUE(cmp.wrong_alert_id.empty()) << cmp.describe();
  EXPECT_EQ(cmp.duplicate_copies, 0u) << "a graceful stop commits everything it delivered\n"
                                      << cmp.describe();
  EXPECT_LT(printed_first, s.expected.size()) << "the stop was not mid-stream";
  EXPECT_EQ(printed_first + second->printed_alerts(), got->size());
  EXPECT_TRUE(await_committed_at_end(s.kafka, s.group, s.input, seconds(30)).ok());
  std::cout << "[ sigterm  ] stopped in " << stop_seconds << " s after delivering " << printed_first
            << " alerts; restart delivered " << second->printed_alerts() << "; expected "
            << s.expected.size() << std::endl;
}

TEST(DaemonDeliveryTest, TwoDaemonsSplitPartitionsAndSurvivorTakesOverAfterSigkill) {
  auto scenario = make_scenario("scaleout", 4, 3000, 13);
  ASSERT_TRUE(scenario.ok()) << scenario.error();
  Scenario& s = *scenario;
  const std::size_t half = s.articles.size() / 2;
  ASSERT_TRUE(s.produce_range(0, half).ok());

  DaemonSettings settings = s.settings(1);
  settings.consumer["auto.commit.interval.ms"] = "1000";
  auto config = write_daemon_config(s.dir, "daemon", settings);
  ASSERT_TRUE(config.ok()) << config.error();
  auto a = Daemon::start(s.dir, "a", *config);
  ASSERT_TRUE(a.ok()) << a.error();
  auto b = Daemon::start(s.dir, "b", *config);
  ASSERT_TRUE(b.ok()) << b.error();

  std::set<std::string> all;
  for (int p = 0; p < s.partitions; ++p) all.insert(s.input + "[" + std::to_string(p) + "]");
  std::set<std::string> of_a;
  std::set<std::string> of_b;
  const bool split = poll_until(
      [&] {
        of_a = a->current_assignment();
        of_b = b->current_assignment();
        std::set<std::string> both = of_a;
        both.insert(of_b.begin(), of_b.end());
        return !of_a.empty() && !of_b.empty() && both == all &&
               of_a.size() + of_b.size() == all.size();
      },
      seconds(90));
  ASSERT_TRUE(split) << "the two daemons did not split the partitions\nA:\n"
                     << a->log_tail() << "\nB:\n"
                     << b->log_tail();

  // More input while both run: each must deliver alerts from its own partitions.
  MidStream mid{s, half, nullptr};
  mid.start_second_half(50, 10);
  ASSERT_TRUE(poll_until(
      [&] {
        return mid.producer->batches_done() >= 3 && a->printed_alerts() > 0 &&
               b->printed_alerts() > 0;
      },
      seconds(90)))
      << "A printed " << a->printed_alerts() << " alerts, B " << b->printed_alerts();
  ASSERT_FALSE(mid.producer->finished()) << "the input was complete before the kill";
  // The split held while they delivered.
  EXPECT_EQ(a->current_assignment(), of_a);
  EXPECT_EQ(b->current_assignment(), of_b);

  ASSERT_TRUE(a->process().signal(SIGKILL).ok());
  ASSERT_TRUE(a->process().wait_for(seconds(10)).has_value());
  const std::size_t printed_by_a = a->printed_alerts();
  const std::size_t printed_by_b_before = b->printed_alerts();
  // B takes A's partitions over once A's session (6 s) has expired.
  ASSERT_TRUE(poll_until([&] { return b->current_assignment() == all; }, seconds(90)))
      << "B did not take over A's partitions\n"
      << b->log_tail();

  ASSERT_TRUE(mid.producer->join().ok());
  auto caught_up = await_committed_at_end(s.kafka, s.group, s.input, seconds(120));
  ASSERT_TRUE(caught_up.ok()) << caught_up.error() << "\n" << b->log_tail();
  ASSERT_TRUE(b->process().signal(SIGTERM).ok());
  auto status = b->process().wait_for(seconds(40));
  ASSERT_TRUE(status.has_value()) << b->log_tail();
  EXPECT_TRUE(status->success()) << status->describe() << "\n" << b->log_tail();

  auto got = s.read_alerts();
  ASSERT_TRUE(got.ok()) << got.error();
  const AlertComparison cmp = compare_alerts(s.expected, *got);
  EXPECT_TRUE(cmp.same_set()) << cmp.describe();
  EXPECT_TRUE(cmp.wrong_alert_id.empty()) << cmp.describe();
  EXPECT_LE(printed_by_a + b->printed_alerts(), got->size());

  // After the kill, B delivered alerts for articles of A's former partitions (B's printed
  // alerts after the ones it had printed before the kill).
  std::set<int32_t> a_partitions;
  for (const auto& tp : of_a) a_partitions.insert(std::stoi(tp.substr(tp.rfind('[') + 1)));
  std::set<int32_t> b_alert_partitions;
  {
    ConsumedMessage fake;
    std::istringstream lines(b->process().read_stdout());
    std::string line;
    for (std::size_t n = 0; std::getline(lines, line); ++n) {
      if (n < printed_by_b_before) continue;
      fake.value = line;
      auto r = parse_alert(fake);
      if (r.ok()) b_alert_partitions.insert(r->input_partition);
    }
  }
  for (int32_t p : a_partitions) {
    EXPECT_TRUE(b_alert_partitions.count(p))
        << "B never delivered an alert from A's partition " << p;
  }
  std::cout << "[ scaleout ] A had " << of_a.size() << " partitions and delivered " << printed_by_a
            << " alerts before SIGKILL; B delivered " << b->printed_alerts()
            << "; duplicates: " << cmp.duplicate_copies << " extra copies" << std::endl;
}

}  // namespace
}  // namespace newswatch::itest
