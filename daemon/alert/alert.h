// The alert record of RULES-SPEC §5, encoded as one line of JSON.
//
// This layer knows nothing about how matching works: the caller describes the alert with
// plain views (AlertRecord) and gets bytes back. See docs/alert.schema.json for the schema.
//
// Thread-safety: pure functions. Lifetimes: every view in AlertRecord must stay valid for the
// duration of the encode call only.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "daemon/decode/article.h"

namespace newswatch::alert {

// Deterministic alert id: the first 16 hex digits of SHA-256(rule_id + "\n" + article_id).
// The same (rule, article) always yields the same id, so consumers can drop the duplicates
// that at-least-once delivery allows.
std::string alert_id(std::string_view rule_id, std::string_view article_id);

// Where the article came from, when it came from Kafka.
struct KafkaOrigin {
  std::string_view topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
};

// One occurrence that made the rule true: byte offsets into the original view of `field`.
struct MatchRecord {
  std::string_view field;  // "title" or "body"
  std::uint32_t start = 0;
  std::uint32_t end = 0;
  std::string_view leaf;  // the leaf as written in the query, e.g. "@alibaba" or "europ*"
};

struct AlertRecord {
  std::string_view rule_id;
  std::string_view rule_name;
  std::string_view severity;  // info | low | medium | high | critical
  std::span<const std::string> tags;
  std::string_view mode;  // alert | shadow
  std::string_view ruleset_version;
  const decode::Article* article = nullptr;  // required
  std::span<const MatchRecord> matches;      // the "text" of each is cut from the article
  // The snippet is a window of the original view of one field, given as a byte range; the
  // encoder snaps it to code point boundaries, collapses whitespace and adds "…" where the
  // window does not reach the start or end of the field.
  std::string_view snippet_field;  // "title" or "body"; empty: no snippet (empty string)
  std::uint32_t snippet_begin = 0;
  std::uint32_t snippet_end = 0;
  std::int64_t detected_at_unix_millis = 0;
  std::optional<KafkaOrigin> input;
};

// Appends the alert as one JSON object, without a trailing newline, with keys in the order of
// RULES-SPEC §5. Spans that do not lie inside their field are clamped (never read out of bounds).
void encode_alert(const AlertRecord& alert, std::string& out);

}  // namespace newswatch::alert
