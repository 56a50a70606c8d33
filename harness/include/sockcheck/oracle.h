// The oracle: what a conforming client must do against a scenario, and a
// verdict per conformance rule for one run.
//
// Theory of operation. derive_model() reads the plan of a connection's
// script (script_plan.h) the way TCP will play it out — how much of the request
// the server reads, whether it needs the client's FIN, which bytes it
// writes, when its FIN (or RST) leaves, whether a close will turn into an
// RST because request bytes are still unread — and produces a Model: the
// set of outcomes a conforming client may report, the bytes it must
// deliver on success, what the server must receive, and how long the client
// may take. Where real TCP allows more than one ending (a close that races
// the request, an RST after a half-close, a FIN due right at the client's
// timeout) the model allows each of them rather than guessing. Scenario
// `expect` lines then narrow or add to what was derived. For a client that
// may retry (its retry contract), every connection it may open gets such a
// model from its own script, and the client's final outcome is judged by
// the model of the last connection it opened.
//
// judge() compares one run — what the client reported (ClientRun) and what
// the server saw (ServerObservation) — with the model, rule by rule:
// conforms, violates (with the evidence), or not applicable. The same
// oracle judges in-process runs on the simulated transport, in-process runs
// over loopback, external programs, and fuzz runs. The rules are defined in
// docs/conformance.md.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sockcheck/client.h"
#include "sockcheck/observation.h"
#include "sockcheck/scenario.h"
#include "sockcheck/syscall_trace.h"

namespace sockcheck {

enum class Rule {
  request_delivered,
  half_close,
  response_delivered,
  honest_outcome,
  bounded,
  survives_peer,
  closes_once,
  syscall_robust,
};
inline constexpr std::array<Rule, 8> kAllRules{
    Rule::request_delivered, Rule::half_close,    Rule::response_delivered,
    Rule::honest_outcome,    Rule::bounded,       Rule::survives_peer,
    Rule::closes_once,       Rule::syscall_robust};

enum class Verdict { conforms, violates, not_applicable };

// What the client under test promises about time: its timeout contract.
//  - total: one deadline for the whole exchange, from the connect (the
//    reference client; `{timeout_ms}` in a command);
//  - idle: the timer restarts whenever something arrives (nc -w, socat -T,
//    ncat -i), so a trickle with short gaps may take longer than the
//    timeout and still succeed;
//  - none: no timeout; the client waits as long as the server keeps the
//    connection open, and only a hang (killed at the deadline) fails it.
// docs/conformance.md explains how each changes the verdicts.
enum class TimeoutContract { total, idle, none };
[[nodiscard]] std::string_view to_string(TimeoutContract c) noexcept;
// "total" / "idle" / "none"; nullopt for anything else.
[[nodiscard]] std::optional<TimeoutContract> parse_timeout_contract(std::string_view text);

[[nodiscard]] std::string_view to_string(Rule r) noexcept;
[[nodiscard]] std::string_view to_string(Verdict v) noexcept;

// How far `recv-buffer` sizes can be trusted. The simulator's receive
// window is exactly the size the script asks for; the kernel rounds it up
// (Linux doubles it, with a minimum of a few KiB), so over loopback a
// client may get its request out sooner than the script's size implies.
// With `exact` the model times the client's half-close by the window;
// with `at_least` a late one only adds timing out to what is allowed.
enum class WindowModel { exact, at_least };

// What a conforming client must do in one scenario.
struct Model {
  // Outcomes a conforming client may report. Success is Outcome::closed;
  // external programs only say success or failure, and any failure outcome
  // in this set allows a failure.
  std::vector<Outcome> allowed;
  // On success the client must deliver exactly these bytes.
  std::string response;
  // On failure, what it delivered must be a prefix of `response` (it may
  // never invent bytes); true unless an `expect response` says otherwise.
  bool prefix_on_failure = true;
  // The bytes the server must have received (a prefix of the request when
  // the script reads only part of it); nullopt when the script reads none.
  std::optional<std::string> server_must_receive;
  // The script waits for the client's FIN (read until-fin, or reads more
  // than the request) before the client's deadline.
  bool needs_client_fin = false;
  // The client's FIN must not arrive (`expect client-fin no`).
  bool forbids_client_fin = false;
  // A successful outcome is possible, so the client must keep its side of
  // the connection open until it has read the server's FIN.
  bool client_must_wait_for_fin = false;
  // The script makes the client's calls come back short (short sends
  // behind a small receive buffer, partial reads of a chunked write).
  bool stresses_syscalls = false;
  // The scenario injects EINTR / EAGAIN / short counts (`inject` lines):
  // syscall-robust applies where the run says they were injected
  // (ClientRun::faults_injected).
  bool injects_faults = false;
  // The timeout contract the model was derived for.
  TimeoutContract contract = TimeoutContract::total;
  // Non-empty when an orderly close reaches the client only after its
  // timeout (by its contract) has run out: a client that then reports
  // success kept waiting past its timeout, which bounded flags (the outcome
  // itself is honest). Says why.
  std::string late_success;
  // The client must have finished by then (its timeout plus slack).
  Duration max_duration{};
  // Why: one line per derivation step, for reports ("close with 9 unread
  // request bytes: RST likely, FIN possible"). The first `own_reasoning`
  // lines are this connection's; the rest, prefixed "connection N: ",
  // describe the later connections a retrying client may open.
  std::vector<std::string> reasoning;
  std::size_t own_reasoning = 0;
  // How the model was derived (for a later connection derived on demand).
  WindowModel windows = WindowModel::at_least;
  // The retry contract: the client may open up to 1 + retries connections,
  // a new one only after the last one failed before any reply byte reached
  // it, and it reports the outcome of the last one. 0: it never retries.
  int retries = 0;
  // The models of connections 2 .. 1 + retries, in order, each derived
  // from that connection's script as this one is from connection 1's, on a
  // total timeout with what is left once the connections before it failed
  // at the soonest. Empty when the client never retries; fewer when a
  // connection cannot begin before the timeout.
  std::vector<Model> later;
  // The client must open at least / at most this many connections: its
  // retry contract, narrowed by `expect connections`.
  int min_connections = 1;
  int max_connections = 1;

  // The model of the n-th connection (1-based): this one for 1, else from
  // `later`; nullptr beyond it.
  [[nodiscard]] const Model* connection(int n) const;
  [[nodiscard]] bool allows(Outcome o) const;
  [[nodiscard]] bool allows_success() const { return allows(Outcome::closed); }
  [[nodiscard]] bool allows_failure() const;
};


// `retries`: the client's retry contract (Model::retries).
Model derive_model(const Scenario& scenario,
                   WindowModel windows = WindowModel::at_least,
                   TimeoutContract contract = TimeoutContract::total,
                   int retries = 0);
// The model of connection `n` alone, as if the client began it at its
// start (for a connection beyond the retry contract, which the judge then
// still judges by its script).
Model derive_connection_model(const Scenario& scenario, int n, WindowModel windows,
                              TimeoutContract contract);

// Timings within this margin of the client's timeout may go either way on
// a real machine (100 ms plus a tenth of the timeout), so the model allows
// both endings there.
[[nodiscard]] Duration timing_margin(const Scenario& scenario);
// Outcomes as scenarios spell them, joined by '|' ("closed|reset").
[[nodiscard]] std::string outcomes_text(const std::vector<Outcome>& outcomes);

// Where the client ran. Under Wine some of what the peer did cannot reach
// the program as it would on Windows or Linux (docs/windows.md), and the
// verdicts that depend on it are n/a there.
enum class ClientPlatform { native, wine };
// One connect() of an in-process client.
struct ConnectAttempt {
  bool connected = false;       // it returned a connection
  std::uint64_t received = 0;   // reply bytes recv() returned on it
};

// What the harness observed of the client in one run.
struct ClientRun {
  ClientPlatform platform = ClientPlatform::native;
  bool in_process = false;
  // In process: the outcome the client reported. External programs only
  // report success (exit 0) or failure.
  std::optional<Outcome> outcome;
  bool reported_success = false;
  std::string response;            // bytes delivered (stdout for programs)
  Duration elapsed{};              // from start to the client's return/exit
  bool killed_at_deadline = false; // the harness had to stop it
  int signal = 0;                  // it died of this signal (not ours)
  std::optional<int> exit_status;  // programs
  // Counted through the seam in process, from the interposer's trace for
  // a program (-1 unknown: a program run without it).
  int close_calls = -1;            // close() calls
  int connections = -1;            // connections it opened
  int calls_after_close = -1;      // calls after close()
  int sends_after_shutdown = -1;   // send() after shutdown_write() / SHUT_WR
  // Syscall faults (EINTR, EAGAIN, short counts) really injected into the
  // client's calls in this run: by the simulator in process, by the
  // interposer for a program (the injections its trace records, never the
  // scheduled ones it skipped); -1 when no executor could inject them (a
  // program run without the interposer, or one it could not reach).
  int faults_injected = -1;
  // A program run with the interposer: its socket calls and the faults
  // injected or skipped (syscall_trace.h).
  std::optional<SyscallTrace> syscalls;
  std::string diagnostics;         // stderr of a program, error text
  // In process: every connect() the client made, in order, refused ones
  // included (their numbers are the server's connection numbers). Empty
  // when unknown: for programs the server's observations count them.
  std::vector<ConnectAttempt> attempts;
};

struct RuleResult {
  Rule rule = Rule::honest_outcome;
  Verdict verdict = Verdict::not_applicable;
  std::string evidence;  // why, with expected vs observed for violations
  // A violation that is a consequence of another rule's violation in the
  // same run (a reply missing because the client never half-closed): the
  // other rule is the root cause, reported first.
  std::optional<Rule> follows_from = std::nullopt;
  // n/a only because the client's platform hides what the verdict needs
  // (the evidence names the divergence); reports count these apart.
  bool unreachable_on_platform = false;
};

// Judges every rule in kAllRules order. `observations` are the server's
// records, one per connection in order (an empty list means the client
// never connected). Each connection the client opened is judged by its
// own script where the rule is about that connection (request-delivered,
// half-close), the outcome by the last connection's (response-delivered,
// honest-outcome), and the number of connections by the retry contract
// (bounded: too many; honest-outcome: a retry it must or must not make).
std::vector<RuleResult> judge(const Scenario& scenario, const Model& model,
                              const ClientRun& run,
                              const std::vector<ServerObservation>& observations);

// The violated rules among `rules`, root causes first (in rule order), then
// the violations that follow from them (RuleResult::follows_from).
std::vector<const RuleResult*> violations_cause_first(const std::vector<RuleResult>& rules);

// A short, readable rendering of bytes for evidence: printable ASCII as is,
// escapes for the rest, cut in the middle beyond `max` characters.
std::string quote_bytes(std::string_view bytes, std::size_t max = 60);
// Where two byte strings first differ, for evidence ("differs at byte 17:
// expected 'x...', got 'y...'", or "is a 12-byte prefix of the 17 bytes").
std::string describe_difference(std::string_view expected,
                                std::string_view got);

}  // namespace sockcheck
