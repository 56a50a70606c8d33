// Runs the built `sockcheck` binary (SOCKCHECK_BINARY) as a child process
// for CLI tests: no shell, stdin from a string, stdout and stderr captured,
// killed if it outlives `timeout` so a broken build cannot hang the suite.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace sockcheck::testing {

struct CliRun {
  int status = -1;        // exit status; -1 if it did not exit normally
  bool killed = false;    // it outlived the timeout and was killed
  std::string out;
  std::string err;
};

CliRun run_program(const std::string& program,
                   const std::vector<std::string>& args,
                   const std::string& input = "",
                   std::chrono::milliseconds timeout = std::chrono::seconds(60));

// run_program(SOCKCHECK_BINARY, ...).
CliRun run_sockcheck(const std::vector<std::string>& args,
                     const std::string& input = "",
                     std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace sockcheck::testing
