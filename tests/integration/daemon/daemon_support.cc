#include "tests/integration/daemon/daemon_support.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <simdjson.h>
#include <unistd.h>

namespace newswatch::itest {
namespace {

using Clock = std::chrono::steady_clock;

// The string value of a field, or empty when absent or not a string.
std::string str(simdjson::dom::element e, std::string_view key) {
  std::string_view v;
  if (e[key].get_string().get(v) != simdjson::SUCCESS) return {};
  return std::string(v);
}

std::string yaml_quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string newswatch_binary() {
  return NEWSWATCH_BINARY;
}

std::string daemon_rules_dir() {
  return std::string(NEWSWATCH_SOURCE_DIR) + "/tests/integration/daemon/rules";
}

Result<std::string> make_test_dir(std::string_view name) {
  static std::atomic<int> counter{0};
  const std::string dir = std::string(NEWSWATCH_BINARY_DIR) + "/integration/daemon-tests/" +
                          std::string(name) + "-" + std::to_string(::getpid()) + "-" +
                          std::to_string(counter++);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error{"cannot create " + dir + ": " + ec.message()};
  return dir;
}

Result<std::vector<ExpectedAlert>> expected_alerts(const std::vector<std::string>& messages,
                                                   std::size_t max_message_bytes,
                                                   const std::string& dir) {
  const std::string path = dir + "/articles.jsonl";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    for (std::size_t i = 0; i < messages.size(); ++i) {
      std::string_view m = messages[i];
      while (!m.empty() && (m.back() == '\n' || m.back() == '\r')) m.remove_suffix(1);
      if (m.find('\n') != std::string_view::npos) {
        return Error{"message " + std::to_string(i) + " has a line break: not JSON Lines"};
      }
      out << m << '\n';
    }
    if (!out) return Error{"cannot write " + path};
  }
  SpawnOptions o{.program = newswatch_binary(),
                 .args = {"match", "--rules", daemon_rules_dir(), "--max-message-bytes",
                          std::to_string(max_message_bytes), path},
                 .stdout_path = dir + "/expected-alerts.jsonl",
                 .stderr_path = dir + "/expected-alerts.stderr"};
  auto ran = run(o, std::chrono::seconds(120));
  if (!ran.ok()) return ran.error();
  if (!ran->status.success()) {
    return Error{"newswatch match: " + ran->status.describe() + "\n" + ran->stderr_text};
  }
  std::vector<ExpectedAlert> out;
  simdjson::dom::parser parser;
  std::istringstream lines(ran->stdout_text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    simdjson::dom::element e;
    if (parser.parse(line).get(e) != simdjson::SUCCESS) {
      return Error{"newswatch match printed a line that is not JSON: " + line.substr(0, 200)};
    }
    ExpectedAlert a{str(e, "rule_id"), {}, str(e, "alert_id"), str(e, "mode")};
    simdjson::dom::element article;
    if (e["article"].get(article) == simdjson::SUCCESS) a.article_id = str(article, "id");
    if (a.rule_id.empty() || a.article_id.empty() || a.alert_id.empty()) {
      return Error{"newswatch match printed an incomplete alert: " + line.substr(0, 200)};
    }
    out.push_back(std::move(a));
  }
  return out;
}

Result<AlertRecord> parse_alert(const ConsumedMessage& message) {
  if (!message.value) {
    return Error{"alert at " + message.topic + "/" + std::to_string(message.partition) + "@" +
                 std::to_string(message.offset) + " has a null value"};
  }
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  if (parser.parse(*message.value).get(e) != simdjson::SUCCESS || !e.is_object()) {
    return Error{"alert is not a JSON object: " + message.value->substr(0, 200)};
  }
  AlertRecord r;
  r.rule_id = str(e, "rule_id");
  r.alert_id = str(e, "alert_id");
  r.mode = str(e, "mode");
  r.severity = str(e, "severity");
  simdjson::dom::element article;
  if (e["article"].get(article) == simdjson::SUCCESS) r.article_id = str(article, "id");
  simdjson::dom::element input;
  if (e["input"].get(input) == simdjson::SUCCESS) {
    r.input_topic = str(input, "topic");
    int64_t v = -1;
    if (input["partition"].get_int64().get(v) == simdjson::SUCCESS) {
      r.input_partition = static_cast<int32_t>(v);
    }
    if (input["offset"].get_int64().get(v) == simdjson::SUCCESS) r.input_offset = v;
  }
  if (r.rule_id.empty() || r.article_id.empty() || r.alert_id.empty()) {
    return Error{"alert lacks rule_id, article.id or alert_id: " + message.value->substr(0, 200)};
  }
  r.message = message;
  return r;
}

Result<std::vector<AlertRecord>> parse_alerts(const std::vector<ConsumedMessage>& messages) {
  std::vector<AlertRecord> out;
  out.reserve(messages.size());
  for (const auto& m : messages) {
    auto r = parse_alert(m);
    if (!r.ok()) return r.error();
    out.push_back(std::move(r.value()));
  }
  return out;
}

std::optional<std::string> header_value(const ConsumedMessage& message, std::string_view name) {
  for (const auto& h : message.headers) {
    if (h.name == name) return h.value.value_or("");
  }
  return std::nullopt;
}

std::string AlertComparison::describe() const {
  std::ostringstream s;
  auto list = [&](const char* what, const std::vector<AlertKey>& keys) {
    if (keys.empty()) return;
    s << keys.size() << " " << what << ":";
    for (std::size_t i = 0; i < keys.size() && i < 10; ++i) {
      s << " (" << keys[i].first << ", " << keys[i].second << ")";
    }
    if (keys.size() > 10) s << " ...";
    s << "\n";
  };
  list("missing", missing);
  list("unexpected", unexpected);
  list("with a wrong alert_id", wrong_alert_id);
  s << duplicated.size() << " pairs duplicated (" << duplicate_copies << " extra copies)\n";
  return s.str();
}

AlertComparison compare_alerts(const std::vector<ExpectedAlert>& expected,
                               const std::vector<AlertRecord>& got, std::string_view mode) {
  std::map<AlertKey, std::string> want;  // -> alert_id
  for (const auto& e : expected) {
    if (e.mode == mode) want[{e.rule_id, e.article_id}] = e.alert_id;
  }
  std::map<AlertKey, std::vector<std::string>> have;
  for (const auto& g : got) have[{g.rule_id, g.article_id}].push_back(g.alert_id);
  AlertComparison c;
  for (const auto& [key, id] : want) {
    if (have.count(key) == 0) c.missing.push_back(key);
  }
  for (const auto& [key, ids] : have) {
    auto it = want.find(key);
    if (it == want.end()) {
      c.unexpected.push_back(key);
      continue;
    }
    if (ids.size() > 1) {
      c.duplicated[key] = ids.size() - 1;
      c.duplicate_copies += ids.size() - 1;
    }
    for (const auto& id : ids) {
      if (id != it->second) {
        c.wrong_alert_id.push_back(key);
        break;
      }
    }
  }
  return c;
}

Result<std::string> write_daemon_config(const std::string& dir, std::string_view name,
                                        const DaemonSettings& s) {
  std::ostringstream y;
  y << "kafka:\n";
  y << "  brokers: " << yaml_quote(s.brokers) << "\n";
  y << "  group_id: " << yaml_quote(s.group) << "\n";
  y << "  input_topics: [" << yaml_quote(s.input_topic) << "]\n";
  y << "  alert_topic: " << yaml_quote(s.alert_topic) << "\n";
  if (!s.dlq_topic.empty()) y << "  dlq_topic: " << yaml_quote(s.dlq_topic) << "\n";
  if (!s.shadow_topic.empty()) y << "  shadow_topic: " << yaml_quote(s.shadow_topic) << "\n";
  auto props = [&](const char* section, const std::map<std::string, std::string>& m) {
    if (m.empty()) return;
    y << "  " << section << ":\n";
    for (const auto& [k, v] : m) y << "    " << k << ": " << yaml_quote(v) << "\n";
  };
  props("consumer", s.consumer);
  props("producer", s.producer);
  y << "rules:\n  dir: " << yaml_quote(daemon_rules_dir()) << "\n  watch: false\n";
  y << "input:\n  max_message_bytes: " << s.max_message_bytes << "\n";
  y << "pipeline:\n  workers: " << s.workers << "\n  shutdown_timeout: " << s.shutdown_timeout
    << "\n";
  y << "metrics:\n  listen: \"\"\n";
  y << "log:\n  level: info\n  format: json\n";
  const std::string path = dir + "/" + std::string(name) + ".yaml";
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << y.str();
  if (!out) return Error{"cannot write " + path};
  return path;
}

Result<Daemon> Daemon::start(const std::string& dir, std::string_view name,
                             const std::string& config_path,
                             const std::vector<std::string>& extra_args) {
  SpawnOptions o{.program = newswatch_binary(),
                 .args = {"run", "--config", config_path, "--log-format", "json", "--print-alerts"},
                 .stdout_path = dir + "/" + std::string(name) + ".stdout",
                 .stderr_path = dir + "/" + std::string(name) + ".stderr"};
  o.args.insert(o.args.end(), extra_args.begin(), extra_args.end());
  auto child = ChildProcess::spawn(o);
  if (!child.ok()) return child.error();
  Daemon d(std::move(child.value()));
  d.name_ = std::string(name);
  return d;
}

std::size_t Daemon::printed_alerts() const {
  const std::string out = child_.read_stdout();
  std::size_t n = 0;
  for (char c : out) n += c == '\n';
  return n;
}

std::vector<LogEvent> Daemon::log_events() const {
  std::vector<LogEvent> out;
  simdjson::dom::parser parser;
  std::istringstream lines(child_.read_stderr());
  std::string line;
  while (std::getline(lines, line)) {
    simdjson::dom::object obj;
    if (parser.parse(line).get(obj) != simdjson::SUCCESS) continue;
    LogEvent ev;
    for (auto [key, value] : obj) {
      std::string_view sv;
      if (value.get_string().get(sv) == simdjson::SUCCESS) {
        ev[std::string(key)] = std::string(sv);
      } else {
        ev[std::string(key)] = simdjson::minify(value);
      }
    }
    out.push_back(std::move(ev));
  }
  return out;
}

std::vector<std::vector<std::string>> Daemon::assignments() const {
  std::vector<std::vector<std::string>> out;
  for (const auto& ev : log_events()) {
    auto it = ev.find("event");
    if (it == ev.end() || it->second != "assign") continue;
    std::vector<std::string> parts;
    const std::string& list = ev.count("partitions") ? ev.at("partitions") : std::string();
    std::size_t start = 0;
    while (start < list.size()) {
      std::size_t comma = list.find(',', start);
      if (comma == std::string::npos) comma = list.size();
      if (comma > start) parts.push_back(list.substr(start, comma - start));
      start = comma + 1;
    }
    out.push_back(std::move(parts));
  }
  return out;
}

std::set<std::string> Daemon::current_assignment() const {
  std::set<std::string> current;
  for (const auto& ev : log_events()) {
    auto it = ev.find("event");
    if (it == ev.end() || (it->second != "assign" && it->second != "revoke")) continue;
    const std::string list = ev.count("partitions") ? ev.at("partitions") : std::string();
    std::size_t start = 0;
    while (start < list.size()) {
      std::size_t comma = list.find(',', start);
      if (comma == std::string::npos) comma = list.size();
      const std::string tp = list.substr(start, comma - start);
      if (it->second == "assign") {
        current.insert(tp);
      } else {
        current.erase(tp);
      }
      start = comma + 1;
    }
  }
  return current;
}

std::string Daemon::log_tail(std::size_t bytes) const {
  const std::string log = child_.read_stderr();
  return log.size() <= bytes ? log : log.substr(log.size() - bytes);
}

bool poll_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);  // polling interval, not synchronisation
  }
}

std::string describe_offsets(const std::map<std::int32_t, std::int64_t>& offsets) {
  std::string s;
  for (const auto& [p, o] : offsets) {
    s += (s.empty() ? "p" : " p") + std::to_string(p) + "=" + std::to_string(o);
  }
  return s;
}

Status await_committed_at_end(const ClientConfig& config, const std::string& group,
                              const std::string& topic, std::chrono::milliseconds timeout) {
  std::string last = "nothing read";
  const bool ok = poll_until(
      [&] {
        auto ends = end_offsets(config, topic);
        auto committed = committed_offsets(config, group, topic);
        if (!ends.ok() || !committed.ok()) {
          last = !ends.ok() ? ends.error().message : committed.error().message;
          return false;
        }
        last = "committed " + describe_offsets(*committed) + ", end " + describe_offsets(*ends);
        // An empty partition (end 0) has nothing to commit: a group may never commit there.
        for (const auto& [p, end] : *ends) {
          const auto it = committed->find(p);
          if (end != 0 && (it == committed->end() || it->second != end)) return false;
        }
        return true;
      },
      timeout, std::chrono::milliseconds(500));
  if (ok) return {};
  return Error{"group " + group + " did not commit the end of " + topic + ": " + last};
}

std::vector<OutgoingMessage> to_messages(
    const std::vector<std::pair<std::string, std::string>>& keyed_values, int partitions,
    int first_partition) {
  std::vector<OutgoingMessage> out;
  out.reserve(keyed_values.size());
  for (std::size_t i = 0; i < keyed_values.size(); ++i) {
    out.push_back({keyed_values[i].first,
                   keyed_values[i].second,
                   {},
                   static_cast<int32_t>((first_partition + static_cast<int>(i)) % partitions)});
  }
  return out;
}

BackgroundProducer::BackgroundProducer(ClientConfig config, std::string topic,
                                       std::vector<OutgoingMessage> messages,
                                       std::size_t batch_size, std::size_t held_batches)
    : config_(std::move(config)),
      topic_(std::move(topic)),
      messages_(std::move(messages)),
      batch_size_(batch_size),
      batches_((messages_.size() + batch_size - 1) / batch_size),
      held_(std::min(held_batches, batches_)) {}

BackgroundProducer::~BackgroundProducer() {
  (void)join();
}

void BackgroundProducer::start() {
  thread_ = std::thread([this] {
    for (std::size_t b = 0; b < batches_; ++b) {
      if (b == batches_ - held_) {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return released_; });
      }
      const auto first = messages_.begin() + static_cast<std::ptrdiff_t>(b * batch_size_);
      const auto last = messages_.begin() + static_cast<std::ptrdiff_t>(
                                                std::min(messages_.size(), (b + 1) * batch_size_));
      auto delivered = produce(config_, topic_, std::vector<OutgoingMessage>(first, last),
                               std::chrono::seconds(60));
      if (!delivered.ok()) {
        status_ = delivered.error();
        failed_ = true;
        break;
      }
      done_.fetch_add(1);
    }
    finished_ = true;
  });
}

void BackgroundProducer::release() {
  {
    std::lock_guard lock(mu_);
    released_ = true;
  }
  cv_.notify_all();
}

bool BackgroundProducer::waiting_for_release() const {
  return failed_.load() || done_.load() >= batches_ - held_;
}

Status BackgroundProducer::join() {
  release();
  if (thread_.joinable()) thread_.join();
  return status_;
}

std::vector<OutgoingMessage> Scenario::messages(std::size_t begin, std::size_t end) const {
  std::vector<OutgoingMessage> out;
  for (std::size_t i = begin; i < end && i < articles.size(); ++i) {
    out.push_back({articles[i].id, articles[i].json, {}, static_cast<int32_t>(i % partitions)});
  }
  return out;
}

Status Scenario::produce_range(std::size_t begin, std::size_t end) const {
  auto delivered = produce(kafka, input, messages(begin, end), std::chrono::seconds(60));
  return delivered.status();
}

DaemonSettings Scenario::settings(int workers) const {
  DaemonSettings s{.brokers = fixture.bootstrap,
                   .group = group,
                   .input_topic = input,
                   .alert_topic = alerts,
                   .max_message_bytes = 1u << 20,
                   .workers = workers};
  s.consumer = {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "1000"}};
  return s;
}

Result<std::vector<AlertRecord>> Scenario::read_alerts() const {
  auto msgs =
      consume_all(kafka, alerts, {.stop_at_end = true, .timeout = std::chrono::seconds(120)});
  if (!msgs.ok()) return msgs.error();
  return parse_alerts(*msgs);
}

Result<Scenario> make_scenario(std::string_view name, int partitions, std::size_t count,
                               std::uint64_t seed) {
  auto fixture = KafkaFixture::from_env();
  if (!fixture.ok()) return fixture.error();
  Scenario s;
  s.fixture = *fixture;
  s.kafka = ClientConfig::plaintext(s.fixture);
  auto dir = make_test_dir(name);
  if (!dir.ok()) return dir.error();
  s.dir = *dir;
  s.input = unique_topic_name("nw-" + std::string(name) + "-in");
  s.alerts = unique_topic_name("nw-" + std::string(name) + "-alerts");
  s.group = unique_group_id("nw-" + std::string(name));
  s.partitions = partitions;
  if (auto st = create_topic(s.kafka, s.input, partitions); !st.ok()) return st.error();
  if (auto st = create_topic(s.kafka, s.alerts, 3); !st.ok()) return st.error();
  s.articles = generate_articles(s.input, count, seed);
  std::vector<std::string> values;
  values.reserve(s.articles.size());
  for (const auto& a : s.articles) values.push_back(a.json);
  auto expected = expected_alerts(values, 1u << 20, s.dir);
  if (!expected.ok()) return expected.error();
  for (auto& e : *expected) {
    if (e.mode == "alert") s.expected.push_back(std::move(e));
  }
  if (s.expected.empty()) return Error{"the generated articles fire no rule"};
  return s;
}

}  // namespace newswatch::itest
