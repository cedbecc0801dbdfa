// Helpers for the operability tests (tests/ops): the deploy/ artifacts as data (metric names
// used by the Grafana dashboard and the Prometheus rules), the Prometheus text exposition as
// data, and JSON log lines as data.
//
// Everything here is pure (no I/O) except read_file()/write_file(); nothing throws for bad
// input (only std::bad_alloc): malformed input gives an Error value (see
// tests/integration/support/result.h) or is skipped, as documented per function.
// Thread-safety: plain functions and values.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tests/integration/support/result.h"

namespace newswatch::opstest {

// <source dir>/<relative> (NEWSWATCH_SOURCE_DIR, set by CMake).
std::string source_path(std::string_view relative);
// The whole file, or an Error naming the path.
itest::Result<std::string> read_file(const std::string& path);
// Writes `content` to `path` (truncating). With atomic=true, writes "<dir>/.<name>.tmp" first
// and renames it over `path`, as editors and `kubectl cp` do, so a reader never sees half a
// file (the rules loader ignores hidden files).
itest::Status write_file(const std::string& path, std::string_view content, bool atomic = false);
// A fresh directory under $TMPDIR (or /tmp): "<prefix>-XXXXXX". Error if it cannot be made.
itest::Result<std::string> make_temp_dir(std::string_view prefix);

// ---- PromQL --------------------------------------------------------------------------------

// The metric names an expression selects: every identifier that is not a function or
// aggregation call, a keyword, a label name in by/without/on/ignoring/group_left/group_right
// lists, a label matcher inside {...}, a range/duration inside [...], a number or a string.
// Grafana's label_values(metric, label) is understood (the metric is returned). Garbage in
// gives whatever identifiers it holds; never an error.
std::set<std::string> metric_names_in(std::string_view promql);

// Every PromQL expression of a Grafana dashboard JSON: panel targets' "expr" (nested rows
// included), annotation "expr" and query variables' "definition"/"query" strings. Error if
// the text is not valid JSON.
struct DashboardQuery {
  std::string where;  // "panel 12 \"Consumer lag by topic\" target B", "variable job", ...
  std::string expr;
  bool is_variable = false;  // a Grafana variable query (label_values(...)), not PromQL
};
itest::Result<std::vector<DashboardQuery>> dashboard_queries(std::string_view dashboard_json);

// Every alerting/recording rule of a Prometheus rule file: name and expression. Error if the
// YAML does not parse or has no groups.
struct RuleExpr {
  std::string name;  // alert or record name
  std::string expr;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
};
itest::Result<std::vector<RuleExpr>> rule_exprs(std::string_view rules_yaml);

// Replaces Grafana's variables so that a dashboard expression can be sent to Prometheus:
// $__rate_interval and $__interval -> "1m", $__range -> "5m", ${datasource} untouched, and
// every other $name / ${name} -> ".*" (the "All" value of a multi-value variable).
std::string substitute_grafana_variables(std::string_view expr);

// ---- Prometheus text exposition (format 0.0.4) ------------------------------------------------

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct Exposition {
  std::vector<Sample> samples;
  std::map<std::string, std::string> types;  // family name -> counter/gauge/histogram/...

  // Every distinct sample name (histograms give name_bucket, name_sum, name_count).
  std::set<std::string> sample_names() const;
  // Samples named `name` whose labels include every pair of `match`.
  std::vector<const Sample*> find(std::string_view name,
                                  const std::map<std::string, std::string>& match = {}) const;
  // The value of the only sample `find` returns; nullopt when none or several match.
  std::optional<double> value(std::string_view name,
                              const std::map<std::string, std::string>& match = {}) const;
  // Sum of the values `find` returns (0 when none).
  double sum(std::string_view name, const std::map<std::string, std::string>& match = {}) const;
};

// Parses an exposition. Error (with the line number) on a line that is neither a comment, a
// blank line nor a well-formed sample.
itest::Result<Exposition> parse_exposition(std::string_view text);

// ---- JSON log lines
// ------------------------------------------------------------------------------

// One line of `newswatch ... --log-format json`: every top-level field as text (strings
// unescaped, numbers and booleans as written). Lines that are not JSON objects (e.g. from
// another writer) are skipped by parse_log_lines.
struct LogLine {
  std::map<std::string, std::string> fields;
  std::string raw;
  std::string get(const std::string& key) const {
    const auto it = fields.find(key);
    return it == fields.end() ? std::string() : it->second;
  }
};
std::vector<LogLine> parse_log_lines(std::string_view text);

// Anchors of the Markdown headings of a document, as GitHub makes them (lower case, spaces to
// '-', punctuation other than '-' and '_' dropped). Headings inside ``` fences are ignored.
std::set<std::string> markdown_anchors(std::string_view markdown);

}  // namespace newswatch::opstest
