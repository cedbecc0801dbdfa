// Limits that keep hostile rule files and articles from exhausting the loader and the matcher
// (rule_set.h LoadLimits, query.h QueryLimits, matcher.h MatchOptions), each refused or capped
// with a clear message. Complements loader_test.cc (LoaderLimits: rules, list size and depth,
// regex program size, flow-style YAML depth, fixture escape) and matcher_test.cc.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "daemon/match/matcher.h"
#include "daemon/match/rule_set.h"
#include "daemon/yaml/document_scan.h"

#include "tests/match/test_support.h"

namespace newswatch::match {
namespace {

namespace fs = std::filesystem;
using testing::article;
using testing::diagnostics_text;

LoadResult load_with(const std::string& yaml, const LoadOptions& options) {
  const std::vector<SourceFile> files{{"rules.yaml", yaml}};
  return load_rule_set_from_sources(files, fs::temp_directory_path(), options);
}

std::size_t error_count(const LoadResult& r) {
  std::size_t n = 0;
  for (const auto& d : r.diagnostics) n += d.severity == Diagnostic::Severity::kError;
  return n;
}

// A fresh rules directory per test, removed afterwards.
class LimitsDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() /
            ("newswatch-limits-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    dir_ = base_ / "rules";
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(base_); }
  void write(const fs::path& p, const std::string& content) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
  }
  fs::path base_;
  fs::path dir_;
};

// ---- rule files ---------------------------------------------------------------------------

TEST_F(LimitsDirTest, TooManyRuleFiles) {
  for (int i = 0; i < 3; ++i) {
    write(dir_ / ("r" + std::to_string(i) + ".yaml"),
          "rules:\n  - {id: r" + std::to_string(i) + ", query: x" + std::to_string(i) + "}\n");
  }
  LoadOptions o;
  o.limits.max_files = 2;
  const LoadResult r = load_rule_set(dir_, o);
  EXPECT_FALSE(r.rules);
  EXPECT_NE(diagnostics_text(r).find("too many rule files (3; the limit is 2)"), std::string::npos)
      << diagnostics_text(r);
  o.limits.max_files = 3;
  EXPECT_TRUE(load_rule_set(dir_, o).rules);
}

TEST_F(LimitsDirTest, HugeRuleFileIsRefusedWithoutReadingIt) {
  std::string yaml = "rules:\n  - {id: a, query: alibaba}\n#";
  yaml.append(5000, 'x');
  write(dir_ / "huge.yaml", yaml);
  write(dir_ / "small.yaml", "rules:\n  - {id: b, query: amazon}\n");
  LoadOptions o;
  o.limits.max_file_bytes = 1000;
  const LoadResult r = load_rule_set(dir_, o);
  EXPECT_FALSE(r.rules);
  EXPECT_EQ(error_count(r), 1u) << diagnostics_text(r);
  const std::string all = diagnostics_text(r);
  EXPECT_NE(all.find("huge.yaml: file too large"), std::string::npos) << all;
  EXPECT_NE(all.find("the limit is 1000"), std::string::npos) << all;
}

TEST(Limits, HugeRuleSourceIsRefused) {
  std::string yaml = "rules:\n  - {id: a, query: alibaba}\n#";
  yaml.append(2000, 'x');
  LoadOptions o;
  o.limits.max_file_bytes = 1000;
  const LoadResult r = load_with(yaml, o);
  EXPECT_FALSE(r.rules);
  EXPECT_NE(diagnostics_text(r).find("rules.yaml: file too large (" + std::to_string(yaml.size()) +
                                     " bytes; the limit is 1000)"),
            std::string::npos)
      << diagnostics_text(r);
}

TEST_F(LimitsDirTest, HugeFixtureFileIsRefused) {
  std::string body(3000, 'a');
  write(dir_ / "big.json", R"({"title": "alibaba", "body": ")" + body + "\"}");
  write(dir_ / "r.yaml",
        "rules:\n  - id: a\n    query: alibaba\n    tests:\n      match:\n        - file: "
        "big.json\n");
  LoadOptions o;
  o.limits.max_file_bytes = 1000;
  const LoadResult r = load_rule_set(dir_, o);
  EXPECT_FALSE(r.rules);
  EXPECT_NE(diagnostics_text(r).find("r.yaml:6:17: fixture file 'big.json' is too large"),
            std::string::npos)
      << diagnostics_text(r);
  o.limits.max_file_bytes = 16u << 20;
  EXPECT_TRUE(load_rule_set(dir_, o).rules) << diagnostics_text(load_rule_set(dir_, o));
}

TEST_F(LimitsDirTest, FixtureSymlinkLeavingTheRulesDirectoryIsRefused) {
  write(base_ / "outside" / "secret.json", R"({"title": "alibaba secret", "body": "outside"})");
  fs::create_symlink(base_ / "outside" / "secret.json", dir_ / "link.json");
  fs::create_directories(dir_ / "fixtures");
  fs::create_directory_symlink(base_ / "outside", dir_ / "fixtures" / "up");
  write(dir_ / "r.yaml",
        "rules:\n  - id: a\n    query: alibaba\n    tests:\n      match:\n"
        "        - file: link.json\n        - file: fixtures/up/secret.json\n"
        "        - file: fixtures/../../outside/secret.json\n");
  const LoadResult r = load_rule_set(dir_);
  EXPECT_FALSE(r.rules);
  const std::string all = diagnostics_text(r);
  EXPECT_EQ(error_count(r), 3u) << all;
  EXPECT_NE(all.find("r.yaml:6:17: fixture path 'link.json' leaves the rules directory"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("r.yaml:7:17: fixture path 'fixtures/up/secret.json' leaves the rules"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("r.yaml:8:17: fixture path 'fixtures/../../outside/secret.json' leaves"),
            std::string::npos)
      << all;
}

TEST_F(LimitsDirTest, FixtureSymlinkInsideTheRulesDirectoryIsFine) {
  // Kubernetes ConfigMap volumes are made of symlinks into a hidden ..data directory.
  write(dir_ / "..data" / "fixtures" / "a.json", R"({"title": "alibaba", "body": "x"})");
  fs::create_directory_symlink("..data/fixtures", dir_ / "fixtures");
  write(dir_ / "r.yaml",
        "rules:\n  - id: a\n    query: alibaba\n    tests:\n      match:\n"
        "        - file: fixtures/a.json\n");
  const LoadResult r = load_rule_set(dir_);
  ASSERT_TRUE(r.rules) << diagnostics_text(r);
  EXPECT_EQ(r.rules->rules()[0].must_match.at(0).article.title, "alibaba");
}

TEST_F(LimitsDirTest, SymlinkLoopInTheRulesDirectoryTerminates) {
  write(dir_ / "r.yaml", "rules:\n  - {id: a, query: alibaba}\n");
  fs::create_directory_symlink(".", dir_ / "loop");
  const LoadResult r = load_rule_set(dir_);
  // Every copy of r.yaml reached through the loop defines rule `a` again: refused, not hung.
  EXPECT_FALSE(r.rules);
  EXPECT_NE(diagnostics_text(r).find("duplicate"), std::string::npos) << diagnostics_text(r);
}

TEST(Limits, DeeplyNestedBlockYamlIsRefusedBeforeParsing) {
  std::string yaml = "rules:\n";
  std::string indent = "  ";
  for (int i = 0; i < 200; ++i) {
    yaml += indent + "k" + std::to_string(i) + ":\n";
    indent += "  ";
  }
  yaml += indent + "x: 1\n";
  const LoadResult r = testing::load_yaml(yaml);
  EXPECT_FALSE(r.rules);
  EXPECT_NE(diagnostics_text(r).find("rules.yaml: YAML nested too deeply (the limit is 32 levels)"),
            std::string::npos)
      << diagnostics_text(r);
}

TEST(Limits, DeeplyNestedBlockSequencesAreRefused) {
  // Lines holding only '-' indicators nest one level each; the estimate that enforces the
  // 32-level limit before yaml-cpp parses (yaml-cpp's own guard is at 2,000 levels) used to
  // skip them.
  std::string yaml = "rules:\n";
  for (int i = 1; i <= 100; ++i) yaml += std::string(static_cast<std::size_t>(i) * 2, ' ') + "-\n";
  const LoadResult r = testing::load_yaml(yaml);
  EXPECT_FALSE(r.rules);
  EXPECT_NE(diagnostics_text(r).find("rules.yaml: YAML nested too deeply"), std::string::npos)
      << diagnostics_text(r);
  // Ordinary block sequences are not affected.
  EXPECT_TRUE(
      testing::load_yaml("rules:\n  -\n    id: a\n    query: x\n  - id: b\n    query: y\n").rules);
}

TEST(Limits, StrayCommaWhereADocumentStartsIsAnErrorNotAHang) {
  // yaml-cpp 0.7's YAML::LoadAll never returns on these (found by the rules fuzzer: a hot
  // reload of such a file would block the daemon's housekeeping thread for ever).
  for (const std::string yaml : {",", "rules: []\n---\n,", ",\nrules: []\n", "#c\n  ,  \n"}) {
    const auto start = std::chrono::steady_clock::now();
    const LoadResult r = testing::load_yaml(yaml);
    EXPECT_FALSE(r.rules) << yaml;
    EXPECT_EQ(error_count(r), 1u) << yaml << "\n" << diagnostics_text(r);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5)) << yaml;
  }
  EXPECT_NE(diagnostics_text(testing::load_yaml(","))
                .find("rules.yaml:1:1: YAML syntax error: "
                      "unexpected ',' where a document"),
            std::string::npos)
      << diagnostics_text(testing::load_yaml(","));
  EXPECT_NE(diagnostics_text(testing::load_yaml("rules: []\n---\n,"))
                .find("rules.yaml:3:1: a rule file holds one YAML document"),
            std::string::npos)
      << diagnostics_text(testing::load_yaml("rules: []\n---\n,"));
}

// ---- one parse for plain files ------------------------------------------------------------

// yaml::load_plain() lets the loader skip the document scan; it must only do so where the
// scan could report nothing (one document, no alias, no stray token).
TEST(Limits, PlainRuleFilesAreParsedOnceAndOthersAreScanned) {
  const std::vector<std::string> plain = {
      "rules: []\n", "# comment\nlists:\n  a: [x, 'y*']\nrules:\n  - {id: r, query: 'x*'}\n",
      "a:\nb: 1\n",
      "a: 1\n\"x\"",  // a second key, not a second document
  };
  const std::vector<std::string> scanned = {
      "",                             // empty: no mapping
      "rules: []\n---\nrules: []\n",  // a second document
      "---\nrules: []\n",             // an explicit first document
      "rules: []\n...\n",             // a document end
      "%YAML 1.2\n---\nrules: []\n",
      "a: &x 1\nb: *x\n",  // an alias
      "a: &x 1\n",         // an anchor: could be aliased
      "[a]\n[b]\n",        // a flow root: an implicit second document follows
      "{a: 1}\n{b: 2}\n",
      "\"x\"\n\"y\"\n",
      "  a: 1\nb: 2",  // a mapping out of column 0 ends before 'b'
      ",",             // a stray token
  };
  for (const std::string& text : plain) {
    const std::optional<YAML::Node> root = yaml::load_plain(text);
    ASSERT_TRUE(root.has_value()) << text;
    const yaml::DocumentScan scan = yaml::scan_documents(text);
    EXPECT_EQ(scan.starts.size(), 1u) << text;
    EXPECT_FALSE(scan.alias_found) << text;
    EXPECT_FALSE(scan.stray_token()) << text;
  }
  for (const std::string& text : scanned) {
    EXPECT_FALSE(yaml::load_plain(text).has_value()) << text;
  }
  // A syntax error is thrown as the scan would throw it.
  EXPECT_THROW(yaml::load_plain("a:\n  - x\n- y\n"), YAML::Exception);
}

// ---- YAML aliases ---------------------------------------------------------------------------

TEST(Limits, YamlAliasesAreRefused) {
  const LoadResult r = testing::load_yaml(
      "lists:\n  a: &words [alibaba, alipay]\n  b: *words\nrules:\n  - {id: r, query: '@a OR "
      "@b'}\n");
  EXPECT_FALSE(r.rules);
  EXPECT_EQ(error_count(r), 1u) << diagnostics_text(r);
  EXPECT_NE(diagnostics_text(r).find("rules.yaml:3:6: YAML aliases (*name) are not allowed"),
            std::string::npos)
      << diagnostics_text(r);
  // An anchor without an alias is harmless and still loads.
  EXPECT_TRUE(
      testing::load_yaml("lists:\n  a: &words [alibaba]\nrules:\n  - {id: r, query: '@a'}\n")
          .rules);
  // An undefined alias stays a syntax error (docs/rule-language.md tells how to quote '*wild').
  const LoadResult u =
      testing::load_yaml("lists:\n  a: [*wild]\nrules:\n  - {id: r, query: '@a'}\n");
  EXPECT_FALSE(u.rules);
  EXPECT_NE(diagnostics_text(u).find("YAML syntax error: the referenced anchor is not defined"),
            std::string::npos)
      << diagnostics_text(u);
}

TEST(Limits, AliasBombIsRefusedBeforeItExpands) {
  // 300 lists aliasing one list of 10,000 entries: 60 KB of YAML that the loader used to
  // expand into 3 million list entries (a 164 KB variant took 315 s and 9.5 GB).
  std::string yaml = "lists:\n  l0: &l [";
  for (int i = 0; i < 10'000; ++i) yaml += (i ? ",w" : "w") + std::to_string(i);
  yaml += "]\n";
  for (int i = 1; i < 300; ++i) yaml += "  l" + std::to_string(i) + ": *l\n";
  yaml += "rules:\n  - {id: r, query: w1}\n";
  const auto start = std::chrono::steady_clock::now();
  const LoadResult r = testing::load_yaml(yaml);
  EXPECT_FALSE(r.rules);
  EXPECT_NE(diagnostics_text(r).find("YAML aliases (*name) are not allowed"), std::string::npos)
      << diagnostics_text(r).substr(0, 500);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(Limits, AliasedTestArticlesAreRefused) {
  // One 100 KB test article aliased 2,000 times: 200 MB of fixtures from a 110 KB file.
  std::string yaml = "rules:\n  - id: r\n    query: xyz\n    tests:\n      match:\n";
  yaml += "        - &a {title: \"" + std::string(100'000, 'x') + " xyz\"}\n";
  for (int i = 0; i < 2000; ++i) yaml += "        - *a\n";
  const LoadResult r = testing::load_yaml(yaml);
  EXPECT_FALSE(r.rules);
  EXPECT_NE(diagnostics_text(r).find("rules.yaml:7:11: YAML aliases (*name) are not allowed"),
            std::string::npos)
      << diagnostics_text(r).substr(0, 500);
}

// ---- positions (found by the query fuzzer) --------------------------------------------------

TEST(FuzzRegressions, ExactPhraseSpanStartsAtTheEqualsSign) {
  // `="h"` used to get begin = (offset of '=') - 1: UINT32_MAX at the start of a query, so
  // begin > end, and diagnostics one column to the left elsewhere.
  const ParsedQuery p = parse_query("=\"h\"");
  ASSERT_TRUE(p.root);
  EXPECT_EQ(p.root->begin, 0u);
  EXPECT_EQ(p.root->end, 4u);
  const ParsedQuery q = parse_query("x OR =\"Société Générale\"");
  ASSERT_TRUE(q.root);
  ASSERT_EQ(q.root->children.size(), 2u);
  EXPECT_EQ(q.root->children[1].begin, 5u);
  // The loader reports a bad exact phrase at its '='.
  const LoadResult r = testing::load_yaml("rules:\n  - id: a\n    query: 'x OR =\"!!\"'\n");
  EXPECT_FALSE(r.rules);
  EXPECT_NE(diagnostics_text(r).find("rules.yaml:3:18: "), std::string::npos)
      << diagnostics_text(r);
}

// ---- queries in rule files ----------------------------------------------------------------

TEST(Limits, QueryTooLongInARuleFileIsReportedAtTheQuery) {
  LoadOptions o;
  o.limits.query.max_length = 40;
  std::string query;
  for (int i = 0; i < 10; ++i) query += (i ? " OR word" : "word") + std::to_string(i);
  const LoadResult r = load_with("rules:\n  - id: a\n    query: " + query + "\n", o);
  EXPECT_FALSE(r.rules);
  EXPECT_NE(diagnostics_text(r).find("rules.yaml:3:12: query too long (" +
                                     std::to_string(query.size()) + " bytes; the limit is 40)"),
            std::string::npos)
      << diagnostics_text(r);
  o.limits.query.max_length = query.size();
  EXPECT_TRUE(load_with("rules:\n  - id: a\n    query: " + query + "\n", o).rules);
}

TEST(Limits, DefaultQueryLengthLimit) {
  std::string query = "a";
  while (query.size() <= 16 * 1024) query += " OR a";
  const LoadResult r = testing::load_yaml("rules:\n  - id: a\n    query: '" + query + "'\n");
  EXPECT_FALSE(r.rules);
  EXPECT_NE(diagnostics_text(r).find("the limit is 16384"), std::string::npos)
      << diagnostics_text(r).substr(0, 300);
}

TEST(Limits, QueryNestedTooDeeplyInARuleFile) {
  const std::string deep = std::string(70, '(') + "a" + std::string(70, ')');
  const LoadResult r = testing::load_yaml("rules:\n  - id: a\n    query: '" + deep + "'\n");
  EXPECT_FALSE(r.rules);
  EXPECT_EQ(error_count(r), 1u) << diagnostics_text(r);
  EXPECT_NE(diagnostics_text(r).find("nested too deeply"), std::string::npos)
      << diagnostics_text(r);
  // 64 levels (the default) are fine.
  const std::string ok = std::string(64, '(') + "a" + std::string(64, ')');
  EXPECT_TRUE(testing::load_yaml("rules:\n  - id: a\n    query: '" + ok + "'\n").rules);
}

TEST(Limits, DeepNotChainIsRefusedNotRecursedInto) {
  std::string q;
  for (int i = 0; i < 1000; ++i) q += "NOT ";
  q += "a AND b";
  const LoadResult r = testing::load_yaml("rules:\n  - id: a\n    query: '" + q + "'\n");
  EXPECT_FALSE(r.rules);
  EXPECT_NE(diagnostics_text(r).find("nested too deeply"), std::string::npos);
}

// ---- regexes ------------------------------------------------------------------------------

TEST(Limits, RegexOverTheMemoryBudgetIsRefusedAtLoad) {
  // \pL expands to hundreds of UTF-8 ranges: a thousand of them do not fit in RE2's default
  // 8 MiB budget, so RE2 refuses to compile the pattern.
  const LoadResult r = testing::load_yaml("rules:\n  - id: a\n    query: '/\\pL{1000}/'\n");
  EXPECT_FALSE(r.rules);
  EXPECT_NE(diagnostics_text(r).find("rules.yaml:3:13: regex /\\pL{1000}/ does not compile: "
                                     "pattern too large"),
            std::string::npos)
      << diagnostics_text(r);
}

TEST(Limits, RegexMemoryBudgetIsTheConfiguredOne) {
  // \pL{100} fits in 8 MiB (and is then refused by the program-size limit) but not in 1 MiB.
  const std::string yaml = "rules:\n  - id: a\n    query: '/\\pL{100}/'\n";
  LoadOptions o;
  o.limits.max_regex_program_size = 1 << 30;
  EXPECT_TRUE(load_with(yaml, o).rules) << diagnostics_text(load_with(yaml, o));
  o.limits.max_regex_memory = 1 << 20;
  const LoadResult r = load_with(yaml, o);
  EXPECT_FALSE(r.rules);
  EXPECT_NE(diagnostics_text(r).find("pattern too large"), std::string::npos)
      << diagnostics_text(r);
  // With the default limits it is refused for its program size, with the size in the message.
  const LoadResult d = testing::load_yaml(yaml);
  EXPECT_FALSE(d.rules);
  EXPECT_NE(diagnostics_text(d).find("is too complex (RE2 program size"), std::string::npos)
      << diagnostics_text(d);
  EXPECT_NE(diagnostics_text(d).find("the limit is 20000"), std::string::npos);
}

TEST(Limits, RegexInAListIsCheckedToo) {
  const LoadResult r = testing::load_yaml(
      "lists:\n  l: [alibaba, '/\\pL{1000}/']\nrules:\n  - {id: a, query: '@l'}\n");
  EXPECT_FALSE(r.rules);
  EXPECT_NE(diagnostics_text(r).find("rules.yaml:2:17: regex"), std::string::npos)
      << diagnostics_text(r);
}

TEST(Limits, EveryBadRegexIsReportedNotJustTheFirst) {
  const LoadResult r = testing::load_yaml(
      "rules:\n  - {id: a, query: '/(/ OR /\\pL{1000}/ OR /x{2000}/ OR /a**/ OR ok'}\n");
  EXPECT_FALSE(r.rules);
  EXPECT_EQ(error_count(r), 4u) << diagnostics_text(r);
}

// ---- matching -----------------------------------------------------------------------------

// A rule whose leaves are all repeated: the occurrences kept per leaf and field are capped.
TEST(Limits, OccurrencesPerLeafAreCappedAtTheConfiguredLimit) {
  LoadOptions o;
  o.limits.max_occurrences_per_leaf = 100;
  const LoadResult r = load_with("rules:\n  - {id: a, query: 'banque NEAR/0 attaque'}\n", o);
  ASSERT_TRUE(r.rules) << diagnostics_text(r);
  Matcher m;
  MatchOutput out;

  std::string body;
  for (int i = 0; i < 99; ++i) body += "banque x ";
  const auto within = article("", body + "banque attaque");  // the 100th banque
  m.match(*r.rules, within, out);
  EXPECT_EQ(out.matches.size(), 1u);
  EXPECT_FALSE(out.stats.occurrences_truncated);

  const auto beyond = article("", body + "banque x banque attaque");  // the 101st banque
  m.match(*r.rules, beyond, out);
  EXPECT_TRUE(out.stats.occurrences_truncated);  // reported, so the daemon can count it
}

TEST(Limits, NearOnAHundredThousandRepetitionsStaysFast) {
  // Both operands of NEAR repeated 100,000 times each, far apart: a pairwise comparison would
  // be 10^10 steps. The matcher keeps at most 10,000 occurrences per leaf and sweeps them in
  // linear time.
  std::string body;
  body.reserve(1'700'000);
  for (int i = 0; i < 100'000; ++i) body += "banque ";
  for (int i = 0; i < 100'000; ++i) body += "attaque ";
  std::string yaml = "rules:\n";
  for (int i = 0; i <= 10; ++i) {
    yaml += "  - {id: r" + std::to_string(i) + ", query: 'banque NEAR/" + std::to_string(i * 5) +
            " attaque'}\n";
  }
  const LoadResult r = testing::load_yaml(yaml);
  ASSERT_TRUE(r.rules) << diagnostics_text(r);
  const auto a = article("", body);
  Matcher m;
  MatchOutput out;
  const auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < 3; ++round) m.match(*r.rules, a, out);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(out.stats.occurrences_truncated);
  EXPECT_EQ(out.stats.words, 200'000u);
  // Linear work is a few tens of milliseconds per pass even under sanitizers; a quadratic
  // sweep over the kept occurrences (10^8 pairs per rule) would take many seconds.
  EXPECT_LT(elapsed, std::chrono::seconds(10));
}

TEST(Limits, OccurrencesReportedPerMatchAreCapped) {
  auto rules = testing::rule("banque");
  std::string body;
  for (int i = 0; i < 500; ++i) body += "banque ";
  MatchOptions mo;
  mo.max_occurrences_per_match = 7;
  Matcher m(mo);
  MatchOutput out;
  const auto a = article("", body);
  m.match(*rules, a, out);
  ASSERT_EQ(out.matches.size(), 1u);
  EXPECT_EQ(out.matches[0].occurrences_end - out.matches[0].occurrences_begin, 7u);
  EXPECT_LE(out.occurrences.size(), 7u);
}

TEST(Limits, AlertsPerArticleCapKeepsTheFirstRulesInOrder) {
  std::string yaml = "rules:\n";
  for (int i = 0; i < 300; ++i)
    yaml += "  - {id: r" + std::to_string(1000 + i) + ", query: banque}\n";
  const LoadResult r = testing::load_yaml(yaml);
  ASSERT_TRUE(r.rules);
  MatchOptions mo;
  mo.max_matches = 100;  // the daemon's default pipeline.max_alerts_per_article
  Matcher m(mo);
  MatchOutput out;
  m.match(*r.rules, article("banque", "banque"), out);
  ASSERT_EQ(out.matches.size(), 100u);
  EXPECT_TRUE(out.stats.matches_truncated);
  for (std::size_t i = 0; i < out.matches.size(); ++i) EXPECT_EQ(out.matches[i].rule, i);
  // Exactly at the cap is not truncated.
  mo.max_matches = 300;
  Matcher exact(mo);
  exact.match(*r.rules, article("banque", ""), out);
  EXPECT_EQ(out.matches.size(), 300u);
  EXPECT_FALSE(out.stats.matches_truncated);
}

TEST(Limits, ManyRulesSharingOneWordLoadAndMatch) {
  // 20,000 rules (a fifth of the default cap) over the same vocabulary: the loader and the
  // matcher cope; the per-article cap bounds the output.
  std::string yaml = "rules:\n";
  for (int i = 0; i < 20'000; ++i) {
    yaml += "  - {id: r" + std::to_string(i) + ", query: 'banque AND w" + std::to_string(i % 50) +
            "'}\n";
  }
  const LoadResult r = testing::load_yaml(yaml);
  ASSERT_TRUE(r.rules) << diagnostics_text(r).substr(0, 500);
  EXPECT_EQ(r.rules->rules().size(), 20'000u);
  Matcher m;  // default max_matches: 1000
  MatchOutput out;
  m.match(*r.rules, article("banque w7 w8", ""), out);
  EXPECT_EQ(out.matches.size(), 800u);  // 400 rules per word, two words present
  EXPECT_FALSE(out.stats.matches_truncated);
}

}  // namespace
}  // namespace newswatch::match
