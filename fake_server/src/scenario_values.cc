// The value readers of the scenario language; see scenario_values.h. The
// caps below are documented in docs/scenario-language.md; they keep what
// a scenario asks for (bytes to write, time to wait) bounded whatever the
// input.
#include "scenario_values.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <string>
#include <system_error>
#include <utility>

#include "sockcheck/units.h"

namespace sockcheck::scenario_parsing {

namespace {

constexpr std::uint64_t kMaxSize = 1ULL << 30;  // every size
constexpr Duration kMaxDuration = std::chrono::hours(1);

}  // namespace

bool ValueParser::word_for(Token& t, std::string_view what) {
  if (!next(t)) return false;
  if (t.kind != Token::Kind::word) {
    return fail(t.column, "expected " + std::string(what) + ", found " + t.shown());
  }
  return true;
}

bool ValueParser::duration_value(std::string_view what, Duration& out,
                                 bool allow_zero) {
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

bool ValueParser::size_value(std::string_view what, std::string_view name,
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

bool ValueParser::number_value(std::string_view what, std::uint64_t max,
                               std::uint64_t& out) {
  Token t;
  if (!word_for(t, what)) return false;
  return number_text(t.raw, t.column, max, out);
}

bool ValueParser::number_text(std::string_view text, int column,
                              std::uint64_t max, std::uint64_t& out) {
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

bool ValueParser::data_value(std::string_view after, bool allow_request,
                             DataSpec& out) {
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

bool ValueParser::hex_value_of(DataSpec& out) {
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

}  // namespace sockcheck::scenario_parsing
