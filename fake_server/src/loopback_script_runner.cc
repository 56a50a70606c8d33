// The script runner: one connection's steps, carried out in order on its
// non-blocking socket. See loopback_script_runner.h for its place in the
// pool and loopback_server.h for what each step does over loopback.
//
// Every step that cannot finish at once waits in one poll() on the
// connection's socket, the wake pipe (stop) and, while the worker leads,
// the listening socket, so the connection's deadline, stop() and a new
// connection all end a wait without another thread's help. A step that
// never has to wait (a client that sends or reads without pause keeps
// every recv() or send() busy) asks keep_going() before each call instead:
// a clock read per call for the deadline and, every kBusyCheck, a poll()
// of the wake pipe that does not block, so neither the deadline nor stop()
// depends on the client ever pausing. The first
// failure is recorded with the step it happened in, and the connection is
// then reset, never closed in order. The event log is capped.
#include "loopback_script_runner.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <system_error>
#include <utility>

#include "loopback_socket.h"
#include "sockcheck/units.h"

namespace sockcheck::loopback {

namespace {

// Events kept per connection; the log is for people, and a script of a
// million 1-byte writes must not turn into a million entries.
constexpr std::size_t kMaxEvents = 256;
// Bytes one recv() may take when the script does not ask for pieces.
constexpr std::size_t kReadBufferSize = 64 * 1024;
// How long a leader whose script has to wait keeps the role while it waits
// (watching the listening socket, so a new connection still ends it at
// once). Covers the usual gap between a client's connect and its request
// and FIN, so a sequential client rarely causes a hand-off.
constexpr Duration kLeaderGrace = std::chrono::milliseconds(5);
// A write larger than this gives up the role before it produces its bytes
// (seeded random data of a GiB takes seconds), as a wait would.
constexpr std::uint64_t kLeaderWriteLimit = 256 * 1024;
// How often a loop that never waits looks at the wake pipe (and gives up
// the leader role): the most a stop() waits for a busy script. Long enough
// that a short exchange never pays the poll() (it is over sooner), short
// enough to be no delay to a person or a test.
constexpr Duration kBusyCheck = std::chrono::milliseconds(10);

}  // namespace

std::string step_label(const ScriptPlan& plan, std::size_t step,
                       const char* otherwise) {
  return step < plan.steps.size() ? plan.steps[step].label() : otherwise;
}

ScriptRunner::ScriptRunner(const Scenario& scenario,
                           const std::string& request, std::mutex& records_mu,
                           ConnectionRecord& rec, int fd, int wake_fd,
                           Leadership& lead)
    : scenario_(scenario),
      request_(request),
      records_mu_(records_mu),
      rec_(rec),
      fd_(fd),
      plan_(*rec.plan),
      wake_fd_(wake_fd),
      lead_(lead),
      deadline_(rec.accepted_at + scenario.deadline()),
      next_check_(rec.accepted_at + kBusyCheck) {
  obs_.connection = rec.number;
  obs_.events.reserve(8);  // a typical script logs fewer: one allocation
  obs_.steps_done.reserve(plan_.steps.size());
}

ServerObservation ScriptRunner::run() {
  run_script();
  if (fd_ >= 0) {
    // A failed or interrupted script: RST, so the client cannot take the
    // end of a broken script for an orderly close.
    abort_fd(fd_);
    event("aborted the connection (RST)");
  }
  obs_.duration = SteadyClock::now() - rec_.accepted_at;
  if (omitted_events_ > 0) {
    obs_.events.push_back({obs_.duration, std::to_string(omitted_events_) +
                                              " more events not recorded"});
  }
  return std::move(obs_);
}

void ScriptRunner::run_script() {
  if (plan_.refused()) {
    // The kernel has accepted already; the closest thing to a refusal is
    // an RST before any byte.
    obs_.refused = true;
    abort_fd(fd_);
    event(plan_.refusal == ScriptPlan::Refusal::no_script
              ? "no script covers this connection: refused with RST"
              : "refused with RST (the server listens for a later "
                "connection's script, so the kernel accepted this one)");
    obs_.script_completed = true;
    return;
  }
  obs_.accepted = true;
  event(plan_.accept_delay > Duration::zero()
            ? "accepted (accept() delayed by " + format_duration(plan_.accept_delay) + ")"
            : "accepted");
  obs_.steps_done.push_back({0, Duration::zero(), 0});  // the leader accepted
  if (!kListenerPassesNoDelay) {
    const int one = 1;
    // The script decides the segmentation of writes; Nagle must not merge
    // 1-byte pieces (nor delay them behind delayed ACKs).
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  if (!plan_.invalid.empty()) {
    // A script that breaks the placement rules fails once accepted.
    obs_.failure = plan_.invalid;
    event("failed: " + plan_.invalid);
    return;
  }
  for (std::size_t i = 1; i < plan_.steps.size(); ++i) {
    const PlanStep& step = plan_.steps[i];
    set_doing(i);
    // Whether a FIN follows this step at once, so a write can leave its
    // last piece for the FIN to ride on (see do_write).
    fin_follows_ = step.fin_follows;
    step_bytes_ = 0;
    if (!run_step(step)) return;
    obs_.steps_done.push_back({i, SteadyClock::now() - rec_.accepted_at, step_bytes_});
  }
  obs_.script_completed = true;
}

bool ScriptRunner::run_step(const PlanStep& step) {
  if (fd_ < 0 && step.kind != Step::Kind::sleep) {
    return fail("the connection is already closed");
  }
  switch (step.kind) {
    case Step::Kind::accept:  // a plan has these only where it is invalid
    case Step::Kind::refuse:
      return fail("only valid as the first step of a script");
    case Step::Kind::read: return do_read(step, /*until_fin=*/false);
    case Step::Kind::read_until_fin: return do_read(step, /*until_fin=*/true);
    case Step::Kind::recv_buffer: return do_recv_buffer(*step.step);
    case Step::Kind::write: return do_write(step);
    case Step::Kind::sleep: return do_sleep(step.step->delay);
    case Step::Kind::half_close: return do_half_close();
    case Step::Kind::close: return do_close();
    case Step::Kind::reset:
      abort_fd(fd_);
      event("reset (RST)");
      return true;
    case Step::Kind::hang: return do_hang();
  }
  return fail("unknown step");
}

ScriptRunner::Wait ScriptRunner::wait(int fd, short events, TimePoint until) {
  for (;;) {
    const TimePoint now = SteadyClock::now();
    if (now >= deadline_) return Wait::deadline;
    if (now >= until) return Wait::elapsed;
    TimePoint end = std::min(until, deadline_);
    if (lead_.leading) {
      if (grace_end_ == TimePoint{}) grace_end_ = now + kLeaderGrace;
      if (now >= grace_end_) {
        if (!lead_.release()) return Wait::no_thread;
      } else {
        end = std::min(end, grace_end_);
      }
    }
    const int listen_fd = lead_.leading ? lead_.listen_fd : -1;
    pollfd p[3] = {
        {fd, events, 0}, {wake_fd_, POLLIN, 0}, {listen_fd, POLLIN, 0}};
    const int rc = ::poll(p, 3, poll_timeout(end));
    if (rc < 0) continue;  // EINTR; the deadline check above bounds this
    if (p[1].revents != 0) return Wait::stopped;
    if (rc > 0 && p[0].revents != 0) return Wait::ready;
    // A new connection must not wait for this script.
    if (p[2].revents != 0 && !lead_.release()) return Wait::no_thread;
  }
}

ScriptRunner::Wait ScriptRunner::keep_going() {
  const TimePoint now = SteadyClock::now();
  if (now >= deadline_) return Wait::deadline;
  if (now < next_check_) return Wait::ready;
  next_check_ = now + kBusyCheck;
  pollfd p{wake_fd_, POLLIN, 0};
  if (::poll(&p, 1, 0) > 0) return Wait::stopped;
  // Busy for kBusyCheck already, longer than the grace a waiting leader
  // keeps the role: a new connection must not wait for this script.
  if (lead_.leading && !lead_.release()) return Wait::no_thread;
  return Wait::ready;
}

bool ScriptRunner::pause(Duration d, const std::string& progress) {
  const Wait w = wait(-1, 0, SteadyClock::now() + d);
  if (w == Wait::elapsed) return true;
  return wait_failed(w, progress);
}

bool ScriptRunner::wait_failed(Wait w, const std::string& progress) {
  if (w == Wait::stopped) return fail("stopped by the server" + progress);
  if (w == Wait::no_thread) {
    return fail(
        "could not start a thread to go on accepting connections meanwhile" +
        progress);
  }
  return fail("deadline (" + format_duration(scenario_.deadline()) +
              " after accept) passed" + progress);
}

bool ScriptRunner::do_read(const PlanStep& step, bool until_fin) {
  const std::uint64_t want = step.step->count;
  const PieceCut& cut = step.cut;
  std::uint64_t got = 0;
  std::size_t recvs = 0;
  char buffer[kReadBufferSize];
  auto progress = [&] {
    return until_fin ? " after " + std::to_string(got) + " bytes"
                     : " after " + std::to_string(got) + " of " +
                           std::to_string(want) + " bytes";
  };
  while (until_fin || got < want) {
    if (const Wait w = keep_going(); w != Wait::ready) {
      return wait_failed(w, progress());
    }
    // A piece is whole before the pause (PieceCut): each recv asks for
    // at most the rest of the current piece, and a short recv is followed
    // by another for the rest of that piece without pausing.
    std::size_t cap = sizeof buffer;
    if (cut.chunk > 0) {
      cap = static_cast<std::size_t>(
          std::min<std::uint64_t>(cap, cut.piece_end(got, UINT64_MAX) - got));
    }
    if (!until_fin) cap = static_cast<std::size_t>(std::min<std::uint64_t>(cap, want - got));
    const ssize_t n = ::recv(fd_, buffer, cap, 0);
    if (n > 0) {
      obs_.received.append(buffer, static_cast<std::size_t>(n));
      got += static_cast<std::uint64_t>(n);
      step_bytes_ = got;
      ++recvs;
      const bool more = until_fin || got < want;
      if (more && cut.pause_after(got) && !pause(cut.gap, progress())) {
        return false;
      }
      continue;
    }
    if (n == 0) {
      note_fin();
      if (until_fin) break;
      return fail("client FIN" + progress());
    }
    const std::error_code ec = last_error();
    if (is_interrupted(ec)) continue;
    if (is_would_block(ec)) {
      const Wait w = wait(fd_, POLLIN, deadline_);
      if (w != Wait::ready) return wait_failed(w, progress());
      continue;
    }
    if (is_reset(ec)) {
      note_reset(ec);
      return fail("client reset the connection (" + describe(ec) + ")" +
                  progress());
    }
    return fail("recv failed: " + describe(ec) + progress());
  }
  event("read " + std::to_string(got) + " bytes in " +
        std::to_string(recvs) + " recv" + (recvs == 1 ? "" : "s"));
  return true;
}

bool ScriptRunner::do_recv_buffer(const Step& step) {
  const int size = clamp_to_int(step.count);
  if (::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) != 0) {
    return fail("setsockopt(SO_RCVBUF) failed: " + describe(last_error()));
  }
  int actual = 0;
  socklen_t len = sizeof actual;
  ::getsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &actual, &len);
  event("receive buffer set to " + std::to_string(step.count) +
        " bytes (the kernel reports " + std::to_string(actual) + ")");
  return true;
}

bool ScriptRunner::do_write(const PlanStep& plan_step) {
  const Step& step = *plan_step.step;
  const PieceCut& cut = plan_step.cut;
  if (lead_.leading &&
      data_size(step.data, request_.size()) > kLeaderWriteLimit &&
      !lead_.release()) {
    return wait_failed(Wait::no_thread, "");
  }
  const std::string data = materialize(step.data, request_);
  std::size_t off = 0;
  std::size_t pieces = 0;
  auto progress = [&] {
    return " after " + std::to_string(off) + " of " +
           std::to_string(data.size()) + " bytes";
  };
  while (off < data.size()) {
    // Each piece is its own send, so pieces leave separately even
    // without a gap between them.
    const auto piece_end = static_cast<std::size_t>(cut.piece_end(off, data.size()));
    while (off < piece_end) {
      if (const Wait w = keep_going(); w != Wait::ready) {
        return wait_failed(w, progress());
      }
      // The last piece before a FIN goes with MSG_MORE: the kernel holds
      // it until the FIN, which then rides on it, and the client wakes up
      // once for the reply and the end of it instead of twice.
      const bool hold = fin_follows_ && piece_end == data.size();
      const ssize_t n = ::send(fd_, data.data() + off, piece_end - off,
                               MSG_NOSIGNAL | (hold ? MSG_MORE : 0));
      if (hold) held_ = true;
      if (n > 0) {
        off += static_cast<std::size_t>(n);
        step_bytes_ = off;
        obs_.bytes_sent += static_cast<std::uint64_t>(n);
        continue;
      }
      const std::error_code ec =
          n == 0 ? std::make_error_code(std::errc::resource_unavailable_try_again)
                 : last_error();
      if (is_interrupted(ec)) continue;
      if (is_would_block(ec)) {
        const Wait w = wait(fd_, POLLOUT, deadline_);
        if (w == Wait::deadline) {
          return wait_failed(w, progress() + " (the client is not reading)");
        }
        if (w != Wait::ready) return wait_failed(w, progress());
        continue;
      }
      if (is_reset(ec)) {
        note_reset(ec);
        return fail("client reset the connection (" + describe(ec) + ")" +
                    progress());
      }
      return fail("send failed: " + describe(ec) + progress());
    }
    ++pieces;
    if (off < data.size() && cut.pauses()) {
      if (!pause(cut.gap, progress())) return false;
    }
  }
  event("wrote " + std::to_string(off) + " bytes in " +
        std::to_string(pieces) + " piece" + (pieces == 1 ? "" : "s"));
  return true;
}

bool ScriptRunner::do_sleep(Duration d) {
  if (!pause(d, "")) return false;
  event("slept " + format_duration(d));
  return true;
}

bool ScriptRunner::do_half_close() {
  if (::shutdown(fd_, SHUT_WR) != 0) {
    const std::error_code ec = last_error();
    if (is_reset(ec)) note_reset(ec);
    return fail("shutdown(SHUT_WR) failed: " + describe(ec));
  }
  event("half-close (FIN sent)");
  return true;
}

bool ScriptRunner::do_close() {
  // Unread client data turns the kernel's FIN into an RST; say so.
  char probe = 0;
  const ssize_t n = ::recv(fd_, &probe, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0) {
    int pending = 0;
    ::ioctl(fd_, FIONREAD, &pending);
    obs_.closed_with_unread = true;
    // The RST would discard a piece held back for the FIN (do_write);
    // send it first, as if it had never been held. Setting TCP_NODELAY
    // pushes whatever is queued.
    if (held_) {
      const int one = 1;
      ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    close_fd(fd_);
    event("close with " + std::to_string(pending) +
          " unread bytes (the kernel sends RST)");
    return true;
  }
  if (n < 0) {
    const std::error_code ec = last_error();
    if (is_reset(ec)) note_reset(ec);
  }
  close_fd(fd_);
  event("close (FIN sent)");
  return true;
}

bool ScriptRunner::do_hang() {
  event("hang: holding the connection open without FIN");
  // events = 0: only an error (RST) or a full hang-up wakes us; the
  // client's FIN alone does not end a hang, since a half-closing client
  // still waits for the reply.
  const Wait w = wait(fd_, 0, deadline_);
  if (w == Wait::stopped) return wait_failed(w, "");
  if (w == Wait::ready) {
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    const std::error_code ec{err, std::system_category()};
    if (err != 0 && is_reset(ec)) {
      note_reset(ec);
      event("hang ended: client reset the connection");
    } else {
      // FIN has gone both ways (the script half-closed): nobody is left
      // waiting for anything, so the socket is released as `close`
      // releases it, not with an RST that could overtake the reply.
      event("hang ended: the connection was closed on both sides");
      return do_close();
    }
  } else {
    event("hang ended at the deadline");
  }
  abort_fd(fd_);
  event("released the connection with RST");
  return true;
}

void ScriptRunner::note_fin() {
  if (obs_.saw_client_fin) return;
  obs_.saw_client_fin = true;
  obs_.client_fin_at = SteadyClock::now() - rec_.accepted_at;
  event("client FIN");
}

void ScriptRunner::note_reset(const std::error_code& ec) {
  if (obs_.client_reset) return;
  obs_.client_reset = true;
  event("client reset (" + describe(ec) + ")");
}

bool ScriptRunner::fail(const std::string& why) {
  obs_.failure = step_label(plan_, step_, "accept") + ": " + why;
  event("failed: " + obs_.failure);
  return false;
}

void ScriptRunner::event(std::string what) {
  if (obs_.events.size() + 1 >= kMaxEvents) {
    ++omitted_events_;
    return;
  }
  obs_.events.push_back({SteadyClock::now() - rec_.accepted_at, std::move(what)});
}

void ScriptRunner::set_doing(std::size_t step) {
  step_ = step;
  const TimePoint now = SteadyClock::now();
  std::lock_guard lock(records_mu_);
  rec_.step = step;
  rec_.doing_since = now;
}

}  // namespace sockcheck::loopback
