// judge(): one run against the model, rule by rule. See oracle.h and
// docs/conformance.md for the definitions this code implements; the model
// itself is derived in model.cc.
#include <algorithm>
#include <chrono>
#include <deque>
#include <optional>
#include <utility>

#include "judge_traced.h"
#include "sockcheck/oracle.h"
#include "sockcheck/script_plan.h"
#include "sockcheck/units.h"

namespace sockcheck {

std::string_view to_string(Rule r) noexcept {
  switch (r) {
    case Rule::request_delivered: return "request-delivered";
    case Rule::half_close: return "half-close";
    case Rule::response_delivered: return "response-delivered";
    case Rule::honest_outcome: return "honest-outcome";
    case Rule::bounded: return "bounded";
    case Rule::survives_peer: return "survives-peer";
    case Rule::closes_once: return "closes-once";
    case Rule::syscall_robust: return "syscall-robust";
  }
  return "unknown";
}

std::string_view to_string(Verdict v) noexcept {
  switch (v) {
    case Verdict::conforms: return "conforms";
    case Verdict::violates: return "violates";
    case Verdict::not_applicable: return "n/a";
  }
  return "unknown";
}

namespace {

// What one rule looks at: one connection's model and observation (the last
// connection the client opened, or an earlier one it left for a retry),
// and what the client did in the whole run.
struct Facts {
  const Scenario& s;
  const Model& m;
  const ClientRun& run;
  const ServerObservation* obs;
  bool finished;  // the client returned / exited by itself
  bool success;   // ... and reported success
  int connection = 1;  // which connection `m` and `obs` are of
};

RuleResult result(Rule r, Verdict v, std::string evidence) {
  return {r, v, std::move(evidence), std::nullopt};
}

// A measured time, to a precision that means something: microseconds below
// 10 ms, milliseconds above ("140us", "2350ms"), never nanoseconds.
std::string measured_text(Duration d) {
  using namespace std::chrono;
  if (d < milliseconds(10)) return format_duration(duration_cast<microseconds>(d));
  return format_duration(duration_cast<milliseconds>(d));
}

std::string reported(const Facts& f) {
  if (f.run.killed_at_deadline) {
    return "was killed at the deadline after " + measured_text(f.run.elapsed);
  }
  if (f.run.signal != 0) return "died of signal " + std::to_string(f.run.signal);
  if (f.run.outcome) return "reported " + std::string(to_string(*f.run.outcome));
  if (f.run.exit_status) {
    return "exited with status " + std::to_string(*f.run.exit_status) +
           (f.success ? " (success)" : " (failure)");
  }
  return f.success ? "reported success" : "reported failure";
}

RuleResult request_delivered(const Facts& f) {
  const Rule r = Rule::request_delivered;
  if (!f.m.server_must_receive) {
    return result(r, Verdict::not_applicable, "the script reads no request bytes");
  }
  if (f.obs == nullptr || !f.obs->accepted) {
    return result(r, Verdict::not_applicable, "no connection was accepted");
  }
  const std::string& want = *f.m.server_must_receive;
  // A client that may give up at its timeout may stop sending there too:
  // then an in-order prefix is all the server can have received.
  const Duration margin = timing_margin(f.s);
  if (f.obs->received != want && f.m.allows(Outcome::timed_out) &&
      want.starts_with(f.obs->received) && f.run.outcome != Outcome::closed &&
      !f.run.reported_success && f.run.elapsed + margin >= f.s.client_timeout) {
    return result(r, Verdict::conforms,
                  "the server received the first " + std::to_string(f.obs->received.size()) +
                      " of " + std::to_string(want.size()) +
                      " request bytes in order before the client gave up at its timeout");
  }
  if (f.obs->received == want) {
    return result(r, Verdict::conforms,
                  "the server received the " + std::to_string(want.size()) +
                      " expected bytes in order");
  }
  return result(r, Verdict::violates,
                "server received: " + describe_difference(want, f.obs->received));
}

// The delay before the server accepted the connection, so that a time the
// server measured from its accept can be set against the client's elapsed
// time, which counts from its start (the client connects at once).
Duration accept_delay(const Facts& f) {
  return plan_connection(f.s, f.connection).accept_delay;
}

// How far apart two moments measured by the two sides may be and still be
// taken for the same: scheduling between the client's close and the
// server's read. Smaller than derive_model()'s timing margin (100 ms + 10 %).
Duration fin_tolerance(const Scenario& s) {
  return std::chrono::milliseconds(50) + s.client_timeout / 20;
}

// A client that never half-closes still sends a FIN when it finally closes
// its socket, that is when it gives up (at its timeout, or when it is
// killed). A server reading until the FIN then sees one, but only at the
// end of the client's run instead of right after the request. True when
// the client did not succeed and the FIN the server read came no earlier
// than about the client's timeout after the connection began, and no later
// than about the client's end. Both clocks start at about the connect (the
// server's from its accept, moved by the script's accept delay; the
// client's from its start, which for a program also includes starting the
// process, so the FIN is not required to be close to the end from below).
// The tolerance is smaller than the model's timing margin, so a conforming
// client, whose FIN the server reads at least that margin before the
// timeout, is never caught by it.
bool fin_only_when_client_gave_up(const Facts& f) {
  // A client that succeeded with every byte lost nothing by the time of
  // its FIN (one behind a slowly drained buffer sends it late, rightly).
  // One that "succeeded" without the reply closed when it gave up, and
  // its exit status only hides it.
  if (!f.obs->saw_client_fin || (f.success && f.run.response == f.m.response)) {
    return false;
  }
  const Duration fin = accept_delay(f) + f.obs->client_fin_at;
  const Duration tolerance = fin_tolerance(f.s);
  const bool at_the_timeout = fin + tolerance >= f.s.client_timeout;
  const bool by_the_end = fin <= f.run.elapsed + tolerance;
  return at_the_timeout && by_the_end;
}


RuleResult half_close(const Facts& f) {
  const Rule r = Rule::half_close;
  if (f.obs == nullptr || !f.obs->accepted) {
    return result(r, Verdict::not_applicable, "no connection was accepted");
  }
  if (f.run.sends_after_shutdown > 0) {
    return result(r, Verdict::violates,
                  std::to_string(f.run.sends_after_shutdown) +
                      " send() call(s) after the client's FIN (shutdown_write): "
                      "a half-closed client sends nothing more");
  }
  if (f.m.forbids_client_fin) {
    return f.obs->saw_client_fin
               ? result(r, Verdict::violates, "the scenario expects no client FIN, but the server read one")
               : result(r, Verdict::conforms, "no client FIN, as expected");
  }
  // A FIN can only follow the whole request. When the request did not
  // arrive in full (the client aborted it, or deadlocked in the middle of
  // it), the missing or late FIN is a consequence: request-delivered and
  // honest-outcome judge the cause.
  const std::size_t want = f.m.server_must_receive ? f.m.server_must_receive->size() : 0;
  if (f.m.needs_client_fin && f.obs->received.size() < want &&
      (!f.obs->saw_client_fin || fin_only_when_client_gave_up(f))) {
    return result(r, Verdict::not_applicable,
                  "the request did not arrive in full (" +
                      std::to_string(f.obs->received.size()) + " of " +
                      std::to_string(want) +
                      " bytes, see request-delivered), so neither could the FIN after it");
  }
  if (f.m.needs_client_fin && !f.obs->saw_client_fin) {
    return result(r, Verdict::violates,
                  "the server read until the client's FIN and never saw it; the client " +
                      reported(f));
  }
  if (f.m.needs_client_fin && fin_only_when_client_gave_up(f)) {
    return result(r, Verdict::violates,
                  "the client's FIN reached the server only when it gave up: at +" +
                      measured_text(accept_delay(f) + f.obs->client_fin_at) +
                      ", at its timeout of " + format_duration(f.s.client_timeout) +
                      " (it " + reported(f) + " after " + measured_text(f.run.elapsed) +
                      "), not after sending its request");
  }
  // A client that reported failure has given up, and closing is then its
  // right: honest-outcome judges whether it should have given up.
  const bool reported_failure = f.finished && !f.success;
  if (f.m.client_must_wait_for_fin && !f.m.allows(Outcome::timed_out) &&
      f.obs->client_reset && !reported_failure) {
    return result(r, Verdict::violates,
                  "the client closed or reset the connection before it read the "
                  "server's reply (the server's write or read failed with a reset)");
  }
  if (!f.m.needs_client_fin && !f.m.client_must_wait_for_fin) {
    return result(r, Verdict::not_applicable,
                  "the script neither waits for the client's FIN nor lets it finish in order");
  }
  return result(r, Verdict::conforms,
                f.obs->saw_client_fin
                    ? "the server read the client's FIN at +" +
                          measured_text(f.obs->client_fin_at) +
                          " and the client kept its side open"
                    : "the client kept its side open until the server was done");
}

RuleResult response_delivered(const Facts& f) {
  const Rule r = Rule::response_delivered;
  if (!f.finished) {
    return result(r, Verdict::not_applicable, "the client " + reported(f));
  }
  if (f.success) {
    if (!f.m.allows_success()) {
      return result(r, Verdict::not_applicable,
                    "no orderly close to deliver (see honest-outcome)");
    }
    if (f.run.response == f.m.response) {
      return result(r, Verdict::conforms,
                    "delivered exactly the " + std::to_string(f.m.response.size()) +
                        " bytes the server wrote");
    }
    return result(r, Verdict::violates,
                  "reported success but " + describe_difference(f.m.response, f.run.response));
  }
  const bool prefix = f.m.response.starts_with(f.run.response);
  if (!f.m.allows_failure()) {
    return result(r, Verdict::violates,
                  "the server closed in order after " +
                      std::to_string(f.m.response.size()) + " bytes, but the client " +
                      reported(f) + " having delivered " +
                      std::to_string(f.run.response.size()));
  }
  if (f.m.prefix_on_failure && !prefix) {
    return result(r, Verdict::violates,
                  "bytes delivered that the server never wrote: " +
                      describe_difference(f.m.response, f.run.response));
  }
  return result(r, Verdict::not_applicable,
                "no orderly close; the " + std::to_string(f.run.response.size()) +
                    " bytes delivered are a prefix of what the server wrote");
}

RuleResult honest_outcome(const Facts& f) {
  const Rule r = Rule::honest_outcome;
  if (!f.finished) {
    return result(r, Verdict::not_applicable, "the client " + reported(f));
  }
  const std::string allowed = "allowed: " + outcomes_text(f.m.allowed);
  if (f.success) {
    if (f.m.allows_success()) {
      return result(r, Verdict::conforms, "reported success after an orderly close");
    }
    // Only bytes the server wrote can have come from what Wine showed it;
    // anything else is wrong on every platform.
    if (f.run.platform == ClientPlatform::wine && f.m.allows(Outcome::reset) &&
        f.m.response.starts_with(f.run.response)) {
      RuleResult hidden = result(
          r, Verdict::not_applicable,
          "unreachable under Wine: the server reset the connection, and Wine 8 reports an "
          "RST that arrives while no receive is pending as an orderly close (recv returns "
          "0, no error; docs/windows.md, divergence 1), so a success cannot be told from "
          "an honest reading of what the program was shown");
      hidden.unreachable_on_platform = true;
      return hidden;
    }
    // The last line of this connection's own reasoning: its conclusion.
    const std::size_t own = f.m.own_reasoning > 0 && f.m.own_reasoning <= f.m.reasoning.size()
                                ? f.m.own_reasoning
                                : f.m.reasoning.size();
    std::string why = own == 0 ? "" : " (" + f.m.reasoning[own - 1] + ")";
    return result(r, Verdict::violates,
                  "reported success, but a conforming client must report failure; " +
                      allowed + why);
  }
  if (f.m.allows_failure()) {
    std::string detail;
    if (f.run.outcome && !f.m.allows(*f.run.outcome)) {
      detail = " (as " + std::string(to_string(*f.run.outcome)) + "; " + allowed + ")";
    }
    return result(r, Verdict::conforms, "reported failure" + detail);
  }
  return result(r, Verdict::violates,
                "the client " + reported(f) +
                    ", but a conforming client sees an orderly close here: it must "
                    "report success; " + allowed);
}

RuleResult bounded(const Facts& f, const Model& first, std::optional<int> opened) {
  const Rule r = Rule::bounded;
  // Under Wine a blocking send under way when the RST arrives can stay
  // stuck (docs/windows.md, divergence 3): a client killed while its request
  // was still going out to a server that reset cannot be told from one
  // that hangs by its own fault.
  if (f.run.killed_at_deadline && f.run.platform == ClientPlatform::wine &&
      f.m.allows(Outcome::reset) && f.obs != nullptr &&
      f.obs->received.size() < f.s.request_bytes().size()) {
    RuleResult hidden = result(
        r, Verdict::not_applicable,
        "unreachable under Wine: killed at the deadline while its request was still "
        "going out to a server that reset the connection, and under Wine 8 a blocking "
        "send under way when an RST arrives can stay stuck (docs/windows.md, divergence 3)");
    hidden.unreachable_on_platform = true;
    return hidden;
  }
  if (f.run.killed_at_deadline) {
    return result(r, Verdict::violates,
                  "still running at the deadline (" + format_duration(f.m.max_duration) +
                      "): killed");
  }
  if (opened && *opened > first.max_connections) {
    const bool by_contract = first.max_connections == 1 + first.retries;
    return result(r, Verdict::violates,
                  "opened " + std::to_string(*opened) + " connections, but " +
                      (by_contract
                           ? "its retry contract (" + std::to_string(first.retries) +
                                 " retr" + (first.retries == 1 ? "y" : "ies") +
                                 ") allows at most " + std::to_string(first.max_connections) +
                                 " (declare the client's retries with --client-retries if "
                                 "it retries by design)"
                           : "the scenario allows at most " +
                                 std::to_string(first.max_connections) +
                                 " (expect connections)"));
  }
  if (f.success && !f.m.late_success.empty()) {
    return result(r, Verdict::violates,
                  "reported success after " + measured_text(f.run.elapsed) + ", but " +
                      f.m.late_success + ": with a " +
                      std::string(to_string(f.m.contract)) +
                      " timeout it must have given up first (declare the client's "
                      "timeout with --client-timeout if it is not " +
                      std::string(to_string(f.m.contract)) + ")");
  }
  if (f.run.elapsed > f.m.max_duration) {
    return result(r, Verdict::violates,
                  "took " + measured_text(f.run.elapsed) + ", limit " +
                      format_duration(f.m.max_duration));
  }
  return result(r, Verdict::conforms,
                "finished in " + measured_text(f.run.elapsed));
}

RuleResult survives_peer(const Facts& f) {
  const Rule r = Rule::survives_peer;
  if (f.run.signal != 0) {
    return result(r, Verdict::violates,
                  "died of signal " + std::to_string(f.run.signal) +
                      (f.run.signal == 13 ? " (SIGPIPE)" : ""));
  }
  return result(r, Verdict::conforms,
                f.run.in_process ? "in process: no crash" : "no death by signal");
}

RuleResult closes_once(const Facts& f) {
  const Rule r = Rule::closes_once;
  if (auto traced = traced_closes_once(f.run, f.obs)) return *traced;
  if (!f.run.in_process || f.run.close_calls < 0) {
    return result(r, Verdict::not_applicable, "observable only in process");
  }
  // The server may have accepted a connection whose connect() still failed
  // on the client's side (an RST racing the handshake): the client then
  // never held a connection, and had nothing to close.
  if (f.run.connections == 0) {
    return result(r, Verdict::not_applicable,
                  "the client never got a connection (its connect failed)");
  }
  if (f.obs == nullptr || !f.obs->accepted) {
    if (f.run.close_calls == 0) {
      return result(r, Verdict::not_applicable, "no connection was opened");
    }
  }
  const int expected = f.run.connections > 0 ? f.run.connections : 1;
  if (f.run.close_calls != expected) {
    return result(r, Verdict::violates,
                  "close() called " + std::to_string(f.run.close_calls) + " times for " +
                      std::to_string(expected) + " connection" + (expected == 1 ? "" : "s"));
  }
  if (f.run.calls_after_close > 0) {
    return result(r, Verdict::violates,
                  std::to_string(f.run.calls_after_close) + " calls after close()");
  }
  return result(r, Verdict::conforms, "closed exactly once, nothing after");
}

// Whether a violation is the kind a mishandled syscall produces: bytes lost
// or invented, or a failure reported where the exchange could succeed (an
// EINTR taken for fatal). A success reported where the client should have
// failed is a matter of timing or honesty, never of a short count.
bool could_follow_from_a_syscall(const Facts& f, const RuleResult& other) {
  if (other.verdict != Verdict::violates || other.follows_from) return false;
  switch (other.rule) {
    case Rule::request_delivered:
    case Rule::response_delivered: return true;
    case Rule::honest_outcome: return !f.success;
    default: return false;
  }
}

RuleResult syscall_robust(const Facts& f, const std::vector<RuleResult>& so_far) {
  const Rule r = Rule::syscall_robust;
  if (auto spin = traced_busy_loop(f.run)) return *spin;
  const bool injected = f.m.injects_faults && f.run.faults_injected > 0;
  // A scenario that injects faults is about them: without one injected, a
  // pass would read as "EINTR handled" (the short counts it may also cause
  // are still judged by request- and response-delivered).
  if (f.m.injects_faults && !injected) {
    std::string why = traced_not_injected(f.run, f.obs);
    if (why.empty()) {
      why = f.run.faults_injected < 0
                ? "the scenario's injections cannot be applied to this client over loopback"
                : "no call reached a scheduled fault";
    }
    return result(r, Verdict::not_applicable, "no syscall fault injected: " + why);
  }
  if (!f.m.stresses_syscalls && !injected) {
    return result(r, Verdict::not_applicable,
                  "no short sends, partial reads or injected faults happened");
  }
  const std::string what = std::string(f.m.stresses_syscalls ? "short sends / partial reads" : "") +
                           (f.m.stresses_syscalls && injected ? " and " : "") +
                           (injected ? std::to_string(f.run.faults_injected) +
                                           " injected syscall fault(s)"
                                     : "");
  for (const RuleResult& other : so_far) {
    if (could_follow_from_a_syscall(f, other)) {
      const std::string cause =
          injected ? traced_cause(f.run, other.rule, reported(f)) : std::string();
      return result(r, Verdict::violates,
                    "under " + what + ": " + std::string(to_string(other.rule)) + " failed" +
                        (cause.empty() ? "" : " (" + cause + ")"));
    }
  }
  const std::string summary = traced_summary(f.run);
  return result(r, Verdict::conforms,
                "under " + what + ": nothing lost, the outcome as expected" +
                    (summary.empty() ? "" : "; " + summary));
}

// The connections of one run: how many the client opened, and each one's
// model and observation. A connection beyond the retry contract (which
// bounded flags) is still judged by its own script, derived on demand.
class Connections {
 public:
  Connections(const Scenario& s, const Model& first, const ClientRun& run,
              const std::vector<ServerObservation>& observations)
      : s_(s), first_(first), run_(run), observations_(observations),
        opened(count(s, run, observations)), last(std::max(1, opened.value_or(1))) {}

  const Model& model_of(int n) const {
    if (const Model* m = first_.connection(n)) return *m;
    for (const auto& [number, m] : beyond_) {
      if (number == n) return m;
    }
    beyond_.emplace_back(n, derive_connection_model(s_, n, first_.windows, first_.contract));
    return beyond_.back().second;
  }

  const ServerObservation* observation_of(int n) const {
    for (const ServerObservation& o : observations_) {
      if (o.connection == n) return &o;
    }
    // Records made by hand may leave the number out; they are in order.
    const auto i = static_cast<std::size_t>(n - 1);
    return i < observations_.size() && observations_[i].connection == 0 ? &observations_[i]
                                                                        : nullptr;
  }

  // A rule about one connection (request-delivered, half-close), judged on
  // each connection the client opened, each by its own script: the first
  // violation, else the last conforming verdict, else the last's n/a. The
  // evidence names the connection when there were several.
  RuleResult each(const Facts& last_facts, RuleResult (*rule)(const Facts&)) const {
    if (last == 1) return rule(last_facts);
    std::optional<RuleResult> violated;
    std::optional<RuleResult> conformed;
    RuleResult at_last;
    for (int n = 1; n <= last; ++n) {
      // An earlier connection is one the client gave up for a retry.
      const Facts f = n == last ? last_facts
                                : Facts{s_, model_of(n), run_, observation_of(n), true, false, n};
      RuleResult r = rule(f);
      r.evidence = "connection " + std::to_string(n) + ": " + r.evidence;
      if (r.verdict == Verdict::violates && !violated) violated = r;
      if (r.verdict == Verdict::conforms) conformed = r;
      if (n == last) at_last = std::move(r);
    }
    if (violated) return *violated;
    if (conformed) return *conformed;
    return at_last;
  }

  // honest-outcome for the retries themselves: a retry after a connection
  // that could only end in order, or after reply bytes reached the client
  // (in process, where they are counted), replaces an outcome the client
  // owed its user; stopping short of `expect connections` gives up an
  // exchange its retries would have had.
  std::optional<RuleResult> retry_violation(const Facts& f) const {
    const Rule r = Rule::honest_outcome;
    for (int n = 1; n < last; ++n) {
      const std::string next = "then opened connection " + std::to_string(n + 1);
      const Model& m = model_of(n);
      if (!m.allows_failure()) {
        return result(r, Verdict::violates,
                      "connection " + std::to_string(n) +
                          " could only end in order (allowed: " + outcomes_text(m.allowed) +
                          "), but the client " + next +
                          ": it must report that exchange, not retry it");
      }
      const auto i = static_cast<std::size_t>(n - 1);
      if (i < run_.attempts.size() && run_.attempts[i].received > 0) {
        return result(r, Verdict::violates,
                      "the client received " + std::to_string(run_.attempts[i].received) +
                          " reply bytes on connection " + std::to_string(n) + " and " + next +
                          ": a client may retry only before any reply byte (a retry "
                          "repeats a request the server has begun to answer)");
      }
    }
    if (opened && f.finished && !f.success && last < first_.min_connections) {
      return result(r, Verdict::violates,
                    "the client " + reported(f) + " after " + std::to_string(last) +
                        " connection" + (last == 1 ? "" : "s") + ", but with " +
                        std::to_string(first_.retries) + " retr" +
                        (first_.retries == 1 ? "y" : "ies") +
                        " it must go on to connection " +
                        std::to_string(first_.min_connections) + " (expect connections)");
    }
    return std::nullopt;
  }

 private:
  // Connections opened, refused ones included: the client's own connect()
  // calls in process, else the server's records (none when it refused
  // them all by not listening, and so saw none of the attempts).
  static std::optional<int> count(const Scenario& s, const ClientRun& run,
                                  const std::vector<ServerObservation>& observations) {
    if (!run.attempts.empty()) return static_cast<int>(run.attempts.size());
    if (!run.in_process && refuses_every_connection(s)) return std::nullopt;
    return static_cast<int>(observations.size());
  }

  const Scenario& s_;
  const Model& first_;
  const ClientRun& run_;
  const std::vector<ServerObservation>& observations_;
  mutable std::deque<std::pair<int, Model>> beyond_;

 public:
  const std::optional<int> opened;
  const int last;  // the connection whose outcome the client reported
};

// The root cause first: a client whose FIN never came, or came only when
// it gave up, starved a server that waits for it, so the missing reply,
// the failure it then reported and a hang are consequences of half-close.
void mark_consequences(const Facts& f, std::vector<RuleResult>& rules) {
  const auto find = [&](Rule r) {
    return std::find_if(rules.begin(), rules.end(),
                        [r](const RuleResult& x) { return x.rule == r; });
  };
  const auto hc = find(Rule::half_close);
  if (hc == rules.end() || hc->verdict != Verdict::violates || !f.m.needs_client_fin) {
    return;
  }
  for (Rule consequence :
       {Rule::response_delivered, Rule::honest_outcome, Rule::bounded}) {
    const auto it = find(consequence);
    if (it == rules.end() || it->verdict != Verdict::violates) continue;
    RuleResult& other = *it;
    other.follows_from = Rule::half_close;
    other.evidence += " (a consequence of half-close: the server was waiting for the "
                      "client's FIN)";
  }
}

}  // namespace

std::vector<const RuleResult*> violations_cause_first(const std::vector<RuleResult>& rules) {
  std::vector<const RuleResult*> out;
  for (const bool consequences : {false, true}) {
    for (const RuleResult& rr : rules) {
      if (rr.verdict == Verdict::violates && rr.follows_from.has_value() == consequences) {
        out.push_back(&rr);
      }
    }
  }
  return out;
}

std::vector<RuleResult> judge(const Scenario& scenario, const Model& model,
                              const ClientRun& run,
                              const std::vector<ServerObservation>& observations) {
  const bool finished = !run.killed_at_deadline && run.signal == 0;
  const bool success = run.in_process
                           ? (run.outcome && *run.outcome == Outcome::closed)
                           : run.reported_success;
  const Connections c(scenario, model, run, observations);
  const Facts f{scenario, c.model_of(c.last), run, c.observation_of(c.last),
                finished, finished && success, c.last};
  std::vector<RuleResult> out;
  out.push_back(c.each(f, request_delivered));
  out.push_back(c.each(f, half_close));
  out.push_back(response_delivered(f));
  RuleResult honest = honest_outcome(f);
  if (honest.verdict != Verdict::violates) {
    if (std::optional<RuleResult> retry = c.retry_violation(f)) honest = std::move(*retry);
  }
  out.push_back(std::move(honest));
  out.push_back(bounded(f, model, c.opened));
  out.push_back(survives_peer(f));
  out.push_back(closes_once(f));
  mark_consequences(f, out);
  out.push_back(syscall_robust(f, out));
  return out;
}

}  // namespace sockcheck
