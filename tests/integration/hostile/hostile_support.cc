#include "tests/integration/hostile/hostile_support.h"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <simdjson.h>
#include <unistd.h>

namespace newswatch::itest::hostile {

std::string newswatch_binary() {
  return NEWSWATCH_BINARY;
}

Result<std::string> make_test_dir(std::string_view name) {
  static std::atomic<int> counter{0};
  const std::filesystem::path dir = std::filesystem::path(NEWSWATCH_BINARY_DIR) / "integration" /
                                    "hostile" /
                                    (std::string(name) + "-" + std::to_string(::getpid()) + "-" +
                                     std::to_string(counter.fetch_add(1)));
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error{"cannot create " + dir.string() + ": " + ec.message()};
  return dir.string();
}

Status write_file(const std::string& path, std::string_view content) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) return Error{"cannot write " + path};
  return {};
}

namespace {

// A YAML double-quoted scalar; "${" is kept so the daemon substitutes environment variables.
std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

void write_map(std::ostringstream& y, std::string_view key,
               const std::map<std::string, std::string>& m) {
  if (m.empty()) return;
  y << "  " << key << ":\n";
  for (const auto& [k, v] : m) y << "    " << quote(k) << ": " << quote(v) << "\n";
}

}  // namespace

Result<std::string> write_config(const std::string& dir, std::string_view name,
                                 const DaemonConfig& c) {
  std::ostringstream y;
  y << "kafka:\n"
    << "  brokers: " << quote(c.brokers) << "\n"
    << "  group_id: " << quote(c.group) << "\n"
    << "  input_topics: [" << quote(c.input_topic) << "]\n"
    << "  alert_topic: " << quote(c.alert_topic) << "\n";
  if (!c.dlq_topic.empty()) y << "  dlq_topic: " << quote(c.dlq_topic) << "\n";
  std::map<std::string, std::string> consumer = c.consumer;
  consumer.try_emplace("auto.offset.reset", "earliest");
  write_map(y, "consumer", consumer);
  write_map(y, "producer", c.producer);
  y << "rules:\n  dir: " << quote(c.rules_dir) << "\n  watch: false\n"
    << "input:\n  max_message_bytes: " << c.max_message_bytes << "\n"
    << "pipeline:\n  workers: " << c.workers << "\n  shutdown_timeout: " << c.shutdown_timeout
    << "\n"
    << "metrics:\n  listen: " << quote(c.metrics_listen) << "\n"
    << "log:\n  level: " << c.log_level << "\n  format: json\n";
  const std::string path = dir + "/" + std::string(name) + ".yaml";
  Status st = write_file(path, y.str());
  if (!st.ok()) return st.error();
  return path;
}

Result<Daemon> Daemon::start(const std::string& config_path,
                             const std::map<std::string, std::string>& env) {
  SpawnOptions o;
  o.program = newswatch_binary();
  o.args = {"run", "--config", config_path, "--log-format", "json", "--no-print-alerts"};
  o.env = env;
  const std::string base = config_path.substr(0, config_path.rfind('.'));
  o.stdout_path = base + ".stdout";
  o.stderr_path = base + ".stderr";
  auto child = ChildProcess::spawn(o);
  if (!child.ok()) return child.error();
  return Daemon(std::move(child.value()));
}

Result<std::string> Daemon::await_log(std::string_view needle, std::chrono::milliseconds timeout) {
  std::string found;
  const bool ok = poll_until(
      [&] {
        const std::string log = child_.read_stderr();
        const std::size_t at = log.find(needle);
        if (at == std::string::npos) return false;
        const std::size_t b = log.rfind('\n', at);
        const std::size_t e = log.find('\n', at);
        found = log.substr(b == std::string::npos ? 0 : b + 1,
                           e == std::string::npos ? std::string::npos : e - (b + 1));
        return true;
      },
      timeout, std::chrono::milliseconds(100));
  if (!ok) {
    return Error{"no log line with '" + std::string(needle) + "' within " +
                 std::to_string(timeout.count()) + " ms; log tail:\n" + log_tail()};
  }
  return found;
}

Result<std::string> Daemon::metrics_address(std::chrono::milliseconds timeout) {
  auto line = await_log("serving /metrics", timeout);
  if (!line.ok()) return line.error();
  constexpr std::string_view kKey = "\"address\":\"";
  const std::size_t at = line->find(kKey);
  if (at == std::string::npos) return Error{"no address in: " + *line};
  const std::size_t b = at + kKey.size();
  return line->substr(b, line->find('"', b) - b);
}

std::string Daemon::log_tail(std::size_t bytes) const {
  const std::string log = child_.read_stderr();
  return log.size() > bytes ? log.substr(log.size() - bytes) : log;
}

Result<Alert> parse_alert(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS) {
    return Error{"alert is not JSON: " + std::string(json.substr(0, 200))};
  }
  Alert a;
  std::string_view s;
  if (doc["rule_id"].get(s) != simdjson::SUCCESS) return Error{"alert without rule_id"};
  a.rule_id = s;
  if (doc["alert_id"].get(s) != simdjson::SUCCESS) return Error{"alert without alert_id"};
  a.alert_id = s;
  if (doc["article"]["id"].get(s) != simdjson::SUCCESS) return Error{"alert without article.id"};
  a.article_id = s;
  simdjson::dom::element input;
  if (doc["input"].get(input) == simdjson::SUCCESS) {
    std::int64_t n = 0;
    if (input["topic"].get(s) == simdjson::SUCCESS) a.input_topic = s;
    if (input["partition"].get(n) == simdjson::SUCCESS)
      a.input_partition = static_cast<std::int32_t>(n);
    if (input["offset"].get(n) == simdjson::SUCCESS) a.input_offset = n;
  }
  return a;
}

std::optional<std::string> header(const ConsumedMessage& m, std::string_view name) {
  for (const auto& h : m.headers) {
    if (h.name == name) return h.value.value_or("");
  }
  return std::nullopt;
}

std::optional<double> metric_value(std::string_view exposition, std::string_view sample) {
  std::size_t pos = 0;
  while (pos < exposition.size()) {
    std::size_t end = exposition.find('\n', pos);
    if (end == std::string_view::npos) end = exposition.size();
    const std::string_view line = exposition.substr(pos, end - pos);
    pos = end + 1;
    if (line.size() > sample.size() && line.substr(0, sample.size()) == sample &&
        line[sample.size()] == ' ') {
      return std::strtod(std::string(line.substr(sample.size() + 1)).c_str(), nullptr);
    }
  }
  return std::nullopt;
}

}  // namespace newswatch::itest::hostile
