// A hostile client for tests of the loopback server: on a thread of its own
// it connects to 127.0.0.1:PORT and then moves bytes as fast as the kernel
// lets it, never pausing, so that the server's loops never see EAGAIN:
//
//   flood   reads `greeting` bytes first (a script can write them, so the
//           test knows its script runs), then sends without pause and never
//           reads again;
//   drain   sends `request` and FIN, then reads without pause.
//
// It stops by itself: when the connection fails (the server's RST), at end
// of stream, or when `for_at_most` has passed, whichever comes first. Its
// socket is non-blocking and every wait is a poll() of at most 50 ms, so the
// destructor (which asks it to stop and joins the thread) returns promptly.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

#include "sockcheck/io.h"

namespace sockcheck::testing {

class BusyClient {
 public:
  enum class Mode { flood, drain };
  struct Options {
    Mode mode = Mode::flood;
    std::uint16_t port = 0;       // on 127.0.0.1, never anywhere else
    std::size_t greeting = 0;     // flood: bytes to read before flooding
    std::string request;          // drain: sent, then FIN, before reading
    Duration for_at_most = std::chrono::seconds(20);
  };

  explicit BusyClient(Options options);
  ~BusyClient();
  BusyClient(const BusyClient&) = delete;
  BusyClient& operator=(const BusyClient&) = delete;

  // Waits until the flood or drain is under way (the connection is made and
  // the greeting read) and `bytes` have been moved, or `timeout` passes or
  // the client ends first; true if they have.
  bool wait_until_moved(std::uint64_t bytes, Duration timeout);
  // Waits for the client to end by itself (at most `timeout`); true if it did.
  bool wait_until_ended(Duration timeout);

  // Bytes sent (flood) or received (drain) after the greeting.
  [[nodiscard]] std::uint64_t moved() const { return moved_.load(); }
  // Why it ended: "" while running, else e.g. "ECONNRESET", "end of stream",
  // "time limit", "connect: ECONNREFUSED".
  [[nodiscard]] std::string ending() const;

 private:
  void run(Options options);
  void end(std::string why);

  std::atomic<bool> quit_{false};
  std::atomic<bool> flowing_{false};
  std::atomic<bool> ended_{false};
  std::atomic<std::uint64_t> moved_{0};
  std::string ending_;  // written once before ended_ is set
  std::thread thread_;
};

}  // namespace sockcheck::testing
