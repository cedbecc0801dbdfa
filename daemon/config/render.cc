// Rendering: the effective configuration (secrets redacted) and the reference table.
#include <string>
#include <string_view>

#include "daemon/config/config.h"
#include "daemon/config/schema.h"

namespace newswatch::config {
namespace {

using internal::Field;
using internal::Value;

constexpr char kHex[] = "0123456789ABCDEF";

// A YAML double-quoted scalar. "${" is written "$${" so that loading the output gives back
// the same string instead of substituting a variable.
std::string yaml_quote(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else if (c == '$' && i + 1 < s.size() && s[i + 1] == '{') {
      out += "$$";
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  return out;
}

// A value on a key=value line: control characters escaped so one field stays one line.
std::string line_safe(std::string_view s) {
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out += ch;
    }
  }
  return out;
}

bool contains_ignoring_case(std::string_view haystack, std::string_view needle) noexcept {
  if (needle.size() > haystack.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    bool match = true;
    for (std::size_t j = 0; j < needle.size() && match; ++j) {
      char c = haystack[i + j];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
      match = c == needle[j];
    }
    if (match) return true;
  }
  return false;
}

std::string_view redact(std::string_view name, const std::string& value) {
  return is_secret_property(name) ? kRedacted : std::string_view(value);
}

std::string_view type_name(FieldType type) {
  switch (type) {
    case FieldType::kString:
      return "string";
    case FieldType::kBool:
      return "bool";
    case FieldType::kInt:
      return "int";
    case FieldType::kDuration:
      return "duration";
    case FieldType::kSize:
      return "size";
    case FieldType::kEnum:
      return "enum";
    case FieldType::kStringList:
      return "list of strings";
    case FieldType::kPropertyMap:
      return "map of properties";
  }
  return "";
}

std::string code(std::string_view s) {
  return "`" + std::string(s) + "`";
}

std::string table_cell(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

bool is_secret_property(std::string_view name) noexcept {
  for (std::string_view word : {"password", "secret", "token", "jaas"}) {
    if (contains_ignoring_case(name, word)) return true;
  }
  for (std::string_view exact : {"sasl.oauthbearer.config", "ssl.key.pem"}) {
    if (name.size() == exact.size() && contains_ignoring_case(name, exact)) return true;
  }
  return false;
}

std::string render_config(const Config& config, RenderFormat format) {
  std::string out;
  std::string_view section;
  for (const Field& f : internal::field_table()) {
    const Value value = f.binding.get(config);
    const std::string path(f.info.path);
    if (format == RenderFormat::kKeyValue) {
      switch (f.info.type) {
        case FieldType::kStringList: {
          std::string joined;
          for (const std::string& item : std::get<std::vector<std::string>>(value)) {
            if (!joined.empty()) joined += ',';
            joined += item;
          }
          out += path + "=" + line_safe(joined) + "\n";
          break;
        }
        case FieldType::kPropertyMap: {
          const auto& map = std::get<PropertyMap>(value);
          if (map.empty()) out += path + "={}\n";
          for (const auto& [name, v] : map) {
            out += path + "." + line_safe(name) + "=" + line_safe(redact(name, v)) + "\n";
          }
          break;
        }
        default:
          out += path + "=" + line_safe(internal::format_scalar(f.info, value)) + "\n";
          break;
      }
      continue;
    }
    if (internal::section_of(f.info.path) != section) {
      section = internal::section_of(f.info.path);
      out += std::string(section) + ":\n";
    }
    out += "  " + std::string(internal::key_of(f.info.path)) + ":";
    switch (f.info.type) {
      case FieldType::kString:
        out += " " + yaml_quote(std::get<std::string>(value)) + "\n";
        break;
      case FieldType::kStringList: {
        out += " [";
        bool first = true;
        for (const std::string& item : std::get<std::vector<std::string>>(value)) {
          if (!first) out += ", ";
          first = false;
          out += yaml_quote(item);
        }
        out += "]\n";
        break;
      }
      case FieldType::kPropertyMap: {
        const auto& map = std::get<PropertyMap>(value);
        if (map.empty()) out += " {}";
        out += "\n";
        for (const auto& [name, v] : map) {
          out += "    " + yaml_quote(name) + ": " + yaml_quote(redact(name, v)) + "\n";
        }
        break;
      }
      default:
        out += " " + internal::format_scalar(f.info, value) + "\n";
        break;
    }
  }
  return out;
}

std::string reference_table_markdown() {
  std::string out =
      "| Key | Type | Default | Allowed values | Description |\n"
      "|---|---|---|---|---|\n";
  for (const Field& f : internal::field_table()) {
    const FieldInfo& info = f.info;
    std::string default_cell;
    if (info.required) {
      default_cell = "*required*";
    } else if (info.type == FieldType::kStringList) {
      default_cell = code("[]");
    } else if (info.type == FieldType::kPropertyMap) {
      default_cell = code("{}");
    } else if (info.default_value.empty()) {
      default_cell = code("\"\"");
    } else {
      default_cell = code(info.default_value);
    }
    std::string allowed;
    switch (info.type) {
      case FieldType::kBool:
        allowed = code("true") + ", " + code("false");
        break;
      case FieldType::kInt:
      case FieldType::kDuration:
      case FieldType::kSize:
        allowed = code(internal::format_scalar(info, *info.min)) + " to " +
                  code(internal::format_scalar(info, *info.max));
        break;
      case FieldType::kEnum:
        for (std::string_view v : info.enum_values) {
          if (!allowed.empty()) allowed += ", ";
          allowed += code(v);
        }
        break;
      default:
        break;
    }
    if (!info.constraint.empty()) {
      if (!allowed.empty()) allowed += "; ";
      allowed += info.constraint;
    }
    out += "| " + code(info.path) + " | " + std::string(type_name(info.type)) + " | " +
           default_cell + " | " + table_cell(allowed) + " | " + table_cell(info.doc) + " |\n";
  }
  return out;
}

}  // namespace newswatch::config
