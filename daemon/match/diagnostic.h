// Diagnostics produced while loading rule files: every problem, with its position.
//
// Thread-safety: plain values.
#pragma once

#include <string>
#include <vector>

namespace newswatch::match {

struct Diagnostic {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  std::string file;  // path as reached from the rules directory given by the caller
  int line = 0;      // 1-based; 0 when the problem has no position (e.g. an unreadable file)
  int column = 0;    // 1-based, in bytes
  std::string message;

  // "path:line:column: message" (warnings get "warning: " before the message; a missing
  // position is omitted).
  std::string to_string() const;
};

using Diagnostics = std::vector<Diagnostic>;

inline bool has_errors(const Diagnostics& d) {
  for (const auto& x : d) {
    if (x.severity == Diagnostic::Severity::kError) return true;
  }
  return false;
}

}  // namespace newswatch::match
