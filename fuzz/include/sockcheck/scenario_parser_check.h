// The scenario parser's fuzz invariants, shared by the scenario_parser
// target and the tests.
//
// check_scenario_parser() parses any bytes and aborts (SOCKCHECK_FUZZ_ASSERT)
// unless: the parser returns exactly one of a scenario or an error; an
// error's line and column lie inside the input (line 1..lines, column
// 1..length of that line + 1, so that "expected a value at the end of the
// line" is inside too); what the error shows is safe to print (to_string()
// and line_text are printable ASCII, line_text at most kMaxLineText
// characters, the caret inside it); and a parsed scenario prints to text
// that parses back to the same scenario and prints to the same text again.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sockcheck {

// Always returns 0 (libFuzzer's "keep going"); aborts on a violation.
int check_scenario_parser(const std::uint8_t* data, std::size_t size);

}  // namespace sockcheck
