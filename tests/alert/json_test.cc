#include "daemon/alert/json.h"

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <limits>
#include <string>
#include <utility>

#include <gtest/gtest.h>
#include <simdjson.h>

namespace newswatch::alert {
namespace {

std::string json_quoted(std::string_view s) {
  std::string out;
  append_json_string(s, out);
  return out;
}

// Parses a JSON string literal back (simdjson DOM validates JSON and UTF-8).
std::string parse_back(const std::string& literal) {
  simdjson::dom::parser parser;
  std::string_view value;
  const auto error = parser.parse(literal).get_string().get(value);
  EXPECT_EQ(error, simdjson::SUCCESS) << literal << ": " << simdjson::error_message(error);
  return std::string(value);
}

TEST(AppendJsonString, PlainAndUnicodeTextIsCopied) {
  EXPECT_EQ(json_quoted(""), R"("")");
  EXPECT_EQ(json_quoted("AliExpress arrive en France"), R"("AliExpress arrive en France")");
  EXPECT_EQ(json_quoted("café 😀 ½ \uFFFF"), "\"café 😀 ½ \uFFFF\"");
  EXPECT_EQ(json_quoted("a/b"), R"("a/b")");   // '/' is not escaped
  EXPECT_EQ(json_quoted("\x7f"), "\"\x7f\"");  // DEL needs no escape in JSON
}

TEST(AppendJsonString, QuotesBackslashAndControls) {
  EXPECT_EQ(json_quoted(R"(say "hi" \o/)"), R"("say \"hi\" \\o/")");
  EXPECT_EQ(json_quoted("\b\f\n\r\t"), R"("\b\f\n\r\t")");
  EXPECT_EQ(json_quoted(std::string("a\0b", 3)), R"("a\u0000b")");
  EXPECT_EQ(json_quoted("\x01\x1f\x0b"), R"("\u0001\u001f\u000b")");
  for (int c = 0; c < 0x20; ++c) {
    const std::string s(1, static_cast<char>(c));
    EXPECT_EQ(parse_back(json_quoted(s)), s) << c;
  }
}

TEST(AppendJsonString, LineAndParagraphSeparatorsAreEscaped) {
  EXPECT_EQ(json_quoted("a\u2028b\u2029c"), R"("a\u2028b\u2029c")");
  EXPECT_EQ(parse_back(json_quoted("a\u2028b\u2029c")), "a\u2028b\u2029c");
  EXPECT_EQ(json_quoted("\u2027\u202A"), "\"\u2027\u202A\"");  // neighbours are not
}

TEST(AppendJsonString, IllFormedUtf8BecomesReplacementCharacters) {
  const std::string r = "\uFFFD";
  EXPECT_EQ(json_quoted("a\x80z"), "\"a" + r + "z\"");  // stray continuation
  EXPECT_EQ(json_quoted("\xE2\x82"), "\"" + r + "\"");  // truncated: one U+FFFD
  EXPECT_EQ(json_quoted("\xE2\x82z"), "\"" + r + "z\"");
  EXPECT_EQ(json_quoted("\xC0\xAF"), "\"" + r + r + "\"");                  // overlong
  EXPECT_EQ(json_quoted("\xE0\x80\x80"), "\"" + r + r + r + "\"");          // overlong
  EXPECT_EQ(json_quoted("\xED\xA0\x80"), "\"" + r + r + r + "\"");          // surrogate
  EXPECT_EQ(json_quoted("\xF4\x90\x80\x80"), "\"" + r + r + r + r + "\"");  // > U+10FFFF
  EXPECT_EQ(json_quoted("\xF0\x9F\x98"), "\"" + r + "\"");                  // truncated emoji
  EXPECT_EQ(json_quoted("\xFF\xFE"), "\"" + r + r + "\"");
  EXPECT_EQ(json_quoted("ok\xC3"), "\"ok" + r + "\"");
  // Whatever the bytes, the result is valid JSON and valid UTF-8.
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  all += "\xF0\x9F\x98\x80\xE2\x80\xA8\"\\";
  const std::string back = parse_back(json_quoted(all));
  EXPECT_TRUE(simdjson::validate_utf8(back.data(), back.size()));
}

// Plain ASCII is copied eight bytes at a time: a byte that needs work is found wherever it
// sits in or across those blocks.
TEST(AppendJsonString, SpecialBytesAnywhereInLongPlainText) {
  const std::pair<std::string, std::string> cases[] = {
      {"\"", R"(\")"},          {"\\", R"(\\)"},
      {"\n", R"(\n)"},          {"\x01", R"(\u0001)"},
      {"\x1f", R"(\u001f)"},    {" ", " "},
      {"\x7f", "\x7f"},         {"\x80", "\uFFFD"},
      {"\xC3\xA9", "\xC3\xA9"}, {"\xE2\x80\xA8", R"(\u2028)"},
  };
  for (const auto& [special, escaped] : cases) {
    for (std::size_t at = 0; at < 24; ++at) {
      const std::string before(at, 'a');
      const std::string after(24 - at, 'b');
      EXPECT_EQ(json_quoted(before + special + after), "\"" + before + escaped + after + "\"")
          << "byte " << static_cast<int>(static_cast<unsigned char>(special[0])) << " at " << at;
    }
  }
}

TEST(AppendJsonString, Appends) {
  std::string out = "prefix:";
  append_json_string("x", out);
  EXPECT_EQ(out, R"(prefix:"x")");
}

TEST(AppendJsonInt, Values) {
  std::string out;
  append_json_int(0, out);
  out += ',';
  append_json_int(-1, out);
  out += ',';
  append_json_int(1841, out);
  out += ',';
  append_json_int(std::numeric_limits<std::int64_t>::min(), out);
  out += ',';
  append_json_int(std::numeric_limits<std::int64_t>::max(), out);
  EXPECT_EQ(out, "0,-1,1841,-9223372036854775808,9223372036854775807");
}

std::string rfc3339(std::int64_t millis) {
  std::string out;
  append_rfc3339_millis(millis, out);
  return out;
}

TEST(Rfc3339, EpochAndMillisPadding) {
  EXPECT_EQ(rfc3339(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(rfc3339(1), "1970-01-01T00:00:00.001Z");
  EXPECT_EQ(rfc3339(12), "1970-01-01T00:00:00.012Z");
  EXPECT_EQ(rfc3339(999), "1970-01-01T00:00:00.999Z");
  EXPECT_EQ(rfc3339(1000), "1970-01-01T00:00:01.000Z");
  EXPECT_EQ(rfc3339(86399999), "1970-01-01T23:59:59.999Z");
  EXPECT_EQ(rfc3339(1795688102113), "2026-11-26T10:15:02.113Z");  // the spec's example
}

TEST(Rfc3339, BeforeEpoch) {
  EXPECT_EQ(rfc3339(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(rfc3339(-1000), "1969-12-31T23:59:59.000Z");
  EXPECT_EQ(rfc3339(-86400000), "1969-12-31T00:00:00.000Z");
  EXPECT_EQ(rfc3339(-2203891200000), "1900-03-01T00:00:00.000Z");  // 1900 is not a leap year
  EXPECT_EQ(rfc3339(-2203891200001), "1900-02-28T23:59:59.999Z");
  EXPECT_EQ(rfc3339(-11670998400000), "1600-02-29T00:00:00.000Z");
  EXPECT_EQ(rfc3339(-62135596800000), "0001-01-01T00:00:00.000Z");
}

TEST(Rfc3339, LeapYears) {
  EXPECT_EQ(rfc3339(1709208000000), "2024-02-29T12:00:00.000Z");
  EXPECT_EQ(rfc3339(951868799000), "2000-02-29T23:59:59.000Z");  // 2000 is (divisible by 400)
  EXPECT_EQ(rfc3339(951868800000), "2000-03-01T00:00:00.000Z");
  EXPECT_EQ(rfc3339(4107542400000 - 1), "2100-02-28T23:59:59.999Z");  // 2100 is not
  EXPECT_EQ(rfc3339(4107542400000), "2100-03-01T00:00:00.000Z");
}

TEST(Rfc3339, ClampedToFourDigitYears) {
  EXPECT_EQ(rfc3339(std::numeric_limits<std::int64_t>::min()), "0000-01-01T00:00:00.000Z");
  EXPECT_EQ(rfc3339(std::numeric_limits<std::int64_t>::max()), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(rfc3339(253402300799999), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(rfc3339(-62167219200000), "0000-01-01T00:00:00.000Z");
}

TEST(Rfc3339, AgreesWithGmtime) {
  // Every ~17 days and some odd seconds, 1800..2300, against the C library.
  for (std::int64_t s = -5364662400; s < 10413792000; s += 1471331) {
    std::tm tm{};
    const std::time_t t = static_cast<std::time_t>(s);
    ASSERT_NE(gmtime_r(&t, &tm), nullptr);
    char expected[96];
    std::snprintf(expected, sizeof expected, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                  tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>((s % 1000 + 1000) % 1000));
    ASSERT_EQ(rfc3339(s * 1000 + (s % 1000 + 1000) % 1000), expected) << s;
  }
}

}  // namespace
}  // namespace newswatch::alert
