// The summary of a set of runs: verdict counts per scenario and transport,
// and the table the console prints at the end of `sockcheck run`.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sockcheck/report_records.h"

namespace sockcheck {

// The short column header of a rule in the summary table ("request",
// "half-close", "response", "honest", "bounded", "survives", "closes-once",
// "syscalls").
[[nodiscard]] std::string_view short_name(Rule r) noexcept;

struct RuleTally {
  std::size_t conforms = 0;
  std::size_t violates = 0;
  std::size_t not_applicable = 0;
  // Of not_applicable: n/a only because the client's platform hid what the
  // verdict needs (RuleResult::unreachable_on_platform).
  std::size_t unreachable = 0;
};

// All runs of one scenario (file and name) on one transport.
struct SummaryRow {
  std::string scenario;
  std::string file;
  TransportKind transport = TransportKind::sim;
  Level level = Level::must;
  std::size_t runs = 0;
  std::size_t passed = 0;
  std::size_t errors = 0;  // runs the harness could not carry out
  std::array<RuleTally, kAllRules.size()> rules{};  // kAllRules order
  // Evidence of the first violation of each rule, for reports.
  std::array<std::string, kAllRules.size()> first_evidence{};
};

struct Summary {
  std::vector<SummaryRow> rows;  // in order of first appearance
  std::size_t runs = 0;
  std::size_t runs_failed = 0;
  std::size_t scenarios_passed = 0;  // rows whose every run passed
  std::size_t scenarios_failed = 0;
  std::size_t should_failed = 0;     // of scenarios_failed: `level should` ones
  std::size_t unreachable = 0;       // verdicts the platform made unreachable
  std::size_t max_repeats = 0;       // the most runs of any row
  bool several_transports = false;
  [[nodiscard]] bool all_passed() const { return runs_failed == 0; }
};

Summary summarize(std::span<const RunRecord> records);

// The table of scenarios x rules, then the totals:
//
//   scenario     request  half-close  ...  syscalls  result
//   echo         ok       ok          ...  -         ok
//   ...
//   4 scenarios, 3 passed, 1 failed
//   3 passed, 1 failed
//
// Cells are `ok`, `FAIL` or `-` (not applicable in every run), `-*` when
// some of those were n/a only because of the client's platform (a line
// under the table counts them); a `level should` scenario is labelled
// `[SHOULD]`, and when one failed a line says how many failed by level
// (`failed by level: 1 MUST, 2 SHOULD`). When any
// scenario ran more than once, each cell is `kept/applicable` ("49/50") and
// the result column `passed/runs`. The scenario column says the transport
// when the records mix transports. The last line stands alone so that CI
// log readers find the count.
std::string summary_table(const Summary& summary);

}  // namespace sockcheck
