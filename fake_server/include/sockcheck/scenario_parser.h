// The scenario language: text to Scenario and back.
// The grammar and every keyword are documented in docs/scenario-language.md.
//
// The parser never crashes and never throws on any input: it returns either
// a scenario or the first error with its location. The printer writes the
// canonical form, and parse(print(s)) == s for every parsed scenario s.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "sockcheck/scenario.h"

namespace sockcheck {

struct ParseError {
  std::string file;       // as given to the parser ("" prints as <input>)
  SourceLocation where;   // 1-based line and column of the offending text
  std::string message;    // one line, no location
  std::string line_text;  // the offending source line, for a caret display

  // "file:line:col: message" — the form editors and CI logs understand.
  [[nodiscard]] std::string to_string() const;
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
