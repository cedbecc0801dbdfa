#include "daemon/telemetry/log.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <utility>

#include <spdlog/formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "daemon/alert/json.h"

namespace newswatch::telemetry {
namespace {

// log_event() marks its records with this source_loc.funcname. Only the pointer is compared,
// so no message text can forge the mark.
constexpr char kStructuredMark[] = "newswatch::telemetry::log_event";

constexpr std::string_view kRedactedValue = "[redacted]";

// A logger made by make_logger(): log_event() checks for it before using the binary record.
class StructuredLogger final : public spdlog::logger {
 public:
  using spdlog::logger::logger;
};

bool ascii_contains_ci(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    bool eq = true;
    for (std::size_t j = 0; j < needle.size() && eq; ++j) {
      char c = haystack[i + j];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      eq = c == needle[j];
    }
    if (eq) return true;
  }
  return false;
}

bool secret_key(std::string_view key) {
  return config::is_secret_property(key) || ascii_contains_ci(key, "credential") ||
         ascii_contains_ci(key, "api_key") || ascii_contains_ci(key, "apikey");
}

bool key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

std::string sanitize_key(std::string_view key) {
  if (key.empty()) return "_";
  std::string out(key);
  for (char& c : out) {
    if (!key_char(c)) c = '_';
  }
  return out;
}

// ---- Record encoding (log_event -> formatter) ----------------------------------------------

struct FieldView {
  std::string_view key;
  std::string_view value;
  Fields::Kind kind = Fields::Kind::kString;
};

void put_u32(std::string& out, std::size_t v) {
  const auto u = static_cast<std::uint32_t>(v);
  char bytes[4];
  std::memcpy(bytes, &u, 4);
  out.append(bytes, 4);
}

void put_bytes(std::string& out, std::string_view s) {
  put_u32(out, s.size());
  out.append(s);
}

std::string encode_record(std::string_view msg, const Fields& fields) {
  std::string out;
  put_bytes(out, msg);
  put_u32(out, fields.items().size());
  for (const auto& f : fields.items()) {
    out.push_back(static_cast<char>(f.kind));
    put_bytes(out, f.key);
    put_bytes(out, f.value);
  }
  return out;
}

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool u32(std::uint32_t& v) {
    if (data_.size() < 4) return false;
    std::memcpy(&v, data_.data(), 4);
    data_.remove_prefix(4);
    return true;
  }
  bool bytes(std::string_view& s) {
    std::uint32_t n = 0;
    if (!u32(n) || data_.size() < n) return false;
    s = data_.substr(0, n);
    data_.remove_prefix(n);
    return true;
  }
  bool byte(std::uint8_t& b) {
    if (data_.empty()) return false;
    b = static_cast<std::uint8_t>(data_.front());
    data_.remove_prefix(1);
    return true;
  }
  bool done() const { return data_.empty(); }

 private:
  std::string_view data_;
};

bool decode_record(std::string_view payload, std::string_view& msg,
                   std::vector<FieldView>& fields) {
  Reader r(payload);
  std::uint32_t n = 0;
  if (!r.bytes(msg) || !r.u32(n)) return false;
  for (std::uint32_t i = 0; i < n; ++i) {
    std::uint8_t kind = 0;
    FieldView f;
    if (!r.byte(kind) || kind > static_cast<std::uint8_t>(Fields::Kind::kNull) || !r.bytes(f.key) ||
        !r.bytes(f.value)) {
      return false;
    }
    f.kind = static_cast<Fields::Kind>(kind);
    fields.push_back(f);
  }
  return r.done();
}

// ---- Rendering ------------------------------------------------------------------------------

void append_hex_escape(unsigned char c, std::string& out) {
  constexpr char kHex[] = "0123456789abcdef";
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 0xf];
}

// Control characters escaped; with `quoted`, also '"' and '\'.
void append_escaped(std::string_view s, bool quoted, std::string& out) {
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '"':
      case '\\':
        if (quoted) out += '\\';
        out += ch;
        continue;
      default:
        break;
    }
    if (c < 0x20 || c == 0x7f) {
      append_hex_escape(c, out);
    } else {
      out += ch;
    }
  }
}

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (const char ch : v) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f || ch == '"' || ch == '=' || ch == '\\') return true;
  }
  return false;
}

void append_text_fields(const std::vector<FieldView>& fields, std::string& out) {
  for (const auto& f : fields) {
    out += ' ';
    out.append(f.key);
    out += '=';
    if (f.kind == Fields::Kind::kString && needs_quotes(f.value)) {
      out += '"';
      append_escaped(f.value, true, out);
      out += '"';
    } else {
      append_escaped(f.value, false, out);
    }
  }
}

std::string_view level_name(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "critical";
    case spdlog::level::off:
    case spdlog::level::n_levels:
      break;
  }
  return "off";
}

std::string_view json_key(std::string_view key) {
  if (key == "ts") return "ts_";
  if (key == "level") return "level_";
  if (key == "msg") return "msg_";
  return key;
}

class LineFormatter final : public spdlog::formatter {
 public:
  explicit LineFormatter(config::LogFormat format) : format_(format) {}

  void format(const spdlog::details::log_msg& m, spdlog::memory_buf_t& dest) override {
    std::string_view msg(m.payload.data(), m.payload.size());
    std::vector<FieldView> fields;
    if (m.source.funcname == kStructuredMark && !decode_record(msg, msg, fields)) {
      msg = "(undecodable log record)";
      fields.clear();
    }
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(m.time.time_since_epoch()).count();
    std::string line;
    line.reserve(64 + msg.size());
    if (format_ == config::LogFormat::kJson) {
      line += "{\"ts\":\"";
      alert::append_rfc3339_millis(millis, line);
      line += "\",\"level\":\"";
      line += level_name(m.level);
      line += "\",\"msg\":";
      alert::append_json_string(msg, line);
      for (const auto& f : fields) {
        line += ',';
        alert::append_json_string(json_key(f.key), line);
        line += ':';
        if (f.kind == Fields::Kind::kString) {
          alert::append_json_string(f.value, line);
        } else {
          line.append(f.value);  // produced by Fields: a JSON number, true/false or null
        }
      }
      line += "}\n";
    } else {
      alert::append_rfc3339_millis(millis, line);
      line += ' ';
      const std::string_view level = level_name(m.level);
      line += level;
      line.append(level.size() < 5 ? 5 - level.size() : 0, ' ');
      line += ' ';
      append_escaped(msg, false, line);
      append_text_fields(fields, line);
      line += '\n';
    }
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<LineFormatter>(format_);
  }

 private:
  config::LogFormat format_;
};

}  // namespace

// ---- Public API -----------------------------------------------------------------------------

spdlog::level::level_enum to_spdlog(config::LogLevel level) noexcept {
  switch (level) {
    case config::LogLevel::kTrace:
      return spdlog::level::trace;
    case config::LogLevel::kDebug:
      return spdlog::level::debug;
    case config::LogLevel::kInfo:
      return spdlog::level::info;
    case config::LogLevel::kWarn:
      return spdlog::level::warn;
    case config::LogLevel::kError:
      return spdlog::level::err;
    case config::LogLevel::kOff:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

std::shared_ptr<spdlog::logger> make_logger(config::LogFormat format, config::LogLevel level,
                                            spdlog::sink_ptr sink) {
  auto logger = std::make_shared<StructuredLogger>("newswatch", std::move(sink));
  logger->set_formatter(std::make_unique<LineFormatter>(format));
  logger->set_level(to_spdlog(level));
  logger->flush_on(spdlog::level::trace);
  return logger;
}

std::shared_ptr<spdlog::logger> make_logger(config::LogFormat format, config::LogLevel level,
                                            std::FILE* out) {
  return make_logger(
      format, level,
      std::make_shared<spdlog::sinks::stdout_sink_base<spdlog::details::console_mutex>>(out));
}

Fields& Fields::push(std::string_view key, std::string value, Kind kind) {
  Field f;
  f.key = sanitize_key(key);
  if (secret_key(f.key)) {
    f.value = std::string(kRedactedValue);
    f.kind = Kind::kString;
  } else {
    f.value = std::move(value);
    f.kind = kind;
  }
  items_.push_back(std::move(f));
  return *this;
}

Fields& Fields::add(std::string_view key, std::string_view value) {
  return push(key, std::string(value), Kind::kString);
}

Fields& Fields::add(std::string_view key, bool value) {
  return push(key, value ? "true" : "false", Kind::kBool);
}

Fields& Fields::add(std::string_view key, double value) {
  if (!std::isfinite(value)) return push(key, "null", Kind::kNull);
  char buf[64];
  const auto result = std::to_chars(buf, buf + sizeof buf, value);  // shortest round trip
  std::string text(buf, result.ec == std::errc() ? result.ptr : buf);
  return push(key, std::move(text), Kind::kNumber);
}

void log_event(spdlog::logger& logger, spdlog::level::level_enum level, std::string_view msg,
               const Fields& fields) {
  if (!logger.should_log(level)) return;
  if (dynamic_cast<StructuredLogger*>(&logger) != nullptr) {
    const std::string record = encode_record(msg, fields);
    logger.log(spdlog::source_loc{nullptr, 0, kStructuredMark}, level,
               spdlog::string_view_t(record.data(), record.size()));
    return;
  }
  std::string line(msg);
  std::vector<FieldView> views;
  for (const auto& f : fields.items()) views.push_back(FieldView{f.key, f.value, f.kind});
  append_text_fields(views, line);
  logger.log(level, spdlog::string_view_t(line.data(), line.size()));
}

// ---- RateLimiter ----------------------------------------------------------------------------

RateLimiter::RateLimiter(std::uint32_t max_per_interval, Clock::duration interval,
                         std::size_t max_keys)
    : max_per_interval_(max_per_interval), interval_(interval), max_keys_(max_keys) {}

RateLimiter::Decision RateLimiter::acquire_locked(Window& w, Clock::time_point now) {
  if (w.count == 0 || now - w.start >= interval_ || now < w.start) {
    w.start = now;
    w.count = 0;
  }
  if (interval_ <= Clock::duration::zero() || w.count < max_per_interval_) {
    ++w.count;
    return Decision{true, std::exchange(w.suppressed, 0)};
  }
  ++w.suppressed;
  return Decision{false, 0};
}

void RateLimiter::evict_expired_locked(Clock::time_point now) {
  for (auto it = windows_.begin(); it != windows_.end();) {
    if (now - it->second.start >= interval_ && it->second.suppressed == 0) {
      it = windows_.erase(it);
    } else {
      ++it;
    }
  }
}

RateLimiter::Decision RateLimiter::acquire(std::string_view key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  // Heterogeneous lookup needs C++20 transparent hashing; a temporary key is cheap enough for
  // warning paths.
  std::string k(key);
  auto it = windows_.find(k);
  if (it == windows_.end()) {
    if (windows_.size() >= max_keys_) evict_expired_locked(now);
    if (windows_.size() >= max_keys_) return acquire_locked(overflow_, now);
    it = windows_.emplace(std::move(k), Window{now, 0, 0}).first;
  }
  return acquire_locked(it->second, now);
}

bool log_limited(spdlog::logger& logger, RateLimiter& limiter, std::string_view key,
                 spdlog::level::level_enum level, std::string_view msg, const Fields& fields,
                 RateLimiter::Clock::time_point now) {
  if (!logger.should_log(level)) return false;
  const RateLimiter::Decision d = limiter.acquire(key, now);
  if (!d.allowed) return false;
  if (d.suppressed == 0) {
    log_event(logger, level, msg, fields);
    return true;
  }
  std::string text(msg);
  text += " (" + std::to_string(d.suppressed) + " similar messages suppressed)";
  Fields more = fields;
  more.add("suppressed", d.suppressed);
  log_event(logger, level, text, more);
  return true;
}

// ---- Redaction ------------------------------------------------------------------------------

namespace {

// An unquoted secret value ends only at whitespace: passwords may hold any punctuation, and
// cutting at ',' ')' ';' ... would print the rest of the secret. Redacting a little too much
// is the safe side.
bool value_end_char(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// End (exclusive) of a quoted value starting at `open` (the quote), honouring backslash
// escapes; the closing quote's index + 1, or text.size() when unterminated.
std::size_t quoted_end(std::string_view text, std::size_t open) {
  const char q = text[open];
  for (std::size_t i = open + 1; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
      continue;
    }
    if (text[i] == q) return i + 1;
  }
  return text.size();
}

bool whole_line_value(std::string_view key) {
  return ascii_contains_ci(key, "jaas") || ascii_contains_ci(key, "oauthbearer.config");
}

}  // namespace

std::string redact(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const bool token_start = key_char(text[i]) && (i == 0 || !key_char(text[i - 1]));
    if (!token_start) {
      out += text[i++];
      continue;
    }
    std::size_t key_end = i;
    while (key_end < text.size() && key_char(text[key_end])) ++key_end;
    const std::string_view key = text.substr(i, key_end - i);
    const bool quoted_key = i > 0 && (text[i - 1] == '"' || text[i - 1] == '\'') &&
                            key_end < text.size() && text[key_end] == text[i - 1];
    std::size_t j = key_end + (quoted_key ? 1 : 0);
    while (j < text.size() && (text[j] == ' ' || text[j] == '\t')) ++j;
    const bool separator = j < text.size() && (text[j] == '=' || (quoted_key && text[j] == ':'));
    if (!separator || !secret_key(key)) {
      out.append(text.substr(i, key_end - i));
      i = key_end;
      continue;
    }
    ++j;
    while (j < text.size() && (text[j] == ' ' || text[j] == '\t')) ++j;
    out.append(text.substr(i, j - i));  // key, separator and spaces, as written
    std::size_t value_end = j;
    const std::size_t after_mark = j + kRedactedValue.size();
    if (text.substr(j, kRedactedValue.size()) == kRedactedValue &&
        (after_mark == text.size() || value_end_char(text[after_mark]))) {
      // Already redacted (redact() is idempotent).
      out.append(kRedactedValue);
      value_end = after_mark;
    } else if (j < text.size() && (text[j] == '"' || text[j] == '\'')) {
      value_end = quoted_end(text, j);
      const bool closed = value_end - j >= 2 && text[value_end - 1] == text[j];
      out += text[j];
      out.append(kRedactedValue);
      if (closed) out += text[j];
    } else if (whole_line_value(key)) {
      while (value_end < text.size() && text[value_end] != '\n' && text[value_end] != '\r') {
        ++value_end;
      }
      if (value_end > j) out.append(kRedactedValue);
    } else {
      while (value_end < text.size() && !value_end_char(text[value_end])) ++value_end;
      if (value_end > j) out.append(kRedactedValue);
    }
    i = value_end;
  }
  return out;
}

}  // namespace newswatch::telemetry
