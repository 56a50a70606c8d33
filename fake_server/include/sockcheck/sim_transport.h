// The simulated transport: the client's I/O seam (io.h) implemented in
// memory, driven by a scenario's server scripts, on a virtual clock.
//
// Theory of operation. Each connection is a pair of in-memory TCP endpoints.
// The client side is what the seam exposes (send/recv/shutdown_write/close/
// wait, non-blocking); the server side runs the scenario's script for that
// connection as a small state machine. Nothing runs on its own: the server is
// advanced lazily, in virtual time, whenever the client would block (a send
// or recv that would report EAGAIN, or any wait()), and wait() is the only
// thing that moves the clock: it jumps straight to the earliest server event
// that could matter (end of a sleep or gap, the accept delay, the scenario
// deadline) or to the caller's deadline. A 10-minute delayed FIN therefore
// costs the same few microseconds as an instant one.
//
// Ordering within one instant: the client runs ahead. Its calls at virtual
// time T happen before the server's reactions at T, until the client would
// block; then the server catches up to T and the call is re-evaluated. This
// is what usually happens over loopback too (the client is already running;
// the server still has to be scheduled), and it makes every run a pure
// function of the scenario and the client's calls: deterministic, bit for bit.
//
// The TCP model follows Linux (checked against real loopback sockets):
//  - Each server write chunk is a separate recv result, cut to the caller's
//    buffer; a recv never crosses a chunk boundary.
//  - FIN arrives after the data queued before it; recv then returns 0 forever.
//  - RST (server `reset`, or `close` with unread client data): queued data
//    stays readable, then one ECONNRESET, then recv returns 0 and send EPIPE
//    (the kernel reports a socket error once). An RST that arrives after the
//    peer's FIN is not seen by recv at all (it returns 0) and makes send fail
//    with EPIPE. shutdown_write() after an RST fails with ENOTCONN.
//    ResetMode::windows_like instead discards unread data at the RST, and
//    recv and send fail with ECONNRESET every time.
//  - Data sent to a peer whose socket is closed is accepted, then answered
//    with an RST (so the next send fails). This holds both ways: a server
//    write after the client's orderly close succeeds once and the next one
//    fails (ServerObservation::client_reset).
//  - close() with unread received data sends RST instead of FIN, on both
//    sides (ServerObservation::closed_with_unread for the server).
//  - `hang` ends when the client closes or at the scenario deadline, and
//    the server then lets go with RST, never FIN (as the loopback server).
//  - Backpressure: the client's sends fill the server's receive window (the
//    `recv-buffer` step, else SimOptions::server_receive_window); a send
//    that finds it full comes back short, then EAGAIN. Server writes are
//    bounded the same way by SimOptions::client_receive_window, so a client
//    that stops reading stalls the server as it would over TCP.
// docs/sim-transport.md describes the model in full, including every way it
// knowingly differs from the loopback server.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sockcheck/io.h"
#include "sockcheck/observation.h"
#include "sockcheck/scenario.h"

namespace sockcheck {

struct SimOptions {
  // Record a line per client call and per server event (trace()). Off, the
  // transport formats nothing; observations are recorded either way.
  bool trace = true;
  // The server's receive window: how many bytes the client can send that
  // the server has not read yet. A `recv-buffer` step replaces it; leading
  // `recv-buffer` steps (before any step other than `accept`) apply from
  // the connection's first byte, like a listening socket's SO_RCVBUF.
  std::size_t server_receive_window = 256 * 1024;
  // The client's receive window: how many written bytes the server can have
  // queued that the client has not read yet, before its writes stall.
  std::size_t client_receive_window = 256 * 1024;
};

// What the client did on one connection, for the rules the harness checks
// in-process (closes-once, no use after close, no send after shutdown).
struct SimClientCalls {
  std::uint64_t sends = 0;
  std::uint64_t recvs = 0;
  std::uint64_t shutdowns = 0;
  std::uint64_t waits = 0;
  std::uint64_t closes = 0;                // every close() call, including extra ones
  std::uint64_t calls_after_close = 0;     // any call after the first close()
  std::uint64_t sends_after_shutdown = 0;  // send() after a successful shutdown_write()
  std::uint64_t injected = 0;              // calls that got an injected error
  bool destroyed_without_close = false;    // the handle died unclosed
};

class SimConnection;

// Lifetimes: the scenario is kept by reference and must outlive the
// transport; the transport must outlive every connection it hands out.
// Not thread-safe: one client thread drives it (the simulation is single
// threaded by design).
class SimTransport final : public Transport {
 public:
  explicit SimTransport(const Scenario& scenario, SimOptions options = {});
  ~SimTransport() override;
  SimTransport(const SimTransport&) = delete;
  SimTransport& operator=(const SimTransport&) = delete;

  // Virtual time: TimePoint{} at construction; moves only inside wait() and
  // run_servers_to_end().
  TimePoint now() override;

  // Opens the next connection (1-based count of calls). No script for it or
  // a `refuse` script: ECONNREFUSED, at once. Otherwise the connection is
  // established at once (as a kernel completes the handshake before the
  // server calls accept); the server starts its script after the accept
  // step's delay. `to` and `deadline` are not used: connects never wait.
  ConnectResult connect(const Endpoint& to, TimePoint deadline) override;

  // Lets every server script run to its end in virtual time (each is bounded
  // by Scenario::deadline() from its connection's start), so that
  // observations() is final. Call it once the client is done; a connection
  // the client still holds open is simulated as idle.
  const std::vector<ServerObservation>& run_servers_to_end();

  // One entry per connect() call, in order, including refused ones. Entries
  // reflect the simulation up to now(); see run_servers_to_end().
  [[nodiscard]] const std::vector<ServerObservation>& observations() const {
    return observations_;
  }

  // One line per event: "<seconds>.<9 digits> #<connection> <what>". Empty
  // when SimOptions::trace is off. Same scenario and same client calls give
  // the same trace, byte for byte.
  [[nodiscard]] std::string trace() const { return trace_; }

  // Connections opened so far, refused ones included.
  [[nodiscard]] int connection_count() const noexcept {
    return static_cast<int>(observations_.size());
  }
  // The client's calls on the n-th connection (1-based). Refused
  // connections have all-zero counts. Precondition: 1 <= n <= count.
  [[nodiscard]] const SimClientCalls& client_calls(int connection) const;
  [[nodiscard]] std::uint64_t close_count(int connection) const {
    return client_calls(connection).closes;
  }

 private:
  friend class SimConnection;
  struct Link;  // one simulated connection; defined in src/sim_link.h
  struct Ops;   // the simulation's logic; declared in src/sim_link.h

  const Scenario& scenario_;
  SimOptions options_;
  TimePoint now_{};
  std::vector<ServerObservation> observations_;
  // Indexed by connection - 1; null for refused connections.
  std::vector<std::unique_ptr<Link>> links_;
  std::string trace_;
  std::string request_;  // the scenario's request, materialized on first use
  bool request_ready_ = false;
};

}  // namespace sockcheck
