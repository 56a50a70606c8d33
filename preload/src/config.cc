// Reading the interposer's configuration. See preload.h.
//
// SOCKCHECK_PRELOAD names a file of lines, written by the harness
// (harness/src/interposer_setup.cc):
//
//   target 127.0.0.1 40123        the fake server: IPv4 or IPv6, port
//   level realistic|portable
//   trace /tmp/sockcheck-trace-…  appended to, one record a line
//   fault recv EINTR every 2      CALL KIND, then `every N` or `at K`
//
// A line it does not understand is ignored; without a target line the
// library does nothing but pass every call through.
#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "preload.h"

namespace sockcheck_preload {

Config g_config;

namespace {

// A word of a line: [begin, end).
struct Word {
  const char* p = nullptr;
  std::size_t n = 0;
  bool is(const char* s) const noexcept {
    return n == std::strlen(s) && std::memcmp(p, s, n) == 0;
  }
};

int split(const char* line, std::size_t len, Word* words, int max) noexcept {
  int count = 0;
  std::size_t i = 0;
  while (i < len && count < max) {
    while (i < len && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= len) break;
    const std::size_t start = i;
    while (i < len && line[i] != ' ' && line[i] != '\t') ++i;
    words[count++] = {line + start, i - start};
  }
  return count;
}

bool number(const Word& w, std::uint64_t max, std::uint64_t& out) noexcept {
  if (w.n == 0 || w.n > 19) return false;
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < w.n; ++i) {
    if (w.p[i] < '0' || w.p[i] > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(w.p[i] - '0');
  }
  if (v > max) return false;
  out = v;
  return true;
}

void copy(const Word& w, char* out, std::size_t size) noexcept {
  const std::size_t n = w.n < size - 1 ? w.n : size - 1;
  std::memcpy(out, w.p, n);
  out[n] = '\0';
}

void target_line(const Word* w, int n) noexcept {
  std::uint64_t port = 0;
  if (n != 3 || !number(w[2], 65535, port)) return;
  char host[64];
  copy(w[1], host, sizeof host);
  if (::inet_pton(AF_INET, host, &g_config.addr4) == 1) {
    g_config.family = AF_INET;
  } else if (::inet_pton(AF_INET6, host, &g_config.addr6) == 1) {
    g_config.family = AF_INET6;
  } else {
    return;
  }
  g_config.port = htons(static_cast<std::uint16_t>(port));
  g_config.active = true;
}

void fault_line(const Word* w, int n) noexcept {
  if (n != 5 || g_config.fault_count >= kMaxFaults) return;
  Fault f;
  if (w[1].is("send")) {
    f.call = CallClass::send;
  } else if (w[1].is("recv")) {
    f.call = CallClass::recv;
  } else if (w[1].is("wait")) {
    f.call = CallClass::wait;
  } else if (w[1].is("shutdown")) {
    f.call = CallClass::shutdown;
  } else {
    return;
  }
  if (w[2].is("EINTR")) {
    f.kind = FaultKind::eintr;
  } else if (w[2].is("EAGAIN")) {
    f.kind = FaultKind::eagain;
  } else if (w[2].is("short")) {
    f.kind = FaultKind::short_count;
  } else {
    return;
  }
  std::uint64_t v = 0;
  if (!number(w[4], 0xffffffffu, v) || v == 0) return;
  if (w[3].is("every")) {
    f.every = static_cast<std::uint32_t>(v);
  } else if (w[3].is("at")) {
    f.at = static_cast<std::uint32_t>(v);
  } else {
    return;
  }
  g_config.faults[g_config.fault_count++] = f;
}

void trace_line(const Word* w, int n) noexcept {
  if (n != 2 || g_config.trace_fd >= 0) return;
  char path[512];
  copy(w[1], path, sizeof path);
  g_config.trace_fd =
      ::open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
}

}  // namespace

void load_config() noexcept {
  const char* path = std::getenv("SOCKCHECK_PRELOAD");
  if (path == nullptr || *path == '\0') return;
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char buf[4096];
  std::size_t len = 0;
  for (;;) {
    const ssize_t got = ::read(fd, buf + len, sizeof buf - len);
    if (got > 0) {
      len += static_cast<std::size_t>(got);
      if (len == sizeof buf) break;
      continue;
    }
    if (got < 0 && errno == EINTR) continue;
    break;
  }
  ::close(fd);
  std::size_t start = 0;
  while (start < len) {
    std::size_t end = start;
    while (end < len && buf[end] != '\n') ++end;
    Word w[6];
    const int n = split(buf + start, end - start, w, 6);
    if (n > 0) {
      if (w[0].is("target")) target_line(w, n);
      if (w[0].is("level")) {
        g_config.level = n == 2 && w[1].is("portable") ? Level::portable : Level::realistic;
      }
      if (w[0].is("fault")) fault_line(w, n);
      if (w[0].is("trace")) trace_line(w, n);
    }
    start = end + 1;
  }
}

}  // namespace sockcheck_preload
