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
    const char32_t cp = (char32_t{b0 & 0x1Fu} << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu);
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

// Largest index <= n that is not inside a UTF-8 sequence of `s` (for safe truncation).
std::size_t utf8_floor(std::string_view s, std::size_t n) noexcept;

}  // namespace newswatch::text
