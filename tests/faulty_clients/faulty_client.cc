// A client program with exactly one deliberate defect, chosen by name, for
// proving that the conformance harness tells good clients from bad ones.
//
//   faulty_client DEFECT HOST PORT TIMEOUT_MS
//   faulty_client --list          (every DEFECT, one per line)
//
// It follows the external-client contract of `sockcheck run --client-cmd`:
// the request on stdin, the response on stdout, exit status 0 only after an
// orderly close. DEFECT `none` is a correct client written independently of
// the reference client (blocking connect, non-blocking I/O driven by poll),
// so a false positive of the harness shows up as a failure of `none`.
//
// The correct path: send the whole request while also reading (full
// duplex), half-close once it is all sent, keep sending even if the
// server's FIN arrives first, read until recv returns 0, exit 0 only then;
// any error or the deadline means exit 1. Every defect here is one that
// real clients ship with; each is a small deviation from that path, marked
// DEFECT in the code. tests/faulty_clients_test.cc says which conformance
// rule must flag each one.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <iterator>
#include <string>
#include <string_view>

namespace {

using Clock = std::chrono::steady_clock;

std::string_view g_defect;
bool defect(std::string_view name) { return g_defect == name; }
bool g_half_closed_early = false;  // shutdown-before-send did it already

constexpr std::string_view kDefects[] = {
    "none",                 // correct
    "no-half-close",        // never sends FIN; waits for the reply until its timeout
    "shutdown-both",        // shutdown(SHUT_RDWR) instead of SHUT_WR
    "close-after-send",     // closes right after sending, reads nothing, exits 0
    "single-recv",          // takes one recv as the whole reply
    "reset-as-success",     // treats ECONNRESET like an orderly close
    "exit-zero-always",     // reports success whatever happened
    "no-timeout",           // ignores its timeout: blocks until the peer acts
    "short-timeout",        // gives up after 100 ms whatever it was told
    "ignore-short-send",    // one non-blocking send; the rest is dropped
    "sigpipe",              // plain send() without MSG_NOSIGNAL
    "stop-at-nul",          // treats the reply as a C string
    "max-4k",               // reads at most 4 KiB and calls it done
    "half-duplex",          // sends everything before reading anything
    "partial-read-eof",     // a short read (less than its buffer) means "done"
    "drop-first-chunk",     // discards the first chunk it reads (banner skip)
    "timeout-as-success",   // reports its timeout as success
    "idle-timeout",         // restarts its timer on every byte received
    "print-twice",          // prints the reply as it comes and again at the end
    "send-twice",           // sends the request twice
    "resend-from-start",    // after a short send, resends from the start
    "eagain-fatal",         // a send loop without poll: EAGAIN is fatal
    "adds-newline",         // appends "\n" to the request (puts/println style)
    "first-line-only",      // sends only the request's first line (getline style)
    "text-mode",            // drops '\r' from the reply (text-mode output)
    "skip-empty-request",   // sends nothing and no FIN when the request is empty
    "shutdown-before-send", // half-closes before sending the request
    "no-flush",             // _exit() without flushing stdout
    "chatty-stdout",        // prints "Bytes received: N" on stdout, with the reply
    "stop-sending-at-eof",  // stops sending (and succeeds) at the server's FIN
};

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

// Waits for `events` on fd until the deadline; false on timeout.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  if (defect("no-timeout")) deadline = Clock::time_point::max();
  for (;;) {
    pollfd p{fd, events, 0};
    const int ms = deadline == Clock::time_point::max() ? -1 : remaining_ms(deadline);
    const int rc = ::poll(&p, 1, ms);
    if (rc < 0 && errno == EINTR) continue;
    return rc > 0;
  }
}

int connect_to(const char* host, const char* port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  if (::getaddrinfo(host, port, &hints, &list) != 0) return -1;
  int fd = -1;
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(list);
  return fd;
}

void emit(const char* data, std::size_t n) {
  if (defect("stop-at-nul")) {
    n = ::strnlen(data, n);  // DEFECT: the reply is not a C string
  }
  if (defect("text-mode")) {
    for (std::size_t i = 0; i < n; ++i) {
      if (data[i] != '\r') std::fputc(data[i], stdout);  // DEFECT: CRLF -> LF
    }
    return;
  }
  std::fwrite(data, 1, n, stdout);
  if (defect("chatty-stdout")) {
    std::printf("Bytes received: %zu\n", n);  // DEFECT: stdout is the reply
  }
}

struct Exchange {
  int fd = -1;
  std::string request;
  Clock::time_point deadline;
  std::chrono::milliseconds timeout;
  std::size_t sent = 0;
  std::size_t total = 0;
  std::string everything;  // for print-twice
  bool first_chunk = true;
  bool eof = false;   // the server's FIN was read
  bool done = false;  // stop (EOF with the request sent, or a defect decided so)
  int status = 0;

  bool sending() const { return sent < request.size(); }

  void finish_request() {
    if (defect("close-after-send")) {
      done = true;  // DEFECT: never reads the reply (close follows)
      return;
    }
    // DEFECT (no-half-close): no FIN.
    if (!defect("no-half-close") && !g_half_closed_early) {
      // DEFECT (shutdown-both): SHUT_RDWR also closes our reading side.
      ::shutdown(fd, defect("shutdown-both") ? SHUT_RDWR : SHUT_WR);
    }
    if (eof) done = true;
  }

  // One send attempt. False on a fatal error.
  bool send_some() {
    const int flags = (defect("sigpipe") ? 0 : MSG_NOSIGNAL) | MSG_DONTWAIT;  // DEFECT if no NOSIGNAL
    if (defect("ignore-short-send")) {
      // DEFECT: one send; whatever did not fit is silently dropped.
      const ssize_t n = ::send(fd, request.data(), request.size(), flags);
      if (n < 0 && errno != EAGAIN) return fail("send");
      sent = request.size();
      finish_request();
      return true;
    }
    if (defect("eagain-fatal")) {
      // DEFECT: a tight send loop on a non-blocking socket, as if it were a
      // blocking one: the first EAGAIN is taken for an error.
      while (sending()) {
        const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, flags);
        if (n < 0) return fail("send");
        sent += static_cast<std::size_t>(n);
      }
      finish_request();
      return true;
    }
    // DEFECT (resend-from-start): the buffer pointer is not advanced.
    const char* from = defect("resend-from-start") ? request.data() : request.data() + sent;
    const ssize_t n = ::send(fd, from, request.size() - sent, flags);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) return true;
      return fail("send");
    }
    sent += static_cast<std::size_t>(n);
    if (!sending()) finish_request();
    return true;
  }

  // One recv attempt. False on a fatal error.
  bool recv_some() {
    char buf[2048];
    std::size_t want = sizeof buf;
    if (defect("max-4k")) {
      if (total >= 4096) {
        done = true;  // DEFECT: "no reply is larger than 4 KiB"
        return true;
      }
      want = std::min(want, 4096 - total);
    }
    const ssize_t n = ::recv(fd, buf, want, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) return true;
      if (errno == ECONNRESET && defect("reset-as-success")) {
        done = true;  // DEFECT: a reset is not an orderly close
        return true;
      }
      return fail("recv");
    }
    if (n == 0) {
      eof = true;  // orderly close; done once the request is out too
      if (!sending() || defect("stop-sending-at-eof")) done = true;  // DEFECT if sending
      return true;
    }
    const bool drop = first_chunk && defect("drop-first-chunk");  // DEFECT
    first_chunk = false;
    if (!drop) emit(buf, static_cast<std::size_t>(n));
    if (defect("print-twice")) everything.append(buf, static_cast<std::size_t>(n));
    total += static_cast<std::size_t>(n);
    if (defect("idle-timeout")) deadline = Clock::now() + timeout;  // DEFECT
    if (defect("single-recv")) done = true;  // DEFECT
    if (defect("partial-read-eof") && static_cast<std::size_t>(n) < want) done = true;  // DEFECT
    return true;
  }

  bool fail(const char* what) {
    std::fprintf(stderr, "%s failed: %s\n", what, std::strerror(errno));
    status = 1;
    return false;
  }

  // Full duplex: reads while sending, so a server that answers before it
  // reads cannot deadlock it -- except for the half-duplex defect. After
  // the server's FIN it only waits to send the rest.
  void run() {
    if (request.empty() && !defect("skip-empty-request")) finish_request();  // DEFECT if skipped
    while (!done) {
      short events = 0;
      if (sending()) events |= POLLOUT;
      const bool read_now = !eof && !(defect("half-duplex") && sending());  // DEFECT if not
      if (read_now) events |= POLLIN;
      if (!wait_for(fd, events, deadline)) {
        std::fprintf(stderr, "timed out\n");
        status = defect("timeout-as-success") ? 0 : 1;  // DEFECT if 0
        return;
      }
      if (sending() && !send_some()) return;
      if (done) return;
      if (read_now && !recv_some()) return;
    }
    if (defect("print-twice")) std::fwrite(everything.data(), 1, everything.size(), stdout);  // DEFECT
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string_view(argv[1]) == "--list") {
    for (std::string_view d : kDefects) std::printf("%.*s\n", static_cast<int>(d.size()), d.data());
    return 0;
  }
  if (argc != 5) {
    std::fprintf(stderr, "usage: faulty_client DEFECT HOST PORT TIMEOUT_MS | --list\n");
    return 2;
  }
  g_defect = argv[1];
  bool known = false;
  for (std::string_view d : kDefects) known = known || d == g_defect;
  if (!known) {
    std::fprintf(stderr, "faulty_client: unknown defect '%s'\n", argv[1]);
    return 2;
  }
  const std::chrono::milliseconds timeout(std::strtol(argv[4], nullptr, 10));
  auto deadline = Clock::now() + timeout;
  if (defect("short-timeout")) {
    deadline = Clock::now() + std::chrono::milliseconds(100);  // DEFECT
  }
  if (defect("sigpipe")) ::signal(SIGPIPE, SIG_DFL);  // the default: death

  std::string request(std::istreambuf_iterator<char>(std::cin), {});
  if (defect("send-twice")) request += request;  // DEFECT
  if (defect("adds-newline")) request += '\n';   // DEFECT
  if (defect("first-line-only")) {
    const std::size_t eol = request.find('\n');  // DEFECT
    if (eol != std::string::npos) request.resize(eol + 1);
  }
  const int fd = connect_to(argv[2], argv[3]);
  if (fd < 0) {
    std::fprintf(stderr, "connect failed: %s\n", std::strerror(errno));
    return defect("exit-zero-always") ? 0 : 1;
  }
  if (defect("shutdown-before-send") && !request.empty()) {
    ::shutdown(fd, SHUT_WR);  // DEFECT: FIN first, then the request
    g_half_closed_early = true;
  }

  Exchange ex{};
  ex.fd = fd;
  ex.request = std::move(request);
  ex.deadline = deadline;
  ex.timeout = timeout;
  ex.run();
  if (defect("no-flush")) ::_exit(ex.status);  // DEFECT: stdout's buffer is lost
  std::fflush(stdout);
  ::close(fd);
  return defect("exit-zero-always") ? 0 : ex.status;
}
