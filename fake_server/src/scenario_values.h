// The values of the scenario language: durations, sizes, whole numbers and
// the DATA forms, read from the lexer's current line and checked against
// the language's caps. Private to the fake server's scenario parser.
#pragma once

#include <cstdint>
#include <string_view>

#include "scenario_lexer.h"
#include "sockcheck/io.h"
#include "sockcheck/scenario.h"

namespace sockcheck::scenario_parsing {

// The lexer and the value readers that every statement of the language
// uses. Each reader takes its value from the next token(s) and, like the
// lexer, returns false once it has recorded an error. `what` names the
// value in the message ("a duration after 'sleep'").
class ValueParser : public Lexer {
 public:
  using Lexer::Lexer;

  // A word the value must be read from.
  bool word_for(Token& t, std::string_view what);
  // At most 1h; zero only if `allow_zero`.
  bool duration_value(std::string_view what, Duration& out, bool allow_zero);
  // `name` is the construct the size belongs to, for "'chunk' must be at
  // least 1 byte". At least 1 byte, at most 1GiB.
  bool size_value(std::string_view what, std::string_view name,
                  std::uint64_t& out);
  bool number_value(std::string_view what, std::uint64_t max,
                    std::uint64_t& out);
  // `text` as a whole number of at most `max`; `column` is where it starts.
  bool number_text(std::string_view text, int column, std::uint64_t max,
                   std::uint64_t& out);
  // DATA: "string" | hex DIGITS | repeat "pattern" SIZE | random SIZE
  // [seed N] | request. `after` names what the data follows, for messages.
  bool data_value(std::string_view after, bool allow_request, DataSpec& out);

 private:
  // The digits after `hex`.
  bool hex_value_of(DataSpec& out);
};

}  // namespace sockcheck::scenario_parsing
