// Fuzz target: an AlertRecord built from the input -> encode_alert -> simdjson DOM. The output
// must always be one line of valid JSON (and valid UTF-8), whose strings round-trip when the
// input strings were valid UTF-8 and whose alert_id is that of (rule_id, article id).
//
// Input layout: fields separated by 0xFF (a byte that never occurs in UTF-8), in the order of
// kFieldCount below; the last field's first bytes give the numbers (little-endian, zero when
// missing).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "daemon/alert/alert.h"
#include "daemon/decode/article.h"
#include "daemon/text/utf8.h"

namespace {

#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

enum Part {
  kRuleId,
  kRuleName,
  kSeverity,
  kMode,
  kRulesetVersion,
  kTag0,
  kTag1,
  kId,
  kUrl,
  kTitle,
  kBody,
  kSource,
  kLang,
  kPublishedAt,
  kLeaf,
  kMatchField,
  kSnippetField,
  kTopic,
  kNumbers,
  kPartCount
};

template <typename T>
T read_number(std::string_view bytes, std::size_t& pos) {
  T value{};
  unsigned char buf[sizeof(T)] = {};
  for (std::size_t i = 0; i < sizeof(T) && pos < bytes.size(); ++i, ++pos) {
    buf[i] = static_cast<unsigned char>(bytes[pos]);
  }
  std::memcpy(&value, buf, sizeof(T));
  return value;
}

std::string_view get(simdjson::dom::element e, const char* pointer) {
  std::string_view s;
  FUZZ_CHECK(e.at_pointer(pointer).get_string().get(s) == simdjson::SUCCESS);
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using newswatch::alert::AlertRecord;
  using newswatch::alert::MatchRecord;
  namespace text = newswatch::text;

  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view parts[kPartCount];
  std::size_t start = 0;
  for (int p = 0; p < kPartCount; ++p) {
    const std::size_t sep =
        p + 1 == kPartCount ? std::string_view::npos : input.find('\xff', start);
    if (start > input.size()) break;
    parts[p] =
        input.substr(start, sep == std::string_view::npos ? std::string_view::npos : sep - start);
    if (sep == std::string_view::npos) break;
    start = sep + 1;
  }

  newswatch::decode::Article article;
  article.id = parts[kId];
  article.url = parts[kUrl];
  article.title = parts[kTitle];
  article.body = parts[kBody];
  article.source = parts[kSource];
  article.lang = parts[kLang];
  article.published_at = parts[kPublishedAt];
  const std::vector<std::string> tags = {std::string(parts[kTag0]), std::string(parts[kTag1])};

  std::size_t pos = 0;
  const std::string_view numbers = parts[kNumbers];
  const auto match_start = read_number<std::uint32_t>(numbers, pos);
  const auto match_end = read_number<std::uint32_t>(numbers, pos);
  const auto snippet_begin = read_number<std::uint32_t>(numbers, pos);
  const auto snippet_end = read_number<std::uint32_t>(numbers, pos);
  const auto millis = read_number<std::int64_t>(numbers, pos);
  const auto partition = read_number<std::int32_t>(numbers, pos);
  const auto offset = read_number<std::int64_t>(numbers, pos);
  const auto flags = read_number<std::uint8_t>(numbers, pos);

  // Small numbers are the interesting ones: fold most of them into the fields' range.
  const auto fold = [&](std::uint32_t v) {
    return (flags & 0x80) != 0 ? v : v % static_cast<std::uint32_t>(article.body.size() + 8);
  };
  const std::vector<MatchRecord> matches = {
      {parts[kMatchField], fold(match_start), fold(match_end), parts[kLeaf]},
      {"title", fold(match_end), fold(match_start), parts[kLeaf]},
  };

  AlertRecord record;
  record.rule_id = parts[kRuleId];
  record.rule_name = parts[kRuleName];
  record.severity = parts[kSeverity];
  record.tags = tags;
  record.mode = parts[kMode];
  record.ruleset_version = parts[kRulesetVersion];
  record.article = (flags & 0x02) != 0 ? nullptr : &article;
  record.matches = matches;
  record.snippet_field = parts[kSnippetField];
  record.snippet_begin = fold(snippet_begin);
  record.snippet_end = fold(snippet_end);
  record.detected_at_unix_millis = millis;
  if ((flags & 0x01) != 0) {
    record.input = newswatch::alert::KafkaOrigin{parts[kTopic], partition, offset};
  }

  std::string out = "x";  // encode_alert appends
  newswatch::alert::encode_alert(record, out);
  FUZZ_CHECK(out[0] == 'x');
  const std::string_view json = std::string_view(out).substr(1);
  FUZZ_CHECK(json.find('\n') == std::string_view::npos);
  FUZZ_CHECK(json.find('\r') == std::string_view::npos);

  static simdjson::dom::parser parser;
  simdjson::dom::element root;
  const auto error = parser.parse(json.data(), json.size()).get(root);
  if (error) {
    std::fprintf(stderr, "invalid JSON (%s): %.*s\n", simdjson::error_message(error),
                 static_cast<int>(json.size()), json.data());
    std::abort();
  }
  FUZZ_CHECK(root.is_object());
  if (text::is_valid_utf8(record.rule_id)) FUZZ_CHECK(get(root, "/rule_id") == record.rule_id);
  if (text::is_valid_utf8(parts[kTag1])) FUZZ_CHECK(get(root, "/tags/1") == parts[kTag1]);
  const std::string_view id = record.article != nullptr ? std::string_view(article.id) : "";
  FUZZ_CHECK(get(root, "/alert_id") == newswatch::alert::alert_id(record.rule_id, id));
  const std::string_view snippet = get(root, "/snippet");
  FUZZ_CHECK(text::is_valid_utf8(snippet));
  FUZZ_CHECK(snippet.find('\n') == std::string_view::npos);
  if (!snippet.empty()) FUZZ_CHECK(snippet.front() != ' ' && snippet.back() != ' ');
  FUZZ_CHECK(get(root, "/detected_at").size() == 24);

  simdjson::dom::array encoded_matches;
  FUZZ_CHECK(root["matches"].get_array().get(encoded_matches) == simdjson::SUCCESS);
  for (const auto m : encoded_matches) {
    std::uint64_t s = 0;
    std::uint64_t e = 0;
    FUZZ_CHECK(m["start"].get_uint64().get(s) == simdjson::SUCCESS);
    FUZZ_CHECK(m["end"].get_uint64().get(e) == simdjson::SUCCESS);
    FUZZ_CHECK(s <= e);
  }
  FUZZ_CHECK(root["input"].error() ==
             ((flags & 0x01) != 0 ? simdjson::SUCCESS : simdjson::NO_SUCH_FIELD));
  return 0;
}
