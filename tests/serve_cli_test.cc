// `sockcheck serve` as a user runs it: the built binary (SOCKCHECK_BINARY) as
// a child process, its stdout read line by line while it runs, the
// reference client pointed at the address it prints, signals sent to it.
//
// No sleeps: the test waits for the lines the server prints (each read has
// a deadline of seconds) and for the child's exit (bounded; a child that
// outlives it is killed and the test fails).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "sockcheck/client.h"
#include "sockcheck/posix_transport.h"
#include "support/busy_client.h"
#include "support/run_process.h"

extern char** environ;

namespace sockcheck {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;
using testing::run_sockcheck;

constexpr Duration kGenerous = seconds(20);

// A running `sockcheck serve` with its stdout and stderr on pipes.
class ServeProcess {
 public:
  explicit ServeProcess(const std::vector<std::string>& args) {
    int out[2];
    int err[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return;
    if (::pipe2(err, O_CLOEXEC) != 0) {
      ::close(out[0]);
      ::close(out[1]);
      return;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    std::vector<std::string> storage{SOCKCHECK_BINARY, "serve"};
    storage.insert(storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, SOCKCHECK_BINARY, &actions, nullptr, argv.data(),
                    environ) != 0) {
      pid_ = -1;
    }
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    ::close(err[1]);
    out_fd_ = out[0];
    err_fd_ = err[0];
  }
  ~ServeProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    if (out_fd_ >= 0) ::close(out_fd_);
    if (err_fd_ >= 0) ::close(err_fd_);
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  [[nodiscard]] bool running() const { return pid_ > 0; }

  // The next stdout line (without '\n'), or nullopt at EOF or the timeout.
  std::optional<std::string> read_line(Duration timeout = kGenerous) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto nl = out_buf_.find('\n');
      if (nl != std::string::npos) {
        std::string line = out_buf_.substr(0, nl);
        out_buf_.erase(0, nl + 1);
        return line;
      }
      if (!fill(out_fd_, out_buf_, deadline)) return std::nullopt;
    }
  }

  void signal(int sig) { ::kill(pid_, sig); }

  // Waits for the exit status, reading the rest of both streams; kills the
  // child (and returns -1) if it has not exited by the timeout.
  int wait_exit(Duration timeout = kGenerous) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (fill(out_fd_, out_buf_, deadline)) {
    }
    while (fill(err_fd_, err_buf_, deadline)) {
    }
    int status = 0;
    if (std::chrono::steady_clock::now() >= deadline) ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  [[nodiscard]] const std::string& rest_of_stdout() const { return out_buf_; }
  [[nodiscard]] const std::string& stderr_text() const { return err_buf_; }

 private:
  // Reads what is there; false at EOF or when the deadline passed.
  static bool fill(int fd, std::string& buf, TimePoint deadline) {
    const auto left = std::chrono::duration_cast<milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[4096];
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n <= 0) return false;
    buf.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_buf_;
  std::string err_buf_;
};

// Writes scenario files into a directory of the test's own.
class ServeCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("serve-cli-" + std::string(info->name()) + "-" +
            std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string write_scenario(const std::string& name, const std::string& text) {
    const auto path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }

  std::filesystem::path dir_;
};

// "listening on 127.0.0.1:4242" -> the endpoint.
std::optional<Endpoint> parse_listening(const std::string& line) {
  const std::string prefix = "listening on ";
  if (line.rfind(prefix, 0) != 0) return std::nullopt;
  std::string rest = line.substr(prefix.size());
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  Endpoint e;
  e.host = rest.substr(0, colon);
  if (e.host.size() > 2 && e.host.front() == '[') {
    e.host = e.host.substr(1, e.host.size() - 2);
  }
  e.port = static_cast<std::uint16_t>(std::stoi(rest.substr(colon + 1)));
  return e;
}

ClientResult RunClient(const Endpoint& to, Duration timeout = seconds(10)) {
  PosixTransport transport;
  ClientOptions options;
  options.timeout = timeout;
  return run_client(transport, to, as_bytes("this is a test"), options);
}

constexpr const char* kOrderly =
    "scenario orderly\n"
    "read until-fin\n"
    "write \"hello from server\"\n";

// --- usage -------------------------------------------------------------------

TEST_F(ServeCliTest, HelpExitsZero) {
  const auto r = run_sockcheck({"serve", "--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_THAT(r.out, StartsWith("usage: sockcheck serve [OPTIONS] SCENARIO\n"));
  EXPECT_THAT(r.out, HasSubstr("--connections N"));
  const auto top = run_sockcheck({"--help"});
  EXPECT_THAT(top.out, HasSubstr("serve SCENARIO"));
}

TEST_F(ServeCliTest, UsageErrorsExitTwo) {
  const std::string ok = write_scenario("ok.scn", kOrderly);
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"serve"}, "expected one SCENARIO file, got 0 argument(s)"},
      {{"serve", ok, ok}, "expected one SCENARIO file, got 2 argument(s)"},
      {{"serve", "--bogus", ok}, "unknown option '--bogus'"},
      {{"serve", ok, "--listen"}, "--listen needs an ADDR:PORT argument"},
      {{"serve", ok, "--listen", "127.0.0.1"}, "expected ADDR:PORT"},
      {{"serve", ok, "--listen", "::1:0"}, "IPv6 in brackets"},
      {{"serve", ok, "--listen", "[::1]"}, "expected ADDR:PORT"},
      {{"serve", ok, "--listen", "127.0.0.1:65536"}, "expected ADDR:PORT"},
      {{"serve", ok, "--listen", "localhost:0"}, "not a numeric IPv4 or IPv6"},
      {{"serve", ok, "--connections", "-1"}, "is not a whole number"},
      {{"serve", ok, "--connections"}, "--connections needs a number"},
      {{"serve", ok, "--connections=x"}, "--connections 'x' is not a whole number"},
      {{"serve", ok, "--events=yes"}, "--events takes no value"},
      {{"serve", ok, "--listen", "0.0.0.0:0"},
       "Add --allow-non-loopback to bind it anyway."},
      {{"serve", ok, "--listen", "[::ffff:127.0.0.1]:0"},
       "sockcheck serve: ::ffff:127.0.0.1 is an IPv4-mapped IPv6 address; "
       "listen on 127.0.0.1 instead"},
  };
  for (const auto& [args, message] : cases) {
    const auto r = run_sockcheck(args);
    EXPECT_EQ(r.status, 2) << ::testing::PrintToString(args) << "\n" << r.err;
    EXPECT_THAT(r.err, HasSubstr(message)) << ::testing::PrintToString(args);
    EXPECT_EQ(r.out, "") << ::testing::PrintToString(args);
  }
}

TEST_F(ServeCliTest, ScenarioErrorsExitTwoWithTheParserLocation) {
  const std::string bad = write_scenario("bad.scn",
                                         "scenario bad\n"
                                         "wirte \"x\"\n");
  const auto r = run_sockcheck({"serve", bad});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, StartsWith(bad + ":2:1: unknown keyword 'wirte'"));
  EXPECT_THAT(r.err, HasSubstr("\n  wirte \"x\"\n  ^\n"));
  EXPECT_EQ(r.out, "");

  // A terminal escape sequence in the line is shown, not sent.
  const std::string evil = write_scenario("evil.scn",
                                          "scenario evil\n"
                                          "\x1b]0;owned\x07wirte\n");
  const auto shown = run_sockcheck({"serve", evil});
  EXPECT_EQ(shown.status, 2);
  EXPECT_EQ(shown.err, evil + ":2:1: unexpected control character '\\x1b'\n"
                              "  \\x1b]0;owned\\x07wirte\n"
                              "  ^\n");

  const auto missing = run_sockcheck({"serve", (dir_ / "nope.scn").string()});
  EXPECT_EQ(missing.status, 2);
  EXPECT_THAT(missing.err, HasSubstr("nope.scn"));
}

// --- serving -----------------------------------------------------------------

TEST_F(ServeCliTest, ListeningFirstThenOneLinePerConnection) {
  ServeProcess serve({write_scenario("orderly.scn", kOrderly),
                      "--connections", "2"});
  ASSERT_TRUE(serve.running());
  const auto first = serve.read_line();
  ASSERT_TRUE(first.has_value()) << serve.stderr_text();
  EXPECT_THAT(*first, MatchesRegex("listening on 127\\.0\\.0\\.1:[0-9]+"));
  const auto ep = parse_listening(*first);
  ASSERT_TRUE(ep.has_value());

  for (int i = 1; i <= 2; ++i) {
    const ClientResult c = RunClient(*ep);
    EXPECT_EQ(c.outcome, Outcome::closed);
    EXPECT_EQ(c.response, "hello from server");
    const auto line = serve.read_line();
    ASSERT_TRUE(line.has_value());
    EXPECT_THAT(*line,
                MatchesRegex("connection " + std::to_string(i) +
                             ": received 14 bytes \\(= request\\), client FIN "
                             "at \\+[0-9]+ms, sent 17 bytes, script completed "
                             "in [0-9]+ms"));
  }
  EXPECT_EQ(serve.wait_exit(), 0) << serve.stderr_text();
  EXPECT_EQ(serve.rest_of_stdout(), "");
  EXPECT_EQ(serve.stderr_text(), "");
}

TEST_F(ServeCliTest, AFailedStepExitsOneAndSaysWhere) {
  ServeProcess serve({write_scenario("short.scn",
                                     "scenario short\n"
                                     "read 100\n"
                                     "write \"never\"\n")});
  const auto first = serve.read_line();
  ASSERT_TRUE(first.has_value()) << serve.stderr_text();
  const auto ep = parse_listening(*first);
  ASSERT_TRUE(ep.has_value()) << *first;
  EXPECT_EQ(RunClient(*ep).outcome, Outcome::reset);
  const auto line = serve.read_line();
  ASSERT_TRUE(line.has_value());
  EXPECT_THAT(*line, StartsWith("connection 1: received 14 bytes (= request), "
                                "client FIN at +"));
  EXPECT_THAT(*line, HasSubstr(", FAILED: step 1 (read) at line 2: client FIN "
                               "after 14 of 100 bytes"));
  EXPECT_EQ(serve.wait_exit(), 1);
}

TEST_F(ServeCliTest, EventsOptionPrintsTheLog) {
  ServeProcess serve({write_scenario("orderly.scn", kOrderly), "--events",
                      "--connections=1"});
  const auto first = serve.read_line();
  ASSERT_TRUE(first.has_value()) << serve.stderr_text();
  EXPECT_EQ(RunClient(*parse_listening(*first)).outcome, Outcome::closed);
  const auto line = serve.read_line();
  ASSERT_TRUE(line.has_value());
  EXPECT_THAT(*line, StartsWith("connection 1: "));
  const auto accepted = serve.read_line();
  ASSERT_TRUE(accepted.has_value());
  EXPECT_THAT(*accepted, MatchesRegex("  \\+[0-9]+ms accepted"));
  EXPECT_EQ(serve.wait_exit(), 0);
  EXPECT_THAT(serve.rest_of_stdout(), HasSubstr("ms close (FIN sent)\n"));
}

TEST_F(ServeCliTest, Ipv6ListenAddress) {
  ServeProcess serve({write_scenario("orderly.scn", kOrderly), "--listen",
                      "[::1]:0"});
  const auto first = serve.read_line();
  if (!first.has_value()) {
    const int status = serve.wait_exit();
    if (status == 1 && serve.stderr_text().find("bind") != std::string::npos) {
      GTEST_SKIP() << "cannot bind ::1 on this host: " << serve.stderr_text();
    }
    FAIL() << "no output; status " << status << ": " << serve.stderr_text();
  }
  EXPECT_THAT(*first, MatchesRegex("listening on \\[::1\\]:[0-9]+"));
  const auto ep = parse_listening(*first);
  ASSERT_TRUE(ep.has_value());
  EXPECT_EQ(ep->host, "::1");
  EXPECT_EQ(RunClient(*ep).outcome, Outcome::closed);
  EXPECT_TRUE(serve.read_line().has_value());
  EXPECT_EQ(serve.wait_exit(), 0);
}

TEST_F(ServeCliTest, UnboundedServerEndsCleanlyOnSigterm) {
  ServeProcess serve({write_scenario("orderly.scn", kOrderly),
                      "--connections", "0"});
  const auto first = serve.read_line();
  ASSERT_TRUE(first.has_value()) << serve.stderr_text();
  const auto ep = parse_listening(*first);
  ASSERT_TRUE(ep.has_value());
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(RunClient(*ep).outcome, Outcome::closed);
    const auto line = serve.read_line();
    ASSERT_TRUE(line.has_value());
    EXPECT_THAT(*line, StartsWith("connection " + std::to_string(i) + ": "));
  }
  serve.signal(SIGTERM);
  EXPECT_EQ(serve.wait_exit(), 0) << serve.stderr_text();
}

TEST_F(ServeCliTest, SigintCutsAHangShortAndExitsOne) {
  ServeProcess serve({write_scenario("hang.scn",
                                     "scenario hang\n"
                                     "read until-fin\n"
                                     "hang\n"),
                      "--connections", "0"});
  const auto first = serve.read_line();
  ASSERT_TRUE(first.has_value()) << serve.stderr_text();
  const auto ep = parse_listening(*first);
  ASSERT_TRUE(ep.has_value());
  EXPECT_EQ(RunClient(*ep, milliseconds(200)).outcome, Outcome::timed_out);
  const auto before = std::chrono::steady_clock::now();
  serve.signal(SIGINT);
  const auto line = serve.read_line();
  ASSERT_TRUE(line.has_value());
  EXPECT_THAT(*line, HasSubstr("FAILED: step 2 (hang) at line 3: stopped by "
                               "the server"));
  EXPECT_EQ(serve.wait_exit(), 1);
  // Well before the hang's deadline (5s + 5s).
  EXPECT_LT(std::chrono::steady_clock::now() - before, seconds(4));
}

// A client that sends without pause keeps the script's reads busy (1-byte
// pieces, so the server is far slower than the client and never finds its
// queue empty): SIGINT and SIGTERM must still end `serve` at once, not when
// the client stops (after 12 s, by itself) or at the deadline (15 s).
class ServeCliSignalTest : public ServeCliTest,
                           public ::testing::WithParamInterface<int> {};

TEST_P(ServeCliSignalTest, StopsAtOnceWhileAClientFloods) {
  ServeProcess serve({write_scenario("flood.scn",
                                     "scenario flood\n"
                                     "timeout 10s\n"
                                     "write \"go\"\n"
                                     "read until-fin chunk 1\n")});
  const auto first = serve.read_line();
  ASSERT_TRUE(first.has_value()) << serve.stderr_text();
  const auto ep = parse_listening(*first);
  ASSERT_TRUE(ep.has_value());
  testing::BusyClient::Options flood;
  flood.port = ep->port;
  flood.greeting = 2;  // "go": the script runs
  flood.for_at_most = seconds(12);
  testing::BusyClient client(flood);
  ASSERT_TRUE(client.wait_until_moved(1u << 20, kGenerous)) << client.ending();

  const auto before = std::chrono::steady_clock::now();
  serve.signal(GetParam());
  const int status = serve.wait_exit();
  const auto took = std::chrono::steady_clock::now() - before;
  EXPECT_LT(took, seconds(1));
  std::cout << "[ info ] " << sigabbrev_np(GetParam()) << " to exit under a flood: "
            << std::chrono::duration_cast<milliseconds>(took).count() << " ms\n";
  EXPECT_EQ(status, 1);
  // What was observed so far is reported, and why it ended.
  EXPECT_THAT(serve.rest_of_stdout(),
              MatchesRegex("connection 1: received [0-9]+ bytes \\(not the "
                           "14-byte request\\), no client FIN, sent 2 bytes, "
                           "FAILED: step 2 \\(read until-fin\\) at line 4: "
                           "stopped by the server after [0-9]+ bytes\n"));
  EXPECT_THAT(serve.stderr_text(),
              HasSubstr(std::string("interrupted by SIG") +
                        sigabbrev_np(GetParam()) + " after 0 of 1 connection\n"));
}

INSTANTIATE_TEST_SUITE_P(Signals, ServeCliSignalTest,
                         ::testing::Values(SIGINT, SIGTERM),
                         [](const ::testing::TestParamInfo<int>& p) {
                           return std::string(sigabbrev_np(p.param));
                         });

TEST_F(ServeCliTest, InterruptedBeforeEveryConnectionExitsOne) {
  ServeProcess serve({write_scenario("orderly.scn", kOrderly),
                      "--connections", "2"});
  const auto first = serve.read_line();
  ASSERT_TRUE(first.has_value()) << serve.stderr_text();
  EXPECT_EQ(RunClient(*parse_listening(*first)).outcome, Outcome::closed);
  ASSERT_TRUE(serve.read_line().has_value());
  serve.signal(SIGTERM);
  EXPECT_EQ(serve.wait_exit(), 1);
  EXPECT_THAT(serve.stderr_text(),
              HasSubstr("interrupted by SIGTERM after 1 of 2 connections"));
}

TEST_F(ServeCliTest, RefuseKeepsThePortRefusingUntilInterrupted) {
  ServeProcess serve({write_scenario("refuse.scn", "scenario r\nrefuse\n"),
                      "--connections", "0"});
  const auto first = serve.read_line();
  ASSERT_TRUE(first.has_value()) << serve.stderr_text();
  const auto ep = parse_listening(*first);
  ASSERT_TRUE(ep.has_value());
  const auto line = serve.read_line();
  ASSERT_TRUE(line.has_value());
  EXPECT_THAT(*line, StartsWith("connection 1: refused: port bound but never "
                                "listening"));
  EXPECT_THAT(*line, HasSubstr("script completed"));
  EXPECT_EQ(RunClient(*ep).outcome, Outcome::refused);
  EXPECT_EQ(RunClient(*ep).outcome, Outcome::refused);
  serve.signal(SIGTERM);
  EXPECT_EQ(serve.wait_exit(), 0) << serve.stderr_text();
}

}  // namespace
}  // namespace sockcheck
