#include "daemon/text/normalize.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include <utf8proc.h>

#include "daemon/text/utf8.h"

namespace newswatch::text {
namespace {

// A code point is "NFC-stable" when it passes the quick check: it has combining class 0, it
// never combines with a preceding character (it is not the second element of any primary
// composite, nor a Hangul V or T jamo), and NFC maps it to itself (it is not a singleton, a
// composition exclusion or a non-starter decomposition). In Unicode terms: ccc = 0 and
// NFC_Quick_Check = Yes. A string made only of NFC-stable code points is in NFC (UAX #15 §9),
// and NFC never rewrites across an NFC-stable code point: it is a safe segment boundary.
//
// utf8proc 2.8 property semantics used here: comb_index == UINT16_MAX means "takes part in no
// composition"; a value < 0x8000 marks a possible first element of a pair, a value >= 0x8000
// a possible second element. Its comp_exclusion bit only covers CompositionExclusions.txt (not
// singletons such as U+212B ANGSTROM SIGN), so "NFC maps it to itself" is computed by running
// the normalizer on each canonically decomposable code point once.
bool compute_nfc_stable(char32_t cp) {
  if (cp < 0x300) return true;
  if (cp >= 0xD800 && cp <= 0xDFFF) return false;
  // Hangul V and T jamo compose algorithmically with a preceding L jamo or LV syllable.
  // U+11A7 (TBase) is included because utf8proc 2.8 also "composes" it (with T index 0, i.e.
  // drops it) after an LV syllable.
  if ((cp >= 0x1161 && cp <= 0x1175) || (cp >= 0x11A7 && cp <= 0x11C2)) return false;
  const utf8proc_property_t* p = utf8proc_get_property(static_cast<utf8proc_int32_t>(cp));
  if (p->combining_class != 0) return false;
  if (p->comb_index != UINT16_MAX && p->comb_index >= 0x8000) return false;
  if (p->decomp_seqindex != UINT16_MAX && p->decomp_type == 0) {
    utf8proc_int32_t buf[8];
    // STABLE: without it utf8proc recomposes composition exclusions such as U+2ADC.
    const auto options = static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    const auto n =
        utf8proc_decompose_char(static_cast<utf8proc_int32_t>(cp), buf, 8, options, nullptr);
    if (n <= 0 || n > 8) return false;
    const auto m = utf8proc_normalize_utf32(buf, n, options);
    return m == 1 && buf[0] == static_cast<utf8proc_int32_t>(cp);
  }
  return true;
}

struct NfcTable {
  std::array<std::uint64_t, 0x10000 / 64> stable{};  // BMP bitset
  NfcTable() {
    for (char32_t cp = 0; cp < 0x10000; ++cp) {
      if (compute_nfc_stable(cp)) stable[cp >> 6] |= std::uint64_t{1} << (cp & 63);
    }
  }
};

const NfcTable& nfc_table() {
  static const NfcTable table;
  return table;
}

inline bool nfc_stable(const NfcTable& t, char32_t cp) {
  if (cp < 0x10000) return (t.stable[cp >> 6] >> (cp & 63)) & 1;
  return compute_nfc_stable(cp);
}

// Offset of the first byte >= 0xCC at or after i (the lead byte of a code point >= U+0300;
// continuation bytes are 0x80..0xBF), or s.size().
std::size_t skip_below_u0300(std::string_view s, std::size_t i) {
  const std::size_t n = s.size();
  while (i + 8 <= n) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    // Per byte: high bit set and low seven bits >= 0x4C. The addition cannot carry across
    // bytes: 0x7F + 0x34 < 0x100.
    const std::uint64_t hit =
        ((w & 0x7F7F7F7F7F7F7F7Full) + 0x3434343434343434ull) & w & 0x8080808080808080ull;
    if (hit != 0) return i + static_cast<std::size_t>(__builtin_ctzll(hit)) / 8;
    i += 8;
  }
  while (i < n && static_cast<unsigned char>(s[i]) < 0xCC) ++i;
  return i;
}

// Offset of the first code point at or after i that is not NFC-stable (s.size() if none).
// Ill-formed input counts as not stable. Sets *prev to the start of the code point before it
// (or to i when it is the first one examined).
std::size_t find_unstable(const NfcTable& t, std::string_view s, std::size_t i, std::size_t* prev) {
  const std::size_t n = s.size();
  std::size_t last = i;
  while (true) {
    const std::size_t j = skip_below_u0300(s, i);
    if (j >= n) return n;
    if (j > i) {
      // The code point before j starts at most 3 bytes back; everything there is below U+0300.
      std::size_t k = j - 1;
      while (k > i && (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80) --k;
      last = k;
    }
    std::size_t next = j;
    char32_t cp;
    if (!decode_utf8(s, next, cp) || !nfc_stable(t, cp)) {
      *prev = last;
      return j;
    }
    last = j;
    i = next;
  }
}

// End of the run of non-stable code points starting at i: the offset of the next NFC-stable
// code point, or s.size().
std::size_t find_stable(const NfcTable& t, std::string_view s, std::size_t i) {
  const std::size_t n = s.size();
  while (i < n) {
    std::size_t next = i;
    char32_t cp;
    if (decode_utf8(s, next, cp) && nfc_stable(t, cp)) return i;
    i = next;
  }
  return n;
}

// Appends NFC(seg) to out; returns true when it differs from seg.
bool append_nfc_segment(std::string_view seg, std::string& out) {
  thread_local std::vector<utf8proc_int32_t> buf;
  const auto options = static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE);
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(seg.data());
  const auto len = static_cast<utf8proc_ssize_t>(seg.size());
  if (buf.size() < seg.size() + 1) buf.resize(seg.size() + 1);
  auto n = utf8proc_decompose(bytes, len, buf.data(), static_cast<utf8proc_ssize_t>(buf.size()),
                              options);
  if (n > static_cast<utf8proc_ssize_t>(buf.size())) {
    buf.resize(static_cast<std::size_t>(n) + 1);
    n = utf8proc_decompose(bytes, len, buf.data(), static_cast<utf8proc_ssize_t>(buf.size()),
                           options);
  }
  if (n >= 0) n = utf8proc_normalize_utf32(buf.data(), n, options);
  if (n < 0) {
    // Only reachable with ill-formed input, which callers must not pass: keep the output
    // well-formed anyway.
    return repair_utf8(seg, out) != 0;
  }
  const std::size_t start = out.size();
  for (utf8proc_ssize_t k = 0; k < n; ++k) append_utf8(static_cast<char32_t>(buf[k]), out);
  return std::string_view(out).substr(start) != seg;
}

// Appends NFC(in) to out, normalizing only the segments around code points that are not
// NFC-stable; returns true when anything changed.
bool append_nfc(std::string_view in, std::string& out) {
  const NfcTable& t = nfc_table();
  bool changed = false;
  std::size_t copied = 0;
  std::size_t i = 0;
  while (true) {
    std::size_t prev = i;
    const std::size_t bad = find_unstable(t, in, i, &prev);
    if (bad >= in.size()) break;
    // The code point before `bad` is stable (or there is none after `copied`): the segment
    // to normalize starts there, since `bad` may combine with it.
    const std::size_t seg_begin = bad > copied ? prev : bad;
    const std::size_t seg_end = find_stable(t, in, bad);
    out.append(in.data() + copied, seg_begin - copied);
    changed |= append_nfc_segment(in.substr(seg_begin, seg_end - seg_begin), out);
    copied = seg_end;
    i = seg_end;
  }
  out.append(in.data() + copied, in.size() - copied);
  return changed;
}

}  // namespace

bool is_nfc_quick(std::string_view s) noexcept {
  const NfcTable& t = nfc_table();
  std::size_t prev;
  return find_unstable(t, s, 0, &prev) >= s.size();
}

void to_nfc(std::string_view in, std::string& out) {
  if (in.data() >= out.data() && in.data() < out.data() + out.size()) {
    const std::string copy(in);
    out.clear();
    append_nfc(copy, out);
    return;
  }
  out.clear();
  append_nfc(in, out);
}

unsigned make_original_view(std::string_view raw, std::string& out) {
  unsigned changes = kUnchanged;
  out.clear();
  std::string_view valid = raw;
  thread_local std::string repaired;
  if (!is_valid_utf8(raw)) {
    repaired.clear();
    repair_utf8(raw, repaired);
    changes |= kRepairedUtf8;
    valid = repaired;
  }
  if (is_nfc_quick(valid)) {
    out.assign(valid);
  } else if (append_nfc(valid, out)) {
    changes |= kNormalizedNfc;
  }
  return changes;
}

}  // namespace newswatch::text
