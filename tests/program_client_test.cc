// A client program that leaves processes behind: program_client() must not
// leave orphans, and must not wait for them.
//
// Each command runs under /bin/sh -c (sh is the leader of the program's
// process group), writes its group id ($$) to a file, starts a background
// `sleep` in that group and then execs the correct test client. After the
// run no process of the group may be alive. This test process makes itself
// a child subreaper, so that the orphans are reparented to it rather than
// to init (which, in a container, may never reap them) and it can reap the
// killed ones; kill(-pgid, 0) == ESRCH then means the group is gone. Every
// wait is bounded, and whatever a failing test leaves is killed by it.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "sockcheck/runner.h"
#include "sockcheck/scenario_parser.h"

namespace sockcheck {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

const fs::path kEcho =
    fs::path(SOCKCHECK_SOURCE_DIR) / "corpora" / "scenarios" / "echo.scn";

class ProgramClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0) << std::strerror(errno);
    pgid_file_ = fs::path(::testing::TempDir()) /
                 ("sockcheck-pgid-" + std::to_string(::getpid()));
  }
  void TearDown() override {
    if (const pid_t pgid = group_id(); pgid > 1) {
      ::kill(-pgid, SIGKILL);  // a failed test's leftovers
      GroupGone(pgid, seconds(5));
    }
    std::error_code ec;
    fs::remove(pgid_file_, ec);
  }

  // Runs echo.scn (client timeout 1 s, so the deadline is 6 s) against
  // `command` under /bin/sh -c; `$PGID_FILE` in it names the file for $$.
  ScenarioRun Run(const std::string& command) {
    const ParseResult parsed = load_scenario_file(kEcho);
    EXPECT_TRUE(parsed.ok());
    ProgramOptions program;
    program.shell = true;
    program.command = "PGID_FILE='" + pgid_file_.string() + "'; " + command;
    std::string error;
    const auto client = program_client(program, &error);
    EXPECT_NE(client, nullptr) << error;
    RunOptions options;
    options.transport = TransportKind::tcp;
    options.timeout = seconds(1);
    return run_scenario(*parsed.scenario, *client, options);
  }

  // The leader's pid, which is the group's id, as the command wrote it.
  [[nodiscard]] pid_t group_id() const {
    long id = 0;
    std::ifstream(pgid_file_) >> id;
    return static_cast<pid_t>(id);
  }

  // Reaps what the group left to us and waits until none of it exists.
  static bool GroupGone(pid_t pgid, std::chrono::milliseconds within) {
    const auto until = std::chrono::steady_clock::now() + within;
    for (;;) {
      while (::waitpid(-pgid, nullptr, WNOHANG) > 0) {
      }
      if (::kill(-pgid, 0) != 0 && errno == ESRCH) return true;
      if (std::chrono::steady_clock::now() >= until) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling the kernel
    }
  }

  fs::path pgid_file_;
};

const std::string kClient = std::string("exec '") + SOCKCHECK_FAULTY_CLIENT +
                            "' none {host} {port} {timeout_ms}";

TEST_F(ProgramClientTest, AChildHoldingStdoutIsKilledAndDoesNotHoldUpTheRun) {
  // The sleep inherits stdout and keeps it open for 47 s after the client
  // (the leader) has exited.
  const ScenarioRun run = Run("echo $$ > \"$PGID_FILE\"; sleep 47 & " + kClient);
  ASSERT_TRUE(run.error.empty()) << run.error;
  EXPECT_TRUE(run.passed()) << run.client.diagnostics;
  EXPECT_EQ(run.client.exit_status, 0);
  EXPECT_EQ(run.client.response, "hello, echo\n");
  EXPECT_FALSE(run.client.killed_at_deadline);
  // The deadline is 6 s; the client is done in milliseconds.
  EXPECT_LT(run.client.elapsed, seconds(3));
  const pid_t pgid = group_id();
  ASSERT_GT(pgid, 1);
  EXPECT_TRUE(GroupGone(pgid, seconds(2))) << "process group " << pgid
                                           << " outlived the run";
}

TEST_F(ProgramClientTest, AChildThatClosedItsStdioIsKilledToo) {
  const ScenarioRun run =
      Run("echo $$ > \"$PGID_FILE\"; sleep 47 >/dev/null 2>&1 & " + kClient);
  ASSERT_TRUE(run.error.empty()) << run.error;
  EXPECT_TRUE(run.passed()) << run.client.diagnostics;
  const pid_t pgid = group_id();
  ASSERT_GT(pgid, 1);
  EXPECT_TRUE(GroupGone(pgid, seconds(2))) << "process group " << pgid
                                           << " outlived the run";
}

}  // namespace
}  // namespace sockcheck
