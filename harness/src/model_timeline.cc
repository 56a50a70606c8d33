// The timeline of a script, one function per kind of step. See
// model_timeline.h.
#include "model_timeline.h"

#include <algorithm>

#include "sockcheck/units.h"

namespace sockcheck::model {
namespace {

class Player {
 public:
  Player(const Scenario& s, const std::string& request)
      : request_(request), deadline_(s.deadline()) {}

  Timeline play(const ScriptPlan& plan) {
    tl_.window = plan.initial_window.value_or(0);
    for (const PlanStep& p : plan.steps) {
      // The implicit close adds nothing: the checks after the loop see a
      // script that ran past the deadline.
      if (p.implicit && p.kind == Step::Kind::close) break;
      if (p.kind != Step::Kind::recv_buffer) note_sendable(tl_.t);
      if (tl_.t > deadline_) {
        note("the script reaches the scenario's deadline (" +
             format_duration(deadline_) + ") and is cut there with RST");
        tl_.t = deadline_;
        tl_.aborted = true;
        break;
      }
      if (!step(p)) break;
      if (p.kind == Step::Kind::accept && !plan.invalid.empty()) {
        note("the script breaks the placement rules (" + plan.invalid +
             "): it fails once accepted and ends with RST");
        tl_.aborted = true;
        break;
      }
    }
    if (!tl_.aborted && tl_.t > deadline_) {
      note("the script runs past the scenario's deadline (" +
           format_duration(deadline_) + ") and is cut there with RST");
      tl_.t = deadline_;
      tl_.aborted = true;
    }
    if (tl_.aborted) tl_.terminal = ScriptPlan::Terminal::reset;
    note_sendable(tl_.t);
    return std::move(tl_);
  }

 private:
  // One step; false when the script ends with it.
  bool step(const PlanStep& p) {
    const Step& s = *p.step;
    switch (p.kind) {
      case Step::Kind::accept:
      case Step::Kind::refuse:
      case Step::Kind::sleep: tl_.t += s.delay; return true;
      case Step::Kind::read: return read(s.count, p.cut);
      case Step::Kind::read_until_fin: return read_until_fin(p.cut);
      case Step::Kind::recv_buffer:
        tl_.stresses_syscalls = true;  // the client's sends come back short
        tl_.window = s.count;
        return true;
      case Step::Kind::write: write(s.data, p.cut); return true;
      case Step::Kind::half_close: half_close(); return true;
      case Step::Kind::close: tl_.terminal = ScriptPlan::Terminal::close; return false;
      case Step::Kind::reset: tl_.terminal = ScriptPlan::Terminal::reset; return false;
      case Step::Kind::hang: tl_.terminal = ScriptPlan::Terminal::hang; return false;
    }
    return true;
  }

  // `read N`: piece k starts k gaps after the read does.
  bool read(std::uint64_t count, const PieceCut& cut) {
    const std::uint64_t left = request_.size() - tl_.consumed;
    const std::uint64_t want = std::min(count, left);
    if (!read_in_time(want, cut)) return false;
    note_sendable_during(tl_.t, want, cut);
    if (count <= left) {
      active(false, tl_.t, cut.write_pauses(want), cut.gap);
      tl_.t += cut.write_pauses(want);  // pauses between its pieces only
      tl_.consumed += count;
      return true;
    }
    // It pauses after every whole piece of what is left, then reads the
    // FIN, which fails it.
    active(false, tl_.t, cut.read_pauses(left), cut.gap);
    tl_.t += cut.read_pauses(left);
    tl_.consumed = request_.size();
    if (!tl_.needs_fin_at) tl_.needs_fin_at = tl_.t;
    note("`read " + std::to_string(count) + "` wants more than the " +
         std::to_string(left) + " request bytes left: the client's FIN "
         "fails the script, which ends with RST");
    tl_.aborted = true;
    return false;
  }

  // `read until-fin`: a chunked reader pauses after every whole piece,
  // before the read that returns the FIN too.
  bool read_until_fin(const PieceCut& cut) {
    const std::uint64_t left = request_.size() - tl_.consumed;
    if (!read_in_time(left, cut)) return false;
    note_sendable_during(tl_.t, left, cut);
    active(false, tl_.t, cut.read_pauses(left), cut.gap);
    tl_.t += cut.read_pauses(left);
    tl_.consumed = request_.size();
    if (!tl_.needs_fin_at) tl_.needs_fin_at = tl_.t;
    return true;
  }

  // A slow read that meets the deadline is cut there; false then.
  bool read_in_time(std::uint64_t want, const PieceCut& cut) {
    const std::uint64_t got = cut.read_by(tl_.t, want, deadline_);
    if (got >= want) return true;
    note_sendable_during(tl_.t, got, cut);
    tl_.consumed += got;
    tl_.t = deadline_;
    note("a slow read reaches the scenario's deadline after " +
         std::to_string(got) + " bytes: the script is cut there with RST");
    tl_.aborted = true;
    return false;
  }

  void write(const DataSpec& data, const PieceCut& cut) {
    const std::string bytes = materialize(data, request_);
    if (!tl_.fin_at) tl_.response += bytes;
    if (cut.chunk > 0 && bytes.size() > cut.chunk) tl_.stresses_syscalls = true;
    if (!bytes.empty()) active(true, tl_.t, cut.write_pauses(bytes.size()), cut.gap);
    tl_.t += cut.write_pauses(bytes.size());
  }

  void half_close() {
    if (tl_.fin_at) return;
    tl_.fin_at = tl_.t;
    active(true, tl_.t, Duration{}, Duration{});
    note("the server half-closes at +" + format_duration(tl_.t));
  }

  void note_sendable(Duration at) {
    if (!tl_.sendable_at &&
        (tl_.window == 0 || tl_.consumed + tl_.window >= request_.size())) {
      tl_.sendable_at = at;
    }
  }

  // A read of `n` more request bytes from `at`, in whole pieces: when it
  // brings the unread rest within the window.
  void note_sendable_during(Duration at, std::uint64_t n, const PieceCut& cut) {
    if (tl_.sendable_at || tl_.window == 0 || tl_.window >= request_.size()) return;
    const std::uint64_t needed = request_.size() - tl_.window;  // to consume
    if (tl_.consumed >= needed || tl_.consumed + n < needed) return;
    const std::uint64_t kth =
        cut.chunk == 0 ? 0 : (needed - tl_.consumed - 1) / cut.chunk;
    tl_.sendable_at = at + cut.gap * static_cast<Duration::rep>(kth);
  }

  // Activity lasting `length` from `from`, pieces `gap` apart (when it
  // lasts at all).
  void active(bool delivers, Duration from, Duration length, Duration gap) {
    const Duration inner = length > Duration{} ? gap : Duration{};
    tl_.activity.push_back({from, from + length, inner, delivers});
  }

  void note(std::string line) { tl_.reasoning.push_back(std::move(line)); }

  const std::string& request_;
  const Duration deadline_;
  Timeline tl_;
};

}  // namespace

Duration longest_silence(const Timeline& tl, Duration until, bool count_reads) {
  Duration last{};
  Duration longest{};
  for (const Activity& a : tl.activity) {
    if (!a.delivers && !count_reads) continue;
    if (a.from > until) break;
    longest = std::max({longest, a.from - last, a.inner_gap});
    last = std::max(last, std::min(a.to, until));
  }
  return std::max(longest, until - last);
}

Timeline play(const Scenario& scenario, const ScriptPlan& plan,
              const std::string& request) {
  return Player(scenario, request).play(plan);
}

}  // namespace sockcheck::model
