// Helpers shared by the config tests.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/config/config.h"

namespace newswatch::config::testing {

// The smallest valid config: the four required keys.
inline constexpr std::string_view kMinimal =
    "kafka:\n"
    "  brokers: k1:9092\n"
    "  input_topics: [news]\n"
    "  alert_topic: alerts\n"
    "rules:\n"
    "  dir: /srv/rules\n";

inline LoadResult parse(std::string_view yaml, const Environment& env = {},
                        const Overrides& overrides = {}) {
  return parse_config(yaml, "test.yaml", overrides, env);
}

// Every error as "FILE:LINE:COLUMN: path: message".
inline std::vector<std::string> error_lines(const LoadResult& r) {
  std::vector<std::string> out;
  for (const ConfigError& e : r.errors) out.push_back(e.to_string());
  return out;
}

// kMinimal with `path` set to the YAML text `value` (replacing a required key if it is one).
// The key is always the last line of its section.
inline std::string minimal_with(std::string_view path, std::string_view value) {
  std::vector<std::pair<std::string, std::vector<std::string>>> sections = {
      {"kafka", {"brokers: k1:9092", "input_topics: [news]", "alert_topic: alerts"}},
      {"rules", {"dir: /srv/rules"}},
  };
  const std::string section(path.substr(0, path.find('.')));
  const std::string key(path.substr(path.find('.') + 1));
  auto it = sections.begin();
  while (it != sections.end() && it->first != section) ++it;
  if (it == sections.end()) it = sections.insert(sections.end(), {section, {}});
  auto& lines = it->second;
  std::erase_if(lines, [&](const std::string& l) { return l.starts_with(key + ":"); });
  lines.push_back(key + ": " + std::string(value));
  std::string out;
  for (const auto& [name, entries] : sections) {
    out += name + ":\n";
    for (const std::string& l : entries) out += "  " + l + "\n";
  }
  return out;
}

}  // namespace newswatch::config::testing
