// A client program for the interposer's tests, with at most one defect
// that only syscall faults reveal, chosen by name:
//
//   syscall_client DEFECT HOST PORT TIMEOUT_MS
//
// It follows the external-client contract of `sockcheck run --client-cmd`
// (request on stdin, response on stdout, exit 0 only after an orderly
// close). Unlike tests/faulty_clients/faulty_client.cc it uses a blocking
// socket and installs a SIGALRM handler without SA_RESTART for its
// timeout, the classic Unix pattern, so that EINTR and short sends are
// faults the kernel could really give it and the interposer injects them.
// DEFECT `none` (send/recv) and `none-readwrite` (read/write) are correct:
// full duplex driven by poll(), EINTR retried, short counts continued,
// half-close once everything is sent, read until EOF. DEFECT
// `eintr-fatal-crash-handler` takes EINTR from any call for fatal but
// installs only a SIGSEGV handler and no alarm: EINTR can never reach it,
// so it is correct too, and only an interposer that injected EINTR where
// the kernel could not would make it fail.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kDefects[] = {
    "none",               // correct, send/recv
    "none-readwrite",     // correct, read/write
    "eintr-send-fatal",   // EINTR from send is an error
    "eintr-recv-fatal",   // EINTR from recv is an error
    "eintr-poll-fatal",   // EINTR from poll is an error
    "ignore-short-send",  // one send of the whole request; its count is ignored
    "eagain-busy-loop",   // non-blocking, retries EAGAIN at once without poll
    // EINTR anywhere is fatal, but the only handler is a crash handler for
    // SIGSEGV (no alarm): EINTR can never reach it, so it is correct.
    "eintr-fatal-crash-handler",
};

std::string_view g_defect;
bool defect(std::string_view d) { return g_defect == d; }
bool rw() { return defect("none-readwrite"); }
bool crash_handler_only() { return defect("eintr-fatal-crash-handler"); }
bool eintr_fatal(std::string_view call) {
  return crash_handler_only() || g_defect == "eintr-" + std::string(call) + "-fatal";
}

void on_alarm(int) {}  // only there to interrupt a blocked call
[[noreturn]] void on_crash(int) { ::_exit(70); }

ssize_t do_send(int fd, const char* p, std::size_t n) {
  return rw() ? ::write(fd, p, n) : ::send(fd, p, n, MSG_NOSIGNAL);
}
ssize_t do_recv(int fd, char* p, std::size_t n) {
  return rw() ? ::read(fd, p, n) : ::recv(fd, p, n, 0);
}

[[noreturn]] void finish(int status, const std::string& response, const char* why) {
  std::size_t done = 0;
  while (done < response.size()) {
    const ssize_t n = ::write(1, response.data() + done, response.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  if (why != nullptr) std::fprintf(stderr, "syscall_client: %s: %s\n", why, std::strerror(errno));
  std::exit(status);
}

int status_of(int err) { return err == ECONNRESET ? 4 : 1; }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: syscall_client DEFECT HOST PORT TIMEOUT_MS\n");
    return 2;
  }
  g_defect = argv[1];
  bool known = false;
  for (std::string_view d : kDefects) known = known || d == g_defect;
  if (!known) return 2;
  const long timeout_ms = std::strtol(argv[4], nullptr, 10);
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);

  std::string request;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(0, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    request.append(buf, static_cast<std::size_t>(n));
  }
  ::signal(SIGPIPE, SIG_IGN);
  struct sigaction sa {};
  if (crash_handler_only()) {
    sa.sa_handler = on_crash;
    ::sigaction(SIGSEGV, &sa, nullptr);
  } else {
    sa.sa_handler = on_alarm;  // no SA_RESTART: the alarm interrupts calls
    ::sigaction(SIGALRM, &sa, nullptr);
    itimerval timer{};
    timer.it_value.tv_sec = timeout_ms / 1000;
    timer.it_value.tv_usec = static_cast<suseconds_t>(timeout_ms % 1000 * 1000);
    ::setitimer(ITIMER_REAL, &timer, nullptr);
  }

  sockaddr_in6 a6{};
  sockaddr_in a4{};
  const sockaddr* addr = nullptr;
  socklen_t len = 0;
  const auto port = static_cast<std::uint16_t>(std::atoi(argv[3]));
  if (::inet_pton(AF_INET, argv[2], &a4.sin_addr) == 1) {
    a4.sin_family = AF_INET;
    a4.sin_port = htons(port);
    addr = reinterpret_cast<const sockaddr*>(&a4);
    len = sizeof a4;
  } else if (::inet_pton(AF_INET6, argv[2], &a6.sin6_addr) == 1) {
    a6.sin6_family = AF_INET6;
    a6.sin6_port = htons(port);
    addr = reinterpret_cast<const sockaddr*>(&a6);
    len = sizeof a6;
  } else {
    return 2;
  }
  std::string response;
  const int fd = ::socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::connect(fd, addr, len) != 0) finish(3, response, "connect");
  if (defect("eagain-busy-loop")) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);

  std::size_t sent = 0;
  bool shut = false;
  bool eof = false;
  if (defect("ignore-short-send") && !request.empty()) {
    if (do_send(fd, request.data(), request.size()) < 0) finish(1, response, "send");
    sent = request.size();  // DEFECT: the count is not looked at
  }
  while (!(eof && shut)) {
    if (Clock::now() >= deadline) finish(5, response, "timeout");
    if (sent == request.size() && !shut) {
      if (::shutdown(fd, SHUT_WR) != 0) finish(1, response, "shutdown");
      shut = true;
    }
    bool can_send = !shut;
    bool can_recv = !eof;
    if (!defect("eagain-busy-loop")) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                            deadline - Clock::now()).count();
      pollfd p{fd, static_cast<short>((eof ? 0 : POLLIN) | (shut ? 0 : POLLOUT)), 0};
      const int rc = ::poll(&p, 1, static_cast<int>(left > 0 ? left : 0));
      if (rc < 0 && errno == EINTR) {
        if (eintr_fatal("poll")) finish(1, response, "poll");  // DEFECT
        continue;
      }
      if (rc < 0) finish(1, response, "poll");
      if (rc == 0) continue;
      can_send = can_send && (p.revents & (POLLOUT | POLLERR | POLLHUP)) != 0;
      can_recv = can_recv && (p.revents & (POLLIN | POLLERR | POLLHUP)) != 0;
    }
    if (can_send) {
      const std::size_t chunk = std::min<std::size_t>(request.size() - sent, 4096);
      const ssize_t n = do_send(fd, request.data() + sent, chunk);
      if (n >= 0) {
        sent += static_cast<std::size_t>(n);
      } else if (errno == EINTR) {
        if (eintr_fatal("send")) finish(1, response, "send");  // DEFECT
      } else if (errno != EAGAIN) {
        finish(status_of(errno), response, "send");
      }
    }
    if (can_recv) {
      const ssize_t n = do_recv(fd, buf, sizeof buf);
      if (n > 0) {
        response.append(buf, static_cast<std::size_t>(n));
      } else if (n == 0) {
        eof = true;
      } else if (errno == EINTR) {
        if (eintr_fatal("recv")) finish(1, response, "recv");  // DEFECT
      } else if (errno != EAGAIN) {
        finish(status_of(errno), response, "recv");
      }
    }
  }
  ::close(fd);
  finish(0, response, nullptr);
}
