// Every error branch of the reference client, driven through GoogleMock
// doubles of the I/O seam.
//
// Two styles: focused tests that script one branch call by call (StrictMock
// with InSequence, so "nothing else happens, and nothing after close()" is
// part of the property), and a value-parameterized table that runs every
// failure path and checks the outcome, the failing call, and that close()
// was called exactly once.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "sockcheck/client.h"
#include "support/mock_io.h"

namespace sockcheck {
namespace {

using ::testing::_;
using ::testing::ByMove;
using ::testing::InSequence;
using ::testing::Invoke;
using ::testing::NiceMock;
using ::testing::Return;
using ::testing::StrictMock;
using ::testing::Truly;
using sockcheck::testing::ForwardingConnection;
using sockcheck::testing::ManualClock;
using sockcheck::testing::MockConnection;
using sockcheck::testing::MockTransport;

constexpr std::string_view kRequest = "this is a test";
const TimePoint kDeadline = TimePoint{} + std::chrono::seconds(10);

std::error_code err(std::errc e) { return std::make_error_code(e); }
IoResult ok(std::size_t n) { return IoResult::success(n); }
IoResult fail(std::errc e) { return IoResult::failure(e); }
WaitResult ready_read() { return {true, false, {}}; }
WaitResult ready_write() { return {false, true, {}}; }

// An action for recv() that copies `data` into the client's buffer.
auto deliver(std::string data) {
  return [data = std::move(data)](std::span<std::byte> buf) {
    EXPECT_GE(buf.size(), data.size());
    std::memcpy(buf.data(), data.data(), data.size());
    return IoResult::success(data.size());
  };
}

// Matches a send() whose buffer starts with `prefix` (the unsent rest).
auto sends(std::string prefix) {
  return Truly([prefix = std::move(prefix)](std::span<const std::byte> d) {
    return d.size() == prefix.size() &&
           std::memcmp(d.data(), prefix.data(), prefix.size()) == 0;
  });
}

class ClientMockTest : public ::testing::Test {
 protected:
  ClientResult run(std::string_view request = kRequest) {
    return run_exchange(conn_, clock_, as_bytes(request), kDeadline, options_);
  }
  StrictMock<MockConnection> conn_;
  ManualClock clock_;
  ClientOptions options_;
};

TEST_F(ClientMockTest, OrderlyExchangeSendsHalfClosesReadsAndClosesOnce) {
  InSequence seq;
  EXPECT_CALL(conn_, send(sends("this is a test"))).WillOnce(Return(ok(14)));
  EXPECT_CALL(conn_, shutdown_write()).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Invoke(deliver("the reply")));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, close()).WillOnce(Return(ok(0)));
  const ClientResult r = run();
  EXPECT_EQ(r.outcome, Outcome::closed);
  EXPECT_EQ(r.response, "the reply");
  EXPECT_EQ(r.bytes_sent, 14U);
  EXPECT_TRUE(r.half_closed);
  EXPECT_TRUE(r.saw_end_of_stream);
  EXPECT_FALSE(r.error);
}

TEST_F(ClientMockTest, ShortSendsOfOneByteAreContinuedInOrder) {
  InSequence seq;
  const std::string req(kRequest);
  for (std::size_t i = 0; i < req.size(); ++i) {
    EXPECT_CALL(conn_, send(sends(req.substr(i)))).WillOnce(Return(ok(1)));
    if (i + 1 < req.size()) {
      // The client also reads while it is still sending.
      EXPECT_CALL(conn_, recv(_)).WillOnce(Return(fail(std::errc::resource_unavailable_try_again)));
    }
  }
  EXPECT_CALL(conn_, shutdown_write()).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, close()).WillOnce(Return(ok(0)));
  const ClientResult r = run();
  EXPECT_EQ(r.outcome, Outcome::closed);
  EXPECT_EQ(r.bytes_sent, req.size());
}

TEST_F(ClientMockTest, SendFailureIsAnErrorAndClosesOnce) {
  InSequence seq;
  EXPECT_CALL(conn_, send(_)).WillOnce(Return(fail(std::errc::io_error)));
  EXPECT_CALL(conn_, close()).WillOnce(Return(ok(0)));
  const ClientResult r = run();
  EXPECT_EQ(r.outcome, Outcome::error);
  EXPECT_EQ(r.failed_operation, Operation::send);
  EXPECT_EQ(r.error, err(std::errc::io_error));
  EXPECT_FALSE(r.half_closed);
}

TEST_F(ClientMockTest, PeerResetMidRequestIsReportedAsReset) {
  InSequence seq;
  EXPECT_CALL(conn_, send(sends("this is a test"))).WillOnce(Return(ok(4)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(fail(std::errc::resource_unavailable_try_again)));
  EXPECT_CALL(conn_, send(sends(" is a test"))).WillOnce(Return(fail(std::errc::connection_reset)));
  EXPECT_CALL(conn_, close()).WillOnce(Return(ok(0)));
  const ClientResult r = run();
  EXPECT_EQ(r.outcome, Outcome::reset);
  EXPECT_EQ(r.failed_operation, Operation::send);
  EXPECT_EQ(r.bytes_sent, 4U);
}

TEST_F(ClientMockTest, BrokenPipeOnSendIsReportedAsReset) {
  InSequence seq;
  EXPECT_CALL(conn_, send(_)).WillOnce(Return(fail(std::errc::broken_pipe)));
  EXPECT_CALL(conn_, close()).WillOnce(Return(ok(0)));
  EXPECT_EQ(run().outcome, Outcome::reset);
}

TEST_F(ClientMockTest, EintrOnSendIsRetried) {
  InSequence seq;
  EXPECT_CALL(conn_, send(sends("this is a test"))).WillOnce(Return(fail(std::errc::interrupted)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(fail(std::errc::resource_unavailable_try_again)));
  EXPECT_CALL(conn_, send(sends("this is a test"))).WillOnce(Return(ok(14)));
  EXPECT_CALL(conn_, shutdown_write()).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, close()).WillOnce(Return(ok(0)));
  EXPECT_EQ(run().outcome, Outcome::closed);
}

TEST_F(ClientMockTest, EintrOnRecvIsRetried) {
  InSequence seq;
  EXPECT_CALL(conn_, send(_)).WillOnce(Return(ok(14)));
  EXPECT_CALL(conn_, shutdown_write()).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(fail(std::errc::interrupted)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Invoke(deliver("ok")));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(fail(std::errc::interrupted)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, close()).WillOnce(Return(ok(0)));
  const ClientResult r = run();
  EXPECT_EQ(r.outcome, Outcome::closed);
  EXPECT_EQ(r.response, "ok");
}

TEST_F(ClientMockTest, EintrOnShutdownIsRetried) {
  InSequence seq;
  EXPECT_CALL(conn_, send(_)).WillOnce(Return(ok(14)));
  EXPECT_CALL(conn_, shutdown_write()).WillOnce(Return(fail(std::errc::interrupted)));
  // It keeps reading between attempts, as it does between sends.
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(fail(std::errc::resource_unavailable_try_again)));
  EXPECT_CALL(conn_, shutdown_write()).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, close()).WillOnce(Return(ok(0)));
  const ClientResult r = run();
  EXPECT_EQ(r.outcome, Outcome::closed);
  EXPECT_TRUE(r.half_closed);
}

TEST_F(ClientMockTest, EagainOnShutdownWaitsForWritableThenRetries) {
  InSequence seq;
  EXPECT_CALL(conn_, send(_)).WillOnce(Return(ok(14)));
  EXPECT_CALL(conn_, shutdown_write()).WillOnce(Return(fail(std::errc::resource_unavailable_try_again)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(fail(std::errc::resource_unavailable_try_again)));
  EXPECT_CALL(conn_, shutdown_write()).WillOnce(Return(fail(std::errc::resource_unavailable_try_again)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(fail(std::errc::resource_unavailable_try_again)));
  EXPECT_CALL(conn_, wait(true, true, kDeadline)).WillOnce(Return(ready_write()));
  EXPECT_CALL(conn_, shutdown_write()).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, close()).WillOnce(Return(ok(0)));
  EXPECT_EQ(run().outcome, Outcome::closed);
}

TEST_F(ClientMockTest, EintrOnWaitIsRetried) {
  InSequence seq;
  EXPECT_CALL(conn_, send(_)).WillOnce(Return(ok(14)));
  EXPECT_CALL(conn_, shutdown_write()).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(fail(std::errc::resource_unavailable_try_again)));
  EXPECT_CALL(conn_, wait(true, false, kDeadline)).WillOnce(Return(WaitResult{false, false, err(std::errc::interrupted)}));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(fail(std::errc::resource_unavailable_try_again)));
  EXPECT_CALL(conn_, wait(true, false, kDeadline)).WillOnce(Return(ready_read()));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, close()).WillOnce(Return(ok(0)));
  EXPECT_EQ(run().outcome, Outcome::closed);
}

TEST_F(ClientMockTest, EagainOnSendWaitsForBothDirectionsThenSends) {
  InSequence seq;
  EXPECT_CALL(conn_, send(_)).WillOnce(Return(fail(std::errc::resource_unavailable_try_again)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(fail(std::errc::resource_unavailable_try_again)));
  // Full duplex: while blocked on send it also waits for the reply.
  EXPECT_CALL(conn_, wait(true, true, kDeadline)).WillOnce(Return(ready_write()));
  EXPECT_CALL(conn_, send(_)).WillOnce(Return(ok(14)));
  EXPECT_CALL(conn_, shutdown_write()).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, close()).WillOnce(Return(ok(0)));
  EXPECT_EQ(run().outcome, Outcome::closed);
}

TEST_F(ClientMockTest, EagainOnRecvWaitsForReadableOnly) {
  InSequence seq;
  EXPECT_CALL(conn_, send(_)).WillOnce(Return(ok(14)));
  EXPECT_CALL(conn_, shutdown_write()).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(fail(std::errc::operation_would_block)));
  EXPECT_CALL(conn_, wait(true, false, kDeadline)).WillOnce(Return(ready_read()));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Invoke(deliver("late")));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, close()).WillOnce(Return(ok(0)));
  const ClientResult r = run();
  EXPECT_EQ(r.outcome, Outcome::closed);
  EXPECT_EQ(r.response, "late");
}

TEST_F(ClientMockTest, ReplyReadWhileStillSendingDoesNotDeadlock) {
  // The server answers before reading the request: the client's send
  // blocks, yet it reads the whole reply while waiting.
  InSequence seq;
  EXPECT_CALL(conn_, send(_)).WillOnce(Return(ok(4)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Invoke(deliver("early ")));
  EXPECT_CALL(conn_, send(_)).WillOnce(Return(fail(std::errc::resource_unavailable_try_again)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Invoke(deliver("answer")));
  EXPECT_CALL(conn_, send(_)).WillOnce(Return(fail(std::errc::resource_unavailable_try_again)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(fail(std::errc::resource_unavailable_try_again)));
  EXPECT_CALL(conn_, wait(true, true, kDeadline)).WillOnce(Return(WaitResult{true, true, {}}));
  EXPECT_CALL(conn_, send(sends(" is a test"))).WillOnce(Return(ok(10)));
  EXPECT_CALL(conn_, shutdown_write()).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, close()).WillOnce(Return(ok(0)));
  const ClientResult r = run();
  EXPECT_EQ(r.outcome, Outcome::closed);
  EXPECT_EQ(r.response, "early answer");
}

TEST_F(ClientMockTest, PeerFinBeforeRequestIsSentStillFinishesSendingAndHalfCloses) {
  InSequence seq;
  EXPECT_CALL(conn_, send(_)).WillOnce(Return(ok(7)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Invoke(deliver("bye")));
  EXPECT_CALL(conn_, send(_)).WillOnce(Return(fail(std::errc::resource_unavailable_try_again)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(ok(0)));
  // After EOF it no longer reads; it waits on the send direction alone.
  EXPECT_CALL(conn_, wait(false, true, kDeadline)).WillOnce(Return(ready_write()));
  EXPECT_CALL(conn_, send(sends(" a test"))).WillOnce(Return(ok(7)));
  EXPECT_CALL(conn_, shutdown_write()).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, close()).WillOnce(Return(ok(0)));
  const ClientResult r = run();
  EXPECT_EQ(r.outcome, Outcome::closed);
  EXPECT_EQ(r.response, "bye");
  EXPECT_TRUE(r.half_closed);
}

TEST_F(ClientMockTest, ShutdownFailureIsAnErrorAndNothingIsReadAfterIt) {
  InSequence seq;
  EXPECT_CALL(conn_, send(_)).WillOnce(Return(ok(14)));
  EXPECT_CALL(conn_, shutdown_write()).WillOnce(Return(fail(std::errc::io_error)));
  EXPECT_CALL(conn_, close()).WillOnce(Return(ok(0)));
  const ClientResult r = run();
  EXPECT_EQ(r.outcome, Outcome::error);
  EXPECT_EQ(r.failed_operation, Operation::shutdown);
  EXPECT_EQ(r.error, err(std::errc::io_error));
  EXPECT_FALSE(r.half_closed);
}

TEST_F(ClientMockTest, ShutdownAfterThePeerResetIsReportedAsReset) {
  // Linux: shutdown() after an RST fails with ENOTCONN.
  InSequence seq;
  EXPECT_CALL(conn_, send(_)).WillOnce(Return(ok(14)));
  EXPECT_CALL(conn_, shutdown_write()).WillOnce(Return(fail(std::errc::not_connected)));
  EXPECT_CALL(conn_, close()).WillOnce(Return(ok(0)));
  const ClientResult r = run();
  EXPECT_EQ(r.outcome, Outcome::reset);
  EXPECT_EQ(r.failed_operation, Operation::shutdown);
}

TEST_F(ClientMockTest, EagainOnWaitIsRetried) {
  InSequence seq;
  EXPECT_CALL(conn_, send(_)).WillOnce(Return(ok(14)));
  EXPECT_CALL(conn_, shutdown_write()).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(fail(std::errc::resource_unavailable_try_again)));
  EXPECT_CALL(conn_, wait(true, false, kDeadline)).WillOnce(Return(WaitResult{false, false, err(std::errc::resource_unavailable_try_again)}));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, close()).WillOnce(Return(ok(0)));
  EXPECT_EQ(run().outcome, Outcome::closed);
}

TEST_F(ClientMockTest, RecvResetAfterSomeDataKeepsTheDataAndReportsReset) {
  InSequence seq;
  EXPECT_CALL(conn_, send(_)).WillOnce(Return(ok(14)));
  EXPECT_CALL(conn_, shutdown_write()).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Invoke(deliver("partial")));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(fail(std::errc::connection_reset)));
  EXPECT_CALL(conn_, close()).WillOnce(Return(ok(0)));
  const ClientResult r = run();
  EXPECT_EQ(r.outcome, Outcome::reset);
  EXPECT_EQ(r.failed_operation, Operation::recv);
  EXPECT_EQ(r.response, "partial");
  EXPECT_FALSE(r.saw_end_of_stream);
}

TEST_F(ClientMockTest, RecvOtherErrorAfterSomeDataIsAnError) {
  InSequence seq;
  EXPECT_CALL(conn_, send(_)).WillOnce(Return(ok(14)));
  EXPECT_CALL(conn_, shutdown_write()).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Invoke(deliver("xy")));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(fail(std::errc::io_error)));
  EXPECT_CALL(conn_, close()).WillOnce(Return(ok(0)));
  const ClientResult r = run();
  EXPECT_EQ(r.outcome, Outcome::error);
  EXPECT_EQ(r.error, err(std::errc::io_error));
  EXPECT_EQ(r.bytes_received, 2U);
}

TEST_F(ClientMockTest, RecvZeroImmediatelyIsAnOrderlyEmptyReply) {
  InSequence seq;
  EXPECT_CALL(conn_, send(_)).WillOnce(Return(ok(14)));
  EXPECT_CALL(conn_, shutdown_write()).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, close()).WillOnce(Return(ok(0)));
  const ClientResult r = run();
  EXPECT_EQ(r.outcome, Outcome::closed);
  EXPECT_TRUE(r.response.empty());
}

TEST_F(ClientMockTest, WaitFailureIsAnError) {
  InSequence seq;
  EXPECT_CALL(conn_, send(_)).WillOnce(Return(ok(14)));
  EXPECT_CALL(conn_, shutdown_write()).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(fail(std::errc::resource_unavailable_try_again)));
  EXPECT_CALL(conn_, wait(_, _, _)).WillOnce(Return(WaitResult{false, false, err(std::errc::bad_file_descriptor)}));
  EXPECT_CALL(conn_, close()).WillOnce(Return(ok(0)));
  const ClientResult r = run();
  EXPECT_EQ(r.outcome, Outcome::error);
  EXPECT_EQ(r.failed_operation, Operation::wait);
}

TEST_F(ClientMockTest, DeadlineWhileSendingTimesOut) {
  InSequence seq;
  EXPECT_CALL(conn_, send(_)).WillOnce(Return(fail(std::errc::resource_unavailable_try_again)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(fail(std::errc::resource_unavailable_try_again)));
  EXPECT_CALL(conn_, wait(true, true, kDeadline)).WillOnce(Invoke([this](bool, bool, TimePoint d) {
    clock_.set(d);  // nothing became ready before the deadline
    return WaitResult{};
  }));
  EXPECT_CALL(conn_, close()).WillOnce(Return(ok(0)));
  const ClientResult r = run();
  EXPECT_EQ(r.outcome, Outcome::timed_out);
  EXPECT_EQ(r.bytes_sent, 0U);
  EXPECT_FALSE(r.half_closed);
}

TEST_F(ClientMockTest, DeadlineWhileReceivingTimesOutWithTheDataSoFar) {
  InSequence seq;
  EXPECT_CALL(conn_, send(_)).WillOnce(Return(ok(14)));
  EXPECT_CALL(conn_, shutdown_write()).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Invoke(deliver("half")));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(fail(std::errc::resource_unavailable_try_again)));
  EXPECT_CALL(conn_, wait(true, false, kDeadline)).WillOnce(Invoke([this](bool, bool, TimePoint d) {
    clock_.set(d);
    return WaitResult{};
  }));
  EXPECT_CALL(conn_, close()).WillOnce(Return(ok(0)));
  const ClientResult r = run();
  EXPECT_EQ(r.outcome, Outcome::timed_out);
  EXPECT_EQ(r.response, "half");
  EXPECT_TRUE(r.half_closed);
}

TEST_F(ClientMockTest, EarlyWakeupBeforeTheDeadlineDoesNotGiveUp) {
  // A wait that returns nothing ready before the deadline (a spurious
  // wakeup) is not a timeout: the client checks the clock and waits again.
  InSequence seq;
  EXPECT_CALL(conn_, send(_)).WillOnce(Return(ok(14)));
  EXPECT_CALL(conn_, shutdown_write()).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(fail(std::errc::resource_unavailable_try_again)));
  EXPECT_CALL(conn_, wait(_, _, _)).WillOnce(Return(WaitResult{}));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, close()).WillOnce(Return(ok(0)));
  EXPECT_EQ(run().outcome, Outcome::closed);
}

TEST_F(ClientMockTest, DeadlineAlreadyPassedClosesWithoutAnyIo) {
  clock_.set(kDeadline);
  EXPECT_CALL(conn_, close()).WillOnce(Return(ok(0)));
  EXPECT_EQ(run().outcome, Outcome::timed_out);
}

TEST_F(ClientMockTest, EmptyRequestHalfClosesWithoutSending) {
  InSequence seq;
  EXPECT_CALL(conn_, shutdown_write()).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Invoke(deliver("hi")));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, close()).WillOnce(Return(ok(0)));
  const ClientResult r = run("");
  EXPECT_EQ(r.outcome, Outcome::closed);
  EXPECT_EQ(r.response, "hi");
}

TEST_F(ClientMockTest, CloseErrorIsReportedButDoesNotChangeTheOutcome) {
  InSequence seq;
  EXPECT_CALL(conn_, send(_)).WillOnce(Return(ok(14)));
  EXPECT_CALL(conn_, shutdown_write()).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, close()).WillOnce(Return(fail(std::errc::interrupted)));
  const ClientResult r = run();
  EXPECT_EQ(r.outcome, Outcome::closed);
  EXPECT_EQ(r.close_error, err(std::errc::interrupted));
}

TEST_F(ClientMockTest, BackendReportingMoreThanItWasGivenCannotOverrunTheRequest) {
  InSequence seq;
  EXPECT_CALL(conn_, send(_)).WillOnce(Return(ok(1000)));
  EXPECT_CALL(conn_, shutdown_write()).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, close()).WillOnce(Return(ok(0)));
  EXPECT_EQ(run().bytes_sent, kRequest.size());
}

// An observer sees the sample's events in order; with keep_response off the
// bytes are streamed and not kept.
class RecordingObserver : public ClientObserver {
 public:
  void on_request_sent(std::size_t total) override {
    log += "sent " + std::to_string(total) + ";";
  }
  void on_data(std::span<const std::byte> chunk) override {
    log += "data " + std::string(reinterpret_cast<const char*>(chunk.data()), chunk.size()) + ";";
  }
  void on_end_of_stream() override { log += "eof;"; }
  std::string log;
};

TEST_F(ClientMockTest, ObserverStreamsChunksWhenResponseIsNotKept) {
  InSequence seq;
  EXPECT_CALL(conn_, send(_)).WillOnce(Return(ok(14)));
  EXPECT_CALL(conn_, shutdown_write()).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Invoke(deliver("ab")));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Invoke(deliver("c")));
  EXPECT_CALL(conn_, recv(_)).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, close()).WillOnce(Return(ok(0)));
  RecordingObserver observer;
  options_.keep_response = false;
  const ClientResult r = run_exchange(conn_, clock_, as_bytes(kRequest),
                                      kDeadline, options_, &observer);
  EXPECT_EQ(observer.log, "sent 14;data ab;data c;eof;");
  EXPECT_TRUE(r.response.empty());
  EXPECT_EQ(r.bytes_received, 3U);
}

TEST_F(ClientMockTest, RecvBufferSizeIsTheConfiguredBound) {
  options_.recv_buffer_size = 7;
  InSequence seq;
  EXPECT_CALL(conn_, send(_)).WillOnce(Return(ok(14)));
  EXPECT_CALL(conn_, shutdown_write()).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, recv(Truly([](std::span<std::byte> b) { return b.size() == 7; })))
      .WillOnce(Return(ok(0)));
  EXPECT_CALL(conn_, close()).WillOnce(Return(ok(0)));
  EXPECT_EQ(run().outcome, Outcome::closed);
}

// --- run_client: the connect branches --------------------------------------

class ConnectTest : public ::testing::Test {
 protected:
  ConnectTest() {
    ON_CALL(transport_, now()).WillByDefault(Return(TimePoint{}));
  }
  NiceMock<MockTransport> transport_;
};

TEST_F(ConnectTest, RefusedConnectionIsReportedAsRefused) {
  EXPECT_CALL(transport_, connect(_, TimePoint{} + std::chrono::seconds(10)))
      .WillOnce(Return(ByMove(ConnectResult{nullptr, err(std::errc::connection_refused)})));
  const ClientResult r = run_client(transport_, {"127.0.0.1", 1}, as_bytes(kRequest), {});
  EXPECT_EQ(r.outcome, Outcome::refused);
  EXPECT_EQ(r.failed_operation, Operation::connect);
}

TEST_F(ConnectTest, ConnectTimeoutIsReportedAsTimedOut) {
  EXPECT_CALL(transport_, connect(_, _))
      .WillOnce(Return(ByMove(ConnectResult{nullptr, err(std::errc::timed_out)})));
  EXPECT_EQ(run_client(transport_, {"127.0.0.1", 1}, as_bytes(kRequest), {}).outcome,
            Outcome::timed_out);
}

TEST_F(ConnectTest, ResetDuringConnectIsReportedAsReset) {
  EXPECT_CALL(transport_, connect(_, _))
      .WillOnce(Return(ByMove(ConnectResult{nullptr, err(std::errc::connection_reset)})));
  const ClientResult r = run_client(transport_, {"127.0.0.1", 1}, as_bytes(kRequest), {});
  EXPECT_EQ(r.outcome, Outcome::reset);
  EXPECT_EQ(r.failed_operation, Operation::connect);
}

TEST_F(ConnectTest, OtherConnectErrorsAreConnectFailed) {
  EXPECT_CALL(transport_, connect(_, _))
      .WillOnce(Return(ByMove(ConnectResult{nullptr, err(std::errc::host_unreachable)})));
  const ClientResult r = run_client(transport_, {"nowhere", 1}, as_bytes(kRequest), {});
  EXPECT_EQ(r.outcome, Outcome::connect_failed);
  EXPECT_EQ(r.error, err(std::errc::host_unreachable));
}

TEST_F(ConnectTest, ConnectedExchangeUsesTheSameDeadlineAndClosesOnce) {
  StrictMock<MockConnection> conn;
  const TimePoint start = TimePoint{} + std::chrono::seconds(100);
  const TimePoint deadline = start + std::chrono::seconds(3);
  ON_CALL(transport_, now()).WillByDefault(Return(start));
  EXPECT_CALL(transport_, connect(_, deadline))
      .WillOnce(Return(ByMove(ConnectResult{std::make_unique<ForwardingConnection>(conn), {}})));
  InSequence seq;
  EXPECT_CALL(conn, send(_)).WillOnce(Return(ok(14)));
  EXPECT_CALL(conn, shutdown_write()).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn, recv(_)).WillOnce(Return(fail(std::errc::resource_unavailable_try_again)));
  EXPECT_CALL(conn, wait(true, false, deadline)).WillOnce(Return(ready_read()));
  EXPECT_CALL(conn, recv(_)).WillOnce(Return(ok(0)));
  EXPECT_CALL(conn, close()).WillOnce(Return(ok(0)));
  ClientOptions options;
  options.timeout = std::chrono::seconds(3);
  EXPECT_TRUE(run_client(transport_, {"127.0.0.1", 9}, as_bytes(kRequest), options).ok());
}

// --- run_client: retries ---------------------------------------------------

ConnectResult refused() { return {nullptr, err(std::errc::connection_refused)}; }
ConnectResult connected(Connection& conn) {
  return {std::make_unique<ForwardingConnection>(conn), {}};
}

class RetryTest : public ConnectTest {
 protected:
  ClientResult run(int retries, ClientObserver* observer = nullptr) {
    ClientOptions options;
    options.retries = retries;
    return run_client(transport_, {"127.0.0.1", 9}, as_bytes(kRequest), options, observer);
  }
};

class RetryRecorder final : public ClientObserver {
 public:
  void on_data(std::span<const std::byte> chunk) override { data += chunk.size(); }
  void on_retry(int connection, const ClientResult& failed) override {
    retries.emplace_back(connection, failed.outcome);
  }
  std::size_t data = 0;
  std::vector<std::pair<int, Outcome>> retries;
};

TEST_F(RetryTest, RetriesAreOffByDefault) {
  EXPECT_CALL(transport_, connect(_, _)).WillOnce(Return(ByMove(refused())));
  const ClientResult r = run_client(transport_, {"127.0.0.1", 9}, as_bytes(kRequest), {});
  EXPECT_EQ(r.outcome, Outcome::refused);
  EXPECT_EQ(r.connections, 1);
}

TEST_F(RetryTest, ARefusedConnectionIsRetriedUpToTheCountThenReported) {
  EXPECT_CALL(transport_, connect(_, TimePoint{} + std::chrono::seconds(10)))
      .Times(3)
      .WillRepeatedly([](const Endpoint&, TimePoint) { return refused(); });
  RetryRecorder seen;
  const ClientResult r = run(2, &seen);
  EXPECT_EQ(r.outcome, Outcome::refused);
  EXPECT_EQ(r.connections, 3);
  EXPECT_EQ(seen.retries, (std::vector<std::pair<int, Outcome>>{{2, Outcome::refused},
                                                                 {3, Outcome::refused}}));
}

TEST_F(RetryTest, AResetBeforeAnyReplyIsRetriedAndTheNextConnectionServes) {
  StrictMock<MockConnection> first;
  StrictMock<MockConnection> second;
  EXPECT_CALL(transport_, connect(_, _))
      .WillOnce(Return(ByMove(connected(first))))
      .WillOnce(Return(ByMove(connected(second))));
  {
    InSequence seq;
    EXPECT_CALL(first, send(_)).WillOnce(Return(ok(14)));
    EXPECT_CALL(first, shutdown_write()).WillOnce(Return(ok(0)));
    EXPECT_CALL(first, recv(_)).WillOnce(Return(fail(std::errc::connection_reset)));
    EXPECT_CALL(first, close()).WillOnce(Return(ok(0)));
    EXPECT_CALL(second, send(_)).WillOnce(Return(ok(14)));
    EXPECT_CALL(second, shutdown_write()).WillOnce(Return(ok(0)));
    EXPECT_CALL(second, recv(_)).WillOnce(deliver("pong"));
    EXPECT_CALL(second, recv(_)).WillOnce(Return(ok(0)));
    EXPECT_CALL(second, close()).WillOnce(Return(ok(0)));
  }
  RetryRecorder seen;
  const ClientResult r = run(3, &seen);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.response, "pong");
  EXPECT_EQ(r.connections, 2);
  EXPECT_EQ(seen.retries, (std::vector<std::pair<int, Outcome>>{{2, Outcome::reset}}));
}

TEST_F(RetryTest, NeverAfterAReplyByte) {
  StrictMock<MockConnection> conn;
  EXPECT_CALL(transport_, connect(_, _)).WillOnce(Return(ByMove(connected(conn))));
  {
    InSequence seq;
    EXPECT_CALL(conn, send(_)).WillOnce(Return(ok(14)));
    EXPECT_CALL(conn, shutdown_write()).WillOnce(Return(ok(0)));
    EXPECT_CALL(conn, recv(_)).WillOnce(deliver("p"));
    EXPECT_CALL(conn, recv(_)).WillOnce(Return(fail(std::errc::connection_reset)));
    EXPECT_CALL(conn, close()).WillOnce(Return(ok(0)));
  }
  RetryRecorder seen;
  const ClientResult r = run(3, &seen);
  EXPECT_EQ(r.outcome, Outcome::reset);
  EXPECT_EQ(r.response, "p");
  EXPECT_EQ(r.connections, 1);
  EXPECT_TRUE(seen.retries.empty());
  EXPECT_EQ(seen.data, 1u);
}

TEST_F(RetryTest, NeverAfterATimeoutOrAnotherError) {
  EXPECT_CALL(transport_, connect(_, _))
      .WillOnce(Return(ByMove(ConnectResult{nullptr, err(std::errc::timed_out)})))
      .WillOnce(Return(ByMove(ConnectResult{nullptr, err(std::errc::host_unreachable)})));
  EXPECT_EQ(run(3).outcome, Outcome::timed_out);
  EXPECT_EQ(run(3).outcome, Outcome::connect_failed);
}

TEST_F(RetryTest, NeverOnceTheDeadlineHasPassed) {
  EXPECT_CALL(transport_, now())
      .WillOnce(Return(TimePoint{}))
      .WillRepeatedly(Return(TimePoint{} + std::chrono::seconds(10)));
  EXPECT_CALL(transport_, connect(_, _)).WillOnce(Return(ByMove(refused())));
  const ClientResult r = run(3);
  EXPECT_EQ(r.outcome, Outcome::refused);
  EXPECT_EQ(r.connections, 1);
}

// --- close exactly once, on every path -------------------------------------
//
// A table of failure paths. Each case programs a NiceMock (so the test does
// not restate the whole call sequence) and the test checks the outcome, the
// failing call, and that close() happened exactly once, last.

struct PathCase {
  const char* name;
  IoResult send_result;
  IoResult shutdown_result;
  IoResult recv_result;
  WaitResult wait_result;
  Outcome outcome;
  Operation operation;
};

class CloseOncePathTest : public ::testing::TestWithParam<PathCase> {};

TEST_P(CloseOncePathTest, EveryPathClosesExactlyOnceAndLast) {
  const PathCase& c = GetParam();
  NiceMock<MockConnection> conn;
  ManualClock clock;
  bool closed = false;
  int calls_after_close = 0;
  auto guard = [&] { calls_after_close += closed ? 1 : 0; };
  ON_CALL(conn, send(_)).WillByDefault(Invoke([&](auto) { guard(); return c.send_result; }));
  ON_CALL(conn, shutdown_write()).WillByDefault(Invoke([&] { guard(); return c.shutdown_result; }));
  ON_CALL(conn, recv(_)).WillByDefault(Invoke([&](auto) { guard(); return c.recv_result; }));
  ON_CALL(conn, wait(_, _, _)).WillByDefault(Invoke([&](bool, bool, TimePoint d) {
    guard();
    if (c.wait_result.timed_out()) clock.set(d);
    return c.wait_result;
  }));
  EXPECT_CALL(conn, close()).Times(1).WillOnce(Invoke([&] {
    closed = true;
    return ok(0);
  }));
  const ClientResult r = run_exchange(conn, clock, as_bytes(kRequest), kDeadline, {});
  EXPECT_EQ(r.outcome, c.outcome) << to_string(r.outcome);
  EXPECT_EQ(r.failed_operation, c.operation) << to_string(r.failed_operation);
  EXPECT_EQ(calls_after_close, 0);
}

const WaitResult kTimeout{};
const WaitResult kReadable{true, false, {}};

INSTANTIATE_TEST_SUITE_P(
    Paths, CloseOncePathTest,
    ::testing::Values(
        PathCase{"Orderly", ok(14), ok(0), ok(0), kReadable, Outcome::closed, Operation::none},
        PathCase{"SendError", fail(std::errc::io_error), ok(0), ok(0), kReadable, Outcome::error, Operation::send},
        PathCase{"SendReset", fail(std::errc::connection_reset), ok(0), ok(0), kReadable, Outcome::reset, Operation::send},
        PathCase{"SendPipe", fail(std::errc::broken_pipe), ok(0), ok(0), kReadable, Outcome::reset, Operation::send},
        PathCase{"ShutdownError", ok(14), fail(std::errc::io_error), ok(0), kReadable, Outcome::error, Operation::shutdown},
        PathCase{"ShutdownAfterReset", ok(14), fail(std::errc::not_connected), ok(0), kReadable, Outcome::reset, Operation::shutdown},
        PathCase{"RecvReset", ok(14), ok(0), fail(std::errc::connection_reset), kReadable, Outcome::reset, Operation::recv},
        PathCase{"RecvAborted", ok(14), ok(0), fail(std::errc::connection_aborted), kReadable, Outcome::reset, Operation::recv},
        PathCase{"RecvError", ok(14), ok(0), fail(std::errc::io_error), kReadable, Outcome::error, Operation::recv},
        PathCase{"RecvTimeout", ok(14), ok(0), fail(std::errc::resource_unavailable_try_again), kTimeout, Outcome::timed_out, Operation::wait},
        PathCase{"SendTimeout", fail(std::errc::resource_unavailable_try_again), ok(0), fail(std::errc::resource_unavailable_try_again), kTimeout, Outcome::timed_out, Operation::wait},
        PathCase{"WaitError", ok(14), ok(0), fail(std::errc::resource_unavailable_try_again), WaitResult{false, false, err(std::errc::bad_file_descriptor)}, Outcome::error, Operation::wait}),
    [](const ::testing::TestParamInfo<PathCase>& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace sockcheck
