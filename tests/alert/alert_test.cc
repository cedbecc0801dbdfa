#include "daemon/alert/alert.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

namespace newswatch::alert {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

// Keeps the parser alive with the parsed document.
struct Parsed {
  simdjson::dom::parser parser;
  element root;
};

void parse(const std::string& json, Parsed& p) {
  const auto error = p.parser.parse(json).get(p.root);
  ASSERT_EQ(error, simdjson::SUCCESS) << simdjson::error_message(error) << "\n" << json;
}

std::vector<std::string> keys(element e) {
  std::vector<std::string> out;
  object o;
  if (e.get_object().get(o) != simdjson::SUCCESS) return out;
  for (const auto field : o) out.emplace_back(field.key);
  return out;
}

std::string str(element e, std::string_view pointer) {
  std::string_view s;
  const auto error = e.at_pointer(pointer).get_string().get(s);
  EXPECT_EQ(error, simdjson::SUCCESS) << pointer;
  return std::string(s);
}

std::int64_t num(element e, std::string_view pointer) {
  std::int64_t v = -1;
  const auto error = e.at_pointer(pointer).get_int64().get(v);
  EXPECT_EQ(error, simdjson::SUCCESS) << pointer;
  return v;
}

decode::Article sample_article() {
  decode::Article a;
  a.id = "article-1";
  a.url = "https://example.fr/a";
  a.title = "AliExpress arrive en France";
  a.body = "Les banques françaises s'inquiètent.\nAlibaba renforce sa présence en Europe.";
  a.source = "Les Echos";
  a.lang = "fr";
  a.published_at = "2026-11-26T09:00:00+01:00";
  return a;
}

struct Fixture {
  decode::Article article = sample_article();
  std::vector<std::string> tags = {"strategy", "competitor"};
  std::vector<MatchRecord> matches;
  AlertRecord record;

  Fixture() {
    matches.push_back({"title", 0, 10, "@alibaba"});
    // "Alibaba" in the body: after the first line.
    const auto at = static_cast<std::uint32_t>(article.body.find("Alibaba"));
    matches.push_back({"body", at, at + 7, "@alibaba"});
    record.rule_id = "alibaba-europe-finance";
    record.rule_name = "Alibaba pushes into European finance";
    record.severity = "high";
    record.tags = tags;
    record.mode = "alert";
    record.ruleset_version = "0123456789abcdef";
    record.article = &article;
    record.matches = matches;
    record.snippet_field = "title";
    record.snippet_begin = 0;
    record.snippet_end = static_cast<std::uint32_t>(article.title.size());
    record.detected_at_unix_millis = 1795688102113;
    record.input = KafkaOrigin{"articles", 3, 1841};
  }
};

TEST(AlertId, DeterministicFirst16HexOfSha256) {
  // sha256("alibaba-europe-finance\narticle-1")
  EXPECT_EQ(alert_id("alibaba-europe-finance", "article-1"), "a6c1225c3b36cf19");
  EXPECT_EQ(alert_id("r", ""), "8e54b0ca18020275");  // sha256("r\n")
  EXPECT_EQ(alert_id("alibaba-europe-finance", "article-1"),
            alert_id("alibaba-europe-finance", "article-1"));
  EXPECT_NE(alert_id("rule", "article-1"), alert_id("rule", "article-2"));
}

TEST(EncodeAlert, FieldOrderAndValues) {
  Fixture f;
  std::string out;
  encode_alert(f.record, out);
  EXPECT_EQ(out.find('\n'), std::string::npos);
  Parsed p;
  parse(out, p);
  EXPECT_EQ(keys(p.root), (std::vector<std::string>{"alert_id", "rule_id", "rule_name", "severity",
                                                    "tags", "mode", "ruleset_version", "article",
                                                    "matches", "snippet", "detected_at", "input"}));
  EXPECT_EQ(str(p.root, "/alert_id"), alert_id("alibaba-europe-finance", "article-1"));
  EXPECT_EQ(str(p.root, "/rule_id"), "alibaba-europe-finance");
  EXPECT_EQ(str(p.root, "/rule_name"), "Alibaba pushes into European finance");
  EXPECT_EQ(str(p.root, "/severity"), "high");
  EXPECT_EQ(str(p.root, "/tags/0"), "strategy");
  EXPECT_EQ(str(p.root, "/tags/1"), "competitor");
  EXPECT_EQ(str(p.root, "/mode"), "alert");
  EXPECT_EQ(str(p.root, "/ruleset_version"), "0123456789abcdef");

  element article;
  ASSERT_EQ(p.root.at_pointer("/article").get(article), simdjson::SUCCESS);
  EXPECT_EQ(keys(article),
            (std::vector<std::string>{"id", "url", "title", "source", "lang", "published_at"}));
  EXPECT_EQ(str(article, "/id"), f.article.id);
  EXPECT_EQ(str(article, "/url"), f.article.url);
  EXPECT_EQ(str(article, "/title"), f.article.title);
  EXPECT_EQ(str(article, "/source"), f.article.source);
  EXPECT_EQ(str(article, "/lang"), "fr");
  EXPECT_EQ(str(article, "/published_at"), f.article.published_at);

  element m1;
  ASSERT_EQ(p.root.at_pointer("/matches/1").get(m1), simdjson::SUCCESS);
  EXPECT_EQ(keys(m1), (std::vector<std::string>{"field", "start", "end", "text", "leaf"}));
  EXPECT_EQ(str(m1, "/field"), "body");
  EXPECT_EQ(num(m1, "/start"), f.matches[1].start);
  EXPECT_EQ(num(m1, "/end"), f.matches[1].end);
  EXPECT_EQ(str(m1, "/text"), "Alibaba");
  EXPECT_EQ(str(m1, "/leaf"), "@alibaba");
  EXPECT_EQ(str(p.root, "/matches/0/text"), "AliExpress");

  EXPECT_EQ(str(p.root, "/snippet"), "AliExpress arrive en France");
  EXPECT_EQ(str(p.root, "/detected_at"), "2026-11-26T10:15:02.113Z");
  element input;
  ASSERT_EQ(p.root.at_pointer("/input").get(input), simdjson::SUCCESS);
  EXPECT_EQ(keys(input), (std::vector<std::string>{"topic", "partition", "offset"}));
  EXPECT_EQ(str(input, "/topic"), "articles");
  EXPECT_EQ(num(input, "/partition"), 3);
  EXPECT_EQ(num(input, "/offset"), 1841);
}

TEST(EncodeAlert, ExactBytes) {
  decode::Article a;
  a.id = "x";
  a.title = "t";
  AlertRecord r;
  r.rule_id = "r";
  r.severity = "low";
  r.mode = "shadow";
  r.article = &a;
  std::string out;
  encode_alert(r, out);
  EXPECT_EQ(out, R"({"alert_id":")" + alert_id("r", "x") +
                     R"(","rule_id":"r","rule_name":"","severity":"low","tags":[],"mode":"shadow",)"
                     R"("ruleset_version":"","article":{"id":"x","url":"","title":"t","source":"",)"
                     R"("lang":"","published_at":""},"matches":[],"snippet":"",)"
                     R"("detected_at":"1970-01-01T00:00:00.000Z"})");
}

TEST(EncodeAlert, InputOnlyWhenPresentAndAppends) {
  Fixture f;
  f.record.input.reset();
  std::string out = "previous line\n";
  encode_alert(f.record, out);
  ASSERT_EQ(out.rfind("previous line\n", 0), 0u);
  const std::string line = out.substr(14);
  Parsed p;
  parse(line, p);
  const auto k = keys(p.root);
  ASSERT_FALSE(k.empty());
  EXPECT_EQ(k.back(), "detected_at");
  EXPECT_EQ(line.find("\"input\""), std::string::npos);
}

TEST(EncodeAlert, NegativeAndLargeKafkaNumbers) {
  Fixture f;
  f.record.input = KafkaOrigin{"t\"opic", 2147483647, 9223372036854775807};
  std::string out;
  encode_alert(f.record, out);
  Parsed p;
  parse(out, p);
  EXPECT_EQ(str(p.root, "/input/topic"), "t\"opic");
  EXPECT_EQ(num(p.root, "/input/partition"), 2147483647);
  EXPECT_EQ(num(p.root, "/input/offset"), 9223372036854775807);
}

TEST(EncodeAlert, HostileStringsStayValidJson) {
  Fixture f;
  f.article.title = "bad \xff\xfe utf8 \"quoted\" \\ \x01 \u2028";
  f.article.id = "id\xc3";
  f.tags = {"", "t\n\"", "\xe2\x82"};
  f.record.tags = f.tags;
  f.record.rule_name = std::string_view("nul\0inside", 10);
  std::string out;
  encode_alert(f.record, out);
  EXPECT_TRUE(simdjson::validate_utf8(out.data(), out.size()));
  EXPECT_EQ(out.find('\n'), std::string::npos);
  Parsed p;
  parse(out, p);
  EXPECT_EQ(str(p.root, "/article/title"), "bad \uFFFD\uFFFD utf8 \"quoted\" \\ \x01 \u2028");
  EXPECT_EQ(str(p.root, "/article/id"), "id\uFFFD");
  EXPECT_EQ(str(p.root, "/tags/1"), "t\n\"");
  EXPECT_EQ(str(p.root, "/tags/2"), "\uFFFD");
  EXPECT_EQ(str(p.root, "/rule_name"), std::string("nul\0inside", 10));
  // The alert id hashes the article id as given (bytes), not its escaped form.
  EXPECT_EQ(str(p.root, "/alert_id"), alert_id(f.record.rule_id, "id\xc3"));
}

TEST(EncodeAlert, MatchSpansAreClampedAndSnapped) {
  decode::Article a;
  a.id = "x";
  a.title = "café crème";  // 12 bytes: "é" is bytes 3-4, "è" bytes 8-9
  a.body = "body";
  const std::vector<MatchRecord> matches = {
      {"title", 6, 1000, "far"},       // end past the field
      {"title", 500, 600, "outside"},  // entirely outside
      {"title", 9, 4, "reversed"},     // start > end
      {"title", 4, 9, "mid"},          // both ends inside a code point
      {"lead", 0, 2, "unknown field"},
  };
  AlertRecord r;
  r.rule_id = "r";
  r.article = &a;
  r.matches = matches;
  std::string out;
  encode_alert(r, out);
  Parsed p;
  parse(out, p);
  EXPECT_EQ(num(p.root, "/matches/0/start"), 6);
  EXPECT_EQ(num(p.root, "/matches/0/end"), 12);
  EXPECT_EQ(str(p.root, "/matches/0/text"), "crème");
  EXPECT_EQ(num(p.root, "/matches/1/start"), 12);
  EXPECT_EQ(num(p.root, "/matches/1/end"), 12);
  EXPECT_EQ(str(p.root, "/matches/1/text"), "");
  EXPECT_EQ(num(p.root, "/matches/2/start"), 4 - 1);
  EXPECT_EQ(num(p.root, "/matches/2/end"), 4 + 1);
  EXPECT_EQ(str(p.root, "/matches/2/text"), "é");
  EXPECT_EQ(num(p.root, "/matches/3/start"), 3);
  EXPECT_EQ(num(p.root, "/matches/3/end"), 10);
  EXPECT_EQ(str(p.root, "/matches/3/text"), "é crè");
  EXPECT_EQ(str(p.root, "/matches/4/field"), "lead");
  EXPECT_EQ(num(p.root, "/matches/4/end"), 0);
}

TEST(EncodeAlert, NullArticleStillEncodes) {
  AlertRecord r;
  r.rule_id = "r";
  std::string out;
  encode_alert(r, out);
  Parsed p;
  parse(out, p);
  EXPECT_EQ(str(p.root, "/article/id"), "");
  EXPECT_EQ(str(p.root, "/alert_id"), alert_id("r", ""));
}

// Renders the snippet of `text` for the window [begin, end) of the body.
std::string snippet(std::string_view text, std::uint32_t begin, std::uint32_t end,
                    std::string_view field = "body") {
  decode::Article a;
  a.id = "x";
  a.body = std::string(text);
  AlertRecord r;
  r.rule_id = "r";
  r.article = &a;
  r.snippet_field = field;
  r.snippet_begin = begin;
  r.snippet_end = end;
  std::string out;
  encode_alert(r, out);
  Parsed p;
  parse(out, p);
  return str(p.root, "/snippet");
}

constexpr std::string_view kFox = "The quick brown fox jumps over the lazy dog";

TEST(Snippet, WholeFieldHasNoEllipsis) {
  EXPECT_EQ(snippet(kFox, 0, static_cast<std::uint32_t>(kFox.size())), kFox);
  EXPECT_EQ(snippet(kFox, 0, 100000), kFox);
}

TEST(Snippet, WindowInsideGetsEllipses) {
  EXPECT_EQ(snippet(kFox, 10, 19), "… brown fox …");  // exactly "brown fox"
  EXPECT_EQ(snippet(kFox, 9, 20), "… brown fox …");   // surrounding spaces are trimmed
  EXPECT_EQ(snippet(kFox, 0, 9), "The quick …");
  EXPECT_EQ(snippet(kFox, 35, 43), "… lazy dog");
}

TEST(Snippet, CutWordsAreCompleted) {
  EXPECT_EQ(snippet(kFox, 12, 17), "… brown fox …");  // "own f"
  EXPECT_EQ(snippet(kFox, 1, 42), kFox);              // "he ... do"
}

TEST(Snippet, LongWordsAreCutAtCodePointBoundaries) {
  const std::string word(100, 'x');
  const std::string text = "start " + word + " end";
  const std::string s = snippet(text, 50, 60);
  EXPECT_EQ(s, "… " + std::string(10, 'x') + " …");
  // A cut inside a multi-byte character never splits it.
  const std::string accents = "début " + std::string(60, 'a') + "ééééé" + std::string(60, 'a');
  for (std::uint32_t b = 60; b < 80; ++b) {
    const std::string r = snippet(accents, b, b + 3);
    EXPECT_EQ(r.find("\uFFFD"), std::string::npos) << b;
  }
  EXPECT_EQ(snippet("café crème", 4, 4), "");        // empty window
  EXPECT_EQ(snippet("café crème", 4, 5), "café …");  // inside "é": snapped, word completed
}

TEST(Snippet, WhitespaceIsCollapsed) {
  EXPECT_EQ(snippet("  Hello\n\n  world\t!\r\n ", 0, 100), "Hello world !");
  EXPECT_EQ(snippet("a\u00A0\u00A0b\u2028c\u3000\u2003d", 0, 100), "a b c d");
  EXPECT_EQ(snippet("para one.\n\npara two.", 0, 100), "para one. para two.");
}

TEST(Snippet, WhitespaceOutsideTheWindowIsNoText) {
  EXPECT_EQ(snippet("   word rest", 3, 7), "word …");
  EXPECT_EQ(snippet("rest word \n ", 5, 9), "… word");
}

TEST(Snippet, EmptyCases) {
  EXPECT_EQ(snippet(kFox, 10, 19, ""), "");         // no snippet field
  EXPECT_EQ(snippet(kFox, 10, 19, "summary"), "");  // unknown field
  EXPECT_EQ(snippet(kFox, 20, 10), "");             // reversed
  EXPECT_EQ(snippet(kFox, 500, 600), "");           // outside
  EXPECT_EQ(snippet("a      b", 2, 5), "");         // whitespace only
  EXPECT_EQ(snippet("", 0, 10), "");
}

TEST(Snippet, OnlyRealSpacesCollapse) {
  // E2 80 xx is a space only for xx in 80..8A, A8, A9, AF: a truncated sequence followed by an
  // ASCII space is not a space character.
  EXPECT_EQ(snippet("a \xe2\x80 b", 0, 100), "a \uFFFD b");
  EXPECT_EQ(snippet("a\u2010b\u200Bc", 0, 100), "a\u2010b\u200Bc");  // hyphen, zero-width space
}

TEST(Snippet, EscapesAndRepairs) {
  EXPECT_EQ(snippet("say \"hi\"\x01 \xff end", 0, 100), "say \"hi\"\x01 \uFFFD end");
  EXPECT_EQ(snippet("title text", 0, 5, "title"), "");  // title is empty in this article
}

}  // namespace
}  // namespace newswatch::alert
