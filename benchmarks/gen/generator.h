// Deterministic generator of realistic watchlist rule sets (in the newswatch rule language)
// and of synthetic French/English news articles, for benchmarks.
//
// Determinism: the output depends only on the spec (counts, seed, profile): the random
// generator is our own (xoshiro256**, seeded with splitmix64) and every range reduction is
// done here, so the same spec gives the same bytes with any compiler or standard library.
//
// Thread-safety: free functions, no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace newswatch::bench {

// xoshiro256** seeded through splitmix64.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) noexcept;
  std::uint64_t next() noexcept;
  // Uniform in [0, n) (n > 0), without modulo bias that would depend on the library.
  std::uint64_t below(std::uint64_t n) noexcept;
  double uniform() noexcept;  // [0, 1)
  bool chance(double p) noexcept { return uniform() < p; }
  template <class T>
  const T& pick(std::span<const T> items) noexcept {
    return items[below(items.size())];
  }
  // Index in [0, n) with a Zipf-like skew (small indexes more frequent), exponent ~1.
  std::uint64_t zipf(std::uint64_t n) noexcept;

 private:
  std::uint64_t s_[4];
};

struct GeneratedFile {
  std::string path;  // relative, with '/' separators
  std::string content;
};

enum class RuleProfile {
  kMixed,       // the realistic mix: lists, phrases, prefixes, ~15% NEAR, ~10% regex, exact
  kNearHeavy,   // ~70% of rules are NEAR/ONEAR rules
  kRegexHeavy,  // ~50% of rules carry a regex leaf
  kLiteral,     // no regex, no NEAR: terms, phrases, prefixes, exact, lists only
};

// Parses "mixed", "near", "regex", "literal". Returns false for anything else.
bool parse_profile(std::string_view name, RuleProfile& out);

struct RuleSetSpec {
  std::size_t rules = 1000;
  std::uint64_t seed = 42;
  RuleProfile profile = RuleProfile::kMixed;
  std::size_t rules_per_file = 500;
};

// The files of a rule directory: lists/topics.yaml, lists/entities.yaml and
// watchlists/wl-NNN.yaml. Every rule is valid for `newswatch check`.
std::vector<GeneratedFile> generate_rule_set(const RuleSetSpec& spec);

struct ArticleSpec {
  std::size_t count = 1000;
  std::uint64_t seed = 7;
  double french = 0.95;  // share of French articles (the rest is English)
  std::size_t median_body_bytes = 2200;
  std::size_t entity_pool = 6000;  // synthetic entities drawn from [0, entity_pool)
};

// One JSON object per article (no trailing newline), with the record shape of the real
// corpus: id, url, source, lang, published_at, title, body, section, author, licence.
std::vector<std::string> generate_articles(const ArticleSpec& spec);

// The deterministic synthetic company name number k (e.g. "Valcorex Industries").
std::string synthetic_company(std::uint64_t k);
// The synthetic person number k (first and last name from the tables).
std::string synthetic_person(std::uint64_t k);

}  // namespace newswatch::bench
