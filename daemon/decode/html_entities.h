// Internal to newswatch_decode: character-reference decoding shared by html.cc and its tests.
// Not part of the stage's public API (use html.h).
//
// Thread-safety: pure functions over an immutable table.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace newswatch::decode::detail {

// The code point of a named character reference, `name` given without '&' and ';'
// (case-sensitive: "Eacute" and "eacute" differ). Returns 0 when the name is unknown.
char32_t lookup_named_entity(std::string_view name) noexcept;

// Number of names in the table: the 252 of HTML 4.01 plus "apos".
std::size_t named_entity_count() noexcept;

// When in[pos] is '&' and starts a complete reference (`&name;`, `&#123;`, `&#x7B;`), appends its
// decoded text to `out` and returns the number of bytes consumed. Otherwise appends nothing and
// returns 0 (the caller keeps the '&' as text).
std::size_t decode_reference_at(std::string_view in, std::size_t pos, std::string& out);

}  // namespace newswatch::decode::detail
