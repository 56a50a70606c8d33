// The model of a conforming client, and the per-rule judge. See oracle.h
// and docs/conformance.md for the definitions this code implements.
#include "sockcheck/oracle.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

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

bool Model::allows(Outcome o) const {
  return std::find(allowed.begin(), allowed.end(), o) != allowed.end();
}

bool Model::allows_failure() const {
  return std::any_of(allowed.begin(), allowed.end(),
                     [](Outcome o) { return o != Outcome::closed; });
}

namespace {

void allow(Model& m, Outcome o) {
  if (!m.allows(o)) m.allowed.push_back(o);
}

void disallow(Model& m, Outcome o) {
  m.allowed.erase(std::remove(m.allowed.begin(), m.allowed.end(), o),
                  m.allowed.end());
}

std::string outcomes_text(const std::vector<Outcome>& outcomes) {
  std::string s;
  for (Outcome o : outcomes) {
    if (!s.empty()) s += '|';
    s += to_string(o);
  }
  return s.empty() ? "(none)" : s;
}

// How many pieces `bytes` is cut into by `chunk` (0 = one piece).
std::uint64_t pieces(std::uint64_t bytes, std::uint64_t chunk) {
  if (chunk == 0 || bytes == 0) return 1;
  return (bytes + chunk - 1) / chunk;
}

Duration gaps(std::uint64_t bytes, std::uint64_t chunk, Duration gap) {
  const std::uint64_t n = pieces(bytes, chunk);
  return gap * static_cast<Duration::rep>(n - 1);
}

// The pauses of a reader that takes all of `bytes` in whole pieces of
// `chunk`, pausing `gap` after each whole one, and then looks for more (the
// FIN): one per whole piece.
Duration whole_pieces_gaps(std::uint64_t bytes, std::uint64_t chunk, Duration gap) {
  if (chunk == 0) return Duration::zero();
  return gap * static_cast<Duration::rep>(bytes / chunk);
}

// How many of `bytes` a reader taking `chunk` bytes every `gap`, starting at
// `start`, reads by `deadline` (piece k is read at start + k * gap). A step
// due exactly at the deadline still runs, as in the simulator, which cuts a
// script only when it is still waiting at the deadline; over loopback that
// instant is a race either way.
std::uint64_t read_before(Duration start, std::uint64_t bytes,
                          std::uint64_t chunk, Duration gap, Duration deadline) {
  if (start > deadline) return 0;
  if (chunk == 0 || gap <= Duration::zero()) return bytes;
  const auto fit = static_cast<std::uint64_t>((deadline - start) / gap) + 1;
  if (fit >= pieces(bytes, chunk)) return bytes;
  return fit * chunk;
}

}  // namespace

Model derive_model(const Scenario& s, WindowModel windows) {
  const bool exact_window = windows == WindowModel::exact;
  Model m;
  m.max_duration = s.deadline();
  const std::string request = s.request_bytes();
  const Duration timeout = s.client_timeout;
  // Timings within this margin of the client's timeout may go either way
  // on a real machine, so both endings are allowed there.
  const Duration margin = std::chrono::milliseconds(100) + timeout / 10;
  auto note = [&](std::string line) { m.reasoning.push_back(std::move(line)); };

  const ConnectionScript* script = s.script_for(1);
  if (script == nullptr || (!script->steps.empty() &&
                            script->steps.front().kind == Step::Kind::refuse)) {
    note("the server refuses the connection: the client must report failure");
    m.allowed = {Outcome::refused, Outcome::connect_failed};
    m.prefix_on_failure = true;
  } else {
    Duration t{};
    std::uint64_t consumed = 0;  // request bytes the server has read
    std::optional<Duration> fin_at;
    std::optional<Duration> needs_fin_at;
    Step::Kind terminal = Step::Kind::close;
    bool explicit_terminal = false;
    // A script that fails (a read cut short by the client's FIN) or runs
    // into the scenario's deadline is torn down with RST by both the
    // loopback server and the simulator: it ends like `reset`.
    bool aborted = false;
    const Duration deadline = s.deadline();
    // A shrunken receive buffer (0: none): a script that stops reading
    // with more than this much of the request left leaves the client
    // unable to finish sending.
    std::uint64_t window = 0;
    // When the client can have all of its request out (and so half-close):
    // once no more of it is unread than the window holds. Unset while the
    // script has not drained that far.
    std::optional<Duration> sendable_at;
    auto note_sendable = [&](Duration at) {
      if (!sendable_at && (window == 0 || consumed + window >= request.size())) {
        sendable_at = at;
      }
    };
    // A read of `n` more request bytes that starts at `at`, in whole pieces
    // of `chunk` every `gap`: when it brings the unread rest within the
    // window.
    auto note_sendable_during = [&](Duration at, std::uint64_t n,
                                    std::uint64_t chunk, Duration gap) {
      if (sendable_at || window == 0 || window >= request.size()) return;
      const std::uint64_t needed = request.size() - window;  // to consume
      if (consumed >= needed || consumed + n < needed) return;
      const std::uint64_t kth = chunk == 0 ? 0 : (needed - consumed - 1) / chunk;
      sendable_at = at + gap * static_cast<Duration::rep>(kth);
    };
    // As in the simulator (and like SO_RCVBUF on a listening socket),
    // `recv-buffer` steps at the start of the script, after an optional
    // `accept`, are in force from the first byte.
    for (std::size_t i = 0; i < script->steps.size(); ++i) {
      const Step::Kind kind = script->steps[i].kind;
      if (kind == Step::Kind::accept && i == 0) continue;
      if (kind != Step::Kind::recv_buffer) break;
      window = script->steps[i].count;
    }
    for (const Step& step : script->steps) {
      if (step.kind != Step::Kind::recv_buffer) note_sendable(t);
      if (t > deadline) {
        note("the script reaches the scenario's deadline (" +
             format_duration(deadline) + ") and is cut there with RST");
        t = deadline;
        aborted = true;
        break;
      }
      switch (step.kind) {
        case Step::Kind::accept:
        case Step::Kind::refuse:
          t += step.delay;
          break;
        case Step::Kind::read: {
          // Pieces are whole before each pause (see docs/scenario-language.md),
          // so the pauses follow from the counts alone: piece k starts k gaps
          // after the read does.
          const std::uint64_t left = request.size() - consumed;
          const std::uint64_t want = std::min<std::uint64_t>(step.count, left);
          if (const std::uint64_t got = read_before(t, want, step.chunk, step.gap, deadline);
              got < want) {
            note_sendable_during(t, got, step.chunk, step.gap);
            consumed += got;
            t = deadline;
            note("a slow read reaches the scenario's deadline after " +
                 std::to_string(got) + " bytes: the script is cut there with RST");
            aborted = true;
            break;
          }
          note_sendable_during(t, want, step.chunk, step.gap);
          if (step.count <= left) {
            t += gaps(want, step.chunk, step.gap);
            consumed += step.count;
          } else {
            // It pauses after every whole piece of what is left, then reads
            // the FIN, which fails it.
            t += whole_pieces_gaps(left, step.chunk, step.gap);
            consumed = request.size();
            if (!needs_fin_at) needs_fin_at = t;
            note("`read " + std::to_string(step.count) + "` wants more than the " +
                 std::to_string(left) + " request bytes left: the client's FIN "
                 "fails the script, which ends with RST");
            aborted = true;
          }
          break;
        }
        case Step::Kind::read_until_fin: {
          // A chunked reader pauses after every whole piece, before the read
          // that returns the FIN too.
          const std::uint64_t left = request.size() - consumed;
          if (const std::uint64_t got = read_before(t, left, step.chunk, step.gap, deadline);
              got < left) {
            note_sendable_during(t, got, step.chunk, step.gap);
            consumed += got;
            t = deadline;
            note("a slow read reaches the scenario's deadline after " +
                 std::to_string(got) + " bytes: the script is cut there with RST");
            aborted = true;
            break;
          }
          note_sendable_during(t, left, step.chunk, step.gap);
          t += whole_pieces_gaps(left, step.chunk, step.gap);
          consumed = request.size();
          if (!needs_fin_at) needs_fin_at = t;
          break;
        }
        case Step::Kind::recv_buffer:
          m.stresses_syscalls = true;  // the client's sends come back short
          window = step.count;
          break;
        case Step::Kind::write: {
          const std::string data = materialize(step.data, request);
          if (!fin_at) m.response += data;
          if (step.chunk > 0 && data.size() > step.chunk) m.stresses_syscalls = true;
          t += gaps(data.size(), step.chunk, step.gap);
          break;
        }
        case Step::Kind::sleep:
          t += step.delay;
          break;
        case Step::Kind::half_close:
          if (!fin_at) {
            fin_at = t;
            note("the server half-closes at +" + format_duration(t));
          }
          break;
        case Step::Kind::close:
        case Step::Kind::reset:
        case Step::Kind::hang:
          terminal = step.kind;
          explicit_terminal = true;
          break;
      }
      if (explicit_terminal || aborted) break;
    }
    if (!aborted && t > deadline) {
      note("the script runs past the scenario's deadline (" +
           format_duration(deadline) + ") and is cut there with RST");
      t = deadline;
      aborted = true;
    }
    if (aborted) terminal = Step::Kind::reset;
    const Duration end = t;
    note_sendable(end);
    const bool unread = consumed < request.size();
    // With a shrunken receive buffer that the script stops draining, the
    // client cannot get the rest of its request out, so it can never
    // half-close: it must time out unless the server resets first.
    const bool client_stuck =
        window != 0 && request.size() - consumed > window;
    if (consumed > 0) {
      m.server_must_receive = request.substr(0, static_cast<std::size_t>(consumed));
    }
    if (needs_fin_at && *needs_fin_at + margin < timeout) {
      m.needs_client_fin = true;
      note("the server reads until the client's FIN");
    }

    switch (terminal) {
      case Step::Kind::reset:
        if (fin_at) {
          note("RST at +" + format_duration(end) +
               " after a FIN: the client may have finished first");
          m.allowed = {Outcome::closed, Outcome::reset};
        } else {
          note("the server resets at +" + format_duration(end) +
               ": the client must report failure");
          m.allowed = {Outcome::reset};
        }
        break;
      case Step::Kind::hang:
        if (fin_at) {
          note("the server hangs after its FIN: the client can finish");
          m.allowed = {Outcome::closed};
        } else {
          note("the server never sends FIN: the client must time out");
          m.allowed = {Outcome::timed_out};
        }
        break;
      default:  // close, explicit or implicit
        if (!fin_at) fin_at = end;
        if (unread && !request.empty()) {
          note("close with " + std::to_string(request.size() - consumed) +
               " unread request bytes at +" + format_duration(end) +
               ": the kernel sends RST; FIN wins only if it is read first");
          m.allowed = {Outcome::closed, Outcome::reset};
        } else {
          note("orderly close at +" + format_duration(*fin_at) +
               ": the client must succeed with exactly the bytes written");
          m.allowed = {Outcome::closed};
        }
        break;
    }

    // The clock: an ending due after the client's timeout must not be
    // waited for; one due close to it may go either way. The client can
    // close in order once it has the server's FIN and has sent all of its
    // request; an RST reaches it when the script ends.
    const Duration fin_seen = fin_at ? *fin_at : end;
    Duration closed_at = fin_seen;
    if (exact_window && sendable_at && *sendable_at > closed_at) {
      closed_at = *sendable_at;
      note("the client can have its whole request out at +" +
           format_duration(*sendable_at) + " (the script drains the " +
           std::to_string(window) + "-byte receive buffer that slowly)");
    }
    const auto at_the_clock = [&](Outcome o, Duration at) {
      if (!m.allows(o)) return;
      if (at >= timeout + margin) {
        note("the " + std::string(to_string(o)) + " ending at +" +
             format_duration(at) + " comes after the client's timeout of " +
             format_duration(timeout) + ": the client times out first");
        disallow(m, o);
        allow(m, Outcome::timed_out);
      } else if (at + margin > timeout) {
        note("the " + std::string(to_string(o)) + " ending at +" +
             format_duration(at) + " is within " + format_duration(margin) +
             " of the client's timeout: timing out is also allowed");
        allow(m, Outcome::timed_out);
      }
    };
    if (exact_window && terminal == Step::Kind::reset &&
        (!sendable_at || closed_at > end) && m.allows(Outcome::closed)) {
      note("the RST at +" + format_duration(end) +
           " comes before the client can close in order");
      disallow(m, Outcome::closed);
      allow(m, Outcome::reset);
    }
    at_the_clock(Outcome::closed, closed_at);
    at_the_clock(Outcome::reset, end);
    if (!exact_window && sendable_at && *sendable_at + margin > timeout &&
        m.allows(Outcome::closed)) {
      note("with a receive buffer the size the script asks for, the client "
           "could only have its whole request out at +" +
           format_duration(*sendable_at) + "; the kernel's may be larger: "
           "timing out is also allowed");
      allow(m, Outcome::timed_out);
    }
    if (client_stuck && terminal != Step::Kind::reset) {
      note("the script stops reading with " +
           std::to_string(request.size() - consumed) +
           " request bytes left and a " + std::to_string(window) +
           "-byte receive buffer: the client cannot finish sending");
      disallow(m, Outcome::closed);
      allow(m, Outcome::timed_out);
    }
    m.client_must_wait_for_fin = m.allows(Outcome::closed);
  }

  if (!s.injections.empty()) m.stresses_syscalls = true;
  const Expectations& e = s.expect;
  if (!e.outcomes.empty()) {
    m.allowed = e.outcomes;
    note("expect outcome " + outcomes_text(e.outcomes) + " (from the scenario)");
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
  return m;
}

// --- evidence helpers -------------------------------------------------------

std::string quote_bytes(std::string_view bytes, std::size_t max) {
  std::string out;
  auto put = [&](char c) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      default:
        if (u >= 0x20 && u < 0x7f) {
          out += c;
        } else {
          char buf[5];
          std::snprintf(buf, sizeof buf, "\\x%02x", u);
          out += buf;
        }
    }
  };
  if (bytes.size() <= max) {
    for (char c : bytes) put(c);
  } else {
    for (char c : bytes.substr(0, max / 2)) put(c);
    out += "...";
    for (char c : bytes.substr(bytes.size() - max / 2)) put(c);
  }
  return "\"" + out + "\"";
}

std::string describe_difference(std::string_view expected,
                                std::string_view got) {
  if (expected == got) return "identical";
  const std::size_t n = std::min(expected.size(), got.size());
  std::size_t i = 0;
  while (i < n && expected[i] == got[i]) ++i;
  const std::string sizes = "expected " + std::to_string(expected.size()) +
                            " bytes, got " + std::to_string(got.size());
  if (i == got.size()) {
    return sizes + ": got only a prefix, missing " +
           quote_bytes(expected.substr(i), 24);
  }
  if (i == expected.size()) {
    return sizes + ": " + std::to_string(got.size() - i) +
           " extra bytes " + quote_bytes(got.substr(i), 24);
  }
  return sizes + "; first difference at byte " + std::to_string(i) +
         ": expected " + quote_bytes(expected.substr(i, 16), 24) + ", got " +
         quote_bytes(got.substr(i, 16), 24);
}

// --- the judge ----------------------------------------------------------------

namespace {

struct Facts {
  const Scenario& s;
  const Model& m;
  const ClientRun& run;
  const ServerObservation* obs;
  bool finished;  // the client returned / exited by itself
  bool success;   // ... and reported success
};

RuleResult result(Rule r, Verdict v, std::string evidence) {
  return {r, v, std::move(evidence)};
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
  const Duration margin = std::chrono::milliseconds(100) + f.s.client_timeout / 10;
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

// The delay before the server accepted the first connection, so that a time
// the server measured from its accept can be set against the client's
// elapsed time, which counts from its start (the client connects at once).
Duration accept_delay(const Scenario& s) {
  const ConnectionScript* script = s.script_for(1);
  if (script != nullptr && !script->steps.empty() &&
      script->steps.front().kind == Step::Kind::accept) {
    return script->steps.front().delay;
  }
  return Duration::zero();
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
  if (!f.obs->saw_client_fin || f.success) return false;
  const Duration fin = accept_delay(f.s) + f.obs->client_fin_at;
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
  if (f.run.in_process && f.run.sends_after_shutdown > 0) {
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
                      measured_text(accept_delay(f.s) + f.obs->client_fin_at) +
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
    std::string why = f.m.reasoning.empty() ? "" : " (" + f.m.reasoning.back() + ")";
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

RuleResult bounded(const Facts& f) {
  const Rule r = Rule::bounded;
  if (f.run.killed_at_deadline) {
    return result(r, Verdict::violates,
                  "still running at the deadline (" + format_duration(f.m.max_duration) +
                      "): killed");
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

RuleResult syscall_robust(const Facts& f, const std::vector<RuleResult>& so_far) {
  const Rule r = Rule::syscall_robust;
  if (!f.m.stresses_syscalls) {
    return result(r, Verdict::not_applicable,
                  "no short sends, partial reads or injected EINTR/EAGAIN here");
  }
  for (const RuleResult& other : so_far) {
    const bool relevant = other.rule == Rule::request_delivered ||
                          other.rule == Rule::response_delivered ||
                          other.rule == Rule::honest_outcome;
    if (relevant && other.verdict == Verdict::violates) {
      return result(r, Verdict::violates,
                    "under short sends / partial reads / EINTR / EAGAIN: " +
                        std::string(to_string(other.rule)) + " failed");
    }
  }
  return result(r, Verdict::conforms,
                "short sends continued, partial reads reassembled, EINTR/EAGAIN handled");
}

}  // namespace

std::vector<RuleResult> judge(const Scenario& scenario, const Model& model,
                              const ClientRun& run,
                              const std::vector<ServerObservation>& observations) {
  const bool finished = !run.killed_at_deadline && run.signal == 0;
  const bool success = run.in_process
                           ? (run.outcome && *run.outcome == Outcome::closed)
                           : run.reported_success;
  const Facts f{scenario, model, run,
                observations.empty() ? nullptr : &observations.front(),
                finished, finished && success};
  std::vector<RuleResult> out;
  out.push_back(request_delivered(f));
  out.push_back(half_close(f));
  out.push_back(response_delivered(f));
  out.push_back(honest_outcome(f));
  out.push_back(bounded(f));
  out.push_back(survives_peer(f));
  out.push_back(closes_once(f));
  out.push_back(syscall_robust(f, out));
  return out;
}

}  // namespace sockcheck
