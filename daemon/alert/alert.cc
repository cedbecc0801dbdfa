#include "daemon/alert/alert.h"

#include <algorithm>
#include <cstddef>
#include <memory>

#include <openssl/evp.h>

#include "daemon/alert/json.h"
#include "daemon/alert/json_internal.h"

namespace newswatch::alert {
namespace {

constexpr std::size_t kAlertIdLength = 16;

// Writes the first 16 hex digits of SHA-256(rule_id + "\n" + article_id) to `out`.
void compute_alert_id(std::string_view rule_id, std::string_view article_id,
                      char (&out)[kAlertIdLength]) {
  // One digest context per thread, reset for each alert: no allocation per alert.
  thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                                 &EVP_MD_CTX_free);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  const bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx.get(), rule_id.data(), rule_id.size()) == 1 &&
                  EVP_DigestUpdate(ctx.get(), "\n", 1) == 1 &&
                  EVP_DigestUpdate(ctx.get(), article_id.data(), article_id.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx.get(), digest, &digest_len) == 1 &&
                  digest_len >= kAlertIdLength / 2;
  // OpenSSL fails here only without memory or without SHA-256; the record must stay valid, so
  // the id degrades to zeros rather than the encoder failing.
  if (!ok) std::fill(std::begin(digest), std::end(digest), 0);
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < kAlertIdLength / 2; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0x0F];
  }
}

std::string_view field_text(const decode::Article& article, std::string_view field) noexcept {
  if (field == "body") return article.body;
  if (field == "title") return article.title;
  return {};
}

bool is_continuation(char c) noexcept {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// Moves `pos` back to the start of the code point it is in (at most 3 bytes: bounded even for
// ill-formed text).
std::size_t floor_to_code_point(std::string_view s, std::size_t pos) noexcept {
  for (int k = 0; k < 3 && pos > 0 && pos < s.size() && is_continuation(s[pos]); ++k) --pos;
  return pos;
}

// Moves `pos` forward to the end of the code point it is in.
std::size_t ceil_to_code_point(std::string_view s, std::size_t pos) noexcept {
  for (int k = 0; k < 3 && pos > 0 && pos < s.size() && is_continuation(s[pos]); ++k) ++pos;
  return pos;
}

// Clamps [begin, end) into `s` and snaps both ends outwards to code point boundaries.
void clamp_span(std::string_view s, std::uint32_t begin, std::uint32_t end, std::size_t& b,
                std::size_t& e) noexcept {
  e = std::min<std::size_t>(end, s.size());
  b = std::min<std::size_t>(begin, e);
  b = floor_to_code_point(s, b);
  e = ceil_to_code_point(s, e);
}

bool is_ascii_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Length of the whitespace character at s[i] (s[i, limit) only), 0 when it is not whitespace.
// ASCII whitespace plus the Unicode space separators, NEL and the line/paragraph separators.
std::size_t space_length(std::string_view s, std::size_t i, std::size_t limit) noexcept {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return is_ascii_space(static_cast<char>(c)) ? 1 : 0;
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  if (c == 0xC2) {
    return (i + 1 < limit && (byte(1) == 0x85 || byte(1) == 0xA0)) ? 2 : 0;  // NEL, NBSP
  }
  if (i + 2 >= limit) return 0;
  if (c == 0xE1) return (byte(1) == 0x9A && byte(2) == 0x80) ? 3 : 0;  // U+1680
  if (c == 0xE2) {
    if (byte(1) == 0x80) {
      const unsigned char b2 = byte(2);
      // U+2000..U+200A, U+2028, U+2029, U+202F
      return ((b2 >= 0x80 && b2 <= 0x8A) || b2 == 0xA8 || b2 == 0xA9 || b2 == 0xAF) ? 3 : 0;
    }
    return (byte(1) == 0x81 && byte(2) == 0x9F) ? 3 : 0;  // U+205F
  }
  if (c == 0xE3) return (byte(1) == 0x80 && byte(2) == 0x80) ? 3 : 0;  // U+3000
  return 0;
}

// How far the snippet window may grow to avoid cutting a word in two.
constexpr std::size_t kWordExtension = 24;

// Appends the escaped snippet for the window [begin, end) of `f` (see alert.h).
void append_snippet(std::string_view f, std::uint32_t begin, std::uint32_t end, std::string& out) {
  if (std::min<std::size_t>(begin, f.size()) >= std::min<std::size_t>(end, f.size())) return;
  std::size_t b = 0;
  std::size_t e = 0;
  clamp_span(f, begin, end, b, e);

  // Cut inside a word: widen to the word's edge when it is near (else keep the cut; it is
  // already on a code point boundary). Stopping after an ASCII space keeps the boundary.
  if (b > 0 && !is_ascii_space(f[b - 1]) && !is_ascii_space(f[b])) {
    std::size_t k = b;
    while (k > 0 && b - k < kWordExtension && !is_ascii_space(f[k - 1])) --k;
    if (k == 0 || is_ascii_space(f[k - 1])) b = k;
  }
  if (e < f.size() && !is_ascii_space(f[e - 1]) && !is_ascii_space(f[e])) {
    std::size_t k = e;
    while (k < f.size() && k - e < kWordExtension && !is_ascii_space(f[k])) ++k;
    if (k == f.size() || is_ascii_space(f[k])) e = k;
  }

  // Is there text outside the window? (Whitespace alone does not count.)
  std::size_t before = b;
  while (before > 0 && is_ascii_space(f[before - 1])) --before;
  std::size_t after = e;
  while (after < f.size() && is_ascii_space(f[after])) ++after;

  // Render, collapsing every run of whitespace to one space and trimming both ends.
  const std::size_t mark = out.size();
  bool emitted = false;
  bool pending_space = false;
  std::size_t i = b;
  while (i < e) {
    const std::size_t space = space_length(f, i, e);
    if (space != 0) {
      pending_space = true;
      i += space;
      continue;
    }
    std::size_t j = i + 1;
    while (j < e && space_length(f, j, e) == 0) ++j;
    if (!emitted) {
      if (before > 0) out += "\xE2\x80\xA6 ";  // "… "
      emitted = true;
    } else if (pending_space) {
      out.push_back(' ');
    }
    pending_space = false;
    detail::append_json_escaped(f.substr(i, j - i), out);
    i = j;
  }
  if (!emitted) {
    out.resize(mark);
    return;
  }
  if (after < f.size()) out += " \xE2\x80\xA6";  // " …"
}

const decode::Article& empty_article() {
  static const decode::Article kEmpty;
  return kEmpty;
}

}  // namespace

std::string alert_id(std::string_view rule_id, std::string_view article_id) {
  char id[kAlertIdLength];
  compute_alert_id(rule_id, article_id, id);
  return std::string(id, kAlertIdLength);
}

void encode_alert(const AlertRecord& alert, std::string& out) {
  const decode::Article& article = alert.article != nullptr ? *alert.article : empty_article();

  char id[kAlertIdLength];
  compute_alert_id(alert.rule_id, article.id, id);
  out += "{\"alert_id\":\"";
  out.append(id, kAlertIdLength);
  out += "\",\"rule_id\":";
  append_json_string(alert.rule_id, out);
  out += ",\"rule_name\":";
  append_json_string(alert.rule_name, out);
  out += ",\"severity\":";
  append_json_string(alert.severity, out);
  out += ",\"tags\":[";
  for (std::size_t i = 0; i < alert.tags.size(); ++i) {
    if (i != 0) out.push_back(',');
    append_json_string(alert.tags[i], out);
  }
  out += "],\"mode\":";
  append_json_string(alert.mode, out);
  out += ",\"ruleset_version\":";
  append_json_string(alert.ruleset_version, out);

  out += ",\"article\":{\"id\":";
  append_json_string(article.id, out);
  out += ",\"url\":";
  append_json_string(article.url, out);
  out += ",\"title\":";
  append_json_string(article.title, out);
  out += ",\"source\":";
  append_json_string(article.source, out);
  out += ",\"lang\":";
  append_json_string(article.lang, out);
  out += ",\"published_at\":";
  append_json_string(article.published_at, out);

  out += "},\"matches\":[";
  for (std::size_t i = 0; i < alert.matches.size(); ++i) {
    const MatchRecord& m = alert.matches[i];
    const std::string_view text = field_text(article, m.field);
    std::size_t start = 0;
    std::size_t end = 0;
    clamp_span(text, m.start, m.end, start, end);
    if (i != 0) out.push_back(',');
    out += "{\"field\":";
    append_json_string(m.field, out);
    out += ",\"start\":";
    append_json_int(static_cast<std::int64_t>(start), out);
    out += ",\"end\":";
    append_json_int(static_cast<std::int64_t>(end), out);
    out += ",\"text\":";
    append_json_string(text.substr(start, end - start), out);
    out += ",\"leaf\":";
    append_json_string(m.leaf, out);
    out.push_back('}');
  }

  out += "],\"snippet\":\"";
  if (!alert.snippet_field.empty()) {
    append_snippet(field_text(article, alert.snippet_field), alert.snippet_begin, alert.snippet_end,
                   out);
  }
  out += "\",\"detected_at\":\"";
  append_rfc3339_millis(alert.detected_at_unix_millis, out);
  out.push_back('"');

  if (alert.input) {
    out += ",\"input\":{\"topic\":";
    append_json_string(alert.input->topic, out);
    out += ",\"partition\":";
    append_json_int(alert.input->partition, out);
    out += ",\"offset\":";
    append_json_int(alert.input->offset, out);
    out.push_back('}');
  }
  out.push_back('}');
}

}  // namespace newswatch::alert
