// Turns an HTML fragment (as found in feed bodies) into plain text.
//
// Thread-safety: pure function. Never fails: malformed markup degrades to text.
#pragma once

#include <string>
#include <string_view>

namespace newswatch::decode {

// Replaces `out` with the text of `html`:
//  - tags are removed; the content of <script>, <style> and comments is dropped;
//  - block-level tags (p, div, br, li, h1-h6, tr, blockquote, ...) become a line break so that
//    words on either side are not glued together; other tags become nothing;
//  - character references are decoded: named (the HTML 4 set plus &apos;), decimal and hex;
//    references to invalid code points (surrogates, > U+10FFFF, NUL) become U+FFFD; an
//    unknown or unterminated reference is kept as text.
// `html` must be valid UTF-8; `out` is valid UTF-8. `out` must not alias `html`.
// Returns true when anything was changed.
bool html_to_text(std::string_view html, std::string& out);

// Decodes character references only (no tag handling). Same rules as above.
bool decode_html_entities(std::string_view in, std::string& out);

}  // namespace newswatch::decode
