// The plan of one connection's script: what a scenario's server does on
// the n-th connection, resolved once, so that every part that must agree
// on it reads the same answer.
//
// Theory of operation. A parsed Scenario keeps what the author wrote; the
// meaning of a script takes a few rules on top of that: a script starts
// with an implicit `accept` and ends with an implicit `close` unless it
// says otherwise; a script whose first step is `refuse` (or a connection
// no script covers) is refused; `recv-buffer` at the start of a script is
// in force from the first byte; a read or write is cut into pieces of
// `chunk` bytes with a pause of `gap` between them; and where each step may
// stand. Those rules are written here and nowhere else. Their readers:
//
//   the simulated transport   executes the plan on virtual time;
//   the loopback server       executes the plan on a real socket;
//   the oracle                derives what a conforming client must do
//                             from the plan's timeline;
//   the scenario parser and   accept or reject a step by the placement
//   the fault-schedule decoder rules (Placement, below).
//
// A plan holds pointers into the Scenario it was made from (the written
// steps); it must not outlive it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sockcheck/scenario.h"

namespace sockcheck {

// ------------------------------------------------------------ placement

// Where a script is, step by step, for the placement rules: `accept` and
// `refuse` only first (`refuse` alone), `recv-buffer` only first or right
// after `accept`, no `write` or second `half-close` after `half-close`,
// nothing after `close`, `reset`, `hang` or `refuse`.
struct Placement {
  std::size_t steps = 0;        // steps placed so far
  bool only_accept = false;     // ... and they are exactly one `accept`
  bool half_closed = false;
  std::optional<Step::Kind> ended_by;  // refuse, close, reset or hang
  std::string ended_by_word;    // how the script spelled it

  // Why `kind` cannot come next (spelled `word` in the script, by default
  // as to_string(kind) spells it), or nullopt if it can.
  [[nodiscard]] std::optional<std::string> error(Step::Kind kind,
                                                 std::string_view word = {}) const;
  // Records that `kind` (spelled `word`) came next; error() was nullopt.
  void place(Step::Kind kind, std::string_view word = {});
  // Every kind that may come next, in Step::Kind order.
  [[nodiscard]] std::vector<Step::Kind> allowed() const;
};

// True for the steps after which a script has nothing more to do.
[[nodiscard]] bool ends_script(Step::Kind kind) noexcept;

// The first step of `script` that the placement rules reject, and why.
struct PlacementError {
  std::size_t index = 0;  // into script.steps
  std::string message;
};
[[nodiscard]] std::optional<PlacementError> validate(const ConnectionScript& script);

// --------------------------------------------------------------- pieces

// How a read or write is cut: pieces of `chunk` bytes (0: one piece),
// counted from the start of the step, `gap` apart. A piece is whole before
// its pause, however the bytes happened to arrive, so the pauses depend on
// the script alone (docs/scenario-language.md, "Pieces").
struct PieceCut {
  std::uint64_t chunk = 0;
  Duration gap{};

  // Whether the step pauses between pieces at all. Without a gap, pieces
  // of a write still leave separately; a read's pieces do not matter.
  [[nodiscard]] bool pauses() const noexcept {
    return chunk > 0 && gap > Duration::zero();
  }
  // The end of the piece that byte `at` of the step lies in, at most
  // `total`.
  [[nodiscard]] std::uint64_t piece_end(std::uint64_t at,
                                        std::uint64_t total) const noexcept;
  // How many pieces `bytes` are cut into (at least 1).
  [[nodiscard]] std::uint64_t pieces(std::uint64_t bytes) const noexcept;
  // A write of `bytes`: its pauses, one between each two pieces.
  [[nodiscard]] Duration write_pauses(std::uint64_t bytes) const noexcept;
  // A reader that takes `bytes` and then looks for more (the FIN) pauses
  // after every whole piece.
  [[nodiscard]] Duration read_pauses(std::uint64_t bytes) const noexcept;
  // After `done` bytes of a read, whether a pause comes before the next.
  [[nodiscard]] bool pause_after(std::uint64_t done) const noexcept {
    return pauses() && done > 0 && done % chunk == 0;
  }
  // How many of `bytes` a read that starts at `start` has taken by `by`
  // (piece k is taken at start + k * gap). A piece due exactly at `by`
  // counts.
  [[nodiscard]] std::uint64_t read_by(Duration start, std::uint64_t bytes,
                                      Duration by) const noexcept;
};

// ------------------------------------------------------------------ plan

// One step of the plan.
struct PlanStep {
  Step::Kind kind = Step::Kind::close;
  const Step* step = nullptr;  // the written step, or a shared implicit one
  bool implicit = false;       // the implicit accept or close
  std::size_t written = 0;     // its index in the script (not implicit)
  // How messages name it: "step 2 (write) at line 7", "implicit close".
  // Made when asked for: a plan is made per connection, and most runs
  // never print a label.
  [[nodiscard]] std::string label() const;
  PieceCut cut;                // read, read until-fin and write
  // A FIN leaves right after this step (the next one is close or
  // half-close), so a write may hold its last piece back for the FIN to
  // ride on.
  bool fin_follows = false;
};

struct ScriptPlan {
  enum class Refusal {
    none,
    no_script,  // no script covers the connection
    refuse,     // its script is `refuse`
  };
  // The script's last step, or what the script ends in when it has none.
  enum class Terminal { close, reset, hang };

  int connection = 0;
  const ConnectionScript* script = nullptr;
  Refusal refusal = Refusal::none;
  Duration accept_delay{};
  // Accept first, the step that ends the script last; empty if refused.
  std::vector<PlanStep> steps;
  // A `recv-buffer` at the start: the server's receive buffer from the
  // first byte on.
  std::optional<std::uint64_t> initial_window;
  Terminal terminal = Terminal::close;
  // Set when a step breaks the placement rules (a script built in code;
  // the parser rejects such files): "step 3 (write): 'write' after
  // 'close' ...". Executors fail the connection right after accepting it.
  std::string invalid;

  [[nodiscard]] bool refused() const noexcept { return refusal != Refusal::none; }
};

// The plan for the `connection`-th connection (1-based) of `scenario`.
[[nodiscard]] ScriptPlan plan_connection(const Scenario& scenario, int connection);

// True when no script serves any connection (every script is `refuse`):
// then a server may refuse them all for real, as the loopback server does
// by never listening. Otherwise a refused connection before a served one
// can only be accepted and reset over real TCP, and the oracle allows
// that ending too.
[[nodiscard]] bool refuses_every_connection(const Scenario& scenario) noexcept;

// The smallest `recv-buffer` of any script (a listening socket passes it
// to every accepted socket before the handshake), if any script has one.
[[nodiscard]] std::optional<std::uint64_t> smallest_initial_window(
    const Scenario& scenario);

// The label of written step `index` (0-based) of `script`, as PlanStep
// names it.
[[nodiscard]] std::string step_label(const Step& step, std::size_t index);

}  // namespace sockcheck
