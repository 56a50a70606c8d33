// The escapers of the report formats, each for its own idea of a dangerous
// byte: the console (terminal control sequences, C0 and C1), XML 1.0 (no
// control characters at all, not even as references; only valid UTF-8), and
// JSON (any code point, escaped or not, but a byte that is not UTF-8 must be
// spelled as a code point: \u00XX). They share one UTF-8 decoder so they
// agree on what is valid, which is why they share a file; the console and
// XML write a byte they cannot carry as \xHH through escape.h, like every
// other place sockcheck shows bytes.
#include "sockcheck/report_escape.h"

#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

#include "report_text.h"
#include "sockcheck/escape.h"

namespace sockcheck {

namespace {

// The length of the valid UTF-8 sequence that starts at s[i] and its code
// point, or 0 when the byte there starts none (stray continuation byte,
// truncated sequence, overlong form, surrogate, beyond U+10FFFF).
std::size_t utf8_at(std::string_view s, std::size_t i, char32_t& code_point) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    code_point = b0;
    return 1;
  }
  std::size_t n = 0;
  char32_t c = 0;
  char32_t min = 0;
  if ((b0 & 0xE0u) == 0xC0u) {
    n = 2;
    c = b0 & 0x1Fu;
    min = 0x80;
  } else if ((b0 & 0xF0u) == 0xE0u) {
    n = 3;
    c = b0 & 0x0Fu;
    min = 0x800;
  } else if ((b0 & 0xF8u) == 0xF0u) {
    n = 4;
    c = b0 & 0x07u;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0u) != 0x80u) return 0;
    c = (c << 6) | (b & 0x3Fu);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
  code_point = c;
  return n;
}

// Bytes that the console or XML cannot show, as \xHH text: only
// non-printable bytes reach this (never \ or "), so the shared escaper
// writes nothing but \xHH for them.
std::string hex_text(std::string_view bytes) {
  return escape_bytes(bytes, std::string_view::npos, kOnlyHexEscapes);
}

// JSON's spelling of one byte as a code point.
std::string json_u00(unsigned char b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\u00%02x", static_cast<unsigned>(b));
  return buf;
}

}  // namespace

namespace report_text {

std::string console_text(std::string_view s, std::string_view indent) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    char32_t c = 0;
    const std::size_t n = utf8_at(s, i, c);
    if (n == 0) {
      out += hex_text(s.substr(i, 1));
      ++i;
      continue;
    }
    if (c == '\n') {
      out += '\n';
      out += indent;
    } else if (c == '\t' || (c >= 0x20 && c != 0x7F && (c < 0x80 || c > 0x9F))) {
      out.append(s.substr(i, n));
    } else {
      out += hex_text(s.substr(i, n));
    }
    i += n;
  }
  return out;
}

}  // namespace report_text

std::string json_quote(std::string_view bytes) {
  std::string out = "\"";
  for (std::size_t i = 0; i < bytes.size();) {
    char32_t c = 0;
    const std::size_t n = utf8_at(bytes, i, c);
    if (n == 0) {
      out += json_u00(static_cast<unsigned char>(bytes[i]));
      ++i;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += json_u00(static_cast<unsigned char>(c));
        } else if (c == 0x2028 || c == 0x2029) {
          out += c == 0x2028 ? "\\u2028" : "\\u2029";
        } else {
          out.append(bytes.substr(i, n));
        }
    }
    i += n;
  }
  return out + "\"";
}

std::string xml_escape(std::string_view bytes, bool attribute) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size();) {
    char32_t c = 0;
    const std::size_t n = utf8_at(bytes, i, c);
    // XML 1.0's Char production: tab, LF, CR, U+0020..U+D7FF,
    // U+E000..U+FFFD, U+10000..U+10FFFF. Everything else cannot appear,
    // not even as a character reference.
    const bool xml_char = n != 0 && (c == '\t' || c == '\n' || c == '\r' ||
                                     (c >= 0x20 && c != 0x7F && c != 0xFFFE && c != 0xFFFF));
    if (!xml_char) {
      const std::size_t count = n == 0 ? 1 : n;
      out += hex_text(bytes.substr(i, count));
      i += count;
      continue;
    }
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      // Quotes only matter inside attribute values (always double-quoted
      // here, but ' is escaped too so either quoting would be safe).
      case '"': out += attribute ? "&quot;" : "\""; break;
      case '\'': out += attribute ? "&apos;" : "'"; break;
      // In an attribute a literal tab or newline is normalised to a space by
      // the reader; references keep them.
      case '\t': out += attribute ? "&#9;" : "\t"; break;
      case '\n': out += attribute ? "&#10;" : "\n"; break;
      case '\r': out += "&#13;"; break;  // a literal CR would be folded into LF
      default: out.append(bytes.substr(i, n));
    }
    i += n;
  }
  return out;
}

}  // namespace sockcheck
