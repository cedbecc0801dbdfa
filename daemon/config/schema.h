// Internal to newswatch_config: the field table and the value grammar shared by the loader
// and the renderers. Not part of the public API (see config.h).
//
// Every function returns an error message as a string: empty means success. Messages never
// contain the value being checked when that value may be a secret (property-map values).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "daemon/config/config.h"

namespace newswatch::config::internal {

// A parsed field value. kInt, kDuration (milliseconds), kSize (bytes) and kEnum (index into
// enum_values) hold int64; kStringList a vector; kPropertyMap a PropertyMap.
using Value = std::variant<std::string, bool, std::int64_t, std::vector<std::string>, PropertyMap>;

// Reads and writes one member of Config. `set` takes a Value of the alternative that matches
// the field's type (checked by the tests over every row).
struct Binding {
  void (*set)(Config& config, const Value& value) = nullptr;
  Value (*get)(const Config& config) = nullptr;
};

// Extra rule on a string: the value of a kString field, each element of a kStringList field,
// each property name of a kPropertyMap field. Returns "" when `s` is acceptable.
using StringCheck = std::string (*)(std::string_view s);

struct Field {
  FieldInfo info;
  Binding binding;
  StringCheck check = nullptr;
};

// The field table, in documentation order (grouped by section).
std::span<const Field> field_table() noexcept;
// nullptr when `path` is not a field.
const Field* find_field(std::string_view path) noexcept;

// "kafka" of "kafka.brokers" and "brokers".
std::string_view section_of(std::string_view path) noexcept;
std::string_view key_of(std::string_view path) noexcept;

// Parses the text of a scalar field (after ${VAR} substitution) into `out`.
std::string parse_scalar(const FieldInfo& field, std::string_view text, Value& out);
// Bounds of kInt / kDuration / kSize fields; "" for other types.
std::string check_bounds(const FieldInfo& field, const Value& value);
// Canonical config-file spelling of a scalar value: "2", "1s", "1MiB", "info", "true"; strings
// as they are (the caller quotes them).
std::string format_scalar(const FieldInfo& field, const Value& value);
std::string format_duration(std::int64_t millis);
std::string format_size(std::int64_t bytes);

// Replaces ${VAR}, ${VAR:-default} and $${ in `in`. On success returns "" and sets `out`.
std::string substitute_env(std::string_view in, const Environment& env, std::string& out);

// Validates "host:port", "[v6addr]:port" (and "scheme://host:port" when `allow_scheme`).
std::string check_host_port(std::string_view s, bool allow_port_zero, bool allow_scheme);

// The closest of `candidates` to `word` (small edit distance), or "".
std::string_view closest_match(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace newswatch::config::internal
