#include "support/busy_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>
#include <vector>

#include "sockcheck/io.h"

namespace sockcheck::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kPollMs = 50;           // the longest the thread waits at once
constexpr std::size_t kChunk = 256 * 1024;  // bytes per send or recv

std::string errno_name(int err) {
  return error_name(std::error_code(err, std::system_category()));
}

// Calls `io` until it reports the end: `io` returns > 0 for progress, 0 at
// the end, -errno for a failure; EINTR is retried and EAGAIN waited on
// (at most kPollMs at a time). Returns "" at the end, else why it stopped.
template <typename Io>
std::string pump(int fd, short events, const std::atomic<bool>& quit,
                 Clock::time_point until, Io io) {
  for (;;) {
    if (quit.load() || Clock::now() >= until) return "time limit";
    const long n = io();
    if (n > 0) continue;
    if (n == 0) return "";
    const int err = static_cast<int>(-n);
    if (err == EINTR) continue;
    if (err != EAGAIN && err != EWOULDBLOCK) return errno_name(err);
    pollfd p{fd, events, 0};
    ::poll(&p, 1, kPollMs);
  }
}

long result(ssize_t n) { return n < 0 ? -errno : static_cast<long>(n); }

}  // namespace

BusyClient::BusyClient(Options options)
    : thread_([this, options = std::move(options)] { run(options); }) {}

BusyClient::~BusyClient() {
  quit_.store(true);
  thread_.join();
}

void BusyClient::end(std::string why) {
  ending_ = std::move(why);
  ended_.store(true);
}

std::string BusyClient::ending() const {
  return ended_.load() ? ending_ : std::string();
}

bool BusyClient::wait_until_moved(std::uint64_t bytes, Duration timeout) {
  const auto until = Clock::now() + timeout;
  while (!(flowing_.load() && moved_.load() >= bytes)) {
    if (ended_.load() || Clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // polling a counter
  }
  return true;
}

bool BusyClient::wait_until_ended(Duration timeout) {
  const auto until = Clock::now() + timeout;
  while (!ended_.load()) {
    if (Clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // polling a flag
  }
  return true;
}

void BusyClient::run(Options options) {
  const auto until = Clock::now() + options.for_at_most;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return end("socket: " + errno_name(errno));
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(options.port);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&sin), sizeof sin) != 0) {
    const int err = errno;
    ::close(fd);
    return end("connect: " + errno_name(err));
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  std::vector<char> buffer(kChunk, 'f');
  std::string why;
  auto moving = [&](short events, auto io) {
    return pump(fd, events, quit_, until, io);
  };
  if (options.mode == Mode::flood) {
    std::size_t greeted = 0;
    bool eof = false;
    why = moving(POLLIN, [&]() -> long {
      if (greeted >= options.greeting) return 0;
      const ssize_t n = ::recv(fd, buffer.data(), options.greeting - greeted, 0);
      if (n > 0) greeted += static_cast<std::size_t>(n);
      eof = n == 0;
      return result(n);
    });
    if (eof) why = "end of stream before the greeting";
    if (why.empty()) {
      flowing_.store(true);
      why = moving(POLLOUT, [&]() -> long {
        const ssize_t n = ::send(fd, buffer.data(), buffer.size(), MSG_NOSIGNAL);
        if (n > 0) moved_ += static_cast<std::uint64_t>(n);
        return n == 0 ? -EAGAIN : result(n);
      });
    }
  } else {
    std::size_t sent = 0;
    why = moving(POLLOUT, [&]() -> long {
      if (sent == options.request.size()) return 0;
      const ssize_t n = ::send(fd, options.request.data() + sent,
                               options.request.size() - sent, MSG_NOSIGNAL);
      if (n > 0) sent += static_cast<std::size_t>(n);
      return n == 0 ? -EAGAIN : result(n);
    });
    if (why.empty()) {
      ::shutdown(fd, SHUT_WR);
      flowing_.store(true);
      why = moving(POLLIN, [&]() -> long {
        const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
        if (n > 0) moved_ += static_cast<std::uint64_t>(n);
        return result(n);
      });
      if (why.empty()) why = "end of stream";
    }
  }
  ::close(fd);
  end(why);
}

}  // namespace sockcheck::testing
