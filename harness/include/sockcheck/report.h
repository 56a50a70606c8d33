// Reports of conformance runs: the console's progress lines and summary
// table, JUnit XML for CI systems, and JSON with everything the console
// shows.
//
// Theory of operation. A ScenarioRun (runner.h) holds every byte both sides
// exchanged, which for a several-MiB response repeated fifty times is more
// than a report needs to keep. make_record() therefore condenses one run
// into a RunRecord right after it finishes: the verdicts and evidence in
// full, the model's reasoning, what the server observed on each connection,
// and byte strings cut to a prefix plus their full size. Every renderer
// below reads RunRecords only, so the `sockcheck run` command, the tests and
// the GoogleTest helpers render the same run the same way.
//
// The renderers are pure functions of their input (no clock, no I/O): the
// same records give the same text, which is what the tests check. Byte
// strings from the client under test are arbitrary, so each format escapes
// them for its own rules: the console and XML show non-printable bytes as
// \xHH text (XML 1.0 cannot carry most control characters even as
// references), JSON passes valid UTF-8 through and writes any other byte as
// \u00XX of that byte.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sockcheck/observation.h"
#include "sockcheck/oracle.h"
#include "sockcheck/runner.h"

namespace sockcheck {

// What a report keeps of the client under test in one run.
struct ClientRecord {
  bool in_process = false;
  std::optional<Outcome> outcome;   // in process only
  bool reported_success = false;
  std::optional<int> exit_status;   // programs
  int signal = 0;                   // died of it (not our kill)
  bool killed_at_deadline = false;
  Duration elapsed{};               // virtual time on sim, real time on tcp
  std::uint64_t response_size = 0;
  std::string response_prefix;      // the first kPrefixBytes bytes, raw
  std::string diagnostics;          // stderr / error text, cut to kDiagnosticsBytes
  int close_calls = -1;             // -1: not observable (programs)
  int calls_after_close = -1;
};

// What a report keeps of the model (oracle.h) the run was judged against.
struct ModelRecord {
  std::vector<Outcome> allowed;
  std::uint64_t response_size = 0;
  std::string response_prefix;      // raw, at most kPrefixBytes
  Duration max_duration{};
  std::vector<std::string> reasoning;
};

// What a report keeps of one connection the fake server handled.
struct ServerRecord {
  int connection = 0;
  bool accepted = false;
  bool refused = false;
  std::uint64_t received_size = 0;
  std::string received_prefix;      // raw, at most kPrefixBytes
  bool received_request = false;    // received exactly the request bytes
  bool saw_client_fin = false;
  Duration client_fin_at{};
  bool client_reset = false;
  std::uint64_t bytes_sent = 0;
  bool closed_with_unread = false;
  bool script_completed = false;
  std::string failure;
  Duration duration{};
  std::vector<ObservedEvent> events;  // the first kMaxEvents
  std::size_t events_dropped = 0;     // how many were left out
  std::string summary;                // one line for people (see make_record)
};

struct RunRecord {
  static constexpr std::size_t kPrefixBytes = 256;
  static constexpr std::size_t kDiagnosticsBytes = 4096;
  static constexpr std::size_t kMaxEvents = 64;

  std::string scenario;             // the scenario's name
  std::string description;
  std::string file;                 // "" when not read from a file
  TransportKind transport = TransportKind::sim;
  std::size_t repeat = 0;           // 0-based index among --repeat runs
  bool passed = false;              // no rule violated, no harness error
  std::string error;                // the harness could not run it (why)
  Duration wall_time{};
  ClientRecord client;
  ModelRecord model;
  std::vector<ServerRecord> server;
  std::vector<RuleResult> rules;    // kAllRules order; empty when `error`

  [[nodiscard]] const RuleResult* rule(Rule r) const;
  [[nodiscard]] std::vector<const RuleResult*> violations() const;
};

// Condenses `run` (which may be discarded afterwards). `repeat` is the
// 0-based index of this run among the repetitions of its scenario.
RunRecord make_record(const ScenarioRun& run, std::size_t repeat = 0);

// The short column header of a rule in the summary table ("request",
// "half-close", "response", "honest", "bounded", "survives", "closes-once",
// "syscalls").
[[nodiscard]] std::string_view short_name(Rule r) noexcept;

// --- console -------------------------------------------------------------

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

// --- summary -------------------------------------------------------------

struct RuleTally {
  std::size_t conforms = 0;
  std::size_t violates = 0;
  std::size_t not_applicable = 0;
};

// All runs of one scenario (file and name) on one transport.
struct SummaryRow {
  std::string scenario;
  std::string file;
  TransportKind transport = TransportKind::sim;
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
// Cells are `ok`, `FAIL` or `-` (not applicable in every run); when any
// scenario ran more than once, each cell is `kept/applicable` ("49/50") and
// the result column `passed/runs`. The scenario column says the transport
// when the records mix transports. The last line stands alone so that CI
// log readers find the count.
std::string summary_table(const Summary& summary);

// --- files ---------------------------------------------------------------

// What the whole set of runs was, for the headers of JUnit and JSON files.
struct RunSetInfo {
  std::string client = "reference";  // the client under test's name
  std::size_t repeat = 1;
  std::optional<std::uint64_t> seed;
  std::optional<Duration> timeout;
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

// --- escaping (exposed for tests) ----------------------------------------

// `bytes` as a JSON string literal, quotes included. Valid UTF-8 passes
// through (but U+2028/U+2029 are escaped for JavaScript readers); ", \ and
// control characters are escaped; every byte that is not part of a valid
// UTF-8 sequence becomes \u00XX with XX the byte.
std::string json_quote(std::string_view bytes);

// `bytes` as XML character data (or, with `attribute`, the inside of a
// double-quoted attribute value): & < > as entities, " and ' too in an
// attribute; tab and newline kept in text and written as character
// references in attributes (where a reader would fold them into spaces);
// carriage return always as &#13;; other control bytes, DEL, U+FFFE/U+FFFF
// and bytes outside valid UTF-8 as the text \xHH, since XML 1.0 cannot
// carry them at all.
std::string xml_escape(std::string_view bytes, bool attribute = false);

}  // namespace sockcheck
