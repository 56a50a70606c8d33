// derive_model(): from the timeline of each connection's plan
// (model_timeline.h) to what a conforming client may report. See oracle.h
// and docs/conformance.md.
//
// Three passes, each a function below: how the script ends (close, reset,
// hang, a close that an unread request turns into RST) gives the endings
// TCP allows; the client's timeout removes or adds endings by when they
// come; the scenario's `expect` lines narrow or replace the result. A
// client that may retry gets one such model per connection it may open.
#include <algorithm>
#include <chrono>

#include "model_timeline.h"
#include "sockcheck/oracle.h"
#include "sockcheck/script_plan.h"
#include "sockcheck/units.h"

namespace sockcheck {

bool Model::allows(Outcome o) const {
  return std::find(allowed.begin(), allowed.end(), o) != allowed.end();
}

bool Model::allows_failure() const {
  return std::any_of(allowed.begin(), allowed.end(),
                     [](Outcome o) { return o != Outcome::closed; });
}

std::string outcomes_text(const std::vector<Outcome>& outcomes) {
  std::string s;
  for (Outcome o : outcomes) {
    if (!s.empty()) s += '|';
    s += to_string(o);
  }
  return s.empty() ? "(none)" : s;
}

std::string_view to_string(TimeoutContract c) noexcept {
  switch (c) {
    case TimeoutContract::total: return "total";
    case TimeoutContract::idle: return "idle";
    case TimeoutContract::none: return "none";
  }
  return "unknown";
}

std::optional<TimeoutContract> parse_timeout_contract(std::string_view text) {
  for (TimeoutContract c :
       {TimeoutContract::total, TimeoutContract::idle, TimeoutContract::none}) {
    if (text == to_string(c)) return c;
  }
  return std::nullopt;
}

Duration timing_margin(const Scenario& s) {
  return std::chrono::milliseconds(100) + s.client_timeout / 10;
}

namespace {

using model::Timeline;
using Terminal = ScriptPlan::Terminal;

void allow(Model& m, Outcome o) {
  if (!m.allows(o)) m.allowed.push_back(o);
}

void disallow(Model& m, Outcome o) {
  m.allowed.erase(std::remove(m.allowed.begin(), m.allowed.end(), o),
                  m.allowed.end());
}

// What the script's ending allows, before the clock is looked at.
void allow_by_ending(const Timeline& tl, const std::string& request, Model& m) {
  auto note = [&](std::string line) { m.reasoning.push_back(std::move(line)); };
  const Duration end = tl.t;
  switch (tl.terminal) {
    case Terminal::reset:
      if (tl.fin_at) {
        note("RST at +" + format_duration(end) +
             " after a FIN: the client may have finished first");
        m.allowed = {Outcome::closed, Outcome::reset};
      } else {
        note("the server resets at +" + format_duration(end) +
             ": the client must report failure");
        m.allowed = {Outcome::reset};
      }
      return;
    case Terminal::hang:
      if (tl.fin_at && tl.consumed < request.size() &&
          (tl.window == 0 || request.size() - tl.consumed <= tl.window)) {
        // Once the client's FIN arrives the hang is over and the socket is
        // closed, with request bytes unread: the kernel sends RST. (A
        // client stuck behind a small window never gets its FIN out.)
        note("the server hangs after its FIN with " +
             std::to_string(request.size() - tl.consumed) +
             " unread request bytes: the client can finish, or see the RST "
             "that closing with them unread sends");
        m.allowed = {Outcome::closed, Outcome::reset};
      } else if (tl.fin_at) {
        note("the server hangs after its FIN: the client can finish");
        m.allowed = {Outcome::closed};
      } else {
        note("the server never sends FIN: the client must time out");
        m.allowed = {Outcome::timed_out};
      }
      return;
    case Terminal::close:
      if (tl.consumed < request.size()) {
        note("close with " + std::to_string(request.size() - tl.consumed) +
             " unread request bytes at +" + format_duration(end) +
             ": the kernel sends RST; FIN wins only if it is read first");
        m.allowed = {Outcome::closed, Outcome::reset};
      } else {
        note("orderly close at +" + format_duration(tl.fin_at.value_or(end)) +
             ": the client must succeed with exactly the bytes written");
        m.allowed = {Outcome::closed};
      }
      return;
  }
}

// When an ending at `at` comes by the client's timer, at the latest and at
// the soonest: for a total timeout the time since the connect, plus
// `offset`, the time the client spent on earlier connections; for an idle
// one the longest silence before it, counting the server's reads as
// activity (a client blocked in send() moves on) or not (a client whose
// timer restarts only on what it receives). nullopt: no timer at all.
struct OnTheClock {
  Duration least{};
  Duration most{};
};
std::optional<OnTheClock> on_the_clock(TimeoutContract c, const Timeline& tl,
                                       Duration at, Duration offset) {
  switch (c) {
    case TimeoutContract::total: return OnTheClock{offset + at, offset + at};
    case TimeoutContract::idle:
      return OnTheClock{model::longest_silence(tl, at, true),
                        model::longest_silence(tl, at, false)};
    case TimeoutContract::none: return std::nullopt;
  }
  return std::nullopt;
}

std::string clock_text(TimeoutContract c, Duration on_clock, Duration timeout) {
  if (c == TimeoutContract::idle) {
    return "after a silence of " + format_duration(on_clock) +
           ", longer than the client's idle timeout of " + format_duration(timeout);
  }
  return "after the client's total timeout of " + format_duration(timeout);
}

// The clock: an ending due after the client's timeout (by its contract)
// comes after the client has given up; one due close to it may go either
// way. The client can close in order once it has the server's FIN and has
// sent all of its request; an RST reaches it when the script ends. An
// orderly close after the timeout stays an honest success, but one the
// client should not have waited for (Model::late_success, judged by
// bounded).
void apply_the_clock(const Scenario& s, const Timeline& tl,
                     const std::string& request, bool exact_window,
                     TimeoutContract contract, Duration offset, Model& m) {
  auto note = [&](std::string line) { m.reasoning.push_back(std::move(line)); };
  const Duration timeout = s.client_timeout;
  const Duration margin = timing_margin(s);
  const Duration end = tl.t;
  Duration closed_at = tl.fin_at.value_or(end);
  if (exact_window && tl.sendable_at && *tl.sendable_at > closed_at) {
    closed_at = *tl.sendable_at;
    note("the client can have its whole request out at +" +
         format_duration(*tl.sendable_at) + " (the script drains the " +
         std::to_string(tl.window) + "-byte receive buffer that slowly)");
  }
  const auto at_the_clock = [&](Outcome o, Duration at) {
    if (!m.allows(o)) return;
    const std::optional<OnTheClock> clock = on_the_clock(contract, tl, at, offset);
    if (!clock) return;
    const std::string ending =
        "the " + std::string(to_string(o)) + " ending at +" + format_duration(at);
    if (clock->least >= timeout + margin) {
      allow(m, Outcome::timed_out);
      if (o == Outcome::closed) {
        m.late_success = "the server's orderly close reaches the client at +" +
                         format_duration(at) + ", " +
                         clock_text(contract, clock->least, timeout);
        note(ending + " comes " + clock_text(contract, clock->least, timeout) +
             ": the client times out first (a success after it is late)");
      } else {
        note(ending + " comes " + clock_text(contract, clock->least, timeout) +
             ": the client times out first");
        disallow(m, o);
      }
    } else if (clock->most + margin > timeout) {
      note(ending + " is within " + format_duration(margin) +
           " of the client's timeout (" + std::string(to_string(contract)) +
           "): timing out is also allowed");
      allow(m, Outcome::timed_out);
    }
  };
  if (exact_window && tl.terminal == Terminal::reset &&
      (!tl.sendable_at || closed_at > end) && m.allows(Outcome::closed)) {
    note("the RST at +" + format_duration(end) +
         " comes before the client can close in order");
    disallow(m, Outcome::closed);
    allow(m, Outcome::reset);
  }
  at_the_clock(Outcome::closed, closed_at);
  at_the_clock(Outcome::reset, end);
  if (!exact_window && contract != TimeoutContract::none && tl.sendable_at &&
      offset + *tl.sendable_at + margin > timeout && m.allows(Outcome::closed)) {
    note("with a receive buffer the size the script asks for, the client "
         "could only have its whole request out at +" +
         format_duration(*tl.sendable_at) + "; the kernel's may be larger: "
         "timing out is also allowed");
    allow(m, Outcome::timed_out);
  }
  // With a shrunken receive buffer that the script stops draining, the
  // client cannot get the rest of its request out, so it can never
  // half-close: it must time out unless the server resets first.
  const bool client_stuck =
      tl.window != 0 && request.size() - tl.consumed > tl.window;
  if (client_stuck && tl.terminal != Terminal::reset) {
    note("the script stops reading with " +
         std::to_string(request.size() - tl.consumed) +
         " request bytes left and a " + std::to_string(tl.window) +
         "-byte receive buffer: the client cannot finish sending");
    disallow(m, Outcome::closed);
    m.late_success.clear();
    allow(m, Outcome::timed_out);
  }
}

void apply_expectations(const Scenario& s, const std::string& request, Model& m) {
  const Expectations& e = s.expect;
  if (!e.outcomes.empty()) {
    m.allowed = e.outcomes;
    m.reasoning.push_back("expect outcome " + outcomes_text(e.outcomes) +
                          " (from the scenario)");
    m.client_must_wait_for_fin = m.allows(Outcome::closed);
  }
  if (e.response) m.response = materialize(*e.response, request);
  if (e.server_received) {
    m.server_must_receive = materialize(*e.server_received, request);
  }
  if (e.client_fin) {
    m.needs_client_fin = *e.client_fin;
    m.forbids_client_fin = !*e.client_fin;
  }
  if (e.max_duration) m.max_duration = *e.max_duration;
  if (!m.allows(Outcome::closed)) m.late_success.clear();
}

// One connection's model, and the soonest a failure ending of it reaches
// the client (when a retry could begin).
struct OneConnection {
  Model m;
  Duration fails_at{};
};

// The model of connection `n` alone, for a client that began it `offset`
// after its start (a total timeout has that much less left).
OneConnection derive_connection(const Scenario& s, int n, WindowModel windows,
                                TimeoutContract contract, Duration offset) {
  OneConnection out;
  Model& m = out.m;
  m.contract = contract;
  m.windows = windows;
  m.max_duration = s.deadline();
  const std::string request = s.request_bytes();
  const ScriptPlan plan = plan_connection(s, n);
  if (plan.refused() && refuses_every_connection(s)) {
    m.reasoning.push_back("the server refuses the connection: the client must report failure");
    m.allowed = {Outcome::refused, Outcome::connect_failed};
  } else if (plan.refused()) {
    m.reasoning.push_back(
        "the server refuses the connection (over loopback, where the server listens "
        "for another connection's script, it accepts and resets it at once): the "
        "client must report failure");
    m.allowed = {Outcome::refused, Outcome::connect_failed, Outcome::reset};
  } else {
    Timeline tl = model::play(s, plan, request);
    m.reasoning = std::move(tl.reasoning);
    m.response = tl.response;
    m.stresses_syscalls = tl.stresses_syscalls;
    if (tl.consumed > 0) {
      m.server_must_receive = request.substr(0, static_cast<std::size_t>(tl.consumed));
    }
    if (tl.needs_fin_at &&
        offset + *tl.needs_fin_at + timing_margin(s) < s.client_timeout) {
      m.needs_client_fin = true;
      m.reasoning.push_back("the server reads until the client's FIN");
    }
    allow_by_ending(tl, request, m);
    apply_the_clock(s, tl, request, windows == WindowModel::exact, contract, offset, m);
    m.client_must_wait_for_fin = m.allows(Outcome::closed);
    out.fails_at = tl.t;
  }
  m.injects_faults = !s.injections.empty();
  apply_expectations(s, request, m);
  m.own_reasoning = m.reasoning.size();
  return out;
}

// How many connections the client may and must open: its retry contract,
// narrowed by `expect connections`.
void count_connections(const Scenario& s, Model& m) {
  m.max_connections = 1 + static_cast<int>(m.later.size());
  m.min_connections = 1;
  const std::optional<ConnectionCount>& e = s.expect.connections;
  if (!e) return;
  const int capped = std::min(e->count, 1 + m.retries);
  m.max_connections = std::min(m.max_connections, capped);
  if (!e->at_most) m.min_connections = capped;
  m.reasoning.push_back(
      std::string("expect connections ") + (e->at_most ? "at-most " : "") +
      std::to_string(e->count) + " (from the scenario), for a client with " +
      std::to_string(m.retries) + " retr" + (m.retries == 1 ? "y" : "ies") +
      ": " + (e->at_most ? "at most " : "exactly ") + std::to_string(capped));
}

}  // namespace

const Model* Model::connection(int n) const {
  if (n <= 1) return this;
  const auto i = static_cast<std::size_t>(n - 2);
  return i < later.size() ? &later[i] : nullptr;
}

Model derive_connection_model(const Scenario& s, int n, WindowModel windows,
                              TimeoutContract contract) {
  return derive_connection(s, n, windows, contract, Duration::zero()).m;
}

Model derive_model(const Scenario& s, WindowModel windows,
                   TimeoutContract contract, int retries) {
  OneConnection first = derive_connection(s, 1, windows, contract, Duration::zero());
  Model m = std::move(first.m);
  m.retries = std::max(retries, 0);
  // A retry begins once the connection before it has failed, at the
  // soonest; a total timeout counts from the first connect.
  Duration offset = contract == TimeoutContract::total ? first.fails_at : Duration::zero();
  for (int n = 2; n <= 1 + m.retries; ++n) {
    if (contract == TimeoutContract::total && offset >= s.client_timeout) {
      m.reasoning.push_back("connection " + std::to_string(n) +
                            " cannot begin before the client's timeout");
      break;
    }
    OneConnection next = derive_connection(s, n, windows, contract, offset);
    next.m.max_duration = m.max_duration;
    for (const std::string& line : next.m.reasoning) {
      m.reasoning.push_back("connection " + std::to_string(n) + ": " + line);
    }
    if (contract == TimeoutContract::total) offset += next.fails_at;
    m.later.push_back(std::move(next.m));
  }
  count_connections(s, m);
  return m;
}

}  // namespace sockcheck
