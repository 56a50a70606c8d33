// The interposed libc functions. See preload.h for the theory of operation
// and docs/interposer.md for what is covered.
//
// Each function first looks its descriptor up (one relaxed atomic load); a
// descriptor that is not a target connection goes to the real function at
// once, so stdin, stdout, files, DNS and other sockets are untouched. The
// real functions come from dlsym(RTLD_NEXT), resolved on first use, so the
// library also works behind another preloaded one.
#undef _FORTIFY_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstring>

#include "preload.h"

#define SOCKCHECK_EXPORT extern "C" __attribute__((visibility("default")))

namespace sockcheck_preload {
namespace {

template <typename F>
F* resolve(std::atomic<void*>& slot, const char* name) noexcept {
  void* p = slot.load(std::memory_order_acquire);
  if (p == nullptr) {
    p = ::dlsym(RTLD_NEXT, name);
    slot.store(p, std::memory_order_release);
  }
  F* f = nullptr;
  std::memcpy(&f, &p, sizeof f);
  return f;
}

#define REAL(type, name)                              \
  ([]() noexcept {                                    \
    static std::atomic<void*> slot{nullptr};          \
    return resolve<type>(slot, #name);                \
  }())

using connect_t = int(int, const sockaddr*, socklen_t);
using send_t = ssize_t(int, const void*, size_t, int);
using sendto_t = ssize_t(int, const void*, size_t, int, const sockaddr*, socklen_t);
using sendmsg_t = ssize_t(int, const msghdr*, int);
using recv_t = ssize_t(int, void*, size_t, int);
using recvfrom_t = ssize_t(int, void*, size_t, int, sockaddr*, socklen_t*);
using recvmsg_t = ssize_t(int, msghdr*, int);
using read_t = ssize_t(int, void*, size_t);
using write_t = ssize_t(int, const void*, size_t);
using readv_t = ssize_t(int, const iovec*, int);
using writev_t = ssize_t(int, const iovec*, int);
using shutdown_t = int(int, int);
using close_t = int(int);
using poll_t = int(pollfd*, nfds_t, int);
using ppoll_t = int(pollfd*, nfds_t, const timespec*, const sigset_t*);
using select_t = int(int, fd_set*, fd_set*, fd_set*, timeval*);
using pselect_t = int(int, fd_set*, fd_set*, fd_set*, const timespec*, const sigset_t*);
using epoll_ctl_t = int(int, int, int, epoll_event*);
using epoll_wait_t = int(int, epoll_event*, int, int);
using epoll_pwait_t = int(int, epoll_event*, int, int, const sigset_t*);
using dup_t = int(int);
using dup2_t = int(int, int);
using dup3_t = int(int, int, int);
using fcntl_t = int(int, int, ...);

// Epoll instances watching a target connection: epfd -> connection + 1.
std::atomic<int> g_epoll[kMaxFds];

bool is_target(const sockaddr* addr, socklen_t len) noexcept {
  if (!g_config.active || addr == nullptr) return false;
  if (addr->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    if (in->sin_port != g_config.port) return false;
    if (g_config.family == AF_INET) {
      return in->sin_addr.s_addr == g_config.addr4.s_addr;
    }
    return false;
  }
  if (addr->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    if (in6->sin6_port != g_config.port) return false;
    if (g_config.family == AF_INET6) {
      return std::memcmp(&in6->sin6_addr, &g_config.addr6, sizeof(in6_addr)) == 0;
    }
    // An IPv4-mapped address (::ffff:a.b.c.d) on a dual-stack socket.
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::memcmp(&in6->sin6_addr, mapped, 12) == 0 &&
           std::memcmp(reinterpret_cast<const unsigned char*>(&in6->sin6_addr) + 12,
                       &g_config.addr4, 4) == 0;
  }
  return false;
}

// A call on a descriptor that was a target connection until it was closed:
// a call after close, if the kernel says the descriptor is gone.
void after_close(int fd, const char* fn, long long r) noexcept {
  const int was = fd_closed_connection(fd);
  if (was >= 0 && r < 0 && errno == EBADF) {
    trace_event(was, fn, fd, r, EBADF);
  }
}

std::size_t halve(std::size_t n) noexcept { return n / 2 > 0 ? n / 2 : 1; }

// A send for half the bytes held the rest back if it sent anything.
ssize_t sent_short(ssize_t r, bool& held) noexcept {
  held = r > 0;
  return r;
}

constexpr int kMaxIov = 64;

// Copies `iov` into `out`, cut to `limit` bytes in all; returns the count.
int cut_iov(const iovec* iov, int count, std::size_t limit, iovec* out) noexcept {
  int n = 0;
  for (int i = 0; i < count && n < kMaxIov && limit > 0; ++i) {
    const std::size_t len = iov[i].iov_len < limit ? iov[i].iov_len : limit;
    out[n++] = {iov[i].iov_base, len};
    limit -= len;
  }
  return n;
}

std::size_t iov_total(const iovec* iov, int count) noexcept {
  std::size_t t = 0;
  for (int i = 0; i < count; ++i) t += iov[i].iov_len;
  return t;
}

// One data call (send or recv class) on target connection `conn`: decide,
// inject or call, record. `real_call` makes the call as asked;
// `short_call` makes it for fewer bytes (it peeks first when receiving)
// and says whether any were really held back: a short count that found
// nothing to hold back is recorded as skipped, never as injected.
template <typename RealCall, typename ShortCall>
ssize_t data_call(int conn, int fd, const char* fn, CallClass c, int flags,
                  std::size_t size, RealCall real_call, ShortCall short_call) noexcept {
  std::uint32_t index = 0;
  const Decision d = decide(conn, c, fd, flags, size, -1, index);
  ssize_t r = 0;
  int err = 0;
  Decision done = d;
  if (d.inject && d.kind != FaultKind::short_count) {
    r = -1;
    err = d.kind == FaultKind::eintr ? EINTR : EAGAIN;
  } else if (d.inject) {
    bool held = false;  // bytes really held back
    r = short_call(held);
    err = r < 0 ? errno : 0;
    if (!held) {
      done.inject = false;
      done.skipped_because =
          "the call found end of file, an error or too few bytes to hold any back";
    }
  } else {
    r = real_call();
    err = r < 0 ? errno : 0;
  }
  if (!done.inject) note_result(conn, c, r, err);
  trace_call(conn, fn, c, index, static_cast<long long>(size), r, err, done);
  if (r < 0) errno = err;
  return r;
}

// How many bytes a short recv may take: half of what is queued, found by
// peeking with the call's own flags (so a blocking call still blocks). A
// peek that fails or finds EOF is the answer itself: the error is the
// socket's pending one, which a second call would no longer see.
ssize_t peek_for_short(int fd, void* buf, std::size_t size, int flags,
                       std::size_t& take) noexcept {
  const ssize_t n = REAL(recv_t, recv)(fd, buf, size, (flags & ~MSG_WAITALL) | MSG_PEEK);
  if (n > 0) take = halve(static_cast<std::size_t>(n));
  return n;
}

ssize_t recv_like(int conn, int fd, const char* fn, void* buf, std::size_t len,
                  int flags, sockaddr* from, socklen_t* fromlen) noexcept {
  return data_call(
      conn, fd, fn, CallClass::recv, flags, len,
      [&] { return REAL(recvfrom_t, recvfrom)(fd, buf, len, flags, from, fromlen); },
      [&](bool& held) -> ssize_t {
        std::size_t take = 0;
        const ssize_t n = peek_for_short(fd, buf, len, flags, take);
        if (n <= 0) return n;
        const ssize_t r =
            REAL(recvfrom_t, recvfrom)(fd, buf, take, flags & ~MSG_WAITALL, from, fromlen);
        held = r > 0 && static_cast<std::size_t>(r) < static_cast<std::size_t>(n);
        return r;
      });
}

ssize_t recvmsg_like(int conn, int fd, const char* fn, msghdr* msg, int flags) noexcept {
  const std::size_t total = iov_total(msg->msg_iov, static_cast<int>(msg->msg_iovlen));
  return data_call(
      conn, fd, fn, CallClass::recv, flags, total,
      [&] { return REAL(recvmsg_t, recvmsg)(fd, msg, flags); },
      [&](bool& held) -> ssize_t {
        if (msg->msg_iovlen == 0) return REAL(recvmsg_t, recvmsg)(fd, msg, flags);
        std::size_t take = 0;
        const ssize_t n = peek_for_short(fd, msg->msg_iov[0].iov_base,
                                         msg->msg_iov[0].iov_len, flags, take);
        if (n <= 0) return n;
        iovec cut[kMaxIov];
        msghdr copy = *msg;
        copy.msg_iov = cut;
        copy.msg_iovlen = static_cast<std::size_t>(
            cut_iov(msg->msg_iov, static_cast<int>(msg->msg_iovlen), take, cut));
        const ssize_t r = REAL(recvmsg_t, recvmsg)(fd, &copy, flags & ~MSG_WAITALL);
        msg->msg_flags = copy.msg_flags;
        msg->msg_controllen = copy.msg_controllen;
        msg->msg_namelen = copy.msg_namelen;
        held = r > 0 && static_cast<std::size_t>(r) < static_cast<std::size_t>(n);
        return r;
      });
}

ssize_t sendmsg_like(int conn, int fd, const char* fn, const msghdr* msg, int flags) noexcept {
  const std::size_t total = iov_total(msg->msg_iov, static_cast<int>(msg->msg_iovlen));
  return data_call(
      conn, fd, fn, CallClass::send, flags, total,
      [&] { return REAL(sendmsg_t, sendmsg)(fd, msg, flags); },
      [&](bool& held) {
        iovec cut[kMaxIov];
        msghdr copy = *msg;
        copy.msg_iov = cut;
        copy.msg_iovlen = static_cast<std::size_t>(
            cut_iov(msg->msg_iov, static_cast<int>(msg->msg_iovlen), halve(total), cut));
        return sent_short(REAL(sendmsg_t, sendmsg)(fd, &copy, flags), held);
      });
}

// One wait (poll, select, epoll) that covers target connection `conn`.
template <typename RealCall>
int wait_call(int conn, const char* fn, long timeout_ms, RealCall real_call) noexcept {
  std::uint32_t index = 0;
  const Decision d = decide(conn, CallClass::wait, -1, 0, 0, timeout_ms, index);
  int r = 0;
  int err = 0;
  if (d.inject) {
    r = -1;
    err = d.kind == FaultKind::eagain ? EAGAIN : EINTR;
  } else {
    r = real_call();
    err = r < 0 ? errno : 0;
  }
  note_wait(conn);
  trace_call(conn, fn, CallClass::wait, index, timeout_ms, r, err, d);
  if (r < 0) errno = err;
  return r;
}

int poll_connection(const pollfd* fds, nfds_t n) noexcept {
  for (nfds_t i = 0; i < n; ++i) {
    const int c = fd_connection(fds[i].fd);
    if (c >= 0) return c;
  }
  return -1;
}

int select_connection(int nfds, const fd_set* r, const fd_set* w, const fd_set* e) noexcept {
  const int limit = nfds < FD_SETSIZE ? nfds : FD_SETSIZE;
  for (int fd = 0; fd < limit; ++fd) {
    if ((r != nullptr && FD_ISSET(fd, r)) || (w != nullptr && FD_ISSET(fd, w)) ||
        (e != nullptr && FD_ISSET(fd, e))) {
      const int c = fd_connection(fd);
      if (c >= 0) return c;
    }
  }
  return -1;
}

int epoll_connection(int epfd) noexcept {
  if (epfd < 0 || epfd >= kMaxFds) return -1;
  const int c = g_epoll[epfd].load(std::memory_order_relaxed) - 1;
  return c >= 0 && g_connections[c].open_fds.load() > 0 ? c : -1;
}

long ms_of(const timespec* ts) noexcept {
  if (ts == nullptr) return -1;
  return static_cast<long>(ts->tv_sec * 1000 + ts->tv_nsec / 1000000);
}
long ms_of(const timeval* tv) noexcept {
  if (tv == nullptr) return -1;
  return static_cast<long>(tv->tv_sec * 1000 + tv->tv_usec / 1000);
}

// A new descriptor `to` now refers to what `from` refers to (dup & co).
void duplicated(int from, int to, const char* fn) noexcept {
  const int c = fd_connection(from);
  if (c < 0 || to < 0) return;
  map_fd(to, c);
  trace_event(c, fn, to, to, 0);
}

// dup2/dup3 onto a target descriptor close it first.
void replaced(int fd, const char* fn) noexcept {
  const int c = fd_connection(fd);
  if (c < 0) return;
  unmap_fd(fd);
  trace_event(c, "close", fd, 0, 0);
  (void)fn;
}

__attribute__((constructor)) void on_load() {
  load_config();
  if (g_config.active) trace_hello();
}

}  // namespace
}  // namespace sockcheck_preload

using namespace sockcheck_preload;

SOCKCHECK_EXPORT int connect(int fd, const sockaddr* addr, socklen_t len) {
  const int r = REAL(connect_t, connect)(fd, addr, len);
  if (!is_target(addr, len)) return r;
  const int err = r < 0 ? errno : 0;
  if (r == 0 || err == EINPROGRESS || err == EINTR) {
    int c = fd_connection(fd);
    if (c < 0) c = new_connection(fd);
    if (c >= 0) trace_event(c, "connect", fd, r, err);
  }
  if (r < 0) errno = err;
  return r;
}

SOCKCHECK_EXPORT ssize_t send(int fd, const void* buf, size_t len, int flags) {
  const int c = fd_connection(fd);
  if (c < 0) {
    const ssize_t r = REAL(send_t, send)(fd, buf, len, flags);
    after_close(fd, "send", r);
    return r;
  }
  return data_call(
      c, fd, "send", CallClass::send, flags, len,
      [&] { return REAL(send_t, send)(fd, buf, len, flags); },
      [&](bool& held) {
        return sent_short(REAL(send_t, send)(fd, buf, halve(len), flags), held);
      });
}

SOCKCHECK_EXPORT ssize_t sendto(int fd, const void* buf, size_t len, int flags,
                                const sockaddr* to, socklen_t tolen) {
  const int c = fd_connection(fd);
  if (c < 0) {
    const ssize_t r = REAL(sendto_t, sendto)(fd, buf, len, flags, to, tolen);
    after_close(fd, "sendto", r);
    return r;
  }
  return data_call(
      c, fd, "sendto", CallClass::send, flags, len,
      [&] { return REAL(sendto_t, sendto)(fd, buf, len, flags, to, tolen); },
      [&](bool& held) {
        return sent_short(REAL(sendto_t, sendto)(fd, buf, halve(len), flags, to, tolen), held);
      });
}

SOCKCHECK_EXPORT ssize_t sendmsg(int fd, const msghdr* msg, int flags) {
  const int c = fd_connection(fd);
  if (c < 0) {
    const ssize_t r = REAL(sendmsg_t, sendmsg)(fd, msg, flags);
    after_close(fd, "sendmsg", r);
    return r;
  }
  return sendmsg_like(c, fd, "sendmsg", msg, flags);
}

SOCKCHECK_EXPORT ssize_t write(int fd, const void* buf, size_t len) {
  const int c = fd_connection(fd);
  if (c < 0) {
    const ssize_t r = REAL(write_t, write)(fd, buf, len);
    after_close(fd, "write", r);
    return r;
  }
  return data_call(
      c, fd, "write", CallClass::send, 0, len,
      [&] { return REAL(write_t, write)(fd, buf, len); },
      [&](bool& held) {
        return sent_short(REAL(write_t, write)(fd, buf, halve(len)), held);
      });
}

SOCKCHECK_EXPORT ssize_t writev(int fd, const iovec* iov, int count) {
  const int c = fd_connection(fd);
  if (c < 0) {
    const ssize_t r = REAL(writev_t, writev)(fd, iov, count);
    after_close(fd, "writev", r);
    return r;
  }
  msghdr msg{};
  msg.msg_iov = const_cast<iovec*>(iov);
  msg.msg_iovlen = static_cast<std::size_t>(count < 0 ? 0 : count);
  return sendmsg_like(c, fd, "writev", &msg, 0);
}

SOCKCHECK_EXPORT ssize_t recv(int fd, void* buf, size_t len, int flags) {
  const int c = fd_connection(fd);
  if (c < 0) {
    const ssize_t r = REAL(recv_t, recv)(fd, buf, len, flags);
    after_close(fd, "recv", r);
    return r;
  }
  return recv_like(c, fd, "recv", buf, len, flags, nullptr, nullptr);
}

SOCKCHECK_EXPORT ssize_t recvfrom(int fd, void* buf, size_t len, int flags,
                                  sockaddr* from, socklen_t* fromlen) {
  const int c = fd_connection(fd);
  if (c < 0) {
    const ssize_t r = REAL(recvfrom_t, recvfrom)(fd, buf, len, flags, from, fromlen);
    after_close(fd, "recvfrom", r);
    return r;
  }
  return recv_like(c, fd, "recvfrom", buf, len, flags, from, fromlen);
}

SOCKCHECK_EXPORT ssize_t recvmsg(int fd, msghdr* msg, int flags) {
  const int c = fd_connection(fd);
  if (c < 0) {
    const ssize_t r = REAL(recvmsg_t, recvmsg)(fd, msg, flags);
    after_close(fd, "recvmsg", r);
    return r;
  }
  return recvmsg_like(c, fd, "recvmsg", msg, flags);
}

SOCKCHECK_EXPORT ssize_t read(int fd, void* buf, size_t len) {
  const int c = fd_connection(fd);
  if (c < 0) {
    const ssize_t r = REAL(read_t, read)(fd, buf, len);
    after_close(fd, "read", r);
    return r;
  }
  return recv_like(c, fd, "read", buf, len, 0, nullptr, nullptr);
}

SOCKCHECK_EXPORT ssize_t readv(int fd, const iovec* iov, int count) {
  const int c = fd_connection(fd);
  if (c < 0) {
    const ssize_t r = REAL(readv_t, readv)(fd, iov, count);
    after_close(fd, "readv", r);
    return r;
  }
  msghdr msg{};
  msg.msg_iov = const_cast<iovec*>(iov);
  msg.msg_iovlen = static_cast<std::size_t>(count < 0 ? 0 : count);
  return recvmsg_like(c, fd, "readv", &msg, 0);
}

// glibc's fortified entry points (_FORTIFY_SOURCE): the size check first,
// by the real function when it would fail (it aborts), then as above.
SOCKCHECK_EXPORT ssize_t __recv_chk(int fd, void* buf, size_t len, size_t buflen, int flags) {
  using chk_t = ssize_t(int, void*, size_t, size_t, int);
  if (len > buflen) return REAL(chk_t, __recv_chk)(fd, buf, len, buflen, flags);
  return recv(fd, buf, len, flags);
}

SOCKCHECK_EXPORT ssize_t __recvfrom_chk(int fd, void* buf, size_t len, size_t buflen,
                                        int flags, sockaddr* from, socklen_t* fromlen) {
  using chk_t = ssize_t(int, void*, size_t, size_t, int, sockaddr*, socklen_t*);
  if (len > buflen) {
    return REAL(chk_t, __recvfrom_chk)(fd, buf, len, buflen, flags, from, fromlen);
  }
  return recvfrom(fd, buf, len, flags, from, fromlen);
}

SOCKCHECK_EXPORT ssize_t __read_chk(int fd, void* buf, size_t len, size_t buflen) {
  using chk_t = ssize_t(int, void*, size_t, size_t);
  if (len > buflen) return REAL(chk_t, __read_chk)(fd, buf, len, buflen);
  return read(fd, buf, len);
}

SOCKCHECK_EXPORT int shutdown(int fd, int how) noexcept {
  const int c = fd_connection(fd);
  if (c < 0) {
    const int r = REAL(shutdown_t, shutdown)(fd, how);
    after_close(fd, "shutdown", r);
    return r;
  }
  std::uint32_t index = 0;
  const Decision d = decide(c, CallClass::shutdown, fd, 0, 0, -1, index);
  int r = 0;
  int err = 0;
  if (d.inject) {
    r = -1;
    err = d.kind == FaultKind::eagain ? EAGAIN : EINTR;
  } else {
    r = REAL(shutdown_t, shutdown)(fd, how);
    err = r < 0 ? errno : 0;
    if (r == 0 && how != SHUT_RD) g_connections[c].shut_wr.store(true);
  }
  trace_call(c, "shutdown", CallClass::shutdown, index, how, r, err, d);
  if (r < 0) errno = err;
  return r;
}

SOCKCHECK_EXPORT int close(int fd) {
  if (fd >= 0 && fd < kMaxFds) g_epoll[fd].store(0, std::memory_order_relaxed);
  const int c = fd_connection(fd);
  const int was = c < 0 ? fd_closed_connection(fd) : -1;
  const int r = REAL(close_t, close)(fd);
  const int err = r < 0 ? errno : 0;
  if (c >= 0) {
    unmap_fd(fd);
    trace_event(c, "close", fd, r, err);
  } else if (was >= 0) {
    if (r < 0 && err == EBADF) {
      trace_event(was, "close", fd, r, err);  // a second close
    } else {
      unmap_fd(fd);  // the number now belongs to something untracked
    }
  }
  if (r < 0) errno = err;
  return r;
}

SOCKCHECK_EXPORT int poll(pollfd* fds, nfds_t n, int timeout) {
  const int c = poll_connection(fds, n);
  if (c < 0) return REAL(poll_t, poll)(fds, n, timeout);
  return wait_call(c, "poll", timeout, [&] { return REAL(poll_t, poll)(fds, n, timeout); });
}

SOCKCHECK_EXPORT int __poll_chk(pollfd* fds, nfds_t n, int timeout, size_t fdslen) {
  using chk_t = int(pollfd*, nfds_t, int, size_t);
  if (fdslen / sizeof(pollfd) < n) return REAL(chk_t, __poll_chk)(fds, n, timeout, fdslen);
  return poll(fds, n, timeout);
}

SOCKCHECK_EXPORT int ppoll(pollfd* fds, nfds_t n, const timespec* ts, const sigset_t* mask) {
  const int c = poll_connection(fds, n);
  if (c < 0) return REAL(ppoll_t, ppoll)(fds, n, ts, mask);
  return wait_call(c, "ppoll", ms_of(ts),
                   [&] { return REAL(ppoll_t, ppoll)(fds, n, ts, mask); });
}

SOCKCHECK_EXPORT int __ppoll_chk(pollfd* fds, nfds_t n, const timespec* ts,
                                 const sigset_t* mask, size_t fdslen) {
  using chk_t = int(pollfd*, nfds_t, const timespec*, const sigset_t*, size_t);
  if (fdslen / sizeof(pollfd) < n) return REAL(chk_t, __ppoll_chk)(fds, n, ts, mask, fdslen);
  return ppoll(fds, n, ts, mask);
}

SOCKCHECK_EXPORT int select(int nfds, fd_set* r, fd_set* w, fd_set* e, timeval* tv) {
  const int c = select_connection(nfds, r, w, e);
  if (c < 0) return REAL(select_t, select)(nfds, r, w, e, tv);
  return wait_call(c, "select", ms_of(tv),
                   [&] { return REAL(select_t, select)(nfds, r, w, e, tv); });
}

SOCKCHECK_EXPORT int pselect(int nfds, fd_set* r, fd_set* w, fd_set* e,
                             const timespec* ts, const sigset_t* mask) {
  const int c = select_connection(nfds, r, w, e);
  if (c < 0) return REAL(pselect_t, pselect)(nfds, r, w, e, ts, mask);
  return wait_call(c, "pselect", ms_of(ts),
                   [&] { return REAL(pselect_t, pselect)(nfds, r, w, e, ts, mask); });
}

SOCKCHECK_EXPORT int epoll_ctl(int epfd, int op, int fd, epoll_event* ev) noexcept {
  const int r = REAL(epoll_ctl_t, epoll_ctl)(epfd, op, fd, ev);
  const int c = fd_connection(fd);
  if (r == 0 && c >= 0 && epfd >= 0 && epfd < kMaxFds) {
    g_epoll[epfd].store(op == EPOLL_CTL_DEL ? 0 : c + 1, std::memory_order_relaxed);
  }
  return r;
}

SOCKCHECK_EXPORT int epoll_wait(int epfd, epoll_event* ev, int max, int timeout) {
  const int c = epoll_connection(epfd);
  if (c < 0) return REAL(epoll_wait_t, epoll_wait)(epfd, ev, max, timeout);
  return wait_call(c, "epoll_wait", timeout,
                   [&] { return REAL(epoll_wait_t, epoll_wait)(epfd, ev, max, timeout); });
}

SOCKCHECK_EXPORT int epoll_pwait(int epfd, epoll_event* ev, int max, int timeout,
                                 const sigset_t* mask) {
  const int c = epoll_connection(epfd);
  if (c < 0) return REAL(epoll_pwait_t, epoll_pwait)(epfd, ev, max, timeout, mask);
  return wait_call(c, "epoll_pwait", timeout, [&] {
    return REAL(epoll_pwait_t, epoll_pwait)(epfd, ev, max, timeout, mask);
  });
}

SOCKCHECK_EXPORT int dup(int fd) noexcept {
  const int r = REAL(dup_t, dup)(fd);
  duplicated(fd, r, "dup");
  return r;
}

SOCKCHECK_EXPORT int dup2(int fd, int to) noexcept {
  if (fd != to) replaced(to, "dup2");
  const int r = REAL(dup2_t, dup2)(fd, to);
  if (fd != to) duplicated(fd, r, "dup2");
  return r;
}

SOCKCHECK_EXPORT int dup3(int fd, int to, int flags) noexcept {
  replaced(to, "dup3");
  const int r = REAL(dup3_t, dup3)(fd, to, flags);
  duplicated(fd, r, "dup3");
  return r;
}

namespace {
int fcntl_common(const char* name, std::atomic<void*>& slot, int fd, int cmd,
                 void* arg) noexcept {
  const int r = resolve<fcntl_t>(slot, name)(fd, cmd, arg);
  if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) duplicated(fd, r, "fcntl");
  return r;
}
std::atomic<void*> g_fcntl{nullptr};
std::atomic<void*> g_fcntl64{nullptr};
}  // namespace

// fcntl's third argument is an int or a pointer; passing it on as a
// pointer-sized word is what glibc itself does.
SOCKCHECK_EXPORT int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  return fcntl_common("fcntl", g_fcntl, fd, cmd, arg);
}

SOCKCHECK_EXPORT int fcntl64(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  return fcntl_common("fcntl64", g_fcntl64, fd, cmd, arg);
}
