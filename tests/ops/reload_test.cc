// Hot reload as ops use it, against the real broker: rule files changed in the watched
// directory (inotify) or a SIGHUP. A broken file or a failing rule test keeps the old rule set
// (metric and JSON log show it, with path:line:column); a good change is live without a
// restart; a Kubernetes-style ConfigMap swap is picked up; and flipping between two rule sets
// while articles stream in never lets one article be matched by a mix of both.
#include <atomic>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include "tests/integration/support/kafka.h"
#include "tests/ops/support/daemon.h"
#include "tests/ops/support/ops.h"

namespace newswatch::opstest {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

// Two rule sets that both match every test article, with different rule ids.
std::string rule_set(const std::string& a, const std::string& b) {
  const auto rule = [](const std::string& id, const char* severity, const char* term,
                       const char* example) {
    return "  - id: " + id + "\n    name: Reload test rule " + id + "\n    severity: " + severity +
           "\n    query: '" + term + "'\n    tests:\n      match:\n        - {title: \"" + example +
           "\", body: \"x\"}\n      no_match:\n        - {title: \"Le marché du blé\", body: "
           "\"x\"}\n";
  };
  return "rules:\n" + rule(a, "high", "cyberattaque", "Une cyberattaque") +
         rule(b, "low", "banque", "Une banque régionale");
}
const std::string kSetA = rule_set("a1", "a2");
const std::string kSetB = rule_set("b1", "b2");
constexpr const char* kArticleText = "Une cyberattaque paralyse une banque régionale depuis lundi.";

// Unknown key `severty` on line 4, column 5.
constexpr const char* kBrokenFile =
    "rules:\n"
    "  - id: broken-rule\n"
    "    name: A rule with a typo\n"
    "    severty: high\n"
    "    query: cyberattaque\n";
// Loads, but its own test fails: the tests gate must refuse it.
constexpr const char* kFailingTestFile =
    "rules:\n"
    "  - id: gate-rule\n"
    "    name: A rule whose test fails\n"
    "    query: cyberattaque\n"
    "    tests:\n"
    "      match:\n"
    "        - {title: \"Le marché du blé\", body: \"Rien à voir.\"}\n";

std::string version_of(const Exposition& e) {
  const auto info = e.find("newswatch_ruleset_info");
  return info.size() == 1 && info[0]->value == 1 ? info[0]->labels.at("version") : std::string();
}
double reloads(const Exposition& e, const char* result) {
  return e.sum("newswatch_ruleset_reloads_total", {{"result", result}});
}

class ReloadTest : public ::testing::Test {
 protected:
  // Starts a daemon on fresh topics with `rules` written to rules.yaml in a fresh directory, or
  // (rules empty) on the directory already in rules_dir_.
  void start(const std::string& rules, bool watch, int partitions = 1, int workers = 2) {
    auto kafka = itest::KafkaFixture::from_env();
    ASSERT_TRUE(kafka.ok()) << kafka.error();
    client_ = itest::ClientConfig::plaintext(*kafka);
    input_ = itest::unique_topic_name("ops-reload-in");
    alerts_ = itest::unique_topic_name("ops-reload-alerts");
    ASSERT_TRUE(itest::create_topic(client_, input_, partitions).ok());
    ASSERT_TRUE(itest::create_topic(client_, alerts_, 1).ok());
    if (!rules.empty()) {
      auto dir = make_temp_dir("newswatch-ops-rules");
      ASSERT_TRUE(dir.ok()) << dir.error();
      rules_dir_ = *dir;
      ASSERT_TRUE(write_file(rules_dir_ + "/rules.yaml", rules).ok());
    }
    auto d = Daemon::start({.bootstrap = kafka->bootstrap,
                            .group = itest::unique_group_id("ops-reload"),
                            .input_topics = {input_},
                            .alert_topic = alerts_,
                            .rules_dir = rules_dir_,
                            .watch = watch,
                            .workers = workers});
    ASSERT_TRUE(d.ok()) << d.error();
    daemon_.emplace(std::move(*d));
    ASSERT_TRUE(daemon_->await_ready(seconds(60)).ok());
  }

  void TearDown() override {
    if (daemon_) {
      const auto st = daemon_->process().terminate(seconds(20));
      EXPECT_TRUE(st.success()) << st.describe() << "\n" << daemon_->process().read_stderr();
    }
    if (!rules_dir_.empty()) fs::remove_all(rules_dir_);
  }

  Exposition metrics() {
    auto e = daemon_->metrics();
    EXPECT_TRUE(e.ok()) << e.error();
    return e.ok() ? *e : Exposition{};
  }

  // Waits until the reload counter of `result` reaches `count`; returns the exposition.
  Exposition await_reloads(const char* result, double count) {
    auto e = daemon_->await_metrics(
        [&](const Exposition& x) { return reloads(x, result) >= count; }, seconds(30),
        std::string("newswatch_ruleset_reloads_total{result=\"") + result +
            "\"} >= " + std::to_string(count));
    EXPECT_TRUE(e.ok()) << e.error();
    return e.ok() ? *e : Exposition{};
  }

  // Produces `n` new articles; returns their ids.
  std::vector<std::string> produce(int n) {
    const auto bodies = make_articles(prefix_, next_, n, kArticleText);
    std::vector<itest::OutgoingMessage> msgs;
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      ids.push_back(prefix_ + "-" + std::to_string(next_ + i));
      msgs.push_back({.key = ids.back(), .value = bodies[static_cast<std::size_t>(i)]});
    }
    next_ += n;
    const auto r = itest::produce(client_, input_, msgs);
    EXPECT_TRUE(r.ok()) << r.error();
    return ids;
  }

  // Every alert of the topic, once there are `expected` of them (Error on timeout).
  itest::Result<std::vector<AlertRecord>> alerts(std::size_t expected) {
    auto msgs = itest::consume_all(
        client_, alerts_,
        {.max_messages = expected, .idle_timeout = seconds(60), .timeout = seconds(120)});
    if (!msgs.ok()) return msgs.error();
    if (msgs->size() != expected) {
      return itest::Error{"expected " + std::to_string(expected) + " alerts, got " +
                          std::to_string(msgs->size())};
    }
    std::vector<AlertRecord> out;
    for (const auto& m : *msgs) {
      auto a = parse_alert(m.value.value_or(""));
      if (!a.ok()) return a.error();
      out.push_back(*a);
    }
    return out;
  }

  // The alerts of `ids` (among all `expected_total` alerts of the topic): article -> rule ->
  // version.
  std::map<std::string, std::map<std::string, std::string>> alerts_of(
      const std::vector<std::string>& ids, std::size_t expected_total) {
    std::map<std::string, std::map<std::string, std::string>> out;
    auto all = alerts(expected_total);
    EXPECT_TRUE(all.ok()) << all.error();
    if (!all.ok()) return out;
    const std::set<std::string> wanted(ids.begin(), ids.end());
    for (const auto& a : *all) {
      if (wanted.contains(a.article_id)) {
        EXPECT_TRUE(out[a.article_id].emplace(a.rule_id, a.ruleset_version).second)
            << "two alerts of " << a.rule_id << " for " << a.article_id;
      }
    }
    EXPECT_EQ(out.size(), ids.size());
    return out;
  }

  // Every article of `ids` has exactly the alerts of `rules`, all from `version`.
  void expect_alerts(const std::vector<std::string>& ids, std::size_t expected_total,
                     const std::set<std::string>& rules, const std::string& version) {
    for (const auto& [article, by_rule] : alerts_of(ids, expected_total)) {
      std::set<std::string> fired;
      for (const auto& [rule, v] : by_rule) {
        fired.insert(rule);
        EXPECT_EQ(v, version) << article << " " << rule;
      }
      EXPECT_EQ(fired, rules) << article;
    }
  }

  itest::ClientConfig client_;
  std::string input_, alerts_, rules_dir_;
  std::optional<Daemon> daemon_;
  std::string prefix_ = itest::unique_topic_name("article");
  int next_ = 0;
};

// (a) A broken file, then a file whose rule test fails, both written into the watched
// directory: each time the old set stays (same version, counted as a failure, logged with
// path:line:column) and alerts keep coming from it.
TEST_F(ReloadTest, BrokenRuleFileKeepsTheOldSet) {
  start(kSetA, /*watch=*/true);
  if (HasFatalFailure()) return;
  const Exposition e0 = metrics();
  const std::string va = version_of(e0);
  ASSERT_EQ(va.size(), 16u);
  EXPECT_EQ(reloads(e0, "success"), 1);  // the startup load
  EXPECT_EQ(reloads(e0, "failure"), 0);
  const auto batch1 = produce(5);
  expect_alerts(batch1, 10, {"a1", "a2"}, va);

  // A typo. (Files are written as editors do: a hidden temporary file renamed into place, so
  // that no reload can see a half-written file.)
  ASSERT_TRUE(write_file(rules_dir_ + "/broken.yaml", kBrokenFile, /*atomic=*/true).ok());
  Exposition e1 = await_reloads("failure", 1);
  EXPECT_EQ(version_of(e1), va);
  EXPECT_EQ(e1.find("newswatch_ruleset_info").size(), 1u);
  EXPECT_EQ(reloads(e1, "success"), 1);
  EXPECT_EQ(e1.value("newswatch_ruleset_rules", {{"state", "enabled"}}), 2);
  auto diag = daemon_->await_log([](const LogLine& l) { return l.get("msg") == "rule error"; },
                                 seconds(10), "the rule error");
  ASSERT_TRUE(diag.ok()) << diag.error();
  EXPECT_EQ(diag->get("level"), "error");
  EXPECT_THAT(diag->get("diagnostic"),
              HasSubstr(rules_dir_ + "/broken.yaml:4:5: unknown key 'severty'"));
  auto kept = daemon_->await_log(
      [](const LogLine& l) { return l.get("event") == "reload" && l.get("result") == "failure"; },
      seconds(10), "the reload failure");
  ASSERT_TRUE(kept.ok()) << kept.error();
  EXPECT_EQ(kept->get("trigger"), "file change");
  EXPECT_THAT(kept->get("msg"), HasSubstr("keeping the current one"));
  const auto batch2 = produce(5);
  expect_alerts(batch2, 20, {"a1", "a2"}, va);

  // A file that loads but whose rule test fails: refused by the tests gate.
  ASSERT_TRUE(write_file(rules_dir_ + "/broken.yaml", kFailingTestFile, /*atomic=*/true).ok());
  Exposition e2 = await_reloads("failure", 2);
  EXPECT_EQ(version_of(e2), va);
  EXPECT_EQ(reloads(e2, "success"), 1);
  auto failed_test =
      daemon_->await_log([](const LogLine& l) { return l.get("msg") == "rule test failed"; },
                         seconds(10), "the failed rule test");
  ASSERT_TRUE(failed_test.ok()) << failed_test.error();
  EXPECT_THAT(failed_test->get("failure"), HasSubstr("gate-rule"));
  const auto batch3 = produce(5);
  expect_alerts(batch3, 30, {"a1", "a2"}, va);  // no gate-rule alert

  // Removing the bad file is a change too: the same files again, the same version.
  fs::remove(rules_dir_ + "/broken.yaml");
  Exposition e3 = await_reloads("success", 2);
  EXPECT_EQ(version_of(e3), va);
  EXPECT_GE(reloads(e3, "failure"), 2);  // a slow rename may give one more failed attempt
}

// (b) A new rule file in the watched directory is live without a restart: new alerts carry
// the new version and the new rule fires.
TEST_F(ReloadTest, GoodChangeIsLiveWithoutRestart) {
  start(kSetA, /*watch=*/true);
  if (HasFatalFailure()) return;
  const Exposition e0 = metrics();
  const std::string va = version_of(e0);
  const auto started = e0.value("process_start_time_seconds");
  ASSERT_TRUE(started.has_value());
  const pid_t pid = daemon_->process().pid();
  expect_alerts(produce(4), 8, {"a1", "a2"}, va);

  const std::string added =
      "rules:\n"
      "  - id: n1\n"
      "    name: Added while running\n"
      "    severity: critical\n"
      "    query: 'cyberattaque AND banque'\n";
  ASSERT_TRUE(write_file(rules_dir_ + "/added.yaml", added, /*atomic=*/true).ok());
  auto changed = daemon_->await_metrics(
      [&](const Exposition& x) { return !version_of(x).empty() && version_of(x) != va; },
      seconds(30), "a new rule set version");
  ASSERT_TRUE(changed.ok()) << changed.error();
  const Exposition e1 = *changed;
  const std::string vn = version_of(e1);
  EXPECT_EQ(vn.size(), 16u);
  EXPECT_GE(reloads(e1, "success"), 2);
  EXPECT_EQ(e1.find("newswatch_ruleset_info").size(), 1u);  // the old version's series is gone
  EXPECT_EQ(e1.value("newswatch_ruleset_rules", {{"state", "enabled"}}), 3);
  EXPECT_EQ(reloads(e1, "failure"), 0);
  auto loaded = daemon_->await_log(
      [&](const LogLine& l) { return l.get("msg") == "rule set loaded" && l.get("version") == vn; },
      seconds(10), "the reload");
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(loaded->get("trigger"), "file change");
  EXPECT_EQ(loaded->get("rules"), "3");

  expect_alerts(produce(4), 8 + 12, {"a1", "a2", "n1"}, vn);
  // The same process all along.
  EXPECT_TRUE(daemon_->process().running());
  EXPECT_EQ(daemon_->process().pid(), pid);
  EXPECT_EQ(metrics().value("process_start_time_seconds"), started);
}

// (c) With the watch off, a changed file is not picked up until SIGHUP; a SIGHUP with a broken
// file keeps the set.
TEST_F(ReloadTest, SighupReloads) {
  start(kSetA, /*watch=*/false);
  if (HasFatalFailure()) return;
  const std::string va = version_of(metrics());
  ASSERT_TRUE(write_file(rules_dir_ + "/rules.yaml", kSetB, /*atomic=*/true).ok());
  expect_alerts(produce(3), 6, {"a1", "a2"}, va);  // not reloaded without a signal
  EXPECT_EQ(reloads(metrics(), "success"), 1);

  ASSERT_TRUE(daemon_->process().signal(SIGHUP).ok());
  const Exposition e1 = await_reloads("success", 2);
  const std::string vb = version_of(e1);
  EXPECT_NE(vb, va);
  auto loaded = daemon_->await_log(
      [&](const LogLine& l) { return l.get("msg") == "rule set loaded" && l.get("version") == vb; },
      seconds(10), "the reload");
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(loaded->get("trigger"), "SIGHUP");
  expect_alerts(produce(3), 12, {"b1", "b2"}, vb);

  ASSERT_TRUE(write_file(rules_dir_ + "/rules.yaml", kBrokenFile, /*atomic=*/true).ok());
  ASSERT_TRUE(daemon_->process().signal(SIGHUP).ok());
  const Exposition e2 = await_reloads("failure", 1);
  EXPECT_EQ(version_of(e2), vb);
  expect_alerts(produce(3), 18, {"b1", "b2"}, vb);
}

// (d) Two rule sets that match the same articles with different rule ids, flipped 20 times by
// SIGHUP while articles stream in (4 workers, 3 partitions): every article's alerts come from
// one rule set, and every alert's version is the one of its rule's set.
TEST_F(ReloadTest, ReloadUnderLoadNeverMixesRuleSets) {
  start(kSetA, /*watch=*/false, /*partitions=*/3, /*workers=*/4);
  if (HasFatalFailure()) return;
  const std::string va = version_of(metrics());
  std::string vb;

  std::atomic<bool> stop{false};
  std::atomic<int> produced{0};
  std::string producer_error;
  std::thread producer([&] {
    // A steady stream: each produce() waits for its batch's delivery reports.
    while (!stop.load()) {
      const int first = produced.load();
      const auto bodies = make_articles(prefix_, first, 10, kArticleText);
      std::vector<itest::OutgoingMessage> msgs;
      for (int i = 0; i < 10; ++i) {
        msgs.push_back({.key = prefix_ + "-" + std::to_string(first + i),
                        .value = bodies[static_cast<std::size_t>(i)]});
      }
      const auto r = itest::produce(client_, input_, msgs);
      if (!r.ok()) {
        producer_error = r.error().message;
        return;
      }
      produced += 10;
    }
  });
  struct StopProducer {  // also when an assertion below returns early
    std::atomic<bool>& stop;
    std::thread& thread;
    ~StopProducer() {
      stop = true;
      if (thread.joinable()) thread.join();
    }
  } stop_producer{stop, producer};

  constexpr int kFlips = 20;
  double consumed_at_flip = 0;
  for (int flip = 1; flip <= kFlips && producer_error.empty(); ++flip) {
    // Let at least 10 more articles through the current set before switching.
    auto progressed = daemon_->await_metrics(
        [&](const Exposition& x) {
          return x.sum("newswatch_articles_consumed_total") >= consumed_at_flip + 10;
        },
        seconds(60), "articles flowing between flips");
    ASSERT_TRUE(progressed.ok()) << progressed.error();
    consumed_at_flip = progressed->sum("newswatch_articles_consumed_total");
    ASSERT_TRUE(
        write_file(rules_dir_ + "/rules.yaml", flip % 2 == 1 ? kSetB : kSetA, /*atomic=*/true)
            .ok());
    ASSERT_TRUE(daemon_->process().signal(SIGHUP).ok());
    const Exposition e = await_reloads("success", 1 + flip);
    if (flip == 1) {
      vb = version_of(e);
      ASSERT_NE(vb, va);
    }
    ASSERT_EQ(version_of(e), flip % 2 == 1 ? vb : va) << "flip " << flip;
  }
  stop = true;
  producer.join();
  ASSERT_EQ(producer_error, "");
  const int total = produced.load();
  ASSERT_GE(total, kFlips * 10);

  auto all = alerts(static_cast<std::size_t>(2 * total));
  ASSERT_TRUE(all.ok()) << all.error();
  std::map<int, std::map<std::string, std::string>>
      by_article;  // article number -> rule -> version
  for (const auto& a : *all) {
    ASSERT_THAT(a.article_id, ::testing::StartsWith(prefix_ + "-"));
    const int n = std::stoi(a.article_id.substr(prefix_.size() + 1));
    EXPECT_TRUE(by_article[n].emplace(a.rule_id, a.ruleset_version).second)
        << "duplicate " << a.raw;
    // The version of the set the rule belongs to.
    EXPECT_EQ(a.ruleset_version, a.rule_id.front() == 'a' ? va : vb) << a.raw;
  }
  ASSERT_EQ(by_article.size(), static_cast<std::size_t>(total));
  int transitions = 0;
  std::string previous;
  std::map<std::string, int> per_version;
  for (const auto& [n, rules] : by_article) {
    std::set<std::string> ids, versions;
    for (const auto& [rule, v] : rules) {
      ids.insert(rule);
      versions.insert(v);
    }
    ASSERT_EQ(versions.size(), 1u) << "article " << n << " was matched by two rule sets";
    const std::string v = *versions.begin();
    const std::set<std::string> expected =
        v == va ? std::set<std::string>{"a1", "a2"} : std::set<std::string>{"b1", "b2"};
    EXPECT_EQ(ids, expected) << "article " << n;
    ++per_version[v];
    if (!previous.empty() && v != previous) ++transitions;
    previous = v;
  }
  EXPECT_GT(per_version[va], 0);
  EXPECT_GT(per_version[vb], 0);
  // Flips happened while articles flowed (each flip waited for 10 articles under the previous
  // set), so production order shows many switches.
  EXPECT_GE(transitions, kFlips / 2)
      << per_version[va] << " articles under A, " << per_version[vb] << " under B";
  // Consumption never stopped for a reload: the consumer never paused for backpressure either.
  EXPECT_EQ(metrics().sum("newswatch_consumer_pauses_total"), 0);
}

// (e) Kubernetes updates a ConfigMap volume by writing a new hidden directory and renaming the
// `..data` symlink over the old one; the files newswatch reads are symlinks through `..data`.
TEST_F(ReloadTest, KubernetesConfigMapSwapIsReloaded) {
  auto dir = make_temp_dir("newswatch-ops-configmap");
  ASSERT_TRUE(dir.ok()) << dir.error();
  const std::string root = *dir;
  const auto version_dir = [&](int n) {
    return "..2026_01_01_00_00_0" + std::to_string(n) + ".000000001";
  };
  ASSERT_TRUE(fs::create_directory(root + "/" + version_dir(1)));
  ASSERT_TRUE(write_file(root + "/" + version_dir(1) + "/rules.yaml", kSetA).ok());
  fs::create_directory_symlink(version_dir(1), root + "/..data");
  fs::create_symlink("..data/rules.yaml", root + "/rules.yaml");
  rules_dir_ = root;  // removed by TearDown
  start("", /*watch=*/true);
  if (HasFatalFailure()) return;
  const std::string va = version_of(metrics());
  ASSERT_EQ(va.size(), 16u);
  expect_alerts(produce(3), 6, {"a1", "a2"}, va);

  // What the kubelet does.
  ASSERT_TRUE(fs::create_directory(root + "/" + version_dir(2)));
  ASSERT_TRUE(write_file(root + "/" + version_dir(2) + "/rules.yaml", kSetB).ok());
  fs::create_directory_symlink(version_dir(2), root + "/..data_tmp");
  fs::rename(root + "/..data_tmp", root + "/..data");
  fs::remove_all(root + "/" + version_dir(1));

  auto e = daemon_->await_metrics(
      [&](const Exposition& x) { return !version_of(x).empty() && version_of(x) != va; },
      seconds(30), "a new rule set version");
  ASSERT_TRUE(e.ok()) << e.error();
  const std::string vb = version_of(*e);
  EXPECT_EQ(reloads(*e, "failure"), 0);
  expect_alerts(produce(3), 12, {"b1", "b2"}, vb);
}

}  // namespace
}  // namespace newswatch::opstest
