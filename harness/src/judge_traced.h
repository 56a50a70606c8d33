// What the interposer's trace adds to the verdicts for a client program
// (closes-once, syscall-robust; see docs/interposer.md). Internal to the
// oracle: judge.cc asks these first and falls back to its own rules when
// they have nothing to say (an in-process run, or a program run without
// the interposer).
#pragma once

#include <optional>
#include <string>

#include "sockcheck/oracle.h"

namespace sockcheck {

std::optional<RuleResult> traced_closes_once(const ClientRun& run,
                                             const ServerObservation* obs);

// syscall-robust violated by a busy loop on EAGAIN the trace recorded.
std::optional<RuleResult> traced_busy_loop(const ClientRun& run);

// Why the interposer injected no fault into this program ("the program
// installs no signal handler, so EINTR cannot occur"); "" when there is
// no trace to say it, or a fault was injected.
std::string traced_not_injected(const ClientRun& run, const ServerObservation* obs);

// The injected fault that `failed` (a rule that a mishandled call broke)
// most likely follows from, and how the client ended: "send #1: EINTR
// (injected); the client then exited with status 1"; "" without a trace
// or an injected fault. `reported` says how the client ended.
std::string traced_cause(const ClientRun& run, Rule failed, const std::string& reported);

// The last fault injected and what was skipped, for a pass: "the last:
// recv #4: EINTR (injected); not injected: ..."; "" without a trace.
std::string traced_summary(const ClientRun& run);

}  // namespace sockcheck
