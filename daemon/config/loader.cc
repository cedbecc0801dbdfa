// Loading: YAML -> ${VAR} substitution -> typed values -> bounds and rules -> overrides ->
// required keys and cross-field rules. Every problem is collected; nothing is returned if any.
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <new>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include <unistd.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include "daemon/config/config.h"
#include "daemon/config/schema.h"
#include "daemon/yaml/document_scan.h"

namespace newswatch::config {
namespace {

using internal::Field;
using internal::Value;

constexpr std::string_view kCommandLine = "command line";
constexpr std::uintmax_t kMaxConfigBytes = std::uintmax_t{16} << 20;

struct Position {
  int line = 0;  // 1-based
  int column = 0;
};

Position position_of(const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0 || mark.column < 0) return {1, 1};
  return {mark.line + 1, mark.column + 1};
}

// Where a field's value came from.
struct Origin {
  bool from_file = false;
  Position position;
};

std::string_view type_phrase(FieldType type) {
  switch (type) {
    case FieldType::kString:
      return "a string";
    case FieldType::kBool:
      return "true or false";
    case FieldType::kInt:
      return "an integer";
    case FieldType::kDuration:
      return "a duration such as 30s";
    case FieldType::kSize:
      return "a size such as 1MiB";
    case FieldType::kEnum:
      return "a single value";
    case FieldType::kStringList:
      return "a list of strings, e.g. [a, b]";
    case FieldType::kPropertyMap:
      return "a mapping of librdkafka property names to values";
  }
  return "a value";
}

std::string_view node_phrase(const YAML::Node& node) {
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  if (node.IsNull()) return "nothing";
  return "a scalar";
}

std::string where(Position p) {
  return "line " + std::to_string(p.line) + ", column " + std::to_string(p.column);
}

// Section names in table order: kafka, rules, input, ...
std::vector<std::string_view> section_names() {
  std::vector<std::string_view> names;
  for (const Field& f : internal::field_table()) {
    const std::string_view s = internal::section_of(f.info.path);
    if (std::find(names.begin(), names.end(), s) == names.end()) names.push_back(s);
  }
  return names;
}

std::vector<std::string_view> keys_of_section(std::string_view section) {
  std::vector<std::string_view> keys;
  for (const Field& f : internal::field_table()) {
    if (internal::section_of(f.info.path) == section) keys.push_back(internal::key_of(f.info.path));
  }
  return keys;
}

std::string join(std::span<const std::string_view> items) {
  std::string out;
  for (std::string_view s : items) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

// "unknown key (did you mean ...?)" for `word`, a key among `candidates`.
std::string unknown_key_message(std::string_view word,
                                std::span<const std::string_view> candidates) {
  // The key of a field written in the wrong place, e.g. `workers` at the top level.
  for (const Field& f : internal::field_table()) {
    if (internal::key_of(f.info.path) == word) {
      return "unknown key (did you mean \"" + std::string(f.info.path) + "\"?)";
    }
  }
  if (const std::string_view best = internal::closest_match(word, candidates); !best.empty()) {
    return "unknown key (did you mean \"" + std::string(best) + "\"?)";
  }
  return "unknown key; expected one of: " + join(candidates);
}

class Loader {
 public:
  Loader(std::string_view source, const Environment& env) : source_(source), env_(env) {}

  // Reads the YAML text. Without a call to this, the config starts from the defaults only.
  void load_text(std::string_view text) {
    have_file_ = true;
    try {
      const std::string yaml(text);
      const yaml::DocumentScan scan = yaml::scan_documents(yaml);
      if (scan.stray_token()) {
        const std::size_t at = static_cast<std::size_t>(std::max(scan.starts[1].pos, 0));
        file_error(position_of(scan.starts[1]), "",
                   std::string("YAML syntax error: unexpected '") +
                       (at < yaml.size() ? yaml[at] : ' ') + "' where a document should start");
        check_required_ = false;
        return;
      }
      if (scan.starts.size() > 1) {
        file_error(position_of(scan.second_document()), "",
                   "only one YAML document is allowed in a config file");
      }
      if (!scan.starts.empty()) load_root(YAML::Load(yaml));
    } catch (const std::bad_alloc&) {
      throw;
    } catch (const YAML::DeepRecursion& e) {
      file_error(position_of(e.mark), "", "YAML nesting is too deep");
      check_required_ = false;
    } catch (const YAML::Exception& e) {
      file_error(position_of(e.mark), "", "YAML syntax error: " + e.msg);
      check_required_ = false;
    } catch (const std::exception& e) {
      file_error({}, "", std::string("cannot parse: ") + e.what());
      check_required_ = false;
    }
  }

  // The file could not be read: report it; required keys are not checked.
  void unreadable(std::string message) {
    errors_.push_back({source_, 0, 0, "", std::move(message)});
    check_required_ = false;
  }

  void apply(const Overrides& o) {
    const Origin cli{};
    auto scalar = [&](std::string_view path, const std::optional<std::string>& v) {
      if (v) assign_scalar(*internal::find_field(path), *v, cli);
    };
    scalar("kafka.brokers", o.brokers);
    scalar("kafka.group_id", o.group_id);
    if (o.input_topics) {
      const Field& f = *internal::find_field("kafka.input_topics");
      std::vector<std::string> items;
      bool ok = true;
      for (std::size_t i = 0; i < o.input_topics->size(); ++i) {
        ok &= add_list_item(f, (*o.input_topics)[i], i, cli, items);
      }
      if (ok) assign_list(f, std::move(items), cli);
    }
    scalar("kafka.alert_topic", o.alert_topic);
    scalar("kafka.dlq_topic", o.dlq_topic);
    scalar("rules.dir", o.rules_dir);
    if (o.workers) scalar("pipeline.workers", std::to_string(*o.workers));
    scalar("metrics.listen", o.metrics_listen);
    scalar("log.level", o.log_level);
  }

  LoadResult finish(const std::filesystem::path& base_dir) {
    if (check_required_) check_required();
    check_output_topics();
    if (errors_.empty()) resolve_rules_dir(base_dir);

    auto rank = [](const ConfigError& e) { return e.source == kCommandLine ? 1 : 0; };
    std::stable_sort(
        errors_.begin(), errors_.end(), [&](const ConfigError& a, const ConfigError& b) {
          return std::tuple(rank(a), a.line, a.column) < std::tuple(rank(b), b.line, b.column);
        });
    LoadResult result;
    if (errors_.empty()) {
      result.config = std::move(config_);
    } else {
      result.errors = std::move(errors_);
    }
    return result;
  }

 private:
  // ---- Reporting --------------------------------------------------------------------------

  void file_error(Position p, std::string path, std::string message) {
    constexpr std::size_t kMaxPath = 200;  // a pathological key is not echoed in full
    if (path.size() > kMaxPath) path = path.substr(0, kMaxPath) + "...";
    errors_.push_back({source_, p.line, p.column, std::move(path), std::move(message)});
  }

  void report(const Origin& origin, std::string path, std::string message) {
    if (origin.from_file) {
      file_error(origin.position, std::move(path), std::move(message));
    } else {
      errors_.push_back({std::string(kCommandLine), 0, 0, std::move(path), std::move(message)});
    }
  }

  // ---- Structure --------------------------------------------------------------------------

  // Checks that `key` is a string not seen before in its mapping; returns its text.
  std::optional<std::string> mapping_key(const YAML::Node& key, std::string_view parent,
                                         std::map<std::string, Position>& seen) {
    const Position p = position_of(key.Mark());
    if (!key.IsScalar()) {
      file_error(p, std::string(parent),
                 "keys must be strings, got " + std::string(node_phrase(key)));
      return std::nullopt;
    }
    std::string name = key.Scalar();
    const std::string path = parent.empty() ? name : std::string(parent) + "." + name;
    if (const auto it = seen.find(name); it != seen.end()) {
      file_error(p, path, "duplicate key (first set at " + where(it->second) + ")");
      return std::nullopt;
    }
    seen.emplace(name, p);
    return name;
  }

  void load_root(const YAML::Node& root) {
    if (root.IsNull()) return;
    root_position_ = position_of(root.Mark());
    const auto sections = section_names();
    if (!root.IsMap()) {
      file_error(root_position_, "",
                 "a config file is a mapping of sections (" + join(sections) + "), got " +
                     std::string(node_phrase(root)));
      check_required_ = false;
      return;
    }
    std::map<std::string, Position> seen;
    for (const auto& entry : root) {
      // Copies: Node is a handle, and the iterator's pair is a temporary.
      const YAML::Node key = entry.first;
      const YAML::Node value = entry.second;
      const std::optional<std::string> name = mapping_key(key, "", seen);
      if (!name) continue;
      if (std::find(sections.begin(), sections.end(), *name) == sections.end()) {
        file_error(position_of(key.Mark()), *name, unknown_key_message(*name, sections));
        continue;
      }
      load_section(*name, key, value);
    }
  }

  void load_section(const std::string& section, const YAML::Node& key, const YAML::Node& value) {
    if (value.IsNull()) {  // e.g. every key commented out
      section_position_[section] = position_of(key.Mark());
      return;
    }
    if (!value.IsMap()) {
      file_error(position_of(value.Mark()), section,
                 "expected a mapping, got " + std::string(node_phrase(value)));
      broken_sections_.insert(section);
      return;
    }
    section_position_[section] = position_of(value.Mark());
    const auto keys = keys_of_section(section);
    std::map<std::string, Position> seen;
    for (const auto& entry : value) {
      const YAML::Node field_key = entry.first;
      const YAML::Node field_value = entry.second;
      const std::optional<std::string> name = mapping_key(field_key, section, seen);
      if (!name) continue;
      const std::string path = section + "." + *name;
      const Field* field = internal::find_field(path);
      if (field == nullptr) {
        file_error(position_of(field_key.Mark()), path, unknown_key_message(*name, keys));
        continue;
      }
      present_.insert(path);
      load_field(*field, field_key, field_value);
    }
  }

  // ---- Values -----------------------------------------------------------------------------

  // The text of a scalar node after ${VAR} substitution, or nullopt after reporting why not.
  std::optional<std::string> scalar_text(const FieldInfo& field, const std::string& path,
                                         const YAML::Node& key, const YAML::Node& value) {
    if (value.IsNull()) {
      std::string message = "has no value";
      if (!field.required && field.type != FieldType::kStringList &&
          field.type != FieldType::kPropertyMap) {
        message +=
            field.type == FieldType::kString && field.default_value.empty()
                ? " (write \"\" for an empty string, or remove the key)"
                : " (remove the key to use the default, " + std::string(field.default_value) + ")";
      }
      file_error(position_of(key.Mark()), path, std::move(message));
      return std::nullopt;
    }
    if (!value.IsScalar()) {
      file_error(position_of(value.Mark()), path,
                 "expected " + std::string(type_phrase(field.type)) + ", got " +
                     std::string(node_phrase(value)));
      return std::nullopt;
    }
    std::string text;
    if (std::string err = internal::substitute_env(value.Scalar(), env_, text); !err.empty()) {
      file_error(position_of(value.Mark()), path, std::move(err));
      return std::nullopt;
    }
    return text;
  }

  void load_field(const Field& field, const YAML::Node& key, const YAML::Node& value) {
    const std::string path(field.info.path);
    switch (field.info.type) {
      case FieldType::kStringList:
        load_list(field, key, value);
        return;
      case FieldType::kPropertyMap:
        load_map(field, key, value);
        return;
      default:
        break;
    }
    if (const auto text = scalar_text(field.info, path, key, value)) {
      assign_scalar(field, *text, Origin{true, position_of(value.Mark())});
    }
  }

  void load_list(const Field& field, const YAML::Node& key, const YAML::Node& value) {
    const std::string path(field.info.path);
    if (value.IsNull()) {
      file_error(position_of(key.Mark()), path, "has no value");
      return;
    }
    const Origin origin{true, position_of(value.Mark())};
    if (!value.IsSequence()) {
      report(origin, path,
             "expected " + std::string(type_phrase(field.info.type)) + ", got " +
                 std::string(node_phrase(value)));
      return;
    }
    std::vector<std::string> items;
    bool ok = true;
    std::size_t index = 0;
    for (auto it = value.begin(); it != value.end(); ++it, ++index) {
      const YAML::Node element = *it;
      const Origin at{true, position_of(element.Mark())};
      const std::string element_path = path + "[" + std::to_string(index) + "]";
      if (!element.IsScalar()) {
        report(at, element_path, "expected a string, got " + std::string(node_phrase(element)));
        ok = false;
        continue;
      }
      std::string text;
      if (std::string err = internal::substitute_env(element.Scalar(), env_, text); !err.empty()) {
        report(at, element_path, std::move(err));
        ok = false;
        continue;
      }
      ok &= add_list_item(field, std::move(text), index, at, items);
    }
    if (ok) assign_list(field, std::move(items), origin);
  }

  void load_map(const Field& field, const YAML::Node& key, const YAML::Node& value) {
    const std::string path(field.info.path);
    const Origin origin{true, position_of(value.IsNull() ? key.Mark() : value.Mark())};
    if (value.IsNull()) {  // every property commented out
      assign(field, PropertyMap{}, origin);
      return;
    }
    if (!value.IsMap()) {
      report(origin, path,
             "expected " + std::string(type_phrase(field.info.type)) + ", got " +
                 std::string(node_phrase(value)));
      return;
    }
    PropertyMap properties;
    std::map<std::string, Position> seen;
    bool ok = true;
    for (const auto& entry : value) {
      const YAML::Node property_key = entry.first;
      const YAML::Node v = entry.second;
      const std::optional<std::string> name = mapping_key(property_key, path, seen);
      if (!name) {
        ok = false;
        continue;
      }
      const std::string property_path = path + "." + *name;
      const Position key_position = position_of(property_key.Mark());
      if (std::string err = field.check(*name); !err.empty()) {
        file_error(key_position, property_path, std::move(err));
        ok = false;
        continue;
      }
      if (v.IsNull()) {
        file_error(key_position, property_path, "has no value");
        ok = false;
        continue;
      }
      if (!v.IsScalar()) {
        file_error(position_of(v.Mark()), property_path,
                   "expected a string, number or boolean, got " + std::string(node_phrase(v)));
        ok = false;
        continue;
      }
      std::string text;
      if (std::string err = internal::substitute_env(v.Scalar(), env_, text); !err.empty()) {
        file_error(position_of(v.Mark()), property_path, std::move(err));
        ok = false;
        continue;
      }
      properties.emplace(*name, std::move(text));
    }
    if (ok) assign(field, std::move(properties), origin);
  }

  // ---- Shared by the file and the overrides -------------------------------------------------

  void assign(const Field& field, const Value& value, const Origin& origin) {
    field.binding.set(config_, value);
    set_from_[std::string(field.info.path)] = origin;
  }

  void assign_scalar(const Field& field, std::string_view text, const Origin& origin) {
    Value value;
    std::string err = internal::parse_scalar(field.info, text, value);
    if (err.empty()) err = internal::check_bounds(field.info, value);
    if (err.empty() && field.check != nullptr) err = field.check(text);
    if (!err.empty()) {
      report(origin, std::string(field.info.path), std::move(err));
      return;
    }
    assign(field, value, origin);
  }

  // Checks one list element; appends it and returns true when it is valid.
  bool add_list_item(const Field& field, std::string text, std::size_t index, const Origin& at,
                     std::vector<std::string>& items) {
    const std::string element_path =
        std::string(field.info.path) + "[" + std::to_string(index) + "]";
    if (field.check != nullptr) {
      if (std::string err = field.check(text); !err.empty()) {
        report(at, element_path, std::move(err));
        return false;
      }
    }
    if (std::find(items.begin(), items.end(), text) != items.end()) {
      report(at, element_path, "\"" + text + "\" is listed twice");
      return false;
    }
    items.push_back(std::move(text));
    return true;
  }

  void assign_list(const Field& field, std::vector<std::string> items, const Origin& origin) {
    if (field.info.required && items.empty()) {
      report(origin, std::string(field.info.path), "must not be empty");
      return;
    }
    assign(field, std::move(items), origin);
  }

  // ---- Whole-config rules -------------------------------------------------------------------

  void check_required() {
    for (const Field& f : internal::field_table()) {
      if (!f.info.required) continue;
      const std::string path(f.info.path);
      if (set_from_.contains(path) || present_.contains(path)) continue;
      const std::string section(internal::section_of(path));
      if (broken_sections_.contains(section)) continue;
      if (!have_file_) {
        errors_.push_back({std::string(kCommandLine), 0, 0, path,
                           "is required (no config file was given, so it must be set on the "
                           "command line)"});
        continue;
      }
      const auto it = section_position_.find(section);
      file_error(it != section_position_.end() ? it->second : root_position_, path,
                 "required key is missing");
    }
  }

  // An output topic that is also an input topic would feed alerts back in as articles.
  void check_output_topics() {
    const auto inputs = set_from_.find("kafka.input_topics");
    if (inputs == set_from_.end()) return;
    const auto& topics = config_.kafka.input_topics;
    const std::pair<const char*, const std::string*> outputs[] = {
        {"kafka.alert_topic", &config_.kafka.alert_topic},
        {"kafka.shadow_topic", &config_.kafka.shadow_topic},
        {"kafka.dlq_topic", &config_.kafka.dlq_topic},
    };
    for (const auto& [path, topic] : outputs) {
      const auto origin = set_from_.find(path);
      if (origin == set_from_.end() || topic->empty()) continue;
      if (std::find(topics.begin(), topics.end(), *topic) != topics.end()) {
        report(origin->second, path,
               "\"" + *topic +
                   "\" is also in kafka.input_topics; newswatch would consume its "
                   "own output");
      }
    }
  }

  void resolve_rules_dir(const std::filesystem::path& base_dir) {
    const auto it = set_from_.find("rules.dir");
    if (it == set_from_.end() || !it->second.from_file || base_dir.empty()) return;
    const std::filesystem::path dir(config_.rules.dir);
    if (dir.is_relative()) config_.rules.dir = (base_dir / dir).lexically_normal().string();
  }

  std::string source_;
  const Environment& env_;
  Config config_;
  std::vector<ConfigError> errors_;
  bool have_file_ = false;
  bool check_required_ = true;
  Position root_position_{1, 1};
  std::map<std::string, Position, std::less<>> section_position_;
  std::set<std::string, std::less<>> broken_sections_;
  std::set<std::string, std::less<>> present_;           // field keys written in the file
  std::map<std::string, Origin, std::less<>> set_from_;  // fields given a valid value
};

}  // namespace

std::string ConfigError::to_string() const {
  std::string out = source;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  if (!out.empty()) out += ": ";
  if (!key_path.empty()) out += key_path + ": ";
  out += message;
  return out;
}

std::string LoadResult::error_report() const {
  std::string out;
  for (const ConfigError& e : errors) out += e.to_string() + "\n";
  return out;
}

Environment process_environment() {
  Environment env;
  for (char** p = environ; p != nullptr && *p != nullptr; ++p) {
    const std::string_view entry(*p);
    const std::size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

LoadResult parse_config(std::string_view yaml_text, std::string_view source_name,
                        const Overrides& overrides, const Environment& env,
                        const std::filesystem::path& base_dir) {
  Loader loader(source_name, env);
  loader.load_text(yaml_text);
  loader.apply(overrides);
  return loader.finish(base_dir);
}

LoadResult load_config(const std::optional<std::filesystem::path>& file, const Overrides& overrides,
                       const Environment& env) {
  if (!file) {
    Loader loader("", env);
    loader.apply(overrides);
    return loader.finish({});
  }
  const std::string source = file->string();
  Loader loader(source, env);
  std::error_code ec;
  const auto status = std::filesystem::status(*file, ec);
  std::string text;
  std::string problem;
  if (ec) {
    problem = "cannot read the config file: " + ec.message();
  } else if (std::filesystem::is_directory(status)) {
    problem = "cannot read the config file: it is a directory";
  } else if (const auto size = std::filesystem::file_size(*file, ec); ec) {
    problem = "cannot read the config file: " + ec.message();
  } else if (size > kMaxConfigBytes) {
    problem = "the config file is larger than 16MiB";
  } else {
    std::ifstream in(*file, std::ios::binary);
    if (in.is_open()) {
      text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    if (!in.is_open() || in.bad()) problem = "cannot read the config file";
  }
  if (problem.empty()) {
    loader.load_text(text);
  } else {
    loader.unreadable(std::move(problem));
  }
  loader.apply(overrides);
  return loader.finish(file->parent_path());
}

}  // namespace newswatch::config
