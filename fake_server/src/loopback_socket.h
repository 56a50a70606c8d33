// The loopback server's thin layer over POSIX sockets: descriptors,
// numeric addresses, the wake pipe, poll() timeouts and error text. Private
// to the fake server.
//
// Only the loopback files include socket headers: this header and
// loopback_socket.cc, loopback_script_runner.cc and loopback_server.cc. The
// rest of the fake server, and every public header, stays free of them.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>

#include "sockcheck/io.h"

namespace sockcheck::loopback {

// The clock of every wait, deadline and timestamp of the loopback server.
using SteadyClock = std::chrono::steady_clock;

// Linux copies TCP_NODELAY from the listening socket to the sockets
// accept() returns; elsewhere each accepted socket gets it itself.
#ifdef __linux__
constexpr bool kListenerPassesNoDelay = true;
#else
constexpr bool kListenerPassesNoDelay = false;
#endif

// errno as an error code; call it on the line after the failed call.
std::error_code last_error() noexcept;

// "ECONNRESET" for the errors the project names, the OS's text otherwise.
std::string describe(const std::error_code& ec);

// Milliseconds until `end` for poll(), rounded up so a wait never ends
// before its time, clamped to poll's range.
int poll_timeout(TimePoint end) noexcept;

// Closes `fd` if it is open and sets it to -1.
void close_fd(int& fd) noexcept;

// Close that sends RST instead of FIN: SO_LINGER with a zero timeout.
void abort_fd(int& fd) noexcept;

bool set_nonblocking(int fd) noexcept;

// A size for setsockopt(), which takes an int: clamped to INT_MAX.
int clamp_to_int(std::uint64_t v) noexcept;

// A pipe whose read end is polled; see the theory of operation in
// loopback_server.cc. Both ends are non-blocking and close-on-exec.
struct Pipe {
  int read_end = -1;
  int write_end = -1;

  std::error_code open();
  // Never blocks: a full pipe is readable already, which is all that counts.
  void ping() const noexcept;
  void close() noexcept;
};

// A numeric address parsed into a sockaddr.
struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_UNSPEC;
  bool loopback = false;  // 127.0.0.0/8 or ::1
  // For an IPv4-mapped IPv6 address (::ffff:a.b.c.d), its IPv4 form
  // ("a.b.c.d"): start() refuses these, see docs/loopback-server.md.
  std::string mapped_ipv4;
};

// Only numeric IPv4 and IPv6 addresses; no name lookup.
std::optional<Address> parse_address(const std::string& text,
                                     std::uint16_t port);

// The address and port a socket is bound to, as an Endpoint.
std::optional<Endpoint> bound_endpoint(int fd);

}  // namespace sockcheck::loopback
