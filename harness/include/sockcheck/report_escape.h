// The escapers of the report files, exposed so that tests can check them
// byte by byte. The console's escaper is private to the harness.
#pragma once

#include <string>
#include <string_view>

namespace sockcheck {

// `bytes` as a JSON string literal, quotes included. Valid UTF-8 passes
// through (but U+2028/U+2029 are escaped for JavaScript readers); ", \ and
// control characters are escaped; every byte that is not part of a valid
// UTF-8 sequence becomes \u00XX with XX the byte.
std::string json_quote(std::string_view bytes);

// `bytes` as XML character data (or, with `attribute`, the inside of a
// double-quoted attribute value): & < > as entities, " and ' too in an
// attribute; tab and newline kept in text and written as character
// references in attributes (where a reader would fold them into spaces);
// carriage return always as &#13;; other control bytes, DEL, U+FFFE/U+FFFF
// and bytes outside valid UTF-8 as the text \xHH, since XML 1.0 cannot
// carry them at all.
std::string xml_escape(std::string_view bytes, bool attribute = false);

}  // namespace sockcheck
