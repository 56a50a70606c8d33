// C-like escaping of bytes for people. See escape.h.
#include "sockcheck/escape.h"

namespace sockcheck {
namespace {

// The bytes with a short escape, each with the switch that turns it on.
struct NamedEscape {
  char byte;
  char letter;
  bool EscapeNames::*on;
};
constexpr NamedEscape kNamed[] = {
    {'\n', 'n', &EscapeNames::newline},
    {'\r', 'r', &EscapeNames::carriage_return},
    {'\t', 't', &EscapeNames::tab},
    {'\0', '0', &EscapeNames::nul},
};

void append_byte(std::string& out, char c, EscapeNames names) {
  if ((c == '\\' || c == '"') && names.backslash_and_quote) {
    out += '\\';
    out += c;
    return;
  }
  for (const NamedEscape& n : kNamed) {
    if (c == n.byte && names.*n.on) {
      out += '\\';
      out += n.letter;
      return;
    }
  }
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) {
    out += c;
    return;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\x";
  out += kHex[u >> 4];
  out += kHex[u & 0xf];
}

void append_bytes(std::string& out, std::string_view bytes, EscapeNames names) {
  for (const char c : bytes) append_byte(out, c, names);
}

}  // namespace

std::string escape_bytes(std::string_view bytes, std::size_t max, EscapeNames names) {
  std::string out;
  if (bytes.size() <= max) {
    out.reserve(bytes.size());
    append_bytes(out, bytes, names);
    return out;
  }
  const std::size_t half = max / 2;
  append_bytes(out, bytes.substr(0, half), names);
  out += "...";
  append_bytes(out, bytes.substr(bytes.size() - half), names);
  return out;
}

std::string escaped_literal(std::string_view bytes, std::size_t max, EscapeNames names) {
  return "\"" + escape_bytes(bytes, max, names) + "\"";
}

}  // namespace sockcheck
