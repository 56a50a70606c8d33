// The reference client: connect, send the request, half-close, read until
// the peer's orderly close or an error.
//
// Theory of operation. run_client() connects through a Transport and hands
// the connection to run_exchange(), a small explicit state machine:
//
//   sending ──(request fully sent, shutdown_write ok)──▶ receiving
//      │                                                    │
//      └─────────────── any fatal error / deadline ─────────┴──▶ done(outcome)
//
// It is full duplex: while the request is still being sent it also reads, so
// a server that answers before reading everything cannot deadlock it. Calls
// are made optimistically (send/recv first) and the client waits through the
// seam only when a call reports EAGAIN, on both directions it still needs.
// EINTR is retried, short sends are continued, SIGPIPE never happens (the
// seam's contract), the overall deadline is read from the transport's clock,
// and every path ends in exactly one close().
//
// The client never interprets the bytes. It streams every chunk to a
// ClientObserver and, unless told otherwise, keeps a copy in the result.
//
// Retries are off by default. With ClientOptions::retries = N, run_client()
// connects again, up to N times, when a connection is refused or reset
// before any reply byte arrived; never after a reply byte (a retry would
// repeat a request the server has begun to answer, and the observer has
// already seen part of that answer), never after a timeout (the deadline
// covers every attempt) or another error. The result is the last
// connection's.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "sockcheck/io.h"

namespace sockcheck {

// How an exchange ended. Only `closed` is success.
enum class Outcome {
  closed,          // the peer closed in order (recv returned 0) after our FIN
  reset,           // the peer reset the connection (ECONNRESET, EPIPE)
  timed_out,       // the overall deadline passed
  refused,         // the connection was refused (ECONNREFUSED)
  connect_failed,  // any other failure to connect (unreachable, resolver, ...)
  error,           // any other error from send, recv, shutdown or wait
};

// The call that produced the error of a failed exchange.
enum class Operation { none, connect, send, shutdown, recv, wait };

[[nodiscard]] std::string_view to_string(Outcome o) noexcept;
[[nodiscard]] std::string_view to_string(Operation op) noexcept;

struct ClientOptions {
  // Overall budget for connect + exchange, measured on the transport's clock.
  Duration timeout = std::chrono::seconds(10);
  // Size of the one receive buffer the client reads into (bounded memory).
  std::size_t recv_buffer_size = 16 * 1024;
  // Keep a copy of every received byte in ClientResult::response. Turn off to
  // stream arbitrarily large responses through an observer in bounded memory.
  bool keep_response = true;
  // run_client(): how many more connections to open, one after another,
  // when a connection is refused or reset before any reply byte arrived.
  // 0 (the default): never retry. At once, within the same deadline.
  int retries = 0;
};

struct ClientResult;

// Receives progress as it happens. All methods are optional; the default
// implementations do nothing. Called on the thread that runs the client.
class ClientObserver {
 public:
  virtual ~ClientObserver() = default;
  // The whole request was sent (before the half-close).
  virtual void on_request_sent(std::size_t /*total*/) {}
  // One successful recv; the span is valid only during the call.
  virtual void on_data(std::span<const std::byte> /*chunk*/) {}
  // The peer's orderly close was read.
  virtual void on_end_of_stream() {}
  // run_client() is about to open connection `connection` (2, 3, ...)
  // because the previous one failed, as `failed` says, before any reply
  // byte: nothing was passed to on_data() for it.
  virtual void on_retry(int /*connection*/, const ClientResult& /*failed*/) {}
};

struct ClientResult {
  Outcome outcome = Outcome::error;
  // The error behind a failed outcome (empty for `closed`), and the call
  // that reported it.
  std::error_code error;
  Operation failed_operation = Operation::none;
  std::size_t bytes_sent = 0;      // request bytes accepted by send()
  std::size_t bytes_received = 0;  // response bytes returned by recv()
  bool half_closed = false;        // shutdown_write() succeeded
  bool saw_end_of_stream = false;  // recv() returned 0
  std::error_code close_error;     // informational: close() is never retried
  std::string response;            // when ClientOptions::keep_response
  int connections = 1;             // run_client(): connections opened, refused ones included

  [[nodiscard]] bool ok() const noexcept { return outcome == Outcome::closed; }
};

// Runs one exchange on an already connected `conn` and closes it exactly
// once before returning, whatever happens. `deadline` is on `clock`.
ClientResult run_exchange(Connection& conn, Clock& clock,
                          std::span<const std::byte> request,
                          TimePoint deadline, const ClientOptions& options,
                          ClientObserver* observer = nullptr);

// Connects to `to` through `transport` and runs the exchange. The deadline
// (now + options.timeout) covers the connect too, and every retry
// (options.retries).
ClientResult run_client(Transport& transport, const Endpoint& to,
                        std::span<const std::byte> request,
                        const ClientOptions& options,
                        ClientObserver* observer = nullptr);

// Convenience for text requests.
inline std::span<const std::byte> as_bytes(std::string_view s) noexcept {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

}  // namespace sockcheck
