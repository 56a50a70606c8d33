// The report files of a set of runs: JUnit XML for CI systems and JSON with
// everything the console shows. Both escape every byte from outside for
// their own format (report_escape.h), so the file is well-formed whatever
// the client wrote.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sockcheck/report_records.h"

namespace sockcheck {

// What the whole set of runs was, for the headers of JUnit and JSON files.
struct RunSetInfo {
  std::string client = "reference";  // the client under test's name
  std::size_t repeat = 1;
  std::optional<std::uint64_t> seed;
  std::optional<Duration> timeout;
  TimeoutContract contract = TimeoutContract::total;  // the client's
  std::vector<std::string> paths;    // the PATHs given on the command line
  std::string filter;                // "" when none
};

// JUnit XML: one <testsuite> per transport, one <testcase> per scenario
// (classname: the scenario file's folder, or "sockcheck"; name: the
// scenario's name). A scenario that violated a rule in any run gets one
// <failure> whose message names every violated rule with the evidence of
// its first violation, and whose text lists every failing run; a harness
// error gives <error>. <system-out> carries the model's reasoning and the
// server's observations. Every byte is escaped so the document is
// well-formed XML 1.0 whatever the client wrote.
std::string junit_xml(std::span<const RunRecord> records,
                      const RunSetInfo& info);

// JSON: {"format": "sockcheck-run/1", header fields, "summary", "table",
// "runs": [one object per record]}. Described in docs/cli.md.
std::string json_report(std::span<const RunRecord> records,
                        const RunSetInfo& info);

}  // namespace sockcheck
