// The standard Prometheus process metrics, read from procfs at every scrape.
//
// Exported families (names and meaning as in the Prometheus client libraries):
//   process_cpu_seconds_total       counter  user + system CPU time        (/proc/self/stat)
//   process_resident_memory_bytes   gauge    resident set size              (/proc/self/stat)
//   process_virtual_memory_bytes    gauge    virtual memory size            (/proc/self/stat)
//   process_open_fds                gauge    entries of /proc/self/fd       (includes the one
//                                            used to list the directory)
//   process_max_fds                 gauge    soft RLIMIT_NOFILE             (/proc/self/limits;
//                                            +Inf when unlimited)
//   process_start_time_seconds      gauge    start time, Unix seconds       (/proc/self/stat +
//                                            btime of /proc/stat)
// A value that cannot be read (file missing, unparseable) is left out of that scrape; Collect()
// never throws for bad procfs content (only std::bad_alloc may propagate).
//
// Thread-safety: immutable after construction; Collect() and read() may run concurrently.
#pragma once

#include <filesystem>
#include <optional>
#include <utility>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

namespace newswatch::telemetry {

class ProcessCollector final : public prometheus::Collectable {
 public:
  // Where procfs lives. Tests point these at fixture files.
  struct Paths {
    std::filesystem::path self = "/proc/self";  // stat, fd/, limits are read below it
    std::filesystem::path proc_stat = "/proc/stat";
  };

  // One reading; each value is empty when it could not be read.
  struct Sample {
    std::optional<double> cpu_seconds;
    std::optional<double> resident_memory_bytes;
    std::optional<double> virtual_memory_bytes;
    std::optional<double> open_fds;
    std::optional<double> max_fds;
    std::optional<double> start_time_seconds;
  };

  ProcessCollector() = default;
  explicit ProcessCollector(Paths paths) : paths_(std::move(paths)) {}

  Sample read() const;
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  Paths paths_;
};

}  // namespace newswatch::telemetry
