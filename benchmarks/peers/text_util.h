// Text helpers shared by the C++ peers: word-character tests on UTF-8 strings, word splitting,
// and the metadata filters (lang:, source:, site:) as RULES-SPEC §3 defines them.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace newswatch::bench {

// Whether the first / last code point of valid UTF-8 `s` is a word character of the folded
// view (L, N) or, with folded=false, of the original view (L, N, M). False for empty `s`.
bool first_is_word(std::string_view s, bool folded);
bool last_is_word(std::string_view s, bool folded);

// Whether the code point that ends right before byte `pos` / starts at byte `pos` is a word
// character of the folded view. Positions at the ends of `s` count as non-word.
bool word_before(std::string_view s, std::size_t pos);
bool word_at(std::string_view s, std::size_t pos);

// Maximal runs of word characters.
std::vector<std::string> split_words(std::string_view s, bool folded);

std::string lower_ascii(std::string_view s);
std::string lang_primary(std::string_view lang);  // "fr-FR" -> "fr"
std::string url_host(std::string_view url);       // lower-case host of a URL
bool host_matches(std::string_view host, std::string_view site);

}  // namespace newswatch::bench
