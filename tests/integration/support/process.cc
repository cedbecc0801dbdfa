#include "tests/integration/support/process.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;  // NOLINT: POSIX

namespace newswatch::itest {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  if (in) ss << in.rdbuf();
  return ss.str();
}

Error sys_error(const std::string& what, int err) {
  return Error{what + ": " + std::strerror(err), RD_KAFKA_RESP_ERR_NO_ERROR, err};
}

ExitStatus decode_wait_status(int ws) {
  ExitStatus st;
  if (WIFEXITED(ws)) {
    st.exited = true;
    st.code = WEXITSTATUS(ws);
  } else if (WIFSIGNALED(ws)) {
    st.signal = WTERMSIG(ws);
  }
  return st;
}

// posix_spawn attribute/file-action objects with guaranteed destruction.
struct SpawnObjects {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnObjects() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnObjects() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnObjects(const SpawnObjects&) = delete;
  SpawnObjects& operator=(const SpawnObjects&) = delete;
};

}  // namespace

std::string ExitStatus::describe() const {
  if (exited) return "exit " + std::to_string(code);
  return "signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
}

Result<ChildProcess> ChildProcess::spawn(const SpawnOptions& options) {
  if (options.program.empty()) return Error{"spawn: empty program"};
  std::string out_path = options.stdout_path;
  std::string err_path = options.stderr_path;
  if (out_path.empty() || err_path.empty()) {
    std::error_code ec;
    std::string tmpl =
        (std::filesystem::temp_directory_path(ec) / "newswatch-itest-XXXXXX").string();
    if (ec) tmpl = "/tmp/newswatch-itest-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) return sys_error("mkdtemp " + tmpl, errno);
    if (out_path.empty()) out_path = tmpl + "/stdout";
    if (err_path.empty()) err_path = tmpl + "/stderr";
  }

  SpawnObjects so;
  posix_spawn_file_actions_addopen(&so.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&so.actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&so.actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  // Do not leak the test's descriptors (sockets of Kafka clients, ...) into the child.
  posix_spawn_file_actions_addclosefrom_np(&so.actions, 3);
  if (!options.working_dir.empty()) {
    posix_spawn_file_actions_addchdir_np(&so.actions, options.working_dir.c_str());
  }
  // Own process group; default dispositions and an empty mask whatever the test runner set.
  sigset_t all;
  sigset_t none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setflags(&so.attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&so.attr, 0);
  posix_spawnattr_setsigmask(&so.attr, &none);
  posix_spawnattr_setsigdefault(&so.attr, &all);

  std::vector<std::string> argv_s;
  argv_s.push_back(options.program);
  argv_s.insert(argv_s.end(), options.args.begin(), options.args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::map<std::string, std::string> env;
  if (!options.clear_env) {
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      std::string_view kv(*e);
      auto eq = kv.find('=');
      if (eq == std::string_view::npos) continue;
      env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
    }
  }
  for (const auto& [k, v] : options.env) env[k] = v;
  std::vector<std::string> env_s;
  for (const auto& [k, v] : env) env_s.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  const bool search = options.program.find('/') == std::string::npos;
  int rc = search ? ::posix_spawnp(&pid, options.program.c_str(), &so.actions, &so.attr,
                                   argv.data(), envp.data())
                  : ::posix_spawn(&pid, options.program.c_str(), &so.actions, &so.attr, argv.data(),
                                  envp.data());
  if (rc != 0) return sys_error("spawn " + options.program, rc);

  ChildProcess child;
  child.pid_ = pid;
  // glibc 2.36's <sys/pidfd.h> lacks extern "C": call the system call directly.
  child.pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  child.stdout_path_ = std::move(out_path);
  child.stderr_path_ = std::move(err_path);
  return child;
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::exchange(other.pidfd_, -1)),
      status_(std::move(other.status_)),
      stdout_path_(std::move(other.stdout_path_)),
      stderr_path_(std::move(other.stderr_path_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    kill_and_release();
    pid_ = std::exchange(other.pid_, -1);
    pidfd_ = std::exchange(other.pidfd_, -1);
    status_ = std::move(other.status_);
    stdout_path_ = std::move(other.stdout_path_);
    stderr_path_ = std::move(other.stderr_path_);
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  kill_and_release();
}

void ChildProcess::kill_and_release() {
  if (pid_ > 0 && !status_) {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    reap_blocking();
  }
  if (pidfd_ >= 0) ::close(pidfd_);
  pidfd_ = -1;
}

void ChildProcess::reap_blocking() {
  int ws = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &ws, 0);
  } while (r < 0 && errno == EINTR);
  status_ = r == pid_ ? decode_wait_status(ws) : ExitStatus{};
}

Status ChildProcess::signal(int sig) {
  if (pid_ <= 0 || status_) return Error{"signal: the child has already been reaped"};
  if (::kill(pid_, sig) != 0) return sys_error("kill " + std::to_string(pid_), errno);
  return {};
}

std::optional<ExitStatus> ChildProcess::poll() {
  if (status_ || pid_ <= 0) return status_;
  int ws = 0;
  pid_t r = ::waitpid(pid_, &ws, WNOHANG);
  if (r == pid_) {
    status_ = decode_wait_status(ws);
  } else if (r < 0 && errno == ECHILD) {
    status_ = ExitStatus{};  // reaped elsewhere: status unknown
  }
  return status_;
}

std::optional<ExitStatus> ChildProcess::wait_for(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    if (auto st = poll()) return st;
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left <= milliseconds(0)) return std::nullopt;
    if (pidfd_ >= 0) {
      pollfd p{pidfd_, POLLIN, 0};
      ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
    } else {
      std::this_thread::sleep_for(std::min(left, milliseconds(5)));
    }
  }
}

ExitStatus ChildProcess::terminate(milliseconds grace) {
  if (auto st = poll()) return *st;
  ::kill(pid_, SIGTERM);
  if (auto st = wait_for(grace)) return *st;
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  reap_blocking();
  return *status_;
}

std::string ChildProcess::read_stdout() const {
  return read_file(stdout_path_);
}
std::string ChildProcess::read_stderr() const {
  return read_file(stderr_path_);
}

Result<RunResult> run(const SpawnOptions& options, milliseconds timeout) {
  auto child = ChildProcess::spawn(options);
  if (!child.ok()) return child.error();
  auto st = child->wait_for(timeout);
  if (!st) {
    child->terminate(milliseconds(0));
    return Error{options.program + " did not finish within " + std::to_string(timeout.count()) +
                 " ms; stderr:\n" + child->read_stderr()};
  }
  return RunResult{*st, child->read_stdout(), child->read_stderr()};
}

}  // namespace newswatch::itest
