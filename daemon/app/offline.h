// Offline commands of the `newswatch` binary. Each returns the process exit code:
// 0 success, 1 the rules or the tests are wrong, 2 a usage or input error.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace newswatch::app {

struct CheckOptions {
  std::string rules_dir;
  bool quiet = false;
  bool warnings_as_errors = false;
};
int run_check(const CheckOptions& o);

struct TestOptions {
  std::string rules_dir;
};
int run_test(const TestOptions& o);

struct MatchOptions {
  std::string rules_dir;
  std::vector<std::string> inputs;  // files; "-" or empty: stdin
  std::size_t max_message_bytes = 1u << 20;
  bool html = false;
  bool dedup = true;
  bool quiet = false;
  bool rule_counts = false;
};
int run_match(const MatchOptions& o);

struct ExplainOptions {
  std::string rules_dir;
  std::string rule_id;  // empty: every rule that fired
  std::string article;  // a JSON file with one article, or "-"
  bool html = false;
};
int run_explain(const ExplainOptions& o);

}  // namespace newswatch::app
