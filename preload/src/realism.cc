// The descriptor table, the fault schedule and the realism rules. See
// preload.h and docs/interposer.md ("Realism").
//
// What the kernel could return is read from the kernel at the moment a
// fault is due, never from a record of earlier calls: O_NONBLOCK with
// fcntl(F_GETFL) (however it was set: socket(SOCK_NONBLOCK), fcntl, ioctl
// FIONBIO), the socket timeouts with getsockopt(SO_RCVTIMEO/SO_SNDTIMEO),
// and the signal dispositions with sigaction(sig, nullptr, &old) for every
// signal (however the handler was installed: signal(), sigaction(),
// sigset()); handlers for the signals a thread raises itself (SIGSEGV and
// the like, a sanitizer's or crash reporter's) do not count. These queries are async-signal-safe and cost nothing on the
// calls that have no fault scheduled.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>

#include "preload.h"

namespace sockcheck_preload {

Connection g_connections[kMaxConnections];

namespace {

std::atomic<int> g_fds[kMaxFds];
std::atomic<int> g_next_connection{0};

// After this many injected faults in a row on one class of call, the next
// call goes through: a client that retries EINTR at once would otherwise
// spin for ever on `every 1` (the simulator does the same).
constexpr std::uint32_t kMaxInARow = 1000;

bool in_table(int fd) noexcept { return fd >= 0 && fd < kMaxFds; }

struct Handlers {
  bool any = false;            // some signal has a handler that can interrupt
  bool any_without_restart = false;
  bool crash_only = false;     // handlers, but only for the signals below
};

// Signals the kernel sends a thread for what that thread itself executes
// (a bad access, a trap, abort()). A handler for them, as sanitizers and
// crash reporters install, runs only when the program faults, never while
// it sleeps in a call, so it makes no EINTR possible.
bool raised_by_the_thread_itself(int sig) noexcept {
  switch (sig) {
    case SIGSEGV: case SIGBUS: case SIGFPE: case SIGILL: case SIGTRAP:
    case SIGSYS: case SIGABRT: return true;
    default: return false;
  }
}

Handlers handlers() noexcept {
  Handlers h;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    struct sigaction sa {};
    if (::sigaction(sig, nullptr, &sa) != 0) continue;
    const bool handled = (sa.sa_flags & SA_SIGINFO) != 0
                             ? sa.sa_sigaction != nullptr
                             : sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN;
    if (!handled) continue;
    if (raised_by_the_thread_itself(sig)) {
      h.crash_only = !h.any;
      continue;
    }
    h.any = true;
    h.crash_only = false;
    if ((sa.sa_flags & SA_RESTART) == 0) h.any_without_restart = true;
  }
  return h;
}

bool nonblocking(int fd, int flags) noexcept {
  if ((flags & MSG_DONTWAIT) != 0) return true;
  const int fl = ::fcntl(fd, F_GETFL);
  return fl >= 0 && (fl & O_NONBLOCK) != 0;
}

bool has_timeout(int fd, CallClass c) noexcept {
  timeval tv{};
  socklen_t len = sizeof tv;
  const int opt = c == CallClass::send ? SO_SNDTIMEO : SO_RCVTIMEO;
  if (::getsockopt(fd, SOL_SOCKET, opt, &tv, &len) != 0) return false;
  return tv.tv_sec != 0 || tv.tv_usec != 0;
}

const char* unrealistic_eintr(CallClass c, int fd, int flags,
                              long wait_ms) noexcept {
  if (c == CallClass::shutdown) {
    return "shutdown() never sleeps, so it cannot be interrupted";
  }
  const Handlers h = handlers();
  if (h.crash_only) {
    return "the program's only signal handlers are for faults it raises itself "
           "(SIGSEGV, SIGBUS, SIGFPE, ...), which never interrupt a call, so EINTR "
           "cannot occur";
  }
  if (!h.any) return "the program installs no signal handler, so EINTR cannot occur";
  if (c == CallClass::wait) {
    return wait_ms == 0 ? "a wait with a zero timeout never sleeps, so it cannot be interrupted"
                        : nullptr;
  }
  if (nonblocking(fd, flags)) {
    return "a non-blocking call never sleeps, so it cannot be interrupted";
  }
  if (!h.any_without_restart && !has_timeout(fd, c)) {
    return "every handler the program installs has SA_RESTART and the socket has "
           "no timeout, so the kernel restarts the call instead of failing it";
  }
  return nullptr;
}

const char* unrealistic_eagain(CallClass c, int fd, int flags) noexcept {
  if (c == CallClass::wait) return "poll, select and epoll_wait never fail with EAGAIN on Linux";
  if (c == CallClass::shutdown) return "shutdown() never fails with EAGAIN";
  if (nonblocking(fd, flags) || has_timeout(fd, c)) return nullptr;
  return "the socket is blocking and has no timeout, so EAGAIN cannot occur";
}

const char* unrealistic_short(CallClass c, int fd, int flags,
                              std::size_t size) noexcept {
  if (c != CallClass::send && c != CallClass::recv) {
    return "only send and recv return a count";
  }
  if (size <= 1) return "a call for one byte cannot come back short";
  if (c == CallClass::recv) return nullptr;  // whenever less is queued
  if (nonblocking(fd, flags) || has_timeout(fd, c)) return nullptr;
  if (handlers().any) return nullptr;  // a signal may cut a blocking send
  return "a blocking send in a program without a signal handler sends "
         "everything (Linux); only the portable level cuts it";
}

}  // namespace

const char* class_name(CallClass c) noexcept {
  switch (c) {
    case CallClass::send: return "send";
    case CallClass::recv: return "recv";
    case CallClass::wait: return "wait";
    case CallClass::shutdown: return "shutdown";
  }
  return "?";
}

const char* fault_name(FaultKind k) noexcept {
  switch (k) {
    case FaultKind::eintr: return "EINTR";
    case FaultKind::eagain: return "EAGAIN";
    case FaultKind::short_count: return "short";
  }
  return "?";
}

std::uint64_t now_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000u +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

int fd_connection(int fd) noexcept {
  if (!in_table(fd)) return -1;
  const int v = g_fds[fd].load(std::memory_order_relaxed);
  return v > 0 ? v - 1 : -1;
}

int fd_closed_connection(int fd) noexcept {
  if (!in_table(fd)) return -1;
  const int v = g_fds[fd].load(std::memory_order_relaxed);
  return v < 0 ? -v - 1 : -1;
}

int new_connection(int fd) noexcept {
  if (!in_table(fd)) return -1;
  const int n = g_next_connection.fetch_add(1);
  if (n >= kMaxConnections) return -1;
  map_fd(fd, n);
  return n;
}

void map_fd(int fd, int connection) noexcept {
  if (!in_table(fd) || connection < 0) return;
  const int old = fd_connection(fd);
  if (old == connection) return;
  if (old >= 0) g_connections[old].open_fds.fetch_sub(1);
  g_fds[fd].store(connection + 1);
  g_connections[connection].open_fds.fetch_add(1);
}

void unmap_fd(int fd) noexcept {
  const int c = fd_connection(fd);
  if (c < 0) {
    if (in_table(fd) && g_fds[fd].load() == 0) return;
    if (in_table(fd)) g_fds[fd].store(0);  // reused by something untracked
    return;
  }
  g_connections[c].open_fds.fetch_sub(1);
  g_fds[fd].store(-(c + 1));
}

const char* unrealistic(FaultKind kind, CallClass c, int fd, int flags,
                        std::size_t size, long wait_ms) noexcept {
  switch (kind) {
    case FaultKind::eintr: return unrealistic_eintr(c, fd, flags, wait_ms);
    case FaultKind::eagain: return unrealistic_eagain(c, fd, flags);
    case FaultKind::short_count: return unrealistic_short(c, fd, flags, size);
  }
  return "unknown fault";
}

Decision decide(int conn, CallClass c, int fd, int flags, std::size_t size,
                long wait_ms, std::uint32_t& index) noexcept {
  Connection& k = g_connections[conn];
  const auto ci = static_cast<std::size_t>(c);
  index = k.calls[ci].fetch_add(1) + 1;
  Decision d;
  for (int i = 0; i < g_config.fault_count; ++i) {
    const Fault& f = g_config.faults[i];
    if (f.call != c) continue;
    const bool due = f.at != 0 ? index == f.at : (index - 1) % f.every == 0;
    if (!due) continue;
    if (k.in_a_row[ci].load() >= kMaxInARow) break;
    d.matched = true;
    d.kind = f.kind;
    const char* why = unrealistic(f.kind, c, fd, flags, size, wait_ms);
    // The portable level injects what POSIX and Winsock allow beyond
    // Linux; a one-byte call still cannot come back short.
    if (why != nullptr && g_config.level == Level::portable &&
        !(f.kind == FaultKind::short_count && size <= 1)) {
      why = nullptr;
    }
    d.inject = why == nullptr;
    d.skipped_because = why;
    break;
  }
  if (d.inject) {
    k.in_a_row[ci].fetch_add(1);
  } else {
    k.in_a_row[ci].store(0);
  }
  return d;
}

}  // namespace sockcheck_preload
