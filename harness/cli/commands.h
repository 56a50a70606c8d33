// The subcommands of the `sockcheck` executable. Each takes the arguments
// after its own name and returns the process exit status. They write to the
// streams they are given so that tests can run them in-process.
#pragma once

#include <iosfwd>
#include <span>
#include <string_view>

namespace sockcheck::cli {

// Exit statuses shared by every subcommand (see README, "Exit codes").
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // client error / rule violated
inline constexpr int kExitUsage = 2;    // bad arguments or input files
// `sockcheck client` only: why the exchange failed.
inline constexpr int kExitConnect = 3;  // refused or could not connect
inline constexpr int kExitReset = 4;    // the peer reset the connection
inline constexpr int kExitTimeout = 5;  // the overall timeout passed

struct Streams {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
};

int client_main(std::span<const std::string_view> args, Streams io);
// `sockcheck serve`: blocks SIGINT/SIGTERM in the calling thread while it
// runs (they end the server cleanly) and restores the mask on return.
int serve_main(std::span<const std::string_view> args, Streams io);
// `sockcheck run`: runs scenarios against a client and judges every rule;
// 0 all conform, 1 a rule was violated, 2 usage or scenario errors.
int run_main(std::span<const std::string_view> args, Streams io);
// `sockcheck fuzz-scenario`: a fault_schedule fuzz input printed as a
// scenario file; 0 written, 2 usage error or unreadable input.
int fuzz_scenario_main(std::span<const std::string_view> args, Streams io);

}  // namespace sockcheck::cli
