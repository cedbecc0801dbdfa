// Small utilities shared by the benchmark harness and the C++ peers: reading a JSON Lines
// corpus, process memory and CPU time, percentiles, and a minimal JSON writer.
//
// Thread-safety: free functions are thread-safe; JsonWriter is a plain value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace newswatch::bench {

// Every non-blank line of a JSON Lines file, or an error message in `error`.
bool read_lines(const std::string& path, std::vector<std::string>& lines, std::string& error,
                std::size_t limit = 0);

// Resident set size and its peak (VmRSS / VmHWM of /proc/self/status), in bytes; 0 if unknown.
std::size_t rss_bytes();
std::size_t peak_rss_bytes();

// CPU time of the calling thread and of the whole process (user + system), in seconds.
double thread_cpu_seconds();
double process_user_seconds();

// The q-quantile (0..1) of `values` (sorted in place), nearest rank.
double quantile(std::vector<double>& values, double q);

// 1-, 5- and 15-minute load averages, as "a b c".
std::string load_average();

class JsonWriter {
 public:
  JsonWriter& key(std::string_view k);
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(double d);
  JsonWriter& value(std::int64_t i);
  JsonWriter& value(std::uint64_t u) { return value(static_cast<std::int64_t>(u)); }
  JsonWriter& value(int i) { return value(static_cast<std::int64_t>(i)); }
  JsonWriter& value(bool b);
  JsonWriter& null();
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  const std::string& str() const noexcept { return out_; }

 private:
  void comma();
  std::string out_;
  bool need_comma_ = false;
};

void json_escape(std::string_view s, std::string& out);

}  // namespace newswatch::bench
