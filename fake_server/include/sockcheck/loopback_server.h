// The loopback server: a scenario's server script over real TCP.
//
// Theory of operation. start() binds a listening socket (127.0.0.1 or ::1,
// port 0 unless told otherwise) and starts a pool of worker threads in the
// leader/followers pattern: one worker at a time (the leader) polls the
// listening socket, numbers the connections 1, 2, ... in accept order,
// applies the `accept after D` delay of the matching script before calling
// accept(), and then runs that connection's script (scenario.h) step by
// step itself, so a short exchange costs no thread start and no hand-off.
// As soon as its script has waited a few milliseconds, or a new connection
// arrives while it waits, it hands the listening socket to an idle worker or
// to a newly started one (so it does before a large write and before
// on_finished), so a slow or stalled connection never holds up another.
// Every socket is non-blocking and every wait is a poll() that also watches
// a wake-up pipe, bounded by the connection's deadline
// (Scenario::deadline() after the accept): a client that never sends, never
// reads or never closes cannot keep a thread past it, and stop() interrupts
// every wait at once. A script that never has to wait (its client sends or
// reads without pause) still checks its deadline before every call and
// stop() every 10 ms, so neither depends on the client pausing. What each
// connection did is recorded in a
// ServerObservation (observation.h) with timestamps relative to its accept.
//
// Loopback semantics the simulated transport does not share (see
// docs/loopback-server.md):
//  - when every script is `refuse`, the server binds the port but never
//    calls listen(), so the kernel refuses every connect (ECONNREFUSED). The
//    server cannot see refused attempts: it records one observation
//    (connection 1, refused) at start and nothing after.
//  - otherwise a refused connection (connection 1 before a served
//    connection 2, a later `refuse`, a connection no script covers) was
//    already accepted by the kernel (listen queue), so it is "refused" with
//    an immediate RST instead; its observation says refused.
//  - `recv-buffer` is applied to the listening socket before listen() (the
//    smallest value of any script, so the window is in force from the
//    handshake) and again to the connection when the step runs.
//  - a script that fails, or is cut short by stop(), and `hang` when it ends
//    are torn down with RST, so a client still waiting can never mistake the
//    end of a broken script for an orderly close.
//  - the last piece of a `write` that a FIN follows at once (`close`,
//    `half-close`, or the implicit close) is sent with MSG_MORE, so the FIN
//    rides on the same segment and the client reads the reply and its end
//    together. A close that turns into RST sends the piece first.
//  - `inject` lines are ignored (they are faults of the client's own calls,
//    which only the simulated transport can produce).
//
// This header includes no socket header: only the loopback files of the
// fake server do (loopback_server.cc, loopback_script_runner.cc and
// loopback_socket.{h,cc}, in fake_server/src/).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sockcheck/io.h"
#include "sockcheck/observation.h"
#include "sockcheck/scenario.h"

namespace sockcheck {

struct LoopbackServerOptions {
  // A numeric IPv4 or IPv6 address ("127.0.0.1", "::1"; no brackets). An
  // IPv4-mapped IPv6 address (::ffff:127.0.0.1) is refused (bad_address):
  // IPv6 sockets are IPv6-only, so the IPv4 form must be used.
  std::string listen_address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: the kernel picks a free port
  // Connections to accept; after the last one the listening socket is
  // closed, so later connects are refused by the kernel. 0 = no limit.
  std::size_t max_connections = 0;
  // Without it, start() fails for any address outside 127.0.0.0/8 and ::1:
  // a test server that injects faults must not be reachable from outside
  // by accident.
  bool allow_non_loopback = false;
  // Keep every finished observation for observations(). A server meant to
  // run for a long time sets it to false and consumes them via on_finished.
  bool keep_observations = true;
  // Called once per connection when its script has ended, on that
  // connection's thread, before wait_for_connections() counts it. Calls may
  // run concurrently for different connections; new connections are
  // accepted meanwhile. It must not call stop() or
  // destroy the server (that would join its own thread).
  std::function<void(const ServerObservation&)> on_finished;
};

// What start() did: the bound endpoint, or why there is none.
struct LoopbackStart {
  // Why start() failed, so a CLI can tell a usage error from a system error.
  enum class Problem {
    none,
    bad_address,      // listen_address is not a numeric IPv4/IPv6 address,
                      // or is an IPv4-mapped IPv6 one
    not_loopback,     // a non-loopback address without allow_non_loopback
    already_started,  // start() was called before on this object
    system,           // a socket call failed (address in use, ...)
  };
  Endpoint endpoint;   // valid if ok(): the numeric address and the bound port
  std::string error;   // else one line, e.g. "bind 127.0.0.1:80: Permission denied"
  Problem problem = Problem::none;
  [[nodiscard]] bool ok() const noexcept { return problem == Problem::none; }
};

// The answer of a wait: true or a message that says exactly what was
// missing. Converts to bool, so `ASSERT_TRUE(w) << w.message` reads well.
struct [[nodiscard]] LoopbackWait {
  bool ok = false;
  std::string message;  // empty when ok
  explicit operator bool() const noexcept { return ok; }
};

class LoopbackServer {
 public:
  LoopbackServer();
  // Stops the server (see stop()).
  ~LoopbackServer();
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  // Binds, listens and starts serving `scenario` (copied: the caller's object
  // may go away). May be called once per object; a second call fails.
  // Fails without side effects on a bad or non-loopback address (unless
  // allowed), or any socket error (the message names the call and errno).
  [[nodiscard]] LoopbackStart start(const Scenario& scenario,
                                    const LoopbackServerOptions& options = {});

  // The bound endpoint (port resolved when 0 was asked); empty before a
  // successful start().
  [[nodiscard]] Endpoint endpoint() const;

  // True when every script is `refuse` (refuses_every_connection()): the
  // port is bound but not listening.
  [[nodiscard]] bool refusing() const;

  // Blocks until at least `n` connections have finished their scripts (their
  // on_finished has returned), the deadline passes, or the server stops.
  // Thread-safe. On failure the message says how many finished, how many
  // were accepted, and what each unfinished connection is doing, e.g.
  // "1 of 2 connections finished by the deadline (2 accepted); connection 2
  // is in step 1 (hang) at line 4 since +1503ms".
  LoopbackWait wait_for_connections(std::size_t n, TimePoint deadline);
  LoopbackWait wait_for_connections(std::size_t n, Duration timeout);

  // Blocks until at least `n` connections have been accepted (their scripts
  // may still run), the deadline passes, or the server stops. Lets a test
  // act on a connection that is known to be in its script, e.g. stop the
  // server under a hang.
  LoopbackWait wait_for_accepted(std::size_t n, Duration timeout);

  // Number of connections whose script has ended.
  [[nodiscard]] std::size_t finished_count() const;

  // The observations of the finished connections, ordered by connection
  // number (empty when keep_observations is false). After stop() this
  // includes the connections that stop() cut short.
  [[nodiscard]] std::vector<ServerObservation> observations() const;

  // Closes the listening socket, interrupts every wait (the scripts still
  // running end with failure "stopped by the server" and an RST), and joins
  // every thread. Idempotent; thread-safe; may be called from any thread
  // except from inside on_finished. Returns promptly: no wait runs to its
  // deadline, and a script busy without waiting ends within about 10 ms.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "127.0.0.1:8080", "[::1]:8080": an endpoint as people and URLs write it.
[[nodiscard]] std::string format_endpoint(const Endpoint& endpoint);

}  // namespace sockcheck
