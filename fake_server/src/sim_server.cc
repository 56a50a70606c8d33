// The simulated transport's server side: the records (the trace and the
// server's events), the TCP effects (RST, FIN, the server's close), the
// server's script run as a state machine over its ScriptPlan (run_server,
// run_step and the steps), and the clock (advance_to), which runs server
// events in time order across all connections. The client's calls, which
// settle and poke the server, are in sim_client_calls.cc; the theory of
// operation is at the top of sim_transport.cc.
#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>

#include "sim_link.h"
#include "sockcheck/units.h"

namespace sockcheck {

using sim::clamp_size;
using sim::errc;
using sim::kNever;
using sim::sat_add;
using sim::Side;
using sim::StepResult;

void SimTransport::Ops::vtrace(SimTransport& t, int connection,
                               const char* format, va_list args) {
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

void SimTransport::Ops::trace(SimTransport& t, int connection, const char* format, ...) {
  if (!t.options_.trace) return;
  va_list args;
  va_start(args, format);
  vtrace(t, connection, format, args);
  va_end(args);
}

ServerObservation& SimTransport::Ops::obs(SimTransport& t, Link& l) {
  return t.observations_[l.obs];
}

// A server event: into the observation (for the oracle) and the trace.
void SimTransport::Ops::event(SimTransport& t, Link& l, std::string what) {
  if (t.options_.trace) trace(t, l.number, "server %s", what.c_str());
  obs(t, l).events.push_back({t.now_ - l.origin, std::move(what)});
}

const std::string& SimTransport::Ops::request(SimTransport& t) {
  if (!t.request_ready_) {
    t.request_ = t.scenario_.request_bytes();
    t.request_ready_ = true;
  }
  return t.request_;
}

void SimTransport::Ops::rst_to_client(SimTransport& t, Link& l) {
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

void SimTransport::Ops::rst_to_server(SimTransport& t, Link& l) {
  Side& s = l.server;
  if (s.closed || s.rst_in) return;
  s.rst_in = true;
  s.pending = errc(s.fin_in ? std::errc::broken_pipe
                            : std::errc::connection_reset);
  trace(t, l.number, "server receives RST");
}

// The server releases its socket: FIN, or RST when client data is unread
// (what Linux does on close), or nothing when the connection is dead.
void SimTransport::Ops::server_close(SimTransport& t, Link& l) {
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

void SimTransport::Ops::note_client_reset(SimTransport& t, Link& l, std::error_code ec) {
  ServerObservation& o = obs(t, l);
  if (o.client_reset) return;
  o.client_reset = true;
  event(t, l, "client reset (" + error_name(ec) + ")");
}

void SimTransport::Ops::note_client_fin(SimTransport& t, Link& l) {
  ServerObservation& o = obs(t, l);
  if (o.saw_client_fin) return;
  o.saw_client_fin = true;
  o.client_fin_at = t.now_ - l.origin;
  event(t, l, "client FIN");
}

void SimTransport::Ops::finish_script(SimTransport& t, Link& l) {
  server_close(t, l);
  l.done = true;
  l.next_at = kNever;
  ServerObservation& o = obs(t, l);
  o.duration = t.now_ - l.origin;
  o.script_completed = o.failure.empty();
}

StepResult SimTransport::Ops::fail(SimTransport& t, Link& l, const std::string& why) {
  return fail_as(t, l, l.step(l.pc).label() + ": " + why, why);
}

void SimTransport::Ops::invalid_script(SimTransport& t, Link& l) {
  fail_as(t, l, l.plan.invalid, l.plan.invalid);
}

StepResult SimTransport::Ops::fail_as(SimTransport& t, Link& l,
                                      const std::string& failure,
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
std::string SimTransport::Ops::deadline_reason(SimTransport& t, Link& l,
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

StepResult SimTransport::Ops::step_read(SimTransport& t, Link& l, const PlanStep& p) {
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

StepResult SimTransport::Ops::step_write(SimTransport& t, Link& l, const PlanStep& p) {
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
StepResult SimTransport::Ops::end_hang(SimTransport& t, Link& l, const char* why) {
  event(t, l, why);
  if (!l.server.closed) {
    l.server.closed = true;
    l.to_server.clear();
    event(t, l, "released the connection with RST");
    rst_to_client(t, l);
  }
  return StepResult::next;
}

StepResult SimTransport::Ops::run_step(SimTransport& t, Link& l) {
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

void SimTransport::Ops::run_server(SimTransport& t, Link& l) {
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

void SimTransport::Ops::settle(SimTransport& t, Link& l) {
  if (!l.done) run_server(t, l);
}

// A client call changed what the server may be waiting for: its reaction
// is due now (after the client's calls at this instant; see sim_transport.h).
void SimTransport::Ops::poke(SimTransport& t, Link& l) {
  if (!l.done) l.next_at = std::min(l.next_at, t.now_);
}

TimePoint SimTransport::Ops::earliest_server_event(const SimTransport& t) noexcept {
  TimePoint e = kNever;
  for (const auto& l : t.links_) {
    if (l && !l->done) e = std::min(e, l->next_at);
  }
  return e;
}

// Runs every server event due up to `target`, earliest first (ties: lowest
// connection), then sets the clock to `target`.
void SimTransport::Ops::advance_to(SimTransport& t, TimePoint target) {
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

}  // namespace sockcheck
