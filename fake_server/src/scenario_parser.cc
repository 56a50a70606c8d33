// The scenario language: text to Scenario. See scenario_parser.h and
// docs/scenario-language.md for the grammar.
//
// Theory of operation. The language is line-oriented, so the parser walks
// the input one line at a time and pulls tokens from that line on demand
// (word, "string", `|`, end of line). Tokens are produced lazily so the
// first error reported is the first one in reading order: a bad escape late
// in a line is not reported before a misspelt keyword at its start. Every
// function returns bool; the first failure records a ParseError and every
// caller returns at once, so nothing throws and nothing continues past an
// error.
//
// Why the parser is linear on any input: each byte is looked at a bounded
// number of times by the lexer; every check that compares a line with
// earlier lines uses bounded state (a handful of flags per script, at most
// eight injections, at most six outcomes) or an ordered map (overlapping
// connection ranges); quoted text in messages is cut to a fixed length; the
// spelling suggestion only runs on short words. The caps on inputs, sizes
// and durations (constants below, documented in the language reference)
// keep later materialisation bounded too.
#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <span>
#include <utility>

#include "sockcheck/scenario_parser.h"
#include "sockcheck/units.h"

namespace sockcheck {
namespace {

constexpr std::size_t kMaxInput = 16u << 20;          // bytes of scenario text
constexpr std::uint64_t kMaxLiteral = 1u << 20;        // decoded "..." and hex
constexpr std::uint64_t kMaxSize = 1ULL << 30;         // every size
constexpr Duration kMaxDuration = std::chrono::hours(1);
constexpr std::uint64_t kMaxConnection = 1'000'000;
constexpr std::size_t kMaxName = 128;
constexpr std::size_t kMaxQuoted = 40;  // characters of source text in a message

// Source text for a message: cut to kMaxQuoted, non-printables as \xHH, so
// a message is always one short line whatever the input holds.
std::string quote(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "'";
  const std::size_t shown = std::min(text.size(), kMaxQuoted);
  for (std::size_t i = 0; i < shown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  if (text.size() > shown) out += "...";
  out += "'";
  return out;
}

// "a, b or c".
std::string one_of(std::span<const std::string_view> names) {
  std::string out;
  std::size_t i = 0;
  for (const auto name : names) {
    if (i > 0) out += (i + 1 == names.size()) ? " or " : ", ";
    out += name;
    ++i;
  }
  return out;
}

// Levenshtein distance, only ever called on short words (see suggest()).
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                         diagonal + (a[i - 1] == b[j - 1] ? 0u : 1u)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The closest candidate within two edits, if the word is short enough for
// a suggestion to mean anything; the earliest candidate wins a tie.
std::optional<std::string_view> suggest(
    std::string_view word, std::span<const std::string_view> names) {
  if (word.size() < 2 || word.size() > 32) return std::nullopt;
  std::optional<std::string_view> best;
  std::size_t best_distance = 3;
  for (const auto name : names) {
    const std::size_t d = edit_distance(word, name);
    if (d < best_distance && d < name.size()) {
      best = name;
      best_distance = d;
    }
  }
  return best;
}

bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

bool is_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

struct Token {
  enum class Kind { end, word, string, pipe };
  Kind kind = Kind::end;
  int column = 0;         // 1-based byte column of the first character
  std::string_view raw;   // the token as written (quotes included)
  std::string value;      // a string token's decoded bytes

  [[nodiscard]] bool is_word(std::string_view w) const {
    return kind == Kind::word && raw == w;
  }
  // How a message names the token.
  [[nodiscard]] std::string shown() const {
    return kind == Kind::end ? std::string("end of line") : quote(raw);
  }
};

constexpr std::string_view kStepWords[] = {
    "accept", "refuse", "read",  "recv-buffer", "write",
    "sleep",  "half-close", "close", "reset",   "hang"};
constexpr std::string_view kLineWords[] = {
    "scenario", "description", "request", "timeout",    "seed",
    "reset-mode", "inject",    "connection", "expect"};
constexpr std::string_view kAllWords[] = {
    "accept",      "refuse",     "read",       "recv-buffer", "write",
    "sleep",       "half-close", "close",      "reset",       "hang",
    "scenario",    "description", "request",   "timeout",     "seed",
    "reset-mode",  "inject",     "connection", "expect"};
constexpr std::string_view kOutcomeWords[] = {
    "closed", "reset", "timed-out", "refused", "connect-failed", "error"};
constexpr std::string_view kExpectWords[] = {
    "outcome", "response", "received", "client-fin", "within"};

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

class Parser {
 public:
  Parser(std::string_view text, std::string_view file)
      : text_(text), file_(file) {}

  ParseResult run() {
    ParseResult result;
    if (parse_all()) {
      s_.file = file_;
      result.scenario = std::move(s_);
    } else {
      result.error = std::move(error_);
    }
    return result;
  }

 private:
  // --- errors -------------------------------------------------------------

  bool fail(int column, std::string message) {
    if (!error_) {
      ParseError e;
      e.file = file_;
      e.where = {line_no_, column};
      e.message = std::move(message);
      e.line_text = std::string(line_);
      error_ = std::move(e);
    }
    return false;
  }

  // --- lines --------------------------------------------------------------

  bool parse_all() {
    if (text_.size() > kMaxInput) {
      line_no_ = 1;
      line_ = text_.substr(0, std::min<std::size_t>(text_.find('\n'), 200));
      return fail(1, "input larger than 16MiB");
    }
    std::size_t start = 0;
    while (start <= text_.size()) {
      std::size_t end = text_.find('\n', start);
      if (end == std::string_view::npos) end = text_.size();
      line_ = text_.substr(start, end - start);
      if (!line_.empty() && line_.back() == '\r') line_.remove_suffix(1);
      ++line_no_;
      pos_ = 0;
      peeked_.reset();
      // A UTF-8 byte order mark, as some editors write, is not content.
      if (line_no_ == 1 && line_.substr(0, 3) == "\xef\xbb\xbf") pos_ = 3;
      if (!parse_line()) return false;
      start = end + 1;
    }
    return finish();
  }

  bool finish() {
    if (scenario_line_ == 0) {
      line_no_ = 1;
      line_ = text_.substr(0, std::min(text_.find('\n'), text_.size()));
      if (!line_.empty() && line_.back() == '\r') line_.remove_suffix(1);
      return fail(1, "missing 'scenario NAME' line");
    }
    if (s_.scripts.empty()) s_.scripts.push_back(ConnectionScript{});
    return true;
  }

  // --- tokens -------------------------------------------------------------

  [[nodiscard]] int column_at(std::size_t pos) const {
    return static_cast<int>(pos) + 1;
  }

  bool lex(Token& t) {
    while (pos_ < line_.size() &&
           (line_[pos_] == ' ' || line_[pos_] == '\t' || line_[pos_] == '\r')) {
      ++pos_;
    }
    t = Token{};
    t.column = column_at(pos_);
    if (pos_ >= line_.size() || line_[pos_] == '#') {
      t.kind = Token::Kind::end;
      return true;
    }
    const std::size_t start = pos_;
    const char c = line_[pos_];
    if (c == '|') {
      ++pos_;
      t.kind = Token::Kind::pipe;
      t.raw = line_.substr(start, 1);
      return true;
    }
    if (c == '"') return lex_string(t);
    if (is_control(c)) {
      return fail(t.column,
                  "unexpected control character " + quote(line_.substr(pos_, 1)));
    }
    while (pos_ < line_.size()) {
      const char d = line_[pos_];
      if (d == ' ' || d == '\t' || d == '\r' || d == '#' || d == '"' ||
          d == '|' || is_control(d)) {
        break;
      }
      ++pos_;
    }
    t.kind = Token::Kind::word;
    t.raw = line_.substr(start, pos_ - start);
    return true;
  }

  bool lex_string(Token& t) {
    const std::size_t start = pos_;
    ++pos_;
    t.kind = Token::Kind::string;
    for (;;) {
      if (pos_ >= line_.size()) {
        return fail(column_at(start),
                    "unterminated string (a string ends on the line it starts)");
      }
      const char c = line_[pos_];
      if (c == '"') {
        ++pos_;
        break;
      }
      if (c != '\\') {
        t.value += c;
        ++pos_;
      } else {
        if (pos_ + 1 >= line_.size()) {
          return fail(column_at(start),
                      "unterminated string (a string ends on the line it starts)");
        }
        const char e = line_[pos_ + 1];
        switch (e) {
          case 'n': t.value += '\n'; break;
          case 'r': t.value += '\r'; break;
          case 't': t.value += '\t'; break;
          case '0': t.value += '\0'; break;
          case '\\': t.value += '\\'; break;
          case '"': t.value += '"'; break;
          case 'x': {
            if (pos_ + 3 >= line_.size() || !is_hex_digit(line_[pos_ + 2]) ||
                !is_hex_digit(line_[pos_ + 3])) {
              return fail(column_at(pos_),
                          "bad escape " +
                              quote(line_.substr(pos_, std::min<std::size_t>(
                                                           4, line_.size() - pos_))) +
                              " (\\x needs two hex digits)");
            }
            t.value += static_cast<char>(hex_value(line_[pos_ + 2]) * 16 +
                                         hex_value(line_[pos_ + 3]));
            pos_ += 2;
            break;
          }
          default:
            return fail(column_at(pos_),
                        "unknown escape " + quote(line_.substr(pos_, 2)) +
                            " (use \\n \\r \\t \\0 \\\\ \\\" or \\xHH)");
        }
        pos_ += 2;
      }
      if (t.value.size() > kMaxLiteral) {
        return fail(column_at(start), "string longer than 1MiB");
      }
    }
    t.raw = line_.substr(start, pos_ - start);
    return true;
  }

  bool next(Token& t) {
    if (peeked_) {
      t = std::move(*peeked_);
      peeked_.reset();
      return true;
    }
    return lex(t);
  }

  // The next token without consuming it; nullptr after a lexical error.
  const Token* peek() {
    if (!peeked_) {
      Token t;
      if (!lex(t)) return nullptr;
      peeked_ = std::move(t);
    }
    return &*peeked_;
  }

  bool expect_end() {
    Token t;
    if (!next(t)) return false;
    if (t.kind != Token::Kind::end) {
      return fail(t.column, "unexpected " + t.shown() + " (expected end of line)");
    }
    return true;
  }

  // --- values -------------------------------------------------------------

  // A word the value must be read from; `what` names the value for the
  // message ("a duration after 'sleep'").
  bool word_for(Token& t, std::string_view what) {
    if (!next(t)) return false;
    if (t.kind != Token::Kind::word) {
      return fail(t.column, "expected " + std::string(what) + ", found " + t.shown());
    }
    return true;
  }

  bool duration_value(std::string_view what, Duration& out, bool allow_zero) {
    Token t;
    if (!word_for(t, what)) return false;
    std::string why;
    const auto d = parse_duration(t.raw, &why);
    if (!d) return fail(t.column, "bad duration " + quote(t.raw) + ": " + why);
    if (*d > kMaxDuration) {
      return fail(t.column,
                  "duration " + quote(t.raw) + " is longer than the limit of 1h");
    }
    if (!allow_zero && *d <= Duration::zero()) {
      return fail(t.column, "duration " + quote(t.raw) + " must be greater than 0");
    }
    out = *d;
    return true;
  }

  // `name` is the construct the size belongs to, for "'chunk' must be at
  // least 1 byte".
  bool size_value(std::string_view what, std::string_view name,
                  std::uint64_t& out) {
    Token t;
    if (!word_for(t, what)) return false;
    std::string why;
    const auto n = parse_size(t.raw, &why);
    if (!n) return fail(t.column, "bad size " + quote(t.raw) + ": " + why);
    if (*n > kMaxSize) {
      return fail(t.column,
                  "size " + quote(t.raw) + " is larger than the limit of 1GiB");
    }
    if (*n == 0) {
      return fail(t.column, "'" + std::string(name) + "' must be at least 1 byte");
    }
    out = *n;
    return true;
  }

  bool number_value(std::string_view what, std::uint64_t max,
                    std::uint64_t& out) {
    Token t;
    if (!word_for(t, what)) return false;
    return number_text(t.raw, t.column, max, out);
  }

  bool number_text(std::string_view text, int column, std::uint64_t max,
                   std::uint64_t& out) {
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    const bool digits_only = std::all_of(
        text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (text.empty() || !digits_only) {
      return fail(column, "expected a whole number, found " + quote(text));
    }
    if (ec != std::errc() || end != text.data() + text.size() || v > max) {
      return fail(column, "number " + quote(text) + " is too large (at most " +
                              std::to_string(max) + ")");
    }
    out = v;
    return true;
  }

  // DATA: "string" | hex DIGITS | repeat "pattern" SIZE | random SIZE
  // [seed N] | request. `after` names what the data follows, for messages.
  bool data_value(std::string_view after, bool allow_request, DataSpec& out) {
    Token t;
    if (!next(t)) return false;
    out = DataSpec{};
    if (t.kind == Token::Kind::string) {
      out.kind = DataSpec::Kind::literal;
      out.text = std::move(t.value);
      return true;
    }
    if (t.is_word("hex")) return hex_value_of(out);
    if (t.is_word("repeat")) {
      out.kind = DataSpec::Kind::repeat;
      Token p;
      if (!next(p)) return false;
      if (p.kind != Token::Kind::string) {
        return fail(p.column,
                    "expected a \"pattern\" after 'repeat', found " + p.shown());
      }
      if (p.value.empty()) {
        return fail(p.column, "the pattern of 'repeat' must not be empty");
      }
      out.text = std::move(p.value);
      return size_value("a size after the pattern of 'repeat'", "repeat",
                        out.size);
    }
    if (t.is_word("random")) {
      out.kind = DataSpec::Kind::random;
      if (!size_value("a size after 'random'", "random", out.size)) return false;
      const Token* p = peek();
      if (p == nullptr) return false;
      if (p->is_word("seed")) {
        Token s;
        next(s);
        return number_value("a seed after 'seed'", UINT64_MAX, out.seed);
      }
      return true;
    }
    if (t.is_word("request")) {
      if (!allow_request) {
        return fail(t.column, "the request cannot be 'request' (it would refer to itself)");
      }
      out.kind = DataSpec::Kind::request;
      return true;
    }
    return fail(t.column, "expected data after " + std::string(after) +
                              " (a \"string\", hex, repeat, random or request), "
                              "found " + t.shown());
  }

  bool hex_value_of(DataSpec& out) {
    out.kind = DataSpec::Kind::hex;
    Token t;
    if (!word_for(t, "hex digits after 'hex'")) return false;
    for (std::size_t i = 0; i < t.raw.size(); ++i) {
      if (!is_hex_digit(t.raw[i])) {
        return fail(t.column + static_cast<int>(i),
                    "bad hex digit " + quote(t.raw.substr(i, 1)));
      }
    }
    if (t.raw.size() % 2 != 0) {
      return fail(t.column, "odd number of hex digits in " + quote(t.raw));
    }
    if (t.raw.size() / 2 > kMaxLiteral) {
      return fail(t.column, "hex data longer than 1MiB");
    }
    out.text.reserve(t.raw.size() / 2);
    for (std::size_t i = 0; i < t.raw.size(); i += 2) {
      out.text += static_cast<char>(hex_value(t.raw[i]) * 16 + hex_value(t.raw[i + 1]));
    }
    return true;
  }

  // --- dispatch -----------------------------------------------------------

  bool parse_line() {
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

  // Lines that may appear once: remembers where, or reports the duplicate.
  bool once(int& first_line, const Token& keyword, std::string_view name) {
    if (first_line != 0) {
      return fail(keyword.column, "duplicate '" + std::string(name) +
                                      "' (first on line " +
                                      std::to_string(first_line) + ")");
    }
    first_line = line_no_;
    return true;
  }

  // --- scenario-wide lines --------------------------------------------------

  bool parse_scenario_line(const Token& k) {
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

  bool parse_description(const Token& k) {
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

  bool parse_request(const Token& k) {
    if (!once(request_line_, k, "request")) return false;
    return data_value("'request'", false, s_.request) && expect_end();
  }

  bool parse_timeout(const Token& k) {
    if (!once(timeout_line_, k, "timeout")) return false;
    return duration_value("a duration after 'timeout'", s_.client_timeout, false) &&
           expect_end();
  }

  bool parse_seed(const Token& k) {
    if (!once(seed_line_, k, "seed")) return false;
    return number_value("a number after 'seed'", UINT64_MAX, s_.seed) &&
           expect_end();
  }

  bool parse_reset_mode(const Token& k) {
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

  bool parse_inject(const Token& k) {
    Injection inj;
    inj.where = {line_no_, k.column};
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
    } else {
      return fail(t.column,
                  "unknown error " + quote(t.raw) + " (expected EINTR or EAGAIN)");
    }
    for (const auto& other : s_.injections) {
      if (other.call == inj.call && other.error == inj.error) {
        return fail(k.column, "duplicate 'inject " + call_text + " " +
                                  std::string(t.raw) + "' (first on line " +
                                  std::to_string(other.where.line) + ")");
      }
    }
    const Token* p = peek();
    if (p == nullptr) return false;
    if (p->is_word("every")) {
      next(t);
      Token n;
      std::uint64_t every = 0;
      if (!word_for(n, "a number after 'every'") ||
          !number_text(n.raw, n.column, UINT32_MAX, every)) {
        return false;
      }
      if (every == 0) return fail(n.column, "'every' must be at least 1");
      inj.every = static_cast<std::uint32_t>(every);
    } else if (p->kind != Token::Kind::end) {
      return fail(p->column, "unknown option " + p->shown() +
                                 " for 'inject' (expected every)");
    }
    if (!expect_end()) return false;
    s_.injections.push_back(inj);
    return true;
  }

  bool parse_connection(const Token& k) {
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
    ranges_[first] = Range{first, last, line_no_};
    mode_ = Mode::headers;
    ConnectionScript script;
    script.first = static_cast<int>(first);
    script.last = static_cast<int>(last);
    script.where = {line_no_, k.column};
    s_.scripts.push_back(std::move(script));
    script_ = ScriptState{};
    return true;
  }

  bool parse_expect(const Token& k) {
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
    if (const auto s = suggest(t.raw, kExpectWords)) {
      return fail(t.column, "unknown expectation " + quote(t.raw) +
                                " (did you mean '" + std::string(*s) + "'?)");
    }
    return fail(t.column, "unknown expectation " + quote(t.raw) + " (expected " +
                              one_of(kExpectWords) + ")");
  }

  bool parse_outcomes() {
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

  // --- steps --------------------------------------------------------------

  // Where a step may stand in its script; checked at the keyword, before
  // its arguments, so the message points at the step that is out of place.
  bool check_placement(const Token& k, Step::Kind kind) {
    if (mode_ == Mode::none) {
      mode_ = Mode::headerless;
      ConnectionScript script;
      script.where = {line_no_, k.column};
      s_.scripts.push_back(std::move(script));
    }
    const auto& steps = s_.scripts.back().steps;
    const std::string kw(k.raw);
    if (script_.ended_by == Step::Kind::refuse) {
      return fail(k.column, "'" + kw +
                                "' after 'refuse' (refuse must be the only step "
                                "of its script)");
    }
    if (script_.ended_by) {
      return fail(k.column, "'" + kw + "' after '" +
                                std::string(script_.ended_by_word) +
                                "' (close, reset and hang end a script)");
    }
    switch (kind) {
      case Step::Kind::accept:
        if (!steps.empty()) {
          return fail(k.column, "'accept' must be the first step of its script");
        }
        break;
      case Step::Kind::refuse:
        if (!steps.empty()) {
          return fail(k.column, "'refuse' must be the only step of its script");
        }
        break;
      case Step::Kind::recv_buffer:
        if (!(steps.empty() ||
              (steps.size() == 1 && steps[0].kind == Step::Kind::accept))) {
          return fail(k.column,
                      "'recv-buffer' must be the first step of its script, or "
                      "follow 'accept'");
        }
        break;
      case Step::Kind::write:
        if (script_.half_closed) {
          return fail(k.column,
                      "'write' after 'half-close' (the server has already sent "
                      "its FIN)");
        }
        break;
      case Step::Kind::half_close:
        if (script_.half_closed) {
          return fail(k.column, "second 'half-close' in one script");
        }
        break;
      default: break;
    }
    return true;
  }

  bool parse_step(const Token& k, Step::Kind kind) {
    if (!check_placement(k, kind)) return false;
    Step step;
    step.kind = kind;
    step.where = {line_no_, k.column};
    bool ok = true;
    switch (kind) {
      case Step::Kind::accept: ok = step_options(k, step, false, true); break;
      case Step::Kind::read: {
        const Token* p = peek();
        if (p == nullptr) return false;
        if (p->is_word("until-fin")) {
          Token skip;
          next(skip);
          step.kind = Step::Kind::read_until_fin;
        } else if (p->kind != Token::Kind::word) {
          return fail(p->column,
                      "expected a byte count or until-fin after 'read', found " +
                          p->shown());
        } else if (!size_value("a byte count after 'read'", "read", step.count)) {
          return false;
        }
        ok = step_options(k, step, true, false);
        break;
      }
      case Step::Kind::recv_buffer:
        ok = size_value("a size after 'recv-buffer'", "recv-buffer", step.count) &&
             expect_end();
        break;
      case Step::Kind::write:
        ok = data_value("'write'", true, step.data) &&
             step_options(k, step, true, false);
        break;
      case Step::Kind::sleep:
        ok = duration_value("a duration after 'sleep'", step.delay, true) &&
             expect_end();
        break;
      default: ok = expect_end(); break;
    }
    if (!ok) return false;
    switch (kind) {
      case Step::Kind::half_close: script_.half_closed = true; break;
      case Step::Kind::refuse:
      case Step::Kind::close:
      case Step::Kind::reset:
      case Step::Kind::hang:
        script_.ended_by = kind;
        script_.ended_by_word = k.raw;
        break;
      default: break;
    }
    s_.scripts.back().steps.push_back(std::move(step));
    return true;
  }

  // The options after a step: `chunk SIZE` and `gap DURATION` (read, write)
  // or `after DURATION` (accept), in any order, each at most once.
  bool step_options(const Token& k, Step& step, bool pieces, bool after) {
    bool seen_chunk = false;
    bool seen_gap = false;
    bool seen_after = false;
    int gap_column = 0;
    const std::string kw(k.raw);
    for (;;) {
      Token t;
      if (!next(t)) return false;
      if (t.kind == Token::Kind::end) break;
      const bool is_chunk = pieces && t.is_word("chunk");
      const bool is_gap = pieces && t.is_word("gap");
      const bool is_after = after && t.is_word("after");
      if (!is_chunk && !is_gap && !is_after) {
        const std::string expected = pieces ? "chunk or gap" : "after";
        return fail(t.column, "unknown option " + t.shown() + " for '" + kw +
                                  "' (expected " + expected + ")");
      }
      bool& seen = is_chunk ? seen_chunk : is_gap ? seen_gap : seen_after;
      if (seen) return fail(t.column, "duplicate option " + t.shown());
      seen = true;
      if (is_chunk) {
        if (!size_value("a size after 'chunk'", "chunk", step.chunk)) return false;
      } else if (is_gap) {
        gap_column = t.column;
        if (!duration_value("a duration after 'gap'", step.gap, true)) return false;
      } else {
        if (!duration_value("a duration after 'after'", step.delay, true)) {
          return false;
        }
      }
    }
    // The gap is the pause between chunks. Without chunk a write is one
    // piece and a read takes whatever has arrived, so a gap would mean
    // nothing on loopback; rejecting it keeps both transports in step.
    if (seen_gap && !seen_chunk) {
      return fail(gap_column,
                  "'gap' needs 'chunk' (the gap is the pause between chunks)");
    }
    return true;
  }

  // --- state --------------------------------------------------------------

  enum class Mode { none, headerless, headers };
  struct Range {
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    int line = 0;
  };
  struct ScriptState {
    bool half_closed = false;
    std::optional<Step::Kind> ended_by;  // close, reset, hang or refuse
    std::string_view ended_by_word;
  };

  std::string_view text_;
  std::string file_;
  std::string_view line_;
  int line_no_ = 0;
  std::size_t pos_ = 0;
  std::optional<Token> peeked_;
  std::optional<ParseError> error_;

  Scenario s_;
  Mode mode_ = Mode::none;
  ScriptState script_;
  std::map<std::uint64_t, Range> ranges_;
  int scenario_line_ = 0;
  int description_line_ = 0;
  int request_line_ = 0;
  int timeout_line_ = 0;
  int seed_line_ = 0;
  int reset_mode_line_ = 0;
  int expect_outcome_line_ = 0;
  int expect_response_line_ = 0;
  int expect_received_line_ = 0;
  int expect_fin_line_ = 0;
  int expect_within_line_ = 0;
};

}  // namespace

std::string ParseError::to_string() const {
  const std::string name = file.empty() ? std::string("<input>") : file;
  if (where.line <= 0) return name + ": " + message;
  return name + ":" + std::to_string(where.line) + ":" +
         std::to_string(where.column) + ": " + message;
}

ParseResult parse_scenario(std::string_view text, std::string_view file_name) {
  return Parser(text, file_name).run();
}

ParseResult load_scenario_file(const std::filesystem::path& path) {
  const auto failure = [&](std::string message) {
    ParseResult r;
    ParseError e;
    e.file = path.string();
    e.message = std::move(message);
    r.error = std::move(e);
    return r;
  };
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return failure("cannot read the file: " + ec.message());
  if (size > kMaxInput) return failure("file larger than 16MiB");
  std::ifstream in(path, std::ios::binary);
  if (!in) return failure("cannot open the file");
  std::string text(static_cast<std::size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  // The file may have changed size since file_size(); keep what was read.
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (in.bad()) return failure("cannot read the file");
  return parse_scenario(text, path.string());
}

}  // namespace sockcheck
