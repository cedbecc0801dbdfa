// Translation of a rule directory into the JSON the Lucene Monitor peer reads
// (benchmarks/peers/lucene-monitor): the parsed queries with @lists flattened to their leaves,
// and every regex leaf pre-split into per-token Lucene RegExp pieces.
//
// Regex leaves. Lucene matches a RegexpQuery against one indexed term (token) at a time,
// while newswatch runs RE2 over the text. A regex is therefore cut at every element that can
// only match non-word characters (a space, '-', an apostrophe class, [.,], ...): the parts
// between cuts become token patterns, joined by an ordered SpanNearQuery with slop 0 on the
// Lucene side. Optional separators and optional groups that contain separators are expanded
// into variants (at most 32), OR'ed. The first piece is prefixed and the last suffixed with
// ".*" (RE2 searches unanchored). A piece that is a French elided article (l, d, qu, ...)
// followed by an apostrophe is dropped, as Lucene's ElisionFilter drops it from the token.
// Case-insensitive regexes are matched on the folded field (pieces lower-cased and
// accent-folded), case-sensitive ones on the "_exact" field (original tokens). What cannot be
// expressed this way (\p classes, repeated groups containing separators, inline flags, ...)
// is reported as untranslated with the reason; the Lucene peer then never matches that leaf.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "benchmarks/harness/rule_source.h"

namespace newswatch::bench {

struct RegexTranslation {
  bool ok = false;
  std::string why;                                        // when !ok
  bool folded_view = true;                                // false: the "_exact" field
  std::vector<std::vector<std::string>> variants;         // pieces for that view
  std::vector<std::vector<std::string>> folded_variants;  // always folded (for NEAR operands)
};

RegexTranslation translate_regex(const std::string& re2_pattern, bool case_insensitive);

// The whole rule set as JSON (one object). `stats` receives counts of translated and
// untranslated regexes.
struct TranslationStats {
  std::size_t rules = 0;
  std::size_t regexes = 0;
  std::size_t regexes_untranslated = 0;
};
std::string rules_to_lucene_json(const RuleSource& src, TranslationStats& stats);

}  // namespace newswatch::bench
