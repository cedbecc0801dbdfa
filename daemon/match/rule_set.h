// Loading rule files (RULES-SPEC §1) into an immutable, thread-safe CompiledRuleSet.
//
// Loading is all-or-nothing: every problem in every file is reported as a Diagnostic
// (path:line:column: message) and no rule set is produced when there is any error. Warnings
// (a regex without literals, a query that only filters metadata, ...) never block loading.
//
// Ownership and threads: a CompiledRuleSet is immutable once built. Share it as
// std::shared_ptr<const CompiledRuleSet>; any number of threads may match against it at the
// same time (each with its own Matcher, see matcher.h). Hot reload builds a new set and
// swaps the pointer; a set stays alive as long as a worker holds it.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/decode/article.h"
#include "daemon/match/diagnostic.h"
#include "daemon/match/query.h"

namespace newswatch::match {

enum class Severity : std::uint8_t { kInfo, kLow, kMedium, kHigh, kCritical };
enum class Mode : std::uint8_t { kAlert, kShadow };
enum class DedupKey : std::uint8_t { kArticle, kUrl, kTitle };

std::string_view to_string(Severity s) noexcept;
std::string_view to_string(Mode m) noexcept;
std::string_view to_string(DedupKey k) noexcept;

// One article given inline in a rule's tests, or read from a fixture file.
struct RuleFixture {
  std::string origin;  // "path:line:column" of the fixture in the rule file
  std::string file;    // the fixture file as written (empty for inline fixtures)
  decode::Article article;
};

// What a rule file says about a rule, besides its query.
struct Rule {
  std::string id;
  std::string name;  // defaults to the id
  Severity severity = Severity::kMedium;
  std::vector<std::string> tags;
  std::string owner;
  bool enabled = true;
  Mode mode = Mode::kAlert;
  std::string query;  // as written
  DedupKey dedup_key = DedupKey::kArticle;
  std::chrono::seconds dedup_window{24 * 3600};
  std::string file;  // rule file, as reached from the rules directory given to the loader
  int line = 0;      // position of the rule's mapping in that file
  int column = 0;
  std::vector<RuleFixture> must_match;
  std::vector<RuleFixture> must_not_match;
};

// Limits that bound what a rule directory can make the loader and the matcher do. The
// defaults are generous for real watchlists and small enough that a hostile file is refused
// rather than exhausting memory or time.
struct LoadLimits {
  std::size_t max_files = 10'000;
  std::size_t max_file_bytes = 16u << 20;  // per rule or fixture file
  std::size_t max_yaml_depth = 32;         // nesting of YAML collections
  std::size_t max_rules = 100'000;
  std::size_t max_list_entries = 100'000;         // leaves in one list, after expanding @refs
  std::size_t max_list_depth = 16;                // @list inside @list inside ...
  QueryLimits query;                              // length and nesting of one query
  std::int64_t max_regex_memory = 8 << 20;        // RE2::Options::max_mem per regex
  int max_regex_program_size = 20'000;            // RE2 program size per regex
  std::size_t max_occurrences_per_leaf = 10'000;  // per field and article, for NEAR
};

struct LoadOptions {
  LoadLimits limits;
};

class CompiledRuleSet;

struct LoadResult {
  std::shared_ptr<const CompiledRuleSet> rules;  // null when diagnostics has an error
  Diagnostics diagnostics;                       // errors and warnings, in file order
};

// Loads every *.yaml / *.yml file under `dir` (recursively, sorted by path, hidden files and
// directories skipped). Paths in diagnostics are `dir / relative path` as given.
LoadResult load_rule_set(const std::filesystem::path& dir, const LoadOptions& options = {});

// Loads rule files given as (path, content) pairs; fixture files are resolved against
// `fixture_root` (files outside it are refused). For tests and fuzzing.
struct SourceFile {
  std::string path;
  std::string content;
};
LoadResult load_rule_set_from_sources(std::span<const SourceFile> files,
                                      const std::filesystem::path& fixture_root,
                                      const LoadOptions& options = {});

// The compiled, immutable form of a rule directory.
class CompiledRuleSet {
 public:
  ~CompiledRuleSet();
  CompiledRuleSet(const CompiledRuleSet&) = delete;
  CompiledRuleSet& operator=(const CompiledRuleSet&) = delete;

  // First 16 hex digits of the SHA-256 of the loaded files (their relative paths and bytes,
  // in path order): the same files always give the same version.
  const std::string& version() const noexcept { return version_; }
  std::span<const Rule> rules() const noexcept { return rules_; }
  // Index of the rule with this id, or -1.
  int find_rule(std::string_view id) const noexcept;
  std::size_t enabled_rule_count() const noexcept;
  std::chrono::nanoseconds compile_time() const noexcept { return compile_time_; }
  std::size_t file_count() const noexcept { return file_count_; }

  // The label of an occurrence (the leaf as written in the query, e.g. "@alibaba").
  std::string_view label(std::uint32_t label_id) const noexcept;

  struct Stats {
    std::size_t leaves = 0;         // distinct leaves after deduplication across rules
    std::size_t words_indexed = 0;  // distinct first words in the word index
    std::size_t prefixes = 0;
    std::size_t regexes = 0;
    std::size_t unfiltered_regexes = 0;  // regexes that run on every article
    std::size_t always_evaluated_rules = 0;
    std::size_t groups = 0;        // distinct operands (a leaf or list in given fields)
    std::size_t gate_leaves = 0;   // (leaf, rule) pairs that make a rule a candidate
    bool eager_regexes = false;    // regex atoms are searched in every article (some rule can
                                   // fire through a regex alone)
    std::size_t memory_bytes = 0;  // approximate size of the compiled structures
  };
  const Stats& stats() const noexcept { return stats_; }

  struct Compiled;  // matcher-facing internals (daemon/match/compiled.h)
  const Compiled& compiled() const noexcept { return *compiled_; }

 private:
  friend class RuleSetBuilder;
  CompiledRuleSet();

  std::string version_;
  std::vector<Rule> rules_;
  std::chrono::nanoseconds compile_time_{0};
  std::size_t file_count_ = 0;
  Stats stats_;
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace newswatch::match
