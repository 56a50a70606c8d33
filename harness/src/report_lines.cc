// The one-line descriptions of a record's parts for people: what the client
// did, what the model allowed, what the server saw on one connection. The
// console, the JUnit file and make_record() (each connection's summary) print
// these same lines, so they live apart from every one of those formats.
#include "report_text.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sockcheck/escape.h"
#include "sockcheck/report_records.h"
#include "sockcheck/units.h"

namespace sockcheck::report_text {

namespace {

// A response prefix in a line: 40 bytes at most, cut in the middle, spelled
// as the oracle's evidence spells bytes (quote_bytes: NUL as \x00), so that a
// client line and the evidence printed above it show the same bytes alike.
std::string shown_prefix(std::string_view prefix) {
  return escaped_literal(prefix, 40, {.nul = false});
}

std::string byte_count(std::uint64_t n) {
  return std::to_string(n) + (n == 1 ? " byte" : " bytes");
}

// "reported reset (failure)", "exited with status 1", "killed at the deadline".
std::string client_outcome(const ClientRecord& c) {
  if (c.killed_at_deadline) return "killed at the deadline";
  if (c.signal != 0) return "died of signal " + std::to_string(c.signal);
  std::string s;
  if (c.outcome) {
    s = "reported " + std::string(to_string(*c.outcome));
  } else if (c.exit_status) {
    s = "exited with status " + std::to_string(*c.exit_status);
  } else {
    s = "did not run";
  }
  return s + (c.reported_success ? " (success)" : " (failure)");
}

}  // namespace

std::string short_duration(Duration d) {
  return format_duration(std::chrono::round<std::chrono::milliseconds>(d));
}

std::string server_summary(const ServerRecord& o) {
  std::string line = "connection " + std::to_string(o.connection) + ": ";
  if (o.refused) {
    line += "refused";
  } else if (!o.accepted) {
    line += "not accepted";
  } else {
    line += "received " + byte_count(o.received_size);
    line += o.received_request ? " (= request)" : " (not the request)";
    line += o.saw_client_fin ? ", client FIN at +" + short_duration(o.client_fin_at)
                             : ", no client FIN";
    if (o.client_reset) line += ", client reset";
    line += ", sent " + byte_count(o.bytes_sent);
    if (o.closed_with_unread) line += ", closed with unread data (RST)";
  }
  line += o.script_completed ? ", script completed in " + short_duration(o.duration)
                             : ", script not completed: " + o.failure;
  return line;
}

std::string client_line(const ClientRecord& c, TransportKind t) {
  std::string line = client_outcome(c) + ", " + byte_count(c.response_size) + " delivered";
  if (c.response_size > 0) line += " " + shown_prefix(c.response_prefix);
  line += ", in " + short_duration(c.elapsed);
  if (t == TransportKind::sim) line += " (virtual)";
  if (c.close_calls >= 0) {
    line += "; close() called " + std::to_string(c.close_calls) + "x";
    if (c.calls_after_close > 0) {
      line += ", " + std::to_string(c.calls_after_close) + " calls after close";
    }
  }
  return line;
}

std::string model_line(const ModelRecord& m) {
  std::string line = "allowed " + outcomes_text(m.allowed);
  if (std::find(m.allowed.begin(), m.allowed.end(), Outcome::closed) != m.allowed.end()) {
    line += "; on success exactly " + byte_count(m.response_size);
    if (m.response_size > 0) line += " " + shown_prefix(m.response_prefix);
  }
  line += "; within " + short_duration(m.max_duration);
  return line;
}

}  // namespace sockcheck::report_text
