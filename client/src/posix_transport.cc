// POSIX sockets behind the I/O seam. See posix_transport.h.
#include "sockcheck/posix_transport.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <string>

namespace sockcheck {
namespace {

#if defined(MSG_NOSIGNAL)
constexpr int kSendFlags = MSG_NOSIGNAL;
#else
constexpr int kSendFlags = 0;  // SO_NOSIGPIPE is set on the socket instead
#endif

std::error_code last_error() noexcept {
  return {errno, std::system_category()};
}

// Milliseconds from now until `deadline`, rounded up, clamped for poll().
int poll_timeout_ms(TimePoint deadline) noexcept {
  const auto left = deadline - std::chrono::steady_clock::now();
  if (left <= Duration::zero()) return 0;
  const auto ms =
      std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(std::min<long long>(ms, INT_MAX));
}

class PosixConnection final : public Connection {
 public:
  explicit PosixConnection(int fd) noexcept : fd_(fd) {}
  ~PosixConnection() override {
    if (fd_ >= 0) ::close(fd_);  // safety net only; see Connection's contract
  }
  PosixConnection(const PosixConnection&) = delete;
  PosixConnection& operator=(const PosixConnection&) = delete;

  IoResult send(std::span<const std::byte> data) override {
    const ssize_t n = ::send(fd_, data.data(), data.size(), kSendFlags);
    if (n < 0) return IoResult::failure(last_error());
    return IoResult::success(static_cast<std::size_t>(n));
  }

  IoResult recv(std::span<std::byte> buffer) override {
    const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (n < 0) return IoResult::failure(last_error());
    return IoResult::success(static_cast<std::size_t>(n));
  }

  IoResult shutdown_write() override {
    if (::shutdown(fd_, SHUT_WR) != 0) return IoResult::failure(last_error());
    return IoResult::success(0);
  }

  IoResult close() override {
    const int fd = fd_;
    fd_ = -1;
    // Never retried: on Linux the descriptor is released even on EINTR.
    if (::close(fd) != 0) return IoResult::failure(last_error());
    return IoResult::success(0);
  }

  WaitResult wait(bool want_read, bool want_write,
                  TimePoint deadline) override {
    pollfd p{};
    p.fd = fd_;
    p.events = static_cast<short>((want_read ? POLLIN : 0) |
                                  (want_write ? POLLOUT : 0));
    const int rc = ::poll(&p, 1, poll_timeout_ms(deadline));
    WaitResult w;
    if (rc < 0) {
      w.error = last_error();
      return w;
    }
    // POLLHUP/POLLERR: the next recv or send reports what happened.
    const bool trouble = (p.revents & (POLLHUP | POLLERR)) != 0;
    w.readable = want_read && ((p.revents & POLLIN) != 0 || trouble);
    w.writable = want_write && ((p.revents & POLLOUT) != 0 || trouble);
    return w;
  }

 private:
  int fd_;
};

// Connects one socket to one resolved address. Returns the fd or -1 with
// `err` set.
int connect_one(const addrinfo& ai, TimePoint deadline, std::error_code& err) {
  const int fd = ::socket(ai.ai_family, ai.ai_socktype | SOCK_CLOEXEC,
                          ai.ai_protocol);
  if (fd < 0) {
    err = last_error();
    return -1;
  }
  auto fail = [&](std::error_code ec) {
    err = ec;
    ::close(fd);
    return -1;
  };
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    return fail(last_error());
  }
#if !defined(MSG_NOSIGNAL) && defined(SO_NOSIGPIPE)
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
  if (::connect(fd, ai.ai_addr, ai.ai_addrlen) == 0) return fd;
  if (errno != EINPROGRESS && errno != EINTR) return fail(last_error());
  for (;;) {
    pollfd p{fd, POLLOUT, 0};
    const int rc = ::poll(&p, 1, poll_timeout_ms(deadline));
    if (rc < 0) {
      if (errno == EINTR) continue;
      return fail(last_error());
    }
    if (rc == 0) {
      if (std::chrono::steady_clock::now() < deadline) continue;
      return fail(std::make_error_code(std::errc::timed_out));
    }
    int so_error = 0;
    socklen_t len = sizeof so_error;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) {
      return fail(last_error());
    }
    if (so_error != 0) return fail({so_error, std::system_category()});
    return fd;
  }
}

}  // namespace

TimePoint PosixTransport::now() { return std::chrono::steady_clock::now(); }

ConnectResult PosixTransport::connect(const Endpoint& to, TimePoint deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  // No AI_ADDRCONFIG: it hides ::1 on hosts whose only IPv6 address is
  // loopback, which is exactly where the tests run.
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* list = nullptr;
  const std::string port = std::to_string(to.port);
  const int rc = ::getaddrinfo(to.host.c_str(), port.c_str(), &hints, &list);
  if (rc != 0) {
    // Resolver errors are not errno values; report them as unreachable.
    return {nullptr, std::make_error_code(std::errc::host_unreachable)};
  }
  std::error_code err = std::make_error_code(std::errc::host_unreachable);
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    const int fd = connect_one(*ai, deadline, err);
    if (fd >= 0) {
      ::freeaddrinfo(list);
      return {std::make_unique<PosixConnection>(fd), {}};
    }
    if (err == std::errc::timed_out) break;
  }
  ::freeaddrinfo(list);
  return {nullptr, err};
}

}  // namespace sockcheck
