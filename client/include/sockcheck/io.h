// The I/O seam: the only way the client touches the network or the clock.
//
// Theory of operation. The reference client (client.h) is written against
// two small interfaces owned by this project instead of the socket API:
//
//   Transport   — a clock (now()) and a way to open a Connection.
//   Connection  — send, recv, shutdown-write, close, and wait-until-ready.
//
// Three backends implement them: the POSIX backend (posix_transport.h, the
// production path and the only file that includes socket headers), the
// simulated transport driven by a scenario script with virtual time
// (fake_server/), and the fuzzed transport whose every answer comes from a
// libFuzzer input (fuzz/). GoogleMock mocks of the same interfaces test each
// error branch (tests/).
//
// The semantics are those of a non-blocking socket: send and recv never
// block; when they cannot make progress they fail with EAGAIN and the caller
// waits with wait(). Every call returns its value and its error together, the
// error captured at the call (never read from errno afterwards), as a
// std::error_code whose value compares equal to the portable std::errc
// conditions (std::errc::interrupted, std::errc::connection_reset, ...), so a
// Winsock backend can report WSAECONNRESET and the client still understands it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <system_error>

namespace sockcheck {

// Points in time on a Transport's clock. The POSIX backend uses the steady
// clock; the simulated transport starts its virtual clock at TimePoint{}.
using TimePoint = std::chrono::steady_clock::time_point;
using Duration = std::chrono::steady_clock::duration;

// The result of one call through the seam.
//  - On success `error` is empty and `bytes` is the count transferred (0 from
//    recv means orderly end of stream; 0 from send only for an empty buffer).
//  - On failure `error` holds the OS error of that very call and `bytes` is 0.
struct IoResult {
  std::size_t bytes = 0;
  std::error_code error;

  [[nodiscard]] bool ok() const noexcept { return !error; }
  static IoResult success(std::size_t n) noexcept { return {n, {}}; }
  static IoResult failure(std::error_code ec) noexcept { return {0, ec}; }
  static IoResult failure(std::errc e) noexcept {
    return {0, std::make_error_code(e)};
  }
};

// What wait() reports. Neither flag set and no error means the deadline
// passed. A peer's FIN or RST makes a connection readable (the next recv
// returns 0 or the error), as poll() does.
struct WaitResult {
  bool readable = false;
  bool writable = false;
  std::error_code error;

  [[nodiscard]] bool timed_out() const noexcept {
    return !readable && !writable && !error;
  }
};

// Where to connect. `host` is a numeric address or a name the backend can
// resolve (the POSIX backend uses getaddrinfo).
struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
};

// One connected stream socket.
//
// Lifetime: obtained from Transport::connect; close() must be called exactly
// once, after which no other method may be called. Destroying a Connection
// that was never closed releases the handle anyway (so nothing leaks), but
// the reference client never relies on that: counting close() calls is how
// the harness checks the closes-once rule.
class Connection {
 public:
  virtual ~Connection() = default;

  // Sends up to data.size() bytes; may send fewer (a short send) and the
  // caller continues with the rest. Never raises SIGPIPE: writing to a peer
  // that is gone fails with EPIPE or ECONNRESET. EAGAIN when the send buffer
  // is full; EINTR when interrupted before any byte was sent.
  virtual IoResult send(std::span<const std::byte> data) = 0;

  // Receives up to buffer.size() bytes into buffer (buffer is never empty).
  // Returns 0 bytes once the peer closed in order (FIN) and all its data was
  // read; keeps returning 0 after that. EAGAIN when nothing is available yet,
  // ECONNRESET when the peer reset, EINTR when interrupted.
  virtual IoResult recv(std::span<std::byte> buffer) = 0;

  // Sends FIN (shutdown(SHUT_WR), SD_SEND on Winsock). The connection stays
  // readable.
  virtual IoResult shutdown_write() = 0;

  // Releases the socket. Exactly once per connection; its error, if any, is
  // informational (the descriptor is gone either way, so it is never retried).
  virtual IoResult close() = 0;

  // Blocks until the connection is readable (if want_read), writable (if
  // want_write), or `deadline` passes on the transport's clock. EINTR may be
  // reported as an error; the caller retries.
  virtual WaitResult wait(bool want_read, bool want_write,
                          TimePoint deadline) = 0;
};

// The outcome of Transport::connect: a connection, or the error that
// prevented one (ECONNREFUSED, ETIMEDOUT when `deadline` passed, a resolver
// failure as std::errc::host_unreachable, ...). Exactly one is set.
struct ConnectResult {
  std::unique_ptr<Connection> connection;
  std::error_code error;
};

// A clock the client reads its deadlines from.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() = 0;
};

// A network the client can open connections on, with its clock.
class Transport : public Clock {
 public:
  // Opens a stream connection to `to`, giving up at `deadline`.
  virtual ConnectResult connect(const Endpoint& to, TimePoint deadline) = 0;
};

// Helpers for the error conditions the client distinguishes. They compare
// against portable conditions, so they hold for any backend's category.
[[nodiscard]] bool is_interrupted(const std::error_code& ec) noexcept;
[[nodiscard]] bool is_would_block(const std::error_code& ec) noexcept;
[[nodiscard]] bool is_reset(const std::error_code& ec) noexcept;

// "ECONNRESET" for a known condition, else the decimal value. Stable across
// platforms for the conditions the client reports.
[[nodiscard]] std::string error_name(const std::error_code& ec);

}  // namespace sockcheck
