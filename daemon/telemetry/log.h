// Logging for the daemon: spdlog loggers that write one line per event, as text or JSON,
// with structured fields, rate limiting for per-message warnings, and secret redaction.
//
// Line formats (UTC, millisecond timestamps; every line ends in '\n'):
//   text: 2026-11-26T10:15:02.113Z info  reloaded rules event=reload version=3f2a rules=120
//         The level is padded to 5 columns. Control characters in the message become \n, \t,
//         \xHH. A field value is written bare when it is non-empty and has no space, '"',
//         '=', '\' or control character; otherwise it is quoted with \" \\ \n \r \t \xHH
//         escapes.
//   json: {"ts":"2026-11-26T10:15:02.113Z","level":"info","msg":"reloaded rules",
//          "event":"reload","version":"3f2a","rules":120}
//         One object per line, always valid JSON and UTF-8 (ill-formed UTF-8 becomes U+FFFD).
//         Numbers and booleans are JSON numbers and booleans; non-finite numbers are null.
//         A field named ts, level or msg is written as ts_, level_, msg_.
// Level names: trace, debug, info, warn, error, critical.
//
// Structured fields go through log_event(); plain logger->info("...") calls work too and
// produce the same line without fields. A field whose key looks secret (see
// config::is_secret_property: password, secret, token, jaas, ...) is always written as
// "[redacted]", and redact() cleans free text (librdkafka log lines) before it is logged.
//
// Thread-safety: loggers from make_logger() may be used from any thread (sinks are
// mutex-protected; each line is written with one write call and flushed). RateLimiter is
// thread-safe. Fields is a plain value type (not synchronised). Nothing here throws for bad
// input; only std::bad_alloc may propagate from the builders.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <spdlog/common.h>
#include <spdlog/logger.h>

#include "daemon/config/config.h"

namespace newswatch::telemetry {

spdlog::level::level_enum to_spdlog(config::LogLevel level) noexcept;

// A logger named "newswatch" (not registered in spdlog's global registry) writing to `out`
// (stderr by default), in `format`, at `level` and above. `out` must stay open while the
// logger is used; lines are flushed as they are written.
std::shared_ptr<spdlog::logger> make_logger(config::LogFormat format, config::LogLevel level,
                                            std::FILE* out = stderr);
// The same on a caller-supplied sink (tests use spdlog::sinks::ostream_sink_mt). The sink's
// formatter is replaced; do not change the logger's or the sink's formatter afterwards, or
// log_event() lines lose their fields.
std::shared_ptr<spdlog::logger> make_logger(config::LogFormat format, config::LogLevel level,
                                            spdlog::sink_ptr sink);

// Structured fields of one log line, in insertion order.
//   log_event(*log, spdlog::level::info, "rule set loaded",
//             Fields().add("event", "reload").add("version", v).add("rules", n)
//                     .add("compile_ms", ms));
class Fields {
 public:
  enum class Kind : std::uint8_t { kString, kNumber, kBool, kNull };
  struct Field {
    std::string key;    // [A-Za-z0-9_.-]+ (other characters are replaced by '_')
    std::string value;  // kNumber: a valid JSON number; kBool: "true"/"false"; kNull: "null"
    Kind kind = Kind::kString;
  };

  Fields& add(std::string_view key, std::string_view value);
  Fields& add(std::string_view key, const std::string& value) {
    return add(key, std::string_view(value));
  }
  Fields& add(std::string_view key, const char* value) {
    return add(key, value != nullptr ? std::string_view(value) : std::string_view());
  }
  Fields& add(std::string_view key, bool value);
  Fields& add(std::string_view key, double value);  // non-finite: null
  template <std::integral T>
  requires(!std::same_as<T, bool>) Fields& add(std::string_view key, T value) {
    return push(key, std::to_string(value), Kind::kNumber);
  }

  const std::vector<Field>& items() const noexcept { return items_; }
  bool empty() const noexcept { return items_.empty(); }

 private:
  Fields& push(std::string_view key, std::string value, Kind kind);
  std::vector<Field> items_;
};

// Logs `msg` with `fields` at `level` (nothing when the logger filters that level out). On a
// logger that did not come from make_logger(), the fields are appended to the message in
// the text form ("msg key=value ...").
void log_event(spdlog::logger& logger, spdlog::level::level_enum level, std::string_view msg,
               const Fields& fields = {});

// At most `max_per_interval` lines per key per interval (fixed windows that start at the
// first line of the key), and a count of the lines refused in between, so that the next line
// let through can say "(N similar messages suppressed)".
//
// Memory is bounded: at most max_keys keys are tracked; when full, keys whose window has
// ended are forgotten first, and if none has, the new key shares one overflow bucket.
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  struct Decision {
    bool allowed = false;
    // When allowed: how many lines of this key were refused since the last one allowed
    // (the caller reports it once). When refused: 0.
    std::uint64_t suppressed = 0;
  };

  // max_per_interval 0 refuses everything; a non-positive interval allows everything.
  RateLimiter(std::uint32_t max_per_interval, Clock::duration interval,
              std::size_t max_keys = 4096);

  Decision acquire(std::string_view key, Clock::time_point now = Clock::now());

 private:
  struct Window {
    Clock::time_point start;
    std::uint32_t count = 0;
    std::uint64_t suppressed = 0;
  };
  Decision acquire_locked(Window& w, Clock::time_point now);
  void evict_expired_locked(Clock::time_point now);

  const std::uint32_t max_per_interval_;
  const Clock::duration interval_;
  const std::size_t max_keys_;
  std::mutex mutex_;
  std::unordered_map<std::string, Window> windows_;  // guarded by mutex_
  Window overflow_;                                  // guarded by mutex_
  bool overflow_used_ = false;                       // guarded by mutex_
};

// log_event() through a RateLimiter keyed by `key`: returns false (and logs nothing) when the
// key is over its rate; otherwise logs, appending " (N similar messages suppressed)" to the
// message and a field suppressed=N when lines were refused since the last one.
// Lines the logger filters out by level neither log nor count.
bool log_limited(spdlog::logger& logger, RateLimiter& limiter, std::string_view key,
                 spdlog::level::level_enum level, std::string_view msg, const Fields& fields = {},
                 RateLimiter::Clock::time_point now = RateLimiter::Clock::now());

// `text` with the value of every secret-looking key=value pair replaced by "[redacted]".
// Keys are runs of [A-Za-z0-9_.-] followed by '=' (spaces around it allowed), or a quoted key
// followed by ':' or '=' ("password": "x"). A key is secret when config::is_secret_property()
// says so (password, secret, token, jaas, sasl.oauthbearer.config, ssl.key.pem, ...) or it
// contains "credential" or "api_key"/"apikey". The value is a quoted string (quotes kept,
// content replaced), or for jaas and oauthbearer.config keys the rest of the line (their
// values hold spaces), or else everything up to the next whitespace (punctuation included: a
// password may contain any character, so "token=abc&x=1" loses "&x=1" too). A value that
// already reads "[redacted]" is kept, so redact(redact(t)) == redact(t).
// Pure; never throws except std::bad_alloc.
std::string redact(std::string_view text);

}  // namespace newswatch::telemetry
