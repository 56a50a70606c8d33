// Bytes written for a human reader as the inside of a C-like string literal.
// The scenario printer, the reports and the fuzz reports all escape bytes
// with this one function, so that a byte looks the same wherever sockcheck
// shows it; the client library holds it because every other library links
// that one.
//
// Theory of operation. Printable ASCII (0x20..0x7e) stays as it is, except
// \ and " which become \\ and \"; newline, carriage return, tab and NUL
// become \n \r \t \0; every other byte becomes \x and two lowercase hex
// digits. So the output is printable ASCII, one line, whatever the input.
// A caller can turn any of the four named escapes off (EscapeNames), and
// that byte is then written \xHH like the others: the oracle's evidence
// spells NUL \x00, the fuzz reports spell NUL and tab \x00 and \x09, and the
// console and XML escapers call this only for bytes they cannot show, all
// as \xHH (kOnlyHexEscapes). Source text quoted for people, next to the
// file it comes from (the scenario parser's messages and the line under
// them), keeps \ and " as they are too (kSourceText): it is never read back,
// and must look like the source.
//
// The text reads back to the same bytes when a reader takes exactly two hex
// digits after \x and nothing more after \0, as the scenario language
// does (scenario_parser.h); a C compiler would not, since it reads "\x41b"
// as one escape and "\01" as octal.
//
// Long input can be cut in the middle: with `max` below the input's size,
// only the first and the last max/2 bytes are escaped, with "..." between
// them. `max` counts input bytes, not output characters, so that
// escaped_literal(bytes, max, {.nul = false}) is exactly what
// quote_bytes(bytes, max) in sockcheck/oracle.h returns.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sockcheck {

// Which control bytes get their short escape. A byte whose name is off is
// written \xHH.
struct EscapeNames {
  bool newline = true;          // \n, else \x0a
  bool carriage_return = true;  // \r, else \x0d
  bool tab = true;              // \t, else \x09
  bool nul = true;              // \0, else \x00
  // \\ and \", without which the text would not read back; else both as
  // they are. Off only for text that is shown and never read back.
  bool backslash_and_quote = true;
};

// Every non-printable byte as \xHH.
inline constexpr EscapeNames kOnlyHexEscapes{false, false, false, false, true};

// Printable ASCII exactly as it is, \ and " included; every other byte as
// \xHH. Still one line of printable ASCII whatever the input.
inline constexpr EscapeNames kSourceText{false, false, false, false, false};

// `bytes` escaped as above, without quotes; cut in the middle when
// bytes.size() > max. An empty input gives "".
std::string escape_bytes(std::string_view bytes,
                         std::size_t max = std::string_view::npos,
                         EscapeNames names = {});

// escape_bytes() between double quotes: "\"" + escape_bytes(...) + "\"".
std::string escaped_literal(std::string_view bytes,
                            std::size_t max = std::string_view::npos,
                            EscapeNames names = {});

}  // namespace sockcheck
