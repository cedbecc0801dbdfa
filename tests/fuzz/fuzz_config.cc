// Fuzz target for the daemon's configuration (daemon/config/config.h): any bytes ->
// parse_config with ${VAR} substitution and command-line overrides.
//
// Checks the contract on every input: a Config exactly when there are no errors, every error
// with a message and a sane position, error_report() one line per error; and for a valid
// Config: both renderings hold every secret property only as "[redacted]", the key=value
// rendering is one line per value, and (when there is no secret property) loading the YAML
// rendering gives back an equal Config.
//
// Input layout: the YAML text. When its first line is "#o:a|b|c|..." (a YAML comment) the
// '|'-separated fields are overrides, in this order: brokers, group_id, input_topics
// (comma-separated), alert_topic, dlq_topic, rules_dir, workers, metrics_listen, log_level;
// an empty field leaves that override unset.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/config/config.h"

namespace {

#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

namespace config = newswatch::config;

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  for (;;) {
    const std::size_t at = s.find(sep);
    out.emplace_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

config::Overrides parse_overrides(std::string_view text) {
  config::Overrides o;
  if (text.substr(0, 3) != "#o:") return o;
  text.remove_prefix(3);
  text = text.substr(0, text.find('\n'));
  const std::vector<std::string> f = split(text, '|');
  auto at = [&](std::size_t i) -> const std::string* {
    return i < f.size() && !f[i].empty() ? &f[i] : nullptr;
  };
  if (auto* v = at(0)) o.brokers = *v;
  if (auto* v = at(1)) o.group_id = *v;
  if (auto* v = at(2)) o.input_topics = split(*v, ',');
  if (auto* v = at(3)) o.alert_topic = *v;
  if (auto* v = at(4)) o.dlq_topic = *v;
  if (auto* v = at(5)) o.rules_dir = *v;
  if (auto* v = at(6)) {
    std::int64_t n = 0;
    for (char c : v->substr(0, 12)) n = n * 10 + ((c >= '0' && c <= '9') ? c - '0' : 0);
    o.workers = (*v)[0] == '-' ? -n : n;
  }
  if (auto* v = at(7)) o.metrics_listen = *v;
  if (auto* v = at(8)) o.log_level = *v;
  return o;
}

bool has_secret_property(const config::Config& c) {
  for (const config::PropertyMap* m : {&c.kafka.consumer, &c.kafka.producer}) {
    for (const auto& [name, value] : *m) {
      if (config::is_secret_property(name)) return true;
    }
  }
  return false;
}

void check_rendering(const config::Config& c) {
  const std::string kv = config::render_config(c, config::RenderFormat::kKeyValue);
  const std::string yaml = config::render_config(c, config::RenderFormat::kYaml);
  // key=value: one line per value, no control character inside a line.
  for (char ch : kv) {
    const auto u = static_cast<unsigned char>(ch);
    FUZZ_CHECK(ch == '\n' || (u >= 0x20 && u != 0x7F));
  }
  // Secrets appear only redacted.
  for (const auto* m : {&c.kafka.consumer, &c.kafka.producer}) {
    for (const auto& [name, value] : *m) {
      if (!config::is_secret_property(name) || value.size() < 4 || value == config::kRedacted) {
        continue;
      }
      // A value that also occurs elsewhere (a key, another field) cannot be told apart.
      if (kv.find(value) != std::string::npos) {
        const std::string line = "." + name + "=" + value + "\n";
        FUZZ_CHECK(kv.find(line) == std::string::npos);
      }
    }
  }
  if (has_secret_property(c)) return;
  // The YAML rendering loads back to the same Config (no secrets, no environment needed).
  const config::LoadResult again = config::parse_config(yaml, "rendered.yaml", {}, {});
  if (!again.ok()) {
    std::fprintf(stderr, "rendered config does not load:\n%s---\n%s", yaml.c_str(),
                 again.error_report().c_str());
  }
  FUZZ_CHECK(again.ok());
  if (!(*again.config == c)) {
    std::fprintf(stderr, "rendered config loads differently:\n%s---\n%s", yaml.c_str(),
                 config::render_config(*again.config, config::RenderFormat::kYaml).c_str());
  }
  FUZZ_CHECK(*again.config == c);
  FUZZ_CHECK(config::render_config(*again.config, config::RenderFormat::kYaml) == yaml);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  static const config::Environment env = {
      {"KAFKA_PASSWORD", "hunter2-secret"},
      {"BROKERS", "127.0.0.1:9092"},
      {"EMPTY", ""},
      {"TOPIC", "articles"},
  };
  const config::Overrides overrides = parse_overrides(text);
  const config::LoadResult r = config::parse_config(text, "fuzz.yaml", overrides, env);

  FUZZ_CHECK(r.ok() == r.errors.empty());
  FUZZ_CHECK(r.ok() == r.config.has_value());
  std::size_t lines = 0;
  const std::string report = r.error_report();
  for (char ch : report) lines += ch == '\n';
  if (r.ok()) FUZZ_CHECK(report.empty());
  for (const config::ConfigError& e : r.errors) {
    FUZZ_CHECK(!e.message.empty());
    FUZZ_CHECK(!e.source.empty());
    FUZZ_CHECK(e.line >= 0 && e.column >= 0);
    FUZZ_CHECK(lines >= 1);
  }
  FUZZ_CHECK(lines >= r.errors.size());
  if (r.ok()) check_rendering(*r.config);
  return 0;
}
