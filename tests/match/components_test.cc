// The matcher's building blocks: word index, literal scanner, deduplicator, explain, rule tests.
#include <algorithm>
#include <iterator>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "daemon/match/dedup.h"
#include "daemon/match/explain.h"
#include "daemon/match/literal_scanner.h"
#include "daemon/match/rule_tests.h"
#include "daemon/match/word_index.h"

#include "tests/match/test_support.h"

namespace newswatch::match {
namespace {

TEST(WordIndex, FindsEveryKeyAndNothingElse) {
  WordIndexBuilder b;
  for (std::uint32_t i = 0; i < 5000; ++i) b.add("w" + std::to_string(i), i);
  b.add("w7", 99999);
  b.add("", 42);
  const WordIndex idx = b.build();
  EXPECT_EQ(idx.size(), 5001u);
  for (std::uint32_t i = 0; i < 5000; ++i) {
    const auto v = idx.find("w" + std::to_string(i));
    ASSERT_FALSE(v.empty()) << i;
    EXPECT_EQ(v[0], i);
  }
  const auto seven = idx.find("w7");
  ASSERT_EQ(seven.size(), 2u);
  EXPECT_EQ(seven[1], 99999u);
  EXPECT_EQ(idx.find("").size(), 1u);
  EXPECT_TRUE(idx.find("w5000").empty());
  EXPECT_TRUE(idx.find("w").empty());
  EXPECT_TRUE(idx.find("a much longer word than any key").empty());
  EXPECT_TRUE(WordIndex().find("x").empty());
}

TEST(LiteralScanner, ReportsOverlappingAndNestedPatterns) {
  const std::vector<std::string> patterns{"he", "she", "his", "hers", "", "x"};
  const LiteralScanner scanner(patterns);
  std::multiset<std::uint32_t> found;
  scanner.scan("ushers", [&](std::uint32_t p) { found.insert(p); });
  EXPECT_EQ(found, (std::multiset<std::uint32_t>{0, 1, 3}));
  found.clear();
  scanner.scan("", [&](std::uint32_t p) { found.insert(p); });
  EXPECT_TRUE(found.empty());
  found.clear();
  scanner.scan("xxhis", [&](std::uint32_t p) { found.insert(p); });
  EXPECT_EQ(found, (std::multiset<std::uint32_t>{5, 5, 2}));
  found.clear();
  scanner.scan("his", [&](std::uint32_t p) { found.insert(p); });  // a pattern is the text
  EXPECT_EQ(found, (std::multiset<std::uint32_t>{2}));
  EXPECT_TRUE(LiteralScanner().empty());
  EXPECT_TRUE(LiteralScanner(std::vector<std::string>{""}).empty());
}

std::multiset<std::uint32_t> naive_occurrences(const std::vector<std::string>& patterns,
                                               const std::string& text) {
  std::multiset<std::uint32_t> want;
  for (std::uint32_t p = 0; p < patterns.size(); ++p) {
    if (patterns[p].empty()) continue;
    for (auto at = text.find(patterns[p]); at != std::string::npos;
         at = text.find(patterns[p], at + 1)) {
      want.insert(p);
    }
  }
  return want;
}

TEST(LiteralScanner, AgreesWithNaiveSearch) {
  const std::vector<std::string> patterns{
      "ban",   "banque", "anq", "que",  "e c",
      "centr", "al",     "q",   "banq", "ban"};  // "ban" twice: both report
  const LiteralScanner scanner(patterns);
  const std::string text = "la banque centrale et les banques centrales alq";
  std::multiset<std::uint32_t> got;
  scanner.scan(text, [&](std::uint32_t p) { got.insert(p); });
  EXPECT_EQ(got, naive_occurrences(patterns, text));
}

// Random patterns and texts over a small alphabet (with UTF-8 bytes, so that prefixes share
// bytes and the filter's buckets collide), many patterns sharing a prefix, texts shorter than
// a pattern and matches at the very end.
TEST(LiteralScanner, AgreesWithNaiveSearchOnRandomInput) {
  const std::string alphabet[] = {"a", "b", "c", " ", "\xC3\xA9", "\xE2\x80\x99"};
  std::mt19937 rng(7);
  auto random_string = [&](std::size_t max_units) {
    std::string s;
    const std::size_t units = 1 + rng() % max_units;
    for (std::size_t i = 0; i < units; ++i) s += alphabet[rng() % std::size(alphabet)];
    return s;
  };
  for (int round = 0; round < 200; ++round) {
    std::vector<std::string> patterns;
    const std::size_t count = 1 + rng() % (round < 100 ? 8 : 600);
    for (std::size_t i = 0; i < count; ++i) patterns.push_back(random_string(6));
    const LiteralScanner scanner(patterns);
    for (int t = 0; t < 5; ++t) {
      const std::string text = random_string(t == 0 ? 3 : 200);
      std::multiset<std::uint32_t> got;
      scanner.scan(text, [&](std::uint32_t p) { got.insert(p); });
      ASSERT_EQ(got, naive_occurrences(patterns, text)) << "round " << round << " text " << t;
    }
  }
}

TEST(Dedup, WindowPerRuleAndKey) {
  Rule r;
  r.id = "r";
  r.dedup_window = std::chrono::seconds(60);
  decode::Article a;
  a.id = "a1";
  a.url = "https://x/1";
  Deduplicator d(1000);
  EXPECT_TRUE(d.admit(r, a, 0));
  EXPECT_FALSE(d.admit(r, a, 59'999));
  EXPECT_TRUE(d.admit(r, a, 60'000));  // window elapsed
  Rule other = r;
  other.id = "other";
  EXPECT_TRUE(d.admit(other, a, 60'001));  // per rule
  decode::Article b = a;
  b.id = "a2";
  EXPECT_TRUE(d.admit(r, b, 60'002));  // per article
}

TEST(Dedup, UrlAndTitleKeys) {
  Rule r;
  r.id = "r";
  r.dedup_key = DedupKey::kUrl;
  decode::Article a;
  a.id = "1";
  a.url = "https://x/";
  decode::Article b = a;
  b.id = "2";
  Deduplicator d(1000);
  EXPECT_TRUE(d.admit(r, a, 0));
  EXPECT_FALSE(d.admit(r, b, 1));  // same url, other id
  r.dedup_key = DedupKey::kTitle;
  a.title = "Cyberattaque contre une BANQUE";
  b.title = "cyberattaque contre une banque";
  EXPECT_TRUE(d.admit(r, a, 2));
  EXPECT_FALSE(d.admit(r, b, 3));  // same folded title
}

TEST(Dedup, ZeroWindowAndDisabled) {
  Rule r;
  r.id = "r";
  r.dedup_window = std::chrono::seconds(0);
  decode::Article a;
  a.id = "1";
  Deduplicator d(1000);
  EXPECT_TRUE(d.admit(r, a, 0));
  EXPECT_TRUE(d.admit(r, a, 1));
  r.dedup_window = std::chrono::seconds(60);
  Deduplicator off(0);
  EXPECT_TRUE(off.admit(r, a, 0));
  EXPECT_TRUE(off.admit(r, a, 1));
}

TEST(Dedup, ADuplicateOfAPendingAlertWaitsForIt) {
  Rule r;
  r.id = "r";
  decode::Article a;
  a.id = "a1";
  Deduplicator d(1000);
  std::vector<std::uint64_t> waited_on;
  const auto on_pending = [&](std::uint64_t t) { waited_on.push_back(t); };
  const auto first = d.admit(r, a, 0, 1, on_pending);
  EXPECT_EQ(first.verdict, Deduplicator::Verdict::kEmit);
  EXPECT_TRUE(first.tracked);
  // In flight: the duplicate is suppressed but told which delivery it depends on.
  EXPECT_EQ(d.admit(r, a, 1, 2, on_pending).verdict, Deduplicator::Verdict::kWait);
  EXPECT_EQ(waited_on, std::vector<std::uint64_t>{1});
  d.settle(first.key, 99, true);  // another ticket: no effect
  EXPECT_EQ(d.admit(r, a, 2, 3, on_pending).verdict, Deduplicator::Verdict::kWait);
  d.settle(first.key, 1, true);
  // Delivered: plain suppression for the rest of the window, no waiting.
  EXPECT_EQ(d.admit(r, a, 3, 4, on_pending).verdict, Deduplicator::Verdict::kSuppress);
  EXPECT_EQ(waited_on, (std::vector<std::uint64_t>{1, 1}));
  EXPECT_FALSE(d.admit(r, a, 4));
}

TEST(Dedup, AGivenUpAlertForgetsItsKey) {
  Rule r;
  r.id = "r";
  decode::Article a;
  a.id = "a1";
  Deduplicator d(1000);
  const auto none = [](std::uint64_t) { FAIL() << "nothing is pending"; };
  const auto first = d.admit(r, a, 0, 1, none);
  ASSERT_EQ(first.verdict, Deduplicator::Verdict::kEmit);
  d.settle(first.key, 1, false);
  // The next copy is emitted again (and is pending under its own ticket).
  const auto again = d.admit(r, a, 1, 2, none);
  EXPECT_EQ(again.verdict, Deduplicator::Verdict::kEmit);
  EXPECT_EQ(again.key, first.key);
  d.settle(again.key, 1, false);  // the old ticket no longer owns the key
  EXPECT_EQ(d.admit(r, a, 2, 3, [](std::uint64_t t) { EXPECT_EQ(t, 2u); }).verdict,
            Deduplicator::Verdict::kWait);
}

TEST(Dedup, RulesWithoutDedupAreNotTracked) {
  Rule r;
  r.id = "r";
  r.dedup_window = std::chrono::seconds(0);
  decode::Article a;
  a.id = "a1";
  Deduplicator d(1000);
  const auto none = [](std::uint64_t) { FAIL() << "nothing is pending"; };
  for (std::uint64_t t = 1; t <= 3; ++t) {
    const auto adm = d.admit(r, a, 0, t, none);
    EXPECT_EQ(adm.verdict, Deduplicator::Verdict::kEmit);
    EXPECT_FALSE(adm.tracked);
  }
  EXPECT_EQ(d.size(), 0u);
}

TEST(Dedup, MemoryIsBounded) {
  Rule r;
  r.id = "r";
  Deduplicator d(160);
  decode::Article a;
  for (int i = 0; i < 10000; ++i) {
    a.id = std::to_string(i);
    EXPECT_TRUE(d.admit(r, a, i));
  }
  EXPECT_LE(d.size(), 160u);
  EXPECT_GE(d.evictions(), 10000u - 160u);
}

TEST(Dedup, ConcurrentAdmitsAdmitEachKeyOnce) {
  Rule r;
  r.id = "r";
  Deduplicator d(100000);
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      decode::Article a;
      for (int i = 0; i < 2000; ++i) {
        a.id = std::to_string(i);
        if (d.admit(r, a, 0)) admitted.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(admitted.load(), 2000);
}

TEST(Explain, ShowsLeavesOperatorsAndNear) {
  auto rules =
      testing::rule("@brands AND (europe OR asie) AND NOT amazon AND banque NEAR/2 attaque",
                    "  brands: [alibaba, aliexpress*, alipay]\n");
  ASSERT_TRUE(rules);
  Matcher m;
  const auto a = testing::article("AliExpress en Europe", "la banque x y z attaque");
  const Explanation e = explain(m, *rules, 0, a);
  EXPECT_FALSE(e.fired);
  const std::string text = render_explanation(e);
  EXPECT_NE(text.find("rule r: did not fire"), std::string::npos) << text;
  EXPECT_NE(text.find("✔ @brands"), std::string::npos) << text;
  EXPECT_NE(text.find("1 of 3 entries found"), std::string::npos) << text;
  EXPECT_NE(text.find("aliexpress*  title 0..10 \"AliExpress\""), std::string::npos) << text;
  EXPECT_NE(text.find("✘ asie"), std::string::npos) << text;
  EXPECT_NE(text.find("closest pair: 3 words between (limit 2)"), std::string::npos) << text;
  const std::string summary = summarize_leaves(e);
  EXPECT_NE(summary.find("found: @brands (\"AliExpress\" in title)"), std::string::npos) << summary;
  EXPECT_NE(summary.find("not found: asie"), std::string::npos) << summary;
}

TEST(RuleTests, PassingAndFailingFixturesWithReasons) {
  const LoadResult r = testing::load_yaml(R"(
lists:
  fin: [banque*, assur*]
rules:
  - id: good
    query: alibaba AND @fin
    tests:
      match: [{title: Alibaba, body: "les banques"}]
      no_match: [{title: Alibaba}]
  - id: bad
    query: alibaba AND @fin
    tests:
      match: [{title: Alibaba, body: "rien"}]
      no_match: [{title: "Alibaba assure"}]
)");
  ASSERT_TRUE(r.rules) << testing::diagnostics_text(r);
  const RuleTestReport report = run_rule_tests(*r.rules);
  EXPECT_EQ(report.rules_with_tests, 2u);
  EXPECT_EQ(report.articles, 4u);
  ASSERT_EQ(report.failures.size(), 2u);
  const std::string first = format_failure(*r.rules, report.failures[0]);
  EXPECT_NE(first.find("rules.yaml:13:15: rule bad: expected a match"), std::string::npos) << first;
  EXPECT_NE(first.find("found: alibaba (\"Alibaba\" in title); not found: @fin"), std::string::npos)
      << first;
  const std::string second = format_failure(*r.rules, report.failures[1]);
  EXPECT_NE(second.find("expected no match"), std::string::npos) << second;
  EXPECT_NE(second.find("@fin (\"assure\" in title)"), std::string::npos) << second;
}

}  // namespace
}  // namespace newswatch::match
