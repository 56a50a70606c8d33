// The simulated transport. See sim_transport.h for the model and
// docs/sim-transport.md for the reasoning behind each rule.
//
// Layout of this file. A Link is one simulated connection: two Sides (the
// TCP state each endpoint has: FIN sent, closed, FIN or RST received, the
// socket error not reported yet), the bytes in flight each way, the server's
// script cursor, and the client's call counters. Ops holds every operation:
// the client's calls (entered through SimConnection), the server's state
// machine (run_server / run_step), and the clock (advance_to). Time moves
// only in advance_to(), which always runs the earliest pending server event
// first, across all connections, so events are processed in time order and
// the trace reads chronologically.
//
// Invariant that keeps every run finite: after run_server() a server is
// either done or has next_at > now (its next timed event, or its deadline
// when it waits for the client). Every wait of a server is bounded by its
// scenario deadline, so advance_to() always terminates.
#include "sockcheck/sim_transport.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>

#include "sockcheck/script_plan.h"
#include "sockcheck/units.h"

namespace sockcheck {
namespace {

constexpr TimePoint kNever = TimePoint::max();

// A client that retries EINTR at once would spin forever on `every 1`;
// after this many injected failures in a row on one kind of call, the next
// call goes through (and the trace says so).
constexpr std::uint32_t kMaxConsecutiveInjections = 1000;

TimePoint sat_add(TimePoint t, Duration d) noexcept {
  if (d <= Duration::zero()) return t;
  if (t > kNever - d) return kNever;
  return t + d;
}

std::error_code errc(std::errc e) noexcept { return std::make_error_code(e); }

const char* call_name(Injection::Call c) noexcept {
  switch (c) {
    case Injection::Call::send: return "send";
    case Injection::Call::recv: return "recv";
    case Injection::Call::wait: return "wait";
    case Injection::Call::shutdown: return "shutdown";
  }
  return "?";
}

std::size_t clamp_size(std::uint64_t v) noexcept {
  return static_cast<std::size_t>(
      std::min<std::uint64_t>(v, std::numeric_limits<std::size_t>::max()));
}

// A stretch of one server write that has arrived at the client: bytes
// [begin, end) of blobs[blob]. With chunk > 0 the write's pieces (every
// `chunk` bytes counted from the start of the write) stay separate recv
// results; chunk == 0 means one piece. Runs are never merged, so pieces
// written at different times are separate recv results too.
struct Run {
  std::size_t blob = 0;
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t chunk = 0;
};

// Bytes on their way to the client. A vector with a head index: no per-recv
// allocation, storage reused once drained.
class RunQueue {
 public:
  [[nodiscard]] bool empty() const noexcept { return head_ == runs_.size(); }
  [[nodiscard]] std::size_t bytes() const noexcept { return bytes_; }
  void push(const Run& r) {
    bytes_ += r.end - r.begin;
    runs_.push_back(r);
  }
  void clear() noexcept {
    runs_.clear();
    head_ = 0;
    bytes_ = 0;
  }
  // Copies the next piece (cut to `out`) and returns its size. !empty().
  std::size_t pop_into(std::span<std::byte> out,
                       const std::vector<std::string>& blobs) {
    Run& r = runs_[head_];
    std::size_t piece_end = r.end;
    if (r.chunk > 0) piece_end = std::min(r.end, (r.begin / r.chunk + 1) * r.chunk);
    const std::size_t n = std::min(out.size(), piece_end - r.begin);
    std::memcpy(out.data(), blobs[r.blob].data() + r.begin, n);
    r.begin += n;
    bytes_ -= n;
    if (r.begin == r.end && ++head_ == runs_.size()) clear();
    return n;
  }

 private:
  std::vector<Run> runs_;
  std::size_t head_ = 0;
  std::size_t bytes_ = 0;
};

// Bytes on their way to the server (at most its receive window).
class ByteQueue {
 public:
  [[nodiscard]] std::size_t size() const noexcept { return data_.size() - head_; }
  void append(std::span<const std::byte> d) {
    data_.append(reinterpret_cast<const char*>(d.data()), d.size());
  }
  void take_into(std::size_t n, std::string& out) {
    out.append(data_, head_, n);
    head_ += n;
    if (head_ == data_.size()) {
      data_.clear();
      head_ = 0;
    } else if (head_ >= 64 * 1024 && head_ * 2 >= data_.size()) {
      data_.erase(0, head_);  // a slow reader: keep the buffer bounded
      head_ = 0;
    }
  }
  void clear() noexcept {
    data_.clear();
    head_ = 0;
  }

 private:
  std::string data_;
  std::size_t head_ = 0;
};

// The TCP state one endpoint has.
struct Side {
  bool shut_wr = false;  // this side sent FIN
  bool closed = false;   // this side's socket is released
  bool fin_in = false;   // the peer's FIN arrived (after the queued data)
  bool rst_in = false;   // the peer's RST arrived
  // The socket error not reported yet. Linux reports it once (then recv
  // returns 0, send EPIPE); the simulated Windows mode never clears it.
  std::error_code pending;
};

// What one attempt at the current server step did.
enum class StepResult {
  next,        // the step is complete
  again,       // progress was made; try the same step again
  block_time,  // waits until wake_at
  block_peer,  // waits for the client (bounded by the deadline)
  finished,    // the script ended (fail() or a terminal step)
};

constexpr std::size_t kCalls = 4;  // Injection::Call values

}  // namespace

struct SimTransport::Link {
  int number = 0;
  std::size_t obs = 0;  // index into observations_
  ScriptPlan plan;      // what the server does on this connection

  TimePoint arrival{};   // when connect() returned
  TimePoint origin{};    // observation timestamps count from here (accept)
  TimePoint deadline{};  // arrival + Scenario::deadline()
  bool accepted = false;

  Side client;
  Side server;
  RunQueue to_client;
  ByteQueue to_server;
  std::vector<std::string> blobs;  // materialized writes the runs point into
  std::size_t server_window = 0;
  std::size_t client_window = 0;

  // The server's script cursor.
  bool done = false;
  std::size_t pc = 0;
  bool started = false;         // the current step did its one-time setup
  std::uint64_t progress = 0;   // bytes read or written by the current step
  std::uint64_t total = 0;      // bytes the current write step writes
  TimePoint wake_at{};
  TimePoint next_at{};          // when run_server() must run next (see top)

  SimClientCalls calls;
  std::uint64_t call_count[kCalls] = {};
  std::uint32_t consecutive_injected[kCalls] = {};

  [[nodiscard]] const PlanStep& step(std::size_t i) const { return plan.steps[i]; }
  [[nodiscard]] std::size_t step_count() const noexcept { return plan.steps.size(); }
};

struct SimTransport::Ops {
  // ---------------------------------------------------------------- records

  static void vtrace(SimTransport& t, int connection, const char* format,
                     va_list args) {
    // One stack buffer per line: the trace is on in most tests and must
    // stay cheap next to the simulation itself.
    char buf[320];
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        t.now_.time_since_epoch())
                        .count();
    int n = std::snprintf(buf, sizeof buf, "%lld.%09lld #%d ",
                          static_cast<long long>(ns / 1000000000),
                          static_cast<long long>(ns % 1000000000), connection);
    if (n < 0) return;
    std::size_t len = std::min(static_cast<std::size_t>(n), sizeof buf - 1);
    n = std::vsnprintf(buf + len, sizeof buf - len, format, args);
    if (n > 0) len = std::min(len + static_cast<std::size_t>(n), sizeof buf - 1);
    t.trace_.append(buf, len);
    t.trace_ += '\n';
  }

#if defined(__GNUC__) || defined(__clang__)
  __attribute__((format(printf, 3, 4)))
#endif
  static void trace(SimTransport& t, int connection, const char* format, ...) {
    if (!t.options_.trace) return;
    va_list args;
    va_start(args, format);
    vtrace(t, connection, format, args);
    va_end(args);
  }

  static ServerObservation& obs(SimTransport& t, Link& l) {
    return t.observations_[l.obs];
  }

  // A server event: into the observation (for the oracle) and the trace.
  static void event(SimTransport& t, Link& l, std::string what) {
    if (t.options_.trace) trace(t, l.number, "server %s", what.c_str());
    obs(t, l).events.push_back({t.now_ - l.origin, std::move(what)});
  }

  static const std::string& request(SimTransport& t) {
    if (!t.request_ready_) {
      t.request_ = t.scenario_.request_bytes();
      t.request_ready_ = true;
    }
    return t.request_;
  }

  // ------------------------------------------------------------ TCP effects

  static void rst_to_client(SimTransport& t, Link& l) {
    Side& c = l.client;
    if (c.closed || c.rst_in) return;
    c.rst_in = true;
    if (t.scenario_.reset_mode == ResetMode::windows_like) {
      l.to_client.clear();
      c.pending = errc(std::errc::connection_reset);
    } else {
      // Linux: an RST after the peer's FIN is reported as EPIPE, to send only.
      c.pending = errc(c.fin_in ? std::errc::broken_pipe
                                : std::errc::connection_reset);
    }
    trace(t, l.number, "client receives RST");
  }

  static void rst_to_server(SimTransport& t, Link& l) {
    Side& s = l.server;
    if (s.closed || s.rst_in) return;
    s.rst_in = true;
    s.pending = errc(s.fin_in ? std::errc::broken_pipe
                              : std::errc::connection_reset);
    trace(t, l.number, "server receives RST");
  }

  // The server releases its socket: FIN, or RST when client data is unread
  // (what Linux does on close), or nothing when the connection is dead.
  static void server_close(SimTransport& t, Link& l) {
    Side& s = l.server;
    if (s.closed) return;
    s.closed = true;
    if (s.rst_in) {
      event(t, l, "close");
    } else if (!l.accepted) {
      // A listener that gives up on a connection in its backlog resets it.
      event(t, l, "close before accept (RST)");
      rst_to_client(t, l);
    } else if (l.to_server.size() > 0) {
      obs(t, l).closed_with_unread = true;
      event(t, l, "close with " + std::to_string(l.to_server.size()) +
                      " unread bytes (the kernel sends RST)");
      rst_to_client(t, l);
    } else if (!s.shut_wr) {
      s.shut_wr = true;
      l.client.fin_in = true;
      event(t, l, "close (FIN sent)");
    } else {
      event(t, l, "close");
    }
    l.to_server.clear();
  }

  static void note_client_reset(SimTransport& t, Link& l, std::error_code ec) {
    ServerObservation& o = obs(t, l);
    if (o.client_reset) return;
    o.client_reset = true;
    event(t, l, "client reset (" + error_name(ec) + ")");
  }

  static void note_client_fin(SimTransport& t, Link& l) {
    ServerObservation& o = obs(t, l);
    if (o.saw_client_fin) return;
    o.saw_client_fin = true;
    o.client_fin_at = t.now_ - l.origin;
    event(t, l, "client FIN");
  }

  // ---------------------------------------------------------- server script

  static void finish_script(SimTransport& t, Link& l) {
    server_close(t, l);
    l.done = true;
    l.next_at = kNever;
    ServerObservation& o = obs(t, l);
    o.duration = t.now_ - l.origin;
    o.script_completed = o.failure.empty();
  }

  static StepResult fail(SimTransport& t, Link& l, const std::string& why) {
    return fail_as(t, l, l.step(l.pc).label + ": " + why, why);
  }

  static void invalid_script(SimTransport& t, Link& l) {
    fail_as(t, l, l.plan.invalid, l.plan.invalid);
  }

  static StepResult fail_as(SimTransport& t, Link& l, const std::string& failure,
                            const std::string& why) {
    ServerObservation& o = obs(t, l);
    if (o.failure.empty()) o.failure = failure;
    event(t, l, "failed: " + why);
    // Like the loopback server: a broken script is torn down with RST, so a
    // waiting client can never take it for an orderly close.
    if (!l.server.closed && l.accepted && !l.server.rst_in) {
      l.server.closed = true;
      l.to_server.clear();
      event(t, l, "released the connection with RST");
      rst_to_client(t, l);
    }
    finish_script(t, l);
    return StepResult::finished;
  }

  // What blocks a step at its deadline, for the failure message.
  static std::string deadline_reason(SimTransport& t, Link& l,
                                     StepResult blocked) {
    const Step& s = *l.step(l.pc).step;
    const std::string limit = format_duration(t.scenario_.deadline());
    if (blocked == StepResult::block_peer) {
      switch (s.kind) {
        case Step::Kind::read:
          return "the client sent " + std::to_string(l.progress) + " of " +
                 std::to_string(s.count) + " bytes and no FIN within the " +
                 "scenario deadline (" + limit + ")";
        case Step::Kind::read_until_fin:
          return "no FIN from the client within the scenario deadline (" +
                 limit + ")";
        case Step::Kind::write:
          return "the client stopped reading; " + std::to_string(l.progress) +
                 " of " + std::to_string(l.total) +
                 " bytes written by the scenario deadline (" + limit + ")";
        default: break;
      }
    }
    return "cut short by the scenario deadline (" + limit + ")";
  }

  static StepResult step_read(SimTransport& t, Link& l, const PlanStep& p) {
    const Step& s = *p.step;
    const bool until_fin = s.kind == Step::Kind::read_until_fin;
    if (!l.started) {
      l.started = true;
      l.progress = 0;
      l.wake_at = t.now_;
    }
    if (!until_fin && l.progress >= s.count) return StepResult::next;
    if (t.now_ < l.wake_at) return StepResult::block_time;
    Side& srv = l.server;
    const std::size_t avail = l.to_server.size();
    if (avail > 0) {
      std::uint64_t n = avail;
      if (!until_fin) n = std::min(n, s.count - l.progress);
      // Pieces only matter when there is a gap between them; without one a
      // chunked read is indistinguishable from a single one. A read that
      // finds less than the rest of its piece takes what is there and
      // comes back for the rest without pausing (PieceCut).
      const PieceCut& cut = p.cut;
      if (cut.pauses()) {
        n = std::min(n, cut.piece_end(l.progress, UINT64_MAX) - l.progress);
      }
      l.to_server.take_into(clamp_size(n), obs(t, l).received);
      l.progress += n;
      event(t, l, "read " + std::to_string(n) + " bytes");
      if (!until_fin && l.progress == s.count) return StepResult::next;
      if (cut.pause_after(l.progress)) {
        l.wake_at = sat_add(t.now_, cut.gap);
      }
      return StepResult::again;
    }
    if (srv.fin_in) {
      note_client_fin(t, l);
      if (until_fin) return StepResult::next;
      return fail(t, l, "client FIN after " + std::to_string(l.progress) +
                            " of " + std::to_string(s.count) + " bytes");
    }
    if (srv.pending) {
      const std::error_code ec = std::exchange(srv.pending, {});
      note_client_reset(t, l, ec);
      return fail(t, l, "read failed: " + error_name(ec));
    }
    if (srv.rst_in) {
      // Linux: once the reset was reported, reads return end of stream.
      note_client_fin(t, l);
      if (until_fin) return StepResult::next;
      return fail(t, l, "end of stream after " + std::to_string(l.progress) +
                            " of " + std::to_string(s.count) + " bytes");
    }
    return StepResult::block_peer;
  }

  static StepResult step_write(SimTransport& t, Link& l, const PlanStep& p) {
    const Step& s = *p.step;
    if (!l.started) {
      l.started = true;
      if (l.to_client.empty()) l.blobs.clear();  // nothing points into them
      static const std::string kNoRequest;
      l.blobs.push_back(materialize(
          s.data, s.data.kind == DataSpec::Kind::request ? request(t) : kNoRequest));
      l.total = l.blobs.back().size();
      l.progress = 0;
      l.wake_at = t.now_;
    }
    if (l.progress >= l.total) return StepResult::next;
    if (t.now_ < l.wake_at) return StepResult::block_time;
    Side& srv = l.server;
    if (srv.pending) {
      const std::error_code ec = std::exchange(srv.pending, {});
      note_client_reset(t, l, ec);
      return fail(t, l, "write failed: " + error_name(ec));
    }
    if (srv.shut_wr) return fail(t, l, "write after half-close: EPIPE");
    if (srv.rst_in) {
      note_client_reset(t, l, errc(std::errc::broken_pipe));
      return fail(t, l, "write failed: EPIPE");
    }
    const std::size_t total = clamp_size(l.total);
    const std::size_t at = clamp_size(l.progress);
    const PieceCut& cut = p.cut;
    const bool piecewise = cut.pauses();
    // The end of this piece: a pausing write stops there.
    const std::size_t limit = piecewise ? clamp_size(cut.piece_end(at, total)) : total;
    std::size_t n = limit - at;
    if (l.client.closed) {
      // The bytes go out and the client's kernel answers with RST: this
      // write succeeds, the next one fails (as over loopback).
      rst_to_server(t, l);
    } else {
      const std::size_t queued = l.to_client.bytes();
      const std::size_t room = l.client_window > queued ? l.client_window - queued : 0;
      if (room == 0) return StepResult::block_peer;
      n = std::min(n, room);
      l.to_client.push({l.blobs.size() - 1, at, at + n,
                        piecewise ? 0 : clamp_size(cut.chunk)});
    }
    l.progress += n;
    obs(t, l).bytes_sent += n;
    event(t, l, "wrote " + std::to_string(n) + " bytes");
    if (l.progress >= l.total) return StepResult::next;
    if (piecewise && at + n == limit) l.wake_at = sat_add(t.now_, cut.gap);
    return StepResult::again;
  }

  // A hang never ends in FIN: the server lets go with an RST, as the
  // loopback server does (SO_LINGER 0), whether the client left or the
  // deadline came.
  static StepResult end_hang(SimTransport& t, Link& l, const char* why) {
    event(t, l, why);
    if (!l.server.closed) {
      l.server.closed = true;
      l.to_server.clear();
      event(t, l, "released the connection with RST");
      rst_to_client(t, l);
    }
    return StepResult::next;
  }

  static StepResult run_step(SimTransport& t, Link& l) {
    const PlanStep& p = l.step(l.pc);
    const Step& s = *p.step;
    switch (s.kind) {
      case Step::Kind::accept:
        if (!l.started) {
          l.started = true;
          l.wake_at = sat_add(l.arrival, s.delay);
        }
        if (t.now_ < l.wake_at) return StepResult::block_time;
        l.accepted = true;
        l.origin = t.now_;
        obs(t, l).accepted = true;
        event(t, l, "accepted");
        return StepResult::next;
      case Step::Kind::refuse:  // a plan has it only where it is invalid
        return fail(t, l, "refuse is only valid as the first step");
      case Step::Kind::read:
      case Step::Kind::read_until_fin:
        return step_read(t, l, p);
      case Step::Kind::recv_buffer:
        l.server_window = std::max<std::size_t>(clamp_size(s.count), 1);
        event(t, l, "receive buffer " + format_size(s.count));
        return StepResult::next;
      case Step::Kind::write:
        return step_write(t, l, p);
      case Step::Kind::sleep:
        if (!l.started) {
          l.started = true;
          l.wake_at = sat_add(t.now_, s.delay);
          event(t, l, "sleep " + format_duration(s.delay));
        }
        return t.now_ < l.wake_at ? StepResult::block_time : StepResult::next;
      case Step::Kind::half_close:
        if (l.server.rst_in) {
          return fail(t, l, "half-close failed: ENOTCONN (the client reset)");
        }
        if (!l.server.shut_wr) {
          l.server.shut_wr = true;
          if (!l.client.closed) l.client.fin_in = true;
        }
        event(t, l, "half-close (FIN sent)");
        return StepResult::next;
      case Step::Kind::close:
        server_close(t, l);
        return StepResult::next;
      case Step::Kind::reset:
        event(t, l, "reset (RST)");
        l.server.closed = true;
        l.to_server.clear();
        rst_to_client(t, l);
        return StepResult::next;
      case Step::Kind::hang:
        if (!l.started) {
          l.started = true;
          event(t, l, "hang: holding the connection open without FIN");
        }
        // Only what the server's socket can tell ends a hang, as over
        // loopback: an RST, or FIN both ways (a full hang-up). A client
        // that closes after its FIN with nothing unread sends nothing, so
        // the hang lasts until the deadline.
        if (l.server.rst_in) {
          note_client_reset(t, l, errc(std::errc::connection_reset));
          return end_hang(t, l, "hang ended: client reset the connection");
        }
        if (l.server.shut_wr && l.server.fin_in) {
          // Nobody waits for anything: released as `close` releases it.
          event(t, l, "hang ended: the connection was closed on both sides");
          server_close(t, l);
          return StepResult::next;
        }
        return StepResult::block_peer;
    }
    return fail(t, l, "unknown step");
  }

  static void run_server(SimTransport& t, Link& l) {
    while (!l.done) {
      StepResult r = run_step(t, l);
      const bool blocked = r == StepResult::block_time || r == StepResult::block_peer;
      if (!l.done && blocked && t.now_ >= l.deadline) {
        r = l.step(l.pc).kind == Step::Kind::hang
                ? end_hang(t, l, "hang ended at the deadline")
                : fail(t, l, deadline_reason(t, l, r));
      }
      if (l.done) break;
      switch (r) {
        case StepResult::next:
          obs(t, l).steps_done.push_back({l.pc, t.now_ - l.origin, l.progress});
          if (l.pc == 0 && !l.plan.invalid.empty()) {
            // A script that breaks the placement rules fails once accepted.
            invalid_script(t, l);
            continue;
          }
          ++l.pc;
          l.started = false;
          l.progress = 0;
          if (l.pc >= l.step_count()) finish_script(t, l);
          continue;
        case StepResult::again:
        case StepResult::finished:
          continue;
        case StepResult::block_time:
        case StepResult::block_peer:
          break;
      }
      // Blocked, before the deadline: on time, or on the client.
      l.next_at = std::min(r == StepResult::block_time ? l.wake_at : kNever,
                           l.deadline);
      if (l.next_at <= t.now_) {
        // Cannot happen by construction; kept so that a bug in a step can
        // never turn into an endless simulation.
        fail(t, l, "internal error: the simulation made no progress");
        break;
      }
      return;
    }
    l.next_at = kNever;
  }

  static void settle(SimTransport& t, Link& l) {
    if (!l.done) run_server(t, l);
  }

  // A client call changed what the server may be waiting for: its reaction
  // is due now (after the client's calls at this instant; see the header).
  static void poke(SimTransport& t, Link& l) {
    if (!l.done) l.next_at = std::min(l.next_at, t.now_);
  }

  static TimePoint earliest_server_event(const SimTransport& t) noexcept {
    TimePoint e = kNever;
    for (const auto& l : t.links_) {
      if (l && !l->done) e = std::min(e, l->next_at);
    }
    return e;
  }

  // Runs every server event due up to `target`, earliest first (ties: lowest
  // connection), then sets the clock to `target`.
  static void advance_to(SimTransport& t, TimePoint target) {
    for (;;) {
      Link* best = nullptr;
      for (const auto& l : t.links_) {
        if (!l || l->done || l->next_at > target) continue;
        if (best == nullptr || l->next_at < best->next_at) best = l.get();
      }
      if (best == nullptr) break;
      t.now_ = std::max(t.now_, best->next_at);
      run_server(t, *best);
    }
    t.now_ = std::max(t.now_, target);
  }

  // ---------------------------------------------------------- client calls

  static std::optional<std::error_code> inject(SimTransport& t, Link& l,
                                               Injection::Call call) {
    const auto k = static_cast<std::size_t>(call);
    const std::uint64_t n = ++l.call_count[k];
    for (const Injection& inj : t.scenario_.injections) {
      if (inj.call != call) continue;
      const std::uint64_t every = std::max<std::uint32_t>(inj.every, 1);
      if ((n - 1) % every != 0) continue;
      if (l.consecutive_injected[k] >= kMaxConsecutiveInjections) {
        trace(t, l.number, "%s: injection skipped after %u in a row",
              call_name(call), kMaxConsecutiveInjections);
        break;
      }
      ++l.consecutive_injected[k];
      ++l.calls.injected;
      trace(t, l.number, "%s -> %s (injected)", call_name(call),
            error_name(inj.error).c_str());
      return inj.error;
    }
    l.consecutive_injected[k] = 0;
    return std::nullopt;
  }

  static bool after_close(SimTransport& t, Link& l, const char* what) {
    if (l.calls.closes == 0) return false;
    ++l.calls.calls_after_close;
    trace(t, l.number, "%s after close (contract violation) -> EBADF", what);
    return true;
  }

  static IoResult try_send(SimTransport& t, Link& l,
                           std::span<const std::byte> data) {
    Side& c = l.client;
    const bool windows = t.scenario_.reset_mode == ResetMode::windows_like;
    if (windows && c.rst_in) return IoResult::failure(c.pending);
    if (c.pending) return IoResult::failure(std::exchange(c.pending, {}));
    if (c.shut_wr || c.rst_in) return IoResult::failure(std::errc::broken_pipe);
    if (data.empty()) return IoResult::success(0);
    if (l.server.closed) {
      // Data for a closed socket: accepted here, answered with RST there.
      rst_to_client(t, l);
      return IoResult::success(data.size());
    }
    const std::size_t queued = l.to_server.size();
    const std::size_t room = l.server_window > queued ? l.server_window - queued : 0;
    if (room == 0) return IoResult::failure(std::errc::resource_unavailable_try_again);
    const std::size_t n = std::min(room, data.size());
    l.to_server.append(data.first(n));
    poke(t, l);
    return IoResult::success(n);
  }

  static IoResult send(SimTransport& t, Link& l, std::span<const std::byte> data) {
    if (after_close(t, l, "send")) return IoResult::failure(std::errc::bad_file_descriptor);
    ++l.calls.sends;
    if (l.client.shut_wr) ++l.calls.sends_after_shutdown;
    if (auto e = inject(t, l, Injection::Call::send)) return IoResult::failure(*e);
    IoResult r = try_send(t, l, data);
    if (is_would_block(r.error)) {  // the client would block: the server's turn
      settle(t, l);
      r = try_send(t, l, data);
    }
    if (r.ok()) {
      trace(t, l.number, "send %zu -> %zu", data.size(), r.bytes);
    } else {
      trace(t, l.number, "send %zu -> %s", data.size(), error_name(r.error).c_str());
    }
    return r;
  }

  static IoResult try_recv(SimTransport& t, Link& l, std::span<std::byte> buffer) {
    Side& c = l.client;
    if (t.scenario_.reset_mode == ResetMode::windows_like && c.rst_in) {
      return IoResult::failure(c.pending);
    }
    if (!l.to_client.empty()) {
      poke(t, l);  // room for a stalled server write
      return IoResult::success(l.to_client.pop_into(buffer, l.blobs));
    }
    if (c.fin_in) return IoResult::success(0);
    if (c.pending) return IoResult::failure(std::exchange(c.pending, {}));
    if (c.rst_in) return IoResult::success(0);  // Linux, after the one error
    return IoResult::failure(std::errc::resource_unavailable_try_again);
  }

  static IoResult recv(SimTransport& t, Link& l, std::span<std::byte> buffer) {
    if (after_close(t, l, "recv")) return IoResult::failure(std::errc::bad_file_descriptor);
    ++l.calls.recvs;
    if (auto e = inject(t, l, Injection::Call::recv)) return IoResult::failure(*e);
    if (buffer.empty()) return IoResult::failure(std::errc::invalid_argument);
    IoResult r = try_recv(t, l, buffer);
    if (is_would_block(r.error)) {
      settle(t, l);
      r = try_recv(t, l, buffer);
    }
    if (r.ok()) {
      trace(t, l.number, "recv %zu -> %zu", buffer.size(), r.bytes);
    } else {
      trace(t, l.number, "recv %zu -> %s", buffer.size(), error_name(r.error).c_str());
    }
    return r;
  }

  static IoResult shutdown_write(SimTransport& t, Link& l) {
    if (after_close(t, l, "shutdown")) return IoResult::failure(std::errc::bad_file_descriptor);
    ++l.calls.shutdowns;
    if (auto e = inject(t, l, Injection::Call::shutdown)) return IoResult::failure(*e);
    Side& c = l.client;
    if (c.rst_in) {
      trace(t, l.number, "shutdown -> ENOTCONN");
      return IoResult::failure(std::errc::not_connected);
    }
    if (!c.shut_wr) {
      c.shut_wr = true;
      l.server.fin_in = true;  // harmless if the server's socket is gone
      poke(t, l);
    }
    trace(t, l.number, "shutdown -> ok");
    return IoResult::success(0);
  }

  // The client's socket goes away: FIN, or RST if it leaves data unread.
  static void client_release(SimTransport& t, Link& l) {
    Side& c = l.client;
    c.closed = true;
    poke(t, l);
    if (c.rst_in) return;
    if (!l.to_client.empty()) {
      trace(t, l.number, "client closes with %zu unread bytes (RST)", l.to_client.bytes());
      rst_to_server(t, l);
    } else if (!c.shut_wr) {
      c.shut_wr = true;
      l.server.fin_in = true;
    }
    l.to_client.clear();
  }

  static IoResult close(SimTransport& t, Link& l) {
    if (after_close(t, l, "close")) {
      ++l.calls.closes;
      return IoResult::failure(std::errc::bad_file_descriptor);
    }
    ++l.calls.closes;
    client_release(t, l);
    trace(t, l.number, "close -> ok");
    return IoResult::success(0);
  }

  static void destroyed(SimTransport& t, Link& l) {
    if (l.calls.closes > 0) return;
    l.calls.destroyed_without_close = true;
    trace(t, l.number, "connection destroyed without close()");
    client_release(t, l);
  }

  static WaitResult readiness(const Link& l, bool want_read, bool want_write) {
    const Side& c = l.client;
    WaitResult w;
    w.readable = want_read && (!l.to_client.empty() || c.fin_in || c.rst_in);
    if (want_write) {
      const bool room = l.to_server.size() < l.server_window;
      w.writable = c.shut_wr || c.rst_in || static_cast<bool>(c.pending) ||
                   l.server.closed || room;
    }
    return w;
  }

  static WaitResult wait(SimTransport& t, Link& l, bool want_read,
                         bool want_write, TimePoint deadline) {
    if (after_close(t, l, "wait")) return {false, false, errc(std::errc::bad_file_descriptor)};
    ++l.calls.waits;
    if (auto e = inject(t, l, Injection::Call::wait)) return {false, false, *e};
    settle(t, l);
    for (;;) {
      const WaitResult w = readiness(l, want_read, want_write);
      if (w.readable || w.writable) {
        trace(t, l.number, "wait %s%s -> %s%s", want_read ? "r" : "-",
              want_write ? "w" : "-", w.readable ? "r" : "-", w.writable ? "w" : "-");
        return w;
      }
      if (t.now_ >= deadline) {
        trace(t, l.number, "wait %s%s -> deadline", want_read ? "r" : "-",
              want_write ? "w" : "-");
        return w;
      }
      // Jump to the earliest thing that can change readiness, or give up at
      // the deadline; each round processes at least one server event, and
      // each server's events end at its deadline, so this terminates.
      advance_to(t, std::min(earliest_server_event(t), deadline));
    }
  }
};

// The handle the client holds. Every call goes to the transport.
class SimConnection final : public Connection {
 public:
  SimConnection(SimTransport& t, SimTransport::Link& l) noexcept : t_(t), l_(l) {}
  ~SimConnection() override { SimTransport::Ops::destroyed(t_, l_); }
  SimConnection(const SimConnection&) = delete;
  SimConnection& operator=(const SimConnection&) = delete;

  IoResult send(std::span<const std::byte> data) override {
    return SimTransport::Ops::send(t_, l_, data);
  }
  IoResult recv(std::span<std::byte> buffer) override {
    return SimTransport::Ops::recv(t_, l_, buffer);
  }
  IoResult shutdown_write() override {
    return SimTransport::Ops::shutdown_write(t_, l_);
  }
  IoResult close() override { return SimTransport::Ops::close(t_, l_); }
  WaitResult wait(bool want_read, bool want_write, TimePoint deadline) override {
    return SimTransport::Ops::wait(t_, l_, want_read, want_write, deadline);
  }

 private:
  SimTransport& t_;
  SimTransport::Link& l_;
};

SimTransport::SimTransport(const Scenario& scenario, SimOptions options)
    : scenario_(scenario), options_(options) {
  if (options_.trace) trace_.reserve(2048);
}

SimTransport::~SimTransport() = default;

TimePoint SimTransport::now() { return now_; }

ConnectResult SimTransport::connect(const Endpoint& /*to*/, TimePoint /*deadline*/) {
  const int number = connection_count() + 1;
  ScriptPlan plan = plan_connection(scenario_, number);
  ServerObservation o;
  o.connection = number;
  if (plan.refused()) {
    o.refused = true;
    o.script_completed = true;
    o.events.push_back({Duration::zero(),
                        plan.refusal == ScriptPlan::Refusal::no_script
                            ? "refused (no script for this connection)"
                            : "refused"});
    observations_.push_back(std::move(o));
    links_.push_back(nullptr);
    Ops::trace(*this, number, "connect -> ECONNREFUSED");
    return {nullptr, errc(std::errc::connection_refused)};
  }

  auto link = std::make_unique<Link>();
  Link& l = *link;
  l.number = number;
  l.obs = observations_.size();
  l.plan = std::move(plan);
  l.arrival = l.origin = now_;
  l.deadline = sat_add(now_, scenario_.deadline());
  l.next_at = now_;
  l.server_window = std::max<std::size_t>(
      clamp_size(l.plan.initial_window.value_or(options_.server_receive_window)), 1);
  l.client_window = std::max<std::size_t>(options_.client_receive_window, 1);
  observations_.push_back(std::move(o));
  links_.push_back(std::move(link));
  Ops::trace(*this, number, "connect -> ok");
  return {std::make_unique<SimConnection>(*this, l), {}};
}

const std::vector<ServerObservation>& SimTransport::run_servers_to_end() {
  for (;;) {
    const TimePoint e = Ops::earliest_server_event(*this);
    if (e == kNever) break;
    Ops::advance_to(*this, e);
  }
  return observations_;
}

const SimClientCalls& SimTransport::client_calls(int connection) const {
  static const SimClientCalls kNone;
  const auto i = static_cast<std::size_t>(connection - 1);
  const Link* l = links_.at(i).get();
  return l != nullptr ? l->calls : kNone;
}

}  // namespace sockcheck
