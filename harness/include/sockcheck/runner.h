// The runner: one scenario, one client under test, one transport, judged.
//
// Theory of operation. run_scenario() sets up the server side — the
// simulated transport (in memory, virtual time) or the loopback server (real
// TCP on 127.0.0.1) — runs the client under test against it, lets the
// server's scripts finish, and hands what both sides saw to the oracle
// (oracle.h). Clients under test come in three kinds, behind one interface:
//
//   reference_client()   the project's own client, in process (sim or tcp);
//   function_client()    a user's C++ client, in process, written against
//                        the seam (sockcheck/io.h) so it runs on both;
//   program_client()     any unmodified program over loopback: the request
//                        on its stdin, the response from its stdout, exit
//                        status 0 meaning "I saw an orderly close".
//
// In process, every connection handed to the client is wrapped to count
// close() calls and calls after close (closes-once); programs are killed at
// the scenario's deadline and their wait status is kept (bounded,
// survives-peer). A program's process group dies with it: whatever it left
// running in the group is killed when it exits (docs/cli.md says what can
// escape).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sockcheck/client.h"
#include "sockcheck/observation.h"
#include "sockcheck/oracle.h"
#include "sockcheck/scenario.h"

namespace sockcheck {

enum class TransportKind { sim, tcp };
[[nodiscard]] std::string_view to_string(TransportKind t) noexcept;

// What a client under test gets for one run.
struct RunContext {
  const Scenario& scenario;
  std::string request;         // the bytes to send
  Duration timeout{};          // the client's timeout (the scenario's)
  Endpoint endpoint;           // where to connect (tcp: the loopback server)
  Transport* transport = nullptr;  // in process: the transport to use
};

class ClientUnderTest {
 public:
  virtual ~ClientUnderTest() = default;
  // A short name for reports ("reference", "nc -N", ...).
  [[nodiscard]] virtual std::string name() const = 0;
  [[nodiscard]] virtual bool in_process() const = 0;
  // Runs the client once. In process it must use ctx.transport; a program
  // connects to ctx.endpoint. `elapsed` is filled in by the runner.
  virtual ClientRun run(RunContext& ctx) = 0;
};

// The reference client (client.h), in process, with ClientOptions::retries
// = `retries` (0: it never retries).
std::unique_ptr<ClientUnderTest> reference_client(int retries = 0);

// A user's own client, in process. It must open connections through the
// given transport (never the OS directly) so that it runs on the simulated
// transport too, and report honestly whether it saw an orderly close.
struct UserClientResult {
  bool success = false;           // saw the server's orderly close
  std::string response;           // the bytes it delivered
  std::optional<Outcome> outcome; // optional detail for reports
};
using ClientFunction = std::function<UserClientResult(
    Transport& transport, const Endpoint& server, std::string_view request,
    Duration timeout)>;
std::unique_ptr<ClientUnderTest> function_client(std::string name,
                                                 ClientFunction fn);

// Any program, over loopback. `command` is a template: the placeholders
// {host}, {port}, {timeout_ms} and {timeout_s} are substituted (timeout_s
// rounded up to whole seconds, at least 1). Without `shell` the template is
// split into words like a shell would (single and double quotes, backslash
// escapes; no expansions) and run directly; with `shell` it is run by
// /bin/sh -c after substitution.
// `interposer` is the path of libsockcheck_preload.so: when set, the
// program runs with it preloaded (docs/interposer.md), the scenario's
// `inject` lines apply to it at `fault_level`, and its socket calls are
// traced into ClientRun::syscalls. default_interposer() finds the library
// installed or built next to the running executable.
struct ProgramOptions {
  std::string command;
  bool shell = false;
  std::string interposer{};
  FaultLevel fault_level = FaultLevel::realistic;
  // Without an interposer: why not ("disabled by --no-interposer"). When
  // set, the syscall-fault verdicts are n/a with this reason instead of
  // judging faults that were never injected.
  std::string no_interposer_reason{};
};
// libsockcheck_preload.so next to the running executable (build tree:
// ../preload/, install: ../lib*/sockcheck/), or $SOCKCHECK_PRELOAD_LIB;
// "" if there is none.
std::string default_interposer();
// Checks the template (non-empty, balanced quotes); on error returns
// nullptr and sets `error`.
std::unique_ptr<ClientUnderTest> program_client(const ProgramOptions& options,
                                                std::string* error);

// Splits a command template into words (exposed for tests and for usage
// errors); nullopt on unbalanced quotes.
std::optional<std::vector<std::string>> split_command(std::string_view command);
// Substitutes {host} {port} {timeout_ms} {timeout_s} in `text`.
std::string substitute_placeholders(std::string_view text, const Endpoint& to,
                                    Duration timeout);

struct RunOptions {
  TransportKind transport = TransportKind::sim;
  // Replaces the scenario's client timeout (and so its deadline).
  std::optional<Duration> timeout;
  // Replaces the scenario's seed.
  std::optional<std::uint64_t> seed;
  // Keep the simulated transport's trace in the result (for reports).
  bool keep_trace = false;
  // The client's timeout contract, which the model is derived for
  // (oracle.h). The reference client's is total.
  TimeoutContract contract = TimeoutContract::total;
  // The client's retry contract (oracle.h, Model::retries): how many more
  // connections it may open after one that failed before any reply. Give
  // the reference client the same count (reference_client(retries)).
  int retries = 0;
};

struct ScenarioRun {
  Scenario scenario;          // as run (timeout/seed overrides applied)
  TransportKind transport = TransportKind::sim;
  Model model;
  ClientRun client;
  std::vector<ServerObservation> observations;
  std::vector<RuleResult> rules;  // kAllRules order; empty if `error`
  Duration wall_time{};           // real time the run took
  std::string trace;              // sim trace when asked for
  std::string error;              // the harness could not run it (why)

  // No rule violated and no harness error.
  [[nodiscard]] bool passed() const;
  [[nodiscard]] const RuleResult* rule(Rule r) const;
  // The violated rules, in order.
  [[nodiscard]] std::vector<const RuleResult*> violations() const;
};

// Runs `scenario` once against `client`. A program client on the sim
// transport is an error (reported in ScenarioRun::error).
ScenarioRun run_scenario(const Scenario& scenario, ClientUnderTest& client,
                         const RunOptions& options);

}  // namespace sockcheck
