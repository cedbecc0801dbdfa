#include "benchmarks/peers/text_util.h"

#include <cctype>

#include "daemon/text/fold.h"
#include "daemon/text/utf8.h"

namespace newswatch::bench {
namespace {

bool is_word(char32_t cp, bool folded) {
  if (cp < 0x80) {
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
  }
  return folded ? text::is_word_char_folded(cp) : text::is_word_char_original(cp);
}

// Start of the code point that ends right before byte `pos`.
std::size_t previous_start(std::string_view s, std::size_t pos) {
  std::size_t i = pos - 1;
  while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
  return i;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

bool first_is_word(std::string_view s, bool folded) {
  if (s.empty()) return false;
  std::size_t i = 0;
  return is_word(text::decode_valid_utf8(s, i), folded);
}

bool last_is_word(std::string_view s, bool folded) {
  if (s.empty()) return false;
  std::size_t i = previous_start(s, s.size());
  return is_word(text::decode_valid_utf8(s, i), folded);
}

bool word_before(std::string_view s, std::size_t pos) {
  if (pos == 0) return false;
  const auto b = static_cast<unsigned char>(s[pos - 1]);
  if (b < 0x80) return is_word(b, true);
  std::size_t i = previous_start(s, pos);
  return is_word(text::decode_valid_utf8(s, i), true);
}

bool word_at(std::string_view s, std::size_t pos) {
  if (pos >= s.size()) return false;
  const auto b = static_cast<unsigned char>(s[pos]);
  if (b < 0x80) return is_word(b, true);
  std::size_t i = pos;
  return is_word(text::decode_valid_utf8(s, i), true);
}

std::vector<std::string> split_words(std::string_view s, bool folded) {
  std::vector<std::string> out;
  std::string cur;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t start = i;
    const char32_t cp = text::decode_valid_utf8(s, i);
    if (is_word(cp, folded)) {
      cur.append(s.substr(start, i - start));
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string lang_primary(std::string_view lang) {
  lang = trim(lang);
  return lower_ascii(lang.substr(0, lang.find_first_of("-_")));
}

std::string url_host(std::string_view url) {
  url = trim(url);
  if (const auto scheme = url.find("://"); scheme != std::string_view::npos) {
    url.remove_prefix(scheme + 3);
  } else if (url.starts_with("//")) {
    url.remove_prefix(2);
  }
  url = url.substr(0, url.find_first_of("/?#"));
  if (const auto at = url.rfind('@'); at != std::string_view::npos) url.remove_prefix(at + 1);
  if (const auto colon = url.rfind(':'); colon != std::string_view::npos && !url.starts_with('[')) {
    url = url.substr(0, colon);
  }
  while (url.ends_with('.')) url.remove_suffix(1);
  return lower_ascii(url);
}

bool host_matches(std::string_view host, std::string_view site) {
  return host == site || (host.size() > site.size() && host.ends_with(site) &&
                          host[host.size() - site.size() - 1] == '.');
}

}  // namespace newswatch::bench
