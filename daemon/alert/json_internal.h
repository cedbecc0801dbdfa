// Internal to newswatch_alert: pieces of json.cc shared with alert.cc. Not public API.
#pragma once

#include <string>
#include <string_view>

namespace newswatch::alert::detail {

// Appends the escaped content of a JSON string literal for `s`, without the quotes; same rules
// as append_json_string (ill-formed UTF-8 -> U+FFFD, controls and U+2028/U+2029 escaped).
void append_json_escaped(std::string_view s, std::string& out);

}  // namespace newswatch::alert::detail
