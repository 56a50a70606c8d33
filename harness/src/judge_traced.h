// The verdicts the interposer's trace makes possible for a client program
// (closes-once, syscall-robust; see docs/interposer.md). Internal to the
// oracle: judge.cc asks these first and falls back to its own rules when
// they return nullopt (an in-process run, or a program run without the
// interposer).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sockcheck/oracle.h"

namespace sockcheck {

std::optional<RuleResult> traced_closes_once(const ClientRun& run,
                                             const ServerObservation* obs);

// `reported` says how the client ended ("exited with status 4 (failure)").
std::optional<RuleResult> traced_syscall_robust(const Scenario& s, const ClientRun& run,
                                                const ServerObservation* obs,
                                                const std::vector<RuleResult>& so_far,
                                                const std::string& reported);

}  // namespace sockcheck
