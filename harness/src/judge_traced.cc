// Verdicts from the interposer's trace. See judge_traced.h.
//
// Never a pass for a fault that was not injected: whether syscall-robust
// is judged at all follows ClientRun::faults_injected, which for a program
// is the count of injections the trace records (interposer_run.cc); these
// helpers only say why none was, name the one a failure follows from, and
// flag a busy loop on EAGAIN, which needs no injection to be seen.
#include "judge_traced.h"

#include <set>

namespace sockcheck {
namespace {

RuleResult result(Rule r, Verdict v, std::string evidence) {
  return {r, v, std::move(evidence), std::nullopt};
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

const SyscallTrace* trace_of(const ClientRun& run) {
  return run.in_process || !run.syscalls ? nullptr : &*run.syscalls;
}

}  // namespace

std::optional<RuleResult> traced_closes_once(const ClientRun& run,
                                             const ServerObservation* obs) {
  const Rule r = Rule::closes_once;
  const SyscallTrace* t = trace_of(run);
  if (t == nullptr) return std::nullopt;
  if (!t->reached()) return result(r, Verdict::not_applicable, "not observable: " + t->not_reached);
  if (never_connected(run, obs)) return result(r, Verdict::not_applicable, kUnseen);
  if (run.connections <= 0) {
    return result(r, Verdict::not_applicable, "the program never got a connection");
  }
  if (const std::size_t n = busy_processes(*t); n > 1) {
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

std::optional<RuleResult> traced_busy_loop(const ClientRun& run) {
  const SyscallTrace* t = trace_of(run);
  if (t == nullptr || !t->reached() || t->longest_spin < kBusyLoopCalls ||
      t->longest_spin_time >= kBusyLoopPerCall * static_cast<long>(t->longest_spin)) {
    return std::nullopt;
  }
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(t->longest_spin_time).count();
  return result(Rule::syscall_robust, Verdict::violates,
                std::to_string(t->longest_spin) + " EAGAIN results in a row within " +
                    std::to_string(us) +
                    "us with no poll/select/epoll between them: a busy loop (a "
                    "conforming client waits until the socket is ready)");
}

std::string traced_not_injected(const ClientRun& run, const ServerObservation* obs) {
  const SyscallTrace* t = trace_of(run);
  if (t == nullptr || t->last_injected() != nullptr) return {};
  if (!t->reached()) return t->not_reached;
  if (never_connected(run, obs)) return kUnseen;
  const std::string skipped = t->skipped_reasons();
  return skipped.empty() ? "no call reached a scheduled fault" : skipped;
}

std::string traced_cause(const ClientRun& run, Rule failed, const std::string& reported) {
  const SyscallTrace* t = trace_of(run);
  const TracedCall* cause = t == nullptr ? nullptr : t->last_injected();
  if (cause == nullptr) return {};
  // The request is lost by the sending side: name the fault there.
  if (failed == Rule::request_delivered) {
    for (const TracedCall& c : t->calls) {
      if (c.status == TracedCall::Status::injected && c.call == Injection::Call::send) {
        cause = &c;
      }
    }
  }
  return describe_call(*cause) + "; the client then " + reported;
}

std::string traced_summary(const ClientRun& run) {
  const SyscallTrace* t = trace_of(run);
  if (t == nullptr || !t->reached()) return {};
  const TracedCall* last = t->last_injected();
  const std::string skipped = t->skipped_reasons();
  std::string out;
  if (last != nullptr) out = "the last: " + describe_call(*last);
  if (!skipped.empty()) out += (out.empty() ? "" : "; ") + ("not injected: " + skipped);
  return out;
}

}  // namespace sockcheck
