// The server side of the benchmarked exchange: a thread that accepts on
// 127.0.0.1, reads each connection to its FIN, answers with a fixed reply
// and closes. Shared by every benchmark so that only the client side differs.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace sockcheck::bench {

class EchoPeer {
 public:
  explicit EchoPeer(std::string reply);
  ~EchoPeer();
  EchoPeer(const EchoPeer&) = delete;
  EchoPeer& operator=(const EchoPeer&) = delete;
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] bool ok() const noexcept { return listen_fd_ >= 0; }

 private:
  void serve();
  std::string reply_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// One exchange done by hand with blocking raw sockets: connect, send the
// request, shutdown(SHUT_WR), recv until 0, close. Returns bytes received,
// or -1 on any error.
long raw_exchange(std::uint16_t port, const std::string& request);

}  // namespace sockcheck::bench
