// What the interposer (libsockcheck_preload.so, docs/interposer.md) saw of
// a client program's socket calls on the fake server's connection: the
// trace read back from its file, and what the oracle takes from it.
//
// Theory of operation. The interposer appends one text record per call on
// a target connection (preload/src/trace.cc gives the format): a hello
// when it loads, each call with its size, result and whether a fault was
// injected or skipped as unrealistic (and why), connects, closes, dups,
// calls after close, and summaries of busy loops on EAGAIN.
// parse_syscall_trace() turns the text into this structure; a program into
// which the interposer could not load (statically linked, setuid, no
// dynamic loader) leaves no hello, and `reached()` is false with the
// reason, so the verdicts can say n/a instead of pass.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sockcheck/io.h"
#include "sockcheck/scenario.h"

namespace sockcheck {

enum class FaultLevel { realistic, portable };
[[nodiscard]] std::string_view to_string(FaultLevel l) noexcept;

struct TracedCall {
  enum class Status { real, injected, skipped };
  int pid = 0;
  int connection = 0;           // in that process, from 1
  Duration at{};                // since the harness started the program
  std::string function;         // what the program called: "read", "recv", ...
  Injection::Call call = Injection::Call::recv;  // its class
  std::uint32_t index = 0;      // 1-based, per class and connection
  long long asked = 0;          // bytes (send/recv), timeout ms (wait), how (shutdown)
  long long result = 0;
  int error = 0;                // errno when result < 0
  Status status = Status::real;
  std::string fault;            // "EINTR", "EAGAIN", "short" when not real
  std::string why;              // skipped: why it was not realistic
};

struct TracedEvent {
  int pid = 0;
  int connection = 0;
  Duration at{};
  std::string what;  // connect, close, dup, ..., or the call made after close
  long long arg = 0; // the descriptor
  long long result = 0;
  int error = 0;
};

struct SyscallTrace {
  bool loaded = false;        // a hello record arrived
  std::string not_reached;    // why the interposer could not reach the program
  std::vector<int> processes; // pids that wrote records
  std::vector<TracedCall> calls;
  std::vector<TracedEvent> events;
  std::uint64_t longest_spin = 0;  // real EAGAINs in a row with no wait between
  Duration longest_spin_time{};

  [[nodiscard]] bool reached() const { return loaded && not_reached.empty(); }
  [[nodiscard]] int count(TracedCall::Status s) const;
  // The distinct reasons faults were skipped, joined by "; ".
  [[nodiscard]] std::string skipped_reasons() const;
  // The last call with a fault injected, or nullptr.
  [[nodiscard]] const TracedCall* last_injected() const;
};

// `start_ns` is CLOCK_MONOTONIC when the program was started.
SyscallTrace parse_syscall_trace(std::string_view text, std::uint64_t start_ns);

// "recv #4: EINTR (injected)", "read (recv #2): 1024 of 65536 (short, injected)".
std::string describe_call(const TracedCall& c);
// One line per record, for --verbose and the JSON report (at most `max`).
std::vector<std::string> trace_lines(const SyscallTrace& t, std::size_t max);

// Why the interposer cannot reach the program `argv0` (looked up in PATH):
// "statically linked", "setuid", ...; "" when it can, as far as the file
// says.
std::string interposer_unreachable(const std::string& argv0);

// A busy loop: this many EAGAINs in a row, at this rate or faster, with no
// wait between them (a sleeping retry loop is slower and is not one).
inline constexpr std::uint64_t kBusyLoopCalls = 1000;
inline constexpr Duration kBusyLoopPerCall = std::chrono::microseconds(20);

}  // namespace sockcheck
