// Evidence texts: bytes quoted for a reader, and where two byte strings
// first differ. Used by the judge's rules and by the reports.
#include <cstdio>
#include <string>
#include <string_view>

#include "sockcheck/oracle.h"

namespace sockcheck {

std::string quote_bytes(std::string_view bytes, std::size_t max) {
  std::string out;
  auto put = [&](char c) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      default:
        if (u >= 0x20 && u < 0x7f) {
          out += c;
        } else {
          char buf[5];
          std::snprintf(buf, sizeof buf, "\\x%02x", u);
          out += buf;
        }
    }
  };
  if (bytes.size() <= max) {
    for (char c : bytes) put(c);
  } else {
    for (char c : bytes.substr(0, max / 2)) put(c);
    out += "...";
    for (char c : bytes.substr(bytes.size() - max / 2)) put(c);
  }
  return "\"" + out + "\"";
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
