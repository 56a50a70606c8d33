#include "support/one_shot_server.h"

namespace sockcheck::testing {

OneShotServer::OneShotServer(Handler handler, bool ipv6,
                             std::chrono::milliseconds accept_timeout)
    : listener_(bind_loopback(ipv6, /*listen=*/true)) {
  if (!listening()) return;
  thread_ = std::thread([this, handler = std::move(handler), accept_timeout] {
    const auto deadline = std::chrono::steady_clock::now() + accept_timeout;
    if (!wait_readable(listener_.socket, deadline)) return;
    const Socket conn = accept_one(listener_.socket);
    if (conn == kNoSocket) return;
    handler(conn);
    close_socket(conn);
  });
}

OneShotServer::~OneShotServer() {
  if (thread_.joinable()) thread_.join();
  close_socket(listener_.socket);
}

std::string OneShotServer::read_to_end(Socket s, std::chrono::milliseconds timeout) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  for (;;) {
    if (!wait_readable(s, deadline)) return out;
    const long n = recv_some(s, buf, sizeof buf);
    if (n <= 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

bool OneShotServer::write_all(Socket s, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const long n = send_some(s, data.data() + done, data.size() - done);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace sockcheck::testing
