// The loopback server over POSIX sockets. See loopback_server.h for the
// contract and the loopback-specific semantics.
//
// Theory of operation: a leader/followers pool. The cost that matters is
// what one short exchange pays on top of the kernel's own work, and on a
// loaded two-core machine that cost is mostly thread wake-ups (each one a
// trip through the scheduler), not instructions. So a connection is served
// on the thread that accepted it, and nothing else wakes up for it:
//
//   caller      start() binds and listens, then starts the first worker;
//               stop() raises the wake pipe, wakes the followers and joins
//               every worker.
//   leader      the one worker (at most) that owns the listening socket: it
//               polls it together with the wake pipe, numbers the next
//               connection, applies its `accept after D`, accepts it, and
//               then runs that connection's script itself.
//   followers   idle workers, waiting on a condition variable to become the
//               leader. At most kMaxIdleWorkers of them stay; more retire.
//
// A leader keeps the listening socket while its script runs without
// blocking (the common case: the request and the client's FIN are already
// queued). The first time a script would block, its waits also watch the
// listening socket for a short grace period (kLeaderGrace); when that
// period ends, or a new connection shows up, the script gives up the
// leadership: an idle follower is woken to take it, or a new worker is
// started as the leader if none is idle. So no connection ever waits for
// another one's script (at most a few microseconds while a non-blocking
// script finishes), and a sequential client costs no wake-up beyond the
// leader's own poll. A large write and on_finished (the caller's code) give
// up the role first too. A worker whose script has ended becomes the leader
// again if nobody holds the role, else a follower.
//
// Two more wake-ups are saved per exchange. The last piece of a write that
// a FIN follows goes with MSG_MORE, so the FIN rides on it and the client
// wakes once for the reply and its end. And wait_for_connections() yields
// the CPU briefly before it sleeps: its caller is usually the client that
// just read the FIN, whose wake-up preempted the worker a few instructions
// before it publishes.
//
// Cancellation is a pipe that is written once by stop() and never drained:
// its read end stays readable, so every poll() in every thread that watches
// it wakes at once and every later poll() returns immediately; followers
// are woken through their condition variable. Deadlines are the poll
// timeouts. No worker blocks outside poll() and that condition variable.
//
// Shared state (counters, the pool, the running connections, finished
// observations) is guarded by one mutex. A connected socket is touched only
// by its worker; the listening socket only by the leader (the role passes
// from thread to thread under the mutex) and, after every worker has been
// joined, by stop().
// This is the only file of the fake server that includes socket headers.
#include "sockcheck/loopback_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <cstring>
#include <limits>
#include <list>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>

#include "sockcheck/units.h"

namespace sockcheck {

std::string format_endpoint(const Endpoint& endpoint) {
  const bool v6 = endpoint.host.find(':') != std::string::npos;
  return (v6 ? "[" + endpoint.host + "]" : endpoint.host) + ":" +
         std::to_string(endpoint.port);
}

namespace {

using SteadyClock = std::chrono::steady_clock;

// Events kept per connection; the log is for people, and a script of a
// million 1-byte writes must not turn into a million entries.
constexpr std::size_t kMaxEvents = 256;
// Bytes one recv() may take when the script does not ask for pieces.
constexpr std::size_t kReadBufferSize = 64 * 1024;

std::error_code last_error() noexcept {
  return {errno, std::system_category()};
}

// "ECONNRESET" for the errors the project names, the OS's text otherwise.
std::string describe(const std::error_code& ec) {
  std::string name = error_name(ec);
  if (!name.empty() &&
      std::isdigit(static_cast<unsigned char>(name.front())) != 0) {
    return ec.message();
  }
  return name;
}

std::string millis(Duration d) {
  return std::to_string(
             std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) +
         "ms";
}

// Milliseconds until `end` for poll(), rounded up so a wait never ends
// before its time, clamped to poll's range.
int poll_timeout(TimePoint end) noexcept {
  const Duration left = end - SteadyClock::now();
  if (left <= Duration::zero()) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(std::min<long long>(ms, INT_MAX));
}

void close_fd(int& fd) noexcept {
  if (fd >= 0) {
    ::close(fd);  // never retried: Linux releases the descriptor even on EINTR
    fd = -1;
  }
}

// Close that sends RST instead of FIN: SO_LINGER with a zero timeout.
void abort_fd(int& fd) noexcept {
  if (fd < 0) return;
  const linger lg{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close_fd(fd);
}

bool set_nonblocking(int fd) noexcept {
  const int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

// A pipe whose read end is polled; see the theory of operation.
struct Pipe {
  int read_end = -1;
  int write_end = -1;

  std::error_code open() {
    int fds[2];
    if (::pipe(fds) != 0) return last_error();
    read_end = fds[0];
    write_end = fds[1];
    for (const int fd : fds) {
      if (::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 || !set_nonblocking(fd)) {
        const std::error_code ec = last_error();
        close();
        return ec;
      }
    }
    return {};
  }
  // Never blocks: a full pipe is readable already, which is all that counts.
  void ping() const noexcept {
    const char byte = 1;
    [[maybe_unused]] const ssize_t n = ::write(write_end, &byte, 1);
  }
  void close() noexcept {
    close_fd(read_end);
    close_fd(write_end);
  }
};

// A numeric address parsed into a sockaddr.
struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_UNSPEC;
  bool loopback = false;
};

std::optional<Address> parse_address(const std::string& text,
                                     std::uint16_t port) {
  Address a;
  in_addr v4{};
  in6_addr v6{};
  if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr = v4;
    std::memcpy(&a.storage, &sin, sizeof sin);
    a.length = sizeof sin;
    a.family = AF_INET;
    a.loopback = (ntohl(v4.s_addr) >> 24) == 127;
    return a;
  }
  if (::inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(port);
    sin6.sin6_addr = v6;
    std::memcpy(&a.storage, &sin6, sizeof sin6);
    a.length = sizeof sin6;
    a.family = AF_INET6;
    // ::1, or ::ffff:127.x.y.z (an IPv4 loopback address in IPv6 form).
    a.loopback = IN6_IS_ADDR_LOOPBACK(&v6) ||
                 (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
    return a;
  }
  return std::nullopt;
}

// The address and port a socket is bound to, as an Endpoint.
std::optional<Endpoint> bound_endpoint(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return std::nullopt;
  }
  char text[INET6_ADDRSTRLEN] = {};
  Endpoint e;
  if (ss.ss_family == AF_INET) {
    sockaddr_in sin{};
    std::memcpy(&sin, &ss, sizeof sin);
    ::inet_ntop(AF_INET, &sin.sin_addr, text, sizeof text);
    e.port = ntohs(sin.sin_port);
  } else if (ss.ss_family == AF_INET6) {
    sockaddr_in6 sin6{};
    std::memcpy(&sin6, &ss, sizeof sin6);
    ::inet_ntop(AF_INET6, &sin6.sin6_addr, text, sizeof text);
    e.port = ntohs(sin6.sin6_port);
  } else {
    return std::nullopt;
  }
  e.host = text;
  return e;
}

// The smallest `recv-buffer` of any script, for the listening socket.
std::optional<std::uint64_t> smallest_recv_buffer(const Scenario& s) {
  std::optional<std::uint64_t> smallest;
  for (const auto& script : s.scripts) {
    for (const auto& step : script.steps) {
      if (step.kind == Step::Kind::recv_buffer &&
          (!smallest || step.count < *smallest)) {
        smallest = step.count;
      }
    }
  }
  return smallest;
}

int clamp_to_int(std::uint64_t v) noexcept {
  return static_cast<int>(
      std::min<std::uint64_t>(v, static_cast<std::uint64_t>(INT_MAX)));
}

bool first_step_is(const ConnectionScript* script, Step::Kind kind) {
  return script != nullptr && !script->steps.empty() &&
         script->steps.front().kind == kind;
}

// The worker pool; see the theory of operation.
// Idle workers kept for the next concurrent connections; more retire.
constexpr std::size_t kMaxIdleWorkers = 4;
// How long a leader whose script has to wait keeps the role while it waits
// (watching the listening socket, so a new connection still ends it at
// once). Covers the usual gap between a client's connect and its request
// and FIN, so a sequential client rarely causes a hand-off.
constexpr Duration kLeaderGrace = std::chrono::milliseconds(5);
// A write larger than this gives up the role before it produces its bytes
// (seeded random data of a GiB takes seconds), as a wait would.
constexpr std::uint64_t kLeaderWriteLimit = 256 * 1024;

// Linux copies TCP_NODELAY from the listening socket to the sockets
// accept() returns; elsewhere each accepted socket gets it itself.
#ifdef __linux__
constexpr bool kListenerPassesNoDelay = true;
#else
constexpr bool kListenerPassesNoDelay = false;
#endif

// How long wait_for_connections() yields the CPU before it sleeps.
constexpr Duration kWaiterSpin = std::chrono::microseconds(50);

// Step indexes with a meaning of their own in ConnectionRecord::step.
constexpr int kStarting = -1;
constexpr int kImplicitClose = -2;

// What a connection is doing, as messages name it: "step 2 (write) at line
// 7", "implicit close"; `before_steps` names the time before step 1.
std::string step_label(const ConnectionScript* script, int step,
                       const char* before_steps) {
  if (step == kImplicitClose) return "implicit close";
  if (script == nullptr || step < 0 ||
      static_cast<std::size_t>(step) >= script->steps.size()) {
    return before_steps;
  }
  const Step& s = script->steps[static_cast<std::size_t>(step)];
  std::string label = "step " + std::to_string(step + 1) + " (" +
                      std::string(to_string(s.kind)) + ")";
  if (s.where.line > 0) label += " at line " + std::to_string(s.where.line);
  return label;
}

// The leader role as one worker sees it; see the theory of operation.
struct Leadership {
  bool leading = false;  // this worker owns the listening socket
  int listen_fd = -1;    // valid while leading
  // Gives the role to another worker (sets leading to false); false if
  // there is none and none could be started.
  std::function<bool()> release;
};

}  // namespace

// One accepted connection while its script runs; lives on its worker's
// stack, listed in Impl::running from the accept until it is published.
struct ConnectionRecord {
  int number = 0;
  TimePoint accepted_at{};
  const ConnectionScript* script = nullptr;  // in Impl::scenario
  std::list<ConnectionRecord*>::iterator position;  // in Impl::running
  // Guarded by Impl::mu: what the script is doing, for wait messages.
  int step = kStarting;
  TimePoint doing_since{};
};

struct LoopbackServer::Impl {
  Scenario scenario;
  std::string request;  // scenario.request_bytes(), computed once
  LoopbackServerOptions options;
  Endpoint bound;
  bool refuse_mode = false;

  // Used by the leader only, so unguarded: the role passes under mu. The
  // leader closes listen_fd after max_connections; stop() closes it after
  // joining every worker.
  int listen_fd = -1;
  std::size_t count = 0;  // connections accepted so far
  Pipe wake;              // written by stop(), never drained

  std::mutex stop_mu;    // serializes stop() callers
  bool started = false;  // guarded by stop_mu
  bool joined = false;   // guarded by stop_mu

  mutable std::mutex mu;
  std::condition_variable changed;  // accepted, finished or stopped changed
  bool stopped = false;
  std::size_t accepted = 0;
  std::size_t finished = 0;
  std::list<ConnectionRecord*> running;  // in accept order
  std::vector<ServerObservation> done;   // ordered by connection number

  // The pool, guarded by mu.
  std::condition_variable followers;  // leadership free, or stop
  std::list<std::thread> workers;     // every worker not retired
  std::thread retired;                // the last retired worker, unjoined
  bool stopping = false;              // stop() has begun: no new workers
  bool listening = false;             // the listening socket accepts
  bool leader_present = false;        // some worker holds the role
  std::size_t idle = 0;               // followers waiting

  // Starts a worker, under mu; false if no thread could be started.
  bool spawn_worker(bool as_leader);
  void run_worker(std::list<std::thread>::iterator self, bool leading);
  // As the leader: the next connection's socket, or -1 when the leader must
  // stop (stop() was called). Registers `rec` as running.
  int accept_next(ConnectionRecord& rec);
  bool release_leadership(Leadership& lead);
  // Ends the calling worker, under mu (which it releases).
  void retire(std::unique_lock<std::mutex>& lock,
              std::list<std::thread>::iterator self);
  void run_refused();
  // `rec` is null for the observation of refuse mode, which never ran.
  void publish(ConnectionRecord* rec, ServerObservation obs);
  // Waits for the wake pipe or `d`; false if woken (stop requested).
  bool pause(Duration d) const {
    const TimePoint end = SteadyClock::now() + d;
    for (;;) {
      pollfd p{wake.read_end, POLLIN, 0};
      const int rc = ::poll(&p, 1, poll_timeout(end));
      if (rc > 0) return false;
      if (rc == 0 && SteadyClock::now() >= end) return true;
    }
  }
};

namespace {

// Runs one connection's script on its socket and fills the observation.
class ScriptRunner {
 public:
  // `records_mu` guards rec.step and rec.doing_since; `lead` is the
  // worker's role, given up before the first long wait. Every reference
  // outlives the run.
  ScriptRunner(const Scenario& scenario, const std::string& request,
               std::mutex& records_mu, ConnectionRecord& rec, int fd,
               int wake_fd, Leadership& lead)
      : scenario_(scenario),
        request_(request),
        records_mu_(records_mu),
        rec_(rec),
        fd_(fd),
        script_(rec.script),
        wake_fd_(wake_fd),
        lead_(lead),
        deadline_(rec.accepted_at + scenario.deadline()) {
    obs_.connection = rec.number;
    obs_.events.reserve(8);  // a typical script logs fewer: one allocation
  }

  ServerObservation run() {
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

 private:
  enum class Wait { ready, elapsed, deadline, stopped, no_thread };

  void run_script() {
    const std::vector<Step> none;
    const std::vector<Step>& steps = script_ != nullptr ? script_->steps : none;
    if (script_ == nullptr ||
        (!steps.empty() && steps.front().kind == Step::Kind::refuse)) {
      // The kernel has accepted already; the closest thing to a refusal is
      // an RST before any byte.
      obs_.refused = true;
      abort_fd(fd_);
      event(script_ == nullptr
                ? "no script covers this connection: refused with RST"
                : "refused with RST (only connection 1 can be refused by "
                  "not listening)");
      obs_.script_completed = true;
      return;
    }
    obs_.accepted = true;
    const Duration delay = steps.empty() || steps.front().kind !=
                                                    Step::Kind::accept
                               ? Duration::zero()
                               : steps.front().delay;
    event(delay > Duration::zero()
              ? "accepted (accept() delayed by " + format_duration(delay) + ")"
              : "accepted");
    if (!kListenerPassesNoDelay) {
      const int one = 1;
      // The script decides the segmentation of writes; Nagle must not merge
      // 1-byte pieces (nor delay them behind delayed ACKs).
      ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }

    const bool ends_itself =
        !steps.empty() && (steps.back().kind == Step::Kind::close ||
                           steps.back().kind == Step::Kind::reset ||
                           steps.back().kind == Step::Kind::hang);
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const Step& step = steps[i];
      set_doing(static_cast<int>(i));
      if (i == 0 && step.kind == Step::Kind::accept) continue;  // the leader did it
      // Whether a FIN follows this step at once, so a write can leave its
      // last piece for the FIN to ride on (see do_write).
      const Step::Kind next = i + 1 < steps.size() ? steps[i + 1].kind
                              : ends_itself        ? Step::Kind::hang
                                                   : Step::Kind::close;
      fin_follows_ =
          next == Step::Kind::close || next == Step::Kind::half_close;
      if (!run_step(step)) return;
    }
    if (!ends_itself && fd_ >= 0) {
      set_doing(kImplicitClose);
      if (!do_close()) return;
    }
    obs_.script_completed = true;
  }

  bool run_step(const Step& step) {
    if (fd_ < 0 && step.kind != Step::Kind::sleep) {
      return fail("the connection is already closed");
    }
    switch (step.kind) {
      case Step::Kind::accept:
        event("accept: already accepted, nothing to do");
        return true;
      case Step::Kind::refuse:
        return fail("refuse can only be the first step of a script");
      case Step::Kind::read: return do_read(step, /*until_fin=*/false);
      case Step::Kind::read_until_fin: return do_read(step, /*until_fin=*/true);
      case Step::Kind::recv_buffer: return do_recv_buffer(step);
      case Step::Kind::write: return do_write(step);
      case Step::Kind::sleep: return do_sleep(step.delay);
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

  // Waits until `fd` reports `events` (0: only errors and hang-ups; fd -1:
  // nothing, a plain pause), `until` passes, the connection's deadline
  // passes, or stop() is called. While this worker leads, the wait also
  // watches the listening socket and gives up the leadership when a
  // connection arrives or the grace period is over (no_thread: no worker
  // could take it).
  Wait wait(int fd, short events, TimePoint until) {
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

  // A pause that ignores the socket: a gap or a sleep must not end early
  // because the client sent data, nor spin on a readable socket.
  bool pause(Duration d, const std::string& progress) {
    const Wait w = wait(-1, 0, SteadyClock::now() + d);
    if (w == Wait::elapsed) return true;
    return wait_failed(w, progress);
  }

  // The failure for a wait that did not become ready.
  bool wait_failed(Wait w, const std::string& progress) {
    if (w == Wait::stopped) return fail("stopped by the server" + progress);
    if (w == Wait::no_thread) {
      return fail(
          "could not start a thread to go on accepting connections meanwhile" +
          progress);
    }
    return fail("deadline (" + format_duration(scenario_.deadline()) +
                " after accept) passed" + progress);
  }

  bool do_read(const Step& step, bool until_fin) {
    const std::uint64_t want = step.count;
    std::uint64_t got = 0;
    std::size_t recvs = 0;
    char buffer[kReadBufferSize];
    auto progress = [&] {
      return until_fin ? " after " + std::to_string(got) + " bytes"
                       : " after " + std::to_string(got) + " of " +
                             std::to_string(want) + " bytes";
    };
    while (until_fin || got < want) {
      // A piece is whole before the pause: pieces are counted from the
      // start of the read, each recv asks for at most the rest of the
      // current piece, and a short recv is followed by another for the rest
      // of that piece without pausing. So the pauses depend on the script
      // alone, not on how the client's bytes happened to arrive.
      std::size_t cap = sizeof buffer;
      if (step.chunk > 0) {
        cap = static_cast<std::size_t>(std::min<std::uint64_t>(cap, step.chunk - got % step.chunk));
      }
      if (!until_fin) cap = static_cast<std::size_t>(std::min<std::uint64_t>(cap, want - got));
      const ssize_t n = ::recv(fd_, buffer, cap, 0);
      if (n > 0) {
        obs_.received.append(buffer, static_cast<std::size_t>(n));
        got += static_cast<std::uint64_t>(n);
        ++recvs;
        const bool more = until_fin || got < want;
        if (more && step.chunk > 0 && step.gap > Duration::zero() &&
            got % step.chunk == 0 && !pause(step.gap, progress())) {
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

  bool do_recv_buffer(const Step& step) {
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

  bool do_write(const Step& step) {
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
      const std::size_t piece =
          step.chunk > 0 ? static_cast<std::size_t>(std::min<std::uint64_t>(
                               step.chunk, data.size() - off))
                         : data.size() - off;
      const std::size_t piece_end = off + piece;
      while (off < piece_end) {
        // The last piece before a FIN goes with MSG_MORE: the kernel holds
        // it until the FIN, which then rides on it, and the client wakes up
        // once for the reply and the end of it instead of twice.
        const bool hold = fin_follows_ && piece_end == data.size();
        const ssize_t n = ::send(fd_, data.data() + off, piece_end - off,
                                 MSG_NOSIGNAL | (hold ? MSG_MORE : 0));
        if (hold) held_ = true;
        if (n > 0) {
          off += static_cast<std::size_t>(n);
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
      if (off < data.size() && step.chunk > 0 && step.gap > Duration::zero()) {
        if (!pause(step.gap, progress())) return false;
      }
    }
    event("wrote " + std::to_string(off) + " bytes in " +
          std::to_string(pieces) + " piece" + (pieces == 1 ? "" : "s"));
    return true;
  }

  bool do_sleep(Duration d) {
    if (!pause(d, "")) return false;
    event("slept " + format_duration(d));
    return true;
  }

  bool do_half_close() {
    if (::shutdown(fd_, SHUT_WR) != 0) {
      const std::error_code ec = last_error();
      if (is_reset(ec)) note_reset(ec);
      return fail("shutdown(SHUT_WR) failed: " + describe(ec));
    }
    event("half-close (FIN sent)");
    return true;
  }

  bool do_close() {
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

  bool do_hang() {
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
        event("hang ended: the connection was closed on both sides");
      }
    } else {
      event("hang ended at the deadline");
    }
    abort_fd(fd_);
    event("released the connection with RST");
    return true;
  }

  void note_fin() {
    if (obs_.saw_client_fin) return;
    obs_.saw_client_fin = true;
    obs_.client_fin_at = SteadyClock::now() - rec_.accepted_at;
    event("client FIN");
  }

  void note_reset(const std::error_code& ec) {
    if (obs_.client_reset) return;
    obs_.client_reset = true;
    event("client reset (" + describe(ec) + ")");
  }

  bool fail(const std::string& why) {
    obs_.failure = step_label(script_, step_, "accept") + ": " + why;
    event("failed: " + obs_.failure);
    return false;
  }

  void event(std::string what) {
    if (obs_.events.size() + 1 >= kMaxEvents) {
      ++omitted_events_;
      return;
    }
    obs_.events.push_back({SteadyClock::now() - rec_.accepted_at, std::move(what)});
  }

  void set_doing(int step) {
    step_ = step;
    const TimePoint now = SteadyClock::now();
    std::lock_guard lock(records_mu_);
    rec_.step = step;
    rec_.doing_since = now;
  }

  const Scenario& scenario_;
  const std::string& request_;
  std::mutex& records_mu_;
  ConnectionRecord& rec_;
  int fd_;
  const ConnectionScript* script_;
  int wake_fd_;
  Leadership& lead_;
  TimePoint deadline_;
  TimePoint grace_end_{};  // set by the first wait while leading
  int step_ = kStarting;   // as in ConnectionRecord::step
  bool fin_follows_ = false;  // the step after this one sends a FIN
  bool held_ = false;         // a write left data for the FIN (MSG_MORE)
  std::size_t omitted_events_ = 0;
  ServerObservation obs_;
};

}  // namespace

void LoopbackServer::Impl::publish(ConnectionRecord* rec,
                                   ServerObservation obs) {
  if (options.on_finished) options.on_finished(obs);
  {
    std::lock_guard lock(mu);
    if (options.keep_observations) {
      // Connections mostly end in order: this is an append.
      const auto at = std::upper_bound(
          done.begin(), done.end(), obs.connection,
          [](int n, const ServerObservation& o) { return n < o.connection; });
      done.insert(at, std::move(obs));
    }
    ++finished;
    if (rec != nullptr) running.erase(rec->position);
  }
  changed.notify_all();
}

bool LoopbackServer::Impl::spawn_worker(bool as_leader) {
  workers.emplace_back();
  const auto self = std::prev(workers.end());
  try {
    // Assigned under mu, which the worker takes before it reads *self.
    *self = std::thread([this, self, as_leader] { run_worker(self, as_leader); });
  } catch (const std::system_error&) {
    workers.erase(self);
    return false;
  }
  return true;
}

void LoopbackServer::Impl::retire(std::unique_lock<std::mutex>& lock,
                                  std::list<std::thread>::iterator self) {
  // Once stop() has begun it joins every worker in the list; otherwise the
  // worker cannot join itself, so it leaves its handle for the next one to
  // retire (or stop()) and joins the one before it, which has returned or is
  // about to: at most one retired worker is ever left unjoined.
  if (stopping) return;
  std::thread previous = std::move(retired);
  retired = std::move(*self);
  workers.erase(self);
  lock.unlock();
  if (previous.joinable()) previous.join();
}

bool LoopbackServer::Impl::release_leadership(Leadership& lead) {
  std::lock_guard lock(mu);
  if (stopping || idle > 0) {
    leader_present = false;
    // A woken follower takes the role unless a worker whose script ended
    // takes it first; either way the listening socket is watched again.
    if (!stopping) followers.notify_one();
  } else if (!spawn_worker(/*as_leader=*/true)) {
    return false;  // still the leader
  }
  // Spawned: leader_present stays true, it belongs to the new worker now.
  lead.leading = false;
  lead.listen_fd = -1;
  return true;
}

int LoopbackServer::Impl::accept_next(ConnectionRecord& rec) {
  for (;;) {
    pollfd p[2] = {{listen_fd, POLLIN, 0}, {wake.read_end, POLLIN, 0}};
    const int rc = ::poll(p, 2, -1);
    if (rc < 0) continue;  // EINTR
    if (p[1].revents != 0) return -1;
    if (p[0].revents == 0) continue;

    const int number = static_cast<int>(count + 1);
    const ConnectionScript* script = scenario.script_for(number);
    if (first_step_is(script, Step::Kind::accept) &&
        script->steps.front().delay > Duration::zero()) {
      // `accept after D`: the connection waits in the listen queue (the
      // client's connect has already completed) while we hold off accept().
      if (!pause(script->steps.front().delay)) return -1;
    }
    const int fd = ::accept4(listen_fd, nullptr, nullptr,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR ||
          err == ECONNABORTED) {
        continue;  // the client gave up before we took it
      }
      // Out of descriptors or memory: back off instead of spinning.
      if (!pause(std::chrono::milliseconds(50))) return -1;
      continue;
    }
    ++count;
    rec.number = number;
    rec.script = script;
    rec.accepted_at = SteadyClock::now();
    rec.doing_since = rec.accepted_at;
    const bool last =
        options.max_connections != 0 && count >= options.max_connections;
    // Later connects are refused once the socket is closed.
    if (last) close_fd(listen_fd);
    {
      std::lock_guard lock(mu);
      accepted = count;
      rec.position = running.insert(running.end(), &rec);
      if (last) {
        listening = false;
        leader_present = false;
        followers.notify_all();  // nothing left to lead: they retire
      }
    }
    changed.notify_all();
    return fd;
  }
}

void LoopbackServer::Impl::run_worker(std::list<std::thread>::iterator self,
                                      bool leading) {
  Leadership lead;
  lead.release = [this, &lead] { return release_leadership(lead); };
  for (;;) {
    if (!leading) {
      std::unique_lock lock(mu);
      for (;;) {
        if (stopping || !listening) return retire(lock, self);
        if (!leader_present) break;
        if (idle >= kMaxIdleWorkers) return retire(lock, self);
        ++idle;
        followers.wait(lock);
        --idle;
      }
      leader_present = true;
    }
    ConnectionRecord rec;
    const int fd = accept_next(rec);
    if (fd < 0) {
      std::unique_lock lock(mu);
      leader_present = false;
      return retire(lock, self);  // stopping
    }
    {
      std::lock_guard lock(mu);
      lead.leading = listening;  // false once the last connection is in
    }
    lead.listen_fd = lead.leading ? listen_fd : -1;
    ServerObservation obs =
        ScriptRunner(scenario, request, mu, rec, fd, wake.read_end, lead).run();
    // on_finished is the caller's code and may take its time; new
    // connections must not wait for it. If no worker can take the role,
    // they wait instead of being dropped.
    if (lead.leading && options.on_finished) lead.release();
    publish(&rec, std::move(obs));
    leading = lead.leading;
  }
}

void LoopbackServer::Impl::run_refused() {
  ServerObservation obs;
  obs.connection = 1;
  obs.refused = true;
  obs.script_completed = true;
  obs.events.push_back(
      {Duration::zero(),
       "refused: port bound but never listening, so the kernel refuses "
       "every connect (ECONNREFUSED)"});
  const bool later_scripts = std::any_of(
      scenario.scripts.begin(), scenario.scripts.end(),
      [](const ConnectionScript& c) {
        return (c.last == 0 || c.last > 1) &&
               !first_step_is(&c, Step::Kind::refuse);
      });
  if (later_scripts) {
    obs.events.push_back(
        {Duration::zero(),
         "the scripts for connections 2+ cannot be reached over loopback "
         "(only the simulated transport runs them after a refusal)"});
  }
  {
    std::lock_guard lock(mu);
    accepted = 1;
  }
  publish(nullptr, std::move(obs));
}

LoopbackServer::LoopbackServer() : impl_(std::make_unique<Impl>()) {}

LoopbackServer::~LoopbackServer() { stop(); }

LoopbackStart LoopbackServer::start(const Scenario& scenario,
                                    const LoopbackServerOptions& options) {
  using Problem = LoopbackStart::Problem;
  std::lock_guard stop_lock(impl_->stop_mu);
  Impl& s = *impl_;
  if (s.started) {
    return {{}, "the server was started already", Problem::already_started};
  }
  const auto addr = parse_address(options.listen_address, options.port);
  if (!addr) {
    return {{},
            "'" + options.listen_address +
                "' is not a numeric IPv4 or IPv6 address",
            Problem::bad_address};
  }
  const std::string where =
      format_endpoint({options.listen_address, options.port});
  if (!addr->loopback && !options.allow_non_loopback) {
    return {{},
            options.listen_address +
                " is not a loopback address; binding it needs an explicit "
                "permission (allow_non_loopback)",
            Problem::not_loopback};
  }
  const int fd = ::socket(addr->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {{}, "socket: " + describe(last_error()), Problem::system};
  int lfd = fd;
  auto fail = [&](const std::string& what) {
    const std::error_code ec = last_error();
    close_fd(lfd);
    return LoopbackStart{{}, what + ": " + describe(ec), Problem::system};
  };
  const int one = 1;
  if (::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
    return fail("setsockopt(SO_REUSEADDR)");
  }
  // The script decides the segmentation of writes; Nagle must not merge
  // 1-byte pieces (nor delay them behind delayed ACKs). Accepted sockets
  // inherit it (kListenerPassesNoDelay).
  if (::setsockopt(lfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
    return fail("setsockopt(TCP_NODELAY)");
  }
  if (addr->family == AF_INET6 &&
      ::setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) {
    return fail("setsockopt(IPV6_V6ONLY)");
  }
  if (const auto rcvbuf = smallest_recv_buffer(scenario)) {
    // Before listen(): accepted sockets inherit it and the window scale is
    // fixed at the handshake, so a later setsockopt alone would be too late.
    const int size = clamp_to_int(*rcvbuf);
    if (::setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) != 0) {
      return fail("setsockopt(SO_RCVBUF)");
    }
  }
  if (!set_nonblocking(lfd)) return fail("fcntl(O_NONBLOCK)");
  if (::bind(lfd, reinterpret_cast<const sockaddr*>(&addr->storage),
             addr->length) != 0) {
    return fail("bind " + where);
  }
  const bool refuse = first_step_is(scenario.script_for(1), Step::Kind::refuse);
  if (!refuse && ::listen(lfd, SOMAXCONN) != 0) return fail("listen " + where);
  const auto bound = bound_endpoint(lfd);
  if (!bound) return fail("getsockname");
  if (const std::error_code ec = s.wake.open()) {
    close_fd(lfd);
    return {{}, "pipe: " + describe(ec), Problem::system};
  }
  s.scenario = scenario;
  s.request = scenario.request_bytes();
  s.options = options;
  s.bound = *bound;
  s.refuse_mode = refuse;
  s.listen_fd = lfd;
  bool running = false;
  {
    std::lock_guard lock(s.mu);
    if (refuse) {
      s.workers.emplace_back();
      try {
        s.workers.back() = std::thread([&s] { s.run_refused(); });
        running = true;
      } catch (const std::system_error&) {
        s.workers.pop_back();
      }
    } else {
      s.listening = true;
      s.leader_present = true;  // the first worker's
      running = s.spawn_worker(/*as_leader=*/true);
      s.listening = running;
      s.leader_present = running;
    }
  }
  if (!running) {
    close_fd(s.listen_fd);
    s.wake.close();
    return {{}, "could not start the server's first thread", Problem::system};
  }
  s.started = true;
  return {*bound, {}, Problem::none};
}

Endpoint LoopbackServer::endpoint() const {
  std::lock_guard lock(impl_->stop_mu);
  return impl_->bound;
}

bool LoopbackServer::refusing() const {
  std::lock_guard lock(impl_->stop_mu);
  return impl_->refuse_mode;
}

std::size_t LoopbackServer::finished_count() const {
  std::lock_guard lock(impl_->mu);
  return impl_->finished;
}

std::vector<ServerObservation> LoopbackServer::observations() const {
  std::lock_guard lock(impl_->mu);
  return impl_->done;
}

LoopbackWait LoopbackServer::wait_for_connections(std::size_t n,
                                                  Duration timeout) {
  return wait_for_connections(n, SteadyClock::now() + timeout);
}

LoopbackWait LoopbackServer::wait_for_connections(std::size_t n,
                                                  TimePoint deadline) {
  Impl& s = *impl_;
  std::unique_lock lock(s.mu);
  auto ready = [&] { return s.finished >= n || s.stopped; };
  // The usual wait is for the connection whose client has just finished,
  // and its worker is a few instructions from publishing: often it is the
  // very thread that the client's wake-up preempted on this CPU. Yielding a
  // few times lets it finish without a sleep and a cross-CPU wake-up.
  const TimePoint spin_end =
      std::min(deadline, SteadyClock::now() + kWaiterSpin);
  while (!ready() && SteadyClock::now() < spin_end) {
    lock.unlock();
    std::this_thread::yield();
    lock.lock();
  }
  if (deadline == TimePoint::max()) {
    s.changed.wait(lock, ready);
  } else {
    s.changed.wait_until(lock, deadline, ready);
  }
  if (s.finished >= n) return {true, {}};
  std::string msg =
      std::to_string(s.finished) + " of " + std::to_string(n) +
      " connection" + (n == 1 ? "" : "s") + " finished " +
      (s.stopped ? "before the server stopped" : "by the deadline") + " (" +
      std::to_string(s.accepted) + " accepted)";
  for (const ConnectionRecord* r : s.running) {
    msg += "; connection " + std::to_string(r->number) + " is in " +
           step_label(r->script, r->step, "starting") + " since +" +
           millis(r->doing_since - r->accepted_at);
  }
  return {false, msg};
}

LoopbackWait LoopbackServer::wait_for_accepted(std::size_t n,
                                               Duration timeout) {
  Impl& s = *impl_;
  std::unique_lock lock(s.mu);
  s.changed.wait_until(lock, SteadyClock::now() + timeout,
                       [&] { return s.accepted >= n || s.stopped; });
  if (s.accepted >= n) return {true, {}};
  return {false, std::to_string(s.accepted) + " of " + std::to_string(n) +
                     " connection" + (n == 1 ? "" : "s") + " accepted " +
                     (s.stopped ? "before the server stopped"
                                : "by the deadline")};
}

void LoopbackServer::stop() {
  std::lock_guard stop_lock(impl_->stop_mu);
  Impl& s = *impl_;
  if (!s.started || s.joined) return;
  std::list<std::thread> all;
  std::thread last_retired;
  {
    // From here on no worker starts another or retires on its own, so the
    // list taken below is every thread there is. Splicing keeps each
    // worker's iterator to its own node valid.
    std::lock_guard lock(s.mu);
    s.stopping = true;
    all.splice(all.end(), s.workers);
    last_retired = std::move(s.retired);
  }
  s.wake.ping();
  s.followers.notify_all();
  for (auto& t : all) t.join();
  if (last_retired.joinable()) last_retired.join();
  close_fd(s.listen_fd);  // unless the leader closed it already
  s.wake.close();
  s.joined = true;
  {
    std::lock_guard lock(s.mu);
    s.stopped = true;
  }
  s.changed.notify_all();
}

}  // namespace sockcheck
