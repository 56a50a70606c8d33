// `sockcheck fuzz-scenario INPUT [-o FILE]`: from a fault-schedule fuzz
// input (a crash, a corpus entry) to a scenario file a person can read,
// edit, keep, and run with `sockcheck run` / `sockcheck serve`.
//
// The input is decoded exactly as the fault_schedule fuzz target decodes it
// (decode_fault_schedule), named after the input file, and printed in the
// scenario language's canonical form after a comment header that names the
// input and says what the reference client does with it on the simulated
// transport (so the file says why it was kept).
#include <algorithm>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "args.h"
#include "commands.h"
#include "sockcheck/fault_schedule.h"
#include "sockcheck/scenario_parser.h"

namespace sockcheck::cli {
namespace {

constexpr std::string_view kHelp =
    "usage: sockcheck fuzz-scenario [OPTIONS] INPUT\n"
    "\n"
    "Decodes INPUT, an input of the fault_schedule fuzz target (a crash file,\n"
    "a corpus entry), into the scenario it stands for and prints it in the\n"
    "scenario language, ready for `sockcheck run` and `sockcheck serve`.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE   write the scenario to FILE instead of stdout\n"
    "  --name NAME         the scenario's name (default: from INPUT's file name)\n"
    "  -h, --help          this text\n"
    "\n"
    "exit status: 0 written, 2 usage error or unreadable input\n";

// A scenario name from a file name: [A-Za-z0-9._-], at most 128 characters.
std::string name_from(const std::string& path) {
  std::string stem = path.substr(path.find_last_of('/') + 1);
  std::string out;
  for (char c : stem) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    out.push_back(ok ? c : '-');
    if (out.size() == 128) break;
  }
  return out.empty() ? "fault-schedule" : out;
}

bool valid_name(std::string_view n) {
  return !n.empty() && n.size() <= 128 &&
         std::all_of(n.begin(), n.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
         });
}

}  // namespace

int fuzz_scenario_main(std::span<const std::string_view> args, Streams io) {
  std::optional<std::string> input;
  std::optional<std::string> output;
  std::optional<std::string> name;
  auto usage = [&io](const std::string& message) {
    return usage_error(io, "fuzz-scenario", message);
  };
  for (ArgReader r(args); r.next();) {
    const std::string a(r.name());
    if (!r.is_option()) {
      if (input) return usage("one INPUT only");
      input = a;
    } else if (a == "-h" || a == "--help") {
      if (!r.flag()) return usage(a + " takes no value");
      io.out << kHelp;
      return kExitOk;
    } else if (a == "-o" || a == "--output" || a == "--name") {
      const auto v = r.value();
      if (!v) return usage(a + " needs a value");
      (a == "--name" ? name : output) = std::string(*v);
    } else {
      return usage("unknown option '" + std::string(r.arg()) + "'");
    }
  }
  if (!input) return usage("expected an INPUT file");
  if (name && !valid_name(*name)) {
    io.err << "sockcheck fuzz-scenario: bad name '" << *name
           << "' (letters, digits, '.', '_', '-', at most 128)\n";
    return kExitUsage;
  }
  std::ifstream in(*input, std::ios::binary);
  if (!in) {
    io.err << "sockcheck fuzz-scenario: cannot read " << *input << "\n";
    return kExitUsage;
  }
  const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in),
                                        std::istreambuf_iterator<char>()};
  const FaultScheduleCheck check = check_fault_schedule(bytes);
  Scenario s = check.scenario;
  s.name = name ? *name : name_from(*input);
  s.description = "decoded from the fault-schedule input " +
                  input->substr(input->find_last_of('/') + 1);

  std::string text = "# Decoded by `sockcheck fuzz-scenario` from the fault_schedule fuzz input\n";
  // The path is on a comment line: keep it on one line.
  std::string shown = *input;
  std::replace_if(shown.begin(), shown.end(), [](char c) { return c == '\n' || c == '\r'; }, '?');
  text += "# " + shown + " (" + std::to_string(bytes.size()) + " bytes).\n";
  text += "# Reference client on the simulated transport: ";
  if (check.run.passed()) {
    text += "conforms.\n";
  } else {
    text += "VIOLATES";
    for (const RuleResult* r : check.run.violations()) text += " " + std::string(to_string(r->rule));
    if (!check.run.error.empty()) text += " (harness error: " + check.run.error + ")";
    text += ".\n";
  }
  text += "# No expectations: the oracle derives them from the script.\n";
  text += print_scenario(s);

  if (output) {
    std::ofstream out(*output, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) {
      io.err << "sockcheck fuzz-scenario: cannot write " << *output << "\n";
      return kExitUsage;
    }
    return kExitOk;
  }
  io.out << text;
  return kExitOk;
}

}  // namespace sockcheck::cli
