#include "daemon/text/utf8.h"

#include <cstring>

#include <simdjson.h>

namespace newswatch::text {
namespace {

constexpr std::uint64_t kHighBits = 0x8080808080808080ull;

// Index of the first byte >= 0x80 in s[i..], or s.size(). Eight bytes at a time.
std::size_t skip_ascii(std::string_view s, std::size_t i) noexcept {
  const std::size_t n = s.size();
  while (i + 16 <= n) {
    std::uint64_t a;
    std::uint64_t b;
    std::memcpy(&a, s.data() + i, 8);
    std::memcpy(&b, s.data() + i + 8, 8);
    if (((a | b) & kHighBits) != 0) break;
    i += 16;
  }
  while (i + 8 <= n) {
    std::uint64_t a;
    std::memcpy(&a, s.data() + i, 8);
    if ((a & kHighBits) != 0) break;
    i += 8;
  }
  while (i < n && static_cast<unsigned char>(s[i]) < 0x80) ++i;
  return i;
}

}  // namespace

bool is_valid_utf8(std::string_view s) noexcept {
  // simdjson's validator (Keiser & Lemire's lookup algorithm, kernel picked at run time for
  // the CPU) checks exactly Unicode's well-formedness: no overlongs, no surrogates, nothing
  // above U+10FFFF. It runs at several GB/s, against ~1 GB/s for a scalar loop with an
  // ASCII fast path on French text.
  return simdjson::validate_utf8(s.data(), s.size());
}

std::size_t repair_utf8(std::string_view in, std::string& out) {
  if (is_valid_utf8(in)) {
    out.append(in);
    return 0;
  }
  std::size_t replaced = 0;
  std::size_t i = 0;
  std::size_t copied = 0;  // in[copied, i) is well-formed and not yet appended
  const std::size_t n = in.size();
  char32_t cp;
  while (true) {
    i = skip_ascii(in, i);
    if (i >= n) break;
    const std::size_t start = i;
    if (decode_utf8(in, i, cp)) continue;
    out.append(in.data() + copied, start - copied);
    append_utf8(kReplacementChar, out);
    ++replaced;
    copied = i;
  }
  out.append(in.data() + copied, n - copied);
  return replaced;
}

void append_utf8(char32_t cp, std::string& out) {
  char buf[4];
  std::size_t len;
  if (cp < 0x80) {
    buf[0] = static_cast<char>(cp);
    len = 1;
  } else if (cp < 0x800) {
    buf[0] = static_cast<char>(0xC0 | (cp >> 6));
    buf[1] = static_cast<char>(0x80 | (cp & 0x3F));
    len = 2;
  } else if (cp < 0x10000) {
    buf[0] = static_cast<char>(0xE0 | (cp >> 12));
    buf[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    buf[2] = static_cast<char>(0x80 | (cp & 0x3F));
    len = 3;
  } else {
    buf[0] = static_cast<char>(0xF0 | (cp >> 18));
    buf[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    buf[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    buf[3] = static_cast<char>(0x80 | (cp & 0x3F));
    len = 4;
  }
  out.append(buf, len);
}

std::size_t utf8_floor(std::string_view s, std::size_t n) noexcept {
  if (n >= s.size()) return s.size();
  const auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  if ((at(n) & 0xC0) != 0x80) return n;  // n starts a sequence (or is ASCII)
  // n is a continuation byte: find the lead byte at most three bytes back and check that its
  // sequence really reaches n; stray continuation bytes are sequences of their own.
  std::size_t j = n;
  while (j > 0 && n - j < 3 && (at(j) & 0xC0) == 0x80) --j;
  if ((at(j) & 0xC0) == 0x80 || at(j) < 0xC0) return n;
  std::size_t k = j;
  char32_t cp;
  decode_utf8(s, k, cp);
  return k > n ? j : n;
}

}  // namespace newswatch::text
