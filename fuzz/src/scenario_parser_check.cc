// See scenario_parser_check.h.
#include "sockcheck/scenario_parser_check.h"

#include <string>
#include <string_view>

#include "sockcheck/fuzz_assert.h"
#include "sockcheck/scenario_parser.h"

namespace sockcheck {
namespace {

// The length in bytes of the 1-based line `n` of `text` (without its LF),
// or -1 if the text has fewer lines. An empty text has one empty line.
long line_length(std::string_view text, int n) {
  std::size_t start = 0;
  for (int line = 1; line < n; ++line) {
    const std::size_t lf = text.find('\n', start);
    if (lf == std::string_view::npos) return -1;
    start = lf + 1;
  }
  const std::size_t lf = text.find('\n', start);
  const std::size_t end = lf == std::string_view::npos ? text.size() : lf;
  return static_cast<long>(end - start);
}

bool printable_ascii(std::string_view text) {
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7f) return false;
  }
  return true;
}

std::string shown(std::string_view text) {
  std::string out;
  for (const char ch : text.substr(0, 400)) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out += "\\n\n";
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  if (text.size() > 400) out += "...";
  return out;
}

}  // namespace

int check_scenario_parser(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const ParseResult r = parse_scenario(text, "<fuzz>");
  SOCKCHECK_FUZZ_ASSERT(r.scenario.has_value() != r.error.has_value(),
                        "parse-result", "input:\n" + shown(text));
  if (r.error) {
    const ParseError& e = *r.error;
    const long len = e.where.line >= 1 ? line_length(text, e.where.line) : -1;
    SOCKCHECK_FUZZ_ASSERT(len >= 0 && e.where.column >= 1 &&
                              e.where.column <= len + 1,
                          "error-location",
                          "error: " + e.to_string() + "\ninput:\n" + shown(text));
    SOCKCHECK_FUZZ_ASSERT(printable_ascii(e.to_string()) &&
                              printable_ascii(e.line_text) &&
                              e.line_text.size() <= kMaxLineText &&
                              e.caret <= e.line_text.size(),
                          "error-display",
                          "error: " + e.to_string() + "\nline: " +
                              shown(e.line_text) + "\ninput:\n" + shown(text));
    return 0;
  }
  const std::string printed = print_scenario(*r.scenario);
  const ParseResult again = parse_scenario(printed, "<printed>");
  SOCKCHECK_FUZZ_ASSERT(again.ok(), "print-parses",
                        "error: " +
                            (again.error ? again.error->to_string() : "") +
                            "\nprinted:\n" + printed + "\ninput:\n" + shown(text));
  SOCKCHECK_FUZZ_ASSERT(*again.scenario == *r.scenario, "round-trip",
                        "printed:\n" + printed + "\nre-printed:\n" +
                            print_scenario(*again.scenario) + "\ninput:\n" +
                            shown(text));
  const std::string reprinted = print_scenario(*again.scenario);
  SOCKCHECK_FUZZ_ASSERT(reprinted == printed, "print-stable",
                        "printed:\n" + printed + "\nre-printed:\n" + reprinted);
  return 0;
}

}  // namespace sockcheck
