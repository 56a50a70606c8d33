// The rules of script semantics, written once. See script_plan.h.
#include "sockcheck/script_plan.h"

#include <algorithm>
#include <array>

namespace sockcheck {

// ------------------------------------------------------------ placement

std::optional<std::string> Placement::error(Step::Kind kind,
                                            std::string_view word) const {
  const std::string kw(word.empty() ? to_string(kind) : word);
  if (ended_by == Step::Kind::refuse) {
    return "'" + kw + "' after 'refuse' (refuse must be the only step of its script)";
  }
  if (ended_by) {
    return "'" + kw + "' after '" + ended_by_word +
           "' (close, reset and hang end a script)";
  }
  switch (kind) {
    case Step::Kind::accept:
      if (steps != 0) return "'accept' must be the first step of its script";
      break;
    case Step::Kind::refuse:
      if (steps != 0) return "'refuse' must be the only step of its script";
      break;
    case Step::Kind::recv_buffer:
      if (steps != 0 && !only_accept) {
        return "'recv-buffer' must be the first step of its script, or follow 'accept'";
      }
      break;
    case Step::Kind::write:
      if (half_closed) {
        return "'write' after 'half-close' (the server has already sent its FIN)";
      }
      break;
    case Step::Kind::half_close:
      if (half_closed) return "second 'half-close' in one script";
      break;
    default: break;
  }
  return std::nullopt;
}

void Placement::place(Step::Kind kind, std::string_view word) {
  only_accept = steps == 0 && kind == Step::Kind::accept;
  ++steps;
  if (kind == Step::Kind::half_close) half_closed = true;
  if (kind == Step::Kind::refuse || ends_script(kind)) {
    ended_by = kind;
    ended_by_word = word.empty() ? std::string(to_string(kind)) : std::string(word);
  }
}

std::vector<Step::Kind> Placement::allowed() const {
  // This order is part of the fault-schedule format (docs/fuzzing.md): a
  // stored input picks a step by its index in this list, so reordering it
  // would change what every stored input means.
  using K = Step::Kind;
  static constexpr std::array<K, 11> kOrder{
      K::accept, K::refuse, K::recv_buffer, K::read,  K::read_until_fin,
      K::write,  K::sleep,  K::half_close,  K::close, K::reset,
      K::hang};
  std::vector<K> out;
  for (K k : kOrder) {
    if (!error(k)) out.push_back(k);
  }
  return out;
}

bool ends_script(Step::Kind kind) noexcept {
  return kind == Step::Kind::close || kind == Step::Kind::reset ||
         kind == Step::Kind::hang || kind == Step::Kind::refuse;
}

std::optional<PlacementError> validate(const ConnectionScript& script) {
  Placement p;
  for (std::size_t i = 0; i < script.steps.size(); ++i) {
    const Step::Kind kind = script.steps[i].kind;
    if (auto e = p.error(kind)) return PlacementError{i, std::move(*e)};
    p.place(kind);
  }
  return std::nullopt;
}

// --------------------------------------------------------------- pieces

std::uint64_t PieceCut::piece_end(std::uint64_t at, std::uint64_t total) const noexcept {
  if (chunk == 0) return total;
  return std::min(total, (at / chunk + 1) * chunk);
}

std::uint64_t PieceCut::pieces(std::uint64_t bytes) const noexcept {
  if (chunk == 0 || bytes == 0) return 1;
  return (bytes + chunk - 1) / chunk;
}

Duration PieceCut::write_pauses(std::uint64_t bytes) const noexcept {
  if (!pauses()) return Duration::zero();
  return gap * static_cast<Duration::rep>(pieces(bytes) - 1);
}

Duration PieceCut::read_pauses(std::uint64_t bytes) const noexcept {
  if (!pauses()) return Duration::zero();
  return gap * static_cast<Duration::rep>(bytes / chunk);
}

std::uint64_t PieceCut::read_by(Duration start, std::uint64_t bytes,
                                Duration by) const noexcept {
  if (start > by) return 0;
  if (!pauses()) return bytes;
  const auto fit = static_cast<std::uint64_t>((by - start) / gap) + 1;
  if (fit >= pieces(bytes)) return bytes;
  return fit * chunk;
}

// ------------------------------------------------------------------ plan

namespace {

const Step& implicit_step(Step::Kind kind) {
  static const Step accept = [] {
    Step s;
    s.kind = Step::Kind::accept;
    return s;
  }();
  static const Step close = [] {
    Step s;
    s.kind = Step::Kind::close;
    return s;
  }();
  return kind == Step::Kind::accept ? accept : close;
}

PlanStep planned(const Step& step, std::size_t written, bool implicit) {
  PlanStep p;
  p.kind = step.kind;
  p.step = &step;
  p.implicit = implicit;
  p.written = written;
  if (step.kind == Step::Kind::read || step.kind == Step::Kind::read_until_fin ||
      step.kind == Step::Kind::write) {
    p.cut = {step.chunk, step.gap};
  }
  return p;
}

ScriptPlan::Terminal terminal_of(Step::Kind kind) {
  switch (kind) {
    case Step::Kind::reset: return ScriptPlan::Terminal::reset;
    case Step::Kind::hang: return ScriptPlan::Terminal::hang;
    default: return ScriptPlan::Terminal::close;
  }
}

}  // namespace

std::string step_label(const Step& step, std::size_t index) {
  std::string label = "step " + std::to_string(index + 1) + " (" +
                      std::string(to_string(step.kind)) + ")";
  if (step.where.line > 0) label += " at line " + std::to_string(step.where.line);
  return label;
}

std::string PlanStep::label() const {
  if (implicit) return "implicit " + std::string(to_string(kind));
  return step_label(*step, written);
}

ScriptPlan plan_connection(const Scenario& scenario, int connection) {
  ScriptPlan plan;
  plan.connection = connection;
  plan.script = scenario.script_for(connection);
  if (plan.script == nullptr) {
    plan.refusal = ScriptPlan::Refusal::no_script;
    return plan;
  }
  const std::vector<Step>& written = plan.script->steps;
  if (!written.empty() && written.front().kind == Step::Kind::refuse) {
    plan.refusal = ScriptPlan::Refusal::refuse;
    return plan;
  }
  if (auto e = validate(*plan.script)) {
    plan.invalid = step_label(written[e->index], e->index) + ": " + e->message;
  }

  plan.steps.reserve(written.size() + 2);  // with the implicit steps
  if (written.empty() || written.front().kind != Step::Kind::accept) {
    plan.steps.push_back(planned(implicit_step(Step::Kind::accept), 0, true));
  }
  for (std::size_t i = 0; i < written.size(); ++i) {
    plan.steps.push_back(planned(written[i], i, false));
    if (ends_script(written[i].kind)) break;  // what follows cannot run
  }
  if (!ends_script(plan.steps.back().kind)) {
    plan.steps.push_back(planned(implicit_step(Step::Kind::close), 0, true));
  }
  plan.terminal = terminal_of(plan.steps.back().kind);
  plan.accept_delay = plan.steps.front().step->delay;
  for (std::size_t i = 0; i + 1 < plan.steps.size(); ++i) {
    const Step::Kind next = plan.steps[i + 1].kind;
    plan.steps[i].fin_follows =
        next == Step::Kind::close || next == Step::Kind::half_close;
  }
  // As SO_RCVBUF set on a listening socket: in force from the handshake.
  for (std::size_t i = 1; i < plan.steps.size(); ++i) {
    if (plan.steps[i].kind != Step::Kind::recv_buffer) break;
    plan.initial_window = plan.steps[i].step->count;
  }
  return plan;
}

bool refuses_every_connection(const Scenario& scenario) noexcept {
  return !scenario.scripts.empty() &&
         std::all_of(scenario.scripts.begin(), scenario.scripts.end(),
                     [](const ConnectionScript& script) {
                       return !script.steps.empty() &&
                              script.steps.front().kind == Step::Kind::refuse;
                     });
}

std::optional<std::uint64_t> smallest_initial_window(const Scenario& scenario) {
  std::optional<std::uint64_t> smallest;
  for (const ConnectionScript& script : scenario.scripts) {
    const ScriptPlan plan = plan_connection(scenario, script.first);
    if (plan.initial_window && (!smallest || *plan.initial_window < *smallest)) {
      smallest = plan.initial_window;
    }
  }
  return smallest;
}

}  // namespace sockcheck
