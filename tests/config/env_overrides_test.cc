// ${VAR} substitution, command-line overrides and loading from files.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/config/config.h"

#include "tests/config/test_util.h"

namespace newswatch::config {
namespace {

using ::testing::ElementsAre;
using testing::error_lines;
using ::testing::HasSubstr;
using testing::kMinimal;
using testing::minimal_with;
using testing::parse;

// ---- Environment substitution -------------------------------------------------------------

TEST(ConfigEnv, SetVariableIsSubstitutedAnywhereInTheValue) {
  const Environment env{{"HOST", "k9"}, {"PORT", "9093"}, {"GROUP", "team-a"}};
  const LoadResult r = parse(
      "kafka:\n"
      "  brokers: ${HOST}.example.com:${PORT},k2:${PORT}\n"
      "  group_id: newswatch-${GROUP}\n"
      "  input_topics: [\"news.${GROUP}\"]\n"
      "  alert_topic: alerts\n"
      "  consumer: {sasl.username: \"${GROUP}\"}\n"
      "rules:\n"
      "  dir: /srv/${GROUP}/rules\n",
      env);
  ASSERT_TRUE(r.ok()) << r.error_report();
  EXPECT_EQ(r.config->kafka.brokers, "k9.example.com:9093,k2:9093");
  EXPECT_EQ(r.config->kafka.group_id, "newswatch-team-a");
  EXPECT_THAT(r.config->kafka.input_topics, ElementsAre("news.team-a"));
  EXPECT_EQ(r.config->kafka.consumer.at("sasl.username"), "team-a");
  EXPECT_EQ(r.config->rules.dir, "/srv/team-a/rules");
}

TEST(ConfigEnv, SubstitutionHappensBeforeTypeParsingAndBounds) {
  EXPECT_EQ(parse(minimal_with("pipeline.workers", "${W}"), {{"W", "12"}}).config->pipeline.workers,
            12u);
  EXPECT_THAT(error_lines(parse(minimal_with("pipeline.workers", "${W}"), {{"W", "0"}})),
              ElementsAre("test.yaml:8:12: pipeline.workers: must be between 1 and 256, got 0"));
  EXPECT_THAT(error_lines(parse(minimal_with("rules.watch", "${W}"), {{"W", "no"}})),
              ElementsAre("test.yaml:7:10: rules.watch: expected true or false, got \"no\""));
}

TEST(ConfigEnv, UnsetVariableIsAnErrorAtItsKeyPath) {
  const LoadResult r = parse(minimal_with("kafka.consumer", "{sasl.password: \"${NOPE}\"}"));
  EXPECT_THAT(error_lines(r),
              ElementsAre("test.yaml:5:29: kafka.consumer.sasl.password: environment variable "
                          "NOPE is not set (use ${NOPE:-default} to give a default)"));
  EXPECT_THAT(error_lines(parse(minimal_with("kafka.input_topics", "[a, \"${T}\"]"))),
              ElementsAre(HasSubstr("test.yaml:4:21: kafka.input_topics[1]: environment "
                                    "variable T is not set")));
}

TEST(ConfigEnv, DefaultIsUsedWhenUnsetOrEmpty) {
  const std::string yaml = minimal_with("kafka.group_id", "${G:-fallback-group}");
  EXPECT_EQ(parse(yaml).config->kafka.group_id, "fallback-group");
  EXPECT_EQ(parse(yaml, {{"G", ""}}).config->kafka.group_id, "fallback-group");
  EXPECT_EQ(parse(yaml, {{"G", "set"}}).config->kafka.group_id, "set");
  // Without a default, a set-but-empty variable is substituted as "".
  EXPECT_EQ(parse(minimal_with("kafka.dlq_topic", "\"${D}\""), {{"D", ""}}).config->kafka.dlq_topic,
            "");
  // An empty default.
  EXPECT_EQ(parse(minimal_with("kafka.dlq_topic", "\"${D:-}\"")).config->kafka.dlq_topic, "");
  // A default may contain ':' and '-'.
  EXPECT_EQ(parse(minimal_with("kafka.brokers", "${B:-k1:9092,k2:9092}")).config->kafka.brokers,
            "k1:9092,k2:9092");
}

TEST(ConfigEnv, DoubleDollarEscapesALiteralReference) {
  const LoadResult r =
      parse(minimal_with("kafka.consumer", "{sasl.password: \"p$${X}q$$r$x\"}"), {{"X", "no"}});
  ASSERT_TRUE(r.ok()) << r.error_report();
  EXPECT_EQ(r.config->kafka.consumer.at("sasl.password"), "p${X}q$$r$x");
}

TEST(ConfigEnv, SubstitutedTextIsNotExpandedAgain) {
  const LoadResult r = parse(minimal_with("kafka.group_id", "${A}"), {{"A", "${B}"}, {"B", "b"}});
  ASSERT_TRUE(r.ok()) << r.error_report();
  EXPECT_EQ(r.config->kafka.group_id, "${B}");
}

TEST(ConfigEnv, MalformedReferences) {
  EXPECT_THAT(error_lines(parse(minimal_with("kafka.group_id", "\"a${B\""))),
              ElementsAre("test.yaml:5:13: kafka.group_id: unterminated \"${\" (write \"$${\" for "
                          "a literal \"${\")"));
  EXPECT_THAT(error_lines(parse(minimal_with("kafka.group_id", "\"${1X}\""))),
              ElementsAre("test.yaml:5:13: kafka.group_id: invalid variable reference \"${1X}\" "
                          "(expected ${NAME} or ${NAME:-default}, NAME of letters, digits and "
                          "'_')"));
  EXPECT_THAT(error_lines(parse(minimal_with("kafka.group_id", "\"${}\""))),
              ElementsAre(HasSubstr("invalid variable reference \"${}\"")));
  EXPECT_THAT(error_lines(parse(minimal_with("kafka.group_id", "\"${A:-${B}}\""))),
              ElementsAre(HasSubstr("nested \"${\" in the default of ${A} is not supported")));
}

TEST(ConfigEnv, KeysAreNotSubstituted) {
  EXPECT_THAT(error_lines(parse(std::string(kMinimal) + "${SECTION}: {}\n", {{"SECTION", "log"}})),
              ElementsAre(HasSubstr("${SECTION}: unknown key")));
}

TEST(ConfigEnv, ProcessEnvironmentSnapshotsEnviron) {
  ASSERT_EQ(::setenv("NEWSWATCH_CONFIG_TEST_VAR", "a=b", 1), 0);
  const Environment env = process_environment();
  ASSERT_TRUE(env.contains("NEWSWATCH_CONFIG_TEST_VAR"));
  EXPECT_EQ(env.at("NEWSWATCH_CONFIG_TEST_VAR"), "a=b");
  ::unsetenv("NEWSWATCH_CONFIG_TEST_VAR");
}

// ---- Overrides ----------------------------------------------------------------------------

TEST(ConfigOverrides, TakePrecedenceOverTheFileAndTheEnvironment) {
  Overrides o;
  o.brokers = "cli:9092";
  o.group_id = "cli-group";
  o.input_topics = std::vector<std::string>{"t1", "t2"};
  o.alert_topic = "cli-alerts";
  o.dlq_topic = "cli-dlq";
  o.rules_dir = "cli/rules";
  o.workers = 16;
  o.metrics_listen = "";
  o.log_level = "trace";
  const LoadResult r = parse(
      "kafka:\n"
      "  brokers: ${B}\n"
      "  group_id: file-group\n"
      "  input_topics: [a, b, c]\n"
      "  alert_topic: file-alerts\n"
      "  dlq_topic: file-dlq\n"
      "rules:\n"
      "  dir: file/rules\n"
      "pipeline:\n"
      "  workers: 3\n"
      "  queue_capacity: 77\n"
      "metrics:\n"
      "  listen: 0.0.0.0:1\n"
      "log:\n"
      "  level: error\n",
      {{"B", "env:9092"}}, o);
  ASSERT_TRUE(r.ok()) << r.error_report();
  const Config& c = *r.config;
  EXPECT_EQ(c.kafka.brokers, "cli:9092");
  EXPECT_EQ(c.kafka.group_id, "cli-group");
  EXPECT_THAT(c.kafka.input_topics, ElementsAre("t1", "t2"));  // replaced, not merged
  EXPECT_EQ(c.kafka.alert_topic, "cli-alerts");
  EXPECT_EQ(c.kafka.dlq_topic, "cli-dlq");
  EXPECT_EQ(c.rules.dir, "cli/rules");
  EXPECT_EQ(c.pipeline.workers, 16u);
  EXPECT_EQ(c.pipeline.queue_capacity, 77u);  // not overridden: from the file
  EXPECT_EQ(c.metrics.listen, "");
  EXPECT_EQ(c.log.level, LogLevel::kTrace);
}

TEST(ConfigOverrides, AreValidatedWithTheSameBoundsAndRules) {
  Overrides o;
  o.brokers = "nohost";
  o.input_topics = std::vector<std::string>{"ok", "bad topic"};
  o.alert_topic = "";
  o.dlq_topic = "ok";  // also an input topic
  o.rules_dir = "";
  o.workers = 0;
  o.metrics_listen = "localhost";
  o.log_level = "chatty";
  const LoadResult r = parse(kMinimal, {}, o);
  EXPECT_THAT(
      error_lines(r),
      ElementsAre("command line: kafka.brokers: broker \"nohost\": missing \":port\" (expected "
                  "host:port) (expected a comma-separated host:port list, or \"embedded\")",
                  "command line: kafka.input_topics[1]: \"bad topic\" is not a valid topic name: "
                  "only ASCII letters, digits, '.', '_' and '-' are allowed",
                  "command line: kafka.alert_topic: must not be empty",
                  "command line: rules.dir: must not be empty",
                  "command line: pipeline.workers: must be between 1 and 256, got 0",
                  "command line: metrics.listen: listen address \"localhost\": missing \":port\" "
                  "(expected host:port)",
                  "command line: log.level: expected one of trace, debug, info, warn, error, off; "
                  "got \"chatty\""));
}

TEST(ConfigOverrides, CrossFieldRulesSeeTheOverriddenValues) {
  Overrides o;
  o.dlq_topic = "news";
  EXPECT_THAT(error_lines(parse(kMinimal, {}, o)),
              ElementsAre("command line: kafka.dlq_topic: \"news\" is also in kafka.input_topics; "
                          "newswatch would consume its own output"));
  Overrides fix;
  fix.input_topics = std::vector<std::string>{"other"};
  EXPECT_TRUE(parse(minimal_with("kafka.dlq_topic", "news"), {}, fix).ok());
}

TEST(ConfigOverrides, EmptyInputTopicsOverrideIsRejected) {
  Overrides o;
  o.input_topics = std::vector<std::string>{};
  EXPECT_THAT(error_lines(parse(kMinimal, {}, o)),
              ElementsAre("command line: kafka.input_topics: must not be empty"));
}

TEST(ConfigOverrides, CanSupplyRequiredKeysMissingFromTheFile) {
  Overrides o;
  o.alert_topic = "alerts";
  const LoadResult r =
      parse("kafka:\n  brokers: k:1\n  input_topics: [a]\nrules: {dir: r}\n", {}, o);
  ASSERT_TRUE(r.ok()) << r.error_report();
  EXPECT_EQ(r.config->kafka.alert_topic, "alerts");
}

TEST(ConfigOverrides, FileIsOptionalWhenOverridesSupplyEveryRequiredKey) {
  Overrides o;
  o.brokers = "embedded";
  o.input_topics = std::vector<std::string>{"news"};
  o.alert_topic = "alerts";
  o.rules_dir = "rules";
  const LoadResult r = load_config(std::nullopt, o, {});
  ASSERT_TRUE(r.ok()) << r.error_report();
  EXPECT_TRUE(r.config->kafka.embedded());
  EXPECT_EQ(r.config->rules.dir, "rules");  // kept as given, relative to the working directory
  EXPECT_EQ(r.config->pipeline.workers, 2u);
}

TEST(ConfigOverrides, WithoutAFileEveryMissingRequiredKeyIsReported) {
  Overrides o;
  o.brokers = "embedded";
  o.workers = 300;
  EXPECT_THAT(error_lines(load_config(std::nullopt, o, {})),
              ElementsAre("command line: pipeline.workers: must be between 1 and 256, got 300",
                          "command line: kafka.input_topics: is required (no config file was "
                          "given, so it must be set on the command line)",
                          "command line: kafka.alert_topic: is required (no config file was "
                          "given, so it must be set on the command line)",
                          "command line: rules.dir: is required (no config file was given, so it "
                          "must be set on the command line)"));
}

TEST(ConfigOverrides, FileErrorsComeFirstThenCommandLineErrors) {
  Overrides o;
  o.workers = -2;
  const LoadResult r = parse(minimal_with("log.level", "shout"), {}, o);
  EXPECT_THAT(error_lines(r),
              ElementsAre(HasSubstr("test.yaml:8:10: log.level:"),
                          "command line: pipeline.workers: must be between 1 and 256, got -2"));
}

// ---- Files --------------------------------------------------------------------------------

class ConfigFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("newswatch_config_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "etc");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path write(const std::string& name, std::string_view text) {
    const auto path = dir_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(ConfigFiles, RelativeRulesDirIsResolvedAgainstTheConfigFile) {
  const auto file = write("etc/newswatch.yaml", minimal_with("rules.dir", "../rules/watch"));
  const LoadResult r = load_config(file, {}, {});
  ASSERT_TRUE(r.ok()) << r.error_report();
  EXPECT_EQ(r.config->rules.dir, (dir_ / "rules/watch").lexically_normal().string());

  const auto absolute = write("etc/abs.yaml", minimal_with("rules.dir", "/srv/rules"));
  EXPECT_EQ(load_config(absolute, {}, {}).config->rules.dir, "/srv/rules");

  Overrides o;
  o.rules_dir = "cli/rules";
  EXPECT_EQ(load_config(file, o, {}).config->rules.dir, "cli/rules");
}

TEST_F(ConfigFiles, ErrorsNameTheFileAsGiven) {
  const auto file = write("etc/bad.yaml", minimal_with("pipeline.workers", "lots"));
  EXPECT_THAT(error_lines(load_config(file, {}, {})),
              ElementsAre(file.string() +
                          ":8:12: pipeline.workers: expected a decimal integer, got \"lots\""));
}

TEST_F(ConfigFiles, MissingOrUnreadableFile) {
  const auto missing = dir_ / "nope.yaml";
  EXPECT_THAT(
      error_lines(load_config(missing, {}, {})),
      ElementsAre(missing.string() + ": cannot read the config file: No such file or directory"));
  EXPECT_THAT(
      error_lines(load_config(dir_ / "etc", {}, {})),
      ElementsAre((dir_ / "etc").string() + ": cannot read the config file: it is a directory"));
  // Command-line errors are still reported alongside.
  Overrides o;
  o.workers = 0;
  EXPECT_EQ(load_config(missing, o, {}).errors.size(), 2u);
}

}  // namespace
}  // namespace newswatch::config
