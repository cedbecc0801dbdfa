#include "daemon/alert/json.h"

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "daemon/alert/json_internal.h"

namespace newswatch::alert {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Bytes [0x00, 0x80) that must be escaped: controls, '"' and '\'.
constexpr bool needs_escape(unsigned char c) noexcept {
  return c < 0x20 || c == '"' || c == '\\';
}

// Length of the well-formed UTF-8 sequence starting at p[i] (lead byte >= 0x80), or 0 when it
// is ill-formed; then *bad is the length of its maximal subpart (the bytes one U+FFFD replaces).
std::size_t valid_sequence(const unsigned char* p, std::size_t i, std::size_t n,
                           std::size_t* bad) noexcept {
  const unsigned char c = p[i];
  std::size_t need;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    if (c == 0xE0) lo = 0xA0;  // no overlongs
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    if (c == 0xF0) lo = 0x90;  // no overlongs
    if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    *bad = 1;  // continuation byte without a lead, C0, C1, F5..FF
    return 0;
  }
  for (std::size_t k = 1; k <= need; ++k) {
    if (i + k >= n) {
      *bad = k;
      return 0;
    }
    const unsigned char b = p[i + k];
    const bool ok = (k == 1) ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
    if (!ok) {
      *bad = k;
      return 0;
    }
  }
  return need + 1;
}

// True when none of the 8 bytes at p needs escaping or UTF-8 checking: each is in
// [0x20, 0x80) and is neither '"' nor '\\' (the usual bytewise-zero test, per byte).
bool plain_ascii8(const unsigned char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  constexpr std::uint64_t kOnes = 0x0101010101010101ull;
  constexpr std::uint64_t kHigh = 0x8080808080808080ull;
  const auto has_zero = [](std::uint64_t x) { return (x - kOnes) & ~x & kHigh; };
  const std::uint64_t high = v & kHigh;                           // >= 0x80
  const std::uint64_t control = (v - kOnes * 0x20) & ~v & kHigh;  // < 0x20 (where < 0x80)
  const std::uint64_t quote = has_zero(v ^ (kOnes * '"'));
  const std::uint64_t backslash = has_zero(v ^ (kOnes * '\\'));
  return (high | control | quote | backslash) == 0;
}

void append_escape(unsigned char c, std::string& out) {
  switch (c) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    default: {
      const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0x0F]};
      out.append(esc, sizeof esc);
      return;
    }
  }
}

void append_2digits(unsigned v, std::string& out) {
  out.push_back(static_cast<char>('0' + v / 10));
  out.push_back(static_cast<char>('0' + v % 10));
}

}  // namespace

namespace detail {

void append_json_escaped(std::string_view s, std::string& out) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t run = 0;  // start of the bytes not yet copied
  std::size_t i = 0;
  while (i < n) {
    // Eight bytes at a time while they need nothing: ASCII, no control, no '"', no '\\'.
    while (i + 8 <= n && plain_ascii8(p + i)) i += 8;
    if (i >= n) break;
    const unsigned char c = p[i];
    if (c < 0x80) {
      if (!needs_escape(c)) {
        ++i;
        continue;
      }
      out.append(s.data() + run, i - run);
      append_escape(c, out);
      run = ++i;
      continue;
    }
    std::size_t bad = 0;
    const std::size_t len = valid_sequence(p, i, n, &bad);
    if (len == 3 && c == 0xE2 && p[i + 1] == 0x80 && (p[i + 2] == 0xA8 || p[i + 2] == 0xA9)) {
      // U+2028 LINE SEPARATOR / U+2029 PARAGRAPH SEPARATOR: valid JSON, but line terminators
      // in JavaScript and in some line-oriented tools.
      out.append(s.data() + run, i - run);
      out += p[i + 2] == 0xA8 ? "\\u2028" : "\\u2029";
      run = i += 3;
      continue;
    }
    if (len != 0) {
      i += len;
      continue;
    }
    out.append(s.data() + run, i - run);
    out += kReplacement;
    run = i += bad;
  }
  out.append(s.data() + run, n - run);
}

}  // namespace detail

void append_json_string(std::string_view s, std::string& out) {
  out.push_back('"');
  detail::append_json_escaped(s, out);
  out.push_back('"');
}

void append_json_int(std::int64_t v, std::string& out) {
  char buf[24];
  const auto result = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, result.ptr);
}

void append_rfc3339_millis(std::int64_t unix_millis, std::string& out) {
  // RFC 3339 years have four digits: clamp to 0000-01-01T00:00:00.000Z ..
  // 9999-12-31T23:59:59.999Z (far outside any clock this program will read).
  constexpr std::int64_t kMin = -62167219200000;  // 0000-01-01T00:00:00.000Z
  constexpr std::int64_t kMax = 253402300799999;  // 9999-12-31T23:59:59.999Z
  if (unix_millis < kMin) unix_millis = kMin;
  if (unix_millis > kMax) unix_millis = kMax;

  constexpr std::int64_t kMillisPerDay = 86400000;
  std::int64_t days = unix_millis / kMillisPerDay;
  std::int64_t rem = unix_millis % kMillisPerDay;
  if (rem < 0) {  // floor division for instants before 1970
    rem += kMillisPerDay;
    --days;
  }

  // Days since 1970-01-01 to a proleptic Gregorian date, counting in 400-year eras that start
  // on March 1st (so the leap day is the last day of an era's year).
  const std::int64_t z = days + 719468;  // days since 0000-03-01
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t day_of_era = z - era * 146097;  // [0, 146096]
  const std::int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const std::int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);  // from March 1st
  const std::int64_t month_index = (5 * day_of_year + 2) / 153;                // 0 = March
  const auto day = static_cast<unsigned>(day_of_year - (153 * month_index + 2) / 5 + 1);
  const auto month = static_cast<unsigned>(month_index < 10 ? month_index + 3 : month_index - 9);
  const auto year = static_cast<unsigned>(year_of_era + era * 400 + (month <= 2 ? 1 : 0));

  const auto ms_of_day = static_cast<unsigned>(rem);
  const unsigned hour = ms_of_day / 3600000;
  const unsigned minute = ms_of_day / 60000 % 60;
  const unsigned second = ms_of_day / 1000 % 60;
  const unsigned milli = ms_of_day % 1000;

  append_2digits(year / 100, out);
  append_2digits(year % 100, out);
  out.push_back('-');
  append_2digits(month, out);
  out.push_back('-');
  append_2digits(day, out);
  out.push_back('T');
  append_2digits(hour, out);
  out.push_back(':');
  append_2digits(minute, out);
  out.push_back(':');
  append_2digits(second, out);
  out.push_back('.');
  out.push_back(static_cast<char>('0' + milli / 100));
  append_2digits(milli % 100, out);
  out.push_back('Z');
}

}  // namespace newswatch::alert
