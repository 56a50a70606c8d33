// What a fake server saw of one connection. Filled in by the loopback server
// over real TCP and by the simulated transport in memory, in the same shape,
// so that the oracle judges both the same way.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sockcheck/io.h"

namespace sockcheck {

// One timestamped entry of the server's log, for people: "accepted",
// "read 14 bytes", "client FIN", "wrote 17 bytes", "reset", ...
struct ObservedEvent {
  Duration at{};      // since the connection was accepted (or refused)
  std::string what;
};

// One step of the connection's plan (script_plan.h) carried out: its index
// in ScriptPlan::steps, when it ended, and the bytes it read or wrote. Both
// executors record these the same way, so their runs can be compared.
struct StepDone {
  std::size_t step = 0;
  Duration at{};
  std::uint64_t bytes = 0;

  friend bool operator==(const StepDone&, const StepDone&) = default;
};

struct ServerObservation {
  int connection = 0;            // 1-based ordinal of the connection
  bool accepted = false;
  bool refused = false;
  std::string received;          // every byte the server read, in order
  bool saw_client_fin = false;   // a read returned end of stream
  Duration client_fin_at{};      // when (valid if saw_client_fin)
  bool client_reset = false;     // a read or write failed with ECONNRESET/EPIPE
  std::uint64_t bytes_sent = 0;  // bytes the server's writes accepted
  bool closed_with_unread = false;  // `close` while client data was pending
  bool script_completed = false; // every step was carried out
  std::string failure;           // else: which step failed and why
  Duration duration{};           // accept to the end of the script
  std::vector<StepDone> steps_done;  // in order; a failed step is missing
  std::vector<ObservedEvent> events;
};

}  // namespace sockcheck
