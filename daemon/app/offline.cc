// The offline commands: check, test, match, explain. They share the rule engine with the
// daemon and never touch Kafka.
#include "daemon/app/offline.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>

#include "daemon/app/line_reader.h"
#include "daemon/decode/decoder.h"
#include "daemon/match/dedup.h"
#include "daemon/match/explain.h"
#include "daemon/match/matcher.h"
#include "daemon/match/rule_tests.h"
#include "daemon/pipeline/alert_builder.h"

namespace newswatch::app {
namespace {

std::int64_t now_unix_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t steady_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Loads rules and prints diagnostics. Null when the rules do not load.
std::shared_ptr<const match::CompiledRuleSet> load_rules(const std::string& dir,
                                                         bool print_warnings) {
  match::LoadResult r = match::load_rule_set(dir);
  for (const auto& d : r.diagnostics) {
    if (d.severity == match::Diagnostic::Severity::kError || print_warnings) {
      std::fprintf(stderr, "%s\n", d.to_string().c_str());
    }
  }
  if (!r.rules) {
    std::size_t errors = 0;
    for (const auto& d : r.diagnostics) errors += d.severity == match::Diagnostic::Severity::kError;
    std::fprintf(stderr, "newswatch: %s: %zu error%s, no rule set loaded\n", dir.c_str(), errors,
                 errors == 1 ? "" : "s");
  }
  return r.rules;
}

bool read_file(const std::string& path, std::string& out) {
  std::FILE* f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  char buf[1 << 16];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  const bool ok = std::ferror(f) == 0;
  if (f != stdin) std::fclose(f);
  return ok;
}

}  // namespace

int run_check(const CheckOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  match::LoadResult r = match::load_rule_set(o.rules_dir);
  std::size_t errors = 0;
  std::size_t warnings = 0;
  for (const auto& d : r.diagnostics) {
    const bool is_error = d.severity == match::Diagnostic::Severity::kError;
    errors += is_error;
    warnings += !is_error;
    std::fprintf(stderr, "%s\n", d.to_string().c_str());
  }
  if (!r.rules) {
    std::fprintf(stderr, "%s: %zu error%s, %zu warning%s\n", o.rules_dir.c_str(), errors,
                 errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s");
    return 1;
  }
  const auto& rs = *r.rules;
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!o.quiet) {
    std::printf(
        "%s: ok — %zu rules (%zu enabled) in %zu files, %zu distinct leaves (%zu regexes), "
        "version %s, loaded in %.1f ms%s\n",
        o.rules_dir.c_str(), rs.rules().size(), rs.enabled_rule_count(), rs.file_count(),
        rs.stats().leaves, rs.stats().regexes, rs.version().c_str(), ms,
        warnings
            ? (", " + std::to_string(warnings) + " warning" + (warnings == 1 ? "" : "s")).c_str()
            : "");
  }
  return o.warnings_as_errors && warnings > 0 ? 1 : 0;
}

int run_test(const TestOptions& o) {
  auto rules = load_rules(o.rules_dir, false);
  if (!rules) return 1;
  const match::RuleTestReport report = match::run_rule_tests(*rules);
  for (const auto& f : report.failures)
    std::printf("FAIL %s\n", match::format_failure(*rules, f).c_str());
  const std::size_t untested = rules->rules().size() - report.rules_with_tests;
  std::printf(
      "%s: %zu rules tested with %zu articles: %s%s\n", o.rules_dir.c_str(),
      report.rules_with_tests, report.articles,
      report.ok() ? "all passed" : (std::to_string(report.failures.size()) + " failed").c_str(),
      untested ? (" (" + std::to_string(untested) + " rules have no tests)").c_str() : "");
  return report.ok() ? 0 : 1;
}

int run_match(const MatchOptions& o) {
  auto rules = load_rules(o.rules_dir, false);
  if (!rules) return 1;
  decode::DecodeOptions dopt;
  dopt.max_message_bytes = o.max_message_bytes;
  dopt.body_format = o.html ? decode::BodyFormat::kHtml : decode::BodyFormat::kText;
  decode::ArticleDecoder decoder(dopt);
  match::Matcher matcher;
  match::MatchOutput out;
  match::Deduplicator dedup(o.dedup ? 1'000'000 : 0);
  pipeline::AlertBuilder builder;
  decode::Article article;
  std::string json;
  std::map<std::uint32_t, std::size_t> per_rule;

  std::size_t articles = 0;
  std::size_t alerts = 0;
  std::size_t suppressed = 0;
  std::size_t errors = 0;
  std::size_t input_bytes = 0;
  std::size_t text_bytes = 0;
  const auto start = std::chrono::steady_clock::now();

  auto process = [&](std::string_view message, const std::string& where) {
    if (auto err = decoder.decode(message, article)) {
      ++errors;
      std::fprintf(stderr, "%s: %s: %s\n", where.c_str(),
                   std::string(decode::to_string(err->code)).c_str(), err->detail.c_str());
      return;
    }
    ++articles;
    text_bytes += article.title.size() + article.body.size();
    matcher.match(*rules, article, out);
    const std::int64_t detected = now_unix_millis();
    for (const auto& m : out.matches) {
      const match::Rule& rule = rules->rules()[m.rule];
      if (!dedup.admit(rule, article, steady_millis())) {
        ++suppressed;
        continue;
      }
      json.clear();
      builder.encode(*rules, out, m, article, detected, std::nullopt, json);
      json += '\n';
      std::fwrite(json.data(), 1, json.size(), stdout);
      ++alerts;
      ++per_rule[m.rule];
    }
  };

  std::vector<std::string> inputs = o.inputs;
  if (inputs.empty()) inputs.push_back("-");
  for (const auto& path : inputs) {
    const std::string name = path == "-" ? "<stdin>" : path;
    // A .json file holds one article (possibly pretty-printed); anything else is JSON Lines.
    if (path != "-" && path.size() > 5 && path.compare(path.size() - 5, 5, ".json") == 0) {
      std::string content;
      if (!read_file(path, content)) {
        std::fprintf(stderr, "newswatch match: %s: cannot read: %s\n", name.c_str(),
                     std::strerror(errno));
        ++errors;
        continue;
      }
      input_bytes += content.size();
      process(content, name);
      continue;
    }
    std::FILE* f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
      std::fprintf(stderr, "newswatch match: %s: cannot open: %s\n", name.c_str(),
                   std::strerror(errno));
      ++errors;
      continue;
    }
    LineReader reader(f, o.max_message_bytes);
    std::string_view line;
    bool oversized = false;
    while (reader.next(line, oversized)) {
      bool blank = true;
      for (char c : line) blank = blank && (c == ' ' || c == '\t' || c == '\r');
      if (blank && !oversized) continue;
      process(line, name + ":" + std::to_string(reader.line_number()));
    }
    input_bytes += reader.bytes_read();
    if (reader.error()) {
      std::fprintf(stderr, "newswatch match: %s: read error\n", name.c_str());
      ++errors;
    }
  }
  std::fflush(stdout);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!o.quiet) {
    std::fprintf(
        stderr,
        "newswatch match: %zu articles, %zu alerts (%zu suppressed by dedup), %zu errors in "
        "%.3f s — %.0f articles/s, %.1f MB/s of input, %.1f MB/s of text\n",
        articles, alerts, suppressed, errors, seconds, seconds > 0 ? articles / seconds : 0.0,
        seconds > 0 ? input_bytes / seconds / 1e6 : 0.0,
        seconds > 0 ? text_bytes / seconds / 1e6 : 0.0);
  }
  if (o.rule_counts) {
    // Every rule, including those that fired nothing (dead rules are worth seeing).
    for (std::uint32_t r = 0; r < rules->rules().size(); ++r) {
      const auto it = per_rule.find(r);
      std::fprintf(stderr, "  %8zu  %s%s\n", it == per_rule.end() ? 0 : it->second,
                   rules->rules()[r].id.c_str(), rules->rules()[r].enabled ? "" : " (disabled)");
    }
  }
  return 0;
}

int run_explain(const ExplainOptions& o) {
  auto rules = load_rules(o.rules_dir, false);
  if (!rules) return 1;
  std::string content;
  if (!read_file(o.article, content)) {
    std::fprintf(stderr, "newswatch explain: %s: cannot read: %s\n", o.article.c_str(),
                 std::strerror(errno));
    return 2;
  }
  decode::DecodeOptions dopt;
  dopt.max_message_bytes = std::max<std::size_t>(content.size(), 1);
  dopt.body_format = o.html ? decode::BodyFormat::kHtml : decode::BodyFormat::kText;
  decode::ArticleDecoder decoder(dopt);
  decode::Article article;
  if (auto err = decoder.decode(content, article)) {
    std::fprintf(stderr, "newswatch explain: %s: %s: %s\n", o.article.c_str(),
                 std::string(decode::to_string(err->code)).c_str(), err->detail.c_str());
    return 2;
  }
  match::Matcher matcher;
  std::vector<std::uint32_t> which;
  if (!o.rule_id.empty()) {
    const int r = rules->find_rule(o.rule_id);
    if (r < 0) {
      std::fprintf(stderr, "newswatch explain: no rule with id '%s' in %s\n", o.rule_id.c_str(),
                   o.rules_dir.c_str());
      return 2;
    }
    which.push_back(static_cast<std::uint32_t>(r));
  } else {
    match::MatchOutput out;
    matcher.match(*rules, article, out);
    for (const auto& m : out.matches) which.push_back(m.rule);
    if (which.empty()) {
      std::printf("no rule fired on this article (use --rule ID to see why a rule did not)\n");
      return 0;
    }
  }
  for (std::size_t i = 0; i < which.size(); ++i) {
    if (i) std::printf("\n");
    const match::Explanation e = match::explain(matcher, *rules, which[i], article);
    std::printf("%s", match::render_explanation(e).c_str());
  }
  return 0;
}

}  // namespace newswatch::app
