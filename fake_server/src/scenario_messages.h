// How the scenario parser's error messages show what they quote: source
// text cut short and made printable, lists of choices, and a spelling
// suggestion. Private to the fake server's scenario parser.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sockcheck::scenario_parsing {

// Source text for a message, in single quotes: cut to a fixed length,
// non-printables as \xHH, so a message is always one short line whatever
// the input holds.
std::string quote(std::string_view text);

// "a, b or c".
std::string one_of(std::span<const std::string_view> names);

// The closest candidate within two edits, if the word is short enough for
// a suggestion to mean anything; the earliest candidate wins a tie. Costs
// a bounded amount of work whatever the word.
std::optional<std::string_view> suggest(
    std::string_view word, std::span<const std::string_view> names);

}  // namespace sockcheck::scenario_parsing
