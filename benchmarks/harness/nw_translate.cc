// nw_translate: writes the JSON form of a rule directory that the Lucene Monitor peer reads
// (see harness/lucene_json.h for what is translated and how).
//
//   nw_translate --rules DIR --out FILE.json
#include <cstdio>
#include <fstream>
#include <string>

#include "benchmarks/harness/lucene_json.h"
#include "benchmarks/harness/rule_source.h"

int main(int argc, char** argv) {
  std::string rules;
  std::string out;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--rules")
      rules = argv[i + 1];
    else if (a == "--out")
      out = argv[i + 1];
  }
  if (rules.empty() || out.empty()) {
    std::fprintf(stderr, "usage: nw_translate --rules DIR --out FILE.json\n");
    return 2;
  }
  std::string error;
  auto src = newswatch::bench::read_rule_source(rules, error);
  if (!src) {
    std::fprintf(stderr, "nw_translate: %s\n", error.c_str());
    return 1;
  }
  newswatch::bench::TranslationStats stats;
  const std::string json = newswatch::bench::rules_to_lucene_json(*src, stats);
  std::ofstream o(out, std::ios::binary);
  o << json << '\n';
  if (!o) {
    std::fprintf(stderr, "nw_translate: cannot write %s\n", out.c_str());
    return 1;
  }
  std::fprintf(stderr, "nw_translate: %zu rules, %zu regex leaves (%zu untranslated) -> %s\n",
               stats.rules, stats.regexes, stats.regexes_untranslated, out.c_str());
  return 0;
}
