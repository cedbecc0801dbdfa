// ChildProcess / run() of newswatch_itest.
#include "tests/integration/support/process.h"

#include <cerrno>
#include <chrono>
#include <string>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>

namespace newswatch::itest {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(ChildProcessTest, CapturesOutputsAndExitCode) {
  auto r = run({.program = "/bin/sh", .args = {"-c", "echo out; echo err >&2; exit 3"}});
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_TRUE(r->status.exited);
  EXPECT_EQ(r->status.code, 3);
  EXPECT_FALSE(r->status.success());
  EXPECT_EQ(r->stdout_text, "out\n");
  EXPECT_EQ(r->stderr_text, "err\n");
}

TEST(ChildProcessTest, PassesArgumentsAndEnvironment) {
  SpawnOptions o{
      .program = "sh",
      .args = {"-c", "printf '%s|%s|%s' \"$0\" \"$1\" \"$ITEST_VAR\"", "zero", "one two"}};
  o.env["ITEST_VAR"] = "from test";
  auto r = run(o);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->stdout_text, "zero|one two|from test");

  // clear_env: only what the test passes.
  SpawnOptions c{.program = "/bin/sh", .args = {"-c", "printf '%s' \"${HOME:-unset}\""}};
  c.clear_env = true;
  auto rc = run(c);
  ASSERT_TRUE(rc.ok()) << rc.error();
  EXPECT_EQ(rc->stdout_text, "unset");
}

TEST(ChildProcessTest, SignalsAndWaitsWithTimeout) {
  auto child = ChildProcess::spawn({.program = "/bin/sleep", .args = {"100"}});
  ASSERT_TRUE(child.ok()) << child.error();
  EXPECT_EQ(child->wait_for(milliseconds(100)), std::nullopt);
  EXPECT_TRUE(child->running());
  ASSERT_TRUE(child->signal(SIGTERM).ok());
  auto st = child->wait_for(seconds(10));
  ASSERT_TRUE(st.has_value());
  EXPECT_FALSE(st->exited);
  EXPECT_EQ(st->signal, SIGTERM);
  EXPECT_EQ(st->describe(), "signal 15 (Terminated)");
  EXPECT_FALSE(child->signal(SIGTERM).ok());  // already reaped
}

TEST(ChildProcessTest, TerminateEscalatesToKill) {
  // The shell ignores SIGTERM, so terminate() must escalate.
  auto child =
      ChildProcess::spawn({.program = "/bin/sh",
                           .args = {"-c", "trap '' TERM; echo ready; while :; do sleep 1; done"}});
  ASSERT_TRUE(child.ok()) << child.error();
  // Wait until the trap is installed (the child says so) before signalling.
  const auto deadline = std::chrono::steady_clock::now() + seconds(10);
  while (child->read_stdout().empty() && std::chrono::steady_clock::now() < deadline) {
    ASSERT_EQ(child->wait_for(milliseconds(10)), std::nullopt);
  }
  ASSERT_EQ(child->read_stdout(), "ready\n");
  ExitStatus st = child->terminate(milliseconds(300));
  EXPECT_FALSE(st.exited);
  EXPECT_EQ(st.signal, SIGKILL);
}

TEST(ChildProcessTest, DestructorKillsTheProcessGroup) {
  pid_t pid = -1;
  {
    auto child = ChildProcess::spawn({.program = "/bin/sleep", .args = {"100"}});
    ASSERT_TRUE(child.ok()) << child.error();
    pid = child->pid();
    ASSERT_EQ(::kill(pid, 0), 0);
  }
  EXPECT_EQ(::kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST(ChildProcessTest, RunTimesOut) {
  auto r = run({.program = "/bin/sleep", .args = {"100"}}, milliseconds(200));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("did not finish"), std::string::npos) << r.error();
}

TEST(ChildProcessTest, MissingProgramIsAnError) {
  auto child = ChildProcess::spawn({.program = "/nonexistent/newswatch-itest"});
  ASSERT_FALSE(child.ok());
  EXPECT_EQ(child.error().sys_errno, ENOENT) << child.error();
}

TEST(ChildProcessTest, DoesNotLeakDescriptors) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);  // deliberately not CLOEXEC
  auto r = run({.program = "/bin/sh", .args = {"-c", "ls /proc/self/fd | wc -l"}});
  ::close(fds[0]);
  ::close(fds[1]);
  ASSERT_TRUE(r.ok()) << r.error();
  // 0, 1, 2 and the descriptor ls uses to read the directory.
  EXPECT_EQ(r->stdout_text, "4\n");
}

}  // namespace
}  // namespace newswatch::itest
