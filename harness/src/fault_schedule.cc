// Fault schedules: bytes to scenario and back. See fault_schedule.h; the
// byte layout is in docs/fuzzing.md.
//
// The decoder and the encoder share the one description of the format that
// matters for round trips: Placement::allowed() (script_plan.h), the steps
// the placement rules allow at a point of the script, in a fixed order. The encoder writes its
// bytes and then checks them by decoding, so anything the decoder would
// change (a chunk raised to the piece bound, a size out of range) is
// reported as outside the format instead of silently producing another
// scenario.
#include "sockcheck/fault_schedule.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <sstream>

#include "sockcheck/scenario_parser.h"
#include "sockcheck/script_plan.h"

namespace sockcheck {
namespace {

using Limits = FaultScheduleLimits;
using std::chrono::milliseconds;

constexpr std::string_view kName = "fault-schedule";

// Reads bytes; past the end every byte is 0, so any prefix decodes.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> d) : data_(d) {}
  [[nodiscard]] bool empty() const noexcept { return pos_ >= data_.size(); }
  std::uint8_t u8() noexcept { return empty() ? 0 : data_[pos_++]; }
  std::uint16_t u16() noexcept {
    const auto lo = u8();
    const auto hi = u8();
    return static_cast<std::uint16_t>(lo | (hi << 8));
  }

 private:
  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
};

class Writer {
 public:
  void u8(std::uint64_t v) { bytes.push_back(static_cast<std::uint8_t>(v)); }
  void u16(std::uint64_t v) {
    u8(v & 0xff);
    u8((v >> 8) & 0xff);
  }
  std::vector<std::uint8_t> bytes;
};

using K = Step::Kind;

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) {
  return (a + b - 1) / b;
}

// The smallest chunk that keeps `size` bytes within kMaxPieces pieces.
std::uint64_t min_chunk(std::uint64_t size) {
  return std::max<std::uint64_t>(1, ceil_div(size, Limits::kMaxPieces));
}

Duration ms(std::uint64_t v) { return milliseconds(static_cast<std::int64_t>(v)); }

DataSpec decode_data(Reader& in, bool allow_request) {
  static constexpr std::array<DataSpec::Kind, 5> kinds{
      DataSpec::Kind::literal, DataSpec::Kind::hex, DataSpec::Kind::repeat,
      DataSpec::Kind::random, DataSpec::Kind::request};
  const std::size_t n = allow_request ? 5 : 4;
  DataSpec d;
  d.kind = kinds[in.u8() % n];
  switch (d.kind) {
    case DataSpec::Kind::literal:
    case DataSpec::Kind::hex: {
      std::size_t len = in.u8();
      // An empty hex datum has no spelling (`hex` needs digits).
      if (d.kind == DataSpec::Kind::hex && len == 0) len = 1;
      for (std::size_t i = 0; i < len; ++i) d.text.push_back(static_cast<char>(in.u8()));
      break;
    }
    case DataSpec::Kind::repeat: {
      const std::size_t len = 1 + in.u8() % 16;
      for (std::size_t i = 0; i < len; ++i) d.text.push_back(static_cast<char>(in.u8()));
      d.size = 1 + std::uint64_t{in.u16()};
      break;
    }
    case DataSpec::Kind::random:
      d.size = 1 + std::uint64_t{in.u16()};
      d.seed = in.u8();
      break;
    case DataSpec::Kind::request: break;
  }
  return d;
}

// `chunk` and `gap` of a read or write over `size` bytes.
void decode_pieces(Reader& in, Step& step, std::uint64_t size) {
  const unsigned form = in.u8() % 3;  // 0 none, 1 chunk, 2 chunk and gap
  if (form == 0) return;
  step.chunk = std::max(1 + std::uint64_t{in.u16()}, min_chunk(size));
  if (form == 2) step.gap = ms(in.u16());
}

std::uint8_t kind_index(DataSpec::Kind k) {
  switch (k) {
    case DataSpec::Kind::literal: return 0;
    case DataSpec::Kind::hex: return 1;
    case DataSpec::Kind::repeat: return 2;
    case DataSpec::Kind::random: return 3;
    case DataSpec::Kind::request: return 4;
  }
  return 0;
}

// Milliseconds of `d` if it is a whole number of them within [lo, hi].
bool whole_ms(Duration d, std::uint64_t lo, std::uint64_t hi, std::uint64_t& out) {
  const auto m = std::chrono::duration_cast<milliseconds>(d);
  if (m != d || m.count() < 0) return false;
  out = static_cast<std::uint64_t>(m.count());
  return out >= lo && out <= hi;
}

std::string encode_data(Writer& w, const DataSpec& d, bool allow_request) {
  if (d.kind == DataSpec::Kind::request && !allow_request) {
    return "the request cannot be `request`";
  }
  w.u8(kind_index(d.kind));
  switch (d.kind) {
    case DataSpec::Kind::literal:
    case DataSpec::Kind::hex:
      if (d.text.size() > Limits::kMaxLiteral) {
        return "a literal or hex datum longer than 255 bytes";
      }
      w.u8(d.text.size());
      for (char c : d.text) w.u8(static_cast<unsigned char>(c));
      break;
    case DataSpec::Kind::repeat:
      if (d.text.empty() || d.text.size() > 16) return "a repeat pattern longer than 16 bytes";
      if (d.size < 1 || d.size > Limits::kMaxDataSize) return "a repeat larger than 64KiB";
      w.u8(d.text.size() - 1);
      for (char c : d.text) w.u8(static_cast<unsigned char>(c));
      w.u16(d.size - 1);
      break;
    case DataSpec::Kind::random:
      if (d.size < 1 || d.size > Limits::kMaxDataSize) return "random data larger than 64KiB";
      if (d.seed > 255) return "a random seed above 255";
      w.u16(d.size - 1);
      w.u8(d.seed);
      break;
    case DataSpec::Kind::request: break;
  }
  return {};
}

std::string encode_pieces(Writer& w, const Step& s) {
  if (s.chunk == 0) {
    if (s.gap != Duration{}) return "a gap without chunk";
    w.u8(0);
    return {};
  }
  if (s.chunk > 65536) return "a chunk larger than 64KiB";
  std::uint64_t gap = 0;
  if (!whole_ms(s.gap, 0, 65535, gap)) return "a gap that is not whole milliseconds up to 65535ms";
  w.u8(gap == 0 ? 1 : 2);
  w.u16(s.chunk - 1);
  if (gap != 0) w.u16(gap);
  return {};
}

Scenario normalized(Scenario s) {
  s.name = std::string(kName);
  s.description.clear();
  s.file.clear();
  s.expect = Expectations{};
  return s;
}

}  // namespace

Scenario decode_fault_schedule(std::span<const std::uint8_t> data) {
  Reader in(data);
  Scenario s;
  s.name = std::string(kName);
  s.client_timeout = ms(1 + in.u16() % Limits::kMaxTimeoutMs);
  const std::uint8_t flags = in.u8();
  if ((flags & 1) != 0) s.reset_mode = ResetMode::windows_like;
  const unsigned injections = (flags >> 1) % 5;
  for (unsigned i = 0; i < injections; ++i) {
    const std::uint8_t b = in.u8();
    Injection inj;
    inj.call = static_cast<Injection::Call>(b & 3);
    inj.error = (b & 4) != 0 ? std::make_error_code(std::errc::resource_unavailable_try_again)
                             : std::make_error_code(std::errc::interrupted);
    // Every call failing would make the client's retries hit the
    // simulator's cap of 1000 in a row: slow and not more interesting.
    inj.every = 2 + in.u8() % 8u;
    const bool duplicate = std::any_of(
        s.injections.begin(), s.injections.end(), [&](const Injection& o) {
          return o.call == inj.call && o.error == inj.error;
        });
    if (!duplicate) s.injections.push_back(inj);
  }
  s.request = decode_data(in, false);
  const std::uint64_t request_size = data_size(s.request, 0);

  ConnectionScript script;  // 1+
  Placement state;
  std::uint64_t written = 0;
  while (!in.empty() && script.steps.size() < Limits::kMaxSteps) {
    const std::vector<K> allowed = state.allowed();
    Step step;
    step.kind = allowed[in.u8() % allowed.size()];
    switch (step.kind) {
      case K::accept: step.delay = ms(in.u16()); break;
      case K::sleep: step.delay = ms(in.u16()); break;
      case K::recv_buffer:
        step.count = std::max(1 + std::uint64_t{in.u16()}, min_chunk(request_size));
        break;
      case K::read:
        step.count = 1 + std::uint64_t{in.u16()};
        decode_pieces(in, step, step.count);
        break;
      case K::read_until_fin: decode_pieces(in, step, request_size); break;
      case K::write: {
        step.data = decode_data(in, true);
        const std::uint64_t size = data_size(step.data, request_size);
        decode_pieces(in, step, size);
        written += size;
        break;
      }
      default: break;
    }
    // Past the budget the script ends where it is (implicit close).
    if (written > Limits::kMaxDataBytes) break;
    script.steps.push_back(step);
    state.place(step.kind);
    if (ends_script(step.kind)) break;
  }
  s.scripts.push_back(std::move(script));
  return s;
}

FaultScheduleEncoding encode_fault_schedule(const Scenario& scenario) {
  FaultScheduleEncoding out;
  auto fail = [&](std::string why) {
    out.bytes.clear();
    out.error = std::move(why);
    return out;
  };
  if (scenario.seed != 0) return fail("a seed other than 0");
  if (scenario.scripts.size() != 1 || scenario.scripts[0].first != 1 ||
      scenario.scripts[0].last != 0) {
    return fail("not a single `connection 1+` script");
  }
  if (scenario.injections.size() > 4) return fail("more than 4 injections");
  Writer w;
  std::uint64_t timeout = 0;
  if (!whole_ms(scenario.client_timeout, 1, Limits::kMaxTimeoutMs, timeout)) {
    return fail("a timeout that is not whole milliseconds up to 30s");
  }
  w.u16(timeout - 1);
  w.u8((scenario.reset_mode == ResetMode::windows_like ? 1 : 0) |
       (scenario.injections.size() << 1));
  for (const Injection& inj : scenario.injections) {
    if (inj.every < 2 || inj.every > 9) return fail("an injection `every` outside 2..9");
    if (inj.at != 0) return fail("an injection `at` a call");
    const bool eagain = inj.error == std::errc::resource_unavailable_try_again;
    if (!eagain && inj.error != std::errc::interrupted) {
      return fail("an injected error other than EINTR or EAGAIN");
    }
    w.u8(static_cast<unsigned>(inj.call) | (eagain ? 4u : 0u));
    w.u8(inj.every - 2);
  }
  if (std::string e = encode_data(w, scenario.request, false); !e.empty()) return fail(e);

  const auto& steps = scenario.scripts[0].steps;
  if (steps.size() > Limits::kMaxSteps) return fail("more than 12 steps");
  Placement state;
  for (const Step& step : steps) {
    const std::vector<K> allowed = state.allowed();
    const auto it = std::find(allowed.begin(), allowed.end(), step.kind);
    if (it == allowed.end()) return fail("a step the placement rules forbid");
    w.u8(static_cast<std::uint64_t>(it - allowed.begin()));
    std::uint64_t v = 0;
    switch (step.kind) {
      case K::accept:
      case K::sleep:
        if (!whole_ms(step.delay, 0, 65535, v)) {
          return fail("a delay that is not whole milliseconds up to 65535ms");
        }
        w.u16(v);
        break;
      case K::recv_buffer:
      case K::read:
        if (step.count < 1 || step.count > 65536) return fail("a size above 64KiB");
        w.u16(step.count - 1);
        if (step.kind == K::read) {
          if (std::string e = encode_pieces(w, step); !e.empty()) return fail(e);
        }
        break;
      case K::read_until_fin:
        if (std::string e = encode_pieces(w, step); !e.empty()) return fail(e);
        break;
      case K::write:
        if (std::string e = encode_data(w, step.data, true); !e.empty()) return fail(e);
        if (std::string e = encode_pieces(w, step); !e.empty()) return fail(e);
        break;
      default: break;
    }
    state.place(step.kind);
  }
  out.bytes = std::move(w.bytes);
  // The decoder is the definition: whatever it would change (a bound on
  // pieces or bytes, a dropped duplicate injection) is outside the format.
  if (!(decode_fault_schedule(out.bytes) == normalized(scenario))) {
    return fail("outside the format's bounds (too many pieces or bytes, "
                "or a duplicate injection)");
  }
  return out;
}

std::string FaultScheduleCheck::report() const {
  std::ostringstream o;
  o << "scenario (decoded from the input):\n" << print_scenario(scenario);
  if (!round_trips) o << "round trip: " << round_trip_error << "\n";
  if (!run.error.empty()) o << "harness error: " << run.error << "\n";
  for (const RuleResult* r : run.violations()) {
    o << "violated " << to_string(r->rule) << ": " << r->evidence << "\n";
  }
  o << "client: outcome "
    << (run.client.outcome ? to_string(*run.client.outcome) : "none")
    << ", " << run.client.response.size() << " bytes delivered, elapsed "
    << std::chrono::duration_cast<milliseconds>(run.client.elapsed).count()
    << "ms";
  if (!run.client.diagnostics.empty()) o << ", " << run.client.diagnostics;
  o << "\nmodel allows:";
  for (Outcome a : run.model.allowed) o << " " << to_string(a);
  o << "\nmodel reasoning:\n";
  for (const std::string& line : run.model.reasoning) o << "  " << line << "\n";
  // Run it again with the trace on: only failures pay for it.
  RunOptions traced;
  traced.keep_trace = true;
  const auto client = reference_client();
  const ScenarioRun again = run_scenario(scenario, *client, traced);
  std::string trace = again.trace;
  constexpr std::size_t kMaxTrace = 6000;
  if (trace.size() > kMaxTrace) {
    trace = "...\n" + trace.substr(trace.size() - kMaxTrace);
  }
  o << "simulation trace:\n" << trace;
  return o.str();
}

FaultScheduleCheck check_fault_schedule(std::span<const std::uint8_t> data) {
  FaultScheduleCheck c;
  c.scenario = decode_fault_schedule(data);
  const std::string text = print_scenario(c.scenario);
  const ParseResult parsed = parse_scenario(text, "<fault-schedule>");
  if (!parsed.ok()) {
    c.round_trip_error = "the printed scenario does not parse: " +
                         (parsed.error ? parsed.error->to_string() : "?");
  } else if (!(*parsed.scenario == c.scenario)) {
    c.round_trip_error = "the printed scenario parses to a different one";
  } else if (print_scenario(*parsed.scenario) != text) {
    c.round_trip_error = "printing the re-parsed scenario gives other text";
  } else {
    c.round_trips = true;
  }
  const auto client = reference_client();
  c.run = run_scenario(c.scenario, *client, RunOptions{});
  return c;
}

}  // namespace sockcheck
