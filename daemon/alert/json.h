// Minimal, fast JSON text emission helpers shared by every JSON writer in the project.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace newswatch::alert {

// Appends `s` as a JSON string literal (with quotes). `s` should be valid UTF-8; any ill-formed
// byte is written as U+FFFD so the output is always valid JSON and valid UTF-8. Control
// characters are escaped (\n, \t, ... or \u00XX); '/' is not escaped; U+2028 and U+2029 are
// escaped so the output is also safe to embed in JavaScript.
void append_json_string(std::string_view s, std::string& out);

void append_json_int(std::int64_t v, std::string& out);

// RFC 3339 UTC timestamp with milliseconds, e.g. "2026-11-26T10:15:02.113Z".
void append_rfc3339_millis(std::int64_t unix_millis, std::string& out);

}  // namespace newswatch::alert
