// nw_e2e: end-to-end throughput of one engine over a JSON Lines corpus, on one thread.
//
//   nw_e2e --engine newswatch|naive|hyperscan --rules DIR --corpus FILE
//          [--limit N] [--passes K] [--pairs OUT.tsv] [--breakdown]
//
// The corpus is read into memory first (not timed). Each article is then decoded (simdjson,
// newswatch's ArticleDecoder) and matched; the time of each article is recorded. Prints one
// JSON object on stdout: articles/s and MB/s of article text (title + body bytes of the
// decoded original view) from the thread's CPU time and from wall time, p50/p99 per-article
// latency, the cold start (first article, first 100 articles), rule-set load/compile time,
// RSS, and engine-specific counters.
//
// Engines:
//   newswatch  load_rule_set + Matcher::match (what `newswatch match` and the daemon run)
//   naive      peer (a): peers/naive_re2.h, every RE2 of every rule on every article
//   hyperscan  peer (b): peers/hyperscan_literals.h, fold + one literal scan per field
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/decode/decoder.h"
#include "daemon/match/matcher.h"
#include "daemon/match/rule_set.h"
#include "daemon/text/fold.h"

#include "benchmarks/harness/common.h"
#include "benchmarks/harness/rule_source.h"
#include "benchmarks/peers/hyperscan_literals.h"
#include "benchmarks/peers/naive_re2.h"

namespace nb = newswatch::bench;
using newswatch::decode::Article;
using newswatch::decode::ArticleDecoder;
using newswatch::decode::DecodeOptions;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  std::string engine;
  std::string rules;
  std::string corpus;
  std::size_t limit = 0;
  int passes = 1;
  std::string pairs;
  bool breakdown = false;
};

int usage() {
  std::fprintf(
      stderr,
      "usage: nw_e2e --engine newswatch|naive|hyperscan --rules DIR --corpus FILE [--limit N] "
      "[--passes K] [--pairs OUT.tsv] [--breakdown]\n");
  return 2;
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// What every engine reports.
struct Run {
  std::size_t articles = 0;
  std::size_t decode_errors = 0;
  std::size_t text_bytes = 0;
  double cpu_seconds = 0;
  double wall_seconds = 0;
  std::vector<double> latency_us;     // every article of every pass
  std::vector<double> ns_per_byte;    // per article, first pass
  std::vector<double> pass_mb_per_s;  // CPU-based, per pass
  std::uint64_t matches = 0;          // (rule, article) pairs (or accepted hits for hyperscan)
};

// Runs `per_article(message, article, index)` over the corpus `passes` times.
template <class PerArticle>
Run timed_loop(const std::vector<std::string>& corpus, int passes, PerArticle&& per_article) {
  Run run;
  DecodeOptions dopt;
  dopt.max_message_bytes = 16u << 20;
  ArticleDecoder decoder(dopt);
  Article article;
  const double cpu0 = nb::thread_cpu_seconds();
  const auto wall0 = Clock::now();
  for (int pass = 0; pass < passes; ++pass) {
    const double pass_cpu0 = nb::thread_cpu_seconds();
    std::size_t pass_bytes = 0;
    for (std::size_t i = 0; i < corpus.size(); ++i) {
      const auto t0 = Clock::now();
      if (decoder.decode(corpus[i], article)) {
        ++run.decode_errors;
        continue;
      }
      run.matches += per_article(article, i, pass);
      const double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
      const std::size_t bytes = article.title.size() + article.body.size();
      run.latency_us.push_back(us);
      if (pass == 0)
        run.ns_per_byte.push_back(bytes ? us * 1000.0 / static_cast<double>(bytes) : 0);
      run.text_bytes += bytes;
      pass_bytes += bytes;
      ++run.articles;
    }
    const double pass_cpu = nb::thread_cpu_seconds() - pass_cpu0;
    run.pass_mb_per_s.push_back(pass_cpu > 0 ? static_cast<double>(pass_bytes) / pass_cpu / 1e6
                                             : 0);
  }
  run.cpu_seconds = nb::thread_cpu_seconds() - cpu0;
  run.wall_seconds = seconds_since(wall0);
  return run;
}

void report_run(nb::JsonWriter& j, Run& run) {
  const double mb = static_cast<double>(run.text_bytes) / 1e6;
  j.key("articles").value(static_cast<std::uint64_t>(run.articles));
  j.key("decode_errors").value(static_cast<std::uint64_t>(run.decode_errors));
  j.key("text_mb").value(mb);
  j.key("cpu_s").value(run.cpu_seconds);
  j.key("wall_s").value(run.wall_seconds);
  j.key("articles_per_s_cpu")
      .value(run.cpu_seconds > 0 ? static_cast<double>(run.articles) / run.cpu_seconds : 0.0);
  j.key("mb_per_s_cpu").value(run.cpu_seconds > 0 ? mb / run.cpu_seconds : 0.0);
  j.key("articles_per_s_wall")
      .value(run.wall_seconds > 0 ? static_cast<double>(run.articles) / run.wall_seconds : 0.0);
  j.key("mb_per_s_wall").value(run.wall_seconds > 0 ? mb / run.wall_seconds : 0.0);
  j.key("pass_mb_per_s_cpu").begin_array();
  for (double v : run.pass_mb_per_s) j.value(v);
  j.end_array();
  j.key("matches").value(run.matches);
  // Cold start: the first article and the first 100 articles against the whole first pass,
  // in ns per byte of text (so article length does not matter).
  if (!run.ns_per_byte.empty()) {
    std::vector<double> all = run.ns_per_byte;
    const double median_all = nb::quantile(all, 0.5);
    std::vector<double> first100(
        run.ns_per_byte.begin(),
        run.ns_per_byte.begin() +
            static_cast<std::ptrdiff_t>(std::min<std::size_t>(100, run.ns_per_byte.size())));
    const double median_first100 = nb::quantile(first100, 0.5);
    j.key("first_article_us").value(run.latency_us.front());
    j.key("first_article_ns_per_byte").value(run.ns_per_byte.front());
    j.key("median_ns_per_byte").value(median_all);
    j.key("first100_median_ns_per_byte").value(median_first100);
    j.key("cold_ratio_first100").value(median_all > 0 ? median_first100 / median_all : 0.0);
    j.key("cold_ratio_first_article")
        .value(median_all > 0 ? run.ns_per_byte.front() / median_all : 0.0);
  }
  std::vector<double> lat = run.latency_us;
  j.key("p50_us").value(nb::quantile(lat, 0.5));
  j.key("p99_us").value(nb::quantile(lat, 0.99));
  j.key("max_us").value(lat.empty() ? 0.0 : lat.back());
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--breakdown") {
      o.breakdown = true;
      continue;
    }
    if ((v = next()) == nullptr) return usage();
    if (a == "--engine")
      o.engine = v;
    else if (a == "--rules")
      o.rules = v;
    else if (a == "--corpus")
      o.corpus = v;
    else if (a == "--limit")
      o.limit = std::strtoull(v, nullptr, 10);
    else if (a == "--passes")
      o.passes = std::max(1, std::atoi(v));
    else if (a == "--pairs")
      o.pairs = v;
    else
      return usage();
  }
  if (o.engine.empty() || o.rules.empty() || o.corpus.empty()) return usage();

  std::vector<std::string> corpus;
  std::string error;
  if (!nb::read_lines(o.corpus, corpus, error, o.limit)) {
    std::fprintf(stderr, "nw_e2e: %s\n", error.c_str());
    return 2;
  }
  const std::size_t rss_corpus = nb::rss_bytes();

  nb::JsonWriter j;
  j.begin_object();
  j.key("engine").value(o.engine);
  j.key("rules_dir").value(o.rules);
  j.key("corpus").value(o.corpus);
  j.key("load_average_start").value(nb::load_average());

  std::unique_ptr<std::ofstream> pairs;
  if (!o.pairs.empty()) pairs = std::make_unique<std::ofstream>(o.pairs, std::ios::binary);
  Run run;

  if (o.engine == "newswatch" || o.engine == "hyperscan") {
    const auto t0 = Clock::now();
    const double c0 = nb::thread_cpu_seconds();
    newswatch::match::LoadResult loaded = newswatch::match::load_rule_set(o.rules);
    const double load_wall = seconds_since(t0);
    const double load_cpu = nb::thread_cpu_seconds() - c0;
    if (!loaded.rules) {
      std::fprintf(stderr, "nw_e2e: rules in %s do not load\n", o.rules.c_str());
      for (const auto& d : loaded.diagnostics) std::fprintf(stderr, "%s\n", d.to_string().c_str());
      return 1;
    }
    const auto& rules = *loaded.rules;
    j.key("rules").value(static_cast<std::uint64_t>(rules.enabled_rule_count()));
    j.key("load_s_wall").value(load_wall);
    j.key("load_s_cpu").value(load_cpu);
    j.key("compile_s").value(std::chrono::duration<double>(rules.compile_time()).count());
    j.key("leaves").value(static_cast<std::uint64_t>(rules.stats().leaves));
    j.key("words_indexed").value(static_cast<std::uint64_t>(rules.stats().words_indexed));
    j.key("regexes").value(static_cast<std::uint64_t>(rules.stats().regexes));
    j.key("unfiltered_regexes").value(static_cast<std::uint64_t>(rules.stats().unfiltered_regexes));
    j.key("groups").value(static_cast<std::uint64_t>(rules.stats().groups));
    j.key("gate_leaves").value(static_cast<std::uint64_t>(rules.stats().gate_leaves));
    j.key("eager_regexes").value(rules.stats().eager_regexes);
    j.key("ruleset_memory_mb").value(static_cast<double>(rules.stats().memory_bytes) / 1e6);
    j.key("rss_rules_mb")
        .value(static_cast<double>(nb::rss_bytes() - std::min(nb::rss_bytes(), rss_corpus)) / 1e6);

    if (o.engine == "newswatch") {
      newswatch::match::Matcher matcher;
      newswatch::match::MatchOutput out;
      std::uint64_t evaluated = 0;
      std::uint64_t regexes_run = 0;
      std::uint64_t words = 0;
      run = timed_loop(corpus, o.passes,
                       [&](const Article& a, std::size_t, int pass) -> std::uint64_t {
                         matcher.match(rules, a, out);
                         evaluated += out.stats.rules_evaluated;
                         regexes_run += out.stats.regexes_run;
                         words += out.stats.words;
                         if (pairs && pass == 0) {
                           for (const auto& m : out.matches)
                             *pairs << rules.rules()[m.rule].id << '\t' << a.id << '\n';
                         }
                         return out.matches.size();
                       });
      j.key("rules_evaluated_per_article")
          .value(run.articles ? static_cast<double>(evaluated) / run.articles : 0.0);
      j.key("regexes_run_per_article")
          .value(run.articles ? static_cast<double>(regexes_run) / run.articles : 0.0);
      j.key("words_per_article")
          .value(run.articles ? static_cast<double>(words) / run.articles : 0.0);
      if (o.breakdown) {
        // Stage costs: decode alone, decode + fold (the views the matcher builds), on the
        // same articles. Matching alone is the total minus decode + fold.
        newswatch::text::FoldedText ft[2];
        Run decode_only = timed_loop(
            corpus, 1, [](const Article&, std::size_t, int) -> std::uint64_t { return 0; });
        Run decode_fold =
            timed_loop(corpus, 1, [&](const Article& a, std::size_t, int) -> std::uint64_t {
              ft[0].assign(a.title);
              ft[1].assign(a.body);
              return ft[1].words().size();
            });
        const double per_pass_cpu = run.cpu_seconds / o.passes;
        const double mb = static_cast<double>(decode_only.text_bytes) / 1e6;
        j.key("breakdown").begin_object();
        j.key("decode_mb_per_s_cpu").value(mb / decode_only.cpu_seconds);
        j.key("fold_mb_per_s_cpu")
            .value(mb / std::max(1e-9, decode_fold.cpu_seconds - decode_only.cpu_seconds));
        j.key("match_after_fold_mb_per_s_cpu")
            .value(mb / std::max(1e-9, per_pass_cpu - decode_fold.cpu_seconds));
        j.key("decode_share").value(decode_only.cpu_seconds / per_pass_cpu);
        j.key("fold_share")
            .value((decode_fold.cpu_seconds - decode_only.cpu_seconds) / per_pass_cpu);
        j.key("match_share").value((per_pass_cpu - decode_fold.cpu_seconds) / per_pass_cpu);
        j.end_object();
      }
    } else {
      const auto hs = nb::HyperscanLiterals::build(rules, error);
      if (!hs) {
        std::fprintf(stderr, "nw_e2e: %s\n", error.c_str());
        return 1;
      }
      j.key("hs_compile_s").value(hs->compile_seconds());
      j.key("hs_words").value(static_cast<std::uint64_t>(hs->words()));
      j.key("hs_prefixes").value(static_cast<std::uint64_t>(hs->prefixes()));
      j.key("hs_atoms").value(static_cast<std::uint64_t>(hs->atoms()));
      j.key("hs_database_mb").value(static_cast<double>(hs->database_bytes()) / 1e6);
      nb::HyperscanLiterals::Scratch scratch(*hs);
      nb::HyperscanLiterals::Hits hits;
      newswatch::text::FoldedText ft;
      double scan_seconds = 0;
      std::size_t folded_bytes = 0;
      run = timed_loop(corpus, o.passes, [&](const Article& a, std::size_t, int) -> std::uint64_t {
        const std::uint64_t before = hits.accepted;
        for (const std::string* field : {&a.title, &a.body}) {
          ft.assign(*field);
          const auto s0 = Clock::now();
          hs->scan(ft.folded(), scratch, hits);
          scan_seconds += seconds_since(s0);
          folded_bytes += ft.folded().size();
        }
        return hits.accepted - before;
      });
      j.key("hs_raw_hits").value(hits.raw);
      j.key("scan_only_wall_s").value(scan_seconds);
      j.key("scan_only_mb_per_s_wall")
          .value(static_cast<double>(run.text_bytes) / 1e6 / scan_seconds);
      j.key("folded_mb").value(static_cast<double>(folded_bytes) / 1e6);
    }
  } else if (o.engine == "naive") {
    const auto t0 = Clock::now();
    const double c0 = nb::thread_cpu_seconds();
    auto src = nb::read_rule_source(o.rules, error);
    if (!src) {
      std::fprintf(stderr, "nw_e2e: %s\n", error.c_str());
      return 1;
    }
    nb::NaiveMatcher naive(*src);
    j.key("rules").value(static_cast<std::uint64_t>(naive.rule_ids().size()));
    j.key("load_s_wall").value(seconds_since(t0));
    j.key("load_s_cpu").value(nb::thread_cpu_seconds() - c0);
    j.key("compile_s").value(nb::thread_cpu_seconds() - c0);
    j.key("naive_regexes").value(static_cast<std::uint64_t>(naive.regex_count()));
    j.key("naive_skipped_rules").value(static_cast<std::uint64_t>(naive.skipped_rules()));
    for (const auto& e : naive.errors()) std::fprintf(stderr, "nw_e2e: naive: %s\n", e.c_str());
    j.key("rss_rules_mb")
        .value(static_cast<double>(nb::rss_bytes() - std::min(nb::rss_bytes(), rss_corpus)) / 1e6);
    nb::NaiveMatcher::Scratch scratch;
    std::vector<std::uint32_t> matched;
    run =
        timed_loop(corpus, o.passes, [&](const Article& a, std::size_t, int pass) -> std::uint64_t {
          matched.clear();
          naive.match(a, scratch, matched);
          if (pairs && pass == 0) {
            for (std::uint32_t r : matched) *pairs << naive.rule_ids()[r] << '\t' << a.id << '\n';
          }
          return matched.size();
        });
  } else {
    return usage();
  }

  report_run(j, run);
  j.key("peak_rss_mb").value(static_cast<double>(nb::peak_rss_bytes()) / 1e6);
  j.key("corpus_rss_mb").value(static_cast<double>(rss_corpus) / 1e6);
  j.key("load_average_end").value(nb::load_average());
  j.end_object();
  std::printf("%s\n", j.str().c_str());
  return 0;
}
