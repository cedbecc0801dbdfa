// Article decoding with simdjson On-Demand.
//
// On-Demand parses lazily: values nobody asks for are skipped without being checked. This
// decoder asks for everything (unknown fields are walked and their scalars checked against the
// JSON grammar), so a message is accepted only if the whole of it is valid JSON, with a
// nesting limit of kMaxDepth (64). The checks on skipped values are plain scans over bytes
// that simdjson has already indexed; they do not copy. Numbers are checked against the JSON
// grammar only, so any magnitude is accepted (1e400 included).
//
// Errors are reported in this order: invalid JSON anywhere in the message, then the first known
// field of a wrong type, then no text.
#include "daemon/decode/decoder.h"

#include <array>
#include <string>
#include <utility>

#include <simdjson.h>

#include "daemon/decode/html.h"
#include "daemon/text/normalize.h"
#include "daemon/text/utf8.h"

namespace newswatch::decode {

namespace ondemand = simdjson::ondemand;

std::string_view to_string(DecodeErrorCode code) noexcept {
  switch (code) {
    case DecodeErrorCode::kEmpty:
      return "empty";
    case DecodeErrorCode::kTooLarge:
      return "too_large";
    case DecodeErrorCode::kInvalidJson:
      return "invalid_json";
    case DecodeErrorCode::kNotObject:
      return "not_object";
    case DecodeErrorCode::kWrongType:
      return "wrong_type";
    case DecodeErrorCode::kNoText:
      return "no_text";
  }
  return "unknown";
}

namespace {

// Deepest nesting of arrays/objects accepted (the article object itself is depth 1). News
// messages nest a few levels at most; the limit bounds the recursion of the validator.
constexpr int kMaxDepth = 64;

enum Field : int { kTitle, kBody, kId, kUrl, kSource, kLang, kPublishedAt, kFieldCount, kUnknown };

constexpr std::array<std::string_view, kFieldCount> kFieldNames = {
    "title", "body", "id", "url", "source", "lang", "published_at"};

Field field_of(std::string_view key) noexcept {
  switch (key.size()) {
    case 2:
      return key == "id" ? kId : kUnknown;
    case 3:
      return key == "url" ? kUrl : kUnknown;
    case 4:
      if (key == "body") return kBody;
      return key == "lang" ? kLang : kUnknown;
    case 5:
      return key == "title" ? kTitle : kUnknown;
    case 6:
      return key == "source" ? kSource : kUnknown;
    case 12:
      return key == "published_at" ? kPublishedAt : kUnknown;
    default:
      return kUnknown;
  }
}

std::string_view type_name(ondemand::json_type t) noexcept {
  switch (t) {
    case ondemand::json_type::array:
      return "an array";
    case ondemand::json_type::object:
      return "an object";
    case ondemand::json_type::number:
      return "a number";
    case ondemand::json_type::string:
      return "a string";
    case ondemand::json_type::boolean:
      return "a boolean";
    case ondemand::json_type::null:
      return "null";
  }
  return "of an unknown type";
}

bool is_json_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string_view trim_trailing_space(std::string_view s) noexcept {
  while (!s.empty() && is_json_space(s.back())) s.remove_suffix(1);
  return s;
}

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads 4 hex digits at p (p + 4 <= end checked by the caller); -1 when not hex.
long read_hex4(const char* p) noexcept {
  long v = 0;
  for (int k = 0; k < 4; ++k) {
    const int d = hex_digit(p[k]);
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

// Unescapes the body of a JSON string: `p` points just past the opening quote, `end` bounds
// the scan. Unpaired surrogate escapes become U+FFFD (counted in *replaced) instead of failing.
// With out == nullptr it only validates. Returns the position just past the closing quote, or
// nullptr when the string is malformed (bad escape, no closing quote before `end`).
const char* unescape_lenient(const char* p, const char* end, std::string* out,
                             std::size_t* replaced) {
  if (out != nullptr) out->clear();
  while (p < end) {
    const char* run = p;
    while (p < end && *p != '"' && *p != '\\') ++p;
    if (out != nullptr) out->append(run, static_cast<std::size_t>(p - run));
    if (p >= end) return nullptr;
    if (*p == '"') return p + 1;
    // Backslash escape.
    if (p + 1 >= end) return nullptr;
    const char e = p[1];
    char simple = 0;
    switch (e) {
      case '"':
        simple = '"';
        break;
      case '\\':
        simple = '\\';
        break;
      case '/':
        simple = '/';
        break;
      case 'b':
        simple = '\b';
        break;
      case 'f':
        simple = '\f';
        break;
      case 'n':
        simple = '\n';
        break;
      case 'r':
        simple = '\r';
        break;
      case 't':
        simple = '\t';
        break;
      case 'u':
        break;
      default:
        return nullptr;
    }
    if (simple != 0) {
      if (out != nullptr) out->push_back(simple);
      p += 2;
      continue;
    }
    if (end - p < 6) return nullptr;
    const long unit = read_hex4(p + 2);
    if (unit < 0) return nullptr;
    p += 6;
    char32_t cp = static_cast<char32_t>(unit);
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      long low = -1;
      if (end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
        low = read_hex4(p + 2);
        if (low < 0) return nullptr;  // "\ud800\uZZZZ" is a bad escape, not a lone surrogate
      }
      if (low >= 0xDC00 && low <= 0xDFFF) {
        cp = 0x10000 + ((static_cast<char32_t>(unit) - 0xD800) << 10) +
             (static_cast<char32_t>(low) - 0xDC00);
        p += 6;
      } else {
        cp = text::kReplacementChar;  // high surrogate not followed by a low one
        if (replaced != nullptr) ++*replaced;
      }
    } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
      cp = text::kReplacementChar;  // low surrogate without a high one
      if (replaced != nullptr) ++*replaced;
    }
    if (out != nullptr) text::append_utf8(cp, *out);
  }
  return nullptr;
}

// JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view s) noexcept {
  std::size_t i = 0;
  const std::size_t n = s.size();
  auto digits = [&] {
    const std::size_t start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  };
  if (i < n && s[i] == '-') ++i;
  if (i < n && s[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < n && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == n;
}

// Checks a scalar token as returned by raw_json_token() (it runs up to the next structural
// character, so it may carry trailing whitespace).
bool is_valid_scalar_token(std::string_view token) noexcept {
  const std::string_view t = trim_trailing_space(token);
  if (t.empty()) return false;
  switch (t.front()) {
    case '"': {
      const char* close = unescape_lenient(t.data() + 1, t.data() + t.size(), nullptr, nullptr);
      return close == t.data() + t.size();
    }
    case 't':
      return t == "true";
    case 'f':
      return t == "false";
    case 'n':
      return t == "null";
    default:
      return is_json_number(t);
  }
}

}  // namespace

struct ArticleDecoder::State {
  ondemand::parser parser;
  std::string buffer;       // the message, padded for simdjson
  std::string scratch;      // lenient unescape of a value
  std::string key_scratch;  // lenient unescape of a key
  std::string html;         // body after html_to_text
  const char* buffer_end = nullptr;

  // Decoding state of one message.
  unsigned field_changes[kFieldCount] = {};
  bool repaired = false;
  Field wrong_type_field = kUnknown;
  ondemand::json_type wrong_type = ondemand::json_type::null;

  simdjson::error_code validate_value(ondemand::value value, int depth);
  simdjson::error_code validate_object(ondemand::object& object, int depth);
  simdjson::error_code validate_array(ondemand::array& array, int depth);
  simdjson::error_code validate_key(ondemand::raw_json_string key) const;
};

// Walks a value nobody asked for, checking it is valid JSON. Scalars are checked on their raw
// token and left unconsumed (the iterator skips them); containers are iterated.
simdjson::error_code ArticleDecoder::State::validate_value(ondemand::value value, int depth) {
  ondemand::json_type type;
  if (auto error = value.type().get(type)) return error;
  switch (type) {
    case ondemand::json_type::object: {
      ondemand::object object;
      if (auto error = value.get_object().get(object)) return error;
      return validate_object(object, depth + 1);
    }
    case ondemand::json_type::array: {
      ondemand::array array;
      if (auto error = value.get_array().get(array)) return error;
      return validate_array(array, depth + 1);
    }
    case ondemand::json_type::string:
      return is_valid_scalar_token(value.raw_json_token()) ? simdjson::SUCCESS
                                                           : simdjson::STRING_ERROR;
    case ondemand::json_type::number:
      return is_valid_scalar_token(value.raw_json_token()) ? simdjson::SUCCESS
                                                           : simdjson::NUMBER_ERROR;
    case ondemand::json_type::boolean:
    case ondemand::json_type::null: {
      const std::string_view token = value.raw_json_token();
      if (is_valid_scalar_token(token)) return simdjson::SUCCESS;
      if (token.front() == 't') return simdjson::T_ATOM_ERROR;
      if (token.front() == 'f') return simdjson::F_ATOM_ERROR;
      return simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::TAPE_ERROR;
}

// `depth` is the nesting depth of the container itself (the article object is 1).
simdjson::error_code ArticleDecoder::State::validate_object(ondemand::object& object, int depth) {
  if (depth > kMaxDepth) return simdjson::DEPTH_ERROR;
  for (auto field_result : object) {
    ondemand::field field;
    if (auto error = std::move(field_result).get(field)) return error;
    if (auto error = validate_key(field.key())) return error;
    if (auto error = validate_value(field.value(), depth)) return error;
  }
  return simdjson::SUCCESS;
}

simdjson::error_code ArticleDecoder::State::validate_array(ondemand::array& array, int depth) {
  if (depth > kMaxDepth) return simdjson::DEPTH_ERROR;
  for (auto element_result : array) {
    ondemand::value element;
    if (auto error = element_result.get(element)) return error;
    if (auto error = validate_value(element, depth)) return error;
  }
  return simdjson::SUCCESS;
}

simdjson::error_code ArticleDecoder::State::validate_key(ondemand::raw_json_string key) const {
  const char* close = unescape_lenient(key.raw(), buffer_end, nullptr, nullptr);
  return close == nullptr ? simdjson::STRING_ERROR : simdjson::SUCCESS;
}

ArticleDecoder::ArticleDecoder(DecodeOptions options)
    : options_(options), state_(std::make_unique<State>()) {}
ArticleDecoder::~ArticleDecoder() = default;
ArticleDecoder::ArticleDecoder(ArticleDecoder&&) noexcept = default;
ArticleDecoder& ArticleDecoder::operator=(ArticleDecoder&&) noexcept = default;

namespace {

DecodeError invalid_json(simdjson::error_code error) {
  return DecodeError{DecodeErrorCode::kInvalidJson, simdjson::error_message(error)};
}

unsigned article_bits(unsigned text_changes) noexcept {
  unsigned bits = kArticleUnchanged;
  if ((text_changes & text::kRepairedUtf8) != 0) bits |= kArticleRepairedUtf8;
  if ((text_changes & text::kNormalizedNfc) != 0) bits |= kArticleNormalizedNfc;
  return bits;
}

// The original view of a text field. `s` is valid UTF-8 here (the message was validated or
// repaired, simdjson's unescaper yields UTF-8, the lenient one writes U+FFFD for surrogates), so
// the common case only needs the NFC quick check; anything else takes the full
// text::make_original_view path.
unsigned original_view(std::string_view s, std::string& out) {
  if (text::is_nfc_quick(s)) {
    out.assign(s);
    return kArticleUnchanged;
  }
  return article_bits(text::make_original_view(s, out));
}

}  // namespace

std::optional<DecodeError> ArticleDecoder::decode(std::string_view message, Article& out) {
  out.clear();
  if (message.empty()) return DecodeError{DecodeErrorCode::kEmpty, "empty message"};
  if (message.size() > options_.max_message_bytes) {
    return DecodeError{DecodeErrorCode::kTooLarge, "message of " + std::to_string(message.size()) +
                                                       " bytes exceeds max_message_bytes " +
                                                       std::to_string(options_.max_message_bytes)};
  }
  if (!state_) state_ = std::make_unique<State>();  // a moved-from decoder stays usable
  State& st = *state_;
  st.repaired = false;
  st.wrong_type_field = kUnknown;
  for (unsigned& c : st.field_changes) c = kArticleUnchanged;

  // A UTF-8 byte order mark is not JSON, but RFC 8259 lets parsers ignore it, and some
  // producers (.NET, Windows tools) write one.
  if (message.size() >= 3 && message.compare(0, 3, "\xEF\xBB\xBF") == 0) message.remove_prefix(3);

  // Copy into the padded buffer. simdjson's stage 1 validates UTF-8 as it indexes: only when it
  // reports UTF8_ERROR is the message repaired and indexed again. (Repair replaces ill-formed
  // sequences and never touches an ASCII byte, so it cannot change the JSON structure: any other
  // stage-1 error would have been reported for the repaired message too.)
  auto load = [&st](std::string_view bytes, bool repair) {
    st.buffer.clear();
    if (repair) {
      text::repair_utf8(bytes, st.buffer);
    } else {
      st.buffer.append(bytes);
    }
    const std::size_t length = st.buffer.size();
    st.buffer.append(simdjson::SIMDJSON_PADDING, '\0');
    st.buffer_end = st.buffer.data() + length;
    return length;
  };
  ondemand::document doc;
  auto iterate = [&st, &doc](std::size_t length) {
    return st.parser.iterate(st.buffer.data(), length, st.buffer.size()).get(doc);
  };
  simdjson::error_code iterate_error = iterate(load(message, false));
  if (iterate_error == simdjson::UTF8_ERROR) {
    st.repaired = true;
    iterate_error = iterate(load(message, true));
  }
  if (iterate_error) return invalid_json(iterate_error);
  ondemand::json_type root_type;
  if (auto error = doc.type().get(root_type)) return invalid_json(error);

  if (root_type != ondemand::json_type::object) {
    // Tell "valid JSON that is not an object" from "not JSON at all".
    if (root_type == ondemand::json_type::array) {
      ondemand::array root;
      if (auto error = doc.get_array().get(root)) return invalid_json(error);
      if (auto error = st.validate_array(root, 1)) return invalid_json(error);
      if (!doc.current_location().error()) return invalid_json(simdjson::TRAILING_CONTENT);
    } else {
      std::string_view token;
      if (auto error = doc.raw_json_token().get(token)) return invalid_json(error);
      if (token.data() + token.size() != st.buffer_end) {
        return invalid_json(simdjson::TRAILING_CONTENT);
      }
      if (!is_valid_scalar_token(token)) return invalid_json(simdjson::TAPE_ERROR);
    }
    return DecodeError{
        DecodeErrorCode::kNotObject,
        "top-level value is " + std::string(type_name(root_type)) + ", not an object"};
  }

  ondemand::object object;
  if (auto error = doc.get_object().get(object)) return invalid_json(error);
  for (auto field_result : object) {
    ondemand::field field;
    if (auto error = std::move(field_result).get(field)) return invalid_json(error);
    const ondemand::raw_json_string raw_key = field.key();
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) {
      // Lone surrogate in a key (it cannot be a known key then) or a bad escape.
      if (unescape_lenient(raw_key.raw(), st.buffer_end, &st.key_scratch, nullptr) == nullptr) {
        return invalid_json(simdjson::STRING_ERROR);
      }
      key = st.key_scratch;
    }
    const Field f = field_of(key);
    ondemand::value value = field.value();
    if (f == kUnknown) {
      if (auto error = st.validate_value(value, 1)) return invalid_json(error);
      continue;
    }
    ondemand::json_type type;
    if (auto error = value.type().get(type)) return invalid_json(error);
    if (type != ondemand::json_type::string) {
      if (auto error = st.validate_value(value, 1)) return invalid_json(error);
      if (type == ondemand::json_type::null) {
        // null means missing; a later duplicate may still set the field.
        st.field_changes[f] = kArticleUnchanged;
        switch (f) {
          case kTitle:
            out.title.clear();
            break;
          case kBody:
            out.body.clear();
            break;
          case kId:
            out.id.clear();
            break;
          case kUrl:
            out.url.clear();
            break;
          case kSource:
            out.source.clear();
            break;
          case kLang:
            out.lang.clear();
            break;
          case kPublishedAt:
            out.published_at.clear();
            break;
          default:
            break;
        }
      } else if (st.wrong_type_field == kUnknown) {
        st.wrong_type_field = f;  // reported once the whole message is known to be JSON
        st.wrong_type = type;
      }
      continue;
    }

    // A string: unescape it with simdjson, falling back to the lenient unescaper when simdjson
    // rejects it (lone surrogate escapes).
    const std::string_view token = value.raw_json_token();
    std::string_view s;
    unsigned changes = kArticleUnchanged;
    if (auto error = value.get_string().get(s)) {
      if (error != simdjson::STRING_ERROR) return invalid_json(error);
      std::size_t replaced = 0;
      if (unescape_lenient(token.data() + 1, st.buffer_end, &st.scratch, &replaced) == nullptr) {
        return invalid_json(error);
      }
      if (replaced != 0) changes |= kArticleRepairedUtf8;
      s = st.scratch;
    }
    switch (f) {
      case kTitle:
        changes |= original_view(s, out.title);
        break;
      case kBody:
        if (options_.body_format == BodyFormat::kHtml) {
          if (html_to_text(s, st.html)) changes |= kArticleHtmlStripped;
          changes |= original_view(st.html, out.body);
        } else {
          changes |= original_view(s, out.body);
        }
        break;
      default: {
        std::string* target = nullptr;
        switch (f) {
          case kId:
            target = &out.id;
            break;
          case kUrl:
            target = &out.url;
            break;
          case kSource:
            target = &out.source;
            break;
          case kLang:
            target = &out.lang;
            break;
          default:
            target = &out.published_at;
            break;
        }
        // simdjson's unescaper yields valid UTF-8; checking the (short) metadata keeps the
        // guarantee of article.h independent of that.
        if (text::is_valid_utf8(s)) {
          target->assign(s);
        } else {
          target->clear();
          text::repair_utf8(s, *target);
          changes |= kArticleRepairedUtf8;
        }
        break;
      }
    }
    st.field_changes[f] = changes;  // the last duplicate wins, its changes too
  }
  if (!doc.current_location().error()) return invalid_json(simdjson::TRAILING_CONTENT);

  if (st.wrong_type_field != kUnknown) {
    return DecodeError{DecodeErrorCode::kWrongType,
                       "field \"" + std::string(kFieldNames[st.wrong_type_field]) + "\" is " +
                           std::string(type_name(st.wrong_type)) + ", expected a string"};
  }
  if (out.title.empty() && out.body.empty()) {
    return DecodeError{DecodeErrorCode::kNoText, "neither \"title\" nor \"body\" has text"};
  }

  unsigned changes = st.repaired ? kArticleRepairedUtf8 : kArticleUnchanged;
  for (const unsigned c : st.field_changes) changes |= c;
  if (out.id.empty()) {
    if (!out.url.empty()) {
      out.id = out.url;
      changes |= kArticleIdFromUrl;
    } else {
      out.id = derived_article_id(out.title, out.body);
      changes |= kArticleIdFromHash;
    }
  }
  out.changes = changes;
  return std::nullopt;
}

}  // namespace newswatch::decode
