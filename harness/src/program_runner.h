// Runs a client program for the harness: argv without a shell, `input` on
// its stdin, stdout and stderr captured. The program leads a process group
// of its own, which is killed, whatever is left of it, as soon as the
// program has exited, or with the program when `limit` passes: nothing it
// started outlives the call, except what left the group (setsid(), a
// double fork into another session). Internal to the harness.
#pragma once

#include <string>
#include <vector>

#include "sockcheck/io.h"

namespace sockcheck {

struct ProgramResult {
  int exit_status = -1;     // when it exited
  int signal = 0;           // when a signal other than our kill ended it
  bool killed = false;      // we killed it at the limit
  std::string out;          // stdout, complete
  std::string err;          // stderr, at most 64 KiB (the rest is dropped)
  std::string start_error;  // it could not be started (why)
  // From the fork to the moment its end was seen (or it was killed): the
  // program's own time, without the harness's preparations around it.
  Duration elapsed{};
};

// Never raises SIGPIPE in the caller: stdin is a temporary file, not a pipe.
// `env` ("NAME=value") is added to the caller's environment for the child,
// replacing variables of the same name.
ProgramResult run_program_with_input(const std::vector<std::string>& argv,
                                     const std::string& input, Duration limit,
                                     const std::vector<std::string>& env = {});

}  // namespace sockcheck
