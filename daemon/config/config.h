// The daemon's configuration: what `newswatch run --config FILE` reads, validates and hands
// to the composition root.
//
// Contract
// - Every field is declared once, in the field table of schema.cc, with its type, default,
//   bounds and one-line doc. The structs below hold the values; `Config()` fills in the
//   table's defaults, `reference_table_markdown()` renders the table for docs/configuration.md.
// - Loading is all-or-nothing. Every problem (YAML syntax, unknown key at any depth, wrong
//   type, bad enum, out-of-bounds value, missing required key, unset environment variable,
//   property owned by newswatch, invalid override) is reported in one pass, each as
//   `FILE:LINE:COLUMN: key.path: message`, and no Config is returned when there is any.
// - Precedence: field defaults < config file (after `${VAR}` substitution) < overrides
//   (command-line flags). Overrides go through the same parsing and bounds as the file.
// - Errors are values. Nothing here logs, exits, or lets an exception escape for bad input.
//   Only std::bad_alloc may propagate.
//
// Thread-safety: every function is safe to call concurrently with itself and the others, with
// one exception: process_environment() reads `environ` and must not race with setenv().
// Lifetimes: nothing returned holds a reference into an argument.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace newswatch::config {

// The value of kafka.brokers that selects the in-process mock cluster (demos and tests).
inline constexpr std::string_view kEmbeddedBrokers = "embedded";

// Enum fields. The config-file spelling is the lower-case name (see to_string below).
enum class BodyFormat { kText, kHtml };
enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kOff };
enum class LogFormat { kText, kJson };

std::string_view to_string(BodyFormat value) noexcept;
std::string_view to_string(LogLevel value) noexcept;
std::string_view to_string(LogFormat value) noexcept;

// librdkafka properties, passed through as strings (property name -> value).
using PropertyMap = std::map<std::string, std::string, std::less<>>;

// The sections. Plain aggregates: a section on its own is zero-initialised; only Config()
// applies the documented defaults. The comments name the config key of each member; its
// default, bounds and meaning are in docs/configuration.md (generated from the field table).
struct KafkaConfig {
  std::string brokers;                    // kafka.brokers (required): host:port list or "embedded"
  std::string group_id;                   // kafka.group_id
  std::vector<std::string> input_topics;  // kafka.input_topics (required, non-empty)
  std::string alert_topic;                // kafka.alert_topic (required)
  std::string shadow_topic;               // kafka.shadow_topic; "" = count, do not publish
  std::string dlq_topic;                  // kafka.dlq_topic; "" = count, log and skip
  PropertyMap consumer;                   // kafka.consumer: never holds an owned property
  PropertyMap producer;                   // kafka.producer: never holds an owned property

  bool embedded() const { return brokers == kEmbeddedBrokers; }
  bool operator==(const KafkaConfig&) const = default;
};

struct RulesConfig {
  // rules.dir (required). When it came from a config file and was relative, it has been
  // resolved against the directory of that file; from an override it is kept as given.
  std::string dir;
  bool watch = false;                           // rules.watch
  std::chrono::milliseconds reload_debounce{};  // rules.reload_debounce
  bool operator==(const RulesConfig&) const = default;
};

struct InputConfig {
  std::uint64_t max_message_bytes = 0;         // input.max_message_bytes
  BodyFormat body_format = BodyFormat::kText;  // input.body_format
  bool operator==(const InputConfig&) const = default;
};

struct PipelineConfig {
  std::uint32_t workers = 0;                     // pipeline.workers
  std::uint32_t queue_capacity = 0;              // pipeline.queue_capacity
  std::uint32_t max_alerts_per_article = 0;      // pipeline.max_alerts_per_article
  std::chrono::milliseconds shutdown_timeout{};  // pipeline.shutdown_timeout
  bool operator==(const PipelineConfig&) const = default;
};

struct DedupConfig {
  std::uint64_t max_entries = 0;  // dedup.max_entries; 0 = no dedup memory
  bool operator==(const DedupConfig&) const = default;
};

struct MetricsConfig {
  std::string listen;                 // metrics.listen: "host:port", "[v6]:port"; "" = disabled
  bool per_rule_series = false;       // metrics.per_rule_series
  std::uint32_t max_rule_series = 0;  // metrics.max_rule_series
  bool operator==(const MetricsConfig&) const = default;
};

struct LogConfig {
  LogLevel level = LogLevel::kInfo;     // log.level
  LogFormat format = LogFormat::kText;  // log.format
  bool operator==(const LogConfig&) const = default;
};

// A Config that came out of load_config()/parse_config() satisfies every bound and rule of
// the field table. A default-constructed one holds the defaults, with the required fields
// (kafka.brokers, kafka.input_topics, kafka.alert_topic, rules.dir) empty: it is not valid.
struct Config {
  Config();

  KafkaConfig kafka;
  RulesConfig rules;
  InputConfig input;
  PipelineConfig pipeline;
  DedupConfig dedup;
  MetricsConfig metrics;
  LogConfig log;

  bool operator==(const Config&) const = default;
};

// Command-line overrides, applied after the file. An engaged member replaces the field
// (input_topics replaces the whole list) and is checked with the field's own parsing and
// bounds; errors name the field's key path with source "command line". Overrides are not
// subject to ${VAR} substitution (the shell has already done it).
struct Overrides {
  std::optional<std::string> brokers;                    // kafka.brokers
  std::optional<std::string> group_id;                   // kafka.group_id
  std::optional<std::vector<std::string>> input_topics;  // kafka.input_topics
  std::optional<std::string> alert_topic;                // kafka.alert_topic
  std::optional<std::string> dlq_topic;                  // kafka.dlq_topic
  std::optional<std::string> rules_dir;                  // rules.dir
  std::optional<std::int64_t> workers;                   // pipeline.workers
  std::optional<std::string> metrics_listen;             // metrics.listen
  std::optional<std::string> log_level;                  // log.level, e.g. "debug"
};

// Variables for ${VAR} substitution. Injected so tests are hermetic.
using Environment = std::map<std::string, std::string, std::less<>>;

// A snapshot of the process environment. Not safe to call concurrently with setenv().
Environment process_environment();

// One problem found while loading.
struct ConfigError {
  std::string source;    // the config file path as given, or "command line"
  int line = 0;          // 1-based; 0 when the problem has no position
  int column = 0;        // 1-based; 0 when the problem has no position
  std::string key_path;  // e.g. "pipeline.workers", "kafka.input_topics[1]"; may be empty
  std::string message;   // never contains the value of a secret property

  // "SOURCE:LINE:COLUMN: key.path: message"; the position and the key path are left out
  // when absent.
  std::string to_string() const;
  bool operator==(const ConfigError&) const = default;
};

// Either a valid Config or the list of every problem found, never both.
struct LoadResult {
  std::optional<Config> config;     // engaged iff errors is empty
  std::vector<ConfigError> errors;  // file errors in document order, then command-line ones

  bool ok() const { return config.has_value(); }
  // Every error's to_string(), one per line (each ending in '\n'); "" when ok().
  std::string error_report() const;
};

// Loads the config file `file` (nullopt: no file, start from the defaults), substitutes
// ${VAR} from `env`, applies `overrides` and validates everything. Without a file, the
// overrides must supply every required key. A relative rules.dir from the file is resolved
// against the file's directory.
LoadResult load_config(const std::optional<std::filesystem::path>& file, const Overrides& overrides,
                       const Environment& env);

// As load_config, from YAML text already in memory. `source_name` is used as FILE in error
// messages; a relative rules.dir from the text is resolved against `base_dir` when it is not
// empty, and kept as written otherwise.
LoadResult parse_config(std::string_view yaml_text, std::string_view source_name,
                        const Overrides& overrides, const Environment& env,
                        const std::filesystem::path& base_dir = {});

// ---- Rendering ----------------------------------------------------------------------------

enum class RenderFormat {
  kYaml,      // a config file in canonical form, every field present; loading it (with no
              // secrets in it) gives back an equal Config
  kKeyValue,  // one "key.path=value" line per field (lists comma-joined, one line per
              // property of the pass-through maps), for startup logs
};

// The effective configuration, with the value of every secret property (is_secret_property)
// replaced by "[redacted]". For `newswatch run --check` and the startup log.
std::string render_config(const Config& config, RenderFormat format);

inline constexpr std::string_view kRedacted = "[redacted]";

// True for librdkafka property names whose values are secrets: any name containing
// "password", "secret", "token" or "jaas" (case-insensitive), and sasl.jaas.config,
// sasl.oauthbearer.config, ssl.key.pem, ssl.keystore.password, ssl.key.password.
bool is_secret_property(std::string_view name) noexcept;

// ---- Owned librdkafka properties ----------------------------------------------------------

enum class KafkaClient { kConsumer, kProducer };

// A librdkafka property that newswatch sets itself; putting it in kafka.consumer or
// kafka.producer is an error whose message is `reason`.
struct OwnedProperty {
  KafkaClient client;
  std::string_view name;    // e.g. "enable.auto.offset.store"
  std::string_view reason;  // says why, or which config key to use instead
};

// All owned properties. The Kafka stages must set each of them themselves. Names compare
// case-insensitively.
std::span<const OwnedProperty> owned_properties() noexcept;

// ---- The field table ----------------------------------------------------------------------

enum class FieldType { kString, kBool, kInt, kDuration, kSize, kEnum, kStringList, kPropertyMap };

// A read-only view of one row of the field table, for docs and tests.
struct FieldInfo {
  std::string_view path = {};  // "pipeline.workers"
  FieldType type = FieldType::kString;
  bool required = false;
  std::string_view default_value = {};  // in config-file syntax ("2", "1s", "1MiB", "info",
                                        // ""); empty for required fields, lists and maps
  // Inclusive bounds of kInt / kDuration (milliseconds) / kSize (bytes) fields.
  std::optional<std::int64_t> min = std::nullopt;
  std::optional<std::int64_t> max = std::nullopt;
  std::span<const std::string_view> enum_values = {};  // kEnum: spellings, in enum order
  std::string_view constraint = {};  // any further rule on the value, in words; "" if none
  std::string_view doc = {};         // one line
};

std::span<const FieldInfo> fields();

// The field table as a Markdown table (header, separator and one row per field, each line
// ending in '\n'). docs/configuration.md embeds exactly this text; see newswatch_config_doc.
std::string reference_table_markdown();

}  // namespace newswatch::config
