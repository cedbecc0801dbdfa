// A rule directory read for translation to the peers: the lists and queries as newswatch's
// own parser sees them (match::parse_query / parse_list_entry), without compiling anything.
//
// The YAML reading here is deliberately small (lists, rules.id, rules.query, rules.enabled):
// it is only used on rule sets that `newswatch check` accepts. Fixtures and tests are ignored.
//
// Thread-safety: a RuleSource is an immutable value after read_rule_source().
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon/match/query.h"

namespace newswatch::bench {

struct SourceRule {
  std::string id;
  bool enabled = true;
  match::QueryNode root;
};

struct RuleSource {
  // List name -> entries as parsed (kLeaf or kList nodes).
  std::map<std::string, std::vector<match::QueryNode>> lists;
  std::vector<SourceRule> rules;  // in file order (sorted paths), like the loader

  // Distinct leaves of a list after expanding @references (first occurrence order).
  std::vector<const match::QueryNode*> flatten(const std::string& list) const;
};

// Reads every *.yaml/*.yml under `dir` (recursively, sorted, hidden entries skipped). On any
// problem returns nullopt and sets `error`.
std::optional<RuleSource> read_rule_source(const std::string& dir, std::string& error);

// A leaf's identity independent of field scopes: the leaf rendered in query syntax, e.g.
// `europ*`, `"ant group"`, `=EU`, `/x/i`.
std::string leaf_key(const match::QueryNode& leaf);

}  // namespace newswatch::bench
