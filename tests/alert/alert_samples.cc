// Prints a variety of encoded alerts as JSON Lines on stdout, for the schema test
// (validate_alerts.py checks each line against docs/alert.schema.json).
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "daemon/alert/alert.h"
#include "daemon/decode/article.h"

namespace {

using newswatch::alert::AlertRecord;
using newswatch::alert::encode_alert;
using newswatch::alert::KafkaOrigin;
using newswatch::alert::MatchRecord;
using newswatch::decode::Article;

std::uint32_t offset_of(const std::string& text, std::string_view needle) {
  return static_cast<std::uint32_t>(text.find(needle));
}

void emit(const AlertRecord& record, std::string& out) {
  encode_alert(record, out);
  out.push_back('\n');
}

}  // namespace

int main() {
  std::string out;

  // 1. The example of RULES-SPEC §5, from Kafka.
  Article seed;
  seed.id = "seed-0001";
  seed.url = "https://www.example.fr/economie/aliexpress-europe";
  seed.title = "AliExpress arrive en France";
  seed.body =
      "Le groupe chinois Alibaba accélère en Europe.\n\nLes banques françaises s'inquiètent de "
      "l'arrivée d'Alipay sur le marché du paiement.";
  seed.source = "Les Echos";
  seed.lang = "fr";
  seed.published_at = "2026-11-26T09:58:00+01:00";
  const std::vector<std::string> tags = {"strategy", "competitor"};
  const std::vector<MatchRecord> seed_matches = {
      {"title", 0, 10, "@alibaba"},
      {"body", offset_of(seed.body, "Alibaba"), offset_of(seed.body, "Alibaba") + 7, "@alibaba"},
      {"body", offset_of(seed.body, "Europe"), offset_of(seed.body, "Europe") + 6, "@europe"},
      {"body", offset_of(seed.body, "banques"), offset_of(seed.body, "banques") + 7, "banque*"},
  };
  AlertRecord r;
  r.rule_id = "alibaba-europe-finance";
  r.rule_name = "Alibaba pushes into European finance";
  r.severity = "high";
  r.tags = tags;
  r.mode = "alert";
  r.ruleset_version = "9f2c4e01a7b3d5e6";
  r.article = &seed;
  r.matches = seed_matches;
  r.snippet_field = "body";
  r.snippet_begin = offset_of(seed.body, "chinois");
  r.snippet_end = offset_of(seed.body, "françaises") + 4;  // inside a word
  r.detected_at_unix_millis = 1795688102113;
  r.input = KafkaOrigin{"articles", 3, 1841};
  emit(r, out);

  // 2. Not from Kafka, no tags, no matches, no snippet, shadow mode, epoch timestamp.
  AlertRecord bare = r;
  bare.tags = {};
  bare.matches = {};
  bare.snippet_field = "";
  bare.mode = "shadow";
  bare.severity = "info";
  bare.detected_at_unix_millis = 0;
  bare.input.reset();
  emit(bare, out);

  // 3. Unicode everywhere, id derived from the text, every severity.
  Article unicode;
  unicode.title = "Ünïcödé — 東京 😀 l’Europe";
  unicode.body = "Ceci\u00A0est un test\u2028avec des séparateurs\u2029et des 🇫🇷 drapeaux.";
  unicode.id = newswatch::decode::derived_article_id(unicode.title, unicode.body);
  unicode.lang = "fr-FR";
  const std::vector<std::string> unicode_tags = {"société", "東京", ""};
  const std::vector<MatchRecord> unicode_matches = {
      {"title", offset_of(unicode.title, "東京"), offset_of(unicode.title, "東京") + 6, "東京"},
      {"title", offset_of(unicode.title, "Europe"), offset_of(unicode.title, "Europe") + 6,
       "=\"Europe\""},
  };
  for (const char* severity : {"info", "low", "medium", "high", "critical"}) {
    AlertRecord u;
    u.rule_id = "unicode.test_1";
    u.rule_name = "Règle « spéciale » 🚨";
    u.severity = severity;
    u.tags = unicode_tags;
    u.mode = "alert";
    u.ruleset_version = "0000000000000000";
    u.article = &unicode;
    u.matches = unicode_matches;
    u.snippet_field = "body";
    u.snippet_begin = 3;
    u.snippet_end = 40;  // both ends inside words, the end inside a multi-byte character
    u.detected_at_unix_millis = 1709208000001;  // 2024-02-29
    u.input = KafkaOrigin{"news.fr-v2", 0, 0};
    emit(u, out);
  }

  // 4. Control characters, quotes and backslashes in every string; invalid UTF-8 wherever the
  // encoder may meet it (the article's id and matched text are valid UTF-8 by contract: the
  // validator checks alert_id and match texts byte for byte).
  Article hostile;
  hostile.id = "id\x01\"\\\x7f";
  hostile.url = "https://ex.fr/?q=\"a\"&b=\\\xff";
  hostile.title = std::string("tab\there nul\0 bell\x07 \xc3\x28 end", 26);
  hostile.body = "line1\nline2\r\n\x1b[31mred\x1b[0m \xe2\x80 truncated \xed\xa0\x80 surrogate";
  hostile.source = "\x7f";
  hostile.lang = "\xf4\x90\x80\x80";
  hostile.published_at = "2026-13-45 not a date";
  const std::vector<std::string> hostile_tags = {"\n", "\"", "\\", "\xc0\xaf"};
  const std::vector<MatchRecord> hostile_matches = {
      {"body", 0, 5, "line1"},
      {"body", 2, 1, "reversed span"},
      {"title", 1000, 2000, "out of range"},
      {"body", offset_of(hostile.body, "\x1b[31m"), offset_of(hostile.body, "\x1b[31m") + 8,
       "/\\x1b\\[31m(red)?/i"},
  };
  AlertRecord h;
  h.rule_id = "hostile";
  h.rule_name = std::string_view("name\0with\nnewline\u2028", 20);
  h.severity = "critical";
  h.tags = hostile_tags;
  h.mode = "shadow";
  h.ruleset_version = "ffffffffffffffff";
  h.article = &hostile;
  h.matches = hostile_matches;
  h.snippet_field = "body";
  h.snippet_begin = 0;
  h.snippet_end = 1000;
  h.detected_at_unix_millis = -1;  // 1969-12-31T23:59:59.999Z
  h.input = KafkaOrigin{"t", 2147483647, 9223372036854775807};
  emit(h, out);

  // 5. Empty snippets: empty window, window of whitespace, unknown field; empty texts.
  Article sparse;
  sparse.id = "https://ex.fr/only-url";
  sparse.url = sparse.id;
  sparse.body = "   \n\n   ";
  sparse.title = "t";
  AlertRecord s;
  s.rule_id = "0";
  s.severity = "medium";
  s.mode = "alert";
  s.ruleset_version = "1234567890abcdef";
  s.article = &sparse;
  s.snippet_field = "body";
  s.snippet_begin = 0;
  s.snippet_end = 8;
  s.detected_at_unix_millis = 253402300799999;  // 9999-12-31T23:59:59.999Z
  emit(s, out);
  s.snippet_field = "title";
  s.snippet_begin = 1;
  s.snippet_end = 1;
  emit(s, out);

  // 6. Many matches (a capped list) and a long body.
  Article longer;
  longer.id = "long";
  for (int i = 0; i < 2000; ++i) longer.body += "Europe européenne ";
  std::vector<MatchRecord> many;
  for (std::uint32_t i = 0; i < 50; ++i) {
    const std::uint32_t at = i * 19;  // "Europe européenne " is 19 bytes
    many.push_back({"body", at, at + 6, "europ*"});
  }
  AlertRecord l = r;
  l.article = &longer;
  l.matches = many;
  l.snippet_begin = 19 * 1000 + 3;
  l.snippet_end = 19 * 1000 + 150;
  emit(l, out);

  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}
