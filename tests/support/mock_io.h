// GoogleMock doubles of the I/O seam (sockcheck/io.h).
//
// Shaped after the seam itself, not after the socket API: a test sets
// defaults with ON_CALL and states with EXPECT_CALL only the property it
// checks. Use StrictMock<MockConnection> where "no other call happens" is
// the property (e.g. nothing after close()).
#pragma once

#include <gmock/gmock.h>

#include <memory>

#include "sockcheck/io.h"

namespace sockcheck::testing {

class MockConnection : public Connection {
 public:
  MOCK_METHOD(IoResult, send, (std::span<const std::byte> data), (override));
  MOCK_METHOD(IoResult, recv, (std::span<std::byte> buffer), (override));
  MOCK_METHOD(IoResult, shutdown_write, (), (override));
  MOCK_METHOD(IoResult, close, (), (override));
  MOCK_METHOD(WaitResult, wait,
              (bool want_read, bool want_write, TimePoint deadline),
              (override));
};

class MockTransport : public Transport {
 public:
  MOCK_METHOD(TimePoint, now, (), (override));
  MOCK_METHOD(ConnectResult, connect, (const Endpoint& to, TimePoint deadline),
              (override));
};

// A clock the test moves by hand; starts at TimePoint{} like the simulator.
class ManualClock : public Clock {
 public:
  TimePoint now() override { return now_; }
  void advance(Duration d) { now_ += d; }
  void set(TimePoint t) { now_ = t; }

 private:
  TimePoint now_{};
};

// A Connection that forwards every call to a mock it does not own, so that a
// MockTransport can hand out a unique_ptr while the test keeps the mock.
class ForwardingConnection : public Connection {
 public:
  explicit ForwardingConnection(Connection& target) : target_(target) {}
  IoResult send(std::span<const std::byte> d) override { return target_.send(d); }
  IoResult recv(std::span<std::byte> b) override { return target_.recv(b); }
  IoResult shutdown_write() override { return target_.shutdown_write(); }
  IoResult close() override { return target_.close(); }
  WaitResult wait(bool r, bool w, TimePoint deadline) override {
    return target_.wait(r, w, deadline);
  }

 private:
  Connection& target_;
};

}  // namespace sockcheck::testing
