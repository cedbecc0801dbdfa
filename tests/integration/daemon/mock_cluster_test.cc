// The at-least-once core (pipeline::Pipeline with the real KafkaSource, KafkaSink, matcher and
// alert encoder, wired as daemon/app/run.cc does) against librdkafka's mock cluster, with
// faults injected deterministically (rdkafka_mock.h):
//  - the alert topic's leader goes down while alerts are produced, then comes back;
//  - Produce requests to the alert topic fail (retriable and permanent errors) or are
//    acknowledged slowly;
//  - a rebalance hands the daemon its own partitions back while alerts are undeliverable.
// The invariant checked throughout: a committed input offset never passes a message whose
// expected alerts are not on the alert topic (the committed offsets are read first, the alert
// topic after), and once the faults stop every expected alert is delivered.
//
// Mock cluster facts (librdkafka 2.0.2): the first group assignment comes after ~3 s, later
// rebalances are paced at session.timeout.ms - 1 s, a long-poll fetch is answered only after
// fetch.wait.max.ms (50 ms here).
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "daemon/kafka/kafka.h"
#include "daemon/match/dedup.h"
#include "daemon/match/rule_set.h"
#include "daemon/pipeline/pipeline.h"
#include "daemon/pipeline/rule_set_holder.h"
#include "daemon/sink/kafka_sink.h"
#include "daemon/source/kafka_source.h"
#include "daemon/telemetry/metrics.h"

#include "tests/integration/daemon/articles.h"
#include "tests/integration/daemon/daemon_support.h"

namespace newswatch::itest {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int16_t kApiProduce = 0;  // Kafka protocol ApiKey of Produce
constexpr int32_t kInputBroker = 1;
constexpr int32_t kAlertBroker = 2;
constexpr int kInputPartitions = 4;

// Counts what the pipeline and the clients report; thread-safe.
class Recorder final : public kafka::ClientEvents, public pipeline::PipelineEvents {
 public:
  void set_pipeline(pipeline::Pipeline* p) { pipeline_.store(p); }

  void on_log(std::string_view, int, std::string_view, std::string_view) override {}
  void on_error(std::string_view client, rd_kafka_resp_err_t err, std::string_view reason,
                bool fatal) override {
    if (!fatal) return;
    std::lock_guard lock(mu_);
    fatal_ +=
        std::string(client) + ": " + rd_kafka_err2name(err) + " " + std::string(reason) + "\n";
    if (auto* p = pipeline_.load()) p->report_fatal(std::string(reason));
  }
  void on_statistics(std::string_view, std::string_view) override {}

  void assigned(const std::vector<kafka::TopicPartition>& parts) override {
    std::lock_guard lock(mu_);
    ++assigns_;
    for (const auto& tp : parts) current_.insert(tp);
  }
  void revoked(const std::vector<kafka::TopicPartition>& parts, std::size_t,
               bool drained) override {
    std::lock_guard lock(mu_);
    ++revokes_;
    undrained_revokes_ += drained ? 0 : 1;
    for (const auto& tp : parts) current_.erase(tp);
  }
  void undecodable(const kafka::TopicPartition&, std::int64_t, const decode::DecodeError&,
                   bool) override {}
  void delivery_failed(std::string_view, rd_kafka_resp_err_t err, int) override {
    std::lock_guard lock(mu_);
    ++delivery_failures_;
    failure_codes_.insert(rd_kafka_err2name(err));
  }
  void consumer_error(std::string_view) override {}
  void commit_failed(rd_kafka_resp_err_t) override { ++commit_failures_; }
  void alert_delivered(std::string_view, std::string_view) override { ++alerts_delivered_; }

  std::size_t assigned_partitions() const {
    std::lock_guard lock(mu_);
    return current_.size();
  }
  int assigns() const {
    std::lock_guard lock(mu_);
    return assigns_;
  }
  int revokes() const {
    std::lock_guard lock(mu_);
    return revokes_;
  }
  int undrained_revokes() const {
    std::lock_guard lock(mu_);
    return undrained_revokes_;
  }
  int delivery_failures() const {
    std::lock_guard lock(mu_);
    return delivery_failures_;
  }
  std::set<std::string> failure_codes() const {
    std::lock_guard lock(mu_);
    return failure_codes_;
  }
  std::string fatal() const {
    std::lock_guard lock(mu_);
    return fatal_;
  }
  int alerts_delivered() const { return alerts_delivered_.load(); }

 private:
  mutable std::mutex mu_;
  std::set<kafka::TopicPartition> current_;
  int assigns_ = 0;
  int revokes_ = 0;
  int undrained_revokes_ = 0;
  int delivery_failures_ = 0;
  std::set<std::string> failure_codes_;
  std::string fatal_;
  std::atomic<int> commit_failures_{0};
  std::atomic<int> alerts_delivered_{0};
  std::atomic<pipeline::Pipeline*> pipeline_{nullptr};
};

// The daemon's parts, wired like daemon/app/run.cc, with the consumer loop on its own thread.
class InProcessDaemon {
 public:
  struct Options {
    std::string bootstrap;
    std::string group;
    std::string input;
    std::string alerts;
    milliseconds revoke_timeout{10'000};
    std::size_t dedup_entries = 1'000'000;  // dedup.max_entries; 0 disables dedup memory
    kafka::Properties consumer;
    kafka::Properties producer;
  };

  explicit InProcessDaemon(const Options& o)
      : metrics_(telemetry::MetricsOptions{{o.input}, true, 1000, "itest", "itest"}),
        dedup_(o.dedup_entries) {
    match::LoadResult loaded = match::load_rule_set(daemon_rules_dir());
    if (!loaded.rules) {
      error_ = "the test rules do not load";
      return;
    }
    auto snapshot = std::make_shared<pipeline::RulesSnapshot>();
    snapshot->metrics = metrics_.publish_rule_set(*loaded.rules);
    snapshot->rules = loaded.rules;
    holder_.publish(snapshot);

    pipeline::PipelineOptions po;
    po.alert_topic = o.alerts;
    po.workers = 2;
    po.revoke_timeout = o.revoke_timeout;
    pipe_ = std::make_unique<pipeline::Pipeline>(po, holder_, dedup_, metrics_, events_);
    events_.set_pipeline(pipe_.get());
    sink_ = sink::KafkaSink::create(sink::SinkOptions{o.bootstrap, o.producer, 1u << 20}, &events_,
                                    pipe_.get(), &error_);
    if (!sink_) return;
    source_ = source::KafkaSource::create(
        source::SourceOptions{o.bootstrap, o.group, {o.input}, o.consumer, 0}, &events_,
        pipe_.get(), &error_);
    if (!source_) return;
    pipe_->attach(source_.get(), sink_.get());
    pipe_->start();
    thread_ = std::thread([this] {
      pipe_->run_consumer(stop_, false);
      clean_ = pipe_->shutdown(shutdown_timeout_);
      stopped_ = true;
    });
  }

  ~InProcessDaemon() {
    stop(seconds(5));
    source_.reset();
    sink_.reset();
    pipe_.reset();
  }

  const std::string& error() const { return error_; }
  Recorder& events() { return events_; }
  // What the daemon's reloader does once a new set has loaded (and passed its tests).
  void publish(std::shared_ptr<const match::CompiledRuleSet> rules) {
    auto snapshot = std::make_shared<pipeline::RulesSnapshot>();
    snapshot->metrics = metrics_.publish_rule_set(*rules);
    snapshot->rules = std::move(rules);
    holder_.publish(std::move(snapshot));
  }
  std::uint64_t consumed() const { return pipe_ ? pipe_->messages_consumed() : 0; }

  // Graceful stop (Pipeline::shutdown with `timeout`); true when it reported a clean stop.
  bool stop(milliseconds timeout) {
    if (!thread_.joinable()) return clean_;
    shutdown_timeout_ = timeout;
    stop_ = true;
    thread_.join();
    return clean_;
  }

 private:
  telemetry::Metrics metrics_;
  pipeline::RuleSetHolder holder_;
  match::Deduplicator dedup_;
  Recorder events_;
  std::unique_ptr<pipeline::Pipeline> pipe_;
  std::unique_ptr<sink::KafkaSink> sink_;
  std::unique_ptr<source::KafkaSource> source_;
  std::string error_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> stopped_{false};
  milliseconds shutdown_timeout_{10'000};
  bool clean_ = false;
  std::thread thread_;
};

// A mock cluster of 3 brokers: the input topic led by broker 1 (also the group coordinator),
// the alert topic led by broker 2, so the alert path can fail alone. Articles, expectations and
// the invariant check.
class MockClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    cluster_ = kafka::EmbeddedCluster::start(3, &error);
    ASSERT_TRUE(cluster_) << error;
    mock_ = cluster_->mock();
    kafka_ = ClientConfig{cluster_->bootstrap_servers(),
                          {{"fetch.wait.max.ms", "50"}, {"log_level", "2"}}};
    input_ = unique_topic_name("mock-in");
    alerts_ = unique_topic_name("mock-alerts");
    group_ = unique_group_id("mock");
    ASSERT_TRUE(cluster_->create_topic(input_, kInputPartitions, &error)) << error;
    ASSERT_TRUE(cluster_->create_topic(alerts_, 2, &error)) << error;
    for (int p = 0; p < kInputPartitions; ++p) {
      ASSERT_EQ(rd_kafka_mock_partition_set_leader(mock_, input_.c_str(), p, kInputBroker),
                RD_KAFKA_RESP_ERR_NO_ERROR);
    }
    for (int p = 0; p < 2; ++p) {
      ASSERT_EQ(rd_kafka_mock_partition_set_leader(mock_, alerts_.c_str(), p, kAlertBroker),
                RD_KAFKA_RESP_ERR_NO_ERROR);
    }
    ASSERT_EQ(rd_kafka_mock_coordinator_set(mock_, "group", group_.c_str(), kInputBroker),
              RD_KAFKA_RESP_ERR_NO_ERROR);
    auto dir = make_test_dir("mock");
    ASSERT_TRUE(dir.ok()) << dir.error();
    dir_ = *dir;
  }

  void TearDown() override {
    if (mock_ != nullptr) rd_kafka_mock_broker_set_up(mock_, -1);
  }

  InProcessDaemon::Options daemon_options(milliseconds revoke_timeout = seconds(10),
                                          std::size_t dedup_entries = 1'000'000) const {
    InProcessDaemon::Options o;
    o.dedup_entries = dedup_entries;
    o.bootstrap = cluster_->bootstrap_servers();
    o.group = group_;
    o.input = input_;
    o.alerts = alerts_;
    o.revoke_timeout = revoke_timeout;
    o.consumer = {{"fetch.wait.max.ms", "50"},
                  {"session.timeout.ms", "6000"},
                  {"heartbeat.interval.ms", "500"},
                  {"auto.commit.interval.ms", "200"},
                  {"log_level", "2"}};
    // Deliveries that cannot reach the broker fail after 2 s and go through the pipeline's
    // own retry path.
    o.producer = {{"message.timeout.ms", "2000"}, {"log_level", "2"}};
    return o;
  }

  // Produces `count` generated articles (partition = index % 4) and records, per input
  // partition, each message's offset and the rules expected to fire on it.
  void produce_articles(std::size_t count, std::uint64_t seed) {
    auto articles = generate_articles(input_, count, seed);
    std::vector<std::string> values;
    std::vector<OutgoingMessage> out;
    for (std::size_t i = 0; i < articles.size(); ++i) {
      values.push_back(articles[i].json);
      out.push_back(
          {articles[i].id, articles[i].json, {}, static_cast<int32_t>(i % kInputPartitions)});
    }
    auto expected = expected_alerts(values, 1u << 20, dir_);
    ASSERT_TRUE(expected.ok()) << expected.error();
    for (const auto& e : *expected) {
      if (e.mode == "alert") expected_.push_back(e);
    }
    std::map<std::string, std::set<std::string>> rules_of;
    for (const auto& e : expected_) rules_of[e.article_id].insert(e.rule_id);
    auto delivered = produce(kafka_, input_, out, seconds(30));
    ASSERT_TRUE(delivered.ok()) << delivered.error();
    for (std::size_t i = 0; i < articles.size(); ++i) {
      const Delivered& d = (*delivered)[i];
      messages_[d.partition][d.offset] = {articles[i].id, rules_of[articles[i].id]};
      end_[d.partition] = std::max(end_[d.partition], d.offset + 1);
    }
    for (int p = 0; p < kInputPartitions; ++p) {
      first_with_alerts_[p] = end_[p];
      for (const auto& [offset, m] : messages_[p]) {
        if (!m.rules.empty()) {
          first_with_alerts_[p] = offset;
          break;
        }
      }
      // What the group's committed offsets are once everything before those messages is done
      // (nothing is committed for a partition whose first message has alerts).
      held_at_[p] = first_with_alerts_[p] == 0 ? RD_KAFKA_OFFSET_INVALID : first_with_alerts_[p];
    }
  }

  std::map<int32_t, int64_t> committed() {
    auto c = committed_offsets(kafka_, group_, input_, seconds(10));
    EXPECT_TRUE(c.ok()) << c.error();
    return c.ok() ? *c : std::map<int32_t, int64_t>{};
  }

  Result<std::vector<AlertRecord>> read_alerts() {
    auto msgs = consume_all(kafka_, alerts_, {.stop_at_end = true, .timeout = seconds(30)});
    if (!msgs.ok()) return msgs.error();
    return parse_alerts(*msgs);
  }

  // One sample of the invariant: offsets committed now, then the alerts on the topic; every
  // message below a committed offset must have all its alerts there. Records violations.
  void check_invariant_once() {
    const auto c = committed();
    auto got = read_alerts();
    ASSERT_TRUE(got.ok()) << got.error();
    std::set<AlertKey> have;
    for (const auto& a : *got) have.insert({a.rule_id, a.article_id});
    for (const auto& [p, next] : c) {
      for (const auto& [offset, m] : messages_[p]) {
        if (offset >= next) break;
        for (const auto& rule : m.rules) {
          if (have.count({rule, m.article_id}) == 0) {
            violations_.insert("partition " + std::to_string(p) + " committed at " +
                               std::to_string(next) + " past offset " + std::to_string(offset) +
                               " whose alert (" + rule + ", " + m.article_id +
                               ") is not on the alert topic");
          }
        }
      }
    }
    ++samples_;
  }

  // While the alert topic's leader is down no alert can be acknowledged: the committed offset
  // of every partition must stay at or below its first message that has alerts.
  void check_bounded_by_first_alert(const std::map<int32_t, int64_t>& c, const char* when) {
    for (const auto& [p, next] : c) {
      if (next > first_with_alerts_[p]) {
        violations_.insert(
            std::string(when) + ": partition " + std::to_string(p) + " committed at " +
            std::to_string(next) + ", past offset " + std::to_string(first_with_alerts_[p]) +
            " whose alerts cannot have been delivered (the alert topic's leader is down)");
      }
    }
  }

  std::string violations() const {
    std::string s;
    std::size_t n = 0;
    for (const auto& v : violations_) {
      if (n++ < 10) s += v + "\n";
    }
    return std::to_string(violations_.size()) + " violations:\n" + s;
  }

  // Waits (sampling the invariant) until every expected alert is on the topic and the group has
  // committed the end of every input partition.
  void await_everything_delivered(InProcessDaemon& daemon, seconds timeout) {
    std::string last;
    const bool done = poll_until(
        [&] {
          check_invariant_once();
          auto got = read_alerts();
          if (!got.ok()) return false;
          const AlertComparison cmp = compare_alerts(expected_, *got);
          const auto c = committed();
          last = cmp.describe() + "committed " + describe_offsets(c) + ", end " +
                 describe_offsets(end_);
          return cmp.missing.empty() && c == end_;
        },
        timeout, milliseconds(300));
    ASSERT_TRUE(done) << "not everything was delivered and committed: " << last
                      << "\nfatal: " << daemon.events().fatal();
  }

  // The scenario of the PartitionsComingBackDuringAnOutage tests (defined below).
  void partitions_come_back_during_outage(std::size_t dedup_entries);

  struct InputMessage {
    std::string article_id;
    std::set<std::string> rules;
  };

  std::unique_ptr<kafka::EmbeddedCluster> cluster_;
  rd_kafka_mock_cluster_s* mock_ = nullptr;
  ClientConfig kafka_;
  std::string input_;
  std::string alerts_;
  std::string group_;
  std::string dir_;
  std::vector<ExpectedAlert> expected_;
  std::map<int32_t, std::map<int64_t, InputMessage>> messages_;
  std::map<int32_t, int64_t> end_;
  std::map<int32_t, int64_t> first_with_alerts_;
  std::map<int32_t, int64_t> held_at_;
  std::set<std::string> violations_;
  int samples_ = 0;
};

TEST_F(MockClusterTest, AlertLeaderDownHoldsOffsetsThenEverythingIsDelivered) {
  InProcessDaemon daemon(daemon_options());
  ASSERT_TRUE(daemon.error().empty()) << daemon.error();
  ASSERT_TRUE(poll_until([&] { return daemon.events().assigned_partitions() == kInputPartitions; },
                         seconds(30)));

  ASSERT_EQ(rd_kafka_mock_broker_set_down(mock_, kAlertBroker), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_NO_FATAL_FAILURE(produce_articles(200, 101));
  ASSERT_TRUE(poll_until([&] { return daemon.consumed() >= 200; }, seconds(30)));
  // The offsets move up to the first message with alerts, and not one message further: the
  // messages before it are done, it is not.
  std::map<int32_t, int64_t> c;
  const bool reached = poll_until(
      [&] {
        c = committed();
        check_bounded_by_first_alert(c, "leader down");
        return c == held_at_;
      },
      seconds(30));
  EXPECT_TRUE(reached) << "committed " << describe_offsets(c) << ", expected "
                       << describe_offsets(held_at_);
  // Deliveries time out (message.timeout.ms) and are retried by the pipeline; still nothing
  // moves.
  ASSERT_TRUE(poll_until([&] { return daemon.events().delivery_failures() >= 3; }, seconds(30)));
  check_bounded_by_first_alert(committed(), "after delivery timeouts");
  EXPECT_TRUE(daemon.events().failure_codes().count("_MSG_TIMED_OUT"));

  ASSERT_EQ(rd_kafka_mock_broker_set_up(mock_, kAlertBroker), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_NO_FATAL_FAILURE(await_everything_delivered(daemon, seconds(90)));
  EXPECT_TRUE(daemon.stop(seconds(10))) << "the pipeline did not stop cleanly";
  EXPECT_TRUE(daemon.events().fatal().empty()) << daemon.events().fatal();
  EXPECT_TRUE(violations_.empty()) << violations();

  auto got = read_alerts();
  ASSERT_TRUE(got.ok()) << got.error();
  const AlertComparison cmp = compare_alerts(expected_, *got);
  EXPECT_TRUE(cmp.same_set()) << cmp.describe();
  EXPECT_TRUE(cmp.wrong_alert_id.empty()) << cmp.describe();
  std::cout << "[ mock     ] leader down: " << daemon.events().delivery_failures()
            << " failed delivery attempts retried; " << got->size() << " alerts for "
            << expected_.size() << " expected (" << cmp.duplicate_copies << " duplicates); "
            << samples_ << " invariant samples" << std::endl;
}

TEST_F(MockClusterTest, ProduceErrorsAndSlowAcksNeverLetOffsetsPassUndeliveredAlerts) {
  InProcessDaemon daemon(daemon_options());
  ASSERT_TRUE(daemon.error().empty()) << daemon.error();
  ASSERT_TRUE(poll_until([&] { return daemon.events().assigned_partitions() == kInputPartitions; },
                         seconds(30)));

  // The next Produce requests to the alert topic's leader: retriable errors (handled inside
  // librdkafka), slow acknowledgements (alerts in flight for seconds), and permanent errors
  // (reported to the pipeline, which produces the alert again).
  ASSERT_EQ(rd_kafka_mock_broker_push_request_error_rtts(
                mock_, kAlertBroker, kApiProduce, 8, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, 0,
                RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, 0, RD_KAFKA_RESP_ERR_NO_ERROR, 1500,
                RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, 0,
                RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, 0,
                RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, 0, RD_KAFKA_RESP_ERR_NO_ERROR, 1500,
                RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, 0),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_NO_FATAL_FAILURE(produce_articles(300, 202));
  ASSERT_NO_FATAL_FAILURE(await_everything_delivered(daemon, seconds(90)));
  EXPECT_TRUE(daemon.stop(seconds(10))) << "the pipeline did not stop cleanly";
  EXPECT_TRUE(daemon.events().fatal().empty()) << daemon.events().fatal();
  EXPECT_GE(daemon.events().delivery_failures(), 1) << "no permanent error reached the pipeline";
  EXPECT_TRUE(violations_.empty()) << violations();
  EXPECT_GE(samples_, 2);

  auto got = read_alerts();
  ASSERT_TRUE(got.ok()) << got.error();
  const AlertComparison cmp = compare_alerts(expected_, *got);
  EXPECT_TRUE(cmp.same_set()) << cmp.describe();
  EXPECT_TRUE(cmp.wrong_alert_id.empty()) << cmp.describe();
  std::string codes;
  for (const auto& c : daemon.events().failure_codes()) codes += c + " ";
  std::cout << "[ mock     ] produce errors: " << daemon.events().delivery_failures()
            << " failed deliveries (" << codes << ") retried; " << got->size() << " alerts for "
            << expected_.size() << " expected (" << cmp.duplicate_copies << " duplicates); "
            << samples_ << " invariant samples" << std::endl;
}

// A consumer that joins the group and then leaves, to make the daemon's partitions move.
class Intruder {
 public:
  Intruder(const std::string& bootstrap, const std::string& group, const std::string& topic) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char err[512];
    for (const auto& [k, v] :
         std::map<std::string, std::string>{{"bootstrap.servers", bootstrap},
                                            {"group.id", group},
                                            {"enable.auto.commit", "false"},
                                            {"enable.auto.offset.store", "false"},
                                            {"fetch.wait.max.ms", "50"},
                                            {"session.timeout.ms", "6000"},
                                            {"heartbeat.interval.ms", "500"},
                                            {"log_level", "2"}}) {
      rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err);
    }
    rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (rk_ == nullptr) return;
    rd_kafka_poll_set_consumer(rk_);
    rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(rk_, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    thread_ = std::thread([this] {
      while (!leave_.load()) {
        if (rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, 100)) rd_kafka_message_destroy(m);
        rd_kafka_topic_partition_list_t* a = nullptr;
        if (rd_kafka_assignment(rk_, &a) == RD_KAFKA_RESP_ERR_NO_ERROR && a != nullptr) {
          assigned_ = a->cnt;
          rd_kafka_topic_partition_list_destroy(a);
        }
      }
      rd_kafka_consumer_close(rk_);
    });
  }
  ~Intruder() {
    leave();
    if (rk_ != nullptr) rd_kafka_destroy(rk_);
  }
  bool ok() const { return rk_ != nullptr; }
  int assigned() const { return assigned_.load(); }
  // Leaves the group (rd_kafka_consumer_close) and waits for it.
  void leave() {
    leave_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  rd_kafka_t* rk_ = nullptr;
  std::atomic<bool> leave_{false};
  std::atomic<int> assigned_{0};
  std::thread thread_;
};

// A rebalance while the alert topic is unreachable: the daemon's revoke times out with alerts
// still undelivered, the partitions come back to the same process, which consumes the same
// messages again from the committed offsets. Their alerts are still undelivered, so their
// offsets must not be committed; a restart after that must deliver them.
void MockClusterTest::partitions_come_back_during_outage(std::size_t dedup_entries) {
  auto daemon = std::make_unique<InProcessDaemon>(daemon_options(seconds(1), dedup_entries));
  ASSERT_TRUE(daemon->error().empty()) << daemon->error();
  ASSERT_TRUE(poll_until([&] { return daemon->events().assigned_partitions() == kInputPartitions; },
                         seconds(30)));
  ASSERT_EQ(rd_kafka_mock_broker_set_down(mock_, kAlertBroker), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_NO_FATAL_FAILURE(produce_articles(100, 303));
  ASSERT_TRUE(poll_until([&] { return daemon->consumed() >= 100; }, seconds(30)));
  std::map<int32_t, int64_t> c;
  ASSERT_TRUE(poll_until([&] { return (c = committed()) == held_at_; }, seconds(30)))
      << "committed " << describe_offsets(c) << ", expected " << describe_offsets(held_at_);

  // Another member joins (the daemon's revoke cannot drain: the alerts are stuck), then leaves;
  // the daemon gets every partition back.
  {
    Intruder intruder(cluster_->bootstrap_servers(), group_, input_);
    ASSERT_TRUE(intruder.ok());
    ASSERT_TRUE(poll_until([&] { return intruder.assigned() > 0; }, seconds(60)))
        << "the second member never got partitions";
    intruder.leave();
  }
  ASSERT_TRUE(poll_until(
      [&] {
        return daemon->events().assigned_partitions() == kInputPartitions &&
               daemon->events().assigns() >= 3;
      },
      seconds(60)))
      << "the daemon did not get its partitions back";
  EXPECT_GE(daemon->events().undrained_revokes(), 1);
  // It consumes again every message from the committed offsets on.
  std::uint64_t again = 0;
  for (const auto& [p, end] : end_)
    again += static_cast<std::uint64_t>(end - first_with_alerts_[p]);
  ASSERT_TRUE(poll_until([&] { return daemon->consumed() >= 100 + again; }, seconds(30)))
      << "consumed " << daemon->consumed() << ", expected at least " << 100 + again;

  // Stop during the outage: nothing may be committed past an undelivered alert.
  EXPECT_FALSE(daemon->stop(seconds(2))) << "a stop with undeliverable alerts cannot be clean";
  daemon.reset();
  check_bounded_by_first_alert(committed(), "after the rebalance and a stop during the outage");
  EXPECT_TRUE(violations_.empty()) << violations();

  // A new daemon after the outage delivers everything the first one could not.
  ASSERT_EQ(rd_kafka_mock_broker_set_up(mock_, kAlertBroker), RD_KAFKA_RESP_ERR_NO_ERROR);
  InProcessDaemon restarted(daemon_options());
  ASSERT_TRUE(restarted.error().empty()) << restarted.error();
  // Once it has committed the end of the input, everything before must be on the alert topic.
  ASSERT_TRUE(poll_until([&] { return (c = committed()) == end_; }, seconds(60)))
      << "committed " << describe_offsets(c) << ", end " << describe_offsets(end_);
  auto got = read_alerts();
  ASSERT_TRUE(got.ok()) << got.error();
  const AlertComparison cmp = compare_alerts(expected_, *got);
  EXPECT_TRUE(cmp.same_set()) << "alerts lost: " << cmp.describe();
  EXPECT_TRUE(restarted.stop(seconds(10)));
}

TEST_F(MockClusterTest, PartitionsComingBackDuringAnOutageDoNotCommitUndeliveredAlerts) {
  partitions_come_back_during_outage(1'000'000);
}

// The same without dedup memory: shows that the dedup suppression is what breaks the test above.
TEST_F(MockClusterTest, PartitionsComingBackDuringAnOutageWithoutDedupMemory) {
  partitions_come_back_during_outage(0);
}

// Two rule sets that match the same articles under different rule ids, swapped every 20 ms
// while 600 articles stream through 2 workers: every article is matched by one whole set (its
// alerts all come from set A or all from set B, each stamped with its set's version), and no
// article loses an alert. Under TSan this is the reload-under-load race check.
TEST_F(MockClusterTest, RuleSetSwapsUnderLoadNeverMixSetsOrLoseAlerts) {
  std::shared_ptr<const match::CompiledRuleSet> sets[2];
  const char* const names[2] = {"a", "b"};
  for (int i = 0; i < 2; ++i) {
    const std::string dir = dir_ + "/set-" + names[i];
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/rules.yaml")
        << "rules:\n  - id: " << names[i] << "-banque\n    query: banque\n  - id: " << names[i]
        << "-cyber\n    query: cyber*\n";
    match::LoadResult loaded = match::load_rule_set(dir);
    ASSERT_TRUE(loaded.rules) << "set " << names[i] << " does not load";
    sets[i] = loaded.rules;
  }
  ASSERT_NE(sets[0]->version(), sets[1]->version());

  InProcessDaemon daemon(daemon_options());
  ASSERT_TRUE(daemon.error().empty()) << daemon.error();
  daemon.publish(sets[0]);
  ASSERT_TRUE(poll_until([&] { return daemon.events().assigned_partitions() == kInputPartitions; },
                         seconds(30)));

  std::atomic<bool> done{false};
  std::atomic<int> swaps{0};
  std::thread swapper([&] {
    for (int i = 1; !done.load(); ++i) {
      daemon.publish(sets[i % 2]);
      swaps.fetch_add(1);
      std::this_thread::sleep_for(milliseconds(20));
    }
  });
  constexpr int kArticles = 600;
  constexpr int kBatch = 20;
  for (int first = 0; first < kArticles; first += kBatch) {
    std::vector<OutgoingMessage> batch;
    for (int i = first; i < first + kBatch; ++i) {
      const std::string id = "swap-" + std::to_string(i);
      batch.push_back({id,
                       R"({"id":")" + id +
                           R"(","title":"Cyberattaque contre une banque","body":)"
                           R"("Une banque régionale a subi une cyberattaque.","lang":"fr"})",
                       {},
                       i % kInputPartitions});
    }
    auto delivered = produce(kafka_, input_, batch, seconds(30));
    ASSERT_TRUE(delivered.ok()) << delivered.error();
  }
  ASSERT_TRUE(
      poll_until([&] { return daemon.events().alerts_delivered() >= 2 * kArticles; }, seconds(120)))
      << daemon.events().alerts_delivered() << " alerts delivered of " << 2 * kArticles;
  done = true;
  swapper.join();
  EXPECT_TRUE(daemon.stop(seconds(10)));

  auto got = read_alerts();
  ASSERT_TRUE(got.ok()) << got.error();
  std::map<std::string, std::set<std::string>> rules_of;
  int by_set[2] = {0, 0};
  for (const AlertRecord& a : *got) {
    rules_of[a.article_id].insert(a.rule_id);
    const int set = a.rule_id.starts_with("a-") ? 0 : 1;
    const std::string stamp = "\"ruleset_version\":\"" + sets[set]->version() + "\"";
    EXPECT_NE(a.message.value.value_or("").find(stamp), std::string::npos)
        << a.rule_id << " on " << a.article_id << " is not stamped with its set's version";
  }
  EXPECT_EQ(rules_of.size(), static_cast<std::size_t>(kArticles));
  for (const auto& [article, rules] : rules_of) {
    const bool all_a = rules == std::set<std::string>{"a-banque", "a-cyber"};
    const bool all_b = rules == std::set<std::string>{"b-banque", "b-cyber"};
    EXPECT_TRUE(all_a || all_b) << article << " was matched by a mix of rule sets";
    ++by_set[all_a ? 0 : 1];
  }
  std::cout << "[ mock     ] " << swaps.load() << " rule-set swaps under load; " << by_set[0]
            << " articles matched by set A, " << by_set[1] << " by set B" << std::endl;
  EXPECT_GT(swaps.load(), 10);
}

}  // namespace
}  // namespace newswatch::itest
