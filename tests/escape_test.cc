// The byte escaper (sockcheck/escape.h): each escape and its switch, the
// bytes that stay as they are and the ones that become \xHH, the cut in the
// middle, empty input, and the two promises the header makes to its
// callers: the scenario language reads the text back to the same bytes,
// whichever escapes are named, and escaped_literal(bytes, max,
// {.nul = false}) is the oracle's quote_bytes(bytes, max).
#include <gtest/gtest.h>

#include <cstddef>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "sockcheck/escape.h"
#include "sockcheck/oracle.h"
#include "sockcheck/scenario_parser.h"

namespace sockcheck {
namespace {

std::string every_byte() {
  std::string s;
  for (int b = 0; b < 256; ++b) s += static_cast<char>(b);
  return s;
}

// Inputs with every kind of byte the escaper treats differently, at lengths
// on both sides of the cut sizes used below.
std::vector<std::string> sample_inputs() {
  std::vector<std::string> inputs = {"", "a", "\\", "\"", std::string(1, '\0'),
                                     "\n\r\t", "\x7f\x80\xff", every_byte()};
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> printable(0x20, 0x7e);
  for (std::size_t size = 0; size < 90; size += 7) {
    std::string mixed;
    std::string text;
    for (std::size_t i = 0; i < size; ++i) {
      mixed += static_cast<char>(byte(rng));
      text += static_cast<char>(printable(rng));
    }
    inputs.push_back(mixed);
    inputs.push_back(text);
  }
  return inputs;
}

// `escaped` read back by the scenario language, whose reading of escapes
// (two hex digits after \x, nothing more after \0) is the one escape.h
// promises.
std::string parsed_back(const std::string& escaped) {
  const std::string text = "scenario s\nrequest \"" + escaped + "\"\ntimeout 1s\n";
  const ParseResult r = parse_scenario(text, "<escape>");
  EXPECT_TRUE(r.ok()) << r.error->to_string();
  return r.ok() ? r.scenario->request_bytes() : std::string("<parse error>");
}

bool printable_ascii(std::string_view text) {
  for (const char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

TEST(EscapeBytes, PrintableAsciiStaysAsItIs) {
  std::string printable;
  for (char c = 0x20; c < 0x7f; ++c) {
    if (c != '\\' && c != '"') printable += c;
  }
  EXPECT_EQ(escape_bytes(printable), printable);
  EXPECT_EQ(escape_bytes(printable, std::string_view::npos, kOnlyHexEscapes), printable);
}

TEST(EscapeBytes, EachNamedEscape) {
  EXPECT_EQ(escape_bytes("\n"), "\\n");
  EXPECT_EQ(escape_bytes("\r"), "\\r");
  EXPECT_EQ(escape_bytes("\t"), "\\t");
  EXPECT_EQ(escape_bytes(std::string_view("\0", 1)), "\\0");
  EXPECT_EQ(escape_bytes("\\"), "\\\\");
  EXPECT_EQ(escape_bytes("\""), "\\\"");
  EXPECT_EQ(escape_bytes(std::string_view("a\"b\\c\nd\re\tf\0g", 13)),
            "a\\\"b\\\\c\\nd\\re\\tf\\0g");
}

TEST(EscapeBytes, NamesTurnedOffBecomeHex) {
  EXPECT_EQ(escape_bytes("\n", std::string_view::npos, {.newline = false}), "\\x0a");
  EXPECT_EQ(escape_bytes("\r", std::string_view::npos, {.carriage_return = false}), "\\x0d");
  EXPECT_EQ(escape_bytes("\t", std::string_view::npos, {.tab = false}), "\\x09");
  EXPECT_EQ(escape_bytes(std::string_view("\0", 1), std::string_view::npos, {.nul = false}),
            "\\x00");
  // Turning one name off leaves the others on.
  EXPECT_EQ(escape_bytes(std::string_view("\t\n\0", 3), std::string_view::npos,
                         {.tab = false, .nul = false}),
            "\\x09\\n\\x00");
  // Backslash and quote are always escaped, or the text would not read back.
  EXPECT_EQ(escape_bytes("\\\"\n", std::string_view::npos, kOnlyHexEscapes), "\\\\\\\"\\x0a");
}

TEST(EscapeBytes, NulIsEscapedWhereverItStands) {
  const std::string nuls("\0a\0\0", 4);
  EXPECT_EQ(escape_bytes(nuls), "\\0a\\0\\0");
  EXPECT_EQ(escape_bytes(nuls, std::string_view::npos, {.nul = false}), "\\x00a\\x00\\x00");
  // A digit after \0 stays a digit: "\01" is NUL then '1', not octal.
  EXPECT_EQ(escape_bytes(std::string_view("\0" "1", 2)), "\\01");
}

TEST(EscapeBytes, ControlAndHighBytesAreLowercaseHex) {
  EXPECT_EQ(escape_bytes("\x01\x1b\x1f"), "\\x01\\x1b\\x1f");
  EXPECT_EQ(escape_bytes("\x7f"), "\\x7f");
  EXPECT_EQ(escape_bytes("\x80\xab\xff"), "\\x80\\xab\\xff");
  // UTF-8 is bytes to this escaper: each byte of the sequence is shown.
  EXPECT_EQ(escape_bytes("\xc3\xa9"), "\\xc3\\xa9");
  for (int b = 0x80; b <= 0xff; ++b) {
    const std::string in(1, static_cast<char>(b));
    static constexpr char kHex[] = "0123456789abcdef";
    const std::string want = std::string("\\x") + kHex[b >> 4] + kHex[b & 0xf];
    EXPECT_EQ(escape_bytes(in), want) << b;
    EXPECT_EQ(escape_bytes(in, std::string_view::npos, kOnlyHexEscapes), want) << b;
  }
}

TEST(EscapeBytes, EmptyInputGivesEmptyText) {
  EXPECT_EQ(escape_bytes(""), "");
  EXPECT_EQ(escape_bytes("", 0), "");
  EXPECT_EQ(escaped_literal(""), "\"\"");
  EXPECT_EQ(escaped_literal("", 0), "\"\"");
}

TEST(EscapeBytes, CutKeepsHalfOfMaxFromEachEnd) {
  EXPECT_EQ(escape_bytes("abcdefghij", 10), "abcdefghij");  // not over max
  EXPECT_EQ(escape_bytes("abcdefghij", 9), "abcd...ghij");
  EXPECT_EQ(escape_bytes("abcdefghij", 4), "ab...ij");
  EXPECT_EQ(escape_bytes("abcdefghij", 5), "ab...ij");  // an odd max rounds down
  EXPECT_EQ(escape_bytes("abcdefghij", 1), "...");
  EXPECT_EQ(escape_bytes("abcdefghij", 0), "...");
  EXPECT_EQ(escape_bytes("abc"), "abc");  // no max: never cut
}

TEST(EscapeBytes, CutCountsInputBytesAndEscapesBothEnds) {
  // Six newlines, max 4: two bytes from each end, each written as \n.
  EXPECT_EQ(escape_bytes("\n\n\n\n\n\n", 4), "\\n\\n...\\n\\n");
  EXPECT_EQ(escape_bytes(std::string_view("\xff" "abcdef" "\0", 8), 4), "\\xffa...f\\0");
}

TEST(EscapedLiteral, QuotesTheEscapedText) {
  EXPECT_EQ(escaped_literal("say \"hi\"\n"), "\"say \\\"hi\\\"\\n\"");
  EXPECT_EQ(escaped_literal("abcdefghij", 4), "\"ab...ij\"");
  EXPECT_EQ(escaped_literal("\t", std::string_view::npos, {.tab = false}), "\"\\x09\"");
}

TEST(EscapeBytes, SourceTextKeepsBackslashAndQuoteAsTheyAre) {
  EXPECT_EQ(escape_bytes("write \"a\\qb\"\t\x1b[31m", std::string_view::npos,
                         kSourceText),
            "write \"a\\qb\"\\x09\\x1b[31m");
  const std::string all = [] {
    std::string bytes;
    for (int b = 0; b < 256; ++b) bytes += static_cast<char>(b);
    return bytes;
  }();
  EXPECT_TRUE(printable_ascii(escape_bytes(all, std::string_view::npos, kSourceText)));
}

TEST(EscapeBytes, OutputIsPrintableAsciiAndReadsBack) {
  const std::vector<EscapeNames> styles = {
      {}, kOnlyHexEscapes, {.nul = false}, {.tab = false, .nul = false}};
  for (const std::string& in : sample_inputs()) {
    for (const EscapeNames& names : styles) {
      const std::string out = escape_bytes(in, std::string_view::npos, names);
      EXPECT_TRUE(printable_ascii(out)) << out;
      EXPECT_EQ(parsed_back(out), in) << out;
    }
  }
}

// The oracle's evidence quoting is built on the helper (NUL as \x00, so a
// digit after it cannot be misread); these are the texts reports show.
TEST(QuoteBytes, SpellsEvidenceAsReportsShowIt) {
  EXPECT_EQ(quote_bytes(std::string("a\0""1\n\"\\\xff", 7)), R"("a\x001\n\"\\\xff")");
  EXPECT_EQ(quote_bytes(""), R"("")");
  EXPECT_EQ(quote_bytes("0123456789", 4), R"("01...89")");
  EXPECT_EQ(quote_bytes(std::string(100, 'x')),
            "\"" + std::string(30, 'x') + "..." + std::string(30, 'x') + "\"");
}

}  // namespace
}  // namespace sockcheck
