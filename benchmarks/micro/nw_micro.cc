// Micro-benchmarks of the matching pipeline's stages (Google Benchmark).
//
//   nw_micro [--smoke] [Google Benchmark flags, e.g. --benchmark_filter=Match]
//
// Inputs are generated in memory (benchmarks/gen): rule sets of 100 / 1,000 / 10,000 rules in
// the realistic mix, plus NEAR-heavy and regex-heavy sets, and synthetic FR/EN articles. Set
// NEWSWATCH_BENCH_CORPUS=/path/to/articles.jsonl to use the first 2,000 articles of a real
// corpus instead. Throughput (bytes_per_second) counts title + body bytes of the articles.
//
// --smoke registers tiny inputs only (100 rules, 20 articles); ctest runs it with
// --benchmark_min_time=0.01 (label benchmark-smoke) so the benchmarks keep compiling and
// running.
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <benchmark/benchmark.h>

#include "daemon/decode/decoder.h"
#include "daemon/match/compiled.h"
#include "daemon/match/matcher.h"
#include "daemon/match/rule_set.h"
#include "daemon/text/fold.h"

#include "benchmarks/gen/generator.h"
#include "benchmarks/harness/common.h"
#include "benchmarks/peers/hyperscan_literals.h"

namespace {

namespace nb = newswatch::bench;
namespace nm = newswatch::match;
using newswatch::decode::Article;
using newswatch::decode::ArticleDecoder;

bool g_smoke = false;

// ---- inputs, built once -------------------------------------------------------------------

struct Corpus {
  std::vector<std::string> json;
  std::vector<Article> articles;
  std::size_t text_bytes = 0;
};

const Corpus& corpus() {
  static const Corpus c = [] {
    Corpus out;
    const std::size_t n = g_smoke ? 20 : 2000;
    if (const char* path = std::getenv("NEWSWATCH_BENCH_CORPUS");
        path != nullptr && *path != '\0') {
      std::string error;
      if (!nb::read_lines(path, out.json, error, n)) {
        std::fprintf(stderr, "nw_micro: %s; using generated articles\n", error.c_str());
        out.json.clear();
      }
    }
    if (out.json.empty()) {
      nb::ArticleSpec spec;
      spec.count = n;
      out.json = nb::generate_articles(spec);
    }
    ArticleDecoder decoder;
    for (const auto& j : out.json) {
      Article a;
      if (decoder.decode(j, a)) continue;
      out.text_bytes += a.title.size() + a.body.size();
      out.articles.push_back(std::move(a));
    }
    return out;
  }();
  return c;
}

std::shared_ptr<const nm::CompiledRuleSet> rules(std::size_t count, nb::RuleProfile profile) {
  static std::map<std::pair<std::size_t, int>, std::shared_ptr<const nm::CompiledRuleSet>> cache;
  auto& slot = cache[{count, static_cast<int>(profile)}];
  if (!slot) {
    nb::RuleSetSpec spec;
    spec.rules = count;
    spec.profile = profile;
    std::vector<nm::SourceFile> files;
    for (auto& f : nb::generate_rule_set(spec)) files.push_back({f.path, std::move(f.content)});
    nm::LoadResult r = nm::load_rule_set_from_sources(files, "/nonexistent");
    if (!r.rules) {
      for (const auto& d : r.diagnostics) std::fprintf(stderr, "%s\n", d.to_string().c_str());
      std::abort();  // generator bug: the benchmark cannot run
    }
    slot = r.rules;
  }
  return slot;
}

void set_throughput(benchmark::State& state, std::size_t bytes_per_iteration) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes_per_iteration));
  state.counters["articles_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * corpus().articles.size()),
                         benchmark::Counter::kIsRate);
}

// ---- stages ---------------------------------------------------------------------------------

void BM_Decode(benchmark::State& state) {
  const Corpus& c = corpus();
  ArticleDecoder decoder;
  Article a;
  for (auto _ : state) {
    for (const auto& j : c.json) benchmark::DoNotOptimize(decoder.decode(j, a));
  }
  set_throughput(state, c.text_bytes);
}

void BM_Fold(benchmark::State& state) {
  const Corpus& c = corpus();
  newswatch::text::FoldedText ft;
  for (auto _ : state) {
    for (const auto& a : c.articles) {
      ft.assign(a.title);
      ft.assign(a.body);
      benchmark::DoNotOptimize(ft.words().size());
    }
  }
  set_throughput(state, c.text_bytes);
}

// The literal scan on its own: every folded word looked up in the rule set's word index (and
// its first three bytes in the prefix index), as Matcher::match does before any verification.
void BM_WordIndexScan(benchmark::State& state) {
  const Corpus& c = corpus();
  const auto rs = rules(static_cast<std::size_t>(state.range(0)), nb::RuleProfile::kMixed);
  const auto& cc = rs->compiled();
  std::vector<newswatch::text::FoldedText> folded(c.articles.size() * 2);
  for (std::size_t i = 0; i < c.articles.size(); ++i) {
    folded[2 * i].assign(c.articles[i].title);
    folded[2 * i + 1].assign(c.articles[i].body);
  }
  std::size_t hits = 0;
  for (auto _ : state) {
    for (const auto& ft : folded) {
      const std::string_view t = ft.folded();
      for (const auto& w : ft.words()) {
        const std::string_view word = t.substr(w.begin, w.end - w.begin);
        hits += cc.words.find(word).size();
        if (word.size() >= 3) hits += cc.prefixes.find(word.substr(0, 3)).size();
      }
    }
  }
  benchmark::DoNotOptimize(hits);
  state.counters["hits_per_article"] =
      static_cast<double>(hits) / static_cast<double>(state.iterations() * c.articles.size());
  set_throughput(state, c.text_bytes);
}

// The regex prefilter's multi-literal scan (the literal scanner over the folded text).
void BM_AtomScan(benchmark::State& state) {
  const Corpus& c = corpus();
  const auto rs = rules(static_cast<std::size_t>(state.range(0)), nb::RuleProfile::kRegexHeavy);
  const auto& cc = rs->compiled();
  std::vector<newswatch::text::FoldedText> folded(c.articles.size());
  for (std::size_t i = 0; i < c.articles.size(); ++i) folded[i].assign(c.articles[i].body);
  std::size_t hits = 0;
  for (auto _ : state) {
    for (const auto& ft : folded) cc.atoms.scan(ft.folded(), [&](std::uint32_t) { ++hits; });
  }
  benchmark::DoNotOptimize(hits);
  std::size_t body_bytes = 0;
  for (const auto& a : c.articles) body_bytes += a.body.size();
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body_bytes));
}

// Hyperscan over the same literals (peer b), on pre-folded text: the scan yardstick.
void BM_HyperscanScan(benchmark::State& state) {
  const Corpus& c = corpus();
  const auto rs = rules(static_cast<std::size_t>(state.range(0)), nb::RuleProfile::kMixed);
  std::string error;
  const auto hs = nb::HyperscanLiterals::build(*rs, error);
  if (!hs) {
    state.SkipWithError(error.c_str());
    return;
  }
  nb::HyperscanLiterals::Scratch scratch(*hs);
  std::vector<newswatch::text::FoldedText> folded(c.articles.size() * 2);
  for (std::size_t i = 0; i < c.articles.size(); ++i) {
    folded[2 * i].assign(c.articles[i].title);
    folded[2 * i + 1].assign(c.articles[i].body);
  }
  nb::HyperscanLiterals::Hits hits;
  for (auto _ : state) {
    for (const auto& ft : folded) hs->scan(ft.folded(), scratch, hits);
  }
  state.counters["hits_per_article"] = static_cast<double>(hits.accepted) /
                                       static_cast<double>(state.iterations() * c.articles.size());
  set_throughput(state, c.text_bytes);
}

// Full match (fold + scan + verify + regexes + rule evaluation) of decoded articles.
void BM_Match(benchmark::State& state, nb::RuleProfile profile) {
  const Corpus& c = corpus();
  const auto rs = rules(static_cast<std::size_t>(state.range(0)), profile);
  nm::Matcher matcher;
  nm::MatchOutput out;
  std::size_t matches = 0;
  std::size_t evaluated = 0;
  for (auto _ : state) {
    for (const auto& a : c.articles) {
      matcher.match(*rs, a, out);
      matches += out.matches.size();
      evaluated += out.stats.rules_evaluated;
    }
  }
  const double n = static_cast<double>(state.iterations() * c.articles.size());
  state.counters["matches_per_article"] = static_cast<double>(matches) / n;
  state.counters["rules_evaluated_per_article"] = static_cast<double>(evaluated) / n;
  set_throughput(state, c.text_bytes);
}

// Decode + match, what a worker does per message.
void BM_DecodeMatch(benchmark::State& state) {
  const Corpus& c = corpus();
  const auto rs = rules(static_cast<std::size_t>(state.range(0)), nb::RuleProfile::kMixed);
  ArticleDecoder decoder;
  Article a;
  nm::Matcher matcher;
  nm::MatchOutput out;
  for (auto _ : state) {
    for (const auto& j : c.json) {
      if (!decoder.decode(j, a)) matcher.match(*rs, a, out);
    }
  }
  set_throughput(state, c.text_bytes);
}

// Loading and compiling a rule set from YAML sources (what hot reload does off the hot path).
void BM_Compile(benchmark::State& state) {
  nb::RuleSetSpec spec;
  spec.rules = static_cast<std::size_t>(state.range(0));
  std::vector<nm::SourceFile> files;
  for (auto& f : nb::generate_rule_set(spec)) files.push_back({f.path, std::move(f.content)});
  for (auto _ : state) {
    nm::LoadResult r = nm::load_rule_set_from_sources(files, "/nonexistent");
    benchmark::DoNotOptimize(r.rules.get());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * spec.rules));
}

void register_all() {
  const std::vector<std::int64_t> counts =
      g_smoke ? std::vector<std::int64_t>{100} : std::vector<std::int64_t>{100, 1000, 10000};
  const std::int64_t mid = g_smoke ? 100 : 1000;
  benchmark::RegisterBenchmark("BM_Decode", BM_Decode)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_Fold", BM_Fold)->Unit(benchmark::kMillisecond);
  for (auto n : counts) {
    benchmark::RegisterBenchmark("BM_WordIndexScan", BM_WordIndexScan)
        ->Arg(n)
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::RegisterBenchmark("BM_AtomScan", BM_AtomScan)->Arg(mid)->Unit(benchmark::kMillisecond);
  for (auto n : counts) {
    benchmark::RegisterBenchmark("BM_HyperscanScan", BM_HyperscanScan)
        ->Arg(n)
        ->Unit(benchmark::kMillisecond);
  }
  for (auto n : counts) {
    benchmark::RegisterBenchmark("BM_Match/mixed", BM_Match, nb::RuleProfile::kMixed)
        ->Arg(n)
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::RegisterBenchmark("BM_Match/near_heavy", BM_Match, nb::RuleProfile::kNearHeavy)
      ->Arg(mid)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_Match/regex_heavy", BM_Match, nb::RuleProfile::kRegexHeavy)
      ->Arg(mid)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_Match/literal_only", BM_Match, nb::RuleProfile::kLiteral)
      ->Arg(mid)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_DecodeMatch", BM_DecodeMatch)
      ->Arg(mid)
      ->Unit(benchmark::kMillisecond);
  for (auto n : counts) {
    if (n > 1000 && !g_smoke) {
      benchmark::RegisterBenchmark("BM_Compile", BM_Compile)
          ->Arg(n)
          ->Unit(benchmark::kMillisecond)
          ->Iterations(1);
    } else {
      benchmark::RegisterBenchmark("BM_Compile", BM_Compile)->Arg(n)->Unit(benchmark::kMillisecond);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--smoke") == 0) {
      g_smoke = true;
    } else {
      args.push_back(argv[i]);
    }
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
