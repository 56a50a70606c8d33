// The scenario language's lexer: the input one line at a time, the tokens
// of the current line on demand, and the first error with its location.
// Private to the fake server's scenario parser (scenario_parser.cc), which
// builds on it through ValueParser (scenario_values.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "scenario_messages.h"
#include "sockcheck/scenario_parser.h"

namespace sockcheck::scenario_parsing {

constexpr std::size_t kMaxInput = 16u << 20;    // bytes of scenario text
constexpr std::uint64_t kMaxLiteral = 1u << 20;  // decoded "..." and hex

inline bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

// The value of a digit for which is_hex_digit() holds.
inline int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
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

// Tokens are produced lazily, so the first error reported is the first one
// in reading order. Every function that can fail returns false after the
// error is recorded, and only the first error is kept. The text must
// outlive the lexer, and a token's `raw` views it.
class Lexer {
 public:
  Lexer(std::string_view text, std::string_view file)
      : text_(text), file_(file) {}

  // Records an error at `column` of the current line unless one is
  // recorded already. Always false, so that callers can return it.
  bool fail(int column, std::string message);
  // The first error, moved out; empty while there is none.
  std::optional<ParseError> take_error() { return std::move(error_); }

  // --- lines ---------------------------------------------------------------

  // False (with the error) if the input is larger than kMaxInput; called
  // before the first line.
  bool check_input_size();
  // Moves to the next line, the first on the first call, and drops any
  // peeked token; false after the last line. A final '\r' is not part of
  // the line; a UTF-8 byte order mark at the start of the input is skipped
  // (columns still count it).
  bool next_line();
  // fail() for what is missing from the whole input: reported at line 1.
  bool fail_on_first_line(int column, std::string message);
  [[nodiscard]] int line_no() const { return line_no_; }
  [[nodiscard]] const std::string& file() const { return file_; }

  // --- tokens --------------------------------------------------------------

  // The next token of the current line (Kind::end at its end or at '#').
  bool next(Token& t);
  // The next token without consuming it; nullptr after a lexical error.
  const Token* peek();
  // Fails unless the rest of the line is empty.
  bool expect_end();

 private:
  [[nodiscard]] int column_at(std::size_t pos) const;
  bool lex(Token& t);
  bool lex_string(Token& t);

  std::string_view text_;
  std::string file_;
  std::size_t next_start_ = 0;  // where the line after the current one starts
  std::string_view line_;
  int line_no_ = 0;
  std::size_t pos_ = 0;
  std::optional<Token> peeked_;
  std::optional<ParseError> error_;
};

}  // namespace sockcheck::scenario_parsing
