// Loading and validation: defaults, types, bounds, enums, unknown keys, required keys,
// positions, and the whole-config rules.
#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/config/config.h"

#include "tests/config/test_util.h"

namespace newswatch::config {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using testing::error_lines;
using ::testing::HasSubstr;
using testing::kMinimal;
using testing::minimal_with;
using testing::parse;

// The single error of `r`, which must have failed with exactly one error.
ConfigError single_error(const LoadResult& r) {
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.config.has_value());
  EXPECT_EQ(r.errors.size(), 1u) << r.error_report();
  return r.errors.empty() ? ConfigError{} : r.errors.front();
}

// ---- Defaults and the table ---------------------------------------------------------------

TEST(ConfigDefaults, DefaultConstructedConfigHoldsTheDocumentedDefaults) {
  const Config c;
  EXPECT_EQ(c.kafka.brokers, "");
  EXPECT_EQ(c.kafka.group_id, "newswatch");
  EXPECT_TRUE(c.kafka.input_topics.empty());
  EXPECT_EQ(c.kafka.alert_topic, "");
  EXPECT_EQ(c.kafka.shadow_topic, "");
  EXPECT_EQ(c.kafka.dlq_topic, "");
  EXPECT_TRUE(c.kafka.consumer.empty());
  EXPECT_TRUE(c.kafka.producer.empty());
  EXPECT_EQ(c.rules.dir, "");
  EXPECT_TRUE(c.rules.watch);
  EXPECT_EQ(c.rules.reload_debounce, 1s);
  EXPECT_EQ(c.input.max_message_bytes, 1024u * 1024u);
  EXPECT_EQ(c.input.body_format, BodyFormat::kText);
  EXPECT_EQ(c.pipeline.workers, 2u);
  EXPECT_EQ(c.pipeline.queue_capacity, 1024u);
  EXPECT_EQ(c.pipeline.max_alerts_per_article, 100u);
  EXPECT_EQ(c.pipeline.shutdown_timeout, 30s);
  EXPECT_EQ(c.dedup.max_entries, 1'000'000u);
  EXPECT_EQ(c.metrics.listen, "127.0.0.1:9464");
  EXPECT_TRUE(c.metrics.per_rule_series);
  EXPECT_EQ(c.metrics.max_rule_series, 1000u);
  EXPECT_EQ(c.log.level, LogLevel::kInfo);
  EXPECT_EQ(c.log.format, LogFormat::kText);
}

TEST(ConfigDefaults, MinimalFileGivesDefaultsPlusRequiredKeys) {
  const LoadResult r = parse(kMinimal);
  ASSERT_TRUE(r.ok()) << r.error_report();
  Config expected;
  expected.kafka.brokers = "k1:9092";
  expected.kafka.input_topics = {"news"};
  expected.kafka.alert_topic = "alerts";
  expected.rules.dir = "/srv/rules";
  EXPECT_EQ(*r.config, expected);
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(r.error_report(), "");
}

TEST(ConfigTable, EveryDefaultLoadsAndLiesWithinItsBounds) {
  // Writing every default explicitly into a file must give the default Config back.
  std::string yaml(kMinimal);
  std::string section;
  for (const FieldInfo& f : fields()) {
    if (f.required || f.type == FieldType::kStringList || f.type == FieldType::kPropertyMap) {
      continue;
    }
    const LoadResult r = parse(minimal_with(f.path, "\"" + std::string(f.default_value) + "\""));
    ASSERT_TRUE(r.ok()) << f.path << ": " << r.error_report();
    EXPECT_EQ(*r.config, *parse(kMinimal).config) << f.path;
    if (f.min) {
      EXPECT_TRUE(f.type == FieldType::kInt || f.type == FieldType::kDuration ||
                  f.type == FieldType::kSize)
          << f.path;
      ASSERT_TRUE(f.max.has_value()) << f.path;
      EXPECT_LE(*f.min, *f.max) << f.path;
    }
  }
}

TEST(ConfigTable, PathsAreUniqueAndEveryRowIsDocumented) {
  std::set<std::string_view> paths;
  for (const FieldInfo& f : fields()) {
    EXPECT_TRUE(paths.insert(f.path).second) << "duplicate " << f.path;
    EXPECT_FALSE(f.doc.empty()) << f.path;
    EXPECT_EQ(f.doc.find('\n'), std::string_view::npos) << f.path;
    const bool numeric =
        f.type == FieldType::kInt || f.type == FieldType::kDuration || f.type == FieldType::kSize;
    EXPECT_EQ(numeric, f.min.has_value() && f.max.has_value()) << f.path << " needs bounds";
    EXPECT_EQ(f.type == FieldType::kEnum, !f.enum_values.empty()) << f.path;
  }
  EXPECT_EQ(paths.size(), 23u);
}

TEST(ConfigTable, EnumSpellingsMatchToString) {
  EXPECT_EQ(to_string(LogLevel::kTrace), "trace");
  EXPECT_EQ(to_string(LogLevel::kOff), "off");
  EXPECT_EQ(to_string(LogFormat::kJson), "json");
  EXPECT_EQ(to_string(BodyFormat::kHtml), "html");
}

// ---- Values of every type -----------------------------------------------------------------

TEST(ConfigValues, EveryFieldTypeParses) {
  const LoadResult r = parse(
      "kafka:\n"
      "  brokers: SASL_SSL://k1.example.com:9093, k2.example.com:9093,[::1]:9094\n"
      "  group_id: 42\n"
      "  input_topics: [news.fr, news_en, NEWS-de]\n"
      "  alert_topic: alerts\n"
      "  shadow_topic: alerts.shadow\n"
      "  dlq_topic: news.dlq\n"
      "  consumer: {security.protocol: SASL_SSL, fetch.wait.max.ms: 50, check.crcs: true}\n"
      "rules:\n"
      "  dir: /srv/rules\n"
      "  watch: false\n"
      "  reload_debounce: 250ms\n"
      "input:\n"
      "  max_message_bytes: 2MB\n"
      "  body_format: html\n"
      "pipeline:\n"
      "  workers: 8\n"
      "  queue_capacity: 1000000\n"
      "  max_alerts_per_article: 1\n"
      "  shutdown_timeout: 2m\n"
      "dedup:\n"
      "  max_entries: 0\n"
      "metrics:\n"
      "  listen: \"\"\n"
      "  per_rule_series: false\n"
      "  max_rule_series: 0\n"
      "log:\n"
      "  level: off\n"
      "  format: json\n");
  ASSERT_TRUE(r.ok()) << r.error_report();
  const Config& c = *r.config;
  EXPECT_EQ(c.kafka.brokers, "SASL_SSL://k1.example.com:9093, k2.example.com:9093,[::1]:9094");
  EXPECT_EQ(c.kafka.group_id, "42");
  EXPECT_THAT(c.kafka.input_topics, ElementsAre("news.fr", "news_en", "NEWS-de"));
  EXPECT_EQ(c.kafka.shadow_topic, "alerts.shadow");
  EXPECT_EQ(c.kafka.dlq_topic, "news.dlq");
  EXPECT_EQ(c.kafka.consumer, (PropertyMap{{"check.crcs", "true"},
                                           {"fetch.wait.max.ms", "50"},
                                           {"security.protocol", "SASL_SSL"}}));
  EXPECT_FALSE(c.rules.watch);
  EXPECT_EQ(c.rules.reload_debounce, 250ms);
  EXPECT_EQ(c.input.max_message_bytes, 2'000'000u);
  EXPECT_EQ(c.input.body_format, BodyFormat::kHtml);
  EXPECT_EQ(c.pipeline.workers, 8u);
  EXPECT_EQ(c.pipeline.queue_capacity, 1'000'000u);
  EXPECT_EQ(c.pipeline.max_alerts_per_article, 1u);
  EXPECT_EQ(c.pipeline.shutdown_timeout, 2min);
  EXPECT_EQ(c.dedup.max_entries, 0u);
  EXPECT_EQ(c.metrics.listen, "");
  EXPECT_FALSE(c.metrics.per_rule_series);
  EXPECT_EQ(c.metrics.max_rule_series, 0u);
  EXPECT_EQ(c.log.level, LogLevel::kOff);
  EXPECT_EQ(c.log.format, LogFormat::kJson);
}

TEST(ConfigValues, DurationUnits) {
  const std::pair<const char*, std::chrono::milliseconds> cases[] = {
      {"1000ms", 1s}, {"2s", 2s}, {"3m", 3min}, {"1h", 1h}, {"0d", 0ms}};
  for (const auto& [text, expected] : cases) {
    const LoadResult r = parse(minimal_with("pipeline.shutdown_timeout", text));
    if (expected < 1s || expected > 10min) {
      EXPECT_THAT(single_error(r).message, HasSubstr("must be between 1s and 10m")) << text;
    } else {
      ASSERT_TRUE(r.ok()) << text << ": " << r.error_report();
      EXPECT_EQ(r.config->pipeline.shutdown_timeout, expected) << text;
    }
  }
  const LoadResult day = parse(minimal_with("pipeline.shutdown_timeout", "1d"));
  EXPECT_EQ(single_error(day).message, "must be between 1s and 10m, got 1d");
}

TEST(ConfigValues, SizeUnits) {
  const std::pair<const char*, std::uint64_t> cases[] = {
      {"4096", 4096}, {"4096B", 4096},    {"3KiB", 3 * 1024},   {"5MiB", 5 << 20},
      {"2KB", 2000},  {"7MB", 7'000'000}, {"64MiB", 64u << 20}, {"1024", 1024}};
  for (const auto& [text, expected] : cases) {
    const LoadResult r = parse(minimal_with("input.max_message_bytes", text));
    ASSERT_TRUE(r.ok()) << text << ": " << r.error_report();
    EXPECT_EQ(r.config->input.max_message_bytes, expected) << text;
  }
  EXPECT_EQ(single_error(parse(minimal_with("input.max_message_bytes", "1GiB"))).message,
            "must be between 1KiB and 64MiB, got 1GiB");
  EXPECT_EQ(single_error(parse(minimal_with("input.max_message_bytes", "1GB"))).message,
            "must be between 1KiB and 64MiB, got 1GB");
}

// ---- Type, bound and enum errors ----------------------------------------------------------

struct BadValue {
  const char* path;
  const char* yaml_value;
  const char* message;
};

class ConfigBadValue : public ::testing::TestWithParam<BadValue> {};

TEST_P(ConfigBadValue, IsRejectedAtTheValueWithAClearMessage) {
  const BadValue& p = GetParam();
  const std::string yaml = minimal_with(p.path, p.yaml_value);
  const LoadResult r = parse(yaml);
  const ConfigError e = single_error(r);
  EXPECT_EQ(e.source, "test.yaml");
  EXPECT_EQ(e.key_path, p.path);
  EXPECT_EQ(e.message, p.message);
  // The value is the last line of its section: the error points at it (or its key for null).
  const std::string key = std::string(p.path).substr(std::string(p.path).find('.') + 1);
  const std::size_t line_start = yaml.find("\n  " + key + ": ") + 1;
  const int line = 1 + static_cast<int>(std::count(yaml.begin(), yaml.begin() + line_start, '\n'));
  EXPECT_EQ(e.line, line) << yaml;
  EXPECT_TRUE(e.column == 3 || e.column == static_cast<int>(5 + key.size())) << e.column;
}

INSTANTIATE_TEST_SUITE_P(
    Types, ConfigBadValue,
    ::testing::Values(
        BadValue{"kafka.group_id", "[a, b]", "expected a string, got a list"},
        BadValue{"kafka.group_id", "{a: b}", "expected a string, got a mapping"},
        BadValue{"kafka.group_id", "~",
                 "has no value (remove the key to use the default, newswatch)"},
        BadValue{"kafka.dlq_topic", "",
                 "has no value (write \"\" for an empty string, or remove the key)"},
        BadValue{"rules.watch", "yes", "expected true or false, got \"yes\""},
        BadValue{"rules.watch", "True", "expected true or false, got \"True\""},
        BadValue{"rules.watch", "1", "expected true or false, got \"1\""},
        BadValue{"pipeline.workers", "four", "expected a decimal integer, got \"four\""},
        BadValue{"pipeline.workers", "1.5", "expected a decimal integer, got \"1.5\""},
        BadValue{"pipeline.workers", "0x10", "expected a decimal integer, got \"0x10\""},
        BadValue{"pipeline.workers", "+3", "expected a decimal integer, got \"+3\""},
        BadValue{"pipeline.workers", "[2]", "expected an integer, got a list"},
        BadValue{"pipeline.workers", "99999999999999999999",
                 "\"99999999999999999999\" is out of range"},
        BadValue{"rules.reload_debounce", "10",
                 "expected a duration: an integer and a unit (ms, s, m, h, d) such as 500ms or "
                 "30s, got \"10\""},
        BadValue{"rules.reload_debounce", "1.5s",
                 "expected a duration: an integer and a unit (ms, s, m, h, d) such as 500ms or "
                 "30s, got \"1.5s\""},
        BadValue{"rules.reload_debounce", "2 s",
                 "expected a duration: an integer and a unit (ms, s, m, h, d) such as 500ms or "
                 "30s, got \"2 s\""},
        BadValue{"rules.reload_debounce", "-1s",
                 "expected a duration: an integer and a unit (ms, s, m, h, d) such as 500ms or "
                 "30s, got \"-1s\""},
        BadValue{"rules.reload_debounce", "1w",
                 "expected a duration: an integer and a unit (ms, s, m, h, d) such as 500ms or "
                 "30s, got \"1w\""},
        BadValue{"rules.reload_debounce", "9999999999999999999d",
                 "\"9999999999999999999d\" is out of range"},
        BadValue{"input.max_message_bytes", "1 MB",
                 "expected a size: an integer of bytes, optionally with a unit (B, KiB, MiB, GiB, "
                 "KB, MB, GB) such as 512KiB, got \"1 MB\""},
        BadValue{"input.max_message_bytes", "1mb",
                 "expected a size: an integer of bytes, optionally with a unit (B, KiB, MiB, GiB, "
                 "KB, MB, GB) such as 512KiB, got \"1mb\""},
        BadValue{"input.max_message_bytes", "1TB",
                 "expected a size: an integer of bytes, optionally with a unit (B, KiB, MiB, GiB, "
                 "KB, MB, GB) such as 512KiB, got \"1TB\""},
        BadValue{"input.max_message_bytes", "9999999999GiB", "\"9999999999GiB\" is out of range"},
        BadValue{"input.body_format", "markdown", "expected one of text, html; got \"markdown\""},
        BadValue{"log.level", "verbose",
                 "expected one of trace, debug, info, warn, error, off; got \"verbose\""},
        BadValue{"log.level", "INFO",
                 "expected one of trace, debug, info, warn, error, off; got \"INFO\""},
        BadValue{"log.format", "xml", "expected one of text, json; got \"xml\""},
        BadValue{"kafka.input_topics", "news",
                 "expected a list of strings, e.g. [a, b], got a scalar"},
        BadValue{"kafka.input_topics", "[]", "must not be empty"},
        BadValue{"kafka.consumer", "[a]",
                 "expected a mapping of librdkafka property names to values, got a list"}));

INSTANTIATE_TEST_SUITE_P(
    Bounds, ConfigBadValue,
    ::testing::Values(
        BadValue{"rules.reload_debounce", "99ms", "must be between 100ms and 1m, got 99ms"},
        BadValue{"rules.reload_debounce", "61s", "must be between 100ms and 1m, got 61s"},
        BadValue{"input.max_message_bytes", "1023", "must be between 1KiB and 64MiB, got 1023"},
        BadValue{"input.max_message_bytes", "67108865",
                 "must be between 1KiB and 64MiB, got 67108865"},
        BadValue{"pipeline.workers", "0", "must be between 1 and 256, got 0"},
        BadValue{"pipeline.workers", "257", "must be between 1 and 256, got 257"},
        BadValue{"pipeline.workers", "-1", "must be between 1 and 256, got -1"},
        BadValue{"pipeline.queue_capacity", "0", "must be between 1 and 1000000, got 0"},
        BadValue{"pipeline.queue_capacity", "1000001",
                 "must be between 1 and 1000000, got 1000001"},
        BadValue{"pipeline.max_alerts_per_article", "0", "must be between 1 and 10000, got 0"},
        BadValue{"pipeline.max_alerts_per_article", "10001",
                 "must be between 1 and 10000, got 10001"},
        BadValue{"pipeline.shutdown_timeout", "999ms", "must be between 1s and 10m, got 999ms"},
        BadValue{"pipeline.shutdown_timeout", "601s", "must be between 1s and 10m, got 601s"},
        BadValue{"dedup.max_entries", "-1", "must be between 0 and 100000000, got -1"},
        BadValue{"dedup.max_entries", "100000001",
                 "must be between 0 and 100000000, got 100000001"},
        BadValue{"metrics.max_rule_series", "100001", "must be between 0 and 100000, got 100001"}));

// Every numeric field accepts both ends of its range (generated from the table, so a new
// field is covered without editing this test).
TEST(ConfigBounds, BothEndsOfEveryRangeAreAccepted) {
  for (const FieldInfo& f : fields()) {
    if (!f.min) continue;
    for (std::int64_t v : {*f.min, *f.max}) {
      std::string text = std::to_string(v);
      if (f.type == FieldType::kDuration) text += "ms";
      const LoadResult r = parse(minimal_with(f.path, text));
      EXPECT_TRUE(r.ok()) << f.path << "=" << text << ": " << r.error_report();
    }
    for (std::int64_t v : {*f.min - 1, *f.max + 1}) {
      if (v < 0 && f.type != FieldType::kInt) continue;  // "-1ms" is a syntax error instead
      std::string text = std::to_string(v);
      if (f.type == FieldType::kDuration) text += "ms";
      EXPECT_THAT(single_error(parse(minimal_with(f.path, text))).message,
                  HasSubstr("must be between"))
          << f.path << "=" << text;
    }
  }
}

TEST(ConfigValues, QuotedScalarsAreReadAsTheirText) {
  const LoadResult r = parse(std::string(kMinimal) + "pipeline:\n  workers: \"3\"\nrules2: x\n");
  EXPECT_THAT(error_lines(r), ElementsAre(HasSubstr("test.yaml:9:1: rules2: unknown key")));
  const LoadResult ok = parse(minimal_with("pipeline.workers", "\"3\""));
  ASSERT_TRUE(ok.ok()) << ok.error_report();
  EXPECT_EQ(ok.config->pipeline.workers, 3u);
}

// ---- Topic names, brokers, listen addresses -----------------------------------------------

TEST(ConfigTopics, TopicNamesAreValidated) {
  const std::string longest(249, 'a');
  EXPECT_TRUE(parse(minimal_with("kafka.alert_topic", longest)).ok());
  EXPECT_EQ(single_error(parse(minimal_with("kafka.alert_topic", longest + "a"))).message,
            "is not a valid topic name: longer than 249 characters");
  EXPECT_EQ(single_error(parse(minimal_with("kafka.alert_topic", "\"a b\""))).message,
            "\"a b\" is not a valid topic name: only ASCII letters, digits, '.', '_' and '-' are "
            "allowed");
  EXPECT_EQ(single_error(parse(minimal_with("kafka.alert_topic", "\"..\""))).message,
            "\"..\" is not a valid topic name");
  EXPECT_EQ(single_error(parse(minimal_with("kafka.alert_topic", "\"\""))).message,
            "must not be empty");
  EXPECT_EQ(single_error(parse(minimal_with("kafka.shadow_topic", "\"née\""))).key_path,
            "kafka.shadow_topic");
  EXPECT_TRUE(parse(minimal_with("kafka.shadow_topic", "\"\"")).ok());
  EXPECT_TRUE(parse(minimal_with("kafka.dlq_topic", "\"\"")).ok());
}

TEST(ConfigTopics, InputTopicErrorsNameTheElement) {
  const LoadResult r = parse(minimal_with("kafka.input_topics", "[ok, \"not ok\", [x], ok]"));
  EXPECT_THAT(
      error_lines(r),
      ElementsAre("test.yaml:4:22: kafka.input_topics[1]: \"not ok\" is not a valid topic name: "
                  "only ASCII letters, digits, '.', '_' and '-' are allowed",
                  "test.yaml:4:32: kafka.input_topics[2]: expected a string, got a list",
                  "test.yaml:4:37: kafka.input_topics[3]: \"ok\" is listed twice"));
}

TEST(ConfigTopics, OutputTopicsMustNotBeInputTopics) {
  const LoadResult r = parse(
      "kafka:\n"
      "  brokers: k1:9092\n"
      "  input_topics: [news, alerts]\n"
      "  alert_topic: alerts\n"
      "  dlq_topic: news\n"
      "rules:\n"
      "  dir: r\n");
  EXPECT_THAT(error_lines(r),
              ElementsAre("test.yaml:4:16: kafka.alert_topic: \"alerts\" is also in "
                          "kafka.input_topics; newswatch would consume its own output",
                          "test.yaml:5:14: kafka.dlq_topic: \"news\" is also in "
                          "kafka.input_topics; newswatch would consume its own output"));
}

TEST(ConfigBrokers, AcceptedForms) {
  for (const char* brokers :
       {"embedded", "k1:9092", "k1:9092,k2:9092,k3:9092", "k1:9092, k2:9092", "10.0.0.1:9092",
        "[::1]:9092", "[2001:db8::1]:9093", "SASL_SSL://k1.example.com:9093", "kafka_1:9092"}) {
    const LoadResult r = parse(minimal_with("kafka.brokers", "\"" + std::string(brokers) + "\""));
    EXPECT_TRUE(r.ok()) << brokers << ": " << r.error_report();
  }
}

TEST(ConfigBrokers, RejectedForms) {
  const std::pair<const char*, const char*> cases[] = {
      {"k1", "broker \"k1\": missing \":port\" (expected host:port)"},
      {"k1:0", "broker \"k1:0\": port \"0\" is not a number between 1 and 65535"},
      {"k1:65536", "broker \"k1:65536\": port \"65536\" is not a number between 1 and 65535"},
      {"k1:x", "broker \"k1:x\": port \"x\" is not a number between 1 and 65535"},
      {"::1:9092",
       "broker \"::1:9092\": an IPv6 address must be written in brackets, e.g. [::1]:9464"},
      {"[::g]:1", "broker \"[::g]:1\": \"::g\" is not an IPv6 address"},
      {"300.1.1.1:9092", "broker \"300.1.1.1:9092\": \"300.1.1.1\" is not an IPv4 address"},
      {"-bad-:9092", "broker \"-bad-:9092\": \"-bad-\" is not a valid host name"},
      {"1nvalid scheme://h:1",
       "broker \"1nvalid scheme://h:1\": invalid protocol prefix "
       "\"1nvalid scheme\""},
      {"Embedded", "broker \"Embedded\": missing \":port\" (expected host:port)"},
  };
  for (const auto& [brokers, message] : cases) {
    const LoadResult r = parse(minimal_with("kafka.brokers", "\"" + std::string(brokers) + "\""));
    EXPECT_EQ(
        single_error(r).message,
        std::string(message) + " (expected a comma-separated host:port list, or \"embedded\")")
        << brokers;
  }
  EXPECT_EQ(single_error(parse(minimal_with("kafka.brokers", "\"k1:1,,k2:2\""))).message,
            "empty entry in the broker list \"k1:1,,k2:2\"");
  EXPECT_EQ(single_error(parse(minimal_with("kafka.brokers", "\"\""))).message,
            "must not be empty (a host:port list, or \"embedded\")");
}

TEST(ConfigMetricsListen, AcceptedForms) {
  for (const char* listen : {"", "127.0.0.1:9464", "0.0.0.0:0", "[::]:9464", "[::1]:65535",
                             "localhost:9464", "metrics.internal.example:80"}) {
    const LoadResult r = parse(minimal_with("metrics.listen", "\"" + std::string(listen) + "\""));
    ASSERT_TRUE(r.ok()) << listen << ": " << r.error_report();
    EXPECT_EQ(r.config->metrics.listen, listen);
  }
}

TEST(ConfigMetricsListen, RejectedForms) {
  const std::pair<const char*, const char*> cases[] = {
      {"9464", "listen address \"9464\": missing \":port\" (expected host:port)"},
      {":9464", "listen address \":9464\": missing host (use 0.0.0.0 or [::] for every interface)"},
      {"localhost:65536",
       "listen address \"localhost:65536\": port \"65536\" is not a number between 0 and 65535"},
      {"localhost:-1",
       "listen address \"localhost:-1\": port \"-1\" is not a number between 0 and 65535"},
      {"256.0.0.1:80", "listen address \"256.0.0.1:80\": \"256.0.0.1\" is not an IPv4 address"},
      {"[::1]", "listen address \"[::1]\": missing \":port\" after the address"},
      {"[::1:80", "listen address \"[::1:80\": missing ']' after the IPv6 address"},
      {"[1.2.3.4]:80", "listen address \"[1.2.3.4]:80\": \"1.2.3.4\" is not an IPv6 address"},
      {"::1:80",
       "listen address \"::1:80\": an IPv6 address must be written in brackets, e.g. [::1]:9464"},
      {"my host:80", "listen address \"my host:80\": \"my host\" is not a valid host name"},
      {"http://localhost:80",
       "listen address \"http://localhost:80\": an IPv6 address must be written in brackets, "
       "e.g. [::1]:9464"},
  };
  for (const auto& [listen, message] : cases) {
    const LoadResult r = parse(minimal_with("metrics.listen", "\"" + std::string(listen) + "\""));
    EXPECT_EQ(single_error(r).message, message) << listen;
  }
}

// ---- Unknown keys, duplicates, structure --------------------------------------------------

TEST(ConfigUnknownKeys, AreReportedAtEveryDepthWithSuggestions) {
  const LoadResult r = parse(
      "kafak:\n"  // 1: typo of a section
      "  brokers: x\n"
      "kafka:\n"  // 3
      "  brokers: k1:9092\n"
      "  input_topics: [news]\n"
      "  alert_topic: alerts\n"
      "  borkers: k2:9092\n"  // 7: typo of a key
      "  workers: 3\n"        // 8: key of another section
      "rules:\n"
      "  dir: /srv/rules\n"
      "  frobnicate: 1\n"  // 11: nothing close
      "workers: 4\n"       // 12: a field key at the top level
      "telemetry: {}\n");  // 13: nothing close
  EXPECT_THAT(
      error_lines(r),
      ElementsAre("test.yaml:1:1: kafak: unknown key (did you mean \"kafka\"?)",
                  "test.yaml:7:3: kafka.borkers: unknown key (did you mean \"brokers\"?)",
                  "test.yaml:8:3: kafka.workers: unknown key (did you mean \"pipeline.workers\"?)",
                  "test.yaml:11:3: rules.frobnicate: unknown key; expected one of: dir, watch, "
                  "reload_debounce",
                  "test.yaml:12:1: workers: unknown key (did you mean \"pipeline.workers\"?)",
                  "test.yaml:13:1: telemetry: unknown key; expected one of: kafka, rules, input, "
                  "pipeline, dedup, metrics, log"));
}

TEST(ConfigUnknownKeys, PassThroughMapsAcceptAnyPropertyName) {
  const LoadResult r = parse(std::string(kMinimal) +
                             "  # comment\n"
                             "input: {}\n");
  ASSERT_TRUE(r.ok()) << r.error_report();
  const LoadResult props = parse(minimal_with("kafka.producer", "{linger.ms: 5, x.y.z: w}"));
  ASSERT_TRUE(props.ok()) << props.error_report();
  EXPECT_EQ(props.config->kafka.producer, (PropertyMap{{"linger.ms", "5"}, {"x.y.z", "w"}}));
}

TEST(ConfigUnknownKeys, NestedValueUnderAScalarFieldIsATypeError) {
  EXPECT_EQ(single_error(parse(minimal_with("metrics.listen", "{host: a, port: 1}"))).message,
            "expected a string, got a mapping");
}

TEST(ConfigStructure, DuplicateKeysAtEveryLevel) {
  const LoadResult r = parse(
      "kafka:\n"
      "  brokers: k1:9092\n"
      "  input_topics: [news]\n"
      "  alert_topic: alerts\n"
      "  brokers: k2:9092\n"  // 5
      "  consumer:\n"
      "    client.id: a\n"
      "    client.id: b\n"  // 8
      "rules:\n"
      "  dir: /srv/rules\n"
      "rules:\n"  // 11
      "  dir: /other\n");
  EXPECT_THAT(error_lines(r),
              ElementsAre("test.yaml:5:3: kafka.brokers: duplicate key (first set at line 2, "
                          "column 3)",
                          "test.yaml:8:5: kafka.consumer.client.id: duplicate key (first set at "
                          "line 7, column 5)",
                          "test.yaml:11:1: rules: duplicate key (first set at line 9, column 1)"));
}

TEST(ConfigStructure, RootMustBeAMapping) {
  EXPECT_THAT(error_lines(parse("- kafka\n- rules\n")),
              ElementsAre("test.yaml:1:1: a config file is a mapping of sections (kafka, rules, "
                          "input, pipeline, dedup, metrics, log), got a list"));
  EXPECT_THAT(error_lines(parse("just text\n")), ElementsAre(HasSubstr("got a scalar")));
}

TEST(ConfigStructure, SectionMustBeAMapping) {
  EXPECT_THAT(error_lines(parse(std::string(kMinimal) + "pipeline: 4\n")),
              ElementsAre("test.yaml:7:11: pipeline: expected a mapping, got a scalar"));
  // A section that is not a mapping does not also produce "required key is missing".
  EXPECT_THAT(error_lines(parse("kafka: [brokers]\nrules: {dir: r}\n")),
              ElementsAre("test.yaml:1:8: kafka: expected a mapping, got a list"));
}

TEST(ConfigStructure, EmptySectionsAndMapsAreAccepted) {
  const LoadResult r = parse(std::string(kMinimal) +
                             "metrics:\n"
                             "#  listen: 0.0.0.0:9464\n"
                             "log: {}\n");
  ASSERT_TRUE(r.ok()) << r.error_report();
  const LoadResult props = parse(minimal_with("kafka.consumer", "  # all commented out"));
  ASSERT_TRUE(props.ok()) << props.error_report();
  EXPECT_TRUE(props.config->kafka.consumer.empty());
}

TEST(ConfigStructure, OnlyOneDocument) {
  EXPECT_THAT(error_lines(parse(std::string(kMinimal) + "---\nlog: {level: debug}\n")),
              ElementsAre("test.yaml:8:1: only one YAML document is allowed in a config file"));
}

TEST(ConfigStructure, NonStringKeys) {
  EXPECT_THAT(error_lines(parse(std::string(kMinimal) + "? [a, b]\n: 1\n")),
              ElementsAre("test.yaml:7:3: keys must be strings, got a list"));
}

TEST(ConfigStructure, PropertyValuesMustBeScalars) {
  const LoadResult r = parse(minimal_with("kafka.consumer", "{a.b: [1], c.d: ~, e.f: ok}"));
  EXPECT_THAT(error_lines(r),
              ElementsAre("test.yaml:5:19: kafka.consumer.a.b: expected a string, number or "
                          "boolean, got a list",
                          "test.yaml:5:24: kafka.consumer.c.d: has no value"));
}

TEST(ConfigSyntax, YamlSyntaxErrorsHaveAPosition) {
  const LoadResult r = parse("kafka:\n  brokers: [k1:9092\nrules:\n  dir: x\n");
  const ConfigError e = single_error(r);
  EXPECT_EQ(e.source, "test.yaml");
  EXPECT_GT(e.line, 1);
  EXPECT_GT(e.column, 0);
  EXPECT_EQ(e.key_path, "");
  EXPECT_THAT(e.message, HasSubstr("YAML syntax error: "));

  const LoadResult indent = parse("kafka:\n  brokers: a\n alert_topic: b\n");
  EXPECT_THAT(error_lines(indent), ElementsAre(HasSubstr("test.yaml:3:2: YAML syntax error: ")));

  const LoadResult tab = parse("kafka:\n\tbrokers: a\n");
  EXPECT_THAT(error_lines(tab), ElementsAre(HasSubstr("test.yaml:2:")));
}

TEST(ConfigSyntax, DeepNestingIsAnErrorNotACrash) {
  const LoadResult r = parse("kafka: {consumer: " + std::string(100'000, '[') + "\n");
  EXPECT_THAT(error_lines(r), ElementsAre(HasSubstr("test.yaml:")));
  std::string yaml = "kafka:\n  consumer:\n";
  for (int i = 0; i < 3000; ++i) yaml += std::string(4 + 2 * i, ' ') + "a:\n";
  EXPECT_THAT(error_lines(parse(yaml)), ElementsAre("test.yaml:499:999: YAML nesting is too deep"));
}

TEST(ConfigSyntax, HugeUnknownKeyIsReportedCheaply) {
  const LoadResult r =
      parse(std::string(kMinimal) + "? " + std::string(1'000'000, 'k') + "\n: 1\n");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].key_path, std::string(200, 'k') + "...");
  EXPECT_THAT(r.errors[0].message, HasSubstr("unknown key; expected one of: kafka, rules"));
}

// ---- Required keys ------------------------------------------------------------------------

TEST(ConfigRequired, MissingKeysAreReportedAtTheParentMapping) {
  // The root mapping starts at its first key (line 2), after the comment.
  const LoadResult r = parse(
      "# comment\n"
      "log:\n"
      "  level: debug\n"
      "kafka:\n"
      "  group_id: g\n"
      "  brokers: k1:9092\n");
  EXPECT_THAT(error_lines(r),
              ElementsAre("test.yaml:2:1: rules.dir: required key is missing",
                          "test.yaml:5:3: kafka.input_topics: required key is missing",
                          "test.yaml:5:3: kafka.alert_topic: required key is missing"));
}

TEST(ConfigRequired, EmptyFileReportsEveryRequiredKey) {
  EXPECT_THAT(error_lines(parse("")),
              ElementsAre("test.yaml:1:1: kafka.brokers: required key is missing",
                          "test.yaml:1:1: kafka.input_topics: required key is missing",
                          "test.yaml:1:1: kafka.alert_topic: required key is missing",
                          "test.yaml:1:1: rules.dir: required key is missing"));
}

TEST(ConfigRequired, NullSectionPointsAtItsKey) {
  EXPECT_THAT(error_lines(parse("kafka:\n  brokers: k1:9092\n  input_topics: [a]\n"
                                "  alert_topic: b\nrules:\n")),
              ElementsAre("test.yaml:5:1: rules.dir: required key is missing"));
}

TEST(ConfigRequired, AnInvalidRequiredValueIsNotAlsoReportedMissing) {
  EXPECT_THAT(error_lines(parse(minimal_with("kafka.alert_topic", "[x]"))),
              ElementsAre("test.yaml:4:16: kafka.alert_topic: expected a string, got a list"));
}

// ---- All problems at once -----------------------------------------------------------------

TEST(ConfigErrors, EveryProblemIsReportedAtOnceInDocumentOrder) {
  const LoadResult r = parse(
      "kafka:\n"
      "  brokers: k1\n"  // 2: bad broker
      "  input_topics: [news]\n"
      "  consumer:\n"
      "    enable.auto.offset.store: true\n"    // 5: owned
      "    sasl.password: ${KAFKA_PASSWORD}\n"  // 6: unset variable
      "rules:\n"
      "  dir: /srv/rules\n"
      "  watch: maybe\n"  // 9: bad bool
      "pipeline:\n"
      "  workers: 0\n"            // 11: out of bounds
      "  shutdown_timeout: 30\n"  // 12: no unit
      "  workerz: 2\n"            // 13: unknown key
      "log:\n"
      "  level: loud\n");  // 15: bad enum
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error_report(),
            "test.yaml:2:3: kafka.alert_topic: required key is missing\n"
            "test.yaml:2:12: kafka.brokers: broker \"k1\": missing \":port\" (expected host:port) "
            "(expected a comma-separated host:port list, or \"embedded\")\n"
            "test.yaml:5:5: kafka.consumer.enable.auto.offset.store: is owned by newswatch and "
            "cannot be set here: newswatch stores an offset only after every alert of that "
            "message is delivered (at-least-once); automatic offset storing would commit "
            "undelivered messages\n"
            "test.yaml:6:20: kafka.consumer.sasl.password: environment variable KAFKA_PASSWORD "
            "is not set (use ${KAFKA_PASSWORD:-default} to give a default)\n"
            "test.yaml:9:10: rules.watch: expected true or false, got \"maybe\"\n"
            "test.yaml:11:12: pipeline.workers: must be between 1 and 256, got 0\n"
            "test.yaml:12:21: pipeline.shutdown_timeout: expected a duration: an integer and a "
            "unit (ms, s, m, h, d) such as 500ms or 30s, got \"30\"\n"
            "test.yaml:13:3: pipeline.workerz: unknown key (did you mean \"workers\"?)\n"
            "test.yaml:15:10: log.level: expected one of trace, debug, info, warn, error, off; "
            "got \"loud\"\n");
}

TEST(ConfigErrors, ToStringLeavesOutWhatIsAbsent) {
  EXPECT_EQ((ConfigError{"f.yaml", 3, 7, "a.b", "bad"}).to_string(), "f.yaml:3:7: a.b: bad");
  EXPECT_EQ((ConfigError{"f.yaml", 0, 0, "", "cannot read"}).to_string(), "f.yaml: cannot read");
  EXPECT_EQ((ConfigError{"command line", 0, 0, "a.b", "bad"}).to_string(),
            "command line: a.b: bad");
  EXPECT_EQ((ConfigError{"", 0, 0, "a.b", "bad"}).to_string(), "a.b: bad");
}

// ---- Owned properties ---------------------------------------------------------------------

TEST(ConfigOwnedProperties, EachIsRejectedInItsMapWithItsReason) {
  ASSERT_FALSE(owned_properties().empty());
  for (const OwnedProperty& p : owned_properties()) {
    const char* map = p.client == KafkaClient::kConsumer ? "kafka.consumer" : "kafka.producer";
    const LoadResult r = parse(minimal_with(map, "{" + std::string(p.name) + ": x}"));
    const ConfigError e = single_error(r);
    EXPECT_EQ(e.key_path, std::string(map) + "." + std::string(p.name));
    EXPECT_EQ(e.message, "is owned by newswatch and cannot be set here: " + std::string(p.reason));
  }
}

TEST(ConfigOwnedProperties, TheGuaranteeCriticalOnesAreOwned) {
  auto owned = [](KafkaClient client, std::string_view name) {
    for (const OwnedProperty& p : owned_properties()) {
      if (p.client == client && p.name == name) return true;
    }
    return false;
  };
  EXPECT_TRUE(owned(KafkaClient::kConsumer, "enable.auto.offset.store"));
  EXPECT_TRUE(owned(KafkaClient::kConsumer, "enable.auto.commit"));
  EXPECT_TRUE(owned(KafkaClient::kConsumer, "group.id"));
  EXPECT_TRUE(owned(KafkaClient::kConsumer, "bootstrap.servers"));
  EXPECT_TRUE(owned(KafkaClient::kProducer, "enable.idempotence"));
  EXPECT_TRUE(owned(KafkaClient::kProducer, "acks"));
  EXPECT_TRUE(owned(KafkaClient::kProducer, "bootstrap.servers"));
}

TEST(ConfigOwnedProperties, MessagesNameTheKeyToUseAndMatchCaseInsensitively) {
  EXPECT_THAT(error_lines(parse(minimal_with("kafka.consumer", "{Group.Id: mine}"))),
              ElementsAre("test.yaml:5:14: kafka.consumer.Group.Id: is owned by newswatch and "
                          "cannot be set here: set kafka.group_id instead"));
  EXPECT_THAT(error_lines(parse(minimal_with("kafka.producer", "{bootstrap.servers: a:1}"))),
              ElementsAre(HasSubstr("set kafka.brokers instead")));
  // Owned by one client only: the consumer's property is not rejected in the producer map.
  EXPECT_TRUE(parse(minimal_with("kafka.producer", "{enable.auto.offset.store: x}")).ok());
}

TEST(ConfigOwnedProperties, PropertyNamesMustBeWellFormed) {
  EXPECT_THAT(error_lines(parse(minimal_with("kafka.consumer", "{\"\": x, \"a b\": y}"))),
              ElementsAre("test.yaml:5:14: kafka.consumer.: property name must not be empty",
                          "test.yaml:5:21: kafka.consumer.a b: property name \"a b\" contains "
                          "whitespace or control characters"));
}

}  // namespace
}  // namespace newswatch::config
