// What a report keeps of one conformance run, and how it is made.
//
// A ScenarioRun (runner.h) holds every byte both sides exchanged, which for
// a several-MiB response repeated fifty times is more than a report needs to
// keep. make_record() therefore condenses one run into a RunRecord right
// after it finishes: the verdicts and evidence in full, the model's
// reasoning, what the server observed on each connection, and byte strings
// cut to a prefix plus their full size. Every renderer (report_console.h,
// report_summary.h, report_files.h) reads RunRecords only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
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
  // A program run with the interposer: its socket calls, one line each
  // (syscall_trace.h, trace_lines()), at most kMaxSyscallLines.
  std::vector<std::string> syscalls;
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
  static constexpr std::size_t kMaxSyscallLines = 200;

  std::string scenario;             // the scenario's name
  std::string description;
  std::string file;                 // "" when not read from a file
  Level level = Level::must;        // the scenario's `level`
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

}  // namespace sockcheck
