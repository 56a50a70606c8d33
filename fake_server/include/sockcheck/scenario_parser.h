// The scenario language: text to Scenario and back.
// The grammar and every keyword are documented in docs/scenario-language.md.
//
// The parser never crashes and never throws on any input: it returns either
// a scenario or the first error with its location. The printer writes the
// canonical form, and parse(print(s)) == s for every parsed scenario s.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "sockcheck/scenario.h"

namespace sockcheck {

// The longest ParseError::line_text: 200 columns and "..." at both ends.
inline constexpr std::size_t kMaxLineText = 206;

// Everything a ParseError shows is safe to print to a terminal: one line
// of printable ASCII each, of bounded length, whatever the input and the
// file name hold (control bytes and terminal escape sequences appear as
// \xHH, by escape_bytes with kSourceText, sockcheck/escape.h).
struct ParseError {
  std::string file;       // as given to the parser ("" prints as <input>)
  SourceLocation where;   // 1-based line and column of the offending text
  std::string message;    // one line, no location
  // The offending source line as shown under the message: escaped as above
  // and, if longer, cut to at most 200 columns around the error, with "..."
  // where it was cut (so at most kMaxLineText characters). Empty when the
  // error has no line.
  std::string line_text;
  // Where in line_text the character at where.column is (the caret's
  // place); columns of the escaped text, not of the source.
  std::size_t caret = 0;

  // "file:line:col: message" — the form editors and CI logs understand.
  // The file name is escaped too (printable ASCII stays as it is).
  [[nodiscard]] std::string to_string() const;
  // The line with a caret under the error, for people:
  // "  LINE\n  ^\n" with the caret indented by `caret`; "" without a line.
  [[nodiscard]] std::string excerpt() const;
};

struct ParseResult {
  std::optional<Scenario> scenario;  // set on success
  std::optional<ParseError> error;   // set on failure
  [[nodiscard]] bool ok() const noexcept { return scenario.has_value(); }
};

ParseResult parse_scenario(std::string_view text, std::string_view file_name);
// Reads and parses a file; an unreadable file is a ParseError at 0:0.
ParseResult load_scenario_file(const std::filesystem::path& path);

// The canonical text of a scenario.
std::string print_scenario(const Scenario& scenario);

}  // namespace sockcheck
