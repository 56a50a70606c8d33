// How the scenario parser's error messages show what they quote: source
// text cut short and made printable, lists of choices, and a spelling
// suggestion. Private to the fake server's scenario parser.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sockcheck::scenario_parsing {

// Source text for a message, in single quotes: cut to a fixed length,
// non-printables as \xHH (escape_bytes with kSourceText), so a message is
// always one short line of printable ASCII whatever the input holds.
std::string quote(std::string_view text);

// A source line as shown under an error, with a caret under the error.
struct Excerpt {
  std::string text;        // printable ASCII, at most about 200 columns
  std::size_t caret = 0;   // offset in `text` of the character at the error
};

// `line` escaped like quote() does and cut to at most kExcerptColumns
// columns around byte column `column` (1-based; past the end: the end),
// with "..." where it was cut on either side. Costs a bounded amount of
// work whatever the length of the line.
Excerpt excerpt(std::string_view line, int column);

// "a, b or c".
std::string one_of(std::span<const std::string_view> names);

// The closest candidate within two edits, if the word is short enough for
// a suggestion to mean anything; the earliest candidate wins a tie. Costs
// a bounded amount of work whatever the word.
std::optional<std::string_view> suggest(
    std::string_view word, std::span<const std::string_view> names);

}  // namespace sockcheck::scenario_parsing
