// The field table (the one place where every config field is declared) and the value grammar.
#include "daemon/config/schema.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <limits>
#include <type_traits>
#include <utility>

#include <arpa/inet.h>
#include <netinet/in.h>

namespace newswatch::config {
namespace {

constexpr std::string_view kBodyFormats[] = {"text", "html"};
constexpr std::string_view kLogLevels[] = {"trace", "debug", "info", "warn", "error", "off"};
constexpr std::string_view kLogFormats[] = {"text", "json"};
static_assert(std::size(kBodyFormats) == static_cast<std::size_t>(BodyFormat::kHtml) + 1);
static_assert(std::size(kLogLevels) == static_cast<std::size_t>(LogLevel::kOff) + 1);
static_assert(std::size(kLogFormats) == static_cast<std::size_t>(LogFormat::kJson) + 1);

constexpr OwnedProperty kOwnedProperties[] = {
    {KafkaClient::kConsumer, "bootstrap.servers", "set kafka.brokers instead"},
    {KafkaClient::kConsumer, "metadata.broker.list", "set kafka.brokers instead"},
    {KafkaClient::kConsumer, "group.id", "set kafka.group_id instead"},
    {KafkaClient::kConsumer, "enable.auto.offset.store",
     "newswatch stores an offset only after every alert of that message is delivered "
     "(at-least-once); automatic offset storing would commit undelivered messages"},
    {KafkaClient::kConsumer, "enable.auto.commit",
     "newswatch decides how stored offsets are committed (it commits synchronously on "
     "rebalance and shutdown); tune auto.commit.interval.ms instead"},
    {KafkaClient::kProducer, "bootstrap.servers", "set kafka.brokers instead"},
    {KafkaClient::kProducer, "metadata.broker.list", "set kafka.brokers instead"},
    {KafkaClient::kProducer, "enable.idempotence",
     "alerts are always produced idempotently, so retries never duplicate or reorder them"},
    {KafkaClient::kProducer, "acks",
     "idempotent delivery requires acks=all, and an offset is stored only after the "
     "alert is acknowledged by all in-sync replicas"},
    {KafkaClient::kProducer, "request.required.acks",
     "idempotent delivery requires acks=all, and an offset is stored only after the "
     "alert is acknowledged by all in-sync replicas"},
    {KafkaClient::kProducer, "transactional.id",
     "newswatch does not use Kafka transactions (at-least-once with deterministic "
     "alert ids instead)"},
};

}  // namespace

std::string_view to_string(BodyFormat value) noexcept {
  return kBodyFormats[static_cast<std::size_t>(value)];
}
std::string_view to_string(LogLevel value) noexcept {
  return kLogLevels[static_cast<std::size_t>(value)];
}
std::string_view to_string(LogFormat value) noexcept {
  return kLogFormats[static_cast<std::size_t>(value)];
}

std::span<const OwnedProperty> owned_properties() noexcept {
  return kOwnedProperties;
}

namespace internal {
namespace {

using namespace std::string_view_literals;

// ---- Small text helpers -------------------------------------------------------------------

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

// `s` in double quotes for an error message: control bytes escaped, at most 64 bytes shown.
std::string shown(std::string_view s) {
  constexpr std::size_t kMaxShown = 64;
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7F) {
      constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > kMaxShown) out += "...";
  out += '"';
  return out;
}

// Parses a run of decimal digits (no sign). False when empty, not all digits, or > INT64_MAX.
bool parse_digits(std::string_view s, std::int64_t& out) {
  if (s.empty()) return false;
  std::int64_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return false;
    const int d = c - '0';
    if (v > (std::numeric_limits<std::int64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_digit);
}

// Splits "123abc" into "123" and "abc".
std::pair<std::string_view, std::string_view> split_number(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && is_digit(s[i])) ++i;
  return {s.substr(0, i), s.substr(i)};
}

struct Unit {
  std::string_view name;
  std::int64_t factor;
};

constexpr Unit kDurationUnits[] = {
    {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
constexpr Unit kSizeUnits[] = {{"B", 1},
                               {"KiB", std::int64_t{1} << 10},
                               {"MiB", std::int64_t{1} << 20},
                               {"GiB", std::int64_t{1} << 30},
                               {"KB", 1000},
                               {"MB", std::int64_t{1000} * 1000},
                               {"GB", std::int64_t{1000} * 1000 * 1000}};

// Parses "<digits><unit>" with one of `units` (a bare number when `unit_optional`).
// Returns false on a bad shape; sets `overflow` when the shape is fine but too large.
bool parse_with_unit(std::string_view text, std::span<const Unit> units, bool unit_optional,
                     std::int64_t& out, bool& overflow) {
  overflow = false;
  const auto [digits, unit] = split_number(text);
  if (digits.empty()) return false;
  std::int64_t factor = 0;
  if (unit.empty()) {
    if (!unit_optional) return false;
    factor = 1;
  } else {
    for (const Unit& u : units) {
      if (u.name == unit) factor = u.factor;
    }
    if (factor == 0) return false;
  }
  std::int64_t n = 0;
  if (!parse_digits(digits, n) || n > std::numeric_limits<std::int64_t>::max() / factor) {
    overflow = true;
    return true;
  }
  out = n * factor;
  return true;
}

std::string format_with_units(std::int64_t v, std::span<const Unit> units, std::string_view bare) {
  // Largest unit that divides the value exactly; `units` is in increasing order.
  for (auto it = units.rbegin(); it != units.rend(); ++it) {
    if (v != 0 && v % it->factor == 0)
      return std::to_string(v / it->factor) + std::string(it->name);
  }
  return std::to_string(v) + std::string(bare);
}

// ---- String checks (StringCheck) ----------------------------------------------------------

std::string check_topic(std::string_view s) {
  if (s.empty()) return "must not be empty";
  if (s.size() > 249) return "is not a valid topic name: longer than 249 characters";
  if (s == "." || s == "..") return shown(s) + " is not a valid topic name";
  for (char c : s) {
    if (!(is_alpha(c) || is_digit(c) || c == '.' || c == '_' || c == '-')) {
      return shown(s) +
             " is not a valid topic name: only ASCII letters, digits, '.', '_' and '-' are allowed";
    }
  }
  return "";
}

std::string check_optional_topic(std::string_view s) {
  return s.empty() ? "" : check_topic(s);
}

std::string check_not_empty(std::string_view s) {
  return s.empty() ? "must not be empty" : "";
}

std::string check_brokers(std::string_view s) {
  if (s == kEmbeddedBrokers) return "";
  if (s.empty()) return "must not be empty (a host:port list, or \"embedded\")";
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t comma = s.find(',', start);
    if (comma == std::string_view::npos) comma = s.size();
    std::string_view entry = s.substr(start, comma - start);
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    if (entry.empty()) return "empty entry in the broker list " + shown(s);
    if (std::string err = check_host_port(entry, /*allow_port_zero=*/false, /*allow_scheme=*/true);
        !err.empty()) {
      return "broker " + shown(entry) + ": " + err +
             " (expected a comma-separated host:port list, or \"embedded\")";
    }
    start = comma + 1;
  }
  return "";
}

std::string check_listen(std::string_view s) {
  if (s.empty()) return "";
  if (std::string err = check_host_port(s, /*allow_port_zero=*/true, /*allow_scheme=*/false);
      !err.empty()) {
    return "listen address " + shown(s) + ": " + err;
  }
  return "";
}

std::string check_property_name(KafkaClient client, std::string_view name) {
  if (name.empty()) return "property name must not be empty";
  for (char c : name) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7F) {
      return "property name " + shown(name) + " contains whitespace or control characters";
    }
  }
  for (const OwnedProperty& owned : kOwnedProperties) {
    if (owned.client == client && iequals(owned.name, name)) {
      return "is owned by newswatch and cannot be set here: " + std::string(owned.reason);
    }
  }
  return "";
}

std::string check_consumer_property(std::string_view name) {
  return check_property_name(KafkaClient::kConsumer, name);
}
std::string check_producer_property(std::string_view name) {
  return check_property_name(KafkaClient::kProducer, name);
}

// ---- Bindings -----------------------------------------------------------------------------

template <auto Section, auto Member>
struct Bind {
  static void set(Config& config, const Value& value) {
    auto& member = (config.*Section).*Member;
    using T = std::remove_cvref_t<decltype(member)>;
    if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, bool> ||
                  std::is_same_v<T, std::vector<std::string>> || std::is_same_v<T, PropertyMap>) {
      member = std::get<T>(value);
    } else if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
      member = T{std::get<std::int64_t>(value)};
    } else {
      static_assert(std::is_enum_v<T> || std::is_integral_v<T>);
      member = static_cast<T>(std::get<std::int64_t>(value));
    }
  }
  static Value get(const Config& config) {
    const auto& member = (config.*Section).*Member;
    using T = std::remove_cvref_t<decltype(member)>;
    if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, bool> ||
                  std::is_same_v<T, std::vector<std::string>> || std::is_same_v<T, PropertyMap>) {
      return member;
    } else if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
      return static_cast<std::int64_t>(member.count());
    } else {
      return static_cast<std::int64_t>(member);
    }
  }
};

template <auto Section, auto Member>
constexpr Binding bind() {
  return {&Bind<Section, Member>::set, &Bind<Section, Member>::get};
}

constexpr std::int64_t kSecond = 1000;
constexpr std::int64_t kKiB = 1024;
constexpr std::int64_t kMiB = 1024 * kKiB;

// THE FIELD TABLE. One row per config key; docs/configuration.md is generated from it.
// Defaults are written in config-file syntax and parsed by the same code as the file.
constexpr Field kFields[] = {
    // kafka
    {.info = {.path = "kafka.brokers",
              .type = FieldType::kString,
              .required = true,
              .constraint = "`embedded`, or a comma-separated `host:port` list",
              .doc = "Kafka bootstrap brokers; `embedded` runs an in-process mock cluster (demos, "
                     "tests)."},
     .binding = bind<&Config::kafka, &KafkaConfig::brokers>(),
     .check = &check_brokers},
    {.info = {.path = "kafka.group_id",
              .type = FieldType::kString,
              .default_value = "newswatch",
              .constraint = "not empty",
              .doc = "Consumer group id; instances with the same id share the input partitions."},
     .binding = bind<&Config::kafka, &KafkaConfig::group_id>(),
     .check = &check_not_empty},
    {.info = {.path = "kafka.input_topics",
              .type = FieldType::kStringList,
              .required = true,
              .constraint = "not empty; topic names",
              .doc = "Topics to consume articles from."},
     .binding = bind<&Config::kafka, &KafkaConfig::input_topics>(),
     .check = &check_topic},
    {.info = {.path = "kafka.alert_topic",
              .type = FieldType::kString,
              .required = true,
              .constraint = "topic name, not an input topic",
              .doc = "Topic alerts are published to."},
     .binding = bind<&Config::kafka, &KafkaConfig::alert_topic>(),
     .check = &check_topic},
    {.info =
         {.path = "kafka.shadow_topic",
          .type = FieldType::kString,
          .default_value = "",
          .constraint = "topic name, not an input topic, or empty",
          .doc =
              "Topic for alerts of `mode: shadow` rules; empty: they are counted, not published."},
     .binding = bind<&Config::kafka, &KafkaConfig::shadow_topic>(),
     .check = &check_optional_topic},
    {.info = {.path = "kafka.dlq_topic",
              .type = FieldType::kString,
              .default_value = "",
              .constraint = "topic name, not an input topic, or empty",
              .doc = "Dead-letter topic for undecodable messages; empty: they are counted, logged "
                     "and skipped."},
     .binding = bind<&Config::kafka, &KafkaConfig::dlq_topic>(),
     .check = &check_optional_topic},
    {.info = {.path = "kafka.consumer",
              .type = FieldType::kPropertyMap,
              .constraint = "no owned property",
              .doc = "librdkafka consumer properties passed through (`security.protocol`, "
                     "`sasl.*`, `ssl.*`, ...)."},
     .binding = bind<&Config::kafka, &KafkaConfig::consumer>(),
     .check = &check_consumer_property},
    {.info = {.path = "kafka.producer",
              .type = FieldType::kPropertyMap,
              .constraint = "no owned property",
              .doc = "librdkafka producer properties passed through."},
     .binding = bind<&Config::kafka, &KafkaConfig::producer>(),
     .check = &check_producer_property},
    // rules
    {.info =
         {.path = "rules.dir",
          .type = FieldType::kString,
          .required = true,
          .constraint = "not empty",
          .doc = "Rules directory, searched recursively; relative to the config file's directory."},
     .binding = bind<&Config::rules, &RulesConfig::dir>(),
     .check = &check_not_empty},
    {.info = {.path = "rules.watch",
              .type = FieldType::kBool,
              .default_value = "true",
              .doc =
                  "Reload the rules when files in the directory change (SIGHUP always reloads)."},
     .binding = bind<&Config::rules, &RulesConfig::watch>()},
    {.info = {.path = "rules.reload_debounce",
              .type = FieldType::kDuration,
              .default_value = "1s",
              .min = 100,
              .max = 60 * kSecond,
              .doc = "Quiet time after the last file change before a reload starts."},
     .binding = bind<&Config::rules, &RulesConfig::reload_debounce>()},
    // input
    {.info =
         {.path = "input.max_message_bytes",
          .type = FieldType::kSize,
          .default_value = "1MiB",
          .min = kKiB,
          .max = 64 * kMiB,
          .doc = "Largest message accepted as an article; larger ones are treated as undecodable."},
     .binding = bind<&Config::input, &InputConfig::max_message_bytes>()},
    {.info = {.path = "input.body_format",
              .type = FieldType::kEnum,
              .default_value = "text",
              .enum_values = kBodyFormats,
              .doc = "How article bodies are read: `html` strips tags and decodes entities before "
                     "matching."},
     .binding = bind<&Config::input, &InputConfig::body_format>()},
    // pipeline
    {.info = {.path = "pipeline.workers",
              .type = FieldType::kInt,
              .default_value = "2",
              .min = 1,
              .max = 256,
              .doc = "Matching worker threads."},
     .binding = bind<&Config::pipeline, &PipelineConfig::workers>()},
    {.info = {.path = "pipeline.queue_capacity",
              .type = FieldType::kInt,
              .default_value = "1024",
              .min = 1,
              .max = 1'000'000,
              .doc = "Messages buffered between the consumer and the workers."},
     .binding = bind<&Config::pipeline, &PipelineConfig::queue_capacity>()},
    {.info = {.path = "pipeline.max_alerts_per_article",
              .type = FieldType::kInt,
              .default_value = "100",
              .min = 1,
              .max = 10'000,
              .doc =
                  "Most alerts one article may produce; further matches are counted and dropped."},
     .binding = bind<&Config::pipeline, &PipelineConfig::max_alerts_per_article>()},
    {.info = {.path = "pipeline.shutdown_timeout",
              .type = FieldType::kDuration,
              .default_value = "30s",
              .min = kSecond,
              .max = 600 * kSecond,
              .doc = "Time allowed at shutdown to finish in-flight messages and flush alerts; the "
                     "rest is re-consumed later."},
     .binding = bind<&Config::pipeline, &PipelineConfig::shutdown_timeout>()},
    // dedup
    {.info = {.path = "dedup.max_entries",
              .type = FieldType::kInt,
              .default_value = "1000000",
              .min = 0,
              .max = 100'000'000,
              .doc = "Most dedup keys remembered, all rules together; 0 disables dedup memory "
                     "(every match alerts)."},
     .binding = bind<&Config::dedup, &DedupConfig::max_entries>()},
    // metrics
    {.info = {.path = "metrics.listen",
              .type = FieldType::kString,
              .default_value = "127.0.0.1:9464",
              .constraint = "`host:port` (IPv4, `[IPv6]` or hostname; port 0..65535), or empty",
              .doc = "Prometheus `/metrics` listen address; empty disables the listener; port 0 "
                     "picks a free port."},
     .binding = bind<&Config::metrics, &MetricsConfig::listen>(),
     .check = &check_listen},
    {.info = {.path = "metrics.per_rule_series",
              .type = FieldType::kBool,
              .default_value = "true",
              .doc = "Export per-rule series (label `rule_id`)."},
     .binding = bind<&Config::metrics, &MetricsConfig::per_rule_series>()},
    {.info = {.path = "metrics.max_rule_series",
              .type = FieldType::kInt,
              .default_value = "1000",
              .min = 0,
              .max = 100'000,
              .doc = "Rules that get their own series; the others are aggregated under "
                     "`rule_id=\"_other\"`."},
     .binding = bind<&Config::metrics, &MetricsConfig::max_rule_series>()},
    // log
    {.info = {.path = "log.level",
              .type = FieldType::kEnum,
              .default_value = "info",
              .enum_values = kLogLevels,
              .doc = "Least severe level that is logged; `off` logs nothing."},
     .binding = bind<&Config::log, &LogConfig::level>()},
    {.info = {.path = "log.format",
              .type = FieldType::kEnum,
              .default_value = "text",
              .enum_values = kLogFormats,
              .doc = "Log line format: human-readable text or one JSON object per line."},
     .binding = bind<&Config::log, &LogConfig::format>()},
};

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment distance (a transposition counts as one edit).
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  std::vector<std::size_t> d((n + 1) * (m + 1));
  auto at = [m, &d](std::size_t i, std::size_t j) -> std::size_t& { return d[i * (m + 1) + j]; };
  for (std::size_t i = 0; i <= n; ++i) at(i, 0) = i;
  for (std::size_t j = 0; j <= m; ++j) at(0, j) = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = ascii_lower(a[i - 1]) == ascii_lower(b[j - 1]) ? 0 : 1;
      at(i, j) = std::min({at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        at(i, j) = std::min(at(i, j), at(i - 2, j - 2) + 1);
      }
    }
  }
  return at(n, m);
}

bool valid_hostname(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = host.find('.', start);
    if (dot == std::string_view::npos) dot = host.size();
    const std::string_view label = host.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!(is_alpha(c) || is_digit(c) || c == '-' || c == '_')) return false;
    }
    if (dot == host.size()) return true;
    start = dot + 1;
  }
}

}  // namespace

std::span<const Field> field_table() noexcept {
  return kFields;
}

const Field* find_field(std::string_view path) noexcept {
  for (const Field& f : kFields) {
    if (f.info.path == path) return &f;
  }
  return nullptr;
}

std::string_view section_of(std::string_view path) noexcept {
  return path.substr(0, path.find('.'));
}

std::string_view key_of(std::string_view path) noexcept {
  const std::size_t dot = path.find('.');
  return dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
}

std::string parse_scalar(const FieldInfo& field, std::string_view text, Value& out) {
  switch (field.type) {
    case FieldType::kString:
      out = std::string(text);
      return "";
    case FieldType::kBool:
      if (text == "true" || text == "false") {
        out = text == "true";
        return "";
      }
      return "expected true or false, got " + shown(text);
    case FieldType::kInt: {
      const bool negative = !text.empty() && text.front() == '-';
      const std::string_view digits = negative ? text.substr(1) : text;
      if (!all_digits(digits)) return "expected a decimal integer, got " + shown(text);
      std::int64_t v = 0;
      if (!parse_digits(digits, v)) return shown(text) + " is out of range";
      out = negative ? -v : v;
      return "";
    }
    case FieldType::kDuration: {
      std::int64_t v = 0;
      bool overflow = false;
      if (!parse_with_unit(text, kDurationUnits, /*unit_optional=*/false, v, overflow)) {
        return "expected a duration: an integer and a unit (ms, s, m, h, d) such as 500ms or 30s, "
               "got " +
               shown(text);
      }
      if (overflow) return shown(text) + " is out of range";
      out = v;
      return "";
    }
    case FieldType::kSize: {
      std::int64_t v = 0;
      bool overflow = false;
      if (!parse_with_unit(text, kSizeUnits, /*unit_optional=*/true, v, overflow)) {
        return "expected a size: an integer of bytes, optionally with a unit (B, KiB, MiB, GiB, "
               "KB, MB, GB) such as 512KiB, got " +
               shown(text);
      }
      if (overflow) return shown(text) + " is out of range";
      out = v;
      return "";
    }
    case FieldType::kEnum: {
      for (std::size_t i = 0; i < field.enum_values.size(); ++i) {
        if (field.enum_values[i] == text) {
          out = static_cast<std::int64_t>(i);
          return "";
        }
      }
      std::string allowed;
      for (std::string_view v : field.enum_values) {
        if (!allowed.empty()) allowed += ", ";
        allowed += v;
      }
      return "expected one of " + allowed + "; got " + shown(text);
    }
    case FieldType::kStringList:
    case FieldType::kPropertyMap:
      break;
  }
  return "not a scalar field";
}

std::string check_bounds(const FieldInfo& field, const Value& value) {
  if (field.type != FieldType::kInt && field.type != FieldType::kDuration &&
      field.type != FieldType::kSize) {
    return "";
  }
  const std::int64_t v = std::get<std::int64_t>(value);
  if ((field.min && v < *field.min) || (field.max && v > *field.max)) {
    return "must be between " + format_scalar(field, *field.min) + " and " +
           format_scalar(field, *field.max) + ", got " + format_scalar(field, v);
  }
  return "";
}

std::string format_duration(std::int64_t millis) {
  return format_with_units(millis, kDurationUnits, "ms");
}

std::string format_size(std::int64_t bytes) {
  // Prefer binary units, then decimal ones, then plain bytes.
  const std::span<const Unit> binary(kSizeUnits, 4);
  const std::span<const Unit> decimal(kSizeUnits + 4, 3);
  for (auto units : {binary.subspan(1), decimal}) {
    for (auto it = units.rbegin(); it != units.rend(); ++it) {
      if (bytes != 0 && bytes % it->factor == 0) {
        return std::to_string(bytes / it->factor) + std::string(it->name);
      }
    }
  }
  return std::to_string(bytes);
}

std::string format_scalar(const FieldInfo& field, const Value& value) {
  switch (field.type) {
    case FieldType::kString:
      return std::get<std::string>(value);
    case FieldType::kBool:
      return std::get<bool>(value) ? "true" : "false";
    case FieldType::kInt:
      return std::to_string(std::get<std::int64_t>(value));
    case FieldType::kDuration:
      return format_duration(std::get<std::int64_t>(value));
    case FieldType::kSize:
      return format_size(std::get<std::int64_t>(value));
    case FieldType::kEnum: {
      const auto i = std::get<std::int64_t>(value);
      if (i >= 0 && static_cast<std::size_t>(i) < field.enum_values.size()) {
        return std::string(field.enum_values[static_cast<std::size_t>(i)]);
      }
      return std::to_string(i);
    }
    case FieldType::kStringList:
    case FieldType::kPropertyMap:
      break;
  }
  return "";
}

std::string substitute_env(std::string_view in, const Environment& env, std::string& out) {
  std::string result;
  result.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    if (in.substr(i, 3) == "$${") {
      result += "${";
      i += 3;
      continue;
    }
    if (in.substr(i, 2) != "${") {
      result += in[i++];
      continue;
    }
    const std::size_t close = in.find('}', i + 2);
    if (close == std::string_view::npos) {
      return "unterminated \"${\" (write \"$${\" for a literal \"${\")";
    }
    const std::string_view inner = in.substr(i + 2, close - i - 2);
    const std::size_t sep = inner.find(":-");
    const std::string_view name = inner.substr(0, sep);
    const bool has_default = sep != std::string_view::npos;
    const std::string_view fallback = has_default ? inner.substr(sep + 2) : std::string_view{};
    const bool valid_name = !name.empty() && !is_digit(name.front()) &&
                            std::all_of(name.begin(), name.end(), [](char c) {
                              return is_alpha(c) || is_digit(c) || c == '_';
                            });
    if (!valid_name) {
      return "invalid variable reference " + shown(in.substr(i, close - i + 1)) +
             " (expected ${NAME} or ${NAME:-default}, NAME of letters, digits and '_')";
    }
    if (fallback.find("${") != std::string_view::npos) {
      return "nested \"${\" in the default of ${" + std::string(name) + "} is not supported";
    }
    const auto it = env.find(name);
    if (it != env.end() && !(has_default && it->second.empty())) {
      result += it->second;
    } else if (has_default) {
      result += fallback;
    } else {
      return "environment variable " + std::string(name) + " is not set (use ${" +
             std::string(name) + ":-default} to give a default)";
    }
    i = close + 1;
  }
  out = std::move(result);
  return "";
}

std::string check_host_port(std::string_view s, bool allow_port_zero, bool allow_scheme) {
  if (allow_scheme) {
    if (const std::size_t p = s.find("://"); p != std::string_view::npos) {
      const std::string_view scheme = s.substr(0, p);
      if (scheme.empty() || !std::all_of(scheme.begin(), scheme.end(),
                                         [](char c) { return is_alpha(c) || c == '_'; })) {
        return "invalid protocol prefix " + shown(scheme);
      }
      s.remove_prefix(p + 3);
    }
  }
  std::string_view port;
  if (!s.empty() && s.front() == '[') {
    const std::size_t close = s.find(']');
    if (close == std::string_view::npos) return "missing ']' after the IPv6 address";
    const std::string addr(s.substr(1, close - 1));
    in6_addr v6{};
    if (inet_pton(AF_INET6, addr.c_str(), &v6) != 1) {
      return shown(addr) + " is not an IPv6 address";
    }
    const std::string_view rest = s.substr(close + 1);
    if (rest.empty() || rest.front() != ':') return "missing \":port\" after the address";
    port = rest.substr(1);
  } else {
    const std::size_t colon = s.rfind(':');
    if (colon == std::string_view::npos) return "missing \":port\" (expected host:port)";
    const std::string_view host = s.substr(0, colon);
    port = s.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return "an IPv6 address must be written in brackets, e.g. [::1]:9464";
    }
    if (host.empty()) return "missing host (use 0.0.0.0 or [::] for every interface)";
    if (std::all_of(host.begin(), host.end(), [](char c) { return is_digit(c) || c == '.'; })) {
      const std::string addr(host);
      in_addr v4{};
      if (inet_pton(AF_INET, addr.c_str(), &v4) != 1) {
        return shown(host) + " is not an IPv4 address";
      }
    } else if (!valid_hostname(host)) {
      return shown(host) + " is not a valid host name";
    }
  }
  std::int64_t p = 0;
  if (!all_digits(port) || port.size() > 5 || !parse_digits(port, p) || p > 65535 ||
      (p == 0 && !allow_port_zero)) {
    return "port " + shown(port) + " is not a number between " + (allow_port_zero ? "0" : "1") +
           " and 65535";
  }
  return "";
}

std::string_view closest_match(std::string_view word,
                               std::span<const std::string_view> candidates) {
  if (word.size() > 64) return {};  // no key is that long; keep the cost bounded
  const std::size_t limit = word.size() >= 5 ? 2 : 1;
  std::string_view best;
  std::size_t best_distance = limit + 1;
  for (std::string_view c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

}  // namespace internal

std::span<const FieldInfo> fields() {
  static const std::vector<FieldInfo> infos = [] {
    std::vector<FieldInfo> v;
    for (const internal::Field& f : internal::field_table()) v.push_back(f.info);
    return v;
  }();
  return infos;
}

Config::Config() {
  for (const internal::Field& f : internal::field_table()) {
    internal::Value value;
    switch (f.info.type) {
      case FieldType::kStringList:
        value = std::vector<std::string>{};
        break;
      case FieldType::kPropertyMap:
        value = PropertyMap{};
        break;
      default:
        // Defaults are checked by the test suite; a bad one leaves the member as is.
        if (!internal::parse_scalar(f.info, f.info.default_value, value).empty()) continue;
        break;
    }
    f.binding.set(*this, value);
  }
}

}  // namespace newswatch::config
