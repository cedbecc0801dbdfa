// The example configs in deploy/config/ load.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/config/config.h"

namespace newswatch::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// ---- Example configs -------------------------------------------------------------------------

LoadResult load_example(const char* name, const Environment& env) {
  return load_config(std::filesystem::path(NEWSWATCH_SOURCE_DIR) / "deploy/config" / name, {}, env);
}

TEST(ConfigExamples, ProductionConfigLoads) {
  const LoadResult r = load_example("newswatch.yaml", {{"KAFKA_PASSWORD", "s3cr3t-value"}});
  ASSERT_TRUE(r.ok()) << r.error_report();
  const Config& c = *r.config;
  EXPECT_EQ(std::count(c.kafka.brokers.begin(), c.kafka.brokers.end(), ','), 2);
  EXPECT_EQ(c.pipeline.workers, 4u);
  EXPECT_EQ(c.kafka.consumer.at("sasl.password"), "s3cr3t-value");
  EXPECT_EQ(c.kafka.producer.at("sasl.password"), "s3cr3t-value");
  EXPECT_THAT(render_config(c, RenderFormat::kKeyValue), Not(HasSubstr("s3cr3t-value")));
  // Without the password the production config must not load.
  const LoadResult unset = load_example("newswatch.yaml", {});
  ASSERT_FALSE(unset.ok());
  EXPECT_THAT(unset.error_report(), HasSubstr("KAFKA_PASSWORD is not set"));
}

TEST(ConfigExamples, EmbeddedConfigLoads) {
  const LoadResult r = load_example("newswatch-embedded.yaml", {});
  ASSERT_TRUE(r.ok()) << r.error_report();
  EXPECT_TRUE(r.config->kafka.embedded());
  EXPECT_TRUE(std::filesystem::path(r.config->rules.dir).is_absolute());
}

TEST(ConfigExamples, LocalConfigLoads) {
  const LoadResult r = load_example("newswatch-local.yaml", {});
  ASSERT_TRUE(r.ok()) << r.error_report();
  EXPECT_EQ(r.config->kafka.brokers, "127.0.0.1:9092");
}

}  // namespace
}  // namespace newswatch::config
