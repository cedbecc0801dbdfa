// Rule files -> RawRuleSet: YAML structure, keys, types, fixtures. Every problem becomes a
// Diagnostic with its position; nothing stops at the first error.
#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "daemon/decode/decoder.h"
#include "daemon/match/loader_internal.h"
#include "daemon/match/rule_set.h"
#include "daemon/text/normalize.h"
#include "daemon/yaml/document_scan.h"

namespace newswatch::match {

std::string Diagnostic::to_string() const {
  std::string out = file;
  if (line > 0) {
    out += ':' + std::to_string(line) + ':' + std::to_string(column);
  }
  out += ": ";
  if (severity == Severity::kWarning) out += "warning: ";
  out += message;
  return out;
}

std::string_view to_string(Severity s) noexcept {
  switch (s) {
    case Severity::kInfo:
      return "info";
    case Severity::kLow:
      return "low";
    case Severity::kMedium:
      return "medium";
    case Severity::kHigh:
      return "high";
    case Severity::kCritical:
      return "critical";
  }
  return "medium";
}

std::string_view to_string(Mode m) noexcept {
  return m == Mode::kShadow ? "shadow" : "alert";
}

std::string_view to_string(DedupKey k) noexcept {
  switch (k) {
    case DedupKey::kArticle:
      return "article";
    case DedupKey::kUrl:
      return "url";
    case DedupKey::kTitle:
      return "title";
  }
  return "article";
}

namespace internal {

Diagnostic diagnostic_at(const ScalarPos& where, std::uint32_t offset, std::string message,
                         Diagnostic::Severity severity) {
  Diagnostic d;
  d.severity = severity;
  d.message = std::move(message);
  if (where.file == nullptr) return d;
  d.file = where.file->path;
  const std::string& text = where.file->content;
  int line = where.line;
  int column = where.column;
  std::size_t i = where.pos;
  const std::string_view value = where.value;
  offset = std::min<std::uint32_t>(offset, static_cast<std::uint32_t>(value.size()));
  const char style = i < text.size() ? text[i] : '\0';
  if (style == '|' || style == '>') {
    // Block scalar: value line k is file line (mark + 1 + k), after its indentation.
    int k = 0;
    std::size_t line_start = 0;
    for (std::size_t j = 0; j < offset; ++j) {
      if (value[j] == '\n') {
        ++k;
        line_start = j + 1;
      }
    }
    int target = where.line + 1 + k;
    std::size_t p = 0;
    for (int l = 0; l < target && p < text.size(); ++l) {
      p = text.find('\n', p);
      if (p == std::string::npos) break;
      ++p;
    }
    int indent = 0;
    while (p != std::string::npos && p + indent < text.size() && text[p + indent] == ' ') ++indent;
    d.line = target + 1;
    d.column = indent + static_cast<int>(offset - line_start) + 1;
    return d;
  }
  const char quote = (style == '"' || style == '\'') ? style : '\0';
  if (quote) {
    ++i;
    ++column;
  }
  for (std::uint32_t j = 0; j < offset && i < text.size();) {
    const char c = text[i];
    if (quote == '"' && c == '\\' && i + 1 < text.size()) {
      const char e = text[i + 1];
      const int skip = e == 'x' ? 4 : e == 'u' ? 6 : e == 'U' ? 10 : 2;
      i += skip;
      column += skip;
      ++j;
      continue;
    }
    if (quote == '\'' && c == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
      i += 2;
      column += 2;
      ++j;
      continue;
    }
    if (c == '\n') {  // a folded line of a multi-line flow scalar
      ++i;
      ++line;
      column = 0;
      while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) {
        ++i;
        ++column;
      }
      ++j;
      continue;
    }
    ++i;
    ++column;
    ++j;
  }
  d.line = line + 1;
  d.column = column + 1;
  return d;
}

namespace {

// [a-z0-9][a-z0-9._-]{0,127}
bool valid_rule_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  auto lower_or_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_or_digit(id[0])) return false;
  return std::all_of(id.begin() + 1, id.end(),
                     [&](char c) { return lower_or_digit(c) || c == '.' || c == '_' || c == '-'; });
}

class FileReader {
 public:
  FileReader(const SourceText& file, const std::string& relative_path,
             const std::filesystem::path& fixture_root, const LoadOptions& options, RawRuleSet& out,
             Diagnostics& diagnostics, std::map<std::string, std::string>& rule_ids)
      : file_(file),
        relative_path_(relative_path),
        fixture_root_(fixture_root),
        options_(options),
        out_(out),
        diagnostics_(diagnostics),
        rule_ids_(rule_ids) {}

  void read() {
    YAML::Node root;
    try {
      // The common case, one plain document, is parsed once (see load_plain()).
      if (std::optional<YAML::Node> plain = yaml::load_plain(file_.content)) {
        root = std::move(*plain);
      } else {
        root = load_scanned();
      }
    } catch (const YAML::Exception& e) {
      error_at(e.mark, "YAML syntax error: " + e.msg);
      return;
    }
    if (!root) return;  // reported
    if (root.IsNull()) return;
    if (!root.IsMap()) {
      error(root, "a rule file is a mapping with the keys 'lists' and 'rules'");
      return;
    }
    for (const auto& kv : unique_keys(root)) {
      const std::string& key = kv.first;
      if (key == "lists") {
        read_lists(kv.second);
      } else if (key == "rules") {
        read_rules(kv.second);
      }
    }
  }

 private:
  using Entries = std::vector<std::pair<std::string, YAML::Node>>;

  // The document scan first, then the tree; an undefined node when an error was reported.
  YAML::Node load_scanned() {
    // Rule files may not use aliases: an alias repeats a whole node, so a few bytes of
    // aliases expand into millions of list entries, rules or test articles (a 164 KB file
    // of lists aliasing one list made the loader run for 5 minutes in 9.5 GB).
    const yaml::DocumentScan scan = yaml::scan_documents(file_.content);
    if (scan.alias_found) {
      error_at(scan.first_alias,
               "YAML aliases (*name) are not allowed in rule files: write the content out "
               "(share entries with an @list instead)");
      return YAML::Node(YAML::NodeType::Undefined);
    }
    if (scan.stray_token()) {
      const std::size_t at = static_cast<std::size_t>(std::max(scan.starts[1].pos, 0));
      const char c = at < file_.content.size() ? file_.content[at] : ' ';
      error_at(scan.starts[1], std::string("YAML syntax error: unexpected '") + c +
                                   "' where a document should start");
      return YAML::Node(YAML::NodeType::Undefined);
    }
    if (scan.starts.size() > 1) {
      error_at(scan.second_document(),
               "a rule file holds one YAML document (found a second '---' document)");
    }
    return YAML::Load(file_.content);
  }

  void error_at(const YAML::Mark& mark, std::string message) {
    Diagnostic d;
    d.file = file_.path;
    if (!mark.is_null()) {
      d.line = mark.line + 1;
      d.column = mark.column + 1;
    }
    d.message = std::move(message);
    diagnostics_.push_back(std::move(d));
  }
  void error(const YAML::Node& node, std::string message) {
    error_at(node.Mark(), std::move(message));
  }

  std::string where(const YAML::Node& node) const {
    return file_.path + ":" + std::to_string(node.Mark().line + 1) + ":" +
           std::to_string(node.Mark().column + 1);
  }

  ScalarPos scalar_pos(const YAML::Node& node) const {
    ScalarPos p;
    p.file = &file_;
    p.pos = node.Mark().pos >= 0 ? static_cast<std::size_t>(node.Mark().pos) : 0;
    p.line = node.Mark().line;
    p.column = node.Mark().column;
    p.value = node.IsScalar() ? node.Scalar() : std::string();
    return p;
  }

  // Keys of a mapping, each checked to be a scalar and unique. Unknown keys are the caller's
  // business, but `allowed` (when given) reports them here.
  Entries unique_keys(const YAML::Node& map,
                      std::initializer_list<std::string_view> allowed = {"lists", "rules"},
                      std::string_view context = "a rule file") {
    Entries entries;
    std::set<std::string> seen;
    for (const auto& kv : map) {
      if (!kv.first.IsScalar()) {
        error(kv.first, "keys must be plain words");
        continue;
      }
      const std::string& key = kv.first.Scalar();
      if (!seen.insert(key).second) {
        error(kv.first, "duplicate key '" + key + "'");
        continue;
      }
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string list;
        for (auto a : allowed) {
          if (!list.empty()) list += ", ";
          list += a;
        }
        error(kv.first,
              "unknown key '" + key + "' in " + std::string(context) + " (allowed: " + list + ")");
        continue;
      }
      entries.emplace_back(key, kv.second);
    }
    return entries;
  }

  bool expect_scalar(const YAML::Node& node, std::string_view what) {
    if (node.IsScalar()) return true;
    error(node, std::string(what) + " must be a single value" +
                    (node.IsNull()       ? " (it is empty)"
                     : node.IsSequence() ? " (found a list)"
                                         : " (found a mapping)"));
    return false;
  }

  bool read_bool(const YAML::Node& node, std::string_view what, bool& out) {
    if (!expect_scalar(node, what)) return false;
    const std::string& v = node.Scalar();
    if (v == "true") {
      out = true;
      return true;
    }
    if (v == "false") {
      out = false;
      return true;
    }
    error(node, std::string(what) + " must be true or false, not '" + v + "'");
    return false;
  }

  static bool parse_duration(const std::string& s, std::chrono::seconds& out) {
    if (s.size() < 2) return false;
    const char unit = s.back();
    std::int64_t mult = unit == 's'   ? 1
                        : unit == 'm' ? 60
                        : unit == 'h' ? 3600
                        : unit == 'd' ? 86400
                                      : 0;
    if (mult == 0) return false;
    std::int64_t n = 0;
    for (std::size_t i = 0; i + 1 < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      n = n * 10 + (s[i] - '0');
      if (n > 100LL * 365 * 86400) return false;
    }
    out = std::chrono::seconds(n * mult);
    return out.count() <= 100LL * 365 * 86400;
  }

  void read_lists(const YAML::Node& lists) {
    if (lists.IsNull()) return;
    if (!lists.IsMap()) {
      error(lists, "'lists' must be a mapping of list names to lists of terms");
      return;
    }
    std::set<std::string> seen;
    for (const auto& kv : lists) {
      if (!kv.first.IsScalar()) {
        error(kv.first, "list names must be plain words");
        continue;
      }
      const std::string& name = kv.first.Scalar();
      if (!seen.insert(name).second) {
        error(kv.first, "duplicate key '" + name + "'");
        continue;
      }
      bool valid_name = !name.empty();
      for (char c : name) {
        valid_name = valid_name && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
                                    c == '-' || c == '.');
      }
      if (!valid_name) {
        error(kv.first, "list name '" + name + "' must use letters, digits, '_', '-' and '.'");
        continue;
      }
      const YAML::Node& entries = kv.second;
      if (!entries.IsSequence()) {
        error(entries.IsNull() ? kv.first : entries,
              "list '" + name + "' must be a list of terms, e.g. [alibaba, aliexpress*]");
        continue;
      }
      RawList list;
      list.name = name;
      list.name_pos = scalar_pos(kv.first);
      for (const auto& entry : entries) {
        if (!entry.IsScalar()) {
          error(entry,
                "list entries must be single terms, phrases, prefixes, exact terms, regexes or "
                "@lists");
          continue;
        }
        list.entries.push_back(RawListEntry{scalar_pos(entry)});
      }
      if (entries.size() == 0) {
        error(entries, "list '" + name + "' is empty");
        continue;
      }
      out_.lists.push_back(std::move(list));
    }
  }

  void read_rules(const YAML::Node& rules) {
    if (rules.IsNull()) return;
    if (!rules.IsSequence()) {
      error(rules, "'rules' must be a list of rules (each item starts with '- id: ...')");
      return;
    }
    for (const auto& node : rules) {
      if (out_.rules.size() >= options_.limits.max_rules) {
        error(node,
              "too many rules (the limit is " + std::to_string(options_.limits.max_rules) + ")");
        return;
      }
      read_rule(node);
    }
  }

  void read_rule(const YAML::Node& node) {
    if (!node.IsMap()) {
      error(node, "a rule must be a mapping with at least 'id' and 'query'");
      return;
    }
    RawRule raw;
    Rule& r = raw.rule;
    r.file = file_.path;
    r.line = node.Mark().line + 1;
    r.column = node.Mark().column + 1;
    bool has_id = false;
    bool saw_id = false;
    bool has_query = false;
    bool has_name = false;
    const std::size_t errors_before = diagnostics_.size();
    const Entries entries = unique_keys(
        node,
        {"id", "name", "severity", "tags", "owner", "enabled", "mode", "query", "dedup", "tests"},
        "a rule");
    for (const auto& [key, value] : entries) {
      if (key == "id") {
        saw_id = true;
        if (!expect_scalar(value, "id")) continue;
        r.id = value.Scalar();
        if (!valid_rule_id(r.id)) {
          error(value,
                "invalid rule id '" + r.id +
                    "': use 1 to 128 of a-z, 0-9, '.', '_', '-', starting with a letter or digit");
          continue;
        }
        has_id = true;
        auto [it, inserted] = rule_ids_.emplace(r.id, where(value));
        if (!inserted) {
          error(value, "duplicate rule id '" + r.id + "' (first defined at " + it->second + ")");
        }
      } else if (key == "name") {
        if (expect_scalar(value, "name")) {
          r.name = value.Scalar();
          has_name = true;
        }
      } else if (key == "severity") {
        if (!expect_scalar(value, "severity")) continue;
        static const std::map<std::string, Severity, std::less<>> kSeverities = {
            {"info", Severity::kInfo},
            {"low", Severity::kLow},
            {"medium", Severity::kMedium},
            {"high", Severity::kHigh},
            {"critical", Severity::kCritical}};
        auto it = kSeverities.find(value.Scalar());
        if (it == kSeverities.end()) {
          error(value,
                "invalid severity '" + value.Scalar() + "' (info, low, medium, high or critical)");
        } else {
          r.severity = it->second;
        }
      } else if (key == "tags") {
        if (!value.IsSequence()) {
          error(value, "tags must be a list, e.g. [strategy, competitor]");
          continue;
        }
        for (const auto& t : value) {
          if (!t.IsScalar() || t.Scalar().empty()) {
            error(t, "each tag must be a non-empty word");
            continue;
          }
          r.tags.push_back(t.Scalar());
        }
      } else if (key == "owner") {
        if (expect_scalar(value, "owner")) r.owner = value.Scalar();
      } else if (key == "enabled") {
        read_bool(value, "enabled", r.enabled);
      } else if (key == "mode") {
        if (!expect_scalar(value, "mode")) continue;
        if (value.Scalar() == "alert") {
          r.mode = Mode::kAlert;
        } else if (value.Scalar() == "shadow") {
          r.mode = Mode::kShadow;
        } else {
          error(value, "invalid mode '" + value.Scalar() + "' (alert or shadow)");
        }
      } else if (key == "query") {
        if (!expect_scalar(value, "query")) continue;
        r.query = value.Scalar();
        raw.query_pos = scalar_pos(value);
        has_query = true;
      } else if (key == "dedup") {
        read_dedup(value, r);
      } else if (key == "tests") {
        read_tests(value, r);
      }
    }
    if (!saw_id) error(node, "rule has no 'id'");
    if (!has_query)
      error(node, "rule " + (has_id ? "'" + r.id + "' " : std::string()) + "has no 'query'");
    if (!has_name) r.name = r.id;
    if (diagnostics_.size() == errors_before || (has_id && has_query)) {
      out_.rules.push_back(std::move(raw));
    }
  }

  void read_dedup(const YAML::Node& value, Rule& r) {
    if (!value.IsMap()) {
      error(value, "dedup must be a mapping, e.g. {key: article, window: 24h}");
      return;
    }
    for (const auto& [key, v] : unique_keys(value, {"key", "window"}, "dedup")) {
      if (!expect_scalar(v, "dedup." + key)) continue;
      if (key == "key") {
        const std::string& s = v.Scalar();
        if (s == "article") {
          r.dedup_key = DedupKey::kArticle;
        } else if (s == "url") {
          r.dedup_key = DedupKey::kUrl;
        } else if (s == "title") {
          r.dedup_key = DedupKey::kTitle;
        } else {
          error(v, "invalid dedup key '" + s + "' (article, url or title)");
        }
      } else if (!parse_duration(v.Scalar(), r.dedup_window)) {
        error(v, "invalid duration '" + v.Scalar() +
                     "' (a whole number followed by s, m, h or d, e.g. 24h)");
      }
    }
  }

  void read_tests(const YAML::Node& value, Rule& r) {
    if (!value.IsMap()) {
      error(value, "tests must be a mapping with 'match' and/or 'no_match' lists");
      return;
    }
    for (const auto& [key, list] : unique_keys(value, {"match", "no_match"}, "tests")) {
      if (!list.IsSequence()) {
        error(list, "tests." + key + " must be a list of articles");
        continue;
      }
      for (const auto& fixture : list) {
        RuleFixture f;
        if (read_fixture(fixture, f)) {
          (key == "match" ? r.must_match : r.must_not_match).push_back(std::move(f));
        }
      }
    }
  }

  bool read_fixture(const YAML::Node& node, RuleFixture& f) {
    f.origin = where(node);
    if (!node.IsMap()) {
      error(node, "a test article is a mapping like {title: ..., body: ...} or {file: path}");
      return false;
    }
    const Entries entries =
        unique_keys(node, {"file", "title", "body", "lang", "source", "url", "id", "published_at"},
                    "a test article");
    bool ok = true;
    std::optional<YAML::Node> file_node;
    for (const auto& [key, v] : entries) {
      if (!expect_scalar(v, key)) {
        ok = false;
        continue;
      }
      decode::Article& a = f.article;
      if (key == "file") {
        file_node = v;
      } else if (key == "title") {
        text::make_original_view(v.Scalar(), a.title);
      } else if (key == "body") {
        text::make_original_view(v.Scalar(), a.body);
      } else if (key == "lang") {
        a.lang = v.Scalar();
      } else if (key == "source") {
        a.source = v.Scalar();
      } else if (key == "url") {
        a.url = v.Scalar();
      } else if (key == "id") {
        a.id = v.Scalar();
      } else if (key == "published_at") {
        a.published_at = v.Scalar();
      }
    }
    if (!ok) return false;
    if (file_node) {
      if (entries.size() > 1) {
        error(node, "a test article is either {file: path} or inline fields, not both");
        return false;
      }
      return read_fixture_file(*file_node, f);
    }
    if (f.article.title.empty() && f.article.body.empty()) {
      error(node, "a test article needs a title or a body");
      return false;
    }
    if (f.article.id.empty()) f.article.id = "fixture:" + f.origin;
    return true;
  }

  bool read_fixture_file(const YAML::Node& v, RuleFixture& f) {
    namespace fs = std::filesystem;
    f.file = v.Scalar();
    if (f.file.empty()) {
      error(v, "empty fixture path");
      return false;
    }
    const fs::path rel(f.file);
    if (rel.is_absolute()) {
      error(v, "fixture path '" + f.file + "' must be relative to the rule file");
      return false;
    }
    std::error_code ec;
    const fs::path root = fs::weakly_canonical(fixture_root_, ec);
    const fs::path full =
        fs::weakly_canonical(fixture_root_ / fs::path(relative_path_).parent_path() / rel, ec);
    if (ec) {
      error(v, "cannot resolve fixture path '" + f.file + "': " + ec.message());
      return false;
    }
    const auto [root_end, full_it] =
        std::mismatch(root.begin(), root.end(), full.begin(), full.end());
    if (root_end != root.end()) {
      error(v, "fixture path '" + f.file + "' leaves the rules directory");
      return false;
    }
    std::ifstream in(full, std::ios::binary);
    if (!in) {
      error(v, "cannot read fixture file '" + f.file + "'");
      return false;
    }
    std::string bytes;
    const auto size = fs::file_size(full, ec);
    if (ec || size > options_.limits.max_file_bytes) {
      error(v, "fixture file '" + f.file + "' is too large or unreadable (limit " +
                   std::to_string(options_.limits.max_file_bytes) + " bytes)");
      return false;
    }
    bytes.resize(size);
    in.read(bytes.data(), static_cast<std::streamsize>(size));
    decode::DecodeOptions dopt;
    dopt.max_message_bytes = options_.limits.max_file_bytes;
    decode::ArticleDecoder decoder(dopt);
    if (auto err = decoder.decode(bytes, f.article)) {
      error(v, "fixture file '" + f.file + "' is not a valid article: " +
                   std::string(decode::to_string(err->code)) + ": " + err->detail);
      return false;
    }
    return true;
  }

  const SourceText& file_;
  const std::string& relative_path_;
  const std::filesystem::path& fixture_root_;
  const LoadOptions& options_;
  RawRuleSet& out_;
  Diagnostics& diagnostics_;
  std::map<std::string, std::string>& rule_ids_;
};

// Deepest nesting of YAML flow/block collections, estimated from indentation and brackets,
// so that a hostile file is refused before yaml-cpp recurses into it.
std::size_t yaml_nesting_estimate(std::string_view s) {
  std::size_t depth = 0;
  std::size_t max_depth = 0;
  std::size_t max_indent = 0;
  bool line_start = true;
  bool dash = false;  // the line so far is indentation and '-' indicators, with one '-' at least
  std::size_t indent = 0;
  char quote = 0;
  for (char c : s) {
    if (quote) {
      if (c == quote) quote = 0;
      if (c == '\n') line_start = true, indent = 0, dash = false;
      continue;
    }
    if (line_start) {
      if (c == ' ' || c == '-') {
        dash = dash || c == '-';
        ++indent;
        continue;
      }
      line_start = false;
      // A line of only '-' indicators ("-", "  -", "    -", ...) opens a sequence as deep as
      // its indentation, like a line with content.
      if ((c != '\n' || dash) && c != '#') max_indent = std::max(max_indent, indent);
    }
    switch (c) {
      case '\n':
        line_start = true, indent = 0, dash = false;
        break;
      case '[':
      case '{':
        max_depth = std::max(max_depth, ++depth);
        break;
      case ']':
      case '}':
        depth = depth > 0 ? depth - 1 : 0;
        break;
      case '"':
      case '\'':
        quote = c;
        break;
      default:
        break;
    }
  }
  return std::max(max_depth, max_indent / 2);
}

}  // namespace

void read_rule_files(std::vector<SourceFile> files, const std::vector<std::string>& relative_paths,
                     const std::filesystem::path& fixture_root, const LoadOptions& options,
                     RawRuleSet& out, Diagnostics& diagnostics) {
  std::map<std::string, std::string> rule_ids;
  for (std::size_t i = 0; i < files.size(); ++i) {
    auto src = std::make_unique<SourceText>();
    src->path = std::move(files[i].path);
    src->content = std::move(files[i].content);
    out.relative_paths.push_back(relative_paths[i]);
    const SourceText& ref = *src;
    out.files.push_back(std::move(src));
    if (ref.content.size() > options.limits.max_file_bytes) {
      diagnostics.push_back(Diagnostic{Diagnostic::Severity::kError, ref.path, 0, 0,
                                       "file too large (" + std::to_string(ref.content.size()) +
                                           " bytes; the limit is " +
                                           std::to_string(options.limits.max_file_bytes) + ")"});
      continue;
    }
    if (yaml_nesting_estimate(ref.content) > options.limits.max_yaml_depth) {
      diagnostics.push_back(Diagnostic{Diagnostic::Severity::kError, ref.path, 0, 0,
                                       "YAML nested too deeply (the limit is " +
                                           std::to_string(options.limits.max_yaml_depth) +
                                           " levels)"});
      continue;
    }
    FileReader(ref, out.relative_paths.back(), fixture_root, options, out, diagnostics, rule_ids)
        .read();
  }
}

}  // namespace internal

namespace {

LoadResult load(std::vector<SourceFile> files, std::vector<std::string> relative_paths,
                const std::filesystem::path& fixture_root, const LoadOptions& options,
                Diagnostics diagnostics) {
  LoadResult result;
  internal::RawRuleSet raw;
  internal::read_rule_files(std::move(files), relative_paths, fixture_root, options, raw,
                            diagnostics);
  result.rules = internal::compile_rule_set(std::move(raw), options, diagnostics);
  if (has_errors(diagnostics)) result.rules.reset();
  std::stable_sort(diagnostics.begin(), diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     if (a.file != b.file) return a.file < b.file;
                     if (a.line != b.line) return a.line < b.line;
                     return a.column < b.column;
                   });
  result.diagnostics = std::move(diagnostics);
  return result;
}

}  // namespace

LoadResult load_rule_set(const std::filesystem::path& dir, const LoadOptions& options) {
  namespace fs = std::filesystem;
  Diagnostics diagnostics;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    diagnostics.push_back(Diagnostic{Diagnostic::Severity::kError, dir.string(), 0, 0,
                                     "not a directory (or not readable)"});
    LoadResult r;
    r.diagnostics = std::move(diagnostics);
    return r;
  }
  std::vector<std::string> relative;
  fs::recursive_directory_iterator it(dir, fs::directory_options::follow_directory_symlink, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path& p = it->path();
    const std::string name = p.filename().string();
    if (!name.empty() && name.front() == '.') {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (it.depth() > 32) {
      it.disable_recursion_pending();
      continue;
    }
    const std::string ext = p.extension().string();
    if ((ext == ".yaml" || ext == ".yml") && it->is_regular_file(ec)) {
      relative.push_back(fs::relative(p, dir, ec).generic_string());
    }
  }
  if (ec) {
    diagnostics.push_back(Diagnostic{Diagnostic::Severity::kError, dir.string(), 0, 0,
                                     "cannot list the directory: " + ec.message()});
  }
  std::sort(relative.begin(), relative.end());
  if (relative.size() > options.limits.max_files) {
    diagnostics.push_back(Diagnostic{Diagnostic::Severity::kError, dir.string(), 0, 0,
                                     "too many rule files (" + std::to_string(relative.size()) +
                                         "; the limit is " +
                                         std::to_string(options.limits.max_files) + ")"});
    relative.resize(options.limits.max_files);
  }
  std::vector<SourceFile> files;
  for (const auto& rel : relative) {
    const fs::path full = dir / rel;
    SourceFile f;
    f.path = full.string();
    const auto size = fs::file_size(full, ec);
    if (ec) {
      diagnostics.push_back(
          Diagnostic{Diagnostic::Severity::kError, f.path, 0, 0, "cannot read: " + ec.message()});
      continue;
    }
    if (size > options.limits.max_file_bytes) {
      f.content.assign(options.limits.max_file_bytes + 1, ' ');  // reported as too large
    } else {
      std::ifstream in(full, std::ios::binary);
      f.content.resize(size);
      in.read(f.content.data(), static_cast<std::streamsize>(size));
      if (!in) {
        diagnostics.push_back(
            Diagnostic{Diagnostic::Severity::kError, f.path, 0, 0, "cannot read the file"});
        continue;
      }
    }
    files.push_back(std::move(f));
  }
  // Keep relative paths parallel to the files that were read.
  std::vector<std::string> kept;
  for (const auto& f : files) {
    kept.push_back(fs::relative(fs::path(f.path), dir, ec).generic_string());
  }
  return load(std::move(files), std::move(kept), dir, options, std::move(diagnostics));
}

LoadResult load_rule_set_from_sources(std::span<const SourceFile> files,
                                      const std::filesystem::path& fixture_root,
                                      const LoadOptions& options) {
  std::vector<SourceFile> copy(files.begin(), files.end());
  std::vector<std::string> relative;
  for (const auto& f : copy) relative.push_back(f.path);
  return load(std::move(copy), std::move(relative), fixture_root, options, {});
}

}  // namespace newswatch::match
