// The loopback server's socket helpers; see loopback_socket.h. Each wraps
// one or two system calls and keeps no state of its own, so the pool and
// the script runner read as what they do rather than how POSIX spells it.
#include "loopback_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>

namespace sockcheck::loopback {

std::error_code last_error() noexcept {
  return {errno, std::system_category()};
}

std::string describe(const std::error_code& ec) {
  std::string name = error_name(ec);
  if (!name.empty() &&
      std::isdigit(static_cast<unsigned char>(name.front())) != 0) {
    return ec.message();
  }
  return name;
}

int poll_timeout(TimePoint end) noexcept {
  const Duration left = end - SteadyClock::now();
  if (left <= Duration::zero()) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(std::min<long long>(ms, INT_MAX));
}

void close_fd(int& fd) noexcept {
  if (fd >= 0) {
    ::close(fd);  // never retried: Linux releases the descriptor even on EINTR
    fd = -1;
  }
}

void abort_fd(int& fd) noexcept {
  if (fd < 0) return;
  const linger lg{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close_fd(fd);
}

bool set_nonblocking(int fd) noexcept {
  const int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

int clamp_to_int(std::uint64_t v) noexcept {
  return static_cast<int>(
      std::min<std::uint64_t>(v, static_cast<std::uint64_t>(INT_MAX)));
}

std::error_code Pipe::open() {
  int fds[2];
  if (::pipe(fds) != 0) return last_error();
  read_end = fds[0];
  write_end = fds[1];
  for (const int fd : fds) {
    if (::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 || !set_nonblocking(fd)) {
      const std::error_code ec = last_error();
      close();
      return ec;
    }
  }
  return {};
}

void Pipe::ping() const noexcept {
  const char byte = 1;
  [[maybe_unused]] const ssize_t n = ::write(write_end, &byte, 1);
}

void Pipe::close() noexcept {
  close_fd(read_end);
  close_fd(write_end);
}

std::optional<Address> parse_address(const std::string& text,
                                     std::uint16_t port) {
  Address a;
  in_addr v4{};
  in6_addr v6{};
  if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr = v4;
    std::memcpy(&a.storage, &sin, sizeof sin);
    a.length = sizeof sin;
    a.family = AF_INET;
    a.loopback = (ntohl(v4.s_addr) >> 24) == 127;
    return a;
  }
  if (::inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(port);
    sin6.sin6_addr = v6;
    std::memcpy(&a.storage, &sin6, sizeof sin6);
    a.length = sizeof sin6;
    a.family = AF_INET6;
    a.loopback = IN6_IS_ADDR_LOOPBACK(&v6);
    if (IN6_IS_ADDR_V4MAPPED(&v6)) {
      char text4[INET_ADDRSTRLEN] = {};
      ::inet_ntop(AF_INET, &v6.s6_addr[12], text4, sizeof text4);
      a.mapped_ipv4 = text4;
    }
    return a;
  }
  return std::nullopt;
}

std::optional<Endpoint> bound_endpoint(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return std::nullopt;
  }
  char text[INET6_ADDRSTRLEN] = {};
  Endpoint e;
  if (ss.ss_family == AF_INET) {
    sockaddr_in sin{};
    std::memcpy(&sin, &ss, sizeof sin);
    ::inet_ntop(AF_INET, &sin.sin_addr, text, sizeof text);
    e.port = ntohs(sin.sin_port);
  } else if (ss.ss_family == AF_INET6) {
    sockaddr_in6 sin6{};
    std::memcpy(&sin6, &ss, sizeof sin6);
    ::inet_ntop(AF_INET6, &sin6.sin6_addr, text, sizeof text);
    e.port = ntohs(sin6.sin6_port);
  } else {
    return std::nullopt;
  }
  e.host = text;
  return e;
}

}  // namespace sockcheck::loopback
