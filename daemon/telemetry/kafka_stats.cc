#include "daemon/telemetry/kafka_stats.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <tuple>

#include <simdjson.h>

namespace newswatch::telemetry {
namespace {

bool fetch_state_excluded(std::string_view state) {
  return state == "none" || state == "stopping" || state == "stopped";
}

// The partition id: the "partition" field when present, else the object key.
std::optional<std::int64_t> partition_id(std::string_view key, simdjson::dom::object partition) {
  std::int64_t id = 0;
  if (partition["partition"].get_int64().get(id) == simdjson::SUCCESS) return id;
  const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), id);
  if (ec != std::errc() || end != key.data() + key.size()) return std::nullopt;
  return id;
}

}  // namespace

std::vector<Metrics::PartitionLag> parse_consumer_lag(std::string_view statistics_json) {
  std::vector<Metrics::PartitionLag> out;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(statistics_json.data(), statistics_json.size()).get(root) != simdjson::SUCCESS) {
    return out;
  }
  simdjson::dom::object topics;
  if (root["topics"].get_object().get(topics) != simdjson::SUCCESS) return out;
  for (const auto topic_entry : topics) {
    simdjson::dom::object topic;
    if (topic_entry.value.get_object().get(topic) != simdjson::SUCCESS) continue;
    std::string_view name = topic_entry.key;
    std::string_view declared;
    if (topic["topic"].get_string().get(declared) == simdjson::SUCCESS) name = declared;
    if (name.empty()) continue;
    simdjson::dom::object partitions;
    if (topic["partitions"].get_object().get(partitions) != simdjson::SUCCESS) continue;
    for (const auto partition_entry : partitions) {
      simdjson::dom::object partition;
      if (partition_entry.value.get_object().get(partition) != simdjson::SUCCESS) continue;
      const auto id = partition_id(partition_entry.key, partition);
      if (!id || *id < 0 || *id > std::numeric_limits<std::int32_t>::max()) continue;
      std::int64_t lag = -1;
      if (partition["consumer_lag"].get_int64().get(lag) != simdjson::SUCCESS || lag < 0) continue;
      std::string_view state;
      if (partition["fetch_state"].get_string().get(state) == simdjson::SUCCESS &&
          fetch_state_excluded(state)) {
        continue;
      }
      out.push_back(Metrics::PartitionLag{std::string(name), static_cast<std::int32_t>(*id), lag});
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
  });
  return out;
}

}  // namespace newswatch::telemetry
