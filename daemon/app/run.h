// `newswatch run`: the daemon. The composition root: the only place that knows every concrete
// stage (config, rules, Kafka source and sink, pipeline, telemetry) and wires them together.
#pragma once

#include <optional>
#include <string>

#include "daemon/config/config.h"

namespace newswatch::app {

struct RunOptions {
  std::optional<std::string> config_file;
  config::Overrides overrides;
  bool check = false;           // validate config and rules, print the effective config, exit
  std::string demo_feed;        // embedded mode: produce this JSON Lines file into the input topic
  bool exit_when_idle = false;  // exit once everything is consumed and delivered
  std::optional<bool> print_alerts;       // default: on with the embedded broker
  std::optional<std::string> log_format;  // overrides log.format
};

// Returns the process exit code: 0 after a clean stop, 1 when the rules do not load or a
// fatal Kafka error stopped the daemon, 2 for configuration errors.
int run_daemon(const RunOptions& options);

}  // namespace newswatch::app
