// Article decoding from JSON message bytes (simdjson On-Demand).
//
// Thread-safety: an ArticleDecoder is NOT thread-safe; use one per thread (it owns a simdjson
// parser and padded buffers that it reuses). Distinct decoders may run concurrently.
// Errors: every malformed input yields a DecodeError value; nothing throws, asserts or logs.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/decode/article.h"

namespace newswatch::decode {

// Why a message could not be turned into an Article. A small closed set, so it can label a
// metric; the detail string carries the specifics for logs and dead-letter headers.
enum class DecodeErrorCode {
  kEmpty,        // zero-length message
  kTooLarge,     // longer than DecodeOptions::max_message_bytes
  kInvalidJson,  // not parseable as JSON (truncated, garbage, trailing content, too deep)
  kNotObject,    // valid JSON, but the top level is not an object
  kWrongType,    // a known field (title, body, id, url, source, lang, published_at) is not a
                 // string (null is accepted and means "missing")
  kNoText,       // neither a non-empty title nor a non-empty body
};

// Stable snake_case name: "empty", "too_large", "invalid_json", "not_object", "wrong_type",
// "no_text".
std::string_view to_string(DecodeErrorCode code) noexcept;

struct DecodeError {
  DecodeErrorCode code;
  std::string detail;  // human-readable, one line, e.g. "field \"title\" is a number"
};

enum class BodyFormat {
  kText,  // body is plain text (default)
  kHtml,  // body is HTML: tags stripped and character references decoded before matching;
          // match offsets then refer to the decoded text
};

struct DecodeOptions {
  std::size_t max_message_bytes = 1u << 20;  // 1 MiB
  BodyFormat body_format = BodyFormat::kText;
};

class ArticleDecoder {
 public:
  explicit ArticleDecoder(DecodeOptions options = {});
  ~ArticleDecoder();
  ArticleDecoder(const ArticleDecoder&) = delete;
  ArticleDecoder& operator=(const ArticleDecoder&) = delete;
  ArticleDecoder(ArticleDecoder&&) noexcept;
  ArticleDecoder& operator=(ArticleDecoder&&) noexcept;

  // Decodes one JSON object into `out` (cleared first). `message` may be any bytes; it is
  // copied into an internal padded buffer, so it need not outlive the call.
  //  - Invalid UTF-8 anywhere in the message is repaired (U+FFFD) and the article is still
  //    decoded (kArticleRepairedUtf8). Lone surrogate escapes (\ud800) become U+FFFD.
  //  - Duplicate keys: the last occurrence wins (as in most JSON parsers people know).
  //  - Unknown fields are ignored.
  // Returns std::nullopt on success; on error `out` holds unspecified content.
  std::optional<DecodeError> decode(std::string_view message, Article& out);

  const DecodeOptions& options() const noexcept { return options_; }

 private:
  struct State;
  DecodeOptions options_;
  std::unique_ptr<State> state_;
};

}  // namespace newswatch::decode
