// Evidence texts: bytes quoted for a reader, and where two byte strings
// first differ. Used by the judge's rules and by the reports.
#include <string>
#include <string_view>

#include "sockcheck/escape.h"
#include "sockcheck/oracle.h"

namespace sockcheck {

std::string quote_bytes(std::string_view bytes, std::size_t max) {
  // Evidence spells NUL \x00, so that "\0" followed by a digit cannot be
  // misread.
  return escaped_literal(bytes, max, {.nul = false});
}

std::string describe_difference(std::string_view expected,
                                std::string_view got) {
  if (expected == got) return "identical";
  const std::size_t n = std::min(expected.size(), got.size());
  std::size_t i = 0;
  while (i < n && expected[i] == got[i]) ++i;
  const std::string sizes = "expected " + std::to_string(expected.size()) +
                            " bytes, got " + std::to_string(got.size());
  if (i == got.size()) {
    return sizes + ": got only a prefix, missing " +
           quote_bytes(expected.substr(i), 24);
  }
  if (i == expected.size()) {
    return sizes + ": " + std::to_string(got.size() - i) +
           " extra bytes " + quote_bytes(got.substr(i), 24);
  }
  return sizes + "; first difference at byte " + std::to_string(i) +
         ": expected " + quote_bytes(expected.substr(i, 16), 24) + ", got " +
         quote_bytes(got.substr(i, 16), 24);
}

}  // namespace sockcheck
