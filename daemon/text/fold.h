// The folded view of a text field (RULES-SPEC §2) and its word tokenization.
//
// folded = original -> full case fold -> NFKD -> drop every general category M ->
//          œ→oe æ→ae ø→o ł→l đ→d ð→d þ→th ħ→h ı→i,
//          apostrophes U+2018 U+2019 U+02BC U+2032 U+FF07 → ',
//          dashes U+2010–U+2015 U+2212 U+FE63 U+FF0D → -.
// Folding is applied code point by code point, so every folded byte comes from exactly one
// original code point; FoldedText keeps enough of that relation to map any folded span back
// to the byte span of the original view that produced it.
//
// Precisely, per original code point c (utf8proc 2.8 data, Unicode 15):
//   1. full case folding of c (CaseFolding.txt C+F), then
//   2. for each resulting code point: NFKD, with case folding applied again to every code
//      point the decomposition produces and every general category M dropped (utf8proc's
//      CASEFOLD|COMPAT|DECOMPOSE|STRIPMARK, recursive), then
//   3. the extra map above.
// Applying case folding to the decomposition's output as well makes folding idempotent
// (fold(fold(x)) == fold(x)): U+1D400 MATHEMATICAL BOLD CAPITAL A and U+2121 TELEPHONE SIGN
// fold to "a" and "tel", not "A" and "TEL". Step 1 before the mark removal means U+0345
// COMBINING GREEK YPOGEGRAMMENI folds to "ι" (its case folding), like its precomposed forms.
//
// Team decision beyond RULES-SPEC §2: the invisible formatting characters U+00AD SOFT HYPHEN,
// U+200B ZERO WIDTH SPACE, U+200C ZWNJ, U+200D ZWJ, U+2060 WORD JOINER and U+FEFF ZERO WIDTH
// NO-BREAK SPACE (BOM) fold to nothing, so they neither split nor show inside words:
// "ban\u00ADque" folds to "banque", one word. Other format characters (e.g. U+200E) stay and
// separate words like any non-word character.
//
// Ill-formed input (outside the contract, never undefined behaviour): each maximal subpart of
// an ill-formed sequence folds to U+FFFD, a non-word character, so the folded view is always
// valid UTF-8.
//
// Word characters: general categories L and N in the folded view (L, N and M in the original
// view). Every other character separates words.
//
// Thread-safety: free functions are pure and thread-safe. A FoldedText is a mutable scratch
// object: one per thread, reused across articles; const member functions may be called
// concurrently once assign() has returned.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace newswatch::text {

// A half-open byte range [begin, end).
struct Span {
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
  friend bool operator==(const Span&, const Span&) = default;
};

// Word-character predicates on code points.
bool is_word_char_folded(char32_t cp) noexcept;    // L or N
bool is_word_char_original(char32_t cp) noexcept;  // L, N or M

// Appends the folded form of `original` (valid UTF-8) to `out`. Used for rule literals; the
// hot path uses FoldedText.
void fold_append(std::string_view original, std::string& out);
std::string fold(std::string_view original);

// The folded view of one field plus its words and an offset map back to the original.
class FoldedText {
 public:
  FoldedText() = default;

  // Folds and tokenizes `original`, which must be valid UTF-8 (an original view) no longer
  // than 4 GiB - 1. Keeps a view of `original`: the caller keeps it alive and unchanged while
  // this object is used. Reuses internal buffers: no allocation once they are large enough.
  // Should the input (or its folded form) exceed 4 GiB - 1 bytes, only the longest prefix
  // that fits is folded, and original() is that prefix.
  void assign(std::string_view original);

  std::string_view original() const noexcept { return original_; }
  std::string_view folded() const noexcept { return {folded_.data(), folded_size_}; }

  // At least this many bytes past the end of folded() may be read (their values are
  // unspecified), so word hashing can use whole 8-byte loads.
  static constexpr std::size_t kReadablePadding = 16;

  // The words (maximal runs of folded word characters), in text order, as folded byte spans.
  std::span<const Span> words() const noexcept { return {words_.data(), words_size_}; }

  // Maps a span of folded bytes to the span of original bytes that produced it: from the
  // start of the code point that produced folded byte `f.begin` to the end of the code point
  // that produced folded byte `f.end - 1`. An empty span maps to an empty span.
  Span to_original(Span f) const noexcept;

  // Folded byte offset of the first folded byte produced by the code point at or after
  // original byte offset `o` (folded().size() when there is none). An `o` inside a code point
  // counts as the start of the next one. For a code point that folds to nothing (a soft
  // hyphen) this is where the next code point's folded bytes start.
  std::uint32_t to_folded(std::uint32_t o) const noexcept;

  // Index of the first word whose end is > folded offset `f` (words().size() if none): the
  // word containing `f`, or else the next one.
  std::uint32_t word_at_or_after(std::uint32_t f) const noexcept;

 private:
  // Where folded and original byte positions stop moving in lockstep: one entry per original
  // code point whose folded form differs in byte length, or expands to several code points.
  // Between anchors, folded and original bytes correspond one to one.
  struct Anchor {
    std::uint32_t folded_begin;
    std::uint32_t original_begin;
    std::uint16_t folded_len;
    std::uint16_t original_len;
  };

  void find_words();

  std::string_view original_;
  // Buffers that only grow: the first *_size_ elements are meaningful.
  std::string folded_;
  std::size_t folded_size_ = 0;
  std::vector<Span> words_;
  std::size_t words_size_ = 0;
  std::vector<Anchor> anchors_;
  std::size_t anchors_size_ = 0;
};

}  // namespace newswatch::text
