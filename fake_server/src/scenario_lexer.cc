// The scenario language's lexer; see scenario_lexer.h. A line is split
// off the input only when the parser asks for it, and a token only when
// the parser asks for one, so the work is linear in the input. A string
// literal is decoded as it is read, and its length is capped as it grows.
#include "scenario_lexer.h"

#include <algorithm>
#include <utility>

namespace sockcheck::scenario_parsing {

namespace {

bool is_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

}  // namespace

bool Lexer::fail(int column, std::string message) {
  if (!error_) {
    ParseError e;
    e.file = file_;
    e.where = {line_no_, column};
    e.message = std::move(message);
    Excerpt shown = excerpt(line_, column);
    e.line_text = std::move(shown.text);
    e.caret = shown.caret;
    error_ = std::move(e);
  }
  return false;
}

bool Lexer::check_input_size() {
  if (text_.size() > kMaxInput) {
    return fail_on_first_line(1, "input larger than 16MiB");
  }
  return true;
}

bool Lexer::next_line() {
  if (next_start_ > text_.size()) return false;
  const std::size_t start = next_start_;
  std::size_t end = text_.find('\n', start);
  if (end == std::string_view::npos) end = text_.size();
  line_ = text_.substr(start, end - start);
  if (!line_.empty() && line_.back() == '\r') line_.remove_suffix(1);
  ++line_no_;
  pos_ = 0;
  peeked_.reset();
  // A UTF-8 byte order mark, as some editors write, is not content.
  if (line_no_ == 1 && line_.substr(0, 3) == "\xef\xbb\xbf") pos_ = 3;
  next_start_ = end + 1;
  return true;
}

bool Lexer::fail_on_first_line(int column, std::string message) {
  line_no_ = 1;
  line_ = text_.substr(0, std::min(text_.find('\n'), text_.size()));
  if (!line_.empty() && line_.back() == '\r') line_.remove_suffix(1);
  return fail(column, std::move(message));
}

int Lexer::column_at(std::size_t pos) const {
  return static_cast<int>(pos) + 1;
}

bool Lexer::lex(Token& t) {
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

bool Lexer::lex_string(Token& t) {
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

bool Lexer::next(Token& t) {
  if (peeked_) {
    t = std::move(*peeked_);
    peeked_.reset();
    return true;
  }
  return lex(t);
}

const Token* Lexer::peek() {
  if (!peeked_) {
    Token t;
    if (!lex(t)) return nullptr;
    peeked_ = std::move(t);
  }
  return &*peeked_;
}

bool Lexer::expect_end() {
  Token t;
  if (!next(t)) return false;
  if (t.kind != Token::Kind::end) {
    return fail(t.column, "unexpected " + t.shown() + " (expected end of line)");
  }
  return true;
}

}  // namespace sockcheck::scenario_parsing
