// The canonical text of a scenario. See scenario_parser.h.
//
// Theory of operation. The printer is the parser's inverse on every
// scenario the parser produces: it writes one construct per line in a fixed
// order (scenario-wide lines, injections, one block per connection script
// under an explicit `connection` header with steps indented two spaces,
// expectations last), every string through escaped_literal() (escape.h),
// whose escapes are exactly the ones the parser reads, and sizes and
// durations through format_size() and format_duration(), which are exact.
// It writes only what the model holds: the implicit accept and close of a
// script are not added, and options at their defaults (chunk 0, gap 0,
// accept after 0s) are left out, because the parser reads their absence as
// exactly those defaults.
#include <string>

#include "sockcheck/escape.h"
#include "sockcheck/scenario_parser.h"
#include "sockcheck/units.h"

namespace sockcheck {
namespace {

std::string data_text(const DataSpec& d) {
  static constexpr char kHex[] = "0123456789abcdef";
  switch (d.kind) {
    case DataSpec::Kind::literal: return escaped_literal(d.text);
    case DataSpec::Kind::hex: {
      std::string out = "hex ";
      for (const char c : d.text) {
        const auto u = static_cast<unsigned char>(c);
        out += kHex[u >> 4];
        out += kHex[u & 0xf];
      }
      return out;
    }
    case DataSpec::Kind::repeat:
      return "repeat " + escaped_literal(d.text) + " " + format_size(d.size);
    case DataSpec::Kind::random:
      return "random " + format_size(d.size) + " seed " + std::to_string(d.seed);
    case DataSpec::Kind::request: return "request";
  }
  return "\"\"";
}

std::string pieces_text(const Step& s) {
  std::string out;
  if (s.chunk != 0) out += " chunk " + format_size(s.chunk);
  if (s.gap != Duration::zero()) out += " gap " + format_duration(s.gap);
  return out;
}

std::string step_text(const Step& s) {
  switch (s.kind) {
    case Step::Kind::accept:
      return s.delay == Duration::zero()
                 ? "accept"
                 : "accept after " + format_duration(s.delay);
    case Step::Kind::refuse: return "refuse";
    case Step::Kind::read: return "read " + format_size(s.count) + pieces_text(s);
    case Step::Kind::read_until_fin: return "read until-fin" + pieces_text(s);
    case Step::Kind::recv_buffer: return "recv-buffer " + format_size(s.count);
    case Step::Kind::write: return "write " + data_text(s.data) + pieces_text(s);
    case Step::Kind::sleep: return "sleep " + format_duration(s.delay);
    case Step::Kind::half_close: return "half-close";
    case Step::Kind::close: return "close";
    case Step::Kind::reset: return "reset";
    case Step::Kind::hang: return "hang";
  }
  return "";
}

std::string range_text(const ConnectionScript& c) {
  if (c.last == 0) return std::to_string(c.first) + "+";
  if (c.first == c.last) return std::to_string(c.first);
  return std::to_string(c.first) + "-" + std::to_string(c.last);
}

std::string_view call_text(Injection::Call call) {
  switch (call) {
    case Injection::Call::send: return "send";
    case Injection::Call::recv: return "recv";
    case Injection::Call::wait: return "wait";
    case Injection::Call::shutdown: return "shutdown";
  }
  return "recv";
}

std::string error_text(const std::error_code& ec) {
  if (ec == std::errc::interrupted) return "EINTR";
  if (ec == std::errc::resource_unavailable_try_again ||
      ec == std::errc::operation_would_block) {
    return "EAGAIN";
  }
  // Not expressible in the language; printed so a reader sees what it was.
  return "E" + std::to_string(ec.value());
}

}  // namespace

std::string print_scenario(const Scenario& s) {
  std::string out;
  const auto line = [&out](std::string_view text) {
    out += text;
    out += '\n';
  };
  line("scenario " + s.name);
  if (!s.description.empty()) line("description " + escaped_literal(s.description));
  line("request " + data_text(s.request));
  line("timeout " + format_duration(s.client_timeout));
  if (s.seed != 0) line("seed " + std::to_string(s.seed));
  if (s.reset_mode == ResetMode::windows_like) line("reset-mode windows");
  if (s.level == Level::should) line("level should");
  for (const auto& inj : s.injections) {
    line("inject " + std::string(call_text(inj.call)) + " " +
         (inj.short_count ? std::string("short") : error_text(inj.error)) +
         (inj.at != 0 ? " at " + std::to_string(inj.at)
                      : " every " + std::to_string(inj.every)));
  }
  for (const auto& script : s.scripts) {
    out += '\n';
    line("connection " + range_text(script));
    for (const auto& step : script.steps) line("  " + step_text(step));
  }
  const auto& e = s.expect;
  const bool any = !e.outcomes.empty() || e.response || e.server_received ||
                   e.client_fin || e.max_duration || e.connections;
  if (any) out += '\n';
  if (!e.outcomes.empty()) {
    std::string names;
    for (const auto o : e.outcomes) {
      if (!names.empty()) names += '|';
      names += to_string(o);
    }
    line("expect outcome " + names);
  }
  if (e.response) line("expect response " + data_text(*e.response));
  if (e.server_received) line("expect received " + data_text(*e.server_received));
  if (e.client_fin) line(std::string("expect client-fin ") + (*e.client_fin ? "yes" : "no"));
  if (e.max_duration) line("expect within " + format_duration(*e.max_duration));
  if (e.connections) {
    line(std::string("expect connections ") + (e.connections->at_most ? "at-most " : "") +
         std::to_string(e.connections->count));
  }
  return out;
}

}  // namespace sockcheck
