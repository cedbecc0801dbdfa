#include "tests/ops/support/daemon.h"

#include <sstream>
#include <thread>

#include <simdjson.h>

#include "tests/integration/support/net.h"

namespace newswatch::opstest {
namespace {

using itest::Error;
using itest::Result;
using itest::Status;
using Clock = std::chrono::steady_clock;

constexpr auto kPoll = std::chrono::milliseconds(50);

std::string yaml_list(const std::vector<std::string>& v) {
  std::string s = "[";
  for (const auto& x : v) s += (s.size() > 1 ? ", " : "") + x;
  return s + "]";
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

Result<Daemon> Daemon::start(const DaemonConfig& c, std::chrono::milliseconds timeout) {
  auto dir = make_temp_dir("newswatch-ops-daemon");
  if (!dir.ok()) return dir.error();
  std::ostringstream y;
  y << "kafka:\n"
    << "  brokers: " << c.bootstrap << "\n"
    << "  group_id: " << c.group << "\n"
    << "  input_topics: " << yaml_list(c.input_topics) << "\n"
    << "  alert_topic: " << c.alert_topic << "\n";
  if (!c.shadow_topic.empty()) y << "  shadow_topic: " << c.shadow_topic << "\n";
  if (!c.dlq_topic.empty()) y << "  dlq_topic: " << c.dlq_topic << "\n";
  std::map<std::string, std::string> consumer = {{"statistics.interval.ms", "1000"}};
  for (const auto& [k, v] : c.consumer) consumer[k] = v;
  y << "  consumer:\n";
  for (const auto& [k, v] : consumer) y << "    " << k << ": \"" << v << "\"\n";
  y << "rules:\n"
    << "  dir: " << c.rules_dir << "\n"
    << "  watch: " << (c.watch ? "true" : "false") << "\n"
    << "  reload_debounce: " << c.reload_debounce << "\n"
    << "pipeline:\n"
    << "  workers: " << c.workers << "\n"
    << "  shutdown_timeout: 10s\n"
    << "metrics:\n"
    << "  listen: 127.0.0.1:0\n"
    << "log:\n"
    << "  level: " << c.log_level << "\n"
    << "  format: json\n"
    << c.extra_yaml;
  Daemon d;
  d.config_path_ = *dir + "/newswatch.yaml";
  if (Status s = write_file(d.config_path_, y.str()); !s.ok()) return s.error();
  auto child = itest::ChildProcess::spawn({.program = NEWSWATCH_BIN,
                                           .args = {"run", "--config", d.config_path_},
                                           .env = c.env,
                                           .stdout_path = *dir + "/stdout",
                                           .stderr_path = *dir + "/stderr"});
  if (!child.ok()) return child.error();
  d.process_.emplace(std::move(*child));
  auto listen = d.await_log([](const LogLine& l) { return l.get("event") == "listen"; }, timeout,
                            "the metrics listener");
  if (!listen.ok()) return listen.error();
  d.address_ = listen->get("address");
  if (d.address_.empty()) return Error{"listen line without an address: " + listen->raw};
  return d;
}

Result<std::pair<int, std::string>> Daemon::get(const std::string& path) const {
  auto r = itest::http_get("http://" + address_ + path, std::chrono::seconds(5));
  if (!r.ok()) return r.error();
  return std::make_pair(r->status, r->body);
}

Result<std::string> Daemon::scrape() const {
  auto r = get("/metrics");
  if (!r.ok()) return r.error();
  if (r->first != 200) return Error{"/metrics answered " + std::to_string(r->first)};
  return r->second;
}

Result<Exposition> Daemon::metrics() const {
  auto text = scrape();
  if (!text.ok()) return text.error();
  return parse_exposition(*text);
}

Result<Exposition> Daemon::await_metrics(const std::function<bool(const Exposition&)>& accept,
                                         std::chrono::milliseconds timeout,
                                         const std::string& what) {
  const auto deadline = Clock::now() + timeout;
  std::string last = "no scrape yet";
  for (;;) {
    if (auto st = process_->poll()) {
      return Error{"newswatch exited (" + st->describe() + ") while waiting for " + what +
                   "; stderr:\n" + process_->read_stderr()};
    }
    auto text = scrape();
    if (text.ok()) {
      auto e = parse_exposition(*text);
      if (e.ok() && accept(*e)) return e;
      // What the condition saw last: the newswatch samples, without histogram buckets.
      last = e.ok() ? "the condition was false on the last scrape:\n" : e.error().message + "\n";
      std::istringstream lines(*text);
      for (std::string line; std::getline(lines, line) && last.size() < 8192;) {
        if (line.starts_with("newswatch_") && line.find("_bucket{") == std::string::npos) {
          last += "  " + line + "\n";
        }
      }
    } else {
      last = text.error().message;
    }
    if (Clock::now() >= deadline) {
      return Error{"timed out waiting for " + what + " in /metrics (" + last + ")"};
    }
    std::this_thread::sleep_for(kPoll);  // polling interval of a deadline-bounded wait
  }
}

Status Daemon::await_ready(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string last;
  for (;;) {
    if (auto st = process_->poll()) {
      return Error{"newswatch exited (" + st->describe() + "); stderr:\n" +
                   process_->read_stderr()};
    }
    auto r = get("/readyz");
    if (r.ok() && r->first == 200) return {};
    last = r.ok() ? std::to_string(r->first) + " " + r->second : r.error().message;
    if (Clock::now() >= deadline) return Error{"not ready in time: " + last};
    std::this_thread::sleep_for(kPoll);
  }
}

std::vector<LogLine> Daemon::logs() const {
  return parse_log_lines(process_->read_stderr());
}

Result<LogLine> Daemon::await_log(const std::function<bool(const LogLine&)>& accept,
                                  std::chrono::milliseconds timeout, const std::string& what) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const bool exited = process_->poll().has_value();
    for (const LogLine& l : logs()) {
      if (accept(l)) return l;
    }
    if (exited)
      return Error{"newswatch exited while waiting for " + what + "; stderr:\n" +
                   process_->read_stderr()};
    if (Clock::now() >= deadline) {
      return Error{"timed out waiting for " + what + " in the log; stderr:\n" +
                   process_->read_stderr()};
    }
    std::this_thread::sleep_for(kPoll);
  }
}

std::vector<std::string> make_articles(const std::string& prefix, int first, int n,
                                       const std::string& text) {
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(n));
  for (int i = first; i < first + n; ++i) {
    const std::string id = prefix + "-" + std::to_string(i);
    out.push_back("{\"id\":\"" + json_escape(id) + "\",\"url\":\"https://news.example/" +
                  json_escape(id) +
                  "\",\"source\":\"ops-test\",\"lang\":\"fr\",\"title\":\"Article " +
                  std::to_string(i) + "\",\"body\":\"" + json_escape(text) + "\"}");
  }
  return out;
}

Result<AlertRecord> parse_alert(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const simdjson::padded_string padded(json);
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS)
    return Error{"alert is not JSON: " + json};
  AlertRecord a;
  std::string_view rule, version, article;
  if (doc["rule_id"].get(rule) != simdjson::SUCCESS ||
      doc["ruleset_version"].get(version) != simdjson::SUCCESS ||
      doc["article"]["id"].get(article) != simdjson::SUCCESS) {
    return Error{"alert without rule_id, ruleset_version or article.id: " + json};
  }
  a.rule_id = std::string(rule);
  a.ruleset_version = std::string(version);
  a.article_id = std::string(article);
  a.raw = json;
  return a;
}

}  // namespace newswatch::opstest
