// HTML fragment to text: a small, forgiving tokenizer that follows what browsers do with the
// common cases (tags, attributes with quoted '>' inside, comments, <script>/<style> raw text,
// CDATA) and degrades to text where markup is broken: a tag or declaration that is never closed
// is kept as text, and so is every '<' after it (browsers would drop the rest of the document,
// which would hide its text from the matcher); an unterminated comment, CDATA section, <script>
// or <style> runs to the end of the input. Every scan either consumes what it scanned or runs to
// the end of the input once, so the whole is linear in the input.
#include "daemon/decode/html.h"

#include <algorithm>
#include <array>
#include <cstddef>

#include "daemon/decode/html_entities.h"

namespace newswatch::decode {
namespace {

bool is_ascii_alpha(char c) noexcept {
  const unsigned lower = static_cast<unsigned char>(c) | 0x20u;
  return lower >= 'a' && lower <= 'z';
}

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

char to_lower_ascii(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Tags after which the text on either side belongs to different words or lines.
constexpr std::string_view kBlockTagList[] = {
    "address",    "article", "aside",  "blockquote", "body",   "br",     "caption", "center",
    "dd",         "details", "dialog", "dir",        "div",    "dl",     "dt",      "fieldset",
    "figcaption", "figure",  "footer", "form",       "h1",     "h2",     "h3",      "h4",
    "h5",         "h6",      "head",   "header",     "hgroup", "hr",     "html",    "legend",
    "li",         "main",    "menu",   "nav",        "ol",     "option", "p",       "pre",
    "section",    "summary", "table",  "tbody",      "td",     "tfoot",  "th",      "thead",
    "title",      "tr",      "ul"};

constexpr auto kBlockTags = [] {
  std::array<std::string_view, std::size(kBlockTagList)> tags{};
  std::copy(std::begin(kBlockTagList), std::end(kBlockTagList), tags.begin());
  std::sort(tags.begin(), tags.end());
  return tags;
}();

bool is_block_tag(std::string_view lower_name) noexcept {
  return std::binary_search(kBlockTags.begin(), kBlockTags.end(), lower_name);
}

void line_break(std::string& out) {
  if (!out.empty() && out.back() != '\n') out.push_back('\n');
}

// Position just past the first occurrence of `needle` at or after `from`, or npos.
std::size_t past(std::string_view s, std::size_t from, std::string_view needle) noexcept {
  const std::size_t at = s.find(needle, from);
  return at == std::string_view::npos ? std::string_view::npos : at + needle.size();
}

// Reads a tag name starting at `i` (first char is a letter); returns its end. The name is
// lower-cased into `lower` when it fits (names that do not fit are no block or raw-text tag).
std::size_t read_tag_name(std::string_view s, std::size_t i, std::array<char, 16>& lower,
                          std::size_t& lower_len) noexcept {
  lower_len = 0;
  while (i < s.size() && !is_space(s[i]) && s[i] != '/' && s[i] != '>') {
    if (lower_len < lower.size()) lower[lower_len] = to_lower_ascii(s[i]);
    ++lower_len;
    ++i;
  }
  if (lower_len > lower.size()) lower_len = 0;  // too long to be a tag we care about
  return i;
}

// Skips the attributes of a start tag from `i` to just past its closing '>'; npos when the tag
// is not closed before the end of the input.
std::size_t skip_attributes(std::string_view s, std::size_t i) noexcept {
  const std::size_t n = s.size();
  while (i < n) {
    const char c = s[i++];
    if (c == '>') return i;
    if (c != '=') continue;
    while (i < n && is_space(s[i])) ++i;
    if (i < n && (s[i] == '"' || s[i] == '\'')) {
      // A quoted attribute value: '>' inside it does not end the tag. (A quote elsewhere, as in
      // the unquoted value of title=don't, is an ordinary character.)
      const std::size_t close = s.find(s[i], i + 1);
      if (close == std::string_view::npos) return std::string_view::npos;
      i = close + 1;
    }
  }
  return std::string_view::npos;
}

// Finds the end of a raw-text element (<script>, <style>) whose content starts at `i`: returns
// the position just past its end tag's '>', or npos.
std::size_t skip_raw_text(std::string_view s, std::size_t i, std::string_view lower_name) noexcept {
  const std::size_t n = s.size();
  while (true) {
    const std::size_t lt = s.find("</", i);
    if (lt == std::string_view::npos) return std::string_view::npos;
    std::size_t j = lt + 2;
    std::size_t k = 0;
    while (k < lower_name.size() && j < n && to_lower_ascii(s[j]) == lower_name[k]) {
      ++j;
      ++k;
    }
    if (k == lower_name.size() && (j == n || is_space(s[j]) || s[j] == '/' || s[j] == '>')) {
      const std::size_t gt = s.find('>', j);
      return gt == std::string_view::npos ? std::string_view::npos : gt + 1;
    }
    i = lt + 2;
  }
}

// Returned by handle_markup for a tag that is not closed before the end of the input.
constexpr std::size_t kUnclosed = std::string_view::npos;

// Handles the markup starting at s[i] == '<'. Returns the position after it, i when the '<'
// does not start markup (it is then literal text), or kUnclosed.
std::size_t handle_markup(std::string_view s, std::size_t i, std::string& out) {
  const std::size_t n = s.size();
  if (i + 1 >= n) return i;
  const char next = s[i + 1];

  if (next == '!') {
    if (s.compare(i, 4, "<!--") == 0) {
      // Comment. "<!-->" and "<!--->" close immediately, as in browsers.
      const std::size_t end = past(s, i + 2, "-->");
      return end == std::string_view::npos ? n : end;
    }
    if (s.compare(i, 9, "<![CDATA[") == 0) {
      const std::size_t content = i + 9;
      const std::size_t close = s.find("]]>", content);
      const std::size_t content_end = close == std::string_view::npos ? n : close;
      out.append(s.data() + content, content_end - content);
      return close == std::string_view::npos ? n : close + 3;
    }
    // <!DOCTYPE ...> and other declarations: dropped up to the next '>'.
    const std::size_t gt = s.find('>', i + 2);
    return gt == std::string_view::npos ? kUnclosed : gt + 1;
  }
  if (next == '?') {  // processing instruction / XML declaration
    const std::size_t gt = s.find('>', i + 2);
    return gt == std::string_view::npos ? kUnclosed : gt + 1;
  }

  std::array<char, 16> name{};
  std::size_t name_len = 0;
  if (next == '/') {
    if (i + 2 >= n || !is_ascii_alpha(s[i + 2])) {
      if (i + 2 < n && s[i + 2] == '>') return i + 3;  // "</>" is dropped by browsers
      return i;
    }
    const std::size_t after_name = read_tag_name(s, i + 2, name, name_len);
    const std::size_t gt = s.find('>', after_name);
    if (gt == std::string_view::npos) return kUnclosed;
    if (is_block_tag(std::string_view(name.data(), name_len))) line_break(out);
    return gt + 1;
  }
  if (!is_ascii_alpha(next)) return i;  // "a < b", "<3": text

  const std::size_t after_name = read_tag_name(s, i + 1, name, name_len);
  const std::string_view lower(name.data(), name_len);
  const std::size_t end = skip_attributes(s, after_name);
  if (end == std::string_view::npos) return kUnclosed;
  if (lower == "script" || lower == "style") {
    const std::size_t raw_end = skip_raw_text(s, end, lower);
    return raw_end == std::string_view::npos ? n : raw_end;
  }
  if (is_block_tag(lower)) line_break(out);
  return end;
}

}  // namespace

bool html_to_text(std::string_view html, std::string& out) {
  out.clear();
  out.reserve(html.size());
  bool changed = false;
  const std::size_t n = html.size();
  constexpr std::size_t npos = std::string_view::npos;
  std::size_t i = 0;
  bool markup = true;  // false once a tag was found unclosed: the rest is text
  // Next '<' and '&' at or after i (memchr-based searches, refreshed once passed).
  std::size_t next_lt = html.find('<');
  std::size_t next_amp = html.find('&');
  while (i < n) {
    if (next_lt != npos && next_lt < i) next_lt = html.find('<', i);
    if (next_amp != npos && next_amp < i) next_amp = html.find('&', i);
    const std::size_t j = std::min(markup ? next_lt : npos, next_amp);
    if (j == npos) {
      out.append(html.data() + i, n - i);
      break;
    }
    out.append(html.data() + i, j - i);
    if (html[j] == '&') {
      const std::size_t used = detail::decode_reference_at(html, j, out);
      if (used == 0) {
        out.push_back('&');
        i = j + 1;
      } else {
        changed = true;
        i = j + used;
      }
      continue;
    }
    const std::size_t after = handle_markup(html, j, out);
    if (after == kUnclosed) markup = false;
    if (after == j || after == kUnclosed) {
      out.push_back('<');
      i = j + 1;
    } else {
      changed = true;
      i = after;
    }
  }
  return changed;
}

}  // namespace newswatch::decode
