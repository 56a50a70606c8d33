#include "support/test_socket.h"

#if defined(_WIN32)
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#endif

#include <algorithm>
#include <climits>

namespace sockcheck::testing {
namespace {

#if defined(_WIN32)
using socklen_t = int;
constexpr int kSendFlags = 0;
bool interrupted() { return WSAGetLastError() == WSAEINTR; }
int poll_socket(TestSocket s, int ms) {
  WSAPOLLFD p{static_cast<SOCKET>(s), POLLRDNORM, 0};
  return WSAPoll(&p, 1, ms);
}
SOCKET native(TestSocket s) { return static_cast<SOCKET>(s); }
SOCKET open_stream(int family) {
  const SOCKET s = ::socket(family, SOCK_STREAM, 0);
  // Not inherited by the programs a test starts (POSIX: SOCK_CLOEXEC).
  if (s != INVALID_SOCKET) {
    ::SetHandleInformation(reinterpret_cast<HANDLE>(s), HANDLE_FLAG_INHERIT, 0);
  }
  return s;
}
SOCKET accept_stream(SOCKET listener) { return ::accept(listener, nullptr, nullptr); }
int io_size(std::size_t n) { return static_cast<int>(std::min<std::size_t>(n, INT_MAX)); }
#else
constexpr int kSendFlags = MSG_NOSIGNAL;
bool interrupted() { return errno == EINTR; }
int poll_socket(TestSocket s, int ms) {
  pollfd p{s, POLLIN, 0};
  return ::poll(&p, 1, ms);
}
int native(TestSocket s) { return s; }
// SOCK_CLOEXEC: a client program a test starts must not hold the server's
// end open.
int open_stream(int family) { return ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0); }
int accept_stream(int listener) {
  return ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
}
std::size_t io_size(std::size_t n) { return n; }
#endif

int ms_until(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::clamp<long long>(left.count(), 0, INT_MAX));
}

}  // namespace

#if defined(_WIN32)
SocketLibrary::SocketLibrary() {
  WSADATA data{};
  WSAStartup(MAKEWORD(2, 2), &data);
}
SocketLibrary::~SocketLibrary() { WSACleanup(); }
void close_socket(TestSocket s) {
  if (s != kNoSocket) ::closesocket(native(s));
}
bool running_under_wine() {
  const HMODULE ntdll = ::GetModuleHandleA("ntdll.dll");
  return ntdll != nullptr && ::GetProcAddress(ntdll, "wine_get_version") != nullptr;
}
#else
SocketLibrary::SocketLibrary() = default;
SocketLibrary::~SocketLibrary() = default;
void close_socket(TestSocket s) {
  if (s != kNoSocket) ::close(s);
}
bool running_under_wine() { return false; }
#endif

BoundSocket bind_loopback(bool ipv6, bool listen) {
  BoundSocket out;
  const auto s = open_stream(ipv6 ? AF_INET6 : AF_INET);
  if (static_cast<TestSocket>(s) == kNoSocket) return out;
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (ipv6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof *a;
  }
  if (::bind(s, reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
      (listen && ::listen(s, 8) != 0) ||
      ::getsockname(s, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    close_socket(static_cast<TestSocket>(s));
    return out;
  }
  out.socket = static_cast<TestSocket>(s);
  out.port = ntohs(ipv6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                        : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  out.host = ipv6 ? "::1" : "127.0.0.1";
  return out;
}

bool wait_readable(TestSocket s, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    const int rc = poll_socket(s, ms_until(deadline));
    if (rc < 0 && interrupted()) continue;
    return rc > 0;
  }
}

TestSocket accept_one(TestSocket listener) {
  return static_cast<TestSocket>(accept_stream(native(listener)));
}

long recv_some(TestSocket s, char* buf, std::size_t size) {
  for (;;) {
    const auto n = ::recv(native(s), buf, io_size(size), 0);
    if (n < 0 && interrupted()) continue;
    return static_cast<long>(n);
  }
}

long send_some(TestSocket s, const char* data, std::size_t size) {
  for (;;) {
    const auto n = ::send(native(s), data, io_size(size), kSendFlags);
    if (n < 0 && interrupted()) continue;
    return static_cast<long>(n);
  }
}

void set_linger_zero(TestSocket s) {
  linger l{};
  l.l_onoff = 1;
  l.l_linger = 0;
  ::setsockopt(native(s), SOL_SOCKET, SO_LINGER,
               reinterpret_cast<const char*>(&l), sizeof l);
}

void shutdown_socket(TestSocket s, bool read_too) {
#if defined(_WIN32)
  ::shutdown(native(s), read_too ? SD_BOTH : SD_SEND);
#else
  ::shutdown(s, read_too ? SHUT_RDWR : SHUT_WR);
#endif
}

}  // namespace sockcheck::testing
