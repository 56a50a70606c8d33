// A tiny TCP server for the reference client's loopback tests: it listens on
// 127.0.0.1 (or ::1) port 0, accepts one connection on a thread, runs a
// handler on the raw socket, and closes it. Independent of the fake server
// on purpose: it tests the platform's backend (POSIX, or Winsock in the
// mingw build) against a real TCP stack with as little of our own code in
// between as possible. The raw calls are test_socket.h's.
//
// Lifetime: the destructor joins the thread. accept() gives up after
// `accept_timeout`, so a test whose client never connects still ends.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "support/test_socket.h"

namespace sockcheck::testing {

class OneShotServer {
 public:
  using Socket = TestSocket;
  using Handler = std::function<void(Socket s)>;

  explicit OneShotServer(Handler handler, bool ipv6 = false,
                         std::chrono::milliseconds accept_timeout =
                             std::chrono::seconds(20));
  ~OneShotServer();
  OneShotServer(const OneShotServer&) = delete;
  OneShotServer& operator=(const OneShotServer&) = delete;

  [[nodiscard]] bool listening() const noexcept { return listener_.socket != kNoSocket; }
  [[nodiscard]] std::uint16_t port() const noexcept { return listener_.port; }
  [[nodiscard]] const std::string& host() const noexcept { return listener_.host; }

  // Handler helpers (blocking, bounded by `timeout`).
  // Reads until the peer's FIN or an error; returns what was read.
  static std::string read_to_end(Socket s, std::chrono::milliseconds timeout =
                                               std::chrono::seconds(20));
  static bool write_all(Socket s, const std::string& data);
  // Abortive close: SO_LINGER {1, 0} makes close() send RST.
  static void set_reset_on_close(Socket s) { set_linger_zero(s); }
  // FIN (SHUT_WR, SD_SEND); both ways (SHUT_RDWR, SD_BOTH).
  static void shutdown_write(Socket s) { shutdown_socket(s, false); }
  static void shutdown_both(Socket s) { shutdown_socket(s, true); }

 private:
  SocketLibrary library_;
  BoundSocket listener_;
  std::thread thread_;
};

}  // namespace sockcheck::testing
