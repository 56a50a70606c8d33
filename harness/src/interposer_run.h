// Loading the interposer into one run of a client program: the
// configuration file it reads, the trace file it writes, the environment
// that loads it, and the trace read back into the ClientRun afterwards.
// Internal to the harness (runner.cc).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sockcheck/oracle.h"
#include "sockcheck/scenario.h"
#include "sockcheck/syscall_trace.h"

namespace sockcheck {

class InterposerRun {
 public:
  // Writes the configuration for `scenario`'s injections against `server`.
  // `library` is the path of libsockcheck_preload.so. On failure `error()`
  // says why and env() is empty.
  InterposerRun(const std::string& library, const Scenario& scenario,
                const Endpoint& server, FaultLevel level);
  ~InterposerRun();
  InterposerRun(const InterposerRun&) = delete;
  InterposerRun& operator=(const InterposerRun&) = delete;

  // LD_PRELOAD (appended to the caller's) and SOCKCHECK_PRELOAD, for the child.
  [[nodiscard]] const std::vector<std::string>& env() const { return env_; }
  [[nodiscard]] const std::string& error() const { return error_; }
  // Reads the trace the program left; `argv0` is the program, to say why
  // the interposer could not reach it when there is no trace.
  [[nodiscard]] SyscallTrace finish(const std::string& argv0) const;

 private:
  std::string config_;
  std::string trace_;
  std::vector<std::string> env_;
  std::string error_;
  std::uint64_t start_ns_ = 0;
};

// The counts the oracle reads (close_calls, connections, calls_after_close,
// sends_after_shutdown, faults_injected), from the trace; left unknown (-1)
// when the interposer did not reach the program.
void take_counts(ClientRun& run, const SyscallTrace& trace);

}  // namespace sockcheck
