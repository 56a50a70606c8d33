// Tests of the fuzzing library itself: the input reader, the fuzzed backend
// (it is a test double, so it gets tested), the encoder, the oracle, and the
// committed seeds. If the backend lied (say, dropped a sticky error), the
// receive-path target would pass faulty clients, so each rule of the model in
// fuzzed_transport.h has a test here.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "sockcheck/fuzz_script.h"
#include "sockcheck/fuzzed_transport.h"
#include "sockcheck/receive_path.h"
#include "sockcheck/receive_path_seeds.h"

namespace sockcheck {
namespace {

using std::chrono::milliseconds;

std::span<const std::byte> bytes_of(std::string_view s) { return as_bytes(s); }

std::string text(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// A transport over a script, with a generous cap and a 100ms deadline.
struct Rig {
  explicit Rig(const FuzzScript& script,
               FuzzedLimits limits = {TimePoint{} + milliseconds(100), 1000})
      : bytes(script.bytes()), input(bytes), transport(input, limits),
        conn(transport.open()) {}
  std::vector<std::uint8_t> bytes;
  FuzzInput input;
  FuzzedTransport transport;
  std::unique_ptr<FuzzedConnection> conn;
  std::vector<std::byte> buffer = std::vector<std::byte>(64);

  IoResult recv(std::size_t n = 64) {
    return conn->recv(std::span<std::byte>(buffer).first(n));
  }
  std::string last(std::size_t n) {
    return text(std::span<const std::byte>(buffer).first(n));
  }
};

TEST(FuzzInputTest, ReadsFrontToBackAndZeroOnceEmpty) {
  const std::uint8_t data[] = {7, 1, 2, 3};
  FuzzInput in(data, sizeof data);
  EXPECT_EQ(in.take_byte(), 7);
  const auto two = in.take_bytes(2);
  ASSERT_EQ(two.size(), 2U);
  EXPECT_EQ(two[0], 1);
  EXPECT_EQ(in.take_bytes(10).size(), 1U);
  EXPECT_TRUE(in.empty());
  EXPECT_EQ(in.take_byte(), 0);
  EXPECT_EQ(in.consumed(), 4U);
  FuzzInput none(nullptr, 5);
  EXPECT_TRUE(none.empty());
}

TEST(FuzzedTransportTest, RecvGivesTheScriptedBytesCutToTheBuffer) {
  Rig rig(FuzzScript().recv_data("hello world").recv_fill("abcd"));
  const IoResult first = rig.recv(4);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first.bytes, 4U);
  EXPECT_EQ(rig.last(4), "hell");
  EXPECT_EQ(rig.transport.record().given, "hell");
  EXPECT_EQ(rig.transport.record().input_consumed, 2U + 4U);
}

TEST(FuzzedTransportTest, FillTakesTheWholeBuffer) {
  Rig rig(FuzzScript().recv_fill("abcdefgh").recv_eof());
  const IoResult r = rig.recv(8);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(rig.last(r.bytes), "abcdefgh");
  EXPECT_EQ(rig.recv().bytes, 0U);
  EXPECT_TRUE(rig.transport.record().eof_returned);
}

TEST(FuzzedTransportTest, ErrorsAreSticky) {
  Rig rig(FuzzScript().recv_reset().send_all());
  EXPECT_EQ(rig.recv().error, std::errc::connection_reset);
  const std::size_t consumed = rig.input.consumed();
  EXPECT_EQ(rig.recv().error, std::errc::connection_reset);
  EXPECT_EQ(rig.conn->send(bytes_of("x")).error, std::errc::connection_reset);
  EXPECT_EQ(rig.conn->shutdown_write().error, std::errc::connection_reset);
  EXPECT_EQ(rig.input.consumed(), consumed) << "sticky answers read no input";
  const WaitResult w = rig.conn->wait(true, true, TimePoint::max());
  EXPECT_TRUE(w.readable && w.writable) << "a pending error makes it ready";
  const FuzzedRecord& rec = rig.transport.record();
  EXPECT_EQ(rec.first_fatal_call, 1U);
  EXPECT_EQ(rec.first_fatal_op, SeamCall::recv);
}

TEST(FuzzedTransportTest, EofIsStickyAndSendGoesOn) {
  Rig rig(FuzzScript().recv_eof().send_partial(1, 3));
  EXPECT_EQ(rig.recv().bytes, 0U);
  EXPECT_EQ(rig.recv().bytes, 0U);
  const IoResult s = rig.conn->send(bytes_of("abc"));
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.bytes, 1U);
  EXPECT_EQ(rig.transport.record().accepted, "a");
  EXPECT_EQ(rig.transport.record().eof_call, 1U);
}

TEST(FuzzedTransportTest, AnExhaustedInputIsAWellBehavedClosedPeer) {
  Rig rig(FuzzScript{});
  EXPECT_EQ(rig.conn->send(bytes_of("request")).bytes, 7U);
  EXPECT_TRUE(rig.conn->shutdown_write().ok());
  const WaitResult w = rig.conn->wait(true, false, TimePoint::max());
  EXPECT_TRUE(w.readable);
  const IoResult r = rig.recv();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.bytes, 0U);
  EXPECT_TRUE(rig.conn->close().ok());
  EXPECT_TRUE(rig.transport.record().input_exhausted);
}

TEST(FuzzedTransportTest, AChunkCutByTheEndOfInputIsEof) {
  FuzzScript s;
  s.raw(std::string(1, '\0'));  // a data answer whose length byte is missing
  Rig rig(s);
  const IoResult r = rig.recv();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.bytes, 0U);
  EXPECT_TRUE(rig.transport.record().input_exhausted);
}

TEST(FuzzedTransportTest, EagainLastsUntilAWaitReportsReadiness) {
  Rig rig(FuzzScript()
              .recv_eagain()
              .send_eagain()
              .wait_writable(milliseconds(2))
              .send_all()
              .wait_readable(milliseconds(3))
              .recv_data("ok"));
  EXPECT_EQ(rig.recv().error, std::errc::resource_unavailable_try_again);
  EXPECT_EQ(rig.conn->send(bytes_of("ab")).error,
            std::errc::resource_unavailable_try_again);
  const std::size_t consumed = rig.input.consumed();
  EXPECT_EQ(rig.recv().error, std::errc::resource_unavailable_try_again);
  EXPECT_EQ(rig.conn->send(bytes_of("ab")).error,
            std::errc::resource_unavailable_try_again);
  EXPECT_EQ(rig.input.consumed(), consumed) << "a blocked call reads nothing";

  const WaitResult w1 = rig.conn->wait(true, true, TimePoint::max());
  EXPECT_FALSE(w1.readable);
  EXPECT_TRUE(w1.writable);
  EXPECT_EQ(rig.transport.now(), TimePoint{} + milliseconds(2));
  EXPECT_EQ(rig.recv().error, std::errc::resource_unavailable_try_again);
  EXPECT_EQ(rig.conn->send(bytes_of("ab")).bytes, 2U);

  const WaitResult w2 = rig.conn->wait(true, false, TimePoint::max());
  EXPECT_TRUE(w2.readable);
  EXPECT_EQ(rig.transport.now(), TimePoint{} + milliseconds(5));
  EXPECT_EQ(rig.recv().bytes, 2U);
}

TEST(FuzzedTransportTest, ATimedOutWaitMovesTheClockToItsDeadline) {
  Rig rig(FuzzScript().wait_timeout().wait_timeout());
  const WaitResult early = rig.conn->wait(true, false, TimePoint{} + milliseconds(40));
  EXPECT_TRUE(early.timed_out());
  EXPECT_EQ(rig.transport.now(), TimePoint{} + milliseconds(40));
  EXPECT_EQ(rig.transport.record().deadline_call, 0U)
      << "40ms is before the client's 100ms deadline";
  const WaitResult w = rig.conn->wait(true, false, TimePoint{} + milliseconds(100));
  EXPECT_TRUE(w.timed_out());
  EXPECT_EQ(rig.transport.record().deadline_call, 3U);
}

TEST(FuzzedTransportTest, AClockReadAtTheDeadlineIsTheDeadlineEvent) {
  Rig rig(FuzzScript().wait_ready(milliseconds(150)));
  EXPECT_EQ(rig.transport.now(), TimePoint{});
  EXPECT_TRUE(rig.conn->wait(true, false, TimePoint::max()).readable);
  EXPECT_EQ(rig.transport.record().deadline_call, 0U) << "a late wake-up";
  EXPECT_EQ(rig.transport.now(), TimePoint{} + milliseconds(150));
  EXPECT_EQ(rig.transport.record().deadline_call, 3U);
}

TEST(FuzzedTransportTest, MisuseIsRecorded) {
  Rig rig(FuzzScript().send_all().shutdown_ok().close_error(std::errc::interrupted));
  EXPECT_TRUE(rig.conn->send(bytes_of("a")).ok());
  EXPECT_TRUE(rig.conn->shutdown_write().ok());
  EXPECT_EQ(rig.conn->send(bytes_of("b")).error, std::errc::broken_pipe);
  EXPECT_TRUE(rig.conn->shutdown_write().ok());
  EXPECT_EQ(rig.recv(0).bytes, 0U);
  EXPECT_EQ(rig.conn->close().error, std::errc::interrupted);
  EXPECT_EQ(rig.conn->close().error, std::errc::bad_file_descriptor);
  const FuzzedRecord& rec = rig.transport.record();
  EXPECT_EQ(rec.sends_after_shutdown, 1U);
  EXPECT_EQ(rec.shutdowns_after_success, 1U);
  EXPECT_EQ(rec.empty_recv_buffers, 1U);
  EXPECT_FALSE(rec.eof_returned) << "recv into an empty buffer is not a FIN";
  EXPECT_EQ(rec.close_calls, 2U);
  EXPECT_EQ(rec.calls_after_close, 1U);
  EXPECT_EQ(rec.first_fatal_call, 0U)
      << "EPIPE after SHUT_WR is the client's misuse, not the peer's end";
}

TEST(FuzzedTransportTest, ErrorsComeFromTheirTables) {
  Rig rig(FuzzScript()
              .wait_error(std::errc::not_enough_memory)
              .shutdown_eintr()
              .shutdown_error(std::errc::not_connected));
  EXPECT_EQ(rig.conn->wait(true, false, TimePoint::max()).error,
            std::errc::not_enough_memory);
  EXPECT_EQ(rig.conn->shutdown_write().error, std::errc::interrupted);
  EXPECT_EQ(rig.conn->shutdown_write().error, std::errc::not_connected);
  EXPECT_EQ(rig.recv().error, std::errc::not_connected) << "sticky";
}

TEST(FuzzedTransportTest, ConnectAnswersFromTheInput) {
  std::vector<std::uint8_t> bytes = FuzzScript().connect_refused().connect_ok().bytes();
  FuzzInput in(bytes);
  FuzzedTransport t(in, {});
  EXPECT_EQ(t.connect({"127.0.0.1", 1}, TimePoint::max()).error,
            std::errc::connection_refused);
  ConnectResult ok = t.connect({"127.0.0.1", 1}, TimePoint::max());
  ASSERT_NE(ok.connection, nullptr);
  EXPECT_EQ(t.connect({"127.0.0.1", 1}, TimePoint::max()).error,
            std::errc::too_many_files_open);
  EXPECT_EQ(t.open(), nullptr);
}

TEST(FuzzedTransportDeathTest, TheCallPastTheCapFailsBounded) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        FuzzInput in(nullptr, 0);
        FuzzedTransport t(in, {TimePoint::max(), 5});
        for (int i = 0; i < 6; ++i) (void)t.now();
      },
      "fuzz invariant violated: bounded");
}

TEST(FuzzScriptTest, RejectsWhatTheEncodingCannotSay) {
  EXPECT_THROW(FuzzScript::receive_path(0, 1), std::invalid_argument);
  EXPECT_THROW(FuzzScript::receive_path(257, 1), std::invalid_argument);
  EXPECT_THROW(FuzzScript::receive_path(8, 256), std::invalid_argument);
  EXPECT_THROW(FuzzScript::receive_path(8, 1, milliseconds(15)),
               std::invalid_argument);
  EXPECT_THROW(FuzzScript().recv_data(""), std::invalid_argument);
  EXPECT_THROW(FuzzScript().recv_data(std::string(257, 'x')),
               std::invalid_argument);
  EXPECT_THROW(FuzzScript().send_partial(3, 3), std::invalid_argument);
  EXPECT_THROW(FuzzScript().recv_error(std::errc::connection_reset),
               std::invalid_argument);
  EXPECT_THROW(FuzzScript().wait_ready(milliseconds(256)),
               std::invalid_argument);
}

TEST(ReceivePathTest, TheHeaderDecodesAsDocumented) {
  const auto bytes =
      FuzzScript::receive_path(17, 42, milliseconds(730), false).bytes();
  FuzzInput in(bytes);
  const ReceivePathSetup s = decode_receive_path_header(in);
  EXPECT_EQ(s.recv_buffer_size, 17U);
  EXPECT_EQ(s.request.size(), 42U);
  EXPECT_EQ(s.request, receive_path_request(42));
  EXPECT_EQ(s.timeout, milliseconds(730));
  EXPECT_FALSE(s.keep_response);
}

TEST(ReceivePathTest, TheFirstTerminalEventDecides) {
  FuzzedRecord r;
  r.eof_call = 3;
  r.shutdown_ok_call = 5;
  r.first_fatal_call = 7;
  r.first_fatal_op = SeamCall::recv;
  r.first_fatal_error = std::make_error_code(std::errc::broken_pipe);
  r.deadline_call = 9;
  auto e = expected_end(r);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->outcome, Outcome::closed);
  EXPECT_EQ(e->call, 5U) << "closed once both EOF and the FIN happened";

  r.first_fatal_call = 4;
  e = expected_end(r);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->outcome, Outcome::reset) << "EPIPE is reset-class";
  EXPECT_EQ(e->operation, Operation::recv);

  r.first_fatal_error = std::make_error_code(std::errc::io_error);
  EXPECT_EQ(expected_end(r)->outcome, Outcome::error);

  EXPECT_FALSE(expected_end(r)->reset_or_error);
  r.first_fatal_op = SeamCall::shutdown;
  r.first_fatal_error = std::make_error_code(std::errc::not_connected);
  EXPECT_TRUE(expected_end(r)->reset_or_error)
      << "ENOTCONN from shutdown follows an RST on Linux";

  r.deadline_call = 2;
  EXPECT_EQ(expected_end(r)->outcome, Outcome::timed_out);

  EXPECT_FALSE(expected_end(FuzzedRecord{}).has_value());
}

// Each seed reaches the end it was written for, reads its whole script (an
// answer left unread means the script and the client's calls disagree), and
// holds every invariant.
TEST(ReceivePathSeedsTest, EachSeedEndsAsWrittenAndReadsItsWholeScript) {
  const auto seeds = receive_path_seeds();
  ASSERT_GE(seeds.size(), 10U);
  for (const auto& seed : seeds) {
    SCOPED_TRACE(seed.name);
    const ReceivePathRun run = run_receive_path(seed.bytes, reference_exchange());
    EXPECT_EQ(run.result.outcome, seed.expected) << describe(run);
    EXPECT_EQ(run.record.input_consumed, seed.bytes.size()) << describe(run);
    EXPECT_EQ(run.record.input_exhausted, seed.name == "input-ends")
        << describe(run);
    check_receive_path_run(run);
  }
}

// Truncations of the seeds and seeded random inputs: the reference client
// holds every invariant (a deterministic miniature of the fuzz target, so a
// plain `ctest` covers more than the corpus).
TEST(ReceivePathSeedsTest, EveryPrefixOfEverySeedHoldsTheInvariants) {
  for (const auto& seed : receive_path_seeds()) {
    for (std::size_t n = 0; n <= seed.bytes.size(); ++n) {
      check_receive_path(seed.bytes.data(), n);
    }
  }
}

TEST(ReceivePathSeedsTest, SeededRandomInputsHoldTheInvariants) {
  std::mt19937 rng(20261124);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<std::size_t> length(0, 300);
  for (int i = 0; i < 3000; ++i) {
    std::vector<std::uint8_t> input(length(rng));
    for (auto& b : input) b = static_cast<std::uint8_t>(byte(rng));
    check_receive_path(input.data(), input.size());
  }
}

}  // namespace
}  // namespace sockcheck
