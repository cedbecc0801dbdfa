// Peer (a): the naive baseline — every rule translated to RE2 regular expressions, and every
// regex of every rule run on every article (no shared scan, no prefilter).
//
// Translation (documented in benchmarks/README.md, "Peers"):
//  - each operand of a rule (a leaf, a @list, or a NEAR operand group) is ONE RE2: the
//    alternation of its leaves, so a rule costs 1-4 RE2 searches per field;
//  - terms, prefixes and phrases run on the folded view (newswatch's own folding, timed as
//    part of this peer) with Unicode word boundaries written into the regex:
//    (?:^|[^\p{L}\p{N}]) before and (?:$|[^\p{L}\p{N}]) after a word character;
//    phrases join their words with [^\p{L}\p{N}]+;
//  - exact leaves run case-sensitively on the original view (boundaries also exclude \p{M});
//    regex leaves run as written on the original view;
//  - A NEAR/n B: one RE2 per operand on the folded view; every occurrence of each is
//    collected (RE2::Match from the end of the previous one) and turned into word positions,
//    then every pair is compared (quadratic, as a straightforward implementation would do).
//    Exact and regex operands inside a NEAR are approximated on the folded view (case- and
//    accent-insensitive). A single RE2 with A(?:[^\p{L}\p{N}]+[\p{L}\p{N}]+){0,n}...B was
//    tried first: its lazy DFA exhausts memory and RE2 falls back to the NFA, about 1 s per
//    article at 1,000 rules;
//  - AND / OR / NOT and metadata filters are evaluated in C++, with short-circuit.
//
// Thread-safety: immutable after construction; match() may be called concurrently only with
// distinct Scratch objects.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <re2/re2.h>

#include "daemon/decode/article.h"
#include "daemon/text/fold.h"

#include "benchmarks/harness/rule_source.h"

namespace newswatch::bench {

class NaiveMatcher {
 public:
  // Compiles every enabled rule of `src`. Rules whose translation does not compile are
  // skipped and counted in skipped_rules().
  explicit NaiveMatcher(const RuleSource& src);
  ~NaiveMatcher();

  struct Scratch {
    text::FoldedText folded[2];
  };

  // Appends the index (into rule_ids()) of every rule true for `article`.
  void match(const decode::Article& article, Scratch& scratch,
             std::vector<std::uint32_t>& out) const;

  const std::vector<std::string>& rule_ids() const noexcept { return ids_; }
  std::size_t regex_count() const noexcept { return regex_count_; }
  std::size_t skipped_rules() const noexcept { return skipped_; }
  const std::vector<std::string>& errors() const noexcept { return errors_; }

  struct Node;

 private:
  std::vector<std::unique_ptr<Node>> rules_;
  std::vector<std::string> ids_;
  std::size_t regex_count_ = 0;
  std::size_t skipped_ = 0;
  std::vector<std::string> errors_;
};

}  // namespace newswatch::bench
