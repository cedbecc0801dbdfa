// Fuzz target for the text layer: any bytes -> original view -> folded view, words and the
// offset map. Every invariant violation traps.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/text/fold.h"
#include "daemon/text/normalize.h"
#include "daemon/text/utf8.h"

namespace {

using newswatch::text::FoldedText;
using newswatch::text::Span;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool is_continuation(std::string_view s, std::size_t i) {
  return i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80;
}

// Invariants that hold for any input, well-formed or not.
void check_words_and_map(const FoldedText& ft) {
  const std::string_view orig = ft.original();
  const std::string_view folded = ft.folded();
  check(newswatch::text::is_valid_utf8(folded));
  std::uint32_t prev_end = 0;
  bool first = true;
  for (std::size_t k = 0; k < ft.words().size(); ++k) {
    const Span w = ft.words()[k];
    check(w.begin < w.end);  // non-empty
    check(w.end <= folded.size());
    check(first || prev_end < w.begin);        // ordered, not overlapping, not touching
    check(!is_continuation(folded, w.begin));  // on folded code point boundaries
    check(!is_continuation(folded, w.end));
    check(ft.word_at_or_after(w.begin) == k);
    check(ft.word_at_or_after(w.end - 1) == k);
    // Maximal runs of word characters.
    std::size_t i = w.begin;
    while (i < w.end) {
      check(newswatch::text::is_word_char_folded(newswatch::text::decode_valid_utf8(folded, i)));
    }
    if (w.end < folded.size()) {
      std::size_t j = w.end;
      check(!newswatch::text::is_word_char_folded(newswatch::text::decode_valid_utf8(folded, j)));
    }
    const Span o = ft.to_original(w);
    check(o.begin < o.end);
    check(o.end <= orig.size());
    check(ft.to_folded(o.begin) <= w.begin);
    check(ft.to_folded(o.end) >= w.end);
    prev_end = w.end;
    first = false;
  }
  check(ft.word_at_or_after(static_cast<std::uint32_t>(folded.size())) == ft.words().size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace text = newswatch::text;
  const std::string_view raw(reinterpret_cast<const char*>(data), size);

  // Reused across inputs, as in the daemon: exercises buffer reuse.
  static std::string view;
  static std::string scratch;
  static FoldedText ft;

  const unsigned changes = text::make_original_view(raw, view);
  check(text::is_valid_utf8(view));
  check(((changes & text::kRepairedUtf8) != 0) == !text::is_valid_utf8(raw));
  if (changes == text::kUnchanged) check(view == raw);
  text::to_nfc(view, scratch);
  check(scratch == view);  // the original view is in NFC

  ft.assign(view);
  check(ft.original() == view);
  check_words_and_map(ft);
  check(ft.folded() == text::fold(view));
  check(text::fold(ft.folded()) == ft.folded());  // folding is idempotent
  // On a well-formed original, spans map to code point boundaries.
  for (const Span& w : ft.words()) {
    const Span o = ft.to_original(w);
    check(!is_continuation(view, o.begin));
    check(!is_continuation(view, o.end));
  }

  // Out of contract but never undefined: folding the raw bytes directly.
  FoldedText direct;
  direct.assign(raw);
  check_words_and_map(direct);
  check(direct.folded() == text::fold(raw));
  return 0;
}
