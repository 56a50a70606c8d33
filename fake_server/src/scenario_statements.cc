// The scenario language's lines other than steps: the scenario-wide lines
// (scenario, description, request, timeout, seed, reset-mode, inject),
// connection headers and expectations, and the dispatch of every line by
// its keyword. See scenario_statements.h; the steps are in
// scenario_steps.cc.
//
// A line that may appear once remembers the line it was on; connection
// ranges are kept in an ordered map, so every check against earlier lines
// costs a bounded amount of work or a map lookup.
#include "scenario_statements.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

namespace sockcheck::scenario_parsing {

namespace {

constexpr std::uint64_t kMaxConnection = 1'000'000;
constexpr std::size_t kMaxName = 128;

constexpr std::string_view kStepWords[] = {
    "accept", "refuse", "read",  "recv-buffer", "write",
    "sleep",  "half-close", "close", "reset",   "hang"};
constexpr std::string_view kLineWords[] = {
    "scenario", "description", "request", "timeout",    "seed",
    "reset-mode", "level",     "inject",    "connection", "expect"};
constexpr std::string_view kAllWords[] = {
    "accept",      "refuse",     "read",       "recv-buffer", "write",
    "sleep",       "half-close", "close",      "reset",       "hang",
    "scenario",    "description", "request",   "timeout",     "seed",
    "reset-mode",  "level",      "inject",     "connection", "expect"};
constexpr std::string_view kOutcomeWords[] = {
    "closed", "reset", "timed-out", "refused", "connect-failed", "error"};
constexpr std::string_view kExpectWords[] = {
    "outcome", "response", "received", "client-fin", "within", "connections"};

std::optional<Outcome> outcome_named(std::string_view name) {
  for (const auto o : {Outcome::closed, Outcome::reset, Outcome::timed_out,
                       Outcome::refused, Outcome::connect_failed,
                       Outcome::error}) {
    if (to_string(o) == name) return o;
  }
  return std::nullopt;
}

std::string range_text(std::uint64_t first, std::uint64_t last) {
  if (last == 0) return std::to_string(first) + "+";
  if (first == last) return std::to_string(first);
  return std::to_string(first) + "-" + std::to_string(last);
}

}  // namespace

ParseResult Parser::run() {
  ParseResult result;
  if (parse_all()) {
    s_.file = file();
    result.scenario = std::move(s_);
  } else {
    result.error = take_error();
  }
  return result;
}

bool Parser::parse_all() {
  if (!check_input_size()) return false;
  while (next_line()) {
    if (!parse_line()) return false;
  }
  return finish();
}

bool Parser::finish() {
  if (scenario_line_ == 0) {
    return fail_on_first_line(1, "missing 'scenario NAME' line");
  }
  if (s_.scripts.empty()) s_.scripts.push_back(ConnectionScript{});
  return true;
}

bool Parser::parse_line() {
  Token t;
  if (!next(t)) return false;
  if (t.kind == Token::Kind::end) return true;
  if (t.kind != Token::Kind::word) {
    return fail(t.column, "expected a keyword, found " + t.shown());
  }
  const std::string_view w = t.raw;
  if (w == "scenario") return parse_scenario_line(t);
  if (w == "description") return parse_description(t);
  if (w == "request") return parse_request(t);
  if (w == "timeout") return parse_timeout(t);
  if (w == "seed") return parse_seed(t);
  if (w == "reset-mode") return parse_reset_mode(t);
  if (w == "level") return parse_level(t);
  if (w == "inject") return parse_inject(t);
  if (w == "connection") return parse_connection(t);
  if (w == "expect") return parse_expect(t);
  if (w == "accept") return parse_step(t, Step::Kind::accept);
  if (w == "refuse") return parse_step(t, Step::Kind::refuse);
  if (w == "read") return parse_step(t, Step::Kind::read);
  if (w == "recv-buffer") return parse_step(t, Step::Kind::recv_buffer);
  if (w == "write") return parse_step(t, Step::Kind::write);
  if (w == "sleep") return parse_step(t, Step::Kind::sleep);
  if (w == "half-close") return parse_step(t, Step::Kind::half_close);
  if (w == "close") return parse_step(t, Step::Kind::close);
  if (w == "reset") return parse_step(t, Step::Kind::reset);
  if (w == "hang") return parse_step(t, Step::Kind::hang);
  if (const auto s = suggest(w, kAllWords)) {
    return fail(t.column, "unknown keyword " + quote(w) + " (did you mean '" +
                              std::string(*s) + "'?)");
  }
  return fail(t.column, "unknown keyword " + quote(w) + " (expected a step: " +
                            one_of(kStepWords) + "; or a line: " +
                            one_of(kLineWords) + ")");
}

bool Parser::once(int& first_line, const Token& keyword,
                  std::string_view name) {
  if (first_line != 0) {
    return fail(keyword.column, "duplicate '" + std::string(name) +
                                    "' (first on line " +
                                    std::to_string(first_line) + ")");
  }
  first_line = line_no();
  return true;
}

bool Parser::parse_scenario_line(const Token& k) {
  if (!once(scenario_line_, k, "scenario")) return false;
  Token t;
  if (!word_for(t, "a name after 'scenario'")) return false;
  for (std::size_t i = 0; i < t.raw.size(); ++i) {
    const char c = t.raw[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) {
      return fail(t.column + static_cast<int>(i),
                  "character " + quote(t.raw.substr(i, 1)) +
                      " not allowed in a scenario name (use letters, digits, "
                      "'.', '_' and '-')");
    }
  }
  if (t.raw.size() > kMaxName) {
    return fail(t.column, "scenario name longer than 128 characters");
  }
  s_.name = std::string(t.raw);
  return expect_end();
}

bool Parser::parse_description(const Token& k) {
  if (!once(description_line_, k, "description")) return false;
  Token t;
  if (!next(t)) return false;
  if (t.kind != Token::Kind::string) {
    return fail(t.column,
                "expected a \"string\" after 'description', found " + t.shown());
  }
  s_.description = std::move(t.value);
  return expect_end();
}

bool Parser::parse_request(const Token& k) {
  if (!once(request_line_, k, "request")) return false;
  return data_value("'request'", false, s_.request) && expect_end();
}

bool Parser::parse_timeout(const Token& k) {
  if (!once(timeout_line_, k, "timeout")) return false;
  return duration_value("a duration after 'timeout'", s_.client_timeout, false) &&
         expect_end();
}

bool Parser::parse_seed(const Token& k) {
  if (!once(seed_line_, k, "seed")) return false;
  return number_value("a number after 'seed'", UINT64_MAX, s_.seed) &&
         expect_end();
}

bool Parser::parse_level(const Token& k) {
  if (!once(level_line_, k, "level")) return false;
  Token t;
  if (!word_for(t, "must or should after 'level'")) return false;
  if (t.raw == "must") {
    s_.level = Level::must;
  } else if (t.raw == "should") {
    s_.level = Level::should;
  } else {
    return fail(t.column, "unknown level " + quote(t.raw) + " (expected must or should)");
  }
  return expect_end();
}

bool Parser::parse_reset_mode(const Token& k) {
  if (!once(reset_mode_line_, k, "reset-mode")) return false;
  Token t;
  if (!word_for(t, "linux or windows after 'reset-mode'")) return false;
  if (t.raw == "linux") {
    s_.reset_mode = ResetMode::linux_like;
  } else if (t.raw == "windows") {
    s_.reset_mode = ResetMode::windows_like;
  } else {
    return fail(t.column,
                "unknown reset mode " + quote(t.raw) + " (expected linux or windows)");
  }
  return expect_end();
}

bool Parser::parse_inject(const Token& k) {
  Injection inj;
  inj.where = {line_no(), k.column};
  Token t;
  if (!word_for(t, "a call after 'inject'")) return false;
  if (t.raw == "send") {
    inj.call = Injection::Call::send;
  } else if (t.raw == "recv") {
    inj.call = Injection::Call::recv;
  } else if (t.raw == "wait") {
    inj.call = Injection::Call::wait;
  } else if (t.raw == "shutdown") {
    inj.call = Injection::Call::shutdown;
  } else {
    return fail(t.column, "unknown call " + quote(t.raw) +
                              " (expected send, recv, wait or shutdown)");
  }
  const std::string call_text(t.raw);
  if (!word_for(t, "an error after the call")) return false;
  if (t.raw == "EINTR") {
    inj.error = std::make_error_code(std::errc::interrupted);
  } else if (t.raw == "EAGAIN") {
    inj.error = std::make_error_code(std::errc::resource_unavailable_try_again);
  } else if (t.raw == "short") {
    if (inj.call != Injection::Call::send && inj.call != Injection::Call::recv) {
      return fail(t.column, "'short' applies to send and recv only");
    }
    inj.short_count = true;
  } else {
    return fail(t.column,
                "unknown error " + quote(t.raw) + " (expected EINTR, EAGAIN or short)");
  }
  for (const auto& other : s_.injections) {
    if (other.call == inj.call && other.error == inj.error &&
        other.short_count == inj.short_count) {
      return fail(k.column, "duplicate 'inject " + call_text + " " +
                                std::string(t.raw) + "' (first on line " +
                                std::to_string(other.where.line) + ")");
    }
  }
  const Token* p = peek();
  if (p == nullptr) return false;
  if (p->is_word("every") || p->is_word("at")) {
    const bool at = p->is_word("at");
    next(t);
    Token n;
    std::uint64_t value = 0;
    const std::string what = at ? "'at'" : "'every'";
    if (!word_for(n, "a number after " + what) ||
        !number_text(n.raw, n.column, UINT32_MAX, value)) {
      return false;
    }
    if (value == 0) return fail(n.column, what + " must be at least 1");
    (at ? inj.at : inj.every) = static_cast<std::uint32_t>(value);
  } else if (p->kind != Token::Kind::end) {
    return fail(p->column, "unknown option " + p->shown() +
                               " for 'inject' (expected every or at)");
  }
  if (!expect_end()) return false;
  s_.injections.push_back(inj);
  return true;
}

bool Parser::parse_connection(const Token& k) {
  if (mode_ == Mode::headerless) {
    return fail(k.column,
                "'connection' after steps without a 'connection' header (give "
                "every step a header, or none)");
  }
  Token t;
  if (!word_for(t, "a connection number after 'connection' (N, N+ or N-M)")) {
    return false;
  }
  const std::string_view text = t.raw;
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    ++digits;
  }
  const std::string_view rest = text.substr(digits);
  const bool plus = rest == "+";
  const bool dash = !rest.empty() && rest[0] == '-' && rest.size() > 1 &&
                    std::all_of(rest.begin() + 1, rest.end(),
                                [](char c) { return c >= '0' && c <= '9'; });
  if (digits == 0 || !(rest.empty() || plus || dash)) {
    return fail(t.column, "bad connection range " + quote(text) +
                              " (expected N, N+ or N-M, e.g. 1, 2+ or 2-4)");
  }
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  if (!number_text(text.substr(0, digits), t.column, kMaxConnection, first)) {
    return false;
  }
  if (dash) {
    if (!number_text(rest.substr(1), t.column + static_cast<int>(digits) + 1,
                     kMaxConnection, last)) {
      return false;
    }
  } else if (!plus) {
    last = first;
  }
  if (first == 0 || (dash && last == 0)) {
    return fail(t.column, "connections are numbered from 1, found " + quote(text));
  }
  if (dash && last < first) {
    return fail(t.column, "empty connection range " + quote(text));
  }
  // Ranges so far, keyed by first; they never overlap, so the one that
  // starts at or before `first` and the one after it are the only
  // candidates for an overlap.
  const auto overlap = [&]() -> const Range* {
    auto after = ranges_.lower_bound(first);
    if (after != ranges_.end() && (last == 0 || after->first <= last)) {
      return &after->second;
    }
    if (after != ranges_.begin()) {
      const auto& before = std::prev(after)->second;
      if (before.last == 0 || before.last >= first) return &before;
    }
    return nullptr;
  }();
  if (overlap != nullptr) {
    return fail(t.column, "connection range " + quote(text) + " overlaps '" +
                              range_text(overlap->first, overlap->last) +
                              "' (line " + std::to_string(overlap->line) + ")");
  }
  if (!expect_end()) return false;
  ranges_[first] = Range{first, last, line_no()};
  mode_ = Mode::headers;
  ConnectionScript script;
  script.first = static_cast<int>(first);
  script.last = static_cast<int>(last);
  script.where = {line_no(), k.column};
  s_.scripts.push_back(std::move(script));
  script_ = Placement{};
  return true;
}

bool Parser::parse_expect(const Token& k) {
  Token t;
  if (!word_for(t, "what to expect after 'expect' (" + one_of(kExpectWords) + ")")) {
    return false;
  }
  auto& e = s_.expect;
  if (t.raw == "outcome") {
    if (!once(expect_outcome_line_, k, "expect outcome")) return false;
    return parse_outcomes();
  }
  if (t.raw == "response") {
    if (!once(expect_response_line_, k, "expect response")) return false;
    DataSpec d;
    if (!data_value("'expect response'", true, d)) return false;
    e.response = std::move(d);
    return expect_end();
  }
  if (t.raw == "received") {
    if (!once(expect_received_line_, k, "expect received")) return false;
    DataSpec d;
    if (!data_value("'expect received'", true, d)) return false;
    e.server_received = std::move(d);
    return expect_end();
  }
  if (t.raw == "client-fin") {
    if (!once(expect_fin_line_, k, "expect client-fin")) return false;
    Token v;
    if (!word_for(v, "yes or no after 'client-fin'")) return false;
    if (v.raw != "yes" && v.raw != "no") {
      return fail(v.column, "expected yes or no after 'client-fin', found " +
                                quote(v.raw));
    }
    e.client_fin = v.raw == "yes";
    return expect_end();
  }
  if (t.raw == "within") {
    if (!once(expect_within_line_, k, "expect within")) return false;
    Duration d{};
    if (!duration_value("a duration after 'within'", d, false)) return false;
    e.max_duration = d;
    return expect_end();
  }
  if (t.raw == "connections") {
    if (!once(expect_connections_line_, k, "expect connections")) return false;
    return parse_connection_count();
  }
  if (const auto s = suggest(t.raw, kExpectWords)) {
    return fail(t.column, "unknown expectation " + quote(t.raw) +
                              " (did you mean '" + std::string(*s) + "'?)");
  }
  return fail(t.column, "unknown expectation " + quote(t.raw) + " (expected " +
                            one_of(kExpectWords) + ")");
}

bool Parser::parse_connection_count() {
  Token t;
  if (!word_for(t, "a number after 'connections' (N or at-most N)")) return false;
  ConnectionCount c;
  int column = t.column;
  std::string_view text = t.raw;
  Token n;
  if (t.raw == "at-most") {
    c.at_most = true;
    if (!word_for(n, "a number after 'at-most'")) return false;
    column = n.column;
    text = n.raw;
  }
  std::uint64_t count = 0;
  if (!number_text(text, column, kMaxConnection, count)) return false;
  if (count == 0) {
    return fail(column, "a client opens at least 1 connection, found " + quote(text));
  }
  c.count = static_cast<int>(count);
  s_.expect.connections = c;
  return expect_end();
}

bool Parser::parse_outcomes() {
  auto& outcomes = s_.expect.outcomes;
  for (;;) {
    Token t;
    if (!word_for(t, "an outcome (" + one_of(kOutcomeWords) + ")")) return false;
    const auto o = outcome_named(t.raw);
    if (!o) {
      if (const auto s = suggest(t.raw, kOutcomeWords)) {
        return fail(t.column, "unknown outcome " + quote(t.raw) +
                                  " (did you mean '" + std::string(*s) + "'?)");
      }
      return fail(t.column, "unknown outcome " + quote(t.raw) + " (expected " +
                                one_of(kOutcomeWords) + ")");
    }
    if (std::find(outcomes.begin(), outcomes.end(), *o) != outcomes.end()) {
      return fail(t.column, "outcome " + quote(t.raw) + " listed twice");
    }
    outcomes.push_back(*o);
    if (!next(t)) return false;
    if (t.kind == Token::Kind::end) return true;
    if (t.kind != Token::Kind::pipe) {
      return fail(t.column, "unexpected " + t.shown() +
                                " (expected '|' or end of line)");
    }
  }
}

}  // namespace sockcheck::scenario_parsing
