// Verdicts from the interposer's trace. See judge_traced.h.
//
// Never a pass for a fault that was not injected: when the interposer
// could not reach the program, never saw its connection, or skipped every
// scheduled fault as one the kernel could not return to this process,
// syscall-robust is n/a with that reason.
#include "judge_traced.h"

#include <set>

namespace sockcheck {
namespace {

RuleResult result(Rule r, Verdict v, std::string evidence) {
  return {r, v, std::move(evidence)};
}

// Processes that made calls on the connection (a shell that only exec'd
// the program wrote nothing but its hello).
std::size_t busy_processes(const SyscallTrace& t) {
  std::set<int> pids;
  for (const TracedCall& c : t.calls) pids.insert(c.pid);
  for (const TracedEvent& e : t.events) pids.insert(e.pid);
  return pids.size();
}

bool never_connected(const ClientRun& run, const ServerObservation* obs) {
  return run.connections == 0 && obs != nullptr && obs->accepted;
}

const char* const kUnseen =
    "the interposer never saw the program connect to the server (a statically "
    "linked helper, raw system calls or io_uring bypass libc)";

}  // namespace

std::optional<RuleResult> traced_closes_once(const ClientRun& run,
                                             const ServerObservation* obs) {
  const Rule r = Rule::closes_once;
  if (run.in_process || !run.syscalls) return std::nullopt;
  const SyscallTrace& t = *run.syscalls;
  if (!t.reached()) return result(r, Verdict::not_applicable, "not observable: " + t.not_reached);
  if (never_connected(run, obs)) return result(r, Verdict::not_applicable, kUnseen);
  if (run.connections <= 0) {
    return result(r, Verdict::not_applicable, "the program never got a connection");
  }
  if (const std::size_t n = busy_processes(t); n > 1) {
    return result(r, Verdict::not_applicable,
                  "the socket is used by " + std::to_string(n) +
                      " processes, each of which closes its own copy");
  }
  if (run.calls_after_close > 0) {
    return result(r, Verdict::violates,
                  std::to_string(run.calls_after_close) +
                      " call(s) on the socket after it was closed (EBADF), after " +
                      std::to_string(run.close_calls) + " close() call(s)");
  }
  return result(r, Verdict::conforms,
                run.close_calls == 0
                    ? "no close() call: the socket was closed when the program exited"
                    : "closed " + std::to_string(run.close_calls) +
                          " time(s) for " + std::to_string(run.connections) +
                          " connection(s), nothing after");
}

std::optional<RuleResult> traced_syscall_robust(const Scenario& s, const ClientRun& run,
                                                const ServerObservation* obs,
                                                const std::vector<RuleResult>& so_far,
                                                const std::string& reported) {
  const Rule r = Rule::syscall_robust;
  if (run.in_process || !run.syscalls) return std::nullopt;
  const SyscallTrace& t = *run.syscalls;
  if (t.reached() && t.longest_spin >= kBusyLoopCalls &&
      t.longest_spin_time < kBusyLoopPerCall * static_cast<long>(t.longest_spin)) {
    const auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(t.longest_spin_time).count();
    return result(r, Verdict::violates,
                  std::to_string(t.longest_spin) + " EAGAIN results in a row within " +
                      std::to_string(us) +
                      "us with no poll/select/epoll between them: a busy loop (a "
                      "conforming client waits until the socket is ready)");
  }
  if (s.injections.empty()) return std::nullopt;
  if (!t.reached()) {
    return result(r, Verdict::not_applicable, "no syscall fault injected: " + t.not_reached);
  }
  if (never_connected(run, obs)) {
    return result(r, Verdict::not_applicable, std::string(kUnseen) + ", so no fault was injected");
  }
  const TracedCall* last = t.last_injected();
  const std::string skipped = t.skipped_reasons();
  if (last == nullptr) {
    return result(r, Verdict::not_applicable,
                  "no fault injected: " +
                      (skipped.empty() ? std::string("no call reached a scheduled fault")
                                       : skipped));
  }
  for (const RuleResult& other : so_far) {
    const bool relevant = other.rule == Rule::request_delivered ||
                          other.rule == Rule::response_delivered ||
                          other.rule == Rule::honest_outcome;
    if (relevant && other.verdict == Verdict::violates) {
      // The request is lost by the sending side: name the fault there.
      const TracedCall* cause = last;
      if (other.rule == Rule::request_delivered) {
        for (const TracedCall& c : t.calls) {
          if (c.status == TracedCall::Status::injected && c.call == Injection::Call::send) {
            cause = &c;
          }
        }
      }
      return result(r, Verdict::violates,
                    describe_call(*cause) + "; the client then " + reported + " (" +
                        std::string(to_string(other.rule)) + " failed)");
    }
  }
  const int injected = t.count(TracedCall::Status::injected);
  return result(r, Verdict::conforms,
                std::to_string(injected) + " fault(s) injected and handled (last: " +
                    describe_call(*last) + ")" +
                    (skipped.empty() ? "" : "; not injected: " + skipped));
}

}  // namespace sockcheck
