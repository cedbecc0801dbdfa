#include "daemon/text/fold.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <limits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <utf8proc.h>

#include "daemon/text/utf8.h"

namespace newswatch::text {
namespace {

// ---------------------------------------------------------------------------------------
// Folding one code point (the definition; used to build the tables and for code points
// outside the BMP).

constexpr int kMaxFoldedCodePoints = 64;  // Unicode 15 maximum is 18 (U+FDFA)

bool is_removed_invisible(char32_t c) {
  return c == 0x00AD || (c >= 0x200B && c <= 0x200D) || c == 0x2060 || c == 0xFEFF;
}

// The RULES-SPEC §2 extra map; writes 1 or 2 code points.
int map_extra(char32_t c, char32_t* out) {
  switch (c) {
    case 0x0153:  // œ
      out[0] = U'o';
      out[1] = U'e';
      return 2;
    case 0x00E6:  // æ
      out[0] = U'a';
      out[1] = U'e';
      return 2;
    case 0x00FE:  // þ
      out[0] = U't';
      out[1] = U'h';
      return 2;
    case 0x00F8:  // ø
      out[0] = U'o';
      return 1;
    case 0x0142:  // ł
      out[0] = U'l';
      return 1;
    case 0x0111:  // đ
    case 0x00F0:  // ð
      out[0] = U'd';
      return 1;
    case 0x0127:  // ħ
      out[0] = U'h';
      return 1;
    case 0x0131:  // ı
      out[0] = U'i';
      return 1;
    case 0x2018:
    case 0x2019:
    case 0x02BC:
    case 0x2032:
    case 0xFF07:
      out[0] = U'\'';
      return 1;
    case 0x2010:
    case 0x2011:
    case 0x2012:
    case 0x2013:
    case 0x2014:
    case 0x2015:
    case 0x2212:
    case 0xFE63:
    case 0xFF0D:
      out[0] = U'-';
      return 1;
    default:
      out[0] = c;
      return 1;
  }
}

// Folds one code point (a Unicode scalar value) into out[0, kMaxFoldedCodePoints); returns
// the number of code points written (0 when it folds to nothing).
int fold_code_point(char32_t cp, char32_t* out) {
  if (is_removed_invisible(cp)) return 0;
  int boundclass = 0;
  utf8proc_int32_t cased[8];
  auto n_cased = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(cp), cased, 8,
                                         UTF8PROC_CASEFOLD, &boundclass);
  if (n_cased < 0 || n_cased > 8) {
    cased[0] = static_cast<utf8proc_int32_t>(cp);
    n_cased = 1;
  }
  const auto options = static_cast<utf8proc_option_t>(UTF8PROC_CASEFOLD | UTF8PROC_COMPAT |
                                                      UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK);
  int count = 0;
  for (utf8proc_ssize_t k = 0; k < n_cased; ++k) {
    utf8proc_int32_t dec[kMaxFoldedCodePoints];
    auto n_dec = utf8proc_decompose_char(cased[k], dec, kMaxFoldedCodePoints, options, &boundclass);
    if (n_dec < 0 || n_dec > kMaxFoldedCodePoints) {
      dec[0] = cased[k];
      n_dec = 1;
    }
    for (utf8proc_ssize_t j = 0; j < n_dec; ++j) {
      const auto c = static_cast<char32_t>(dec[j]);
      if (is_removed_invisible(c)) continue;
      if (count + 2 > kMaxFoldedCodePoints) return count;  // unreachable with Unicode 15 data
      count += map_extra(c, out + count);
    }
  }
  return count;
}

bool category_is_word_folded(utf8proc_category_t c) {
  return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
         (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO);
}

bool category_is_word_original(utf8proc_category_t c) {
  return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_NO;  // L*, M*, N* are 1..11
}

std::size_t encode_utf8(char32_t cp, char* out) {
  if (cp < 0x80) {
    out[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    out[0] = static_cast<char>(0xC0 | (cp >> 6));
    out[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (cp >> 12));
    out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (cp >> 18));
  out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

// ---------------------------------------------------------------------------------------
// Precomputed tables for the BMP.

// Entry layout: bits 0-19 offset into the pool, 20-25 folded byte length, then flags.
constexpr std::uint32_t kOffsetMask = (1u << 20) - 1;
constexpr unsigned kLenShift = 20;
constexpr std::uint32_t kLenMask = 63;
constexpr std::uint32_t kIdentity = 1u << 28;  // folded bytes == original bytes
constexpr std::uint32_t kAnchor = 1u << 29;    // see FoldedText::Anchor
constexpr std::uint32_t kSlow = 1u << 30;      // does not fit: fold at run time

// The folding of one original code point.
struct Folded {
  char bytes[kMaxFoldedCodePoints * 4]{};  // longer than any folding: 8-byte copies are safe
  std::uint32_t len = 0;
  bool anchor = false;
};

struct Tables {
  std::array<std::uint64_t, 0x10000 / 64> word_folded{};
  std::array<std::uint64_t, 0x10000 / 64> word_original{};
  std::array<std::uint32_t, 0x10000> entry{};
  std::string pool;

  Tables() {
    for (char32_t cp = 0; cp < 0x10000; ++cp) {
      const auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
      if (category_is_word_folded(cat)) word_folded[cp >> 6] |= std::uint64_t{1} << (cp & 63);
      if (category_is_word_original(cat)) word_original[cp >> 6] |= std::uint64_t{1} << (cp & 63);
    }
    Folded f;
    for (char32_t cp = 0; cp < 0x10000; ++cp) {
      // Surrogates never reach the table (decoding rejects them); give them U+FFFD.
      const char32_t c = (cp >= 0xD800 && cp <= 0xDFFF) ? kReplacementChar : cp;
      const bool identity = fold_slow(c, f) && c == cp;
      std::uint32_t e = f.len << kLenShift;
      if (f.anchor) e |= kAnchor;
      if (identity) {
        e |= kIdentity;
      } else if (f.len > kLenMask || pool.size() + f.len > kOffsetMask) {
        e = kSlow;
      } else {
        e |= static_cast<std::uint32_t>(pool.size());
        pool.append(f.bytes, f.len);
      }
      entry[cp] = e;
    }
    pool.append(16, '\0');  // lets the hot path copy 8 bytes at a time
  }

  bool word_folded_bmp(char32_t cp) const { return (word_folded[cp >> 6] >> (cp & 63)) & 1; }

  // Folds `cp` into `f` from the definition; returns true when the result is `cp` itself.
  static bool fold_slow(char32_t cp, Folded& f) {
    char32_t cps[kMaxFoldedCodePoints];
    const int n = fold_code_point(cp, cps);
    f.len = 0;
    for (int k = 0; k < n; ++k) {
      f.len += static_cast<std::uint32_t>(encode_utf8(cps[k], f.bytes + f.len));
    }
    const std::size_t original_len = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    f.anchor = !(n == 1 && f.len == original_len);
    return n == 1 && cps[0] == cp;
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

// U+FFFD, padded so that the hot path may copy 8 bytes.
constexpr char kFffdBytes[8] = {'\xEF', '\xBF', '\xBD', 0, 0, 0, 0, 0};

constexpr std::array<char, 128> make_ascii_lower() {
  std::array<char, 128> t{};
  for (int c = 0; c < 128; ++c) t[c] = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return t;
}
constexpr std::array<char, 128> kAsciiLower = make_ascii_lower();

// What one original code point (or ill-formed subpart) folds to.
struct Step {
  const char* src;  // the folded bytes; 8 bytes are readable unless src_is_input
  std::uint32_t flen;
  bool anchor;
  bool src_is_input;  // src points into the original (identity)
};

// Resolves the code point at original[i] and advances i past it; `scratch` backs code points
// outside the table.
inline Step resolve(const Tables& t, std::string_view original, std::size_t& i, Folded& scratch) {
  const std::size_t start = i;
  char32_t cp;
  if (!decode_utf8(original, i, cp)) return {kFffdBytes, 3, true, false};
  if (cp < 0x10000) {
    const std::uint32_t e = t.entry[cp];
    if ((e & kSlow) == 0) {
      const std::uint32_t flen = (e >> kLenShift) & kLenMask;
      const bool anchor = (e & kAnchor) != 0;
      if (e & kIdentity) return {original.data() + start, flen, anchor, true};
      return {t.pool.data() + (e & kOffsetMask), flen, anchor, false};
    }
  }
  Tables::fold_slow(cp, scratch);
  return {scratch.bytes, scratch.len, scratch.anchor, false};
}

// Grows `v` (used as a buffer: all its elements are storage) to at least `min_size`
// elements, by at least half its size; returns its data. Never shrinks.
template <class V>
typename V::value_type* grow_buffer(V& v, std::size_t min_size) {
  if (v.size() < min_size) v.resize(std::max(min_size, v.size() + v.size() / 2));
  return v.data();
}

// Per 64-byte block of folded text: bit k of `word` is set when byte k is an ASCII letter or
// digit, bit k of `high` when byte k is >= 0x80.
struct BlockMasks {
  std::uint64_t word;
  std::uint64_t high;
};

inline BlockMasks block_masks(const char* p) {
#if defined(__SSE2__)
  const __m128i lower_lo = _mm_set1_epi8('a' - 1);
  const __m128i lower_hi = _mm_set1_epi8('z' + 1);
  const __m128i digit_lo = _mm_set1_epi8('0' - 1);
  const __m128i digit_hi = _mm_set1_epi8('9' + 1);
  BlockMasks m{0, 0};
  for (unsigned k = 0; k < 4; ++k) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + std::size_t{16} * k));
    // Folded ASCII is lower case already; bytes >= 0x80 are negative as signed bytes.
    const __m128i alpha = _mm_and_si128(_mm_cmpgt_epi8(x, lower_lo), _mm_cmplt_epi8(x, lower_hi));
    const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(x, digit_lo), _mm_cmplt_epi8(x, digit_hi));
    m.word |=
        std::uint64_t{static_cast<std::uint16_t>(_mm_movemask_epi8(_mm_or_si128(alpha, digit)))}
        << (16 * k);
    m.high |= std::uint64_t{static_cast<std::uint16_t>(_mm_movemask_epi8(x))} << (16 * k);
  }
  return m;
#else
  BlockMasks m{0, 0};
  for (int k = 0; k < 64; ++k) {
    const auto c = static_cast<unsigned char>(p[k]);
    const bool w = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    m.word |= std::uint64_t{w} << k;
    m.high |= std::uint64_t{c >= 0x80} << k;
  }
  return m;
#endif
}

}  // namespace

bool is_word_char_folded(char32_t cp) noexcept {
  if (cp < 0x10000) return tables().word_folded_bmp(cp);
  if (cp > 0x10FFFF) return false;
  return category_is_word_folded(utf8proc_category(static_cast<utf8proc_int32_t>(cp)));
}

bool is_word_char_original(char32_t cp) noexcept {
  if (cp < 0x10000) return (tables().word_original[cp >> 6] >> (cp & 63)) & 1;
  if (cp > 0x10FFFF) return false;
  return category_is_word_original(utf8proc_category(static_cast<utf8proc_int32_t>(cp)));
}

void fold_append(std::string_view original, std::string& out) {
  const Tables& t = tables();
  Folded scratch{};
  std::size_t i = 0;
  while (i < original.size()) {
    const auto b = static_cast<unsigned char>(original[i]);
    if (b < 0x80) {
      out.push_back(kAsciiLower[b]);
      ++i;
      continue;
    }
    const Step s = resolve(t, original, i, scratch);
    out.append(s.src, s.flen);
  }
}

std::string fold(std::string_view original) {
  std::string out;
  out.reserve(original.size());
  fold_append(original, out);
  return out;
}

void FoldedText::assign(std::string_view original) {
  constexpr std::size_t kMax = std::numeric_limits<std::uint32_t>::max();
  // Room past the logical end of folded_ for 16-byte stores, 8-byte copies and the 64-byte
  // blocks of the word pass.
  constexpr std::size_t kSlack = 64;
  const Tables& t = tables();
  if (original.size() > kMax) original = original.substr(0, utf8_floor(original, kMax));
  original_ = original;

  // Pass 1: the folded bytes and the anchors.
  const std::size_t n = original.size();
  // Invariant: out_end - out >= (end - in) + kSlack, so ASCII needs no bounds checks.
  char* base = grow_buffer(folded_, n + kSlack);
  char* out = base;
  char* out_end = base + folded_.size();
  const auto* const in0 = reinterpret_cast<const unsigned char*>(original.data());
  const unsigned char* in = in0;
  const unsigned char* const end = in0 + n;
  Anchor* ab = grow_buffer(anchors_, 64);
  std::size_t acap = anchors_.size();
  std::size_t na = 0;
  Folded scratch{};

#if defined(__SSE2__)
  const __m128i upper_lo = _mm_set1_epi8('A' - 1);
  const __m128i upper_hi = _mm_set1_epi8('Z' + 1);
  const __m128i case_bit = _mm_set1_epi8(0x20);
#endif
  while (in < end) {
#if defined(__SSE2__)
    if (end - in >= 16) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in));
      // Bytes >= 0x80 are negative as signed bytes: never upper case.
      const __m128i upper = _mm_and_si128(_mm_cmpgt_epi8(x, upper_lo), _mm_cmplt_epi8(x, upper_hi));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out),
                       _mm_or_si128(x, _mm_and_si128(upper, case_bit)));
      const auto high = static_cast<unsigned>(_mm_movemask_epi8(x));
      if (high == 0) {
        in += 16;
        out += 16;
        continue;
      }
      const auto count = static_cast<unsigned>(__builtin_ctz(high));
      in += count;
      out += count;
    } else
#endif
    {
      const unsigned b = *in;
      if (b < 0x80) {
        *out++ = kAsciiLower[b];
        ++in;
        continue;
      }
    }

    // One non-ASCII code point (or ill-formed subpart) at `in`.
    const auto start = static_cast<std::size_t>(in - in0);
    const unsigned b0 = in[0];
    std::size_t len = 0;
    std::uint32_t e = kSlow;
    // Inline decoding of well-formed 2- and 3-byte sequences; the rest (4-byte, ill-formed)
    // goes through resolve().
    if (b0 < 0xE0) {
      if (b0 >= 0xC2 && end - in >= 2 && (in[1] & 0xC0) == 0x80) {
        e = t.entry[((b0 & 0x1Fu) << 6) | (in[1] & 0x3Fu)];
        len = 2;
      }
    } else if (b0 < 0xF0 && end - in >= 3 && (in[1] & 0xC0) == 0x80 && (in[2] & 0xC0) == 0x80) {
      const char32_t cp = ((b0 & 0x0Fu) << 12) | ((in[1] & 0x3Fu) << 6) | (in[2] & 0x3Fu);
      if (cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF)) e = t.entry[cp];
      len = 3;
    }
    Step st{};
    if ((e & kSlow) == 0) {
      st.flen = (e >> kLenShift) & kLenMask;
      st.anchor = (e & kAnchor) != 0;
      st.src_is_input = (e & kIdentity) != 0;
      st.src = st.src_is_input ? original.data() + start : t.pool.data() + (e & kOffsetMask);
    } else {
      std::size_t i = start;
      st = resolve(t, original, i, scratch);
      len = i - start;
    }

    const std::size_t remaining = static_cast<std::size_t>(end - in) - len;
    const auto fo = static_cast<std::size_t>(out - base);
    if (static_cast<std::size_t>(out_end - out) < st.flen + remaining + kSlack) {
      if (fo + st.flen + remaining > kMax) {
        original_ = original.substr(0, start);  // the folded view would not fit
        break;
      }
      base = grow_buffer(folded_, fo + st.flen + remaining + kSlack);
      out = base + fo;
      out_end = base + folded_.size();
    }
    if (!st.src_is_input) {
      if (st.flen <= 8) {
        std::memcpy(out, st.src, 8);  // the pool, scratch and U+FFFD are padded
      } else {
        std::memcpy(out, st.src, st.flen);
      }
    } else if (end - in >= 4) {
      std::memcpy(out, st.src, 4);
    } else {
      std::memcpy(out, st.src, st.flen);
    }
    if (st.anchor) {
      if (na == acap) {
        ab = grow_buffer(anchors_, na + 1);
        acap = anchors_.size();
      }
      ab[na++] = Anchor{static_cast<std::uint32_t>(fo), static_cast<std::uint32_t>(start),
                        static_cast<std::uint16_t>(st.flen), static_cast<std::uint16_t>(len)};
    }
    out += st.flen;
    in += len;
  }
  folded_size_ = static_cast<std::size_t>(out - base);
  anchors_size_ = na;
  find_words();
}

void FoldedText::find_words() {
  // Pass 2: words, over the folded bytes in blocks of 64. Word boundaries alternate start,
  // end, start, ... so they are written one after the other into the words_ array seen as a
  // sequence of 32-bit offsets: boundary k is words_[k / 2].begin or .end. Every byte of a
  // code point has the word-ness of the code point, so boundaries fall on code point starts.
  const Tables& t = tables();
  const char* const f = folded_.data();  // readable up to folded_size_ + 64 (slack)
  const std::size_t size = folded_size_;
  // A block adds at most 64 boundaries; the flattening below may write 8 junk slots past them.
  constexpr std::size_t kBlockSlots = 64 + 8;
  Span* wb = grow_buffer(words_, size / 8 + kBlockSlots);
  std::size_t bcap = 2 * words_.size();
  std::size_t nb = 0;
  std::uint64_t carry = 0;    // 1 when the byte before the block is a word character
  bool lead_is_word = false;  // word-ness of the last non-ASCII lead byte seen
  for (std::size_t blk = 0; blk < size; blk += 64) {
    if (bcap - nb < kBlockSlots) {
      wb = grow_buffer(words_, nb / 2 + kBlockSlots);
      bcap = 2 * words_.size();
    }
    const std::size_t rem = size - blk;
    const std::uint64_t valid = rem >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << rem) - 1;
    BlockMasks m = block_masks(f + blk);
    m.word &= valid;
    m.high &= valid;
    // Non-ASCII code points: look up the class of each lead byte; continuation bytes (possibly
    // at the start of the block) follow their lead.
    for (std::uint64_t h = m.high; h != 0; h &= h - 1) {
      const int k = __builtin_ctzll(h);
      const auto c = static_cast<unsigned char>(f[blk + static_cast<std::size_t>(k)]);
      if (c >= 0xC0) {
        std::size_t i = blk + static_cast<std::size_t>(k);
        const char32_t cp = decode_valid_utf8(std::string_view(f, size), i);
        lead_is_word = cp < 0x10000 ? t.word_folded_bmp(cp) : is_word_char_folded(cp);
      }
      if (lead_is_word) m.word |= std::uint64_t{1} << k;
    }
    // Bit k set: word-ness changes between byte k-1 and byte k. After the last valid byte,
    // a word's end shows up as a set bit at `rem`.
    std::uint64_t changes = m.word ^ ((m.word << 1) | carry);
    carry = m.word >> 63;
    if (changes == 0) continue;
    const int total = std::popcount(changes);
    const auto at = static_cast<std::uint32_t>(blk);
    char* slot = reinterpret_cast<char*>(wb) + nb * sizeof(std::uint32_t);
    // Eight slots at a time, unconditionally; slots past the last boundary get junk that is
    // overwritten later. Or-ing bit 63 keeps ctz defined once the bits are used up and never
    // changes a real result (bit 63 is the highest).
    for (int done = 0; done < total; done += 8) {
#pragma GCC unroll 8
      for (int k = 0; k < 8; ++k) {
        const std::uint32_t v =
            at + static_cast<std::uint32_t>(__builtin_ctzll(changes | (std::uint64_t{1} << 63)));
        std::memcpy(slot + static_cast<std::size_t>(done + k) * sizeof v, &v, sizeof v);
        changes &= changes - 1;
      }
    }
    nb += static_cast<std::size_t>(total);
  }
  if ((nb & 1) != 0) {
    const auto v = static_cast<std::uint32_t>(size);
    std::memcpy(reinterpret_cast<char*>(wb) + nb * sizeof v, &v, sizeof v);
    ++nb;
  }
  words_size_ = nb / 2;
}

Span FoldedText::to_original(Span f) const noexcept {
  const auto fsize = static_cast<std::uint32_t>(folded_size_);
  const auto anchors_end = anchors_.begin() + static_cast<std::ptrdiff_t>(anchors_size_);
  const auto osize = static_cast<std::uint32_t>(original_.size());
  const auto is_cont = [this](std::uint32_t o) {
    return (static_cast<unsigned char>(original_[o]) & 0xC0) == 0x80;
  };
  // Original offset of the start of the code point that produced folded byte `b` (< fsize).
  const auto start_of = [&](std::uint32_t b) -> std::uint32_t {
    const auto it =
        std::upper_bound(anchors_.begin(), anchors_end, b,
                         [](std::uint32_t v, const Anchor& a) { return v < a.folded_begin; });
    std::uint32_t o;
    if (it == anchors_.begin()) {
      o = b;
    } else {
      const Anchor& a = *(it - 1);
      if (b < a.folded_begin + a.folded_len) return a.original_begin;
      o = a.original_begin + a.original_len + (b - a.folded_begin - a.folded_len);
    }
    // In lockstep: back up to the code point's first byte if `b` was not one.
    for (int k = 0; k < 3 && o > 0 && o < osize && is_cont(o); ++k) --o;
    return o;
  };
  // Original offset just past the code point that produced folded byte `b` (< fsize).
  const auto end_of = [&](std::uint32_t b) -> std::uint32_t {
    const auto it =
        std::upper_bound(anchors_.begin(), anchors_end, b,
                         [](std::uint32_t v, const Anchor& a) { return v < a.folded_begin; });
    std::uint32_t o;
    if (it == anchors_.begin()) {
      o = b;
    } else {
      const Anchor& a = *(it - 1);
      if (b < a.folded_begin + a.folded_len) return a.original_begin + a.original_len;
      o = a.original_begin + a.original_len + (b - a.folded_begin - a.folded_len);
    }
    ++o;
    for (int k = 0; k < 3 && o < osize && is_cont(o); ++k) ++o;
    return o;
  };
  const std::uint32_t b = std::min(f.begin, fsize);
  const std::uint32_t e = std::min(f.end, fsize);
  if (b >= e) {
    const std::uint32_t o = b < fsize ? start_of(b) : osize;
    return Span{o, o};
  }
  return Span{start_of(b), end_of(e - 1)};
}

std::uint32_t FoldedText::to_folded(std::uint32_t o) const noexcept {
  const auto osize = static_cast<std::uint32_t>(original_.size());
  // Round up to a code point start.
  for (int k = 0; k < 3 && o < osize && (static_cast<unsigned char>(original_[o]) & 0xC0) == 0x80;
       ++k) {
    ++o;
  }
  if (o >= osize) return static_cast<std::uint32_t>(folded_size_);
  const auto anchors_end = anchors_.begin() + static_cast<std::ptrdiff_t>(anchors_size_);
  const auto it =
      std::upper_bound(anchors_.begin(), anchors_end, o,
                       [](std::uint32_t v, const Anchor& a) { return v < a.original_begin; });
  if (it == anchors_.begin()) return o;
  const Anchor& a = *(it - 1);
  if (o == a.original_begin) return a.folded_begin;
  if (o < a.original_begin + a.original_len) return a.folded_begin + a.folded_len;
  return a.folded_begin + a.folded_len + (o - a.original_begin - a.original_len);
}

std::uint32_t FoldedText::word_at_or_after(std::uint32_t f) const noexcept {
  const auto words_end = words_.begin() + static_cast<std::ptrdiff_t>(words_size_);
  const auto it =
      std::partition_point(words_.begin(), words_end, [f](const Span& w) { return w.end <= f; });
  return static_cast<std::uint32_t>(it - words_.begin());
}

}  // namespace newswatch::text
