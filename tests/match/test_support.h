// Helpers for rule-engine tests: load rules from inline YAML, match inline articles.
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon/decode/article.h"
#include "daemon/match/matcher.h"
#include "daemon/match/rule_set.h"
#include "daemon/text/normalize.h"

namespace newswatch::match::testing {

inline LoadResult load_yaml(const std::string& yaml, const std::string& path = "rules.yaml") {
  std::vector<SourceFile> files{{path, yaml}};
  return load_rule_set_from_sources(files, std::filesystem::temp_directory_path());
}

inline LoadResult load_files(
    const std::vector<SourceFile>& files,
    const std::filesystem::path& root = std::filesystem::temp_directory_path()) {
  return load_rule_set_from_sources(files, root);
}

// All diagnostics as "path:line:col: message" lines.
inline std::string diagnostics_text(const LoadResult& r) {
  std::string s;
  for (const auto& d : r.diagnostics) s += d.to_string() + "\n";
  return s;
}

inline decode::Article article(const std::string& title, const std::string& body,
                               const std::string& lang = "", const std::string& source = "",
                               const std::string& url = "") {
  decode::Article a;
  text::make_original_view(title, a.title);
  text::make_original_view(body, a.body);
  a.lang = lang;
  a.source = source;
  a.url = url;
  a.id = "test";
  return a;
}

// A one-rule set for query semantics tests; fails the test when it does not load.
inline std::shared_ptr<const CompiledRuleSet> rule(const std::string& query,
                                                   const std::string& lists_yaml = "") {
  std::string yaml;
  if (!lists_yaml.empty()) yaml += "lists:\n" + lists_yaml;
  yaml += "rules:\n  - id: r\n    query: '";
  for (char c : query) {
    if (c == '\'') yaml += '\'';
    yaml += c;
  }
  yaml += "'\n";
  LoadResult r = load_yaml(yaml);
  EXPECT_TRUE(r.rules) << "query: " << query << "\n" << diagnostics_text(r);
  return r.rules;
}

inline bool fires(const std::shared_ptr<const CompiledRuleSet>& rules, const decode::Article& a) {
  if (!rules) return false;
  Matcher m;
  MatchOutput out;
  m.match(*rules, a, out);
  return !out.matches.empty();
}

inline bool fires(const std::string& query, const std::string& title,
                  const std::string& body = "") {
  return fires(rule(query), article(title, body));
}

// The matched texts of the first match, as "field:text" strings.
inline std::vector<std::string> matched_texts(const std::shared_ptr<const CompiledRuleSet>& rules,
                                              const decode::Article& a) {
  std::vector<std::string> v;
  Matcher m;
  MatchOutput out;
  m.match(*rules, a, out);
  if (out.matches.empty()) return v;
  for (auto i = out.matches[0].occurrences_begin; i < out.matches[0].occurrences_end; ++i) {
    const auto& o = out.occurrences[i];
    const std::string& text = o.field == Field::kTitle ? a.title : a.body;
    v.push_back(std::string(to_string(o.field)) + ":" +
                text.substr(o.span.begin, o.span.end - o.span.begin));
  }
  return v;
}

}  // namespace newswatch::match::testing
