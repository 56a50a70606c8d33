// Baselines: the violations a client is known to have, so that CI can fail
// on a new one while the old ones are being fixed.
//
// A baseline file is plain text, one known violation per line:
//
//   # sockcheck baseline: the violations a run is known to have
//   close-before-read honest-outcome MUST
//   answer-before-read-large bounded SHOULD
//
// SCENARIO RULE LEVEL [sometimes], separated by spaces; `#` starts a
// comment line, blank lines are ignored. `sometimes` marks a verdict that
// depends on a race in the client (it was violated in some of the runs that
// wrote the file, not all): it is never reported as now passing. The level is what the scenario said when the line was
// written; it is there for the person reviewing the file and is not matched
// (the scenario's current level decides). An entry covers every run of the
// scenario on every transport. `sockcheck run --write-baseline FILE` writes
// one (sorted, so a change of verdict is a one-line diff); `--baseline FILE`
// judges a run against it (docs/cli.md "Baselines").
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sockcheck/report_records.h"

namespace sockcheck {

struct BaselineEntry {
  std::string scenario;
  Rule rule = Rule::request_delivered;
  Level level = Level::must;
  bool sometimes = false;  // violated in some runs of the scenario, not all
  int line = 0;            // where it was read (0: made, not read)
  friend bool operator==(const BaselineEntry& a, const BaselineEntry& b) {
    return a.scenario == b.scenario && a.rule == b.rule;
  }
};

struct BaselineParse {
  std::vector<BaselineEntry> entries;  // in file order
  std::vector<std::string> errors;     // "FILE:LINE:COL: message", each
  [[nodiscard]] bool ok() const { return errors.empty(); }
};

// Parses a baseline file's text; `path` only names it in errors. A rule or
// level that does not exist, a line with the wrong number of fields and a
// duplicate entry are errors.
BaselineParse parse_baseline(std::string_view text, std::string_view path);

// The violations in `records`, one entry per scenario and rule, sorted; an
// entry is `sometimes` when the rule held in another run of the scenario
// (--repeat, or another transport).
std::vector<BaselineEntry> baseline_entries(std::span<const RunRecord> records);

// The file text for `entries`, with a comment header naming `origin` (for
// example the command that wrote it).
std::string baseline_text(std::span<const BaselineEntry> entries, std::string_view origin);

// How a run compares with a baseline, and what that does to its status.
struct BaselineComparison {
  std::vector<BaselineEntry> known;  // violated now, and in the baseline
  std::vector<BaselineEntry> fresh;  // violated now, not in the baseline
  std::vector<BaselineEntry> fixed;  // in the baseline, scenario ran, kept now
  // `sometimes` entries kept in this run: expected of a race, not judged.
  std::size_t sometimes_kept = 0;
  // Entries for scenarios this run did not run (a --filter): not judged.
  std::size_t not_run = 0;
};

BaselineComparison compare_with_baseline(std::span<const RunRecord> records,
                                         std::span<const BaselineEntry> baseline);

// What decides the exit status of `sockcheck run`.
struct Gate {
  bool strict = false;                          // --strict
  const BaselineComparison* baseline = nullptr;  // --baseline, when given
};

// Whether the run fails: a harness error always does; a MUST violation does
// unless the baseline knows it; a SHOULD violation only with --strict (and
// then also unless the baseline knows it); a baseline entry that now passes
// only with --strict. `why` (optional) gets one line per reason, starting
// "fails the run: " or, for SHOULD violations let through, "does not fail
// the run: ".
[[nodiscard]] bool run_fails(std::span<const RunRecord> records, const Gate& gate,
                             std::vector<std::string>* why = nullptr);

// The lines the console prints about the comparison: counts, then each new
// violation and each entry that now passes.
std::string baseline_report(const BaselineComparison& c, std::string_view path, bool strict);

}  // namespace sockcheck
