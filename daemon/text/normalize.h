// The "original view" of a text field (RULES-SPEC §2): decoded string, invalid UTF-8 replaced
// by U+FFFD, then Unicode NFC.
//
// Thread-safety: pure functions, safe to call concurrently.
#pragma once

#include <string>
#include <string_view>

namespace newswatch::text {

// What make_original_view() had to change; a bit set.
enum OriginalViewChange : unsigned {
  kUnchanged = 0,
  kRepairedUtf8 = 1u << 0,   // ill-formed UTF-8 was replaced by U+FFFD
  kNormalizedNfc = 1u << 1,  // the input was not in NFC (e.g. NFD from a Mac feed)
};

// True when `s` (valid UTF-8) is certainly already in NFC. Conservative: may answer false for
// some NFC strings (they then go through the full normalizer, which is correct, only slower).
// Fast for ASCII and Latin text: no code point below U+0300 can change under NFC. Above it,
// a code point passes when it has canonical combining class 0 and NFC_Quick_Check=Yes (it
// never composes with what precedes it and NFC maps it to itself), so precomposed Cyrillic,
// Greek or Vietnamese letters, ’ « » — … and CJK pass; combining marks, Hangul V/T jamo and
// singletons such as U+212B ANGSTROM SIGN do not.
bool is_nfc_quick(std::string_view s) noexcept;

// Replaces `out` with the NFC normalization of `in` (which must be valid UTF-8; `in` may view
// `out`). Only the segments around code points that fail the quick check are normalized.
void to_nfc(std::string_view in, std::string& out);

// Replaces `out` with the original view of `raw` (any bytes). Returns a set of
// OriginalViewChange bits. `out` must not alias `raw`.
unsigned make_original_view(std::string_view raw, std::string& out);

}  // namespace newswatch::text
