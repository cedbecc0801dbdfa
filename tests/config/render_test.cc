// Rendering the effective config, with secrets redacted.
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/config/config.h"

#include "tests/config/test_util.h"

namespace newswatch::config {
namespace {

using ::testing::HasSubstr;
using testing::kMinimal;
using ::testing::Not;
using testing::parse;

// ---- Secrets ------------------------------------------------------------------------------

TEST(ConfigSecrets, SecretPropertyNames) {
  for (const char* name :
       {"sasl.password", "SASL.PASSWORD", "ssl.keystore.password", "ssl.key.password",
        "sasl.jaas.config", "sasl.oauthbearer.config", "sasl.oauthbearer.client.secret",
        "ssl.key.pem", "my.api.token", "x.Secret.y"}) {
    EXPECT_TRUE(is_secret_property(name)) << name;
  }
  for (const char* name :
       {"sasl.username", "sasl.mechanism", "security.protocol", "ssl.ca.location",
        "ssl.certificate.pem", "ssl.key.location", "client.id", "ssl.key.pem.extra", ""}) {
    EXPECT_FALSE(is_secret_property(name)) << name;
  }
}

constexpr std::string_view kWithSecrets =
    "kafka:\n"
    "  brokers: k1:9093\n"
    "  input_topics: [news]\n"
    "  alert_topic: alerts\n"
    "  consumer:\n"
    "    security.protocol: SASL_SSL\n"
    "    sasl.username: newswatch\n"
    "    sasl.password: ${KAFKA_PASSWORD}\n"
    "    ssl.key.password: hunter2-key\n"
    "    sasl.jaas.config: 'org.Module required password=\"jaas-secret\";'\n"
    "  producer:\n"
    "    sasl.oauthbearer.client.secret: oauth-secret\n"
    "    ssl.key.pem: \"-----BEGIN PRIVATE KEY-----pem-secret\"\n"
    "    linger.ms: 5\n"
    "rules:\n"
    "  dir: /srv/rules\n";

TEST(ConfigSecrets, RenderedConfigNeverContainsSecretValues) {
  const LoadResult r = parse(kWithSecrets, {{"KAFKA_PASSWORD", "env-password-value"}});
  ASSERT_TRUE(r.ok()) << r.error_report();
  // The values are loaded as given: only the rendering hides them.
  EXPECT_EQ(r.config->kafka.consumer.at("sasl.password"), "env-password-value");
  for (RenderFormat format : {RenderFormat::kYaml, RenderFormat::kKeyValue}) {
    const std::string out = render_config(*r.config, format);
    for (const char* secret : {"env-password-value", "hunter2-key", "jaas-secret", "oauth-secret",
                               "pem-secret", "PRIVATE KEY"}) {
      EXPECT_THAT(out, Not(HasSubstr(secret))) << out;
    }
    EXPECT_THAT(out, HasSubstr("newswatch"));  // sasl.username is not a secret
    EXPECT_THAT(out, HasSubstr("SASL_SSL"));
  }
  const std::string kv = render_config(*r.config, RenderFormat::kKeyValue);
  EXPECT_THAT(kv, HasSubstr("kafka.consumer.sasl.password=[redacted]\n"));
  EXPECT_THAT(kv, HasSubstr("kafka.consumer.sasl.jaas.config=[redacted]\n"));
  EXPECT_THAT(kv, HasSubstr("kafka.consumer.sasl.username=newswatch\n"));
  EXPECT_THAT(kv, HasSubstr("kafka.producer.ssl.key.pem=[redacted]\n"));
  EXPECT_THAT(kv, HasSubstr("kafka.producer.linger.ms=5\n"));
  const std::string yaml = render_config(*r.config, RenderFormat::kYaml);
  EXPECT_THAT(yaml, HasSubstr("    \"sasl.password\": \"[redacted]\"\n"));
}

TEST(ConfigSecrets, ErrorMessagesNeverContainSecretValues) {
  // A secret property that is also owned/invalid must not be echoed.
  const LoadResult r =
      parse(std::string(kWithSecrets) + "  watch: 1\n", {{"KAFKA_PASSWORD", "env-password-value"}});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error_report(), Not(HasSubstr("env-password-value")));
  EXPECT_THAT(r.error_report(), Not(HasSubstr("hunter2")));
}

// ---- Rendering ----------------------------------------------------------------------------

TEST(ConfigRender, KeyValueLinesListEveryField) {
  const LoadResult r = parse(kMinimal);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(render_config(*r.config, RenderFormat::kKeyValue),
            "kafka.brokers=k1:9092\n"
            "kafka.group_id=newswatch\n"
            "kafka.input_topics=news\n"
            "kafka.alert_topic=alerts\n"
            "kafka.shadow_topic=\n"
            "kafka.dlq_topic=\n"
            "kafka.consumer={}\n"
            "kafka.producer={}\n"
            "rules.dir=/srv/rules\n"
            "rules.watch=true\n"
            "rules.reload_debounce=1s\n"
            "input.max_message_bytes=1MiB\n"
            "input.body_format=text\n"
            "pipeline.workers=2\n"
            "pipeline.queue_capacity=1024\n"
            "pipeline.max_alerts_per_article=100\n"
            "pipeline.shutdown_timeout=30s\n"
            "dedup.max_entries=1000000\n"
            "metrics.listen=127.0.0.1:9464\n"
            "metrics.per_rule_series=true\n"
            "metrics.max_rule_series=1000\n"
            "log.level=info\n"
            "log.format=text\n");
}

TEST(ConfigRender, YamlOfTheDefaults) {
  const LoadResult r = parse(kMinimal);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(render_config(*r.config, RenderFormat::kYaml),
            "kafka:\n"
            "  brokers: \"k1:9092\"\n"
            "  group_id: \"newswatch\"\n"
            "  input_topics: [\"news\"]\n"
            "  alert_topic: \"alerts\"\n"
            "  shadow_topic: \"\"\n"
            "  dlq_topic: \"\"\n"
            "  consumer: {}\n"
            "  producer: {}\n"
            "rules:\n"
            "  dir: \"/srv/rules\"\n"
            "  watch: true\n"
            "  reload_debounce: 1s\n"
            "input:\n"
            "  max_message_bytes: 1MiB\n"
            "  body_format: text\n"
            "pipeline:\n"
            "  workers: 2\n"
            "  queue_capacity: 1024\n"
            "  max_alerts_per_article: 100\n"
            "  shutdown_timeout: 30s\n"
            "dedup:\n"
            "  max_entries: 1000000\n"
            "metrics:\n"
            "  listen: \"127.0.0.1:9464\"\n"
            "  per_rule_series: true\n"
            "  max_rule_series: 1000\n"
            "log:\n"
            "  level: info\n"
            "  format: text\n");
}

TEST(ConfigRender, YamlRoundTripsToAnEqualConfig) {
  const LoadResult r = parse(
      "kafka:\n"
      "  brokers: \"[::1]:9092,k2:9092\"\n"
      "  group_id: 'quote \" backslash \\ dollar $${NOT_A_VAR} tab\t'\n"
      "  input_topics: [a, b.c, d_e]\n"
      "  alert_topic: alerts\n"
      "  shadow_topic: shadow\n"
      "  consumer: {fetch.min.bytes: 1, \"client.id\": \"x: y\", empty: \"\"}\n"
      "  producer: {linger.ms: 5, compression.type: zstd}\n"
      "rules: {dir: /srv/rules, watch: false, reload_debounce: 1500ms}\n"
      "input: {max_message_bytes: 2000, body_format: html}\n"
      "pipeline: {workers: 7, queue_capacity: 9, max_alerts_per_article: 3, "
      "shutdown_timeout: 90s}\n"
      "dedup: {max_entries: 0}\n"
      "metrics: {listen: \"\", per_rule_series: false, max_rule_series: 5}\n"
      "log: {level: warn, format: json}\n");
  ASSERT_TRUE(r.ok()) << r.error_report();
  EXPECT_EQ(r.config->kafka.group_id, "quote \" backslash \\ dollar ${NOT_A_VAR} tab\t");
  const std::string yaml = render_config(*r.config, RenderFormat::kYaml);
  const LoadResult again = parse_config(yaml, "rendered", {}, {});
  ASSERT_TRUE(again.ok()) << again.error_report() << yaml;
  EXPECT_EQ(*again.config, *r.config) << yaml;
}

}  // namespace
}  // namespace newswatch::config
