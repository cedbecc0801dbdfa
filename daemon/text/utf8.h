// UTF-8 validation, repair and decoding primitives.
//
// Thread-safety: every function here is pure and safe to call concurrently.
// Errors: nothing here fails; malformed input is repaired, never rejected.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace newswatch::text {

inline constexpr char32_t kReplacementChar = 0xFFFD;

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view s) noexcept;

// Appends `in` to `out`, replacing every ill-formed subsequence with U+FFFD following the
// Unicode "maximal subpart" practice (the one WHATWG and ICU use), so one bad byte becomes one
// U+FFFD and a truncated sequence becomes one U+FFFD. Returns the number of replacements made.
std::size_t repair_utf8(std::string_view in, std::string& out);

// Appends the UTF-8 encoding of `cp` (which must be a Unicode scalar value) to `out`.
void append_utf8(char32_t cp, std::string& out);

// Decodes the code point starting at s[i] of a string that is known to be valid UTF-8 and
// advances i past it. Undefined for invalid input: repair first.
inline char32_t decode_valid_utf8(std::string_view s, std::size_t& i) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    i += 1;
    return b0;
  }
  if (b0 < 0xE0) {
    const char32_t cp =
        (char32_t{b0 & 0x1Fu} << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu);
    i += 2;
    return cp;
  }
  if (b0 < 0xF0) {
    const char32_t cp = (char32_t{b0 & 0x0Fu} << 12) |
                        ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6) |
                        (static_cast<unsigned char>(s[i + 2]) & 0x3Fu);
    i += 3;
    return cp;
  }
  const char32_t cp = (char32_t{b0 & 0x07u} << 18) |
                      ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 12) |
                      ((static_cast<unsigned char>(s[i + 2]) & 0x3Fu) << 6) |
                      (static_cast<unsigned char>(s[i + 3]) & 0x3Fu);
  i += 4;
  return cp;
}

// Length in bytes of the UTF-8 sequence whose lead byte is `lead` (1 for ASCII and for
// stray continuation bytes, so callers always make progress).
inline std::size_t utf8_sequence_length(unsigned char lead) noexcept {
  if (lead < 0xC0) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  return 4;
}

// Decodes the code point starting at s[i] of a string that may be ill-formed (i < s.size()).
// On a well-formed sequence: stores it in `cp`, advances i past it and returns true. On an
// ill-formed one: stores kReplacementChar, advances i past its maximal subpart (the longest
// prefix of a well-formed sequence, at least one byte, the same unit repair_utf8() replaces)
// and returns false.
inline bool decode_utf8(std::string_view s, std::size_t& i, char32_t& cp) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  const unsigned b0 = p[i];
  if (b0 < 0x80) {
    cp = b0;
    i += 1;
    return true;
  }
  // Number of continuation bytes and the allowed range of the first one (Unicode Table 3-7).
  std::size_t more;
  unsigned lo = 0x80;
  unsigned hi = 0xBF;
  char32_t acc;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    more = 1;
    acc = b0 & 0x1Fu;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    more = 2;
    acc = b0 & 0x0Fu;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    more = 3;
    acc = b0 & 0x07u;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    cp = kReplacementChar;
    i += 1;
    return false;
  }
  std::size_t k = 1;
  for (; k <= more; ++k) {
    if (i + k >= n) break;
    const unsigned b = p[i + k];
    if (b < lo || b > hi) break;
    acc = (acc << 6) | (b & 0x3Fu);
    lo = 0x80;
    hi = 0xBF;
  }
  if (k <= more) {
    cp = kReplacementChar;
    i += k;
    return false;
  }
  cp = acc;
  i += k;
  return true;
}

// Largest index <= n that is not inside a UTF-8 sequence of `s` (for safe truncation).
std::size_t utf8_floor(std::string_view s, std::size_t n) noexcept;

}  // namespace newswatch::text
