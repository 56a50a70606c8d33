// The interposer's side of a program run. See interposer_run.h; the
// configuration format is in preload/src/config.cc.
#include "interposer_run.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

namespace sockcheck {
namespace {

std::string temp_file(const char* prefix) {
  std::string path = std::string("/tmp/") + prefix + "-XXXXXX";
  const int fd = ::mkostemp(path.data(), O_CLOEXEC);
  if (fd < 0) return {};
  ::close(fd);
  return path;
}

std::uint64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000u +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

const char* call_word(Injection::Call c) {
  switch (c) {
    case Injection::Call::send: return "send";
    case Injection::Call::recv: return "recv";
    case Injection::Call::wait: return "wait";
    case Injection::Call::shutdown: return "shutdown";
  }
  return "?";
}

std::string fault_line(const Injection& inj) {
  std::string kind = inj.short_count ? "short"
                     : inj.error == std::errc::interrupted ? "EINTR"
                                                           : "EAGAIN";
  return std::string("fault ") + call_word(inj.call) + " " + kind +
         (inj.at != 0 ? " at " + std::to_string(inj.at)
                      : " every " + std::to_string(inj.every)) + "\n";
}

}  // namespace

InterposerRun::InterposerRun(const std::string& library, const Scenario& scenario,
                             const Endpoint& server, FaultLevel level) {
  config_ = temp_file("sockcheck-preload");
  trace_ = temp_file("sockcheck-trace");
  if (config_.empty() || trace_.empty()) {
    error_ = "cannot create the interposer's files in /tmp";
    return;
  }
  std::string text = "target " + server.host + " " + std::to_string(server.port) + "\n" +
                     "level " + std::string(to_string(level)) + "\n" +
                     "trace " + trace_ + "\n";
  for (const Injection& inj : scenario.injections) text += fault_line(inj);
  std::ofstream(config_, std::ios::trunc) << text;
  const char* prior = std::getenv("LD_PRELOAD");
  env_.push_back("LD_PRELOAD=" +
                 (prior != nullptr && *prior != '\0' ? std::string(prior) + ":" : "") +
                 library);
  env_.push_back("SOCKCHECK_PRELOAD=" + config_);
  // A program built with AddressSanitizer wants its runtime first; the
  // interposer replaces no allocator, so the order does not matter to it.
  const char* asan = std::getenv("ASAN_OPTIONS");
  env_.push_back("ASAN_OPTIONS=" +
                 (asan != nullptr && *asan != '\0' ? std::string(asan) + ":" : "") +
                 "verify_asan_link_order=0");
  start_ns_ = monotonic_ns();
}

InterposerRun::~InterposerRun() {
  if (!config_.empty()) ::unlink(config_.c_str());
  if (!trace_.empty()) ::unlink(trace_.c_str());
}

SyscallTrace InterposerRun::finish(const std::string& argv0) const {
  std::ifstream in(trace_, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  SyscallTrace t = parse_syscall_trace(text.str(), start_ns_);
  if (!t.loaded) {
    const std::string why = interposer_unreachable(argv0);
    t.not_reached = why.empty() ? "the interposer did not load into the program "
                                  "(no hello record in its trace)"
                                : why;
  }
  return t;
}

void take_counts(ClientRun& run, const SyscallTrace& t) {
  if (!t.loaded) return;
  std::map<std::pair<int, int>, bool> shut;  // (pid, connection) -> FIN sent
  int connections = 0, closes = 0, after_close = 0, sends_after_shutdown = 0;
  for (const TracedEvent& e : t.events) {
    if (e.what == "connect") {
      ++connections;
    } else if (e.what == "close") {
      ++closes;
      if (e.result < 0 && e.error == EBADF) ++after_close;
    } else if (e.what != "dup" && e.what != "dup2" && e.what != "dup3" &&
               e.what != "fcntl") {
      ++after_close;  // a call on the descriptor after it was closed
    }
  }
  for (const TracedCall& c : t.calls) {
    const auto key = std::make_pair(c.pid, c.connection);
    if (c.call == Injection::Call::shutdown && c.result == 0 && c.asked != SHUT_RD) {
      shut[key] = true;
    } else if (c.call == Injection::Call::send && shut[key]) {
      ++sends_after_shutdown;
    }
  }
  run.connections = connections;
  run.close_calls = closes;
  run.calls_after_close = after_close;
  run.sends_after_shutdown = sends_after_shutdown;
  // Only what the interposer did inject: a scheduled fault it skipped as
  // one the kernel could not return to this process does not count.
  if (t.reached()) run.faults_injected = t.count(TracedCall::Status::injected);
}

}  // namespace sockcheck
