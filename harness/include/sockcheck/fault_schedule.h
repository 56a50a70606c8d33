// Fault schedules: random server scripts chosen by bytes, for the
// fault_schedule fuzz target and for `sockcheck fuzz-scenario`.
//
// Theory of operation. decode_fault_schedule() reads an arbitrary byte
// string as a structured choice of a scenario, in the vocabulary of the
// scenario language (docs/scenario-language.md): a header (client timeout,
// reset mode, injections, the request), then one step per op byte until the
// input ends, the script reaches a step that ends it (refuse, close, reset,
// hang) or kMaxSteps steps were made. Every byte string decodes to a valid
// scenario: an op byte indexes the list of steps the parser's placement
// rules allow at that point (accept only first, refuse only alone,
// recv-buffer first or right after accept, no write after half-close, one
// half-close, nothing after close/reset/hang), and a missing byte reads as
// 0. So print_scenario() of a decoded scenario always parses back to it.
//
// Everything is bounded so that one input runs in well under a millisecond
// on the simulated transport: data of at most 64KiB each and kMaxDataBytes
// in all, chunk sizes raised so that no read or write has more than
// kMaxPieces pieces, a receive buffer of at least 1/kMaxPieces of the
// request, injections at most every second call. Durations are whole
// milliseconds up to 65.535s (virtual time costs nothing).
//
// encode_fault_schedule() is the inverse for the scenarios the format can
// express (one `connection 1+` script, no expectations, values in range):
// it returns bytes that decode to exactly the same scenario, or the reason
// the scenario is outside the format. The byte layout is documented in
// docs/fuzzing.md ("The fault-schedule target").
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "sockcheck/runner.h"
#include "sockcheck/scenario.h"

namespace sockcheck {

struct FaultScheduleLimits {
  static constexpr std::size_t kMaxSteps = 12;
  static constexpr std::uint64_t kMaxDataSize = 64 * 1024;  // one datum
  static constexpr std::uint64_t kMaxDataBytes = 256 * 1024;  // all writes
  static constexpr std::uint64_t kMaxPieces = 256;  // per read or write
  static constexpr std::size_t kMaxLiteral = 255;  // literal / hex bytes
  static constexpr std::uint32_t kMaxTimeoutMs = 30000;
};

// The scenario `data` chooses. Its name is "fault-schedule" (callers may
// rename it); its only script covers connection 1+; it has no expectations
// (the oracle derives them). Never fails, for any input.
Scenario decode_fault_schedule(std::span<const std::uint8_t> data);

// Bytes that decode_fault_schedule() turns into `scenario` (name, file,
// description and `where` ignored), or a one-line reason why the scenario is
// outside what the format expresses.
struct FaultScheduleEncoding {
  std::vector<std::uint8_t> bytes;  // valid when `error` is empty
  std::string error;
  [[nodiscard]] bool ok() const noexcept { return error.empty(); }
};
FaultScheduleEncoding encode_fault_schedule(const Scenario& scenario);

// One fault-schedule input decoded and run against the reference client on
// the simulated transport, judged by the oracle.
struct FaultScheduleCheck {
  Scenario scenario;
  ScenarioRun run;
  // print_scenario(scenario) parses back to `scenario` and printing it
  // again gives the same text.
  bool round_trips = false;
  std::string round_trip_error;  // why not, when !round_trips
  [[nodiscard]] bool passed() const { return round_trips && run.passed(); }
  // The scenario text, the violated rules with their evidence, the model's
  // reasoning and the client's result: what a fuzz crash prints.
  [[nodiscard]] std::string report() const;
};
FaultScheduleCheck check_fault_schedule(std::span<const std::uint8_t> data);

}  // namespace sockcheck
