// Log line formats (text and JSON, parsed back), structured fields, rate limiting, redaction.
#include "daemon/telemetry/log.h"

#include <atomic>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>
#include <spdlog/sinks/ostream_sink.h>

namespace newswatch::telemetry {
namespace {

using config::LogFormat;
using config::LogLevel;
using namespace std::chrono_literals;

struct Capture {
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> logger;

  Capture(LogFormat format, LogLevel level = LogLevel::kTrace)
      : logger(make_logger(format, level, std::make_shared<spdlog::sinks::ostream_sink_mt>(out))) {}

  std::vector<std::string> lines() const {
    std::vector<std::string> v;
    std::istringstream in(out.str());
    for (std::string line; std::getline(in, line);) v.push_back(line);
    return v;
  }
};

const std::string kTs = R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)";

TEST(LogText, LifecycleLineWithFields) {
  Capture c(LogFormat::kText);
  log_event(*c.logger, spdlog::level::info, "rule set loaded",
            Fields()
                .add("event", "reload")
                .add("version", std::string("3f2a9c"))
                .add("rules", 120)
                .add("compile_ms", 12.5)
                .add("ok", true)
                .add("lag", std::uint64_t{18446744073709551615u})
                .add("delta", -3));
  ASSERT_EQ(c.lines().size(), 1u);
  EXPECT_TRUE(std::regex_match(
      c.lines()[0], std::regex("^" + kTs +
                               " info  rule set loaded event=reload version=3f2a9c rules=120 "
                               "compile_ms=12.5 ok=true lag=18446744073709551615 delta=-3$")))
      << c.lines()[0];
  EXPECT_EQ(c.out.str().back(), '\n');
}

TEST(LogText, LevelsArePaddedToFiveColumns) {
  Capture c(LogFormat::kText);
  c.logger->trace("t");
  c.logger->debug("d");
  c.logger->info("i");
  c.logger->warn("w");
  c.logger->error("e");
  c.logger->critical("c");
  const auto lines = c.lines();
  ASSERT_EQ(lines.size(), 6u);
  const char* expected[] = {" trace t", " debug d", " info  i",
                            " warn  w", " error e", " critical c"};
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_TRUE(std::regex_match(lines[i], std::regex("^" + kTs + expected[i] + "$"))) << lines[i];
  }
}

TEST(LogText, QuotingAndEscapingKeepOneLinePerEvent) {
  Capture c(LogFormat::kText);
  log_event(*c.logger, spdlog::level::warn, "bad\nmessage\t{}",
            Fields()
                .add("path", "/tmp/a b")
                .add("empty", "")
                .add("quote", "say \"hi\"\n")
                .add("eq", "a=b")
                .add("bad key!", "x")
                .add("ctl", std::string("\x01", 1)));
  const auto lines = c.lines();
  ASSERT_EQ(lines.size(), 1u);
  const std::string& l = lines[0];
  const std::string rest = l.substr(l.find(" warn  ") + 7);
  EXPECT_EQ(
      rest,
      R"(bad\nmessage\t{} path="/tmp/a b" empty="" quote="say \"hi\"\n" eq="a=b" bad_key_=x ctl="\x01")");
}

TEST(LogText, PlainMessagesAreNotFormatStrings) {
  Capture c(LogFormat::kText);
  c.logger->info("100% {} done");
  ASSERT_EQ(c.lines().size(), 1u);
  EXPECT_NE(c.lines()[0].find(" info  100% {} done"), std::string::npos);
}

TEST(LogJson, EveryLineParsesBackWithTypedFields) {
  Capture c(LogFormat::kJson);
  log_event(*c.logger, spdlog::level::info, "rule set loaded",
            Fields()
                .add("event", "reload")
                .add("version", "3f2a9c")
                .add("rules", 120)
                .add("compile_ms", 12.5)
                .add("ok", false)
                .add("nan", std::nan(""))
                .add("msg", "shadowed")
                .add("ts", 1));
  c.logger->warn("two\nlines \"quoted\" \xff bytes");
  c.logger->error("plain");
  const auto lines = c.lines();
  ASSERT_EQ(lines.size(), 3u);
  simdjson::dom::parser parser;
  for (const auto& line : lines) {
    simdjson::dom::element e;
    ASSERT_EQ(parser.parse(line).get(e), simdjson::SUCCESS) << line;
    std::string_view ts;
    ASSERT_EQ(e["ts"].get(ts), simdjson::SUCCESS);
    EXPECT_TRUE(std::regex_match(std::string(ts), std::regex(kTs))) << ts;
  }
  simdjson::dom::element first;
  ASSERT_EQ(parser.parse(lines[0]).get(first), simdjson::SUCCESS);
  EXPECT_EQ(std::string_view(first["level"]), "info");
  EXPECT_EQ(std::string_view(first["msg"]), "rule set loaded");
  EXPECT_EQ(std::string_view(first["event"]), "reload");
  EXPECT_EQ(std::string_view(first["version"]), "3f2a9c");
  EXPECT_EQ(int64_t(first["rules"]), 120);
  EXPECT_EQ(double(first["compile_ms"]), 12.5);
  EXPECT_EQ(bool(first["ok"]), false);
  EXPECT_TRUE(first["nan"].is_null());
  EXPECT_EQ(std::string_view(first["msg_"]), "shadowed");
  EXPECT_EQ(int64_t(first["ts_"]), 1);
  // Key order: ts, level, msg, then the fields as added.
  EXPECT_EQ(lines[0].rfind("{\"ts\":\"", 0), 0u);
  EXPECT_LT(lines[0].find("\"level\""), lines[0].find("\"msg\""));
  EXPECT_LT(lines[0].find("\"msg\""), lines[0].find("\"event\""));

  simdjson::dom::element second;
  ASSERT_EQ(parser.parse(lines[1]).get(second), simdjson::SUCCESS);
  EXPECT_EQ(std::string_view(second["level"]), "warn");
  EXPECT_EQ(std::string_view(second["msg"]), "two\nlines \"quoted\" \xEF\xBF\xBD bytes");
  simdjson::dom::element third;
  ASSERT_EQ(parser.parse(lines[2]).get(third), simdjson::SUCCESS);
  EXPECT_EQ(std::string_view(third["level"]), "error");
}

TEST(Log, LevelFromConfig) {
  Capture c(LogFormat::kText, LogLevel::kWarn);
  c.logger->info("hidden");
  log_event(*c.logger, spdlog::level::debug, "hidden too");
  c.logger->warn("shown");
  log_event(*c.logger, spdlog::level::err, "shown too");
  const auto lines = c.lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("shown"), std::string::npos);
  EXPECT_NE(lines[1].find("shown too"), std::string::npos);

  Capture off(LogFormat::kJson, LogLevel::kOff);
  off.logger->critical("nothing");
  EXPECT_EQ(off.out.str(), "");
  EXPECT_EQ(to_spdlog(LogLevel::kTrace), spdlog::level::trace);
  EXPECT_EQ(to_spdlog(LogLevel::kError), spdlog::level::err);
}

TEST(Log, SecretFieldsAreNeverPrinted) {
  for (const LogFormat format : {LogFormat::kText, LogFormat::kJson}) {
    Capture c(format);
    log_event(*c.logger, spdlog::level::info, "kafka config",
              Fields()
                  .add("sasl.password", "hunter2")
                  .add("sasl.jaas.config", "x required password=\"hunter3\";")
                  .add("oauth_token", "hunter4")
                  .add("sasl.username", "bob"));
    const std::string out = c.out.str();
    EXPECT_EQ(out.find("hunter"), std::string::npos) << out;
    EXPECT_NE(out.find("[redacted]"), std::string::npos) << out;
    EXPECT_NE(out.find("bob"), std::string::npos) << out;
  }
}

TEST(Log, FieldsOnAForeignLoggerGoIntoTheMessage) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  spdlog::logger foreign("foreign", sink);
  foreign.set_pattern("%v");
  log_event(foreign, spdlog::level::info, "assigned",
            Fields().add("partitions", 3).add("t", "a b"));
  EXPECT_EQ(out.str(), "assigned partitions=3 t=\"a b\"\n");
}

TEST(Log, WritesToAFile) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    auto logger = make_logger(LogFormat::kJson, LogLevel::kInfo, f);
    log_event(*logger, spdlog::level::info, "started", Fields().add("event", "start"));
  }
  std::rewind(f);
  char buf[512] = {};
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  const std::string line(buf, n);
  EXPECT_NE(line.find(R"("level":"info","msg":"started","event":"start"})"), std::string::npos)
      << line;
  EXPECT_EQ(line.back(), '\n');
}

// ---- RateLimiter ---------------------------------------------------------------------------

TEST(RateLimiter, AtMostNPerIntervalThenReportsTheSuppressedCount) {
  RateLimiter limiter(2, 10s);
  const auto t0 = RateLimiter::Clock::time_point{} + 1000s;
  auto d = limiter.acquire("decode", t0);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.suppressed, 0u);
  EXPECT_TRUE(limiter.acquire("decode", t0 + 1s).allowed);
  EXPECT_FALSE(limiter.acquire("decode", t0 + 2s).allowed);
  EXPECT_FALSE(limiter.acquire("decode", t0 + 9s).allowed);
  EXPECT_TRUE(limiter.acquire("other", t0 + 9s).allowed);  // keys are independent
  d = limiter.acquire("decode", t0 + 10s);                 // a new window
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.suppressed, 2u);
  d = limiter.acquire("decode", t0 + 11s);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.suppressed, 0u);  // reported once
  EXPECT_FALSE(limiter.acquire("decode", t0 + 12s).allowed);
}

TEST(RateLimiter, ZeroAllowsNothingAndNonPositiveIntervalAllowsEverything) {
  RateLimiter none(0, 10s);
  EXPECT_FALSE(none.acquire("k").allowed);
  RateLimiter all(1, 0s);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(all.acquire("k").allowed);
}

TEST(RateLimiter, KeysAreBounded) {
  RateLimiter limiter(1, 10s, 2);
  const auto t0 = RateLimiter::Clock::time_point{} + 1000s;
  EXPECT_TRUE(limiter.acquire("a", t0).allowed);
  EXPECT_TRUE(limiter.acquire("b", t0).allowed);
  // Table full, nothing expired: c and d share the overflow bucket.
  EXPECT_TRUE(limiter.acquire("c", t0).allowed);
  EXPECT_FALSE(limiter.acquire("d", t0).allowed);
  // After the interval, expired keys make room again.
  EXPECT_TRUE(limiter.acquire("e", t0 + 10s).allowed);
  EXPECT_FALSE(limiter.acquire("e", t0 + 11s).allowed);
}

TEST(RateLimiter, ThreadSafeExactCount) {
  RateLimiter limiter(100, 60s);
  const auto t0 = RateLimiter::Clock::time_point{} + 1000s;
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) allowed += limiter.acquire("k", t0).allowed;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(allowed, 100);
  const auto d = limiter.acquire("k", t0 + 60s);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.suppressed, 3900u);
}

TEST(RateLimiter, LogLimitedSaysHowManyWereSuppressed) {
  for (const LogFormat format : {LogFormat::kText, LogFormat::kJson}) {
    Capture c(format);
    RateLimiter limiter(1, 10s);
    const auto t0 = RateLimiter::Clock::time_point{} + 1000s;
    const Fields f = Fields().add("topic", "news");
    EXPECT_TRUE(
        log_limited(*c.logger, limiter, "decode", spdlog::level::warn, "cannot decode", f, t0));
    EXPECT_FALSE(
        log_limited(*c.logger, limiter, "decode", spdlog::level::warn, "cannot decode", f, t0));
    EXPECT_FALSE(
        log_limited(*c.logger, limiter, "decode", spdlog::level::warn, "cannot decode", f, t0));
    EXPECT_TRUE(log_limited(*c.logger, limiter, "decode", spdlog::level::warn, "cannot decode", f,
                            t0 + 10s));
    const auto lines = c.lines();
    ASSERT_EQ(lines.size(), 2u);
    if (format == LogFormat::kText) {
      EXPECT_NE(lines[0].find("cannot decode topic=news"), std::string::npos) << lines[0];
      EXPECT_NE(
          lines[1].find("cannot decode (2 similar messages suppressed) topic=news suppressed=2"),
          std::string::npos)
          << lines[1];
    } else {
      simdjson::dom::parser parser;
      simdjson::dom::element e;
      ASSERT_EQ(parser.parse(lines[1]).get(e), simdjson::SUCCESS);
      EXPECT_EQ(std::string_view(e["msg"]), "cannot decode (2 similar messages suppressed)");
      EXPECT_EQ(int64_t(e["suppressed"]), 2);
    }
  }
}

TEST(RateLimiter, FilteredLevelsDoNotSpendTheBudget) {
  Capture c(LogFormat::kText, LogLevel::kWarn);
  RateLimiter limiter(1, 10s);
  const auto t0 = RateLimiter::Clock::time_point{} + 1000s;
  EXPECT_FALSE(log_limited(*c.logger, limiter, "k", spdlog::level::debug, "hidden", {}, t0));
  EXPECT_TRUE(log_limited(*c.logger, limiter, "k", spdlog::level::warn, "shown", {}, t0));
  EXPECT_EQ(c.lines().size(), 1u);
}

// ---- redact --------------------------------------------------------------------------------

TEST(Redact, KeyValuePairs) {
  EXPECT_EQ(redact("sasl.password=hunter2 sasl.username=bob"),
            "sasl.password=[redacted] sasl.username=bob");
  EXPECT_EQ(redact("Configuration property sasl.password = hunter2 next"),
            "Configuration property sasl.password = [redacted] next");
  EXPECT_EQ(redact("ssl.key.password=abc ssl.keystore.password=def"),
            "ssl.key.password=[redacted] ssl.keystore.password=[redacted]");
  // Unquoted values end at whitespace only: punctuation may be part of the secret.
  EXPECT_EQ(redact("password=ab)c]d}e,f;g&h next"), "password=[redacted] next");
  EXPECT_EQ(redact("GET /x?access_token=abc&b=2 HTTP/1.1"),
            "GET /x?access_token=[redacted] HTTP/1.1");
  EXPECT_EQ(redact("client_secret=s3cr3t\nsasl.oauthbearer.client.secret=x2"),
            "client_secret=[redacted]\nsasl.oauthbearer.client.secret=[redacted]");
  EXPECT_EQ(redact("api_key=k1 aws_credentials=k2"),
            "api_key=[redacted] aws_credentials=[redacted]");
}

TEST(Redact, QuotedValuesAndQuotedKeys) {
  EXPECT_EQ(redact(R"(password="a b \" c" next=1)"), R"(password="[redacted]" next=1)");
  EXPECT_EQ(redact(R"({"ssl.key.password": "x", "user": "y"})"),
            R"({"ssl.key.password": "[redacted]", "user": "y"})");
  EXPECT_EQ(redact("token='abc"), "token='[redacted]");  // unterminated: to the end
}

TEST(Redact, JaasConfigToTheEndOfTheLine) {
  EXPECT_EQ(redact("sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule "
                   "required username=\"u\" password=\"p\";\nnext line"),
            "sasl.jaas.config=[redacted]\nnext line");
  EXPECT_EQ(redact("sasl.oauthbearer.config=principal=admin extension_x=1"),
            "sasl.oauthbearer.config=[redacted]");
}

TEST(Redact, LeavesEverythingElseAlone) {
  for (const std::string text :
       {"bootstrap.servers=a:9092,b:9092", "password expired", "password=", "the token is stale",
        "", "=x", "group.id=newswatch client.id=nw-1", "Passwords: none"}) {
    EXPECT_EQ(redact(text), text);
  }
  EXPECT_EQ(redact("PASSWORD=X"), "PASSWORD=[redacted]");  // case-insensitive
}

TEST(Redact, IsIdempotent) {
  for (const std::string text : {"password=[redacted] user=bob", "sasl.jaas.config=[redacted]",
                                 R"(token="[redacted]")", "token='abc", "a=(password=x) b"}) {
    const std::string once = redact(text);
    EXPECT_EQ(redact(once), once) << text;
  }
  EXPECT_EQ(redact("password=[redacted]x"), "password=[redacted]");  // not a mark: redacted
}

}  // namespace
}  // namespace newswatch::telemetry
