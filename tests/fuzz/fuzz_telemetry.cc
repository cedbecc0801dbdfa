// Fuzz target for the telemetry parsers and writers that see untrusted bytes:
//  - parse_consumer_lag(input): never crashes; every entry has a non-empty topic, a partition
//    >= 0 and a lag >= 0, sorted by (topic, partition).
//  - redact(input): idempotent.
//  - log lines: the input split at 0xFF bytes gives a message and key/value fields; the JSON
//    line must be exactly one line of valid JSON with the message as "msg", the text line
//    exactly one line.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <simdjson.h>
#include <spdlog/sinks/ostream_sink.h>

#include "daemon/telemetry/kafka_stats.h"
#include "daemon/telemetry/log.h"

namespace {

#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

using newswatch::config::LogFormat;
using newswatch::config::LogLevel;
namespace telemetry = newswatch::telemetry;

std::string log_line(LogFormat format, std::string_view msg, const telemetry::Fields& fields) {
  std::ostringstream out;
  auto logger = telemetry::make_logger(format, LogLevel::kTrace,
                                       std::make_shared<spdlog::sinks::ostream_sink_st>(out));
  telemetry::log_event(*logger, spdlog::level::warn, msg, fields);
  return out.str();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const auto lags = telemetry::parse_consumer_lag(input);
  for (std::size_t i = 0; i < lags.size(); ++i) {
    FUZZ_CHECK(!lags[i].topic.empty());
    FUZZ_CHECK(lags[i].partition >= 0);
    FUZZ_CHECK(lags[i].lag >= 0);
    if (i > 0) {
      FUZZ_CHECK(std::tie(lags[i - 1].topic, lags[i - 1].partition) <=
                 std::tie(lags[i].topic, lags[i].partition));
    }
  }

  const std::string once = telemetry::redact(input);
  FUZZ_CHECK(telemetry::redact(once) == once);

  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t sep = input.find('\xff', start);
    parts.push_back(input.substr(start, sep == std::string_view::npos ? sep : sep - start));
    if (sep == std::string_view::npos) break;
    start = sep + 1;
  }
  telemetry::Fields fields;
  for (std::size_t i = 1; i + 1 < parts.size(); i += 2) fields.add(parts[i], parts[i + 1]);
  if (parts.size() % 2 == 0) fields.add("n", static_cast<std::int64_t>(parts.back().size()));

  const std::string json = log_line(LogFormat::kJson, parts[0], fields);
  FUZZ_CHECK(!json.empty() && json.back() == '\n');
  FUZZ_CHECK(json.find('\n') == json.size() - 1);
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  FUZZ_CHECK(parser.parse(json.data(), json.size() - 1).get(e) == simdjson::SUCCESS);
  std::string_view msg;
  FUZZ_CHECK(e["msg"].get_string().get(msg) == simdjson::SUCCESS);
  if (simdjson::validate_utf8(parts[0].data(), parts[0].size())) FUZZ_CHECK(msg == parts[0]);

  const std::string text = log_line(LogFormat::kText, parts[0], fields);
  FUZZ_CHECK(!text.empty() && text.back() == '\n');
  FUZZ_CHECK(text.find('\n') == text.size() - 1);
  return 0;
}
