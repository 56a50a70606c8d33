// A tiny TCP server for the reference client's loopback tests: it listens on
// 127.0.0.1 (or ::1) port 0, accepts one connection on a thread, runs a
// handler on the raw descriptor, and closes it. Independent of the fake
// server on purpose: it tests the POSIX backend against the kernel with as
// little of our own code in between as possible.
//
// Lifetime: the destructor joins the thread. accept() gives up after
// `accept_timeout`, so a test whose client never connects still ends.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <thread>

namespace sockcheck::testing {

class OneShotServer {
 public:
  using Handler = std::function<void(int fd)>;

  explicit OneShotServer(Handler handler, bool ipv6 = false,
                         std::chrono::milliseconds accept_timeout =
                             std::chrono::seconds(20));
  ~OneShotServer();
  OneShotServer(const OneShotServer&) = delete;
  OneShotServer& operator=(const OneShotServer&) = delete;

  [[nodiscard]] bool listening() const noexcept { return listen_fd_ >= 0; }
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] const std::string& host() const noexcept { return host_; }

  // Handler helpers (blocking, bounded by `timeout`).
  // Reads until the peer's FIN or an error; returns what was read.
  static std::string read_to_end(int fd, std::chrono::milliseconds timeout =
                                             std::chrono::seconds(20));
  static bool write_all(int fd, const std::string& data);
  // Abortive close: SO_LINGER {1, 0} makes close() send RST.
  static void set_reset_on_close(int fd);

 private:
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::string host_;
  std::thread thread_;
};

}  // namespace sockcheck::testing
