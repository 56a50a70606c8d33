// The console's text for each run: the progress line and the details under
// it. Pure functions of the record; text from outside is escaped so that a
// client's bytes cannot drive the terminal.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "sockcheck/report_records.h"

namespace sockcheck {

// Where a run stands in the whole set, for its progress line.
struct Progress {
  std::size_t index = 1;    // 1-based position among all runs
  std::size_t total = 1;    // all runs (scenarios x repeats)
  std::size_t repeat = 0;   // 0-based repetition of this scenario
  std::size_t repeats = 1;  // repetitions asked for
};

// The start of a run's progress line, printed before the run so a slow run
// shows what it is waiting on: "[ 7/42] reset-mid-response (tcp) ... ", with
// ", run 2/3" inside the parentheses when repeats > 1.
std::string progress_prefix(const Progress& at, std::string_view scenario,
                            TransportKind transport);
// The end of the line (no newline): "ok 12 ms", "FAIL 5012 ms:
// honest-outcome, bounded", "ERROR 3 ms: why"; on sim, ", 2s virtual" after
// the wall time when the client's virtual time was at least 1 ms.
std::string progress_result(const RunRecord& record);
// Indented lines to print under the progress line. Without `verbose`: the
// violated rules with their evidence (nothing for a passing run). With
// `verbose`: every rule's verdict and evidence, what the client did, the
// model's reasoning and the server's observations, for any run.
std::string run_details(const RunRecord& record, bool verbose);
// progress_prefix + progress_result + "\n" + run_details.
std::string progress_line(const Progress& at, const RunRecord& record,
                          bool verbose);

}  // namespace sockcheck
