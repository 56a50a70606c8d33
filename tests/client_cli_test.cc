// `sockcheck client` as a user runs it: the built binary in a child process,
// against a one-connection loopback server. Checks the sample's output
// lines, --raw, --stdin, usage errors and every documented exit status.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <future>
#include <string>

#include "support/one_shot_server.h"
#include "support/run_process.h"

namespace {

using sockcheck::testing::CliRun;
using sockcheck::testing::OneShotServer;
using sockcheck::testing::run_sockcheck;
using namespace std::chrono_literals;

TEST(ClientCliTest, PrintsTheSampleLinesAndExitsZeroAfterOrderlyClose) {
  OneShotServer server([](int fd) {
    OneShotServer::read_to_end(fd);
    OneShotServer::write_all(fd, "hello, client!\n");
  });
  ASSERT_TRUE(server.listening());
  const CliRun r = run_sockcheck({"client", "127.0.0.1", std::to_string(server.port())});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "Bytes Sent: 14\nBytes received: 15\nConnection closed\n");
}

TEST(ClientCliTest, RawModeWritesOnlyTheResponseToStdout) {
  std::string seen;
  CliRun r;
  {
    OneShotServer server([&](int fd) {
      seen = OneShotServer::read_to_end(fd);
      OneShotServer::write_all(fd, std::string("raw\0bytes", 9));
    });
    ASSERT_TRUE(server.listening());
    r = run_sockcheck({"client", "--raw", "--stdin", "127.0.0.1", std::to_string(server.port())},
                "request from stdin");
  }
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(seen, "request from stdin");
  EXPECT_EQ(r.out, std::string("raw\0bytes", 9));
  EXPECT_NE(r.err.find("Connection closed"), std::string::npos);
}

TEST(ClientCliTest, MessageOptionSetsTheRequest) {
  std::string seen;
  {
    OneShotServer server([&](int fd) { seen = OneShotServer::read_to_end(fd); });
    ASSERT_TRUE(server.listening());
    EXPECT_EQ(run_sockcheck({"client", "--message", "ping", "127.0.0.1",
                       std::to_string(server.port())}).status, 0);
  }
  EXPECT_EQ(seen, "ping");
}

// Every subcommand reads its arguments the same way (harness/cli/args.h):
// `--name=value` as well as `--name value`, and `--` before positionals.
TEST(ClientCliTest, OptionsTakeTheirValueAfterAnEqualsSignToo) {
  std::string seen;
  {
    OneShotServer server([&](int fd) { seen = OneShotServer::read_to_end(fd); });
    ASSERT_TRUE(server.listening());
    EXPECT_EQ(run_sockcheck({"client", "--message=ping", "--timeout=10s", "--",
                             "127.0.0.1", std::to_string(server.port())}).status, 0);
  }
  EXPECT_EQ(seen, "ping");
}

TEST(ClientCliTest, ResetExitsFourWithRecvFailedLine) {
  OneShotServer server([](int fd) {
    OneShotServer::read_to_end(fd);
    OneShotServer::write_all(fd, "x");
    OneShotServer::set_reset_on_close(fd);
  });
  ASSERT_TRUE(server.listening());
  const CliRun r = run_sockcheck({"client", "127.0.0.1", std::to_string(server.port())});
  EXPECT_EQ(r.status, 4) << r.out << r.err;
  EXPECT_NE(r.out.find("recv failed: ECONNRESET\n"), std::string::npos) << r.out;
}

TEST(ClientCliTest, TimeoutExitsFive) {
  std::promise<void> done;
  std::future<void> done_future = done.get_future();
  CliRun r;
  {
    OneShotServer server([&](int fd) {
      OneShotServer::read_to_end(fd);
      done_future.wait_for(20s);  // never FIN while the client runs
    });
    ASSERT_TRUE(server.listening());
    r = run_sockcheck({"client", "--timeout", "200ms", "127.0.0.1", std::to_string(server.port())});
    done.set_value();
  }
  EXPECT_EQ(r.status, 5) << r.out << r.err;
  EXPECT_NE(r.out.find("timed out after 200ms"), std::string::npos) << r.out;
}

// A loopback port bound but not listening: every connect to it is refused.
// The socket is closed with the object.
struct RefusingPort {
  RefusingPort() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), len) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
      port = std::to_string(ntohs(a.sin_port));
    }
  }
  ~RefusingPort() {
    if (fd >= 0) ::close(fd);
  }
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;
  int fd = -1;
  std::string port;  // empty if it could not be bound
};

TEST(ClientCliTest, RefusedExitsThree) {
  const RefusingPort refusing;
  ASSERT_FALSE(refusing.port.empty());
  const CliRun r = run_sockcheck({"client", "127.0.0.1", refusing.port});
  EXPECT_EQ(r.status, 3);
  EXPECT_NE(r.out.find("connect failed: ECONNREFUSED"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("retrying"), std::string::npos) << r.out;  // off by default
}

TEST(ClientCliTest, RetriesARefusedConnectionAsManyTimesAsAsked) {
  const RefusingPort refusing;
  ASSERT_FALSE(refusing.port.empty());
  const CliRun r = run_sockcheck({"client", "--retries", "2", "127.0.0.1", refusing.port});
  EXPECT_EQ(r.status, 3);
  EXPECT_NE(r.out.find("retrying (connection 2)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("retrying (connection 3)"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("retrying (connection 4)"), std::string::npos) << r.out;
}

struct UsageCase {
  const char* name;
  std::vector<std::string> args;
  const char* message;
};

class ClientUsageTest : public ::testing::TestWithParam<UsageCase> {};

TEST_P(ClientUsageTest, ExitsTwoWithAMessage) {
  const CliRun r = run_sockcheck(GetParam().args);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(GetParam().message), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Cli, ClientUsageTest,
    ::testing::Values(
        UsageCase{"NoArguments", {}, "usage: sockcheck COMMAND"},
        UsageCase{"UnknownCommand", {"frobnicate"}, "unknown command 'frobnicate'"},
        UsageCase{"MissingPort", {"client", "127.0.0.1"}, "expected HOST and PORT, got 1"},
        UsageCase{"BadPort", {"client", "127.0.0.1", "99999"}, "PORT '99999' is not a number from 1 to 65535"},
        UsageCase{"UnknownOption", {"client", "--bogus", "h", "1"}, "unknown option '--bogus'"},
        UsageCase{"TimeoutWithoutUnit", {"client", "--timeout", "5", "h", "1"}, "--timeout '5': missing unit"},
        UsageCase{"TimeoutMissingValue", {"client", "h", "1", "--timeout"}, "--timeout needs a DURATION"},
        UsageCase{"RetriesNotANumber", {"client", "--retries", "x", "h", "1"},
                  "--retries 'x': expected a whole number from 0 to 100"},
        UsageCase{"RetriesTooMany", {"client", "--retries", "101", "h", "1"},
                  "--retries '101': expected a whole number from 0 to 100"},
        UsageCase{"MessageAndStdin", {"client", "--message", "a", "--stdin", "h", "1"}, "exclusive"},
        UsageCase{"FlagWithAValue", {"client", "--raw=yes", "h", "1"}, "--raw takes no value"},
        UsageCase{"OptionAfterDashDashIsPositional", {"client", "--", "--raw", "h", "1"},
                  "expected HOST and PORT, got 3"}),
    [](const ::testing::TestParamInfo<UsageCase>& p) { return std::string(p.param.name); });

TEST(ClientCliTest, HelpExitsZeroAndDocumentsExitCodes) {
  const CliRun r = run_sockcheck({"client", "--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("exit status:"), std::string::npos);
  EXPECT_NE(r.out.find("5  the timeout passed"), std::string::npos);
}

}  // namespace
