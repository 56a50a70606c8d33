// The loopback server against the reference client over real TCP, and
// against raw-socket clients that misbehave.
//
// Each fault kind is run against run_client() with PosixTransport, and the
// test checks the outcome a conforming client must report together with
// what the server observed. Scenarios are built in code so these tests do
// not depend on the parser. Timing assertions are one-sided (a delay is at
// least its length) and every wait has a deadline of seconds; the only tests
// that take seconds are the ones whose subject is the server's own deadline
// (Scenario::deadline() = client timeout + 5s).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sockcheck/client.h"
#include "sockcheck/loopback_server.h"
#include "sockcheck/posix_transport.h"
#include "sockcheck/scenario.h"
#include "sockcheck/script_plan.h"
#include "support/busy_client.h"

namespace sockcheck {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr Duration kGenerous = seconds(20);

// --- scenario building -------------------------------------------------

DataSpec Literal(std::string text) {
  return {DataSpec::Kind::literal, std::move(text), 0, 0};
}

Step Make(Step::Kind kind) {
  Step s;
  s.kind = kind;
  return s;
}
Step Accept(Duration delay) {
  Step s = Make(Step::Kind::accept);
  s.delay = delay;
  return s;
}
Step Read(std::uint64_t n) {
  Step s = Make(Step::Kind::read);
  s.count = n;
  return s;
}
Step ReadUntilFin() { return Make(Step::Kind::read_until_fin); }
Step RecvBuffer(std::uint64_t n) {
  Step s = Make(Step::Kind::recv_buffer);
  s.count = n;
  return s;
}
Step Write(DataSpec data, std::uint64_t chunk = 0, Duration gap = {}) {
  Step s = Make(Step::Kind::write);
  s.data = std::move(data);
  s.chunk = chunk;
  s.gap = gap;
  return s;
}
Step Write(std::string text, std::uint64_t chunk = 0, Duration gap = {}) {
  return Write(Literal(std::move(text)), chunk, gap);
}
Step Sleep(Duration d) {
  Step s = Make(Step::Kind::sleep);
  s.delay = d;
  return s;
}

Scenario MakeScenario(std::vector<Step> steps,
                      Duration client_timeout = seconds(5)) {
  Scenario sc;
  sc.name = "test";
  sc.client_timeout = client_timeout;
  ConnectionScript script;
  script.steps = std::move(steps);
  sc.scripts.push_back(std::move(script));
  return sc;
}

// --- running ------------------------------------------------------------

struct Exchange {
  ClientResult client;
  Duration elapsed{};
};

Exchange RunReferenceClient(const Endpoint& to, const std::string& request,
                            Duration timeout = seconds(10)) {
  PosixTransport transport;
  ClientOptions options;
  options.timeout = timeout;
  const auto start = std::chrono::steady_clock::now();
  Exchange e;
  e.client = run_client(transport, to, as_bytes(request), options);
  e.elapsed = std::chrono::steady_clock::now() - start;
  return e;
}

// Starts `server` on `scenario` and fails the test if it cannot.
Endpoint StartOrDie(LoopbackServer& server, const Scenario& scenario,
                    const LoopbackServerOptions& options = {}) {
  const LoopbackStart started = server.start(scenario, options);
  EXPECT_TRUE(started.ok()) << started.error;
  return started.endpoint;
}

// The single observation after `n` connections finished.
std::vector<ServerObservation> WaitFor(LoopbackServer& server, std::size_t n) {
  const LoopbackWait w = server.wait_for_connections(n, kGenerous);
  EXPECT_TRUE(w) << w.message;
  return server.observations();
}

std::string Events(const ServerObservation& o) {
  std::string out;
  for (const auto& e : o.events) {
    out += "  +" +
           std::to_string(
               std::chrono::duration_cast<milliseconds>(e.at).count()) +
           "ms " + e.what + "\n";
  }
  return out;
}

// --- raw-socket clients ---------------------------------------------------

// A blocking client socket with kernel timeouts as a safety net; tests use
// poll() with deadlines for anything they wait on.
class RawClient {
 public:
  explicit RawClient(const Endpoint& to, int rcvbuf = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return;
    if (rcvbuf > 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    }
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(to.port);
    ::inet_pton(AF_INET, to.host.c_str(), &sin.sin_addr);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&sin), sizeof sin) !=
        0) {
      connect_errno_ = errno;
      close();
    }
  }
  ~RawClient() { close(); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  [[nodiscard]] bool connected() const { return fd_ >= 0; }
  [[nodiscard]] int connect_errno() const { return connect_errno_; }
  bool send_all(const std::string& data) {
    std::size_t off = 0;
    while (off < data.size()) {
      const ssize_t n =
          ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<std::size_t>(n);
    }
    return true;
  }
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }
  // Waits up to `timeout` for something to read, then reads once.
  // Returns bytes read, 0 at FIN, -errno on error, nullopt on timeout.
  std::optional<long> read_once(Duration timeout, std::string* into = nullptr) {
    pollfd p{fd_, POLLIN, 0};
    const int ms = static_cast<int>(
        std::chrono::duration_cast<milliseconds>(timeout).count());
    if (::poll(&p, 1, ms) <= 0) return std::nullopt;
    char buf[65536];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) return -errno;
    if (into != nullptr) into->append(buf, static_cast<std::size_t>(n));
    return n;
  }
  void reset() {
    const linger lg{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close();
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  int connect_errno_ = 0;
};

std::size_t OpenDescriptors() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator("/proc/self/fd")) {
    ++n;
  }
  return n;
}

const std::string kRequest = "this is a test";
const std::string kPattern =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

// A write size that cannot fit in a 4 KiB receive buffer plus the largest
// send buffer Linux autotunes to (tcp_wmem's maximum, 4 MiB by default), so
// a write of it to a client that does not read must block.
std::uint64_t UnfillableSize() {
  std::uint64_t min = 0, def = 0, max = 4u << 20;
  std::ifstream("/proc/sys/net/ipv4/tcp_wmem") >> min >> def >> max;
  return std::max<std::uint64_t>(16u << 20, 4 * max);
}
const std::string kReply = "hello from server";

// --- each fault kind against the reference client -------------------------

TEST(LoopbackServerTest, OrderlyReplyIsClosedWithExactBytes) {
  LoopbackServer server;
  const Endpoint ep =
      StartOrDie(server, MakeScenario({ReadUntilFin(), Write(kReply)}));
  EXPECT_EQ(ep.host, "127.0.0.1");
  EXPECT_NE(ep.port, 0);

  const Exchange e = RunReferenceClient(ep, kRequest);
  EXPECT_EQ(e.client.outcome, Outcome::closed);
  EXPECT_EQ(e.client.response, kReply);

  const auto obs = WaitFor(server, 1);
  ASSERT_EQ(obs.size(), 1u);
  const ServerObservation& o = obs[0];
  EXPECT_EQ(o.connection, 1);
  EXPECT_TRUE(o.accepted);
  EXPECT_FALSE(o.refused);
  EXPECT_EQ(o.received, kRequest);
  EXPECT_TRUE(o.saw_client_fin);
  EXPECT_LE(o.client_fin_at, o.duration);
  EXPECT_FALSE(o.client_reset);
  EXPECT_EQ(o.bytes_sent, kReply.size());
  EXPECT_FALSE(o.closed_with_unread);
  EXPECT_TRUE(o.script_completed) << o.failure;
  EXPECT_EQ(o.failure, "");
  ASSERT_GE(o.events.size(), 4u) << Events(o);
  EXPECT_EQ(o.events.front().what, "accepted");
  EXPECT_EQ(o.events.back().what, "close (FIN sent)") << Events(o);
  for (std::size_t i = 1; i < o.events.size(); ++i) {
    EXPECT_LE(o.events[i - 1].at, o.events[i].at) << Events(o);
  }
}

TEST(LoopbackServerTest, OneByteChunksArriveWhole) {
  LoopbackServer server;
  const Endpoint ep = StartOrDie(
      server,
      MakeScenario({ReadUntilFin(), Write(kReply, 1, milliseconds(1))}));
  const Exchange e = RunReferenceClient(ep, kRequest);
  EXPECT_EQ(e.client.outcome, Outcome::closed);
  EXPECT_EQ(e.client.response, kReply);
  const auto obs = WaitFor(server, 1);
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_TRUE(obs[0].script_completed) << obs[0].failure;
  EXPECT_THAT(Events(obs[0]),
              HasSubstr("wrote 17 bytes in 17 pieces"));
}

TEST(LoopbackServerTest, SlowReaderInChunksStillGetsTheWholeRequest) {
  Step slow = ReadUntilFin();
  slow.chunk = 3;
  slow.gap = milliseconds(2);
  LoopbackServer server;
  const Endpoint ep = StartOrDie(server, MakeScenario({slow, Write(kReply)}));
  const Exchange e = RunReferenceClient(ep, kRequest);
  EXPECT_EQ(e.client.outcome, Outcome::closed);
  const auto obs = WaitFor(server, 1);
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_EQ(obs[0].received, kRequest);
  // 14 bytes in pieces of at most 3: at least 5 recvs.
  EXPECT_THAT(Events(obs[0]), HasSubstr("read 14 bytes in"));
  EXPECT_THAT(Events(obs[0]), ::testing::Not(HasSubstr("in 1 recv\n")));
}

// A chunked read pauses only after a whole piece: the request arriving in
// two parts is one 6-byte piece, read without the 30 s gap in between, so
// the reply written after it comes long before the gap would have ended.
TEST(LoopbackServerTest, AChunkedReadPausesOnlyAfterAWholePiece) {
  Step piece = Read(6);
  piece.chunk = 6;
  piece.gap = seconds(30);
  LoopbackServer server;
  const Endpoint ep = StartOrDie(server, MakeScenario({piece, Write("x")}));
  RawClient raw(ep);
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.send_all("abc"));
  std::this_thread::sleep_for(milliseconds(300));  // usually two recvs
  ASSERT_TRUE(raw.send_all("def"));
  std::string reply;
  EXPECT_EQ(raw.read_once(kGenerous, &reply), 1) << "no reply within "
                                                     "20 s: the server paused mid-piece";
  EXPECT_EQ(reply, "x");
  raw.shutdown_write();
  const auto obs = WaitFor(server, 1);
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_EQ(obs[0].received, "abcdef");
  EXPECT_TRUE(obs[0].script_completed) << obs[0].failure;
}

TEST(LoopbackServerTest, ResetMidResponseIsReset) {
  LoopbackServer server;
  const Endpoint ep = StartOrDie(
      server, MakeScenario({ReadUntilFin(), Write("partial"),
                            Make(Step::Kind::reset)}));
  const Exchange e = RunReferenceClient(ep, kRequest);
  EXPECT_EQ(e.client.outcome, Outcome::reset);
  // Linux keeps queued data readable before the error; never more than sent.
  EXPECT_THAT(std::string("partial"), StartsWith(e.client.response));
  const auto obs = WaitFor(server, 1);
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_TRUE(obs[0].script_completed) << obs[0].failure;
  EXPECT_EQ(obs[0].events.back().what, "reset (RST)");
}

TEST(LoopbackServerTest, EarlyCloseBeforeReadingIsResetOrClosed) {
  LoopbackServer server;
  const Endpoint ep =
      StartOrDie(server, MakeScenario({Make(Step::Kind::close)}));
  const Exchange e = RunReferenceClient(ep, kRequest);
  // If the request is already queued when the server closes, the kernel
  // turns the close into RST (reset); if the close wins the race, the client
  // reads FIN with no data (closed, empty). Both are allowed.
  EXPECT_THAT(e.client.outcome, AnyOf(Outcome::reset, Outcome::closed));
  if (e.client.outcome == Outcome::closed) {
    EXPECT_EQ(e.client.response, "");
  }
  std::cout << "[ info ] early close: the kernel gave "
            << to_string(e.client.outcome) << "\n";
  const auto obs = WaitFor(server, 1);
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_TRUE(obs[0].script_completed) << obs[0].failure;
  EXPECT_EQ(obs[0].received, "");
  // A close that found the request queued must have reset the client.
  if (obs[0].closed_with_unread) {
    EXPECT_EQ(e.client.outcome, Outcome::reset);
  }
}

TEST(LoopbackServerTest, CloseWithUnreadRequestIsRecordedAndResets) {
  // The request goes out in one send, hence one segment: once the server has
  // read 4 bytes of it, the other 10 are queued for sure, and the close must
  // turn into RST.
  LoopbackServer server;
  const Endpoint ep =
      StartOrDie(server, MakeScenario({Read(4), Make(Step::Kind::close)}));
  RawClient raw(ep);
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.send_all(kRequest));
  const auto obs = WaitFor(server, 1);
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_TRUE(obs[0].script_completed) << obs[0].failure;
  EXPECT_EQ(obs[0].received, "this");
  EXPECT_TRUE(obs[0].closed_with_unread);
  EXPECT_THAT(Events(obs[0]),
              HasSubstr("close with 10 unread bytes (the kernel sends RST)"));
  const auto r = raw.read_once(kGenerous);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, -ECONNRESET);
}

TEST(LoopbackServerTest, DelayedFinIsClosed) {
  LoopbackServer server;
  const Endpoint ep = StartOrDie(
      server, MakeScenario({ReadUntilFin(), Write(kReply),
                            Sleep(milliseconds(200)),
                            Make(Step::Kind::close)}));
  const Exchange e = RunReferenceClient(ep, kRequest);
  EXPECT_EQ(e.client.outcome, Outcome::closed);
  EXPECT_EQ(e.client.response, kReply);
  EXPECT_GE(e.elapsed, milliseconds(200));
  const auto obs = WaitFor(server, 1);
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_TRUE(obs[0].script_completed) << obs[0].failure;
  EXPECT_THAT(Events(obs[0]), HasSubstr("slept 200ms"));
}

TEST(LoopbackServerTest, HangMakesTheClientTimeOutAndStopInterruptsIt) {
  LoopbackServer server;
  const Endpoint ep = StartOrDie(
      server,
      MakeScenario({ReadUntilFin(), Write("partial"), Make(Step::Kind::hang)},
                   milliseconds(300)));
  const Exchange e = RunReferenceClient(ep, kRequest, milliseconds(300));
  EXPECT_EQ(e.client.outcome, Outcome::timed_out);
  EXPECT_EQ(e.client.response, "partial");

  // The hang would last until the deadline (300ms + 5s); stop() must end it
  // at once and say so.
  const auto before = std::chrono::steady_clock::now();
  server.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, seconds(2));
  const auto obs = server.observations();
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_FALSE(obs[0].script_completed);
  EXPECT_EQ(obs[0].failure, "step 3 (hang): stopped by the server");
  EXPECT_EQ(obs[0].received, kRequest);
  EXPECT_EQ(obs[0].bytes_sent, 7u);
}

TEST(LoopbackServerTest, HangEndsWhenTheClientResets) {
  LoopbackServer server;
  const Endpoint ep = StartOrDie(
      server, MakeScenario({ReadUntilFin(), Make(Step::Kind::hang)}));
  RawClient raw(ep);
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.send_all(kRequest));
  raw.shutdown_write();
  // A FIN alone must not end the hang (a half-closing client still waits);
  // the server is still hanging while nothing else happens.
  EXPECT_FALSE(server.wait_for_connections(1, milliseconds(100)));
  raw.reset();
  const auto obs = WaitFor(server, 1);
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_TRUE(obs[0].script_completed) << obs[0].failure;
  EXPECT_TRUE(obs[0].client_reset);
  EXPECT_TRUE(obs[0].saw_client_fin);
  EXPECT_THAT(Events(obs[0]), HasSubstr("hang ended: client reset"));
}

TEST(LoopbackServerTest, RefuseMakesTheClientRefused) {
  LoopbackServer server;
  const Endpoint ep =
      StartOrDie(server, MakeScenario({Make(Step::Kind::refuse)}));
  EXPECT_TRUE(server.refusing());
  const Exchange e = RunReferenceClient(ep, kRequest);
  EXPECT_EQ(e.client.outcome, Outcome::refused);
  EXPECT_EQ(e.client.error, std::errc::connection_refused);
  const auto obs = WaitFor(server, 1);
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_TRUE(obs[0].refused);
  EXPECT_FALSE(obs[0].accepted);
  EXPECT_TRUE(obs[0].script_completed);
}

TEST(LoopbackServerTest, AcceptAfterDelayIsClosed) {
  LoopbackServer server;
  const Endpoint ep = StartOrDie(
      server, MakeScenario({Accept(milliseconds(200)), ReadUntilFin(),
                            Write(kReply)}));
  const Exchange e = RunReferenceClient(ep, kRequest);
  EXPECT_EQ(e.client.outcome, Outcome::closed);
  EXPECT_EQ(e.client.response, kReply);
  EXPECT_GE(e.elapsed, milliseconds(200));
  const auto obs = WaitFor(server, 1);
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_TRUE(obs[0].script_completed) << obs[0].failure;
  EXPECT_EQ(obs[0].events.front().what,
            "accepted (accept() delayed by 200ms)");
}

TEST(LoopbackServerTest, BackpressureWithAnEarlyAnswerDoesNotDeadlock) {
  // The server answers 1 MiB before reading anything, through a 4 KiB
  // receive window, while the client still has 4 MiB to send: only a
  // full-duplex client gets through.
  const std::string request(4u << 20, 'q');
  Scenario sc = MakeScenario(
      {RecvBuffer(4096),
       Write(DataSpec{DataSpec::Kind::repeat, "0123456789", 1u << 20, 0}),
       ReadUntilFin()},
      seconds(30));
  sc.request = Literal(request);
  LoopbackServer server;
  const Endpoint ep = StartOrDie(server, sc);
  const Exchange e = RunReferenceClient(ep, request, seconds(30));
  EXPECT_EQ(e.client.outcome, Outcome::closed);
  EXPECT_EQ(e.client.response.size(), 1u << 20);
  EXPECT_EQ(e.client.response.substr(0, 12), "012345678901");
  const auto obs = WaitFor(server, 1);
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_TRUE(obs[0].script_completed) << obs[0].failure;
  EXPECT_TRUE(obs[0].received == request)
      << "received " << obs[0].received.size() << " bytes";
  EXPECT_EQ(obs[0].bytes_sent, 1u << 20);
  EXPECT_THAT(Events(obs[0]), HasSubstr("receive buffer set to 4096 bytes"));
}

TEST(LoopbackServerTest, ServesIpv6Loopback) {
  LoopbackServer server;
  LoopbackServerOptions options;
  options.listen_address = "::1";
  const LoopbackStart started =
      server.start(MakeScenario({ReadUntilFin(), Write(kReply)}), options);
  if (!started.ok()) {
    GTEST_SKIP() << "cannot bind ::1 on this host: " << started.error;
  }
  EXPECT_EQ(started.endpoint.host, "::1");
  EXPECT_EQ(format_endpoint(started.endpoint),
            "[::1]:" + std::to_string(started.endpoint.port));
  const Exchange e = RunReferenceClient(started.endpoint, kRequest);
  EXPECT_EQ(e.client.outcome, Outcome::closed);
  EXPECT_EQ(e.client.response, kReply);
  const auto obs = WaitFor(server, 1);
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_EQ(obs[0].received, kRequest);
}

// --- scripts per connection, concurrency, limits ----------------------------

// Connection 1 is reset, connection 2 served with kReply; the server's two
// observations.
std::vector<ServerObservation> ResetThenServed(LoopbackServer& server, const Endpoint& ep) {
  EXPECT_EQ(RunReferenceClient(ep, kRequest).client.outcome, Outcome::reset);
  const Exchange retry = RunReferenceClient(ep, kRequest);
  EXPECT_EQ(retry.client.outcome, Outcome::closed);
  EXPECT_EQ(retry.client.response, kReply);
  return WaitFor(server, 2);
}

TEST(LoopbackServerTest, DifferentScriptsPerConnectionForARetryingClient) {
  Scenario sc = MakeScenario({ReadUntilFin(), Make(Step::Kind::reset)});
  sc.scripts[0].first = 1;
  sc.scripts[0].last = 1;
  ConnectionScript second;
  second.first = 2;
  second.last = 0;
  second.steps = {ReadUntilFin(), Write(kReply)};
  sc.scripts.push_back(second);
  LoopbackServer server;
  const Endpoint ep = StartOrDie(server, sc);
  const auto obs = ResetThenServed(server, ep);
  ASSERT_EQ(obs.size(), 2u);
  EXPECT_EQ(obs[0].connection, 1);
  EXPECT_EQ(obs[1].connection, 2);
  EXPECT_EQ(obs[0].bytes_sent, 0u);
  EXPECT_EQ(obs[1].bytes_sent, kReply.size());
}

TEST(LoopbackServerTest, UncoveredConnectionIsRefusedWithReset) {
  Scenario sc = MakeScenario({ReadUntilFin(), Write(kReply)});
  sc.scripts[0].last = 1;  // nothing covers connection 2
  LoopbackServer server;
  const Endpoint ep = StartOrDie(server, sc);
  EXPECT_EQ(RunReferenceClient(ep, kRequest).client.outcome, Outcome::closed);
  EXPECT_EQ(RunReferenceClient(ep, kRequest).client.outcome, Outcome::reset);
  const auto obs = WaitFor(server, 2);
  ASSERT_EQ(obs.size(), 2u);
  EXPECT_TRUE(obs[1].refused);
  EXPECT_FALSE(obs[1].accepted);
}

TEST(LoopbackServerTest, ARefusalBeforeAServedConnectionIsAnRst) {
  // Not listening would refuse connection 2 as well, so the server
  // listens and resets connection 1 right after the handshake.
  Scenario sc = MakeScenario({Make(Step::Kind::refuse)});
  sc.scripts[0].last = 1;
  ConnectionScript second;
  second.first = 2;
  second.steps = {ReadUntilFin(), Write(kReply)};
  sc.scripts.push_back(second);
  EXPECT_FALSE(refuses_every_connection(sc));
  LoopbackServer server;
  const Endpoint ep = StartOrDie(server, sc);
  EXPECT_FALSE(server.refusing());
  const auto obs = ResetThenServed(server, ep);
  ASSERT_EQ(obs.size(), 2u);
  EXPECT_TRUE(obs[0].refused);
  EXPECT_FALSE(obs[0].accepted);
  EXPECT_TRUE(obs[1].accepted);
}

// Connection 1 runs `first`; every later one reads the request and replies.
Scenario FirstThenOrderly(std::vector<Step> first,
                          Duration client_timeout = seconds(5)) {
  Scenario sc = MakeScenario(std::move(first), client_timeout);
  sc.scripts[0].last = 1;
  ConnectionScript rest;
  rest.first = 2;
  rest.steps = {ReadUntilFin(), Write(kReply)};
  sc.scripts.push_back(rest);
  return sc;
}

TEST(LoopbackServerTest, AStalledConnectionDoesNotBlockAnother) {
  const Scenario sc = FirstThenOrderly({Make(Step::Kind::hang)});
  LoopbackServer server;
  const Endpoint ep = StartOrDie(server, sc);
  RawClient stalled(ep);  // connection 1: hangs until the deadline
  ASSERT_TRUE(stalled.connected());
  // Connection numbers follow accept order: make sure the stalled one is 1.
  ASSERT_TRUE(server.wait_for_accepted(1, kGenerous));
  const Exchange e = RunReferenceClient(ep, kRequest, seconds(3));
  EXPECT_EQ(e.client.outcome, Outcome::closed);
  EXPECT_EQ(e.client.response, kReply);
  EXPECT_TRUE(server.wait_for_connections(1, kGenerous));
  const auto obs = server.observations();
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_EQ(obs[0].connection, 2);
  const LoopbackWait w = server.wait_for_connections(2, milliseconds(10));
  EXPECT_FALSE(w);
  EXPECT_THAT(w.message, HasSubstr("1 of 2 connections finished by the deadline "
                                   "(2 accepted); connection 1 is in step 1 "
                                   "(hang) since +"));
}

TEST(LoopbackServerTest, MaxConnectionsClosesTheListener) {
  LoopbackServer server;
  LoopbackServerOptions options;
  options.max_connections = 1;
  const Endpoint ep =
      StartOrDie(server, MakeScenario({ReadUntilFin(), Write(kReply)}), options);
  EXPECT_EQ(RunReferenceClient(ep, kRequest).client.outcome, Outcome::closed);
  ASSERT_TRUE(server.wait_for_connections(1, kGenerous));
  EXPECT_EQ(RunReferenceClient(ep, kRequest).client.outcome, Outcome::refused);
  EXPECT_EQ(server.finished_count(), 1u);
}

TEST(LoopbackServerTest, OnFinishedRunsBeforeTheConnectionCounts) {
  std::atomic<int> calls{0};
  LoopbackServer server;
  LoopbackServerOptions options;
  options.keep_observations = false;
  options.on_finished = [&](const ServerObservation& o) {
    if (o.received == kRequest) ++calls;
  };
  const Endpoint ep =
      StartOrDie(server, MakeScenario({ReadUntilFin(), Write(kReply)}), options);
  RunReferenceClient(ep, kRequest);
  RunReferenceClient(ep, kRequest);
  ASSERT_TRUE(server.wait_for_connections(2, kGenerous));
  EXPECT_EQ(calls.load(), 2);
  EXPECT_TRUE(server.observations().empty());
}

TEST(LoopbackServerTest, WaitSaysWhatIsMissing) {
  LoopbackServer server;
  StartOrDie(server, MakeScenario({ReadUntilFin()}));
  const LoopbackWait w = server.wait_for_connections(1, milliseconds(50));
  EXPECT_FALSE(w);
  EXPECT_EQ(w.message,
            "0 of 1 connection finished by the deadline (0 accepted)");
  server.stop();
  const LoopbackWait after = server.wait_for_connections(1, kGenerous);
  EXPECT_FALSE(after);
  EXPECT_THAT(after.message, StartsWith("0 of 1 connection finished before "
                                        "the server stopped"));
}

TEST(LoopbackServerTest, StartRejectsBadAndNonLoopbackAddresses) {
  const Scenario sc = MakeScenario({ReadUntilFin()});
  {
    LoopbackServer server;
    LoopbackServerOptions options;
    options.listen_address = "0.0.0.0";
    const LoopbackStart s = server.start(sc, options);
    EXPECT_FALSE(s.ok());
    EXPECT_THAT(s.error, HasSubstr("0.0.0.0 is not a loopback address"));
  }
  {
    LoopbackServer server;
    LoopbackServerOptions options;
    options.listen_address = "localhost";
    const LoopbackStart s = server.start(sc, options);
    EXPECT_FALSE(s.ok());
    EXPECT_THAT(s.error, HasSubstr("not a numeric IPv4 or IPv6 address"));
  }
  {
    LoopbackServer server;
    ASSERT_TRUE(server.start(sc).ok());
    EXPECT_EQ(server.start(sc).error, "the server was started already");
  }
}

TEST(LoopbackServerTest, StartRejectsIpv4MappedAddressesNamingTheIpv4Form) {
  // An IPv4 address in IPv6 form: rejected before any socket is made (its
  // IPv6 sockets are IPv6-only), loopback or not, with the address to use.
  const Scenario sc = MakeScenario({ReadUntilFin()});
  for (const auto& [mapped, plain] :
       {std::pair{"::ffff:127.0.0.1", "127.0.0.1"},
        std::pair{"::FFFF:127.1.2.3", "127.1.2.3"},
        std::pair{"::ffff:10.0.0.1", "10.0.0.1"}}) {
    LoopbackServer server;
    LoopbackServerOptions options;
    options.listen_address = mapped;
    options.allow_non_loopback = true;  // the address form is the problem
    const LoopbackStart s = server.start(sc, options);
    EXPECT_FALSE(s.ok()) << mapped;
    EXPECT_EQ(s.problem, LoopbackStart::Problem::bad_address) << s.error;
    EXPECT_EQ(s.error, std::string(mapped) +
                           " is an IPv4-mapped IPv6 address; listen on " +
                           plain + " instead (the server's IPv6 sockets "
                           "are IPv6-only)");
  }
}

TEST(LoopbackServerTest, BindConflictNamesTheCall) {
  LoopbackServer first;
  const Endpoint ep = StartOrDie(first, MakeScenario({ReadUntilFin()}));
  LoopbackServer second;
  LoopbackServerOptions options;
  options.port = ep.port;
  const LoopbackStart s = second.start(MakeScenario({ReadUntilFin()}), options);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.error, StartsWith("bind 127.0.0.1:" + std::to_string(ep.port)));
}

TEST(LoopbackServerTest, ShortRequestFailsTheReadStepWithItsLocation) {
  Step read = Read(100);
  read.where.line = 7;
  LoopbackServer server;
  const Endpoint ep = StartOrDie(server, MakeScenario({read, Write(kReply)}));
  const Exchange e = RunReferenceClient(ep, kRequest);
  // A failed script ends with RST so the client cannot report success.
  EXPECT_EQ(e.client.outcome, Outcome::reset);
  const auto obs = WaitFor(server, 1);
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_FALSE(obs[0].script_completed);
  EXPECT_EQ(obs[0].failure,
            "step 1 (read) at line 7: client FIN after 14 of 100 bytes");
  EXPECT_TRUE(obs[0].saw_client_fin);
}

// --- misbehaving raw clients ---------------------------------------------

TEST(LoopbackServerTest, ClientThatNeverSendsEndsAtTheDeadline) {
  // Client timeout 100ms: the server's deadline is 100ms + 5s.
  const Scenario sc = MakeScenario({ReadUntilFin(), Write(kReply)},
                                   milliseconds(100));
  LoopbackServer server;
  const Endpoint ep = StartOrDie(server, sc);
  RawClient raw(ep);
  ASSERT_TRUE(raw.connected());
  const auto obs = WaitFor(server, 1);
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_FALSE(obs[0].script_completed);
  EXPECT_EQ(obs[0].failure,
            "step 1 (read until-fin): deadline (5100ms after accept) passed "
            "after 0 bytes");
  EXPECT_GE(obs[0].duration, sc.deadline());
  EXPECT_LT(obs[0].duration, sc.deadline() + seconds(5));
  // The broken script ended with RST, not with a FIN the client could take
  // for a reply.
  const auto r = raw.read_once(kGenerous);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, -ECONNRESET);
}

TEST(LoopbackServerTest, ClientThatNeverReadsCannotBlockAWriteForever) {
  const Scenario sc = MakeScenario(
      {ReadUntilFin(),
       Write(DataSpec{DataSpec::Kind::repeat, kPattern, UnfillableSize(), 0})},
      milliseconds(100));
  LoopbackServer server;
  const Endpoint ep = StartOrDie(server, sc);
  RawClient raw(ep, /*rcvbuf=*/4096);
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.send_all(kRequest));
  raw.shutdown_write();
  const auto obs = WaitFor(server, 1);
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_FALSE(obs[0].script_completed);
  EXPECT_THAT(obs[0].failure,
              StartsWith("step 2 (write): deadline (5100ms after accept) "
                         "passed after "));
  EXPECT_THAT(obs[0].failure, HasSubstr("(the client is not reading)"));
  EXPECT_LT(obs[0].bytes_sent, UnfillableSize());
}

// --- clients that never pause ------------------------------------------------
//
// A client that sends without pause keeps the server's receive queue full,
// so no recv() ever finds it empty; one that reads without pause keeps the
// send buffer empty. A loop that looked at its deadline and at stop() only
// when a call would block ran for as long as such a client went on. Reads
// in 1-byte pieces make the server far slower than the flooding client, so
// its queue stays full on any machine; each client stops by itself after
// 12 s (kBusyFor), far beyond the bounds asserted here.

constexpr Duration kBusyFor = seconds(12);

Step FloodedRead() {
  Step s = ReadUntilFin();
  s.chunk = 1;
  return s;
}

testing::BusyClient::Options Busy(testing::BusyClient::Mode mode,
                                  const Endpoint& ep) {
  testing::BusyClient::Options o;
  o.mode = mode;
  o.port = ep.port;
  o.for_at_most = kBusyFor;
  return o;
}

// Floods `ep` once it has read `greeting` bytes.
testing::BusyClient Flood(const Endpoint& ep, std::size_t greeting = 0) {
  testing::BusyClient::Options o = Busy(testing::BusyClient::Mode::flood, ep);
  o.greeting = greeting;
  return testing::BusyClient(o);
}

TEST(LoopbackServerTest, AClientThatSendsWithoutPauseEndsAtTheDeadline) {
  const Scenario sc = MakeScenario({FloodedRead()}, milliseconds(100));
  LoopbackServer server;
  const Endpoint ep = StartOrDie(server, sc);
  testing::BusyClient flood = Flood(ep);
  const auto obs = WaitFor(server, 1);
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_FALSE(obs[0].script_completed) << Events(obs[0]);
  EXPECT_THAT(obs[0].failure,
              StartsWith("step 1 (read until-fin): deadline (5100ms after "
                         "accept) passed after "));
  EXPECT_GE(obs[0].duration, sc.deadline());
  EXPECT_LT(obs[0].duration, sc.deadline() + seconds(1));
  // The script ended with RST, which ends the flood.
  EXPECT_TRUE(flood.wait_until_ended(kGenerous));
  EXPECT_THAT(flood.ending(), AnyOf("ECONNRESET", "EPIPE"));
}

TEST(LoopbackServerTest, StopEndsAReadThatAClientFloods) {
  // Deadline 15 s: only stop() can end the read this soon.
  LoopbackServer server;
  const Endpoint ep =
      StartOrDie(server, MakeScenario({Write("go"), FloodedRead()}, seconds(10)));
  testing::BusyClient flood = Flood(ep, /*greeting=*/2);
  // Far more than 1-byte reads take in this time: the queue is full.
  ASSERT_TRUE(flood.wait_until_moved(1u << 20, kGenerous)) << flood.ending();
  const auto before = std::chrono::steady_clock::now();
  server.stop();
  const auto took = std::chrono::steady_clock::now() - before;
  EXPECT_LT(took, seconds(1));
  std::cout << "[ info ] stop() under a flood took "
            << std::chrono::duration_cast<milliseconds>(took).count() << " ms\n";
  const auto obs = server.observations();
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_THAT(obs[0].failure, StartsWith("step 2 (read until-fin): stopped by "
                                         "the server after "));
  EXPECT_GE(obs[0].received.size(), 1u);
}

TEST(LoopbackServerTest, AFloodedConnectionDoesNotHoldUpTheNext) {
  const Scenario sc = FirstThenOrderly({Write("go"), FloodedRead()}, seconds(10));
  LoopbackServer server;
  const Endpoint ep = StartOrDie(server, sc);
  testing::BusyClient flood = Flood(ep, /*greeting=*/2);
  ASSERT_TRUE(flood.wait_until_moved(1u << 20, kGenerous)) << flood.ending();
  // The worker that accepted the flood is busy without ever waiting; it
  // must still hand the listening socket on.
  const Exchange e = RunReferenceClient(ep, kRequest, seconds(3));
  EXPECT_EQ(e.client.outcome, Outcome::closed);
  EXPECT_EQ(e.client.response, kReply);
}

TEST(LoopbackServerTest, AWriteToAClientThatReadsWithoutPauseEndsAtTheDeadline) {
  // 64 Mi one-byte sends take minutes; the deadline is 5.1 s.
  const Scenario sc = MakeScenario(
      {ReadUntilFin(),
       Write(DataSpec{DataSpec::Kind::repeat, kPattern, 64u << 20, 0}, 1)},
      milliseconds(100));
  LoopbackServer server;
  const Endpoint ep = StartOrDie(server, sc);
  testing::BusyClient::Options o = Busy(testing::BusyClient::Mode::drain, ep);
  o.request = kRequest;
  testing::BusyClient drain(o);
  const auto obs = WaitFor(server, 1);
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_THAT(obs[0].failure,
              StartsWith("step 2 (write): deadline (5100ms after accept) "
                         "passed after "));
  EXPECT_LT(obs[0].duration, sc.deadline() + seconds(1));
  EXPECT_GT(obs[0].bytes_sent, 0u);
  EXPECT_TRUE(drain.wait_until_ended(kGenerous));
}

TEST(LoopbackServerTest, ClientThatResetsImmediately) {
  LoopbackServer server;
  const Endpoint ep =
      StartOrDie(server, MakeScenario({ReadUntilFin(), Write(kReply)}));
  RawClient raw(ep);
  ASSERT_TRUE(raw.connected());
  raw.reset();
  const auto obs = WaitFor(server, 1);
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_TRUE(obs[0].client_reset);
  EXPECT_FALSE(obs[0].script_completed);
  EXPECT_THAT(obs[0].failure,
              StartsWith("step 1 (read until-fin): client reset the "
                         "connection (ECONNRESET)"));
}

TEST(LoopbackServerTest, WriteToAClientThatResetIsAFailure) {
  Step big =
      Write(DataSpec{DataSpec::Kind::repeat, kPattern, UnfillableSize(), 0});
  big.where.line = 12;
  LoopbackServer server;
  const Endpoint ep = StartOrDie(server, MakeScenario({ReadUntilFin(), big}));
  RawClient raw(ep, /*rcvbuf=*/4096);
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.send_all(kRequest));
  raw.shutdown_write();
  // Once the reply starts flowing, go away abortively.
  const auto first = raw.read_once(kGenerous);
  ASSERT_TRUE(first.has_value());
  EXPECT_GT(*first, 0);
  raw.reset();
  const auto obs = WaitFor(server, 1);
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_TRUE(obs[0].client_reset);
  EXPECT_FALSE(obs[0].script_completed);
  EXPECT_THAT(obs[0].failure,
              StartsWith("step 2 (write) at line 12: client reset the "
                         "connection ("));
}

TEST(LoopbackServerTest, ClientThatConnectsAndClosesDoesNotHangTheServer) {
  LoopbackServer server;
  const Endpoint ep =
      StartOrDie(server, MakeScenario({ReadUntilFin(), Write(kReply)}));
  {
    RawClient raw(ep);
    ASSERT_TRUE(raw.connected());
  }  // FIN without a byte
  const auto obs = WaitFor(server, 1);
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_EQ(obs[0].received, "");
  EXPECT_TRUE(obs[0].saw_client_fin);
  // The reply may be accepted by the kernel (the client's RST comes back
  // later) or fail; either way the script ends well before its deadline.
  EXPECT_LT(obs[0].duration, seconds(5));
}

TEST(LoopbackServerTest, MisbehavingClientsLeakNoDescriptors) {
  const std::size_t before = OpenDescriptors();
  {
    LoopbackServer server;
    const Endpoint ep = StartOrDie(
        server, MakeScenario({ReadUntilFin(), Write(kReply)}, milliseconds(100)));
    {
      RawClient resets(ep);
      RawClient closes(ep);
      RawClient silent(ep);  // stays connected until stop()
      ASSERT_TRUE(resets.connected() && closes.connected() && silent.connected());
      resets.reset();
      closes.close();
      EXPECT_EQ(RunReferenceClient(ep, kRequest).client.outcome,
                Outcome::closed);
      ASSERT_TRUE(server.wait_for_connections(3, kGenerous));
      server.stop();  // cuts the silent one short
    }
    const auto obs = server.observations();
    ASSERT_EQ(obs.size(), 4u);
    int stopped = 0;
    for (const auto& o : obs) {
      if (o.failure.find("stopped by the server") != std::string::npos) ++stopped;
    }
    EXPECT_EQ(stopped, 1);
  }
  EXPECT_EQ(OpenDescriptors(), before);
}

TEST(LoopbackServerTest, DestructorStopsARunningServer) {
  const std::size_t before = OpenDescriptors();
  Endpoint ep;
  {
    LoopbackServer server;
    ep = StartOrDie(server, MakeScenario({Make(Step::Kind::hang)}));
    RawClient raw(ep);
    ASSERT_TRUE(raw.connected());
    // The hang is running (accepted, script started); destroy the server
    // under it. The destructor must return promptly, not at the deadline.
    const LoopbackWait accepted = server.wait_for_accepted(1, kGenerous);
    ASSERT_TRUE(accepted) << accepted.message;
  }
  EXPECT_EQ(OpenDescriptors(), before);
  // The port is released: a connect is refused.
  RawClient after(ep);
  EXPECT_FALSE(after.connected());
  EXPECT_EQ(after.connect_errno(), ECONNREFUSED);
}

}  // namespace
}  // namespace sockcheck
