// Peer (b): Hyperscan scanning the same literals as newswatch's matcher — the speed yardstick
// for the scan itself.
//
// The literal set is read from the compiled rule set (CompiledRuleSet::Compiled::seqs and
// regexes), so it is exactly what newswatch looks up: the first folded word of every literal
// leaf (terms, phrases, exact terms: the words newswatch looks up in its hash index), the stem
// of every one-word prefix, and the folded required literals ("atoms", from RE2's FilteredRE2
// with min_atom_len 3, as newswatch computes them) of every regex leaf. The database is one
// hs_compile_lit_multi block-mode database; the folded view is scanned once per field, and
// each hit gets the same Unicode word-boundary check newswatch applies (both ends for words,
// the start for prefix stems, none for atoms). Nothing else is done with the hits: no phrase
// verification, no rule evaluation, no regex runs.
//
// Thread-safety: the database is immutable; each thread needs its own Scratch.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <hs/hs.h>

#include "daemon/match/rule_set.h"

namespace newswatch::bench {

class HyperscanLiterals {
 public:
  ~HyperscanLiterals();
  HyperscanLiterals(const HyperscanLiterals&) = delete;
  HyperscanLiterals& operator=(const HyperscanLiterals&) = delete;

  // Null (and `error` set) when Hyperscan refuses the database.
  static std::unique_ptr<HyperscanLiterals> build(const match::CompiledRuleSet& rules,
                                                  std::string& error);

  class Scratch {
   public:
    explicit Scratch(const HyperscanLiterals& db);
    ~Scratch();
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    hs_scratch_t* get() const noexcept { return scratch_; }

   private:
    hs_scratch_t* scratch_ = nullptr;
  };

  struct Hits {
    std::uint64_t raw = 0;       // every literal occurrence Hyperscan reported
    std::uint64_t accepted = 0;  // after the word-boundary check
  };

  // Scans one folded field.
  void scan(std::string_view folded, Scratch& scratch, Hits& hits) const;

  std::size_t words() const noexcept { return words_; }
  std::size_t prefixes() const noexcept { return prefixes_; }
  std::size_t atoms() const noexcept { return atoms_; }
  double compile_seconds() const noexcept { return compile_seconds_; }
  std::size_t database_bytes() const noexcept;

  enum class Kind : std::uint8_t { kWord, kPrefix, kAtom };
  struct Pattern {
    Kind kind;
    std::uint32_t length;
  };

 private:
  HyperscanLiterals() = default;
  hs_database_t* db_ = nullptr;
  std::vector<Pattern> patterns_;
  std::size_t words_ = 0;
  std::size_t prefixes_ = 0;
  std::size_t atoms_ = 0;
  double compile_seconds_ = 0;
};

}  // namespace newswatch::bench
