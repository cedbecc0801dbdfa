// Child processes for process-level integration tests (the daemon, the component scripts).
//
//   itest::SpawnOptions o{.program = "/path/to/newswatch", .args = {"--config", cfg}};
//   o.env["NEWSWATCH_LOG_LEVEL"] = "debug";
//   auto child = itest::ChildProcess::spawn(o);
//   ASSERT_TRUE(child.ok()) << child.error();
//   ... child->signal(SIGTERM); auto st = child->wait_for(10s); ... child->read_stderr() ...
//
// A ChildProcess owns its child: if the child is still running when the object is destroyed,
// its whole process group is SIGKILLed and reaped, so a failing test never leaks processes.
// The child runs in a new process group (its pid is the group id), with stdin from /dev/null
// and stdout/stderr written to files that are kept after the test for inspection.
//
// Not thread-safe: use one ChildProcess from one thread at a time.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "tests/integration/support/result.h"

namespace newswatch::itest {

struct SpawnOptions {
  // Path of the executable; without a '/' it is searched in PATH.
  std::string program{};
  // Arguments after argv[0] (argv[0] is `program`).
  std::vector<std::string> args{};
  // Environment: the parent's environment with these variables added or replaced, or only
  // these when clear_env is true.
  std::map<std::string, std::string> env{};
  bool clear_env = false;
  // Working directory of the child; empty: the parent's.
  std::string working_dir{};
  // Where stdout / stderr go (truncated). Empty: files in a fresh directory under
  // $TMPDIR (or /tmp) named newswatch-itest-XXXXXX; see stdout_path()/stderr_path().
  std::string stdout_path{};
  std::string stderr_path{};
};

struct ExitStatus {
  bool exited = false;  // true: normal exit with `code`; false: killed by `signal`
  int code = -1;
  int signal = 0;
  bool success() const { return exited && code == 0; }
  std::string describe() const;  // "exit 0", "signal 9 (Killed)"
};

class ChildProcess {
 public:
  // Starts the child (posix_spawn). Error if the program cannot be started or an output file
  // cannot be created.
  static Result<ChildProcess> spawn(const SpawnOptions& options);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // SIGKILLs the process group and reaps the child if it was not reaped yet.
  ~ChildProcess();

  pid_t pid() const { return pid_; }

  // Sends `sig` to the child (not to its group). Error if the child was already reaped.
  Status signal(int sig);

  // Non-blocking: the exit status if the child has ended (it is then reaped), else nullopt.
  std::optional<ExitStatus> poll();
  // Waits up to `timeout` for the child to end. nullopt on timeout (the child keeps running).
  // Returns the same status again if the child was already reaped.
  std::optional<ExitStatus> wait_for(std::chrono::milliseconds timeout);
  // SIGTERM, wait up to `grace`, then SIGKILL the group; returns the final status.
  ExitStatus terminate(std::chrono::milliseconds grace = std::chrono::seconds(10));

  bool running() { return !poll().has_value(); }

  const std::string& stdout_path() const { return stdout_path_; }
  const std::string& stderr_path() const { return stderr_path_; }
  // Current content of the output files (empty if unreadable).
  std::string read_stdout() const;
  std::string read_stderr() const;

 private:
  ChildProcess() = default;
  void reap_blocking();
  void kill_and_release();  // what the destructor does; leaves the object reusable

  pid_t pid_ = -1;
  int pidfd_ = -1;  // -1 when pidfd_open is unavailable: wait_for() then polls waitpid
  std::optional<ExitStatus> status_;
  std::string stdout_path_;
  std::string stderr_path_;
};

// Runs a program to completion. Error if it cannot start or does not end within `timeout`
// (its process group is then killed; the error message ends with its stderr). Otherwise its
// exit status, whatever it is, and everything it wrote.
struct RunResult {
  ExitStatus status;
  std::string stdout_text;
  std::string stderr_text;
};
Result<RunResult> run(const SpawnOptions& options,
                      std::chrono::milliseconds timeout = std::chrono::seconds(120));

}  // namespace newswatch::itest
