// The trace: one line per record, appended with a single write(2) so that
// records of several threads and processes never mix. Formatted by hand on
// the stack (no stdio, no allocation: a call may come from a signal
// handler). The harness parses it (harness/src/syscall_trace.cc):
//
//   hello PID T LEVEL
//   call PID T CONN FN CLASS INDEX ASKED RESULT ERRNO STATUS FAULT [WHY...]
//   event PID T CONN WHAT ARG RESULT ERRNO          (connect, close, dup)
//   spin PID T CONN COUNT NS                        (EAGAINs in a row)
//
// T is CLOCK_MONOTONIC in nanoseconds, CONN the connection's number in this
// process (from 1), STATUS real | injected | skipped, FAULT - or the fault,
// WHY the reason a fault was skipped. ERRNO is a number, 0 for none.
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "preload.h"

namespace sockcheck_preload {
namespace {

// Past this many records of plain calls a process writes only faults,
// connects, closes and busy-loop summaries, so a program that spins cannot
// fill the disk.
constexpr int kMaxPlainRecords = 20000;
std::atomic<int> g_plain_records{0};
// Calls that end a run of EAGAINs this long are summarised in a spin record.
constexpr std::uint64_t kSpinWorthNoting = 16;
// Within a run of EAGAINs, only the first few calls get a record each.
constexpr std::uint64_t kSpinCallsRecorded = 3;

class Line {
 public:
  Line& str(const char* s) noexcept {
    while (*s != '\0' && n_ < sizeof buf_ - 1) buf_[n_++] = *s++;
    return *this;
  }
  Line& sp() noexcept { return str(" "); }
  Line& num(long long v) noexcept {
    char tmp[24];
    int i = 0;
    const bool neg = v < 0;
    unsigned long long u = neg ? 0ull - static_cast<unsigned long long>(v)
                               : static_cast<unsigned long long>(v);
    do {
      tmp[i++] = static_cast<char>('0' + u % 10);
      u /= 10;
    } while (u != 0);
    if (neg) tmp[i++] = '-';
    while (i > 0 && n_ < sizeof buf_ - 1) buf_[n_++] = tmp[--i];
    return *this;
  }
  Line& unum(std::uint64_t v) noexcept { return num(static_cast<long long>(v)); }
  void write() noexcept {
    if (g_config.trace_fd < 0) return;
    buf_[n_++] = '\n';
    const int saved = errno;
    (void)::write(g_config.trace_fd, buf_, n_);
    errno = saved;
  }

 private:
  char buf_[512];
  std::size_t n_ = 0;
};

Line head(const char* kind, int conn) noexcept {
  Line l;
  l.str(kind).sp().num(::getpid()).sp().unum(now_ns());
  if (conn >= 0) l.sp().num(conn + 1);
  return l;
}

void spin_record(int conn, std::uint64_t count, std::uint64_t start) noexcept {
  head("spin", conn).sp().unum(count).sp().unum(now_ns() - start).write();
}

void end_spin(int conn) noexcept {
  Connection& k = g_connections[conn];
  const std::uint64_t count = k.spin.exchange(0);
  if (count >= kSpinWorthNoting) spin_record(conn, count, k.spin_start_ns.load());
}

}  // namespace

void trace_hello() noexcept {
  head("hello", -1)
      .sp()
      .str(g_config.level == Level::portable ? "portable" : "realistic")
      .write();
}

void trace_call(int conn, const char* fn, CallClass c, std::uint32_t index,
                long long asked, long long result, int err,
                const Decision& d) noexcept {
  if (!d.matched) {
    if (g_connections[conn].spin.load() > kSpinCallsRecorded) return;
    if (g_plain_records.fetch_add(1) >= kMaxPlainRecords) return;
  }
  Line l = head("call", conn);
  l.sp().str(fn).sp().str(class_name(c)).sp().unum(index).sp().num(asked);
  l.sp().num(result).sp().num(result < 0 ? err : 0).sp();
  if (!d.matched) {
    l.str("real -");
  } else {
    l.str(d.inject ? "injected " : "skipped ").str(fault_name(d.kind));
    if (d.skipped_because != nullptr) l.sp().str(d.skipped_because);
  }
  l.write();
}

void trace_event(int conn, const char* what, long long arg, long long result,
                 int err) noexcept {
  head("event", conn).sp().str(what).sp().num(arg).sp().num(result).sp()
      .num(result < 0 ? err : 0).write();
}

void note_result(int conn, CallClass c, long long result, int err) noexcept {
  if (c != CallClass::send && c != CallClass::recv) return;
  Connection& k = g_connections[conn];
  if (result < 0 && (err == EAGAIN || err == EWOULDBLOCK)) {
    const std::uint64_t n = k.spin.fetch_add(1) + 1;
    if (n == 1) k.spin_start_ns.store(now_ns());
    // A program killed while it spins never ends its run: say so as it grows.
    for (std::uint64_t mark = 1000; mark <= 100000000; mark *= 10) {
      if (n == mark) spin_record(conn, n, k.spin_start_ns.load());
    }
    return;
  }
  end_spin(conn);
}

void note_wait(int conn) noexcept { end_spin(conn); }

}  // namespace sockcheck_preload
