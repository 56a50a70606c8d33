// Tests of the simulated transport itself: it is a test double, and every
// conformance verdict on the simulator is only as good as its model. Each
// test drives the seam by hand (no reference client) and checks one rule of
// the model documented in sim_transport.h, with exact virtual timestamps.
#include "support/step_builders.h"
#include "sockcheck/sim_transport.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "sockcheck/scenario.h"

namespace sockcheck {
namespace {

using namespace std::chrono_literals;
using sockcheck::testing::accept_after;
using sockcheck::testing::read_until_fin;
using sockcheck::testing::recv_buffer;
using sockcheck::testing::sleep_for;
using sockcheck::testing::step;
using sockcheck::testing::write;
using sockcheck::testing::write_data;

// ------------------------------------------------------------ scenario bits

Step read_n(std::uint64_t n, std::uint64_t chunk = 0, Duration gap = {}) {
  Step s = step(Step::Kind::read);
  s.count = n;
  s.chunk = chunk;
  s.gap = gap;
  return s;
}

Scenario scenario_with(std::vector<Step> steps) {
  Scenario sc;
  sc.name = "test";
  sc.client_timeout = 5s;  // so Scenario::deadline() is 10s
  ConnectionScript script;
  script.steps = std::move(steps);
  sc.scripts.push_back(std::move(script));
  return sc;
}

Injection inject(Injection::Call call, std::errc e, std::uint32_t every) {
  Injection i;
  i.call = call;
  i.error = std::make_error_code(e);
  i.every = every;
  return i;
}

// ------------------------------------------------------------- client bits

std::unique_ptr<Connection> open(SimTransport& sim) {
  ConnectResult c = sim.connect({"sim", 1}, sim.now() + 1h);
  EXPECT_FALSE(c.error) << c.error.message();
  return std::move(c.connection);
}

// One recv as text: the bytes, "<EOF>" for 0, or "<ERRNAME>".
std::string recv_text(Connection& c, std::size_t size = 64) {
  std::vector<std::byte> buf(size);
  const IoResult r = c.recv(buf);
  if (!r.ok()) return "<" + error_name(r.error) + ">";
  if (r.bytes == 0) return "<EOF>";
  return {reinterpret_cast<const char*>(buf.data()), r.bytes};
}

std::string send_text(Connection& c, std::string_view text) {
  const IoResult r = c.send(as_bytes(text));
  if (!r.ok()) return "<" + error_name(r.error) + ">";
  return std::to_string(r.bytes);
}

SimOptions no_trace() {
  SimOptions o;
  o.trace = false;
  return o;
}

Duration elapsed(SimTransport& sim) { return sim.now() - TimePoint{}; }

TimePoint at(Duration d) { return TimePoint{} + d; }

bool has_event(const ServerObservation& o, std::string_view what) {
  for (const auto& e : o.events) {
    if (e.what == what) return true;
  }
  return false;
}

// ------------------------------------------------------------------ delivery

TEST(SimTransport, EachWriteChunkIsASeparateRecvResult) {
  const Scenario sc = scenario_with({write("hello world", 3)});
  SimTransport sim(sc);
  auto c = open(sim);
  EXPECT_EQ(recv_text(*c), "hel");
  EXPECT_EQ(recv_text(*c), "lo ");
  EXPECT_EQ(recv_text(*c), "wor");
  EXPECT_EQ(recv_text(*c), "ld");
  EXPECT_EQ(recv_text(*c), "<EOF>");
  EXPECT_EQ(recv_text(*c), "<EOF>") << "end of stream must be sticky";
  EXPECT_EQ(elapsed(sim), 0s);
  c->close();
}

TEST(SimTransport, RecvCutsPiecesToTheCallersBuffer) {
  const Scenario sc = scenario_with({write("abcdefgh", 5)});
  SimTransport sim(sc);
  auto c = open(sim);
  EXPECT_EQ(recv_text(*c, 2), "ab");
  EXPECT_EQ(recv_text(*c, 2), "cd");
  EXPECT_EQ(recv_text(*c, 2), "e") << "a recv never crosses a chunk boundary";
  EXPECT_EQ(recv_text(*c, 2), "fg");
  EXPECT_EQ(recv_text(*c, 2), "h");
  EXPECT_EQ(recv_text(*c, 2), "<EOF>");
  c->close();
}

TEST(SimTransport, AWriteWithoutChunksIsOneRecvResult) {
  const Scenario sc = scenario_with({write("abcdefgh")});
  SimTransport sim(sc);
  auto c = open(sim);
  EXPECT_EQ(recv_text(*c), "abcdefgh");
  EXPECT_EQ(recv_text(*c), "<EOF>");
  c->close();
}

TEST(SimTransport, ChunksWithAGapArriveOverVirtualTime) {
  const Scenario sc = scenario_with({write("abc", 1, 100ms)});
  SimTransport sim(sc);
  auto c = open(sim);
  EXPECT_EQ(recv_text(*c), "a");
  EXPECT_EQ(recv_text(*c), "<EAGAIN>");
  EXPECT_EQ(elapsed(sim), 0s);

  WaitResult w = c->wait(true, false, at(10s));
  EXPECT_TRUE(w.readable);
  EXPECT_EQ(elapsed(sim), 100ms);
  EXPECT_EQ(recv_text(*c), "b");
  EXPECT_EQ(recv_text(*c), "<EAGAIN>");

  w = c->wait(true, false, at(10s));
  EXPECT_TRUE(w.readable);
  EXPECT_EQ(elapsed(sim), 200ms);
  EXPECT_EQ(recv_text(*c), "c");
  // The implicit close follows the last piece at once.
  EXPECT_EQ(recv_text(*c), "<EOF>");
  EXPECT_EQ(elapsed(sim), 200ms);
  c->close();
}

TEST(SimTransport, FinArrivesAfterTheDataQueuedBeforeIt) {
  const Scenario sc = scenario_with(
      {write("data"), step(Step::Kind::half_close), sleep_for(1s)});
  SimTransport sim(sc);
  auto c = open(sim);
  EXPECT_EQ(recv_text(*c), "data");
  EXPECT_EQ(recv_text(*c), "<EOF>");
  EXPECT_EQ(recv_text(*c), "<EOF>");
  EXPECT_EQ(elapsed(sim), 0s);  // the FIN came before the sleep
  c->close();
  const auto& obs = sim.run_servers_to_end();
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_TRUE(obs[0].script_completed) << obs[0].failure;
  EXPECT_FALSE(obs[0].client_reset);
}

TEST(SimTransport, HalfClosedServerKeepsReading) {
  const Scenario sc = scenario_with(
      {write("early"), step(Step::Kind::half_close), read_until_fin()});
  SimTransport sim(sc);
  auto c = open(sim);
  EXPECT_EQ(recv_text(*c), "early");
  EXPECT_EQ(recv_text(*c), "<EOF>");
  EXPECT_EQ(send_text(*c, "request"), "7");
  ASSERT_TRUE(c->shutdown_write().ok());
  c->close();
  const auto& obs = sim.run_servers_to_end();
  EXPECT_EQ(obs[0].received, "request");
  EXPECT_TRUE(obs[0].saw_client_fin);
  EXPECT_TRUE(obs[0].script_completed) << obs[0].failure;
}

// --------------------------------------------------------------------- reset

TEST(SimTransport, LinuxResetKeepsQueuedDataThenReportsTheErrorOnce) {
  const Scenario sc = scenario_with({write("abc"), step(Step::Kind::reset)});
  SimTransport sim(sc);
  auto c = open(sim);
  EXPECT_EQ(recv_text(*c), "abc");
  EXPECT_EQ(recv_text(*c), "<ECONNRESET>");
  // As on Linux: the socket error is reported once; the socket is then at
  // end of stream and further sends fail with EPIPE.
  EXPECT_EQ(recv_text(*c), "<EOF>");
  EXPECT_EQ(send_text(*c, "x"), "<EPIPE>");
  EXPECT_EQ(c->shutdown_write().error, std::errc::not_connected);
  c->close();
}

TEST(SimTransport, LinuxResetIsReportedToTheFirstCallerEvenASend) {
  const Scenario sc = scenario_with({step(Step::Kind::reset)});
  SimTransport sim(sc);
  auto c = open(sim);
  EXPECT_TRUE(c->wait(true, false, at(1s)).readable);
  EXPECT_EQ(send_text(*c, "x"), "<ECONNRESET>");
  EXPECT_EQ(send_text(*c, "x"), "<EPIPE>");
  EXPECT_EQ(recv_text(*c), "<EOF>");
  c->close();
}

TEST(SimTransport, WindowsResetDiscardsUnreadDataAndStays) {
  Scenario sc = scenario_with({write("abc"), step(Step::Kind::reset)});
  sc.reset_mode = ResetMode::windows_like;
  SimTransport sim(sc);
  auto c = open(sim);
  EXPECT_TRUE(c->wait(true, false, at(1s)).readable);
  EXPECT_EQ(recv_text(*c), "<ECONNRESET>");
  EXPECT_EQ(recv_text(*c), "<ECONNRESET>");
  EXPECT_EQ(send_text(*c, "x"), "<ECONNRESET>");
  c->close();
}

TEST(SimTransport, ResetAfterTheServersFinReadsAsEndOfStreamOnLinux) {
  const Scenario sc = scenario_with(
      {write("abc"), step(Step::Kind::half_close), step(Step::Kind::reset)});
  SimTransport sim(sc);
  auto c = open(sim);
  EXPECT_EQ(recv_text(*c), "abc");
  EXPECT_EQ(recv_text(*c), "<EOF>");
  EXPECT_EQ(send_text(*c, "x"), "<EPIPE>");
  c->close();
}

TEST(SimTransport, CloseWithUnreadClientDataBecomesReset) {
  const Scenario sc = scenario_with({write("x"), step(Step::Kind::close)});
  SimTransport sim(sc);
  auto c = open(sim);
  // The client runs ahead: its request is in the server's buffer before the
  // server's first step, so the server's close finds it unread.
  EXPECT_EQ(send_text(*c, "req"), "3");
  EXPECT_EQ(recv_text(*c), "x");
  EXPECT_EQ(recv_text(*c), "<ECONNRESET>");
  c->close();
  const auto& obs = sim.run_servers_to_end();
  EXPECT_TRUE(obs[0].closed_with_unread);
  EXPECT_EQ(obs[0].received, "");
  EXPECT_TRUE(obs[0].script_completed) << obs[0].failure;
}

TEST(SimTransport, DataSentToAClosedServerIsAnsweredWithReset) {
  const Scenario sc = scenario_with({write("hi"), step(Step::Kind::close)});
  SimTransport sim(sc);
  auto c = open(sim);
  ASSERT_TRUE(c->wait(true, false, at(1s)).readable);  // the server closes first
  EXPECT_EQ(send_text(*c, "req"), "3") << "the first send after FIN succeeds";
  EXPECT_EQ(send_text(*c, "req"), "<EPIPE>") << "then the RST is reported";
  EXPECT_EQ(recv_text(*c), "hi");
  EXPECT_EQ(recv_text(*c), "<EOF>") << "the FIN came before the RST";
  c->close();
  EXPECT_FALSE(sim.run_servers_to_end()[0].closed_with_unread);
}

TEST(SimTransport, ClientCloseWithUnreadDataResetsTheServer) {
  const Scenario sc =
      scenario_with({write("abc"), sleep_for(1s), read_until_fin()});
  SimTransport sim(sc);
  auto c = open(sim);
  ASSERT_TRUE(c->wait(true, false, at(10s)).readable);
  c->close();  // "abc" unread: RST instead of FIN
  const auto& obs = sim.run_servers_to_end();
  EXPECT_TRUE(obs[0].client_reset);
  EXPECT_FALSE(obs[0].saw_client_fin);
  EXPECT_FALSE(obs[0].script_completed);
  EXPECT_NE(obs[0].failure.find("read failed: ECONNRESET"), std::string::npos)
      << obs[0].failure;
}

TEST(SimTransport, ServerWriteAfterOrderlyClientCloseFailsOnTheSecondWrite) {
  const Scenario sc = scenario_with(
      {read_until_fin(), sleep_for(1s), write("a"), write("b")});
  SimTransport sim(sc);
  auto c = open(sim);
  EXPECT_EQ(send_text(*c, "req"), "3");
  ASSERT_TRUE(c->shutdown_write().ok());
  c->close();  // nothing unread: FIN only
  const auto& obs = sim.run_servers_to_end();
  EXPECT_EQ(obs[0].received, "req");
  EXPECT_TRUE(obs[0].saw_client_fin);
  EXPECT_EQ(obs[0].bytes_sent, 1u) << "the first write goes out, as over TCP";
  EXPECT_TRUE(obs[0].client_reset);
  EXPECT_NE(obs[0].failure.find("write failed: EPIPE"), std::string::npos)
      << obs[0].failure;
}

// -------------------------------------------------------------- backpressure

TEST(SimTransport, AReadWindowMakesSendsShortThenEagain) {
  const Scenario sc =
      scenario_with({recv_buffer(8), sleep_for(1s), read_until_fin()});
  SimTransport sim(sc);
  auto c = open(sim);
  const std::string request = "0123456789abcdefghij";  // 20 bytes
  EXPECT_EQ(send_text(*c, request), "8") << "short send: the window is 8";
  EXPECT_EQ(send_text(*c, request.substr(8)), "<EAGAIN>");
  EXPECT_EQ(elapsed(sim), 0s);

  // The server reads only after its sleep: that is when the window opens.
  const WaitResult w = c->wait(false, true, at(10s));
  EXPECT_TRUE(w.writable);
  EXPECT_EQ(elapsed(sim), 1s);

  std::size_t sent = 8;
  for (int round = 0; round < 10 && sent < request.size(); ++round) {
    const IoResult r = c->send(as_bytes(request).subspan(sent));
    if (r.ok()) {
      EXPECT_LE(r.bytes, 8u);
      sent += r.bytes;
    } else {
      ASSERT_TRUE(is_would_block(r.error)) << r.error.message();
      ASSERT_TRUE(c->wait(false, true, at(10s)).writable);
    }
  }
  EXPECT_EQ(sent, request.size());
  ASSERT_TRUE(c->shutdown_write().ok());
  EXPECT_TRUE(c->wait(true, false, at(10s)).readable);
  EXPECT_EQ(recv_text(*c), "<EOF>");
  EXPECT_EQ(elapsed(sim), 1s);
  c->close();
  EXPECT_EQ(sim.run_servers_to_end()[0].received, request);
}

// A chunked read takes each piece whole before it pauses, even when the
// window hands it the piece in smaller recvs: `read 12 chunk 6 gap 1s`
// behind a 4-byte window is two pieces (at 0 s and 1 s), not three 4-byte
// ones (0 s, 1 s, 2 s), so the reply written after it leaves at 1 s.
TEST(SimTransport, AChunkedReadTakesWholePiecesThroughASmallerWindow) {
  const Scenario sc = scenario_with(
      {recv_buffer(4), read_n(12, 6, 1s), write("done")});
  SimTransport sim(sc);
  auto c = open(sim);
  const std::string request = "0123456789ab";
  std::size_t sent = 0;
  for (int round = 0; round < 20 && sent < request.size(); ++round) {
    const IoResult r = c->send(as_bytes(request).subspan(sent));
    if (r.ok()) {
      EXPECT_LE(r.bytes, 4u) << "the window is 4";
      sent += r.bytes;
    } else {
      ASSERT_TRUE(is_would_block(r.error)) << r.error.message();
      ASSERT_TRUE(c->wait(false, true, at(10s)).writable);
    }
  }
  ASSERT_EQ(sent, request.size());
  ASSERT_TRUE(c->wait(true, false, at(10s)).readable);
  EXPECT_EQ(elapsed(sim), 1s);
  EXPECT_EQ(recv_text(*c), "done");
  EXPECT_EQ(recv_text(*c), "<EOF>");
  c->close();
  EXPECT_EQ(sim.run_servers_to_end()[0].received, request);
}

TEST(SimTransport, TheDefaultWindowTakesALargeSendAtOnce) {
  const Scenario sc = scenario_with({read_until_fin()});
  SimTransport sim(sc);
  auto c = open(sim);
  const std::string big(100 * 1024, 'x');
  EXPECT_EQ(send_text(*c, big), std::to_string(big.size()));
  c->close();
}

TEST(SimTransport, ServerWritesStallWhileTheClientDoesNotRead) {
  const Scenario sc = scenario_with({write("0123456789")});
  SimOptions options;
  options.client_receive_window = 4;
  SimTransport sim(sc, options);
  auto c = open(sim);
  EXPECT_EQ(recv_text(*c), "0123");
  EXPECT_EQ(sim.observations()[0].bytes_sent, 4u);
  EXPECT_EQ(recv_text(*c), "4567");
  EXPECT_EQ(recv_text(*c), "89");
  EXPECT_EQ(recv_text(*c), "<EOF>");
  c->close();
}

TEST(SimTransport, AStalledServerWriteFailsAtTheScenarioDeadline) {
  const Scenario sc = scenario_with({write("0123456789")});
  SimOptions options;
  options.client_receive_window = 4;
  SimTransport sim(sc, options);
  auto c = open(sim);
  EXPECT_TRUE(c->wait(true, false, at(1s)).readable);
  // The client never reads: the server is stuck until its deadline.
  const auto& obs = sim.run_servers_to_end();
  EXPECT_EQ(elapsed(sim), sc.deadline());
  EXPECT_EQ(obs[0].bytes_sent, 4u);
  EXPECT_FALSE(obs[0].script_completed);
  EXPECT_NE(obs[0].failure.find("stopped reading"), std::string::npos)
      << obs[0].failure;
  c->close();
}

// ---------------------------------------------------------------- injection

TEST(SimTransport, RecvInjectionFollowsItsCadence) {
  Scenario sc = scenario_with({write("abcdefg", 1)});
  sc.injections.push_back(inject(Injection::Call::recv, std::errc::interrupted, 3));
  SimTransport sim(sc);
  auto c = open(sim);
  std::vector<std::string> got;
  for (int i = 0; i < 10; ++i) got.push_back(recv_text(*c));
  // Calls 1, 4, 7, 10 fail; the others deliver one piece each.
  const std::vector<std::string> want{"<EINTR>", "a", "b", "<EINTR>", "c",
                                      "d",       "<EINTR>", "e", "f", "<EINTR>"};
  EXPECT_EQ(got, want);
  EXPECT_EQ(sim.client_calls(1).injected, 4u);
  c->close();
}

TEST(SimTransport, SendAndWaitInjectionsAreCountedPerKindOfCall) {
  Scenario sc = scenario_with({read_until_fin(), write("ok")});
  sc.injections.push_back(
      inject(Injection::Call::send, std::errc::resource_unavailable_try_again, 2));
  sc.injections.push_back(inject(Injection::Call::wait, std::errc::interrupted, 2));
  SimTransport sim(sc);
  auto c = open(sim);
  EXPECT_EQ(send_text(*c, "abc"), "<EAGAIN>");  // send 1
  EXPECT_EQ(send_text(*c, "abc"), "3");         // send 2
  EXPECT_EQ(send_text(*c, ""), "<EAGAIN>");     // send 3
  EXPECT_EQ(c->wait(true, true, at(1s)).error, std::errc::interrupted);  // wait 1
  EXPECT_TRUE(c->wait(false, true, at(1s)).writable);                    // wait 2
  EXPECT_EQ(c->wait(true, true, at(1s)).error, std::errc::interrupted);  // wait 3
  EXPECT_EQ(elapsed(sim), 0s) << "an injected wait returns at once";
  ASSERT_TRUE(c->shutdown_write().ok());
  EXPECT_EQ(recv_text(*c), "ok");
  c->close();
  EXPECT_EQ(sim.client_calls(1).injected, 4u);
  EXPECT_EQ(sim.run_servers_to_end()[0].received, "abc");
}

TEST(SimTransport, InjectingEveryCallIsCappedSoARetryingClientProgresses) {
  Scenario sc = scenario_with({});
  sc.injections.push_back(inject(Injection::Call::shutdown, std::errc::interrupted, 1));
  SimTransport sim(sc, no_trace());
  auto c = open(sim);
  int attempts = 0;
  IoResult r;
  do {
    r = c->shutdown_write();
    ++attempts;
  } while (is_interrupted(r.error) && attempts < 100000);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(attempts, 1001);
  c->close();
}

// --------------------------------------------------------------------- time

TEST(SimTransport, WaitJumpsToTheNextServerEvent) {
  const Scenario sc = scenario_with({sleep_for(2s), write("x")});
  SimTransport sim(sc);
  auto c = open(sim);
  WaitResult w = c->wait(true, false, at(1s));
  EXPECT_TRUE(w.timed_out());
  EXPECT_EQ(elapsed(sim), 1s) << "a wait that times out ends at its deadline";
  w = c->wait(true, false, at(10min));
  EXPECT_TRUE(w.readable);
  EXPECT_EQ(elapsed(sim), 2s);
  EXPECT_EQ(recv_text(*c), "x");
  c->close();
}

TEST(SimTransport, WaitReturnsAtOnceWhenAlreadyReady) {
  const Scenario sc = scenario_with({read_until_fin(), write("x")});
  SimTransport sim(sc);
  auto c = open(sim);
  const WaitResult w = c->wait(true, true, at(5s));
  EXPECT_FALSE(w.readable);
  EXPECT_TRUE(w.writable);
  EXPECT_EQ(elapsed(sim), 0s);
  c->close();
}

TEST(SimTransport, WaitingForNothingEndsAtTheDeadlineAfterTheServerIsDone) {
  const Scenario sc = scenario_with({read_until_fin()});
  SimTransport sim(sc);
  auto c = open(sim);
  // No server event can make this wait succeed; it must still end.
  const WaitResult w = c->wait(false, false, at(1h));
  EXPECT_TRUE(w.timed_out());
  EXPECT_EQ(elapsed(sim), 1h);
  c->close();
  const auto& obs = sim.run_servers_to_end();
  EXPECT_NE(obs[0].failure.find("no FIN"), std::string::npos) << obs[0].failure;
}

TEST(SimTransport, HangEndsAtTheScenarioDeadline) {
  const Scenario sc = scenario_with({read_until_fin(), step(Step::Kind::hang)});
  SimTransport sim(sc);
  auto c = open(sim);
  EXPECT_EQ(send_text(*c, "req"), "3");
  ASSERT_TRUE(c->shutdown_write().ok());
  const WaitResult w = c->wait(true, false, TimePoint::max());
  EXPECT_TRUE(w.readable);
  EXPECT_EQ(elapsed(sim), sc.deadline());
  // A hang never ends in FIN: the server lets go with an RST.
  EXPECT_EQ(recv_text(*c), "<ECONNRESET>");
  c->close();
  const auto& obs = sim.run_servers_to_end();
  EXPECT_TRUE(has_event(obs[0], "hang ended at the deadline"));
  EXPECT_TRUE(has_event(obs[0], "released the connection with RST"));
  EXPECT_TRUE(obs[0].script_completed) << obs[0].failure;
  EXPECT_EQ(obs[0].duration, sc.deadline());
}

// A hang ends only on what a real server's socket can tell, as over
// loopback: a client that closes after its FIN with nothing unread sends
// nothing more, so the hang holds until the deadline; one that closes with
// the reply unread resets the connection, which ends the hang at once; and
// after the server's own FIN, the client's FIN is a full hang-up.
TEST(SimTransport, AHangEndsOnlyOnWhatTheServerCanObserve) {
  {
    const Scenario sc = scenario_with({read_until_fin(), step(Step::Kind::hang)});
    SimTransport sim(sc);
    auto c = open(sim);
    ASSERT_TRUE(c->shutdown_write().ok());
    EXPECT_TRUE(c->wait(true, false, at(3s)).timed_out());
    c->close();
    const auto& obs = sim.run_servers_to_end();
    EXPECT_TRUE(has_event(obs[0], "hang ended at the deadline"));
    EXPECT_EQ(obs[0].duration, sc.deadline());
    EXPECT_FALSE(obs[0].client_reset);
    EXPECT_TRUE(obs[0].script_completed) << obs[0].failure;
  }
  {
    const Scenario sc = scenario_with({write("unread"), step(Step::Kind::hang)});
    SimTransport sim(sc);
    auto c = open(sim);
    EXPECT_TRUE(c->wait(false, false, at(2s)).timed_out());
    c->close();  // with "unread" unread: RST
    const auto& obs = sim.run_servers_to_end();
    EXPECT_TRUE(has_event(obs[0], "hang ended: client reset the connection"));
    EXPECT_TRUE(obs[0].client_reset);
    EXPECT_EQ(obs[0].duration, 2s);
  }
  {
    // After FIN both ways the socket is released as `close` releases it:
    // no RST that could discard the reply (Windows semantics here).
    Scenario sc = scenario_with({read_until_fin(), write("reply"),
                                 step(Step::Kind::half_close), step(Step::Kind::hang)});
    sc.reset_mode = ResetMode::windows_like;
    SimTransport sim(sc);
    auto c = open(sim);
    ASSERT_TRUE(c->shutdown_write().ok());
    EXPECT_EQ(recv_text(*c), "reply");
    EXPECT_EQ(recv_text(*c), "<EOF>");
    const auto& obs = sim.run_servers_to_end();
    EXPECT_TRUE(has_event(obs[0], "hang ended: the connection was closed on both sides"));
    EXPECT_FALSE(has_event(obs[0], "released the connection with RST"));
    EXPECT_EQ(obs[0].duration, 0s);
    c->close();
  }
}

// ------------------------------------------------------------ accept/refuse

TEST(SimTransport, RefuseAndConnectionsWithoutAScriptAreRefused) {
  Scenario sc;
  sc.name = "retry";
  ConnectionScript first;
  first.first = first.last = 1;
  first.steps = {step(Step::Kind::refuse)};
  ConnectionScript second;
  second.first = second.last = 2;
  second.steps = {write("ok")};
  sc.scripts = {first, second};
  SimTransport sim(sc);

  ConnectResult c1 = sim.connect({"sim", 1}, at(1s));
  EXPECT_EQ(c1.error, std::errc::connection_refused);
  EXPECT_EQ(c1.connection, nullptr);
  auto c2 = open(sim);
  ASSERT_NE(c2, nullptr);
  EXPECT_EQ(recv_text(*c2), "ok");
  c2->close();
  ConnectResult c3 = sim.connect({"sim", 1}, at(1s));
  EXPECT_EQ(c3.error, std::errc::connection_refused);

  const auto& obs = sim.run_servers_to_end();
  ASSERT_EQ(obs.size(), 3u);
  EXPECT_TRUE(obs[0].refused);
  EXPECT_FALSE(obs[0].accepted);
  EXPECT_TRUE(obs[1].accepted);
  EXPECT_EQ(obs[1].connection, 2);
  EXPECT_TRUE(obs[2].refused);
  EXPECT_EQ(sim.close_count(1), 0u);
  EXPECT_EQ(sim.close_count(2), 1u);
}

TEST(SimTransport, AcceptAfterADelayStartsTheScriptLate) {
  const Scenario sc =
      scenario_with({accept_after(3s), read_until_fin(), write("late")});
  SimTransport sim(sc);
  auto c = open(sim);
  EXPECT_EQ(elapsed(sim), 0s) << "connect completes like a kernel backlog";
  EXPECT_EQ(send_text(*c, "req"), "3") << "the kernel buffers before accept";
  ASSERT_TRUE(c->shutdown_write().ok());
  EXPECT_EQ(recv_text(*c), "<EAGAIN>");
  EXPECT_TRUE(c->wait(true, false, at(10s)).readable);
  EXPECT_EQ(elapsed(sim), 3s);
  EXPECT_EQ(recv_text(*c), "late");
  EXPECT_EQ(recv_text(*c), "<EOF>");
  c->close();
  const auto& obs = sim.run_servers_to_end();
  EXPECT_TRUE(obs[0].accepted);
  EXPECT_EQ(obs[0].received, "req");
  EXPECT_EQ(obs[0].client_fin_at, 0s) << "timestamps count from the accept";
}

// ---------------------------------------------------------- server scripts

TEST(SimTransport, ServerObservesRequestFinAndWhatItWrote) {
  const Scenario sc = scenario_with({read_until_fin(), write("reply")});
  SimTransport sim(sc);
  auto c = open(sim);
  EXPECT_EQ(send_text(*c, "hello"), "5");
  ASSERT_TRUE(c->shutdown_write().ok());
  EXPECT_EQ(recv_text(*c), "reply");
  EXPECT_EQ(recv_text(*c), "<EOF>");
  c->close();
  const auto& obs = sim.run_servers_to_end();
  const ServerObservation& o = obs.at(0);
  EXPECT_EQ(o.connection, 1);
  EXPECT_TRUE(o.accepted);
  EXPECT_EQ(o.received, "hello");
  EXPECT_TRUE(o.saw_client_fin);
  EXPECT_EQ(o.bytes_sent, 5u);
  EXPECT_FALSE(o.client_reset);
  EXPECT_FALSE(o.closed_with_unread);
  EXPECT_TRUE(o.script_completed) << o.failure;
  std::vector<std::string> events;
  for (const auto& e : o.events) events.push_back(e.what);
  const std::vector<std::string> want{"accepted", "read 5 bytes", "client FIN",
                                      "wrote 5 bytes", "close (FIN sent)"};
  EXPECT_EQ(events, want);
}

TEST(SimTransport, ASlowReaderReadsInChunksWithGaps) {
  const Scenario sc = scenario_with({read_n(6, 2, 1s)});
  SimTransport sim(sc);
  auto c = open(sim);
  EXPECT_EQ(send_text(*c, "abcdef"), "6");
  ASSERT_TRUE(c->shutdown_write().ok());
  EXPECT_TRUE(c->wait(true, false, at(10s)).readable);
  EXPECT_EQ(elapsed(sim), 2s);
  EXPECT_EQ(recv_text(*c), "<EOF>");
  c->close();
  const auto& o = sim.run_servers_to_end()[0];
  std::vector<std::pair<Duration, std::string>> reads;
  for (const auto& e : o.events) {
    if (e.what.rfind("read", 0) == 0) reads.emplace_back(e.at, e.what);
  }
  const std::vector<std::pair<Duration, std::string>> want{
      {0s, "read 2 bytes"}, {1s, "read 2 bytes"}, {2s, "read 2 bytes"}};
  EXPECT_EQ(reads, want);
  EXPECT_EQ(o.received, "abcdef");
}

TEST(SimTransport, ReadFailsWhenTheClientFinishesEarly) {
  const Scenario sc = scenario_with({read_n(10), write("never")});
  SimTransport sim(sc);
  auto c = open(sim);
  EXPECT_EQ(send_text(*c, "abc"), "3");
  ASSERT_TRUE(c->shutdown_write().ok());
  // Like the loopback server, a failed script is torn down with RST, so the
  // client cannot take it for an orderly close.
  EXPECT_EQ(recv_text(*c), "<ECONNRESET>") << "the server gives up and resets";
  c->close();
  const auto& o = sim.run_servers_to_end()[0];
  EXPECT_FALSE(o.script_completed);
  EXPECT_NE(o.failure.find("client FIN after 3 of 10 bytes"), std::string::npos)
      << o.failure;
  EXPECT_EQ(o.bytes_sent, 0u);
}

TEST(SimTransport, AStarvedReadFailsAtTheScenarioDeadline) {
  const Scenario sc = scenario_with({read_n(10)});
  SimTransport sim(sc);
  auto c = open(sim);
  EXPECT_EQ(send_text(*c, "abc"), "3");
  EXPECT_TRUE(c->wait(true, false, at(1h)).readable);
  EXPECT_EQ(elapsed(sim), sc.deadline());
  EXPECT_EQ(recv_text(*c), "<ECONNRESET>");
  c->close();
  const auto& o = sim.run_servers_to_end()[0];
  EXPECT_NE(o.failure.find("sent 3 of 10 bytes"), std::string::npos) << o.failure;
}

// A script built in code can break the placement rules that the parser
// enforces; the plan says which step, and the server fails the connection
// with RST right after accepting it instead of running any of it.
TEST(SimTransport, AScriptThatBreaksThePlacementRulesFailsOnceAccepted) {
  for (const Scenario& sc :
       {scenario_with({step(Step::Kind::close), write("x")}),
        scenario_with({write("data"), step(Step::Kind::half_close), write("late")})}) {
    SimTransport sim(sc);
    auto c = open(sim);
    EXPECT_EQ(recv_text(*c), "<ECONNRESET>");
    c->close();
    const auto& o = sim.run_servers_to_end()[0];
    EXPECT_TRUE(o.accepted);
    EXPECT_FALSE(o.script_completed);
    EXPECT_EQ(o.bytes_sent, 0u);
    EXPECT_THAT(o.failure, ::testing::MatchesRegex("step [23] \\((write)\\): 'write' after .*"));
  }
}

TEST(SimTransport, WriteRequestEchoesTheScenarioRequest) {
  Scenario sc = scenario_with({read_until_fin(), write_data({DataSpec::Kind::request, "", 0, 0})});
  sc.request = {DataSpec::Kind::literal, "echo me", 0, 0};
  SimTransport sim(sc);
  auto c = open(sim);
  ASSERT_TRUE(c->shutdown_write().ok());
  EXPECT_EQ(recv_text(*c), "echo me");
  c->close();
}

TEST(SimTransport, SeveralMebibytesArriveIntact) {
  const DataSpec data{DataSpec::Kind::random, "", 6 * 1024 * 1024, 42};
  const Scenario sc = scenario_with({read_until_fin(), write_data(data)});
  SimTransport sim(sc, no_trace());
  auto c = open(sim);
  ASSERT_TRUE(c->shutdown_write().ok());
  std::string got;
  std::vector<std::byte> buf(64 * 1024);
  for (int guard = 0; guard < 10000; ++guard) {
    const IoResult r = c->recv(buf);
    if (r.ok() && r.bytes == 0) break;
    if (!r.ok()) {
      ASSERT_TRUE(is_would_block(r.error)) << r.error.message();
      ASSERT_TRUE(c->wait(true, false, at(10s)).readable);
      continue;
    }
    got.append(reinterpret_cast<const char*>(buf.data()), r.bytes);
  }
  EXPECT_EQ(got.size(), data.size);
  EXPECT_TRUE(got == materialize(data, {})) << "the bytes differ";
  EXPECT_EQ(elapsed(sim), 0s);
  c->close();
  EXPECT_EQ(sim.trace(), "") << "trace off records nothing";
  EXPECT_EQ(sim.run_servers_to_end()[0].bytes_sent, data.size);
}

// ---------------------------------------------------------- client contract

TEST(SimTransport, CountsCallsThatBreakTheConnectionContract) {
  const Scenario sc = scenario_with({read_until_fin()});
  SimTransport sim(sc);
  auto c = open(sim);
  ASSERT_TRUE(c->shutdown_write().ok());
  EXPECT_EQ(send_text(*c, "late"), "<EPIPE>");
  EXPECT_TRUE(c->close().ok());
  EXPECT_EQ(c->close().error, std::errc::bad_file_descriptor);
  EXPECT_EQ(recv_text(*c), "<EBADF>");
  EXPECT_EQ(c->wait(true, false, at(1s)).error, std::errc::bad_file_descriptor);
  const SimClientCalls& calls = sim.client_calls(1);
  EXPECT_EQ(calls.closes, 2u);
  EXPECT_EQ(sim.close_count(1), 2u);
  EXPECT_EQ(calls.calls_after_close, 3u);
  EXPECT_EQ(calls.sends_after_shutdown, 1u);
  EXPECT_FALSE(calls.destroyed_without_close);
}

TEST(SimTransport, NoticesAConnectionDestroyedWithoutClose) {
  const Scenario sc = scenario_with({read_until_fin()});
  SimTransport sim(sc);
  open(sim).reset();
  EXPECT_TRUE(sim.client_calls(1).destroyed_without_close);
  EXPECT_EQ(sim.close_count(1), 0u);
  // The server still sees the connection go away (FIN), as with a real fd.
  EXPECT_TRUE(sim.run_servers_to_end()[0].saw_client_fin);
}

// -------------------------------------------------------------- determinism

std::string run_once(const Scenario& sc) {
  SimTransport sim(sc);
  auto c = open(sim);
  std::vector<std::byte> buf(3);
  std::size_t sent = 0;
  const std::string request = "a request of some length";
  for (int i = 0; i < 200; ++i) {
    if (sent < request.size()) {
      const IoResult r = c->send(as_bytes(request).subspan(sent));
      if (r.ok()) sent += r.bytes;
      if (sent == request.size()) (void)c->shutdown_write();
    }
    const IoResult r = c->recv(buf);
    if (r.ok() && r.bytes == 0) break;
    if (!r.ok() && !is_interrupted(r.error)) {
      (void)c->wait(true, sent < request.size(), sim.now() + 1s);
    }
  }
  c->close();
  sim.run_servers_to_end();
  return sim.trace();
}

TEST(SimTransport, TheSameRunGivesTheSameTraceBitForBit) {
  Scenario sc = scenario_with({recv_buffer(5), read_until_fin(3, 10ms),
                               write("the reply, in pieces", 4, 250ms),
                               sleep_for(1s), step(Step::Kind::half_close)});
  sc.injections.push_back(inject(Injection::Call::recv, std::errc::interrupted, 4));
  const std::string first = run_once(sc);
  const std::string second = run_once(sc);
  EXPECT_EQ(first, second);
  EXPECT_NE(first.find("0.000000000 #1 connect -> ok\n"), std::string::npos) << first;
  EXPECT_NE(first.find("#1 server wrote 4 bytes"), std::string::npos) << first;
  EXPECT_NE(first.find("recv -> EINTR (injected)"), std::string::npos) << first;
  EXPECT_GT(std::count(first.begin(), first.end(), '\n'), 40);
}

}  // namespace
}  // namespace sockcheck
