// The `newswatch` binary's offline commands, exercised as a user would: exit codes, what goes
// to stdout and stderr, and the alerts themselves.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>
#include <sys/wait.h>

namespace {

namespace fs = std::filesystem;

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("newswatch-cli-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "rules");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& rel, const std::string& content) {
    fs::create_directories((dir_ / rel).parent_path());
    std::ofstream(dir_ / rel, std::ios::binary) << content;
  }

  // Runs `newswatch ARGS`, with stdin from `input` when given.
  Result run(const std::vector<std::string>& args, const std::string& input = "") {
    std::string cmd = quote(NEWSWATCH_BINARY);
    for (const auto& a : args) cmd += " " + quote(a);
    const fs::path in = dir_ / "stdin", out = dir_ / "stdout", err = dir_ / "stderr";
    std::ofstream(in, std::ios::binary) << input;
    cmd += " <" + quote(in.string()) + " >" + quote(out.string()) + " 2>" + quote(err.string());
    const int status = std::system(cmd.c_str());
    Result r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = read_file(out);
    r.err = read_file(err);
    return r;
  }

  std::vector<std::string> lines(const std::string& s) {
    std::vector<std::string> v;
    std::istringstream in(s);
    for (std::string l; std::getline(in, l);) {
      if (!l.empty()) v.push_back(l);
    }
    return v;
  }

  fs::path dir_;
};

const char* kRules = R"(lists:
  alibaba: [alibaba, aliexpress*, alipay, "ant group", taobao, tmall]
  europe:  [europe, europ*, "union europeenne", =UE, =EU, hexagone, france, italie, espagne]
  finance: [banque*, bancaire*, assur*, bank*, insur*, fintech*, paiement*, payment*]
rules:
  - id: alibaba-europe-finance
    name: Alibaba pushes into European finance
    severity: high
    tags: [strategy, competitor]
    query: '@alibaba AND @europe AND @finance'
    tests:
      match: [{title: "AliExpress arrive en France", body: "Les banques françaises s'inquiètent."}]
      no_match: [{title: "Amazon en Europe", body: "La banque centrale ..."}]
)";

TEST_F(Cli, CheckAcceptsValidRules) {
  write("rules/r.yaml", kRules);
  const Result r = run({"check", (dir_ / "rules").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ok — 1 rules (1 enabled) in 1 files"), std::string::npos) << r.out;
}

TEST_F(Cli, CheckReportsEveryErrorWithPositionAndExitsOne) {
  write("rules/a.yaml", "rules:\n  - id: one\n    query: (alibaba\n");
  write("rules/b.yaml", "rules:\n  - id: two\n    query: x NEAR/99 y\n    severity: loud\n");
  const Result r = run({"check", (dir_ / "rules").string()});
  EXPECT_EQ(r.exit_code, 1);
  const std::string a = (dir_ / "rules" / "a.yaml").string();
  const std::string b = (dir_ / "rules" / "b.yaml").string();
  EXPECT_NE(r.err.find(a + ":3:12: missing ')'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(b + ":3:14: NEAR distance 99 out of range"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(b + ":4:15: invalid severity 'loud'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("3 errors"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST_F(Cli, CheckWarningsAsErrors) {
  write("rules/r.yaml", "rules:\n  - {id: x, query: 'lang:fr'}\n");
  EXPECT_EQ(run({"check", (dir_ / "rules").string()}).exit_code, 0);
  const Result r = run({"check", "--warnings-as-errors", (dir_ / "rules").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("warning: query only filters metadata"), std::string::npos) << r.err;
}

TEST_F(Cli, TestPassesAndFailsWithReasons) {
  write("rules/r.yaml", kRules);
  Result r = run({"test", (dir_ / "rules").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("1 rules tested with 2 articles: all passed"), std::string::npos) << r.out;

  write("rules/r.yaml",
        std::string(kRules) + "      # broken expectation below\n" +
            "  - id: wrong\n    query: alibaba\n    tests:\n      match: [{title: Amazon}]\n");
  r = run({"test", (dir_ / "rules").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("FAIL "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rule wrong: expected a match, but the query is false"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("not found: alibaba"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 failed"), std::string::npos) << r.out;
}

TEST_F(Cli, TestOnInvalidRulesExitsOne) {
  write("rules/r.yaml", "rules: [{id: x}]\n");
  const Result r = run({"test", (dir_ / "rules").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("has no 'query'"), std::string::npos) << r.err;
}

// The article this project started from must raise the Alibaba alert, with matches that point
// at the right bytes of the original text.
TEST_F(Cli, SeedArticleFiresAlibabaEuropeFinanceWithExactOffsets) {
  const std::string rules = std::string(NEWSWATCH_SOURCE_DIR) + "/rules";
  const std::string seed = std::string(NEWSWATCH_SOURCE_DIR) + "/rules/fixtures/seed-article.json";
  const Result r = run({"match", "-q", "--rules", rules, seed});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::parser parser;
  simdjson::dom::element article;
  ASSERT_EQ(parser.parse(read_file(seed)).get(article), simdjson::SUCCESS);
  const std::string title = std::string(std::string_view(article["title"]));
  const std::string body = std::string(std::string_view(article["body"]));
  bool found = false;
  simdjson::dom::parser alert_parser;
  for (const auto& line : lines(r.out)) {
    simdjson::dom::element alert;
    ASSERT_EQ(alert_parser.parse(line).get(alert), simdjson::SUCCESS) << line;
    if (std::string_view(alert["rule_id"]) != "alibaba-europe-finance") continue;
    found = true;
    EXPECT_EQ(std::string_view(alert["article"]["id"]), "seed-alibaba-aliexpress-europe");
    std::size_t n = 0;
    for (simdjson::dom::element m : alert["matches"].get_array()) {
      const std::string field = std::string(std::string_view(m["field"]));
      const std::uint64_t start = m["start"];
      const std::uint64_t end = m["end"];
      const std::string text = std::string(std::string_view(m["text"]));
      const std::string& src = field == "title" ? title : body;
      ASSERT_LE(end, src.size());
      EXPECT_EQ(src.substr(start, end - start), text) << field << " " << start << ".." << end;
      ++n;
    }
    EXPECT_GE(n, 3u);  // Alibaba brands, Europe, finance
  }
  EXPECT_TRUE(found) << r.out;
}

TEST_F(Cli, MatchReportsBadLinesWithLineNumbersAndGoesOn) {
  write("rules/r.yaml", kRules);
  const std::string input =
      R"({"id": "a1", "title": "AliExpress en France", "body": "banque"})"
      "\n"
      "not json\n"
      "\n"
      "[1, 2]\n"
      R"({"id": "a2", "title": "Alipay arrive en Italie", "body": "les assureurs"})"
      "\n"
      R"({"id": "a3", "title": 42})"
      "\n";
  const Result r = run({"match", "--rules", (dir_ / "rules").string(), "-"}, input);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto alerts = lines(r.out);
  ASSERT_EQ(alerts.size(), 2u) << r.out;
  EXPECT_NE(alerts[0].find("\"id\":\"a1\""), std::string::npos);
  EXPECT_NE(alerts[1].find("\"id\":\"a2\""), std::string::npos);
  EXPECT_NE(r.err.find("<stdin>:2: invalid_json:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("<stdin>:4: not_object:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("<stdin>:6: wrong_type:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("2 articles, 2 alerts (0 suppressed by dedup), 3 errors"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("articles/s"), std::string::npos) << r.err;
}

TEST_F(Cli, MatchRefusesOversizedLinesWithoutReadingThemWhole) {
  write("rules/r.yaml", kRules);
  std::string input =
      R"({"title": "AliExpress en France", "body": ")" + std::string(200000, 'x') + "\"}\n";
  input += R"({"id": "ok", "title": "AliExpress en France", "body": "banque"})"
           "\n";
  const Result r =
      run({"match", "--max-message-bytes", "64KiB", "--rules", (dir_ / "rules").string()}, input);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.err.find("<stdin>:1: too_large:"), std::string::npos) << r.err;
  EXPECT_EQ(lines(r.out).size(), 1u);
}

TEST_F(Cli, MatchAppliesDedupUnlessToldNot) {
  write("rules/r.yaml", kRules);
  const std::string a = R"({"id": "same", "title": "AliExpress en France", "body": "banque"})"
                        "\n";
  EXPECT_EQ(lines(run({"match", "-q", "--rules", (dir_ / "rules").string()}, a + a).out).size(),
            1u);
  EXPECT_EQ(
      lines(run({"match", "-q", "--no-dedup", "--rules", (dir_ / "rules").string()}, a + a).out)
          .size(),
      2u);
}

TEST_F(Cli, MatchOutputValidatesAgainstTheAlertSchema) {
  const std::string rules = std::string(NEWSWATCH_SOURCE_DIR) + "/rules";
  const std::string feed = std::string(NEWSWATCH_SOURCE_DIR) + "/deploy/demo/sample-feed.jsonl";
  const Result r = run({"match", "-q", "--rules", rules, feed});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_GE(lines(r.out).size(), 10u);
  write("alerts.jsonl", r.out);
  const std::string cmd =
      "/usr/bin/python3 " +
      quote(std::string(NEWSWATCH_SOURCE_DIR) + "/tests/alert/validate_alerts.py") + " " +
      quote(std::string(NEWSWATCH_SOURCE_DIR) + "/docs/alert.schema.json") + " " +
      quote((dir_ / "alerts.jsonl").string()) + " >" + quote((dir_ / "v.out").string()) + " 2>&1";
  const int status = std::system(cmd.c_str());
  EXPECT_EQ(WEXITSTATUS(status), 0) << read_file(dir_ / "v.out");
}

TEST_F(Cli, ExplainShowsWhyARuleFiredOrNot) {
  write("rules/r.yaml", kRules);
  write("a.json", R"({"title": "AliExpress arrive en France", "body": "Rien sur la finance."})");
  Result r = run({"explain", "--rules", (dir_ / "rules").string(), "--rule",
                  "alibaba-europe-finance", (dir_ / "a.json").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("rule alibaba-europe-finance: did not fire"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("✔ @alibaba"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("title 0..10 \"AliExpress\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("✘ @finance"), std::string::npos) << r.out;

  r = run({"explain", "--rules", (dir_ / "rules").string(), "--rule", "nope",
           (dir_ / "a.json").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no rule with id 'nope'"), std::string::npos);
}

TEST_F(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(run({}).exit_code, 2);
  EXPECT_EQ(run({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(run({"match"}).exit_code, 2);  // --rules is required
  const Result help = run({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("newswatch check rules/"), std::string::npos);
  const Result version = run({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("newswatch "), std::string::npos);
}

}  // namespace
