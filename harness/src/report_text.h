// What the report renderers share and no user of the library needs: the
// console escaper and the one-line descriptions of a record's client, model
// and server, which the console, the JUnit file and make_record() (for each
// connection's summary) all print the same way.
//
// Private to harness/src; the public API is sockcheck/report.h.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "sockcheck/report_records.h"

namespace sockcheck::report_text {

// Text that came from outside (stderr of a program, evidence quoting it) made
// safe for a terminal: valid UTF-8 stays, control characters (C0, DEL, C1)
// and invalid bytes become \xHH. Newlines become newline + `indent` so that
// multi-line text stays under the line it belongs to. In report_escape.cc.
std::string console_text(std::string_view s, std::string_view indent = {});

// The rest are in report_lines.cc.

// Rounded to milliseconds for people: "12ms", "2s".
std::string short_duration(Duration d);
// "connection 1: received 5 bytes (= request), client FIN at +1ms, sent 5
// bytes, script completed in 2ms".
std::string server_summary(const ServerRecord& o);
// What the client did: "reported closed (success), 5 bytes delivered
// \"pong\\n\", in 3ms; close() called 1x".
std::string client_line(const ClientRecord& c, TransportKind t);
// What the model allowed: "allowed closed; on success exactly 5 bytes
// \"pong\\n\"; within 10s".
std::string model_line(const ModelRecord& m);

// The position of `r` in kAllRules (0 for a value outside it). In
// report_records.cc.
std::size_t rule_index(Rule r);

}  // namespace sockcheck::report_text
