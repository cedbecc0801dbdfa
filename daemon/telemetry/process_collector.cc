#include "daemon/telemetry/process_collector.h"

#include <cerrno>
#include <charconv>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

namespace newswatch::telemetry {
namespace {

// Reads a whole file (procfs files report size 0: read to EOF).
std::optional<std::string> read_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string content;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    content.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return content;
}

template <typename T>
std::optional<T> parse_number(std::string_view s) {
  T value{};
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

// Splits on runs of spaces/tabs.
std::vector<std::string_view> split_fields(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n')) ++i;
    const std::size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '\n') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

// Fields of /proc/<pid>/stat after the "(comm)" field. comm may contain spaces and ')', so
// the fields start after the last ')'. Field n of proc(5) (1-based) is at index n - 3.
std::vector<std::string_view> stat_fields_after_comm(std::string_view stat) {
  const std::size_t close = stat.rfind(')');
  if (close == std::string_view::npos) return {};
  return split_fields(stat.substr(close + 1));
}

std::optional<std::uint64_t> stat_field(const std::vector<std::string_view>& fields,
                                        std::size_t n) {
  if (n < 3 || n - 3 >= fields.size()) return std::nullopt;
  return parse_number<std::uint64_t>(fields[n - 3]);
}

std::optional<double> boot_time_seconds(const std::filesystem::path& proc_stat) {
  const auto content = read_file(proc_stat);
  if (!content) return std::nullopt;
  std::string_view rest(*content);
  while (!rest.empty()) {
    const std::size_t eol = rest.find('\n');
    const std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
    const auto fields = split_fields(line);
    if (fields.size() == 2 && fields[0] == "btime") {
      if (const auto v = parse_number<std::uint64_t>(fields[1])) return static_cast<double>(*v);
    }
  }
  return std::nullopt;
}

std::optional<double> soft_open_files_limit(const std::filesystem::path& limits) {
  const auto content = read_file(limits);
  if (!content) return std::nullopt;
  constexpr std::string_view kName = "Max open files";
  const std::size_t at = content->find(kName);
  if (at == std::string::npos) return std::nullopt;
  const std::size_t eol = content->find('\n', at);
  const auto fields = split_fields(std::string_view(*content).substr(
      at + kName.size(), eol == std::string::npos ? std::string::npos : eol - at - kName.size()));
  if (fields.empty()) return std::nullopt;
  if (fields[0] == "unlimited") return std::numeric_limits<double>::infinity();
  if (const auto v = parse_number<std::uint64_t>(fields[0])) return static_cast<double>(*v);
  return std::nullopt;
}

std::optional<double> count_open_fds(const std::filesystem::path& fd_dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(fd_dir, ec);
  if (ec) return std::nullopt;
  double n = 0;
  for (const std::filesystem::directory_iterator end; it != end; it.increment(ec)) {
    if (ec) return std::nullopt;
    ++n;
  }
  if (ec) return std::nullopt;
  return n;
}

prometheus::MetricFamily family(const char* name, const char* help, prometheus::MetricType type,
                                double value) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  prometheus::ClientMetric m;
  if (type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  f.metric.push_back(std::move(m));
  return f;
}

}  // namespace

ProcessCollector::Sample ProcessCollector::read() const {
  Sample s;
  const long ticks_per_second = ::sysconf(_SC_CLK_TCK);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  if (const auto stat = read_file(paths_.self / "stat")) {
    const auto fields = stat_fields_after_comm(*stat);
    const auto utime = stat_field(fields, 14);
    const auto stime = stat_field(fields, 15);
    const auto starttime = stat_field(fields, 22);
    const auto vsize = stat_field(fields, 23);
    const auto rss = stat_field(fields, 24);
    if (utime && stime && ticks_per_second > 0) {
      s.cpu_seconds = static_cast<double>(*utime + *stime) / static_cast<double>(ticks_per_second);
    }
    if (vsize) s.virtual_memory_bytes = static_cast<double>(*vsize);
    if (rss && page_size > 0) {
      s.resident_memory_bytes = static_cast<double>(*rss) * static_cast<double>(page_size);
    }
    if (starttime && ticks_per_second > 0) {
      if (const auto btime = boot_time_seconds(paths_.proc_stat)) {
        s.start_time_seconds =
            *btime + static_cast<double>(*starttime) / static_cast<double>(ticks_per_second);
      }
    }
  }
  s.open_fds = count_open_fds(paths_.self / "fd");
  s.max_fds = soft_open_files_limit(paths_.self / "limits");
  return s;
}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  using prometheus::MetricType;
  const Sample s = read();
  std::vector<prometheus::MetricFamily> out;
  if (s.cpu_seconds) {
    out.push_back(family("process_cpu_seconds_total",
                         "Total user and system CPU time spent in seconds.", MetricType::Counter,
                         *s.cpu_seconds));
  }
  if (s.resident_memory_bytes) {
    out.push_back(family("process_resident_memory_bytes", "Resident memory size in bytes.",
                         MetricType::Gauge, *s.resident_memory_bytes));
  }
  if (s.virtual_memory_bytes) {
    out.push_back(family("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                         MetricType::Gauge, *s.virtual_memory_bytes));
  }
  if (s.open_fds) {
    out.push_back(family("process_open_fds", "Number of open file descriptors.", MetricType::Gauge,
                         *s.open_fds));
  }
  if (s.max_fds) {
    out.push_back(family("process_max_fds", "Maximum number of open file descriptors.",
                         MetricType::Gauge, *s.max_fds));
  }
  if (s.start_time_seconds) {
    out.push_back(family("process_start_time_seconds",
                         "Start time of the process since unix epoch in seconds.",
                         MetricType::Gauge, *s.start_time_seconds));
  }
  return out;
}

}  // namespace newswatch::telemetry
