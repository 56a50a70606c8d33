// The handful of raw socket calls the tests' own peers make, on POSIX and on
// Winsock, so the in-test servers (one_shot_server.h) build for Linux and,
// with MinGW-w64, for Windows. test_socket.cc is the only test file that
// includes socket headers. Every call is blocking-with-a-deadline or
// immediate; none is used by the client under test.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace sockcheck::testing {

#if defined(_WIN32)
using TestSocket = std::uintptr_t;  // SOCKET
#else
using TestSocket = int;
#endif
inline constexpr TestSocket kNoSocket = static_cast<TestSocket>(-1);

// Keeps the socket library started while alive (WSAStartup/WSACleanup on
// Windows, nothing on POSIX). Every object that owns test sockets holds one.
class SocketLibrary {
 public:
  SocketLibrary();
  ~SocketLibrary();
  SocketLibrary(const SocketLibrary&) = delete;
  SocketLibrary& operator=(const SocketLibrary&) = delete;
};

// A listening socket on the loopback address (IPv4 or IPv6), port chosen by
// the system; kNoSocket and port 0 when the family cannot be bound.
// `listen` false leaves it bound only: connects to it are refused.
struct BoundSocket {
  TestSocket socket = kNoSocket;
  std::uint16_t port = 0;
  std::string host;
};
BoundSocket bind_loopback(bool ipv6, bool listen);

void close_socket(TestSocket s);
// Waits until `s` is readable (or has a connection to accept); false at the
// deadline or on error. EINTR is retried.
bool wait_readable(TestSocket s, std::chrono::steady_clock::time_point deadline);
TestSocket accept_one(TestSocket listener);
// One recv or send; the count, 0 at end of stream, negative on error (EINTR
// is retried). send never raises SIGPIPE.
long recv_some(TestSocket s, char* buf, std::size_t size);
long send_some(TestSocket s, const char* data, std::size_t size);
// SO_LINGER {1, 0}: the next close sends RST.
void set_linger_zero(TestSocket s);
// shutdown(SHUT_WR) / SD_SEND, or with `read_too` SHUT_RDWR / SD_BOTH.
void shutdown_socket(TestSocket s, bool read_too);

// True when this process is a Windows program running under Wine (whose
// ntdll exports wine_get_version), where docs/windows.md's divergences from
// Windows apply; false on Windows itself and on POSIX.
bool running_under_wine();

// A loopback port that refuses connections, bound (not listening) for the
// object's lifetime, so no other test can take it meanwhile.
class RefusingPort {
 public:
  RefusingPort() : bound_(bind_loopback(false, false)) {}
  ~RefusingPort() { close_socket(bound_.socket); }
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;
  [[nodiscard]] std::uint16_t port() const noexcept { return bound_.port; }

 private:
  SocketLibrary library_;
  BoundSocket bound_;
};

}  // namespace sockcheck::testing
