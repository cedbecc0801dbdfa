#include "tests/ops/support/ops.h"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <simdjson.h>
#include <stdlib.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

namespace newswatch::opstest {
namespace {

using itest::Error;
using itest::Result;
using itest::Status;

bool ident_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_' || c == ':';
}
bool ident_char(char c) {
  return ident_start(c) || std::isdigit(static_cast<unsigned char>(c)) != 0;
}

// Skips a quoted string starting at s[i] (a quote); returns the index after the closing quote.
std::size_t skip_string(std::string_view s, std::size_t i) {
  const char q = s[i++];
  while (i < s.size() && s[i] != q) {
    if (s[i] == '\\' && q != '`') ++i;
    ++i;
  }
  return i < s.size() ? i + 1 : i;
}

// Skips from an opening bracket at s[i] to just after its closing one, strings included.
std::size_t skip_group(std::string_view s, std::size_t i, char open, char close) {
  int depth = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '"' || c == '\'' || c == '`') {
      i = skip_string(s, i);
      continue;
    }
    if (c == open) ++depth;
    if (c == close && --depth == 0) return i + 1;
    ++i;
  }
  return i;
}

std::size_t skip_space(std::string_view s, std::size_t i) {
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])) != 0) ++i;
  return i;
}

const std::set<std::string, std::less<>>& keywords() {
  static const std::set<std::string, std::less<>> k = {
      "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left",
      "group_right", "inf", "nan", "Inf", "NaN",
      // aggregation operators may be followed by `by (...)` before their parenthesis
      "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk",
      "topk", "quantile", "limitk", "limit_ratio"};
  return k;
}
const std::set<std::string, std::less<>>& label_list_keywords() {
  static const std::set<std::string, std::less<>> k = {"by",       "without",    "on",
                                                       "ignoring", "group_left", "group_right"};
  return k;
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (std::size_t pos = s.find(from); pos != std::string::npos;
       pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
  return s;
}

void collect_dashboard(simdjson::dom::element e, const std::string& where,
                       std::vector<DashboardQuery>& out) {
  if (e.is_array()) {
    std::size_t i = 0;
    for (simdjson::dom::element child : e.get_array())
      collect_dashboard(child, where + "[" + std::to_string(i++) + "]", out);
    return;
  }
  if (!e.is_object()) return;
  simdjson::dom::object obj = e.get_object();
  std::string here = where;
  std::string_view title;
  if (obj["title"].get(title) == simdjson::SUCCESS) here += " \"" + std::string(title) + "\"";
  std::string_view ref;
  if (obj["refId"].get(ref) == simdjson::SUCCESS) here += " target " + std::string(ref);
  std::string_view name;
  std::string_view type;
  const bool query_variable = obj["name"].get(name) == simdjson::SUCCESS &&
                              obj["type"].get(type) == simdjson::SUCCESS && type == "query";
  for (auto field : obj) {
    const std::string key(field.key);
    std::string_view text;
    if (key == "expr" && field.value.get(text) == simdjson::SUCCESS) {
      out.push_back({here, std::string(text), false});
    } else if (query_variable && key == "definition" &&
               field.value.get(text) == simdjson::SUCCESS) {
      out.push_back({"variable " + std::string(name), std::string(text), true});
    } else if (field.value.is_object() || field.value.is_array()) {
      if (query_variable && key == "query") continue;  // the same text as "definition"
      collect_dashboard(field.value, here + "." + key, out);
    }
  }
}

bool parse_double(std::string_view text, double* out) {
  if (text == "+Inf" || text == "Inf") {
    *out = HUGE_VAL;
    return true;
  }
  if (text == "-Inf") {
    *out = -HUGE_VAL;
    return true;
  }
  if (text == "NaN") {
    *out = std::nan("");
    return true;
  }
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && p == text.data() + text.size();
}

// Decodes a label value's escapes (\\, \", \n).
std::string unescape_label(std::string_view v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size()) {
      ++i;
      out += v[i] == 'n' ? '\n' : v[i];
    } else {
      out += v[i];
    }
  }
  return out;
}

std::string heading_anchor(std::string_view heading) {
  std::string out;
  for (char c : heading) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '_') {
      out += static_cast<char>(std::tolower(u));
    } else if (c == ' ') {
      out += '-';
    } else if (u >= 0x80) {
      out += c;  // GitHub keeps non-ASCII letters
    }
  }
  return out;
}

}  // namespace

std::string source_path(std::string_view relative) {
  return (std::filesystem::path(NEWSWATCH_SOURCE_DIR) / relative).string();
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{"cannot read " + path, RD_KAFKA_RESP_ERR_NO_ERROR, errno};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status write_file(const std::string& path, std::string_view content, bool atomic) {
  const std::filesystem::path target(path);
  const std::filesystem::path written =
      atomic ? target.parent_path() / ("." + target.filename().string() + ".tmp") : target;
  {
    std::ofstream out(written, std::ios::binary | std::ios::trunc);
    if (!out) return Error{"cannot write " + written.string(), RD_KAFKA_RESP_ERR_NO_ERROR, errno};
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    if (!out) return Error{"cannot write " + written.string(), RD_KAFKA_RESP_ERR_NO_ERROR, errno};
  }
  if (atomic) {
    std::error_code ec;
    std::filesystem::rename(written, target, ec);
    if (ec) return Error{"cannot rename " + written.string() + ": " + ec.message()};
  }
  return {};
}

Result<std::string> make_temp_dir(std::string_view prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/" +
                      std::string(prefix) + "-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr)
    return Error{"mkdtemp " + templ + ": " + std::strerror(errno)};
  return templ;
}

// ---- PromQL ------------------------------------------------------------------------------------

std::set<std::string> metric_names_in(std::string_view s) {
  std::set<std::string> names;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '"' || c == '\'' || c == '`') {
      i = skip_string(s, i);
    } else if (c == '{') {
      i = skip_group(s, i, '{', '}');
    } else if (c == '[') {
      i = skip_group(s, i, '[', ']');
    } else if (c == '#') {
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (c == '$') {  // a Grafana variable
      ++i;
      if (i < s.size() && s[i] == '{') {
        i = skip_group(s, i, '{', '}');
      } else {
        while (i < s.size() && ident_char(s[i])) ++i;
      }
    } else if (std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '.') {
      while (i < s.size() && (ident_char(s[i]) || s[i] == '.')) ++i;  // 0.99, 1e3, 5m
    } else if (ident_start(c)) {
      const std::size_t start = i;
      while (i < s.size() && ident_char(s[i])) ++i;
      const std::string word(s.substr(start, i - start));
      const std::size_t next = skip_space(s, i);
      const bool call = next < s.size() && s[next] == '(';
      if (label_list_keywords().contains(word)) {
        if (call) i = skip_group(s, next, '(', ')');
      } else if (word == "label_values" && call) {
        // Grafana: label_values(label) or label_values(metric_selector, label)
        const std::size_t end = skip_group(s, next, '(', ')');
        const std::string_view args = s.substr(next + 1, end - next - 2);
        std::size_t comma = std::string_view::npos;
        for (std::size_t k = 0; k < args.size(); ++k) {
          if (args[k] == '"' || args[k] == '\'') {
            k = skip_string(args, k) - 1;
          } else if (args[k] == '{') {
            k = skip_group(args, k, '{', '}') - 1;
          } else if (args[k] == ',') {
            comma = k;
          }
        }
        if (comma != std::string_view::npos) names.merge(metric_names_in(args.substr(0, comma)));
        i = end;
      } else if (call || keywords().contains(word)) {
        // a function, an aggregation or an operator keyword
      } else {
        names.insert(word);
      }
    } else {
      ++i;
    }
  }
  return names;
}

Result<std::vector<DashboardQuery>> dashboard_queries(std::string_view dashboard_json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const simdjson::padded_string padded(dashboard_json);
  if (auto err = parser.parse(padded).get(doc)) {
    return Error{std::string("dashboard is not valid JSON: ") + simdjson::error_message(err)};
  }
  std::vector<DashboardQuery> out;
  collect_dashboard(doc, "dashboard", out);
  return out;
}

Result<std::vector<RuleExpr>> rule_exprs(std::string_view rules_yaml) {
  std::vector<RuleExpr> out;
  try {
    const YAML::Node root = YAML::Load(std::string(rules_yaml));
    const YAML::Node groups = root["groups"];
    if (!groups || !groups.IsSequence() || groups.size() == 0) return Error{"no rule groups"};
    for (const auto& g : groups) {
      for (const auto& r : g["rules"]) {
        RuleExpr e;
        e.name = r["alert"] ? r["alert"].as<std::string>() : r["record"].as<std::string>("");
        e.expr = r["expr"].as<std::string>("");
        if (r["labels"]) {
          for (const auto& kv : r["labels"])
            e.labels[kv.first.as<std::string>()] = kv.second.as<std::string>();
        }
        if (r["annotations"]) {
          for (const auto& kv : r["annotations"]) {
            e.annotations[kv.first.as<std::string>()] = kv.second.as<std::string>();
          }
        }
        out.push_back(std::move(e));
      }
    }
  } catch (const YAML::Exception& e) {
    return Error{std::string("rule file: ") + e.what()};
  }
  return out;
}

std::string substitute_grafana_variables(std::string_view expr) {
  std::string s = replace_all(std::string(expr), "$__rate_interval", "1m");
  s = replace_all(std::move(s), "$__interval", "1m");
  s = replace_all(std::move(s), "$__range", "5m");
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '$' || i + 1 >= s.size()) {
      out += s[i];
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(s[i + 1])) != 0) {  // "$1" in label_replace
      out += s[i];
      continue;
    }
    std::size_t j = i + 1;
    std::string name;
    if (s[j] == '{') {
      const std::size_t end = s.find('}', j);
      if (end == std::string::npos) {
        out += s[i];
        continue;
      }
      name = s.substr(j + 1, end - j - 1);
      j = end + 1;
    } else {
      while (j < s.size() && ident_char(s[j])) ++j;
      name = s.substr(i + 1, j - i - 1);
    }
    if (name.empty() || name == "datasource") {
      out += s.substr(i, j - i);
    } else {
      out += ".*";
    }
    i = j - 1;
  }
  return out;
}

// ---- exposition ------------------------------------------------------------------------------

std::set<std::string> Exposition::sample_names() const {
  std::set<std::string> out;
  for (const auto& s : samples) out.insert(s.name);
  return out;
}

std::vector<const Sample*> Exposition::find(std::string_view name,
                                            const std::map<std::string, std::string>& match) const {
  std::vector<const Sample*> out;
  for (const auto& s : samples) {
    if (s.name != name) continue;
    bool ok = true;
    for (const auto& [k, v] : match) {
      const auto it = s.labels.find(k);
      ok = ok && it != s.labels.end() && it->second == v;
    }
    if (ok) out.push_back(&s);
  }
  return out;
}

std::optional<double> Exposition::value(std::string_view name,
                                        const std::map<std::string, std::string>& match) const {
  const auto found = find(name, match);
  if (found.size() != 1) return std::nullopt;
  return found.front()->value;
}

double Exposition::sum(std::string_view name,
                       const std::map<std::string, std::string>& match) const {
  double total = 0;
  for (const Sample* s : find(name, match)) total += s->value;
  return total;
}

Result<Exposition> parse_exposition(std::string_view text) {
  Exposition e;
  std::size_t line_no = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    const auto bad = [&](const char* why) {
      return Error{"exposition line " + std::to_string(line_no) + ": " + why + ": " +
                   std::string(line)};
    };
    if (line.empty()) continue;
    if (line.front() == '#') {
      if (line.starts_with("# TYPE ")) {
        std::string_view rest = line.substr(7);
        const std::size_t sp = rest.find(' ');
        if (sp == std::string_view::npos) return bad("TYPE without a type");
        e.types[std::string(rest.substr(0, sp))] = std::string(rest.substr(sp + 1));
      }
      continue;
    }
    Sample s;
    std::size_t i = 0;
    while (i < line.size() && ident_char(line[i])) ++i;
    if (i == 0) return bad("no metric name");
    s.name = std::string(line.substr(0, i));
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        const std::size_t k0 = i;
        while (i < line.size() && ident_char(line[i])) ++i;
        const std::string key(line.substr(k0, i - k0));
        if (key.empty() || i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"')
          return bad("malformed label");
        i += 2;
        const std::size_t v0 = i;
        while (i < line.size() && line[i] != '"') i += line[i] == '\\' ? 2 : 1;
        if (i >= line.size()) return bad("unterminated label value");
        s.labels[key] = unescape_label(line.substr(v0, i - v0));
        ++i;
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (i >= line.size()) return bad("unterminated label set");
      ++i;
    }
    if (i >= line.size() || line[i] != ' ') return bad("no value");
    std::string_view value = line.substr(i + 1);
    if (const std::size_t sp = value.find(' '); sp != std::string_view::npos)
      value = value.substr(0, sp);  // timestamp
    if (!parse_double(value, &s.value)) return bad("bad value");
    e.samples.push_back(std::move(s));
  }
  return e;
}

// ---- logs
// ------------------------------------------------------------------------------------------

std::vector<LogLine> parse_log_lines(std::string_view text) {
  std::vector<LogLine> out;
  simdjson::dom::parser parser;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty() || line.front() != '{') continue;
    simdjson::dom::object obj;
    const simdjson::padded_string padded(line);
    if (parser.parse(padded).get(obj) != simdjson::SUCCESS) continue;
    LogLine l;
    l.raw = std::string(line);
    for (auto field : obj) {
      std::string_view sv;
      if (field.value.get(sv) == simdjson::SUCCESS) {
        l.fields[std::string(field.key)] = std::string(sv);
      } else {
        l.fields[std::string(field.key)] = simdjson::minify(field.value);
      }
    }
    out.push_back(std::move(l));
  }
  return out;
}

std::set<std::string> markdown_anchors(std::string_view md) {
  std::set<std::string> out;
  bool fence = false;
  while (!md.empty()) {
    const std::size_t nl = md.find('\n');
    const std::string_view line = md.substr(0, nl);
    md = nl == std::string_view::npos ? std::string_view() : md.substr(nl + 1);
    if (line.starts_with("```")) fence = !fence;
    if (fence || !line.starts_with("#")) continue;
    std::size_t i = 0;
    while (i < line.size() && line[i] == '#') ++i;
    if (i >= line.size() || line[i] != ' ') continue;
    out.insert(heading_anchor(line.substr(i + 1)));
  }
  return out;
}

}  // namespace newswatch::opstest
