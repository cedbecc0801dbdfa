// Generated input for the daemon integration tests: realistic French and English news
// articles (JSON, one object per message) built from sentence pools, of which some sentences
// hit the test rules in tests/integration/daemon/rules/ and others nearly do, plus the
// undecodable messages the daemon must dead-letter.
//
// Deterministic: the same (prefix, count, seed) always gives the same bytes. Article ids are
// "<prefix>-<index>", so a unique prefix (e.g. the input topic's name) gives ids no other test
// uses. Whether an article really fires a rule is not decided here: the tests ask
// `newswatch match` (expected_alerts() in daemon_support.h), which shares the daemon's engine.
//
// Thread-safety: pure functions, no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace newswatch::itest {

struct GeneratedArticle {
  std::string id;
  std::string json;  // one JSON object, no newline (valid JSON and valid UTF-8)
};

// `count` articles with ids "<prefix>-<i>", i = first_index .. first_index + count - 1. About
// half carry lang "fr", half "en"; bodies have 2-7 sentences; some strings use \uXXXX escapes,
// curly apostrophes, no-break spaces and NFD ("Dubai" + U+0308).
std::vector<GeneratedArticle> generate_articles(std::string_view prefix, std::size_t count,
                                                std::uint64_t seed, std::size_t first_index = 0);

// A message the daemon must send to the dead-letter topic unchanged.
struct SpecialMessage {
  std::string key;
  std::string value;   // the exact bytes produced
  std::string reason;  // expected newswatch-error header: decode::to_string() of the code
};

// One message for each decode error the daemon reports: invalid_json (twice: truncated, not
// JSON at all), not_object (a JSON array), too_large (a valid article that hits rules but is
// larger than `max_message_bytes`), empty, wrong_type, no_text. Keys are "<prefix>-special-N".
std::vector<SpecialMessage> undecodable_messages(std::string_view prefix,
                                                 std::size_t max_message_bytes);

// A valid article whose title and body contain invalid UTF-8 bytes (a lone 0xFF, a truncated
// two-byte sequence, an encoded surrogate) around words that fire itest-cyber-bank: the daemon
// repairs the bytes (U+FFFD) and still matches. Not valid UTF-8, so not a GeneratedArticle.
GeneratedArticle invalid_utf8_article(std::string_view id);

// The seed article of the starter rules (rules/fixtures/seed-article.json), as stored: it
// fires itest-alibaba-europe. Empty when the file cannot be read.
std::string seed_article_json();

// Appends `text` to `out` as the body of a JSON string (quotes and backslashes escaped,
// control characters as \u00XX); bytes >= 0x80 are copied unchanged.
void append_json_escaped(std::string& out, std::string_view text);

}  // namespace newswatch::itest
