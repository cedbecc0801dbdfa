// Loading rule files: every RULES-SPEC §4 error kind, each with path:line:column, all at once.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "daemon/match/rule_set.h"

#include "tests/match/test_support.h"

namespace newswatch::match {
namespace {

using testing::diagnostics_text;
using testing::load_files;
using testing::load_yaml;

// Expects loading to fail with exactly one error, at `where` ("line:col"), containing `what`.
void expect_error(const std::string& yaml, const std::string& where, const std::string& what) {
  const LoadResult r = load_yaml(yaml);
  EXPECT_FALSE(r.rules) << yaml;
  const std::string all = diagnostics_text(r);
  std::size_t errors = 0;
  for (const auto& d : r.diagnostics) errors += d.severity == Diagnostic::Severity::kError;
  EXPECT_EQ(errors, 1u) << all;
  const std::string expected_prefix = "rules.yaml:" + where + ": ";
  EXPECT_NE(all.find(expected_prefix), std::string::npos) << "want " << expected_prefix << " in\n"
                                                          << all;
  EXPECT_NE(all.find(what), std::string::npos) << "want '" << what << "' in\n" << all;
}

TEST(Loader, ValidFileLoads) {
  const LoadResult r = load_yaml(R"(
lists:
  alibaba: [alibaba, aliexpress*, alipay, "ant group", taobao, tmall]
  europe:  [europe, europ*, "union europeenne", =UE, =EU, hexagone, france, italie, espagne]
  finance: [banque*, bancaire*, assur*, bank*, insur*, fintech*, paiement*, payment*]
rules:
  - id: alibaba-europe-finance
    name: Alibaba pushes into European finance
    severity: high
    tags: [strategy, competitor]
    owner: strategy-team
    enabled: true
    mode: alert
    query: '@alibaba AND @europe AND @finance'
    dedup: {key: article, window: 24h}
    tests:
      match:
        - {title: "AliExpress arrive en France", body: "Les banques françaises s'inquiètent."}
      no_match:
        - {title: "Amazon en Europe", body: "La banque centrale ..."}
)");
  ASSERT_TRUE(r.rules) << diagnostics_text(r);
  ASSERT_EQ(r.rules->rules().size(), 1u);
  const Rule& rule = r.rules->rules()[0];
  EXPECT_EQ(rule.id, "alibaba-europe-finance");
  EXPECT_EQ(rule.name, "Alibaba pushes into European finance");
  EXPECT_EQ(rule.severity, Severity::kHigh);
  EXPECT_EQ(rule.tags, (std::vector<std::string>{"strategy", "competitor"}));
  EXPECT_EQ(rule.owner, "strategy-team");
  EXPECT_EQ(rule.mode, Mode::kAlert);
  EXPECT_EQ(rule.dedup_key, DedupKey::kArticle);
  EXPECT_EQ(rule.dedup_window, std::chrono::hours(24));
  EXPECT_EQ(rule.must_match.size(), 1u);
  EXPECT_EQ(rule.must_not_match.size(), 1u);
  EXPECT_EQ(rule.line, 7);
  EXPECT_EQ(r.rules->version().size(), 16u);
}

TEST(Loader, Defaults) {
  const LoadResult r = load_yaml("rules:\n  - id: x\n    query: alibaba\n");
  ASSERT_TRUE(r.rules) << diagnostics_text(r);
  const Rule& rule = r.rules->rules()[0];
  EXPECT_EQ(rule.name, "x");
  EXPECT_EQ(rule.severity, Severity::kMedium);
  EXPECT_TRUE(rule.enabled);
  EXPECT_EQ(rule.mode, Mode::kAlert);
  EXPECT_EQ(rule.dedup_key, DedupKey::kArticle);
  EXPECT_EQ(rule.dedup_window, std::chrono::hours(24));
}

TEST(Loader, EmptyAndCommentOnlyFilesAreFine) {
  EXPECT_TRUE(load_yaml("").rules);
  EXPECT_TRUE(load_yaml("# nothing yet\n").rules);
}

TEST(LoaderErrors, SyntaxErrorInQuery) {
  expect_error("rules:\n  - id: x\n    query: (alibaba OR alipay\n", "3:12", "missing ')'");
  // Position inside a quoted scalar accounts for the quote.
  expect_error("rules:\n  - id: x\n    query: 'a OR OR b'\n", "3:18", "after 'OR'");
  // Inside a block scalar: the line of the problem, after indentation.
  expect_error("rules:\n  - id: x\n    query: |\n      alibaba AND\n      (europe OR asie\n", "5:7",
               "missing ')'");
  expect_error("rules:\n  - id: x\n    query: |\n      alibaba AND\n      (europe OR\n", "5:15",
               "after 'OR'");
}

TEST(LoaderErrors, YamlSyntaxError) {
  expect_error("rules:\n  - id: x\n    query: [unclosed\n", "4:1", "YAML syntax error");
}

TEST(LoaderErrors, UnknownList) {
  expect_error("rules:\n  - id: x\n    query: alibaba AND @nowhere\n", "3:24",
               "unknown list '@nowhere'");
}

TEST(LoaderErrors, UnknownListInsideList) {
  expect_error("lists:\n  a: [x, '@missing']\nrules:\n  - id: x\n    query: '@a'\n", "2:11",
               "unknown list '@missing'");
}

TEST(LoaderErrors, ListCycle) {
  const LoadResult r = load_yaml(
      "lists:\n  a: [x, '@b']\n  b: [y, '@c']\n  c: ['@a']\nrules:\n  - id: x\n    query: '@a'\n");
  EXPECT_FALSE(r.rules);
  const std::string all = diagnostics_text(r);
  EXPECT_NE(all.find("rules.yaml:4:8: list cycle: @a -> @b -> @c -> @a"), std::string::npos) << all;
}

TEST(LoaderErrors, SelfReferencingList) {
  expect_error("lists:\n  a: [x, '@a']\nrules:\n  - id: x\n    query: '@a'\n", "2:11",
               "list cycle: @a -> @a");
}

TEST(LoaderErrors, RegexCompileErrorCarriesRe2Message) {
  expect_error("rules:\n  - id: x\n    query: 'banque AND /(unclosed/'\n", "3:24",
               "missing ): (unclosed");
}

TEST(LoaderErrors, RegexMatchingEmptyTextIsRefused) {
  expect_error("rules:\n  - id: x\n    query: '/a*/'\n", "3:13", "matches empty text");
}

TEST(LoaderErrors, PrefixTooShort) {
  expect_error("rules:\n  - id: x\n    query: ab* AND europe\n", "3:12",
               "prefix 'ab*' is too short");
}

TEST(LoaderErrors, PrefixTooShortInList) {
  expect_error("lists:\n  l: [alibaba, 'al*']\nrules:\n  - id: x\n    query: '@l'\n", "2:17",
               "too short");
}

TEST(LoaderErrors, NearOperandNotAllowed) {
  expect_error("rules:\n  - id: x\n    query: (a AND b) NEAR/3 c\n", "3:12",
               "NEAR operand not allowed: an AND");
  expect_error("rules:\n  - id: x\n    query: a NEAR/3 NOT b\n", "3:21",
               "NEAR operand not allowed");
  expect_error("rules:\n  - id: x\n    query: (a OR lang:fr) NEAR/3 b\n", "3:18",
               "metadata filter");
}

TEST(LoaderErrors, NearDistanceOutOfRange) {
  expect_error("rules:\n  - id: x\n    query: a NEAR/51 b\n", "3:14", "out of range");
}

TEST(LoaderErrors, UnknownField) {
  expect_error("rules:\n  - id: x\n    query: alibaba AND author:dupont\n", "3:24",
               "unknown field 'author'");
}

TEST(LoaderErrors, AlwaysTrueQuery) {
  expect_error("rules:\n  - id: x\n    query: NOT alibaba\n", "3:12", "true for an empty article");
  expect_error("rules:\n  - id: x\n    query: a OR NOT b\n", "3:12", "true for an empty article");
  expect_error("rules:\n  - id: x\n    query: NOT lang:fr\n", "3:12", "true for an empty article");
}

TEST(LoaderErrors, MetadataOnlyQueryIsAWarningNotAnError) {
  const LoadResult r = load_yaml("rules:\n  - id: x\n    query: lang:fr\n");
  ASSERT_TRUE(r.rules) << diagnostics_text(r);
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].severity, Diagnostic::Severity::kWarning);
  EXPECT_NE(r.diagnostics[0].message.find("only filters metadata"), std::string::npos);
}

TEST(LoaderErrors, DuplicateIdAcrossFiles) {
  const LoadResult r =
      load_files({{"a.yaml", "rules:\n  - id: dup\n    query: x\n"},
                  {"b.yaml", "rules:\n  - {id: other, query: y}\n  - id: dup\n    query: z\n"}});
  EXPECT_FALSE(r.rules);
  const std::string all = diagnostics_text(r);
  EXPECT_NE(all.find("b.yaml:3:9: duplicate rule id 'dup' (first defined at a.yaml:2:9)"),
            std::string::npos)
      << all;
}

TEST(LoaderErrors, DuplicateListAcrossFiles) {
  const LoadResult r =
      load_files({{"a.yaml", "lists:\n  eu: [europe]\n"},
                  {"b.yaml", "lists:\n  eu: [europa]\nrules:\n  - {id: x, query: '@eu'}\n"}});
  EXPECT_FALSE(r.rules);
  EXPECT_NE(diagnostics_text(r).find("b.yaml:2:3: list 'eu' is already defined at a.yaml:2:3"),
            std::string::npos)
      << diagnostics_text(r);
}

TEST(LoaderErrors, UnknownKeysAnywhere) {
  expect_error("rule:\n  - id: x\n", "1:1", "unknown key 'rule'");
  expect_error("rules:\n  - id: x\n    querry: a\n    query: a\n", "3:5",
               "unknown key 'querry' in a rule");
  expect_error("rules:\n  - id: x\n    query: a\n    dedup: {key: url, windw: 1h}\n", "4:23",
               "unknown key 'windw' in dedup");
  expect_error("rules:\n  - id: x\n    query: a\n    tests:\n      matches: []\n", "5:7",
               "unknown key 'matches' in tests");
  expect_error(
      "rules:\n  - id: x\n    query: a\n    tests:\n      match:\n        - {title: t, bdy: b}\n",
      "6:22", "unknown key 'bdy' in a test article");
}

TEST(LoaderErrors, BadDuration) {
  expect_error("rules:\n  - id: x\n    query: a\n    dedup: {window: 24x}\n", "4:21",
               "invalid duration '24x'");
  expect_error("rules:\n  - id: x\n    query: a\n    dedup: {window: h}\n", "4:21",
               "invalid duration");
}

TEST(LoaderErrors, BadSeverity) {
  expect_error("rules:\n  - id: x\n    query: a\n    severity: urgent\n", "4:15",
               "invalid severity 'urgent'");
}

TEST(LoaderErrors, BadModeEnabledAndId) {
  expect_error("rules:\n  - id: x\n    query: a\n    mode: loud\n", "4:11", "invalid mode");
  expect_error("rules:\n  - id: x\n    query: a\n    enabled: yes\n", "4:14", "true or false");
  expect_error("rules:\n  - id: Bad_ID\n    query: a\n", "2:9", "invalid rule id 'Bad_ID'");
}

TEST(LoaderErrors, MissingRequiredKeys) {
  expect_error("rules:\n  - id: x\n    name: no query\n", "2:5", "has no 'query'");
  expect_error("rules:\n  - query: alibaba\n", "2:5", "has no 'id'");
}

TEST(LoaderErrors, TermWithoutWordCharacters) {
  expect_error("rules:\n  - id: x\n    query: alibaba AND ++\n", "3:24", "has no letter or digit");
}

TEST(LoaderErrors, MetadataValues) {
  expect_error("rules:\n  - id: x\n    query: a AND lang:fr-FR\n", "3:18",
               "primary language subtag");
  expect_error("rules:\n  - id: x\n    query: a AND site:https://x.fr/\n", "3:18", "host name");
}

TEST(LoaderErrors, EveryErrorOfEveryFileIsReportedAndNothingIsProduced) {
  const LoadResult r = load_files({
      {"a.yaml", "rules:\n  - id: one\n    query: (a\n  - id: two\n    query: b NEAR/99 c\n"},
      {"b.yaml",
       "lists:\n  l: [x, '@l']\nrules:\n  - id: three\n    query: '@l AND ab*'\n    severity: "
       "loud\n"},
  });
  EXPECT_FALSE(r.rules);
  const std::string all = diagnostics_text(r);
  for (const char* want : {"a.yaml:3:12: missing ')'", "a.yaml:5:14: NEAR distance 99 out of range",
                           "b.yaml:2:11: list cycle", "b.yaml:5:20: prefix 'ab*' is too short",
                           "b.yaml:6:15: invalid severity"}) {
    EXPECT_NE(all.find(want), std::string::npos) << "missing " << want << " in\n" << all;
  }
}

TEST(Loader, VersionIsStableAndTracksContent) {
  const std::string yaml = "rules:\n  - id: x\n    query: alibaba\n";
  const LoadResult a = load_yaml(yaml);
  const LoadResult b = load_yaml(yaml);
  const LoadResult c = load_yaml(yaml + "# changed\n");
  ASSERT_TRUE(a.rules && b.rules && c.rules);
  EXPECT_EQ(a.rules->version(), b.rules->version());
  EXPECT_NE(a.rules->version(), c.rules->version());
}

class LoaderDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("newswatch-loader-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "sub");
    std::filesystem::create_directories(dir_ / ".hidden");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& rel, const std::string& content) {
    std::filesystem::create_directories((dir_ / rel).parent_path());
    std::ofstream(dir_ / rel) << content;
  }
  std::filesystem::path dir_;
};

TEST_F(LoaderDirTest, FindsYamlRecursivelySkipsHiddenAndOtherFiles) {
  write("a.yaml", "rules:\n  - {id: a, query: alpha}\n");
  write("sub/b.yml", "rules:\n  - {id: b, query: beta}\n");
  write(".hidden/c.yaml", "this is: [not valid\n");
  write(".d.yaml", "this is: [not valid\n");
  write("notes.txt", "ignored");
  const LoadResult r = load_rule_set(dir_);
  ASSERT_TRUE(r.rules) << diagnostics_text(r);
  ASSERT_EQ(r.rules->rules().size(), 2u);
  EXPECT_EQ(r.rules->rules()[0].id, "a");
  EXPECT_EQ(r.rules->rules()[1].id, "b");
  EXPECT_EQ(r.rules->file_count(), 2u);
}

TEST_F(LoaderDirTest, FixtureFilesResolveRelativeToTheRuleFileAndStayInside) {
  write("sub/fixtures/ok.json", R"({"title": "AliExpress arrive", "body": "en Europe"})");
  write("sub/r.yaml",
        "rules:\n  - id: a\n    query: aliexpress\n    tests:\n      match:\n        - file: "
        "fixtures/ok.json\n");
  LoadResult r = load_rule_set(dir_);
  ASSERT_TRUE(r.rules) << diagnostics_text(r);
  ASSERT_EQ(r.rules->rules()[0].must_match.size(), 1u);
  EXPECT_EQ(r.rules->rules()[0].must_match[0].article.title, "AliExpress arrive");

  write("outside.json", R"({"title": "x"})");
  std::ofstream(dir_.parent_path() / "newswatch-outside.json") << R"({"title": "x"})";
  write("sub/r.yaml",
        "rules:\n  - id: a\n    query: aliexpress\n    tests:\n      match:\n"
        "        - file: ../../newswatch-outside.json\n        - file: /etc/passwd\n        - "
        "file: missing.json\n");
  r = load_rule_set(dir_);
  EXPECT_FALSE(r.rules);
  const std::string all = diagnostics_text(r);
  EXPECT_NE(all.find("leaves the rules directory"), std::string::npos) << all;
  EXPECT_NE(all.find("must be relative"), std::string::npos) << all;
  EXPECT_NE(all.find("cannot read fixture file 'missing.json'"), std::string::npos) << all;
  std::filesystem::remove(dir_.parent_path() / "newswatch-outside.json");
}

TEST_F(LoaderDirTest, FixtureThatIsNotAnArticle) {
  write("bad.json", "[1, 2]");
  write("r.yaml",
        "rules:\n  - id: a\n    query: x\n    tests:\n      match:\n        - file: bad.json\n");
  const LoadResult r = load_rule_set(dir_);
  EXPECT_FALSE(r.rules);
  EXPECT_NE(diagnostics_text(r).find(
                "r.yaml:6:17: fixture file 'bad.json' is not a valid article: not_object"),
            std::string::npos)
      << diagnostics_text(r);
}

TEST_F(LoaderDirTest, MissingDirectory) {
  const LoadResult r = load_rule_set(dir_ / "nope");
  EXPECT_FALSE(r.rules);
  EXPECT_NE(diagnostics_text(r).find("not a directory"), std::string::npos);
}

TEST(LoaderLimits, TooManyRules) {
  LoadOptions o;
  o.limits.max_rules = 2;
  std::vector<SourceFile> files{
      {"r.yaml", "rules:\n  - {id: a, query: x}\n  - {id: b, query: y}\n  - {id: c, query: z}\n"}};
  const LoadResult r = load_rule_set_from_sources(files, std::filesystem::temp_directory_path(), o);
  EXPECT_FALSE(r.rules);
  EXPECT_NE(diagnostics_text(r).find("too many rules"), std::string::npos);
}

TEST(LoaderLimits, ListTooLargeAndTooDeep) {
  LoadOptions o;
  o.limits.max_list_entries = 3;
  o.limits.max_list_depth = 2;
  std::vector<SourceFile> files{
      {"r.yaml",
       "lists:\n  big: [a, b, c, d]\n  l1: ['@l2']\n  l2: ['@l3']\n  l3: ['@l4']\n  l4: [x]\n"
       "rules:\n  - {id: a, query: '@big OR @l1'}\n"}};
  const LoadResult r = load_rule_set_from_sources(files, std::filesystem::temp_directory_path(), o);
  EXPECT_FALSE(r.rules);
  const std::string all = diagnostics_text(r);
  EXPECT_NE(all.find("'big' has 4 entries"), std::string::npos) << all;
  EXPECT_NE(all.find("nested too deeply"), std::string::npos) << all;
}

TEST(LoaderLimits, RegexTooComplex) {
  LoadOptions o;
  o.limits.max_regex_program_size = 100;
  std::vector<SourceFile> files{
      {"r.yaml", "rules:\n  - {id: a, query: '/(?:abc|def|ghi){20}/'}\n"}};
  const LoadResult r = load_rule_set_from_sources(files, std::filesystem::temp_directory_path(), o);
  EXPECT_FALSE(r.rules);
  EXPECT_NE(diagnostics_text(r).find("too complex"), std::string::npos) << diagnostics_text(r);
}

TEST(LoaderLimits, DeeplyNestedYamlIsRefusedBeforeParsing) {
  std::string yaml = "rules: ";
  for (int i = 0; i < 100000; ++i) yaml += '[';
  const LoadResult r = load_yaml(yaml);
  EXPECT_FALSE(r.rules);
  EXPECT_NE(diagnostics_text(r).find("nested too deeply"), std::string::npos);
}

TEST(LoaderErrors, NearAcrossFieldsCanNeverBeTrue) {
  expect_error("rules:\n  - id: x\n    query: title:banque NEAR/3 body:amazon\n", "3:12",
               "different fields");
  EXPECT_TRUE(
      load_yaml("rules:\n  - id: x\n    query: title:banque NEAR/3 (body:a OR title:b)\n").rules);
}

TEST(LoaderWarnings, HabitsFromOtherQueryLanguages) {
  const LoadResult r =
      load_yaml("rules:\n  - id: x\n    query: alibaba -amazon +europe rock and roll\n");
  ASSERT_TRUE(r.rules) << diagnostics_text(r);
  const std::string all = diagnostics_text(r);
  EXPECT_NE(all.find("rules.yaml:3:20: warning: '-amazon' searches for the text '-amazon'"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("write NOT amazon"), std::string::npos) << all;
  EXPECT_NE(all.find("rules.yaml:3:28: warning: '+europe'"), std::string::npos) << all;
  EXPECT_NE(all.find("rules.yaml:3:41: warning: lower-case 'and' is searched as a word"),
            std::string::npos)
      << all;
}

TEST(LoaderWarnings, UnfilteredRegex) {
  // The regex can fire the rule on its own (OR): it must run on every article.
  LoadResult r = load_yaml("rules:\n  - {id: a, query: '/\\d{4}/ OR x'}\n");
  ASSERT_TRUE(r.rules) << diagnostics_text(r);
  EXPECT_NE(diagnostics_text(r).find(
                "warning: regex /\\d{4}/: RE2's prefilter finds no required literal"),
            std::string::npos)
      << diagnostics_text(r);
  EXPECT_EQ(r.rules->stats().unfiltered_regexes, 1u);
  // ANDed with a term, it runs only on articles with the term: no warning.
  r = load_yaml("rules:\n  - {id: a, query: '/\\d{4}/ AND x'}\n");
  ASSERT_TRUE(r.rules) << diagnostics_text(r);
  EXPECT_EQ(diagnostics_text(r).find("warning"), std::string::npos) << diagnostics_text(r);
}

}  // namespace
}  // namespace newswatch::match
