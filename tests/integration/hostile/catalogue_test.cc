// The bad-input catalogue: hostile and broken messages pushed through the real broker into a
// running `newswatch run`. Each one is either matched (after UTF-8 repair, NFC, ...) or
// dead-lettered with its reason; the daemon never stops; and the canary article produced
// right after each one is still alerted, so nothing that follows a bad message is lost.
//
// One input partition, so the order is the production order: case 0, canary 0, case 1,
// canary 1, ... Every alert names its input offset (alert.input.offset) and every dead letter
// carries newswatch-source-offset, so each outcome is tied to the exact message.
#include <chrono>
#include <csignal>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/hostile/hostile_support.h"
#include "tests/integration/support/kafka.h"
#include "tests/integration/support/net.h"

namespace newswatch::itest::hostile {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kRules = R"(rules:
  - id: canary
    query: canari
  - id: banque
    query: banque
  - id: phrase
    query: '"société générale"'
  - id: near
    query: cyberattaque NEAR/3 hôpital
)";

struct Case {
  std::string name;
  std::optional<std::string> value;  // nullopt: a null value (tombstone)
  std::set<std::string> rules{};     // alerts expected for this message
  std::string dlq_reason{};          // or: dead-lettered with this newswatch-error
  std::string article_id{};          // when set: the alerts' article.id
};

std::string repeat(std::string_view s, std::size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s += static_cast<char>(c);
  return s;
}

std::vector<Case> catalogue() {
  using S = std::set<std::string>;
  const S banque{"banque"};
  std::vector<Case> c;
  // Truncated and malformed JSON.
  c.push_back({"truncated_in_string", R"({"id":"t1","title":"banque)", {}, "invalid_json"});
  c.push_back({"truncated_after_comma", R"({"id":"t2","title":"banque",)", {}, "invalid_json"});
  c.push_back({"truncated_in_escape", R"({"id":"t3","title":"banque \u00)", {}, "invalid_json"});
  c.push_back({"trailing_garbage", R"({"id":"trail","title":"banque"} xyz)", {}, "invalid_json"});
  c.push_back({"two_objects",
               R"({"id":"two","title":"banque"}{"id":"two-b","title":"banque"})",
               {},
               "invalid_json"});
  c.push_back({"comment", R"({"id":"comment", /* c */ "title":"banque"})", {}, "invalid_json"});
  c.push_back({"single_quotes", R"({'id':'sq','title':'banque'})", {}, "invalid_json"});
  c.push_back({"whitespace_only", " \n\t\r ", {}, "invalid_json"});
  // Nesting.
  c.push_back({"deep_nesting_unclosed_100k",
               R"({"id":"deep","title":"banque","x":)" + std::string(100000, '['),
               {},
               "invalid_json"});
  c.push_back({"deep_nesting_closed_100",
               R"({"id":"deep100","x":)" + std::string(100, '[') + std::string(100, ']') +
                   R"(,"title":"banque"})",
               {},
               "invalid_json"});
  c.push_back({"nesting_within_limit",
               R"({"id":"deep-ok","x":)" + std::string(50, '[') + std::string(50, ']') +
                   R"(,"title":"banque"})",
               banque, "", "deep-ok"});
  // NUL bytes.
  c.push_back({"escaped_nul", R"({"id":"nul-esc","title":"ban\u0000 banque"})", banque});
  c.push_back({"raw_nul_in_string",
               R"({"id":"nul-raw","title":"banque )" + std::string(1, '\0') + R"( x"})",
               {},
               "invalid_json"});
  c.push_back({"raw_nul_between_tokens",
               R"({"id":"nul-tok",)" + std::string(1, '\0') + R"("title":"banque"})",
               {},
               "invalid_json"});
  // Invalid UTF-8, surrogates, BOM.
  c.push_back({"invalid_utf8_in_title",
               R"({"id":"utf8-bad","title":"banque )" + bytes({0xFF, 0xFE}) + " caf" +
                   bytes({0xE9}) + R"("})",
               banque, "", "utf8-bad"});
  c.push_back({"overlong_utf8",
               R"({"id":"overlong","title":")" + bytes({0xC0, 0xAF}) + R"( banque"})", banque});
  c.push_back({"invalid_utf8_in_key",
               R"({"id":"key-bad",")" + bytes({0xFF, 0xFE}) + R"(":"x","title":"banque"})",
               banque});
  c.push_back({"invalid_utf8_in_id", R"({"id":"id-)" + bytes({0xFF}) + R"(","title":"banque"})",
               banque, "", "id-\xEF\xBF\xBD"});
  c.push_back({"lone_high_surrogate", R"({"id":"sur-hi","title":"\ud800 banque"})", banque});
  c.push_back({"lone_low_surrogate", R"({"id":"sur-lo","title":"banque \udc00"})", banque});
  // U+FFFD is not a letter: "banque" is still a word of its own.
  c.push_back({"reversed_surrogates", R"({"id":"sur-rev","title":"\udc00\ud800banque"})", banque});
  c.push_back({"bom_prefix",
               "\xEF\xBB\xBF"
               R"({"id":"bom","title":"banque"})",
               banque});
  c.push_back({"bom_inside_word", R"({"id":"bom-in","title":"ban\ufeffque"})", banque});
  c.push_back({"utf16_json",
               bytes({0xFF, 0xFE, '{', 0, '"', 0, 't', 0, '"', 0, ':', 0, '1', 0, '}', 0}),
               {},
               "invalid_json"});
  // Numbers.
  c.push_back(
      {"huge_numbers_in_unknown_fields",
       R"({"id":"num-big","n":1e99999,"m":-123456789012345678901234567890,"title":"banque"})",
       banque});
  c.push_back({"huge_number_as_id",
               R"({"id":123456789012345678901234567890,"title":"banque"})",
               {},
               "wrong_type"});
  // Wrong types.
  c.push_back({"title_number", R"({"id":"wt1","title":42})", {}, "wrong_type"});
  c.push_back({"title_array", R"({"id":"wt2","title":["banque"]})", {}, "wrong_type"});
  c.push_back({"title_object", R"({"id":"wt3","title":{"banque":1}})", {}, "wrong_type"});
  c.push_back({"title_bool", R"({"id":"wt4","title":true,"body":"banque"})", {}, "wrong_type"});
  c.push_back({"id_object", R"({"id":{"x":1},"title":"banque"})", {}, "wrong_type"});
  c.push_back(
      {"title_null_body_text", R"({"id":"null-title","title":null,"body":"banque"})", banque});
  // Duplicate keys: the last one wins.
  c.push_back({"duplicate_title", R"({"id":"dup","title":"rien","title":"banque"})", banque});
  c.push_back(
      {"duplicate_id", R"({"id":"dup-a","id":"dup-b","title":"banque"})", banque, "", "dup-b"});
  // Sizes.
  c.push_back({"body_10mb",
               R"({"id":"huge","title":"banque","body":")" + std::string(10u << 20, 'x') + R"("})",
               {},
               "too_large"});
  c.push_back({"long_key_100k",
               R"({"id":"longkey",")" + std::string(100000, 'k') + R"(":1,"title":"banque"})",
               banque});
  {
    std::string many = R"({"id":"many-fields",)";
    for (int i = 0; i < 10000; ++i)
      many += "\"f" + std::to_string(i) + "\":" + std::to_string(i) + ",";
    c.push_back({"ten_thousand_unknown_fields", many + R"("title":"banque"})", banque});
  }
  c.push_back({"repeated_word_100k",
               R"({"id":"rep","body":")" + repeat("banque ", 100000) + R"("})", banque});
  c.push_back(
      {"near_operands_repeated",
       R"({"id":"rep-near","body":"à l'hôpital, )" + repeat("cyberattaque ", 50000) + R"("})",
       {"near"}});
  // Empty, null, garbage, not an object, no text.
  c.push_back({"empty_message", std::string(), {}, "empty"});
  c.push_back({"null_value", std::nullopt, {}, "empty"});
  {
    std::string garbage(1, '\x01');
    std::uint32_t x = 12345;
    for (int i = 0; i < 4096; ++i) {
      x = x * 1103515245u + 12345u;
      garbage += static_cast<char>(x >> 24);
    }
    c.push_back({"binary_garbage", garbage, {}, "invalid_json"});
  }
  c.push_back({"top_level_array", R"([{"id":"arr","title":"banque"}])", {}, "not_object"});
  c.push_back({"top_level_string", R"("banque")", {}, "not_object"});
  c.push_back({"empty_object", "{}", {}, "no_text"});
  c.push_back({"empty_texts", R"({"id":"empty-text","title":"","body":""})", {}, "no_text"});
  // Text that needs repair or normalisation before it matches.
  c.push_back({"nfd_phrase",
               R"({"id":"nfd","body":"la Socie\u0301te\u0301 Ge\u0301ne\u0301rale"})",
               {"phrase"}});
  c.push_back(
      {"control_escapes", R"({"id":"ctl","body":"\u0001\u0002\u001f banque \b\f\n\r\t"})", banque});
  c.push_back({"no_id_hash", R"({"title":"banque","body":"sans identifiant"})", banque});
  c.push_back({"url_as_id", R"({"url":"https://x.example/a","title":"banque"})", banque, "",
               "https://x.example/a"});
  return c;
}

class Catalogue : public ::testing::Test {
 protected:
  void SetUp() override {
    auto fixture = KafkaFixture::from_env();
    ASSERT_TRUE(fixture.ok()) << fixture.error();
    fixture_ = fixture.value();
  }
  KafkaFixture fixture_;
};

TEST_F(Catalogue, EveryHostileMessageIsMatchedOrDeadLetteredAndTheDaemonKeepsGoing) {
  const std::vector<Case> cases = catalogue();
  ASSERT_GE(cases.size(), 30u);
  const ClientConfig plain = ClientConfig::plaintext(fixture_);
  const std::string input = unique_topic_name("hostile-in");
  const std::string alerts = unique_topic_name("hostile-alerts");
  const std::string dlq = unique_topic_name("hostile-dlq");
  for (const auto& t : {input, alerts, dlq}) ASSERT_TRUE(create_topic(plain, t, 1).ok()) << t;

  auto dir = make_test_dir("catalogue");
  ASSERT_TRUE(dir.ok()) << dir.error();
  ASSERT_TRUE(write_file(*dir + "/rules/hostile.yaml", kRules).ok());
  DaemonConfig dc;
  dc.brokers = fixture_.bootstrap;
  dc.group = unique_group_id("hostile");
  dc.input_topic = input;
  dc.alert_topic = alerts;
  dc.dlq_topic = dlq;
  dc.rules_dir = *dir + "/rules";
  dc.metrics_listen = "127.0.0.1:0";
  auto config = write_config(*dir, "daemon", dc);
  ASSERT_TRUE(config.ok()) << config.error();
  auto daemon = Daemon::start(*config);
  ASSERT_TRUE(daemon.ok()) << daemon.error();
  auto assigned = daemon->await_log("partitions assigned", 60s);
  ASSERT_TRUE(assigned.ok()) << assigned.error();

  // Case i, then canary i, all in one partition.
  std::vector<OutgoingMessage> messages;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    messages.push_back({"case-" + std::to_string(i), cases[i].value, {}, 0});
    messages.push_back({"canary-" + std::to_string(i),
                        R"({"id":"canary-)" + std::to_string(i) + R"(","title":"canari )" +
                            cases[i].name + R"("})",
                        {},
                        0});
  }
  ClientConfig producer = plain;
  // The 10 MB message: allowed by the client, and compressed below the broker's batch limit.
  producer.properties["message.max.bytes"] = "20000000";
  producer.properties["compression.type"] = "zstd";
  auto delivered = produce(producer, input, messages, 120s);
  ASSERT_TRUE(delivered.ok()) << delivered.error();
  std::map<std::int64_t, std::size_t> case_at;    // input offset -> case index
  std::map<std::int64_t, std::size_t> canary_at;  // input offset -> case index
  for (std::size_t i = 0; i < messages.size(); ++i) {
    ((i % 2 == 0) ? case_at : canary_at)[delivered.value()[i].offset] = i / 2;
  }

  const Status done = await_committed_at_end(plain, dc.group, input, 180s);
  ASSERT_TRUE(done.ok()) << done.error() << "\n" << daemon->log_tail();
  ASSERT_FALSE(daemon->process().poll().has_value()) << "the daemon stopped:\n"
                                                     << daemon->log_tail();

  auto got_alerts = consume_all(plain, alerts, {.stop_at_end = true, .timeout = 120s});
  ASSERT_TRUE(got_alerts.ok()) << got_alerts.error();
  auto got_dlq = consume_all(producer, dlq, {.stop_at_end = true, .timeout = 120s});
  ASSERT_TRUE(got_dlq.ok()) << got_dlq.error();

  std::map<std::int64_t, std::multiset<std::string>> alert_rules;  // input offset -> rule ids
  std::map<std::int64_t, std::set<std::string>> alert_articles;
  for (const ConsumedMessage& m : got_alerts.value()) {
    auto a = parse_alert(m.value.value_or(""));
    ASSERT_TRUE(a.ok()) << a.error();
    EXPECT_EQ(a->input_topic, input);
    alert_rules[a->input_offset].insert(a->rule_id);
    alert_articles[a->input_offset].insert(a->article_id);
  }
  std::map<std::int64_t, std::vector<std::string>> dlq_reasons;  // input offset -> reasons
  std::map<std::int64_t, const ConsumedMessage*> dlq_at;
  for (const ConsumedMessage& m : got_dlq.value()) {
    const auto offset = header(m, "newswatch-source-offset");
    ASSERT_TRUE(offset.has_value()) << "dead letter without its source offset";
    EXPECT_EQ(header(m, "newswatch-source-topic"), input);
    EXPECT_FALSE(header(m, "newswatch-error-detail").value_or("").empty());
    dlq_reasons[std::stoll(*offset)].push_back(header(m, "newswatch-error").value_or("?"));
    dlq_at[std::stoll(*offset)] = &m;
  }

  for (const auto& [offset, i] : case_at) {
    const Case& c = cases[i];
    SCOPED_TRACE("case " + std::to_string(i) + " " + c.name + " at offset " +
                 std::to_string(offset));
    const std::multiset<std::string> expected_rules(c.rules.begin(), c.rules.end());
    EXPECT_EQ(alert_rules[offset], expected_rules);  // each expected alert exactly once
    if (c.dlq_reason.empty()) {
      EXPECT_TRUE(dlq_reasons[offset].empty());
      if (!c.article_id.empty()) {
        EXPECT_EQ(alert_articles[offset], std::set<std::string>{c.article_id});
      }
    } else {
      EXPECT_EQ(dlq_reasons[offset], std::vector<std::string>{c.dlq_reason});
    }
  }
  for (const auto& [offset, i] : canary_at) {
    EXPECT_EQ(alert_rules[offset], std::multiset<std::string>{"canary"})
        << "canary after case " << i << " (" << cases[i].name << ")";
    EXPECT_TRUE(dlq_reasons[offset].empty());
  }
  for (const auto& [offset, i] : case_at) {
    const Case& c = cases[i];
    const ConsumedMessage* m = dlq_at[offset];
    if (m == nullptr) continue;
    if (c.value && c.value->size() > (1u << 20) + 64 * 1024) {
      // Above the producer's message.max.bytes (max_message_bytes + 64 KiB): the dead letter is
      // the first 64 KiB, with the original size in a header.
      EXPECT_EQ(header(*m, "newswatch-truncated-from"), std::to_string(c.value->size())) << c.name;
      EXPECT_EQ(m->value.value_or("").size(), 64u * 1024u) << c.name;
      EXPECT_EQ(m->value.value_or(""), c.value->substr(0, 64 * 1024)) << c.name;
    } else {
      // Anything else is copied as it came, byte for byte.
      EXPECT_EQ(m->value.value_or(""), c.value.value_or("")) << c.name;
      EXPECT_FALSE(header(*m, "newswatch-truncated-from").has_value()) << c.name;
    }
  }
  // The derived ids: a hash when there is neither id nor url.
  for (const auto& [offset, i] : case_at) {
    if (cases[i].name == "no_id_hash") {
      ASSERT_EQ(alert_articles[offset].size(), 1u);
      EXPECT_EQ(alert_articles[offset].begin()->rfind("sha256:", 0), 0u);
    }
  }

  // Processing is measured per message and visible; decode errors are counted by reason.
  auto address = daemon->metrics_address(10s);
  ASSERT_TRUE(address.ok()) << address.error();
  auto scrape = http_get("http://" + *address + "/metrics");
  ASSERT_TRUE(scrape.ok()) << scrape.error();
  const std::string& text = scrape->body;
  EXPECT_EQ(metric_value(text, "newswatch_article_processing_seconds_count"),
            static_cast<double>(messages.size()));
  std::map<std::string, int> reasons;
  for (const Case& c : cases) {
    if (!c.dlq_reason.empty()) ++reasons[c.dlq_reason];
  }
  for (const auto& [reason, n] : reasons) {
    EXPECT_EQ(metric_value(text, "newswatch_decode_errors_total{reason=\"" + reason + "\"}"),
              static_cast<double>(n))
        << reason;
  }
  EXPECT_EQ(metric_value(text, "newswatch_dead_letters_total"),
            static_cast<double>(got_dlq->size()));
  EXPECT_GE(metric_value(text, "newswatch_near_truncated_articles_total").value_or(0), 1.0);
  EXPECT_GE(metric_value(text, "newswatch_repaired_articles_total").value_or(0), 4.0);

  // Still healthy after all of it, and it stops cleanly.
  ASSERT_TRUE(daemon->process().signal(SIGTERM).ok());
  const auto status = daemon->process().wait_for(60s);
  ASSERT_TRUE(status.has_value()) << "no exit after SIGTERM\n" << daemon->log_tail();
  EXPECT_TRUE(status->success()) << status->describe() << "\n" << daemon->log_tail();
}

}  // namespace
}  // namespace newswatch::itest::hostile
