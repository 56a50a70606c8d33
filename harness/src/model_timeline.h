// The timeline of a script as TCP plays it out against a conforming client:
// the first half of derive_model() (model.cc holds the second, which turns
// the timeline into allowed outcomes).
//
// Theory of operation. The timeline walks the connection's plan
// (script_plan.h) one step at a time, with one small function per kind of
// step, keeping the server's clock `t` (since the client's connect) and
// what the script has done by then: how much of the request it has read,
// when its FIN leaves, from when it needs the client's FIN, which bytes it
// wrote before its FIN, the receive window a `recv-buffer` set, and when
// the client can have its whole request out. It stops where the script
// ends: at its terminal step, or where the script would be torn down with
// RST (it fails, or reaches the scenario's deadline). Piece arithmetic is
// the plan's (PieceCut); nothing here re-derives a rule of the script.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sockcheck/scenario.h"
#include "sockcheck/script_plan.h"

namespace sockcheck::model {

// Something the server does that a client waiting on its socket can notice:
// data or its FIN arriving (`delivers`), or the server reading request
// bytes, which lets a client blocked in send() go on. From `from` to `to`,
// with at most `inner_gap` between its pieces.
struct Activity {
  Duration from{};
  Duration to{};
  Duration inner_gap{};
  bool delivers = false;
};

struct Timeline {
  Duration t{};                // the server's clock
  std::uint64_t consumed = 0;  // request bytes the server has read
  std::optional<Duration> fin_at;        // the server's FIN (half-close)
  std::optional<Duration> needs_fin_at;  // from then on it needs the client's
  // The receive window a `recv-buffer` set (0: none). A script that stops
  // reading with more than this left keeps the client from finishing.
  std::uint64_t window = 0;
  // When the client can have all of its request out (and so half-close):
  // once no more of it is unread than the window holds.
  std::optional<Duration> sendable_at;
  // The script fails or meets the deadline, and is torn down with RST.
  bool aborted = false;
  ScriptPlan::Terminal terminal = ScriptPlan::Terminal::close;
  std::string response;        // bytes written before the server's FIN
  std::vector<Activity> activity;  // in time order (for idle timeouts)
  bool stresses_syscalls = false;  // short sends or partial reads happen
  std::vector<std::string> reasoning;
};

// The longest time without activity from the connect to `until`: counting
// only what reaches the client (`count_reads` false) or the server's reads
// too. What an idle timer that restarts on such activity measures.
Duration longest_silence(const Timeline& tl, Duration until, bool count_reads);

// Plays `plan` out for `scenario` (whose request is `request`).
Timeline play(const Scenario& scenario, const ScriptPlan& plan,
              const std::string& request);

}  // namespace sockcheck::model
