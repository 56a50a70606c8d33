// `sockcheck` — one executable, one subcommand per job.
#include <cstdio>
#include <iostream>
#include <string_view>
#include <vector>

#include "commands.h"

namespace {

constexpr std::string_view kUsage =
    "usage: sockcheck COMMAND [OPTIONS] ...\n"
    "\n"
    "commands:\n"
    "  client HOST PORT   run the reference client once (connect, send,\n"
    "                     half-close, read until the server closes)\n"
    "  serve SCENARIO     run a scenario's fake server on loopback TCP and\n"
    "                     print what it observed on each connection\n"
    "  run PATH...        run scenarios (files or folders) against a client\n"
    "                     and judge every conformance rule\n"
    "  fuzz-scenario INPUT  print a fault_schedule fuzz input (a crash) as a\n"
    "                     scenario file\n"
    "\n"
    "Run `sockcheck COMMAND --help` for the options of a command.\n"
    "Exit status: 0 success, 1 failure (for `run`: a rule was violated),\n"
    "2 usage error (for `run` also a scenario that does not parse); `client` adds\n"
    "3 connect failed, 4 reset by peer, 5 timed out.\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  const sockcheck::cli::Streams io{std::cin, std::cout, std::cerr};
  if (args.empty()) {
    std::cerr << kUsage;
    return sockcheck::cli::kExitUsage;
  }
  const std::string_view command = args.front();
  const std::span<const std::string_view> rest(args.data() + 1,
                                               args.size() - 1);
  if (command == "client") return sockcheck::cli::client_main(rest, io);
  if (command == "serve") return sockcheck::cli::serve_main(rest, io);
  if (command == "run") return sockcheck::cli::run_main(rest, io);
  if (command == "fuzz-scenario") {
    return sockcheck::cli::fuzz_scenario_main(rest, io);
  }
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kUsage;
    return sockcheck::cli::kExitOk;
  }
  std::cerr << "sockcheck: unknown command '" << command << "'\n\n" << kUsage;
  return sockcheck::cli::kExitUsage;
}
