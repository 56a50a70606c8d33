// Reports of conformance runs. See report.h.
//
// Three escapers live here, one per destination, because each has its own
// idea of a dangerous byte: the console (terminal control sequences, C0 and
// C1), XML 1.0 (no control characters at all, not even as references; only
// valid UTF-8), and JSON (any code point, escaped or not, but a byte that is
// not UTF-8 must be spelled as a code point: \u00XX). All three share one
// UTF-8 decoder so they agree on what is valid.
#include "sockcheck/report.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <tuple>
#include <utility>

#include "sockcheck/units.h"

namespace sockcheck {

namespace {

// --- bytes and characters ----------------------------------------------------

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

std::string hex_byte(unsigned char b, const char* format) {
  char buf[8];
  std::snprintf(buf, sizeof buf, format, static_cast<unsigned>(b));
  return buf;
}

// Text that came from outside (stderr of a program, evidence quoting it) made
// safe for a terminal: valid UTF-8 stays, control characters (C0, DEL, C1)
// and invalid bytes become \xHH. Newlines become newline + `indent` so that
// multi-line text stays under the line it belongs to.
std::string console_text(std::string_view s, std::string_view indent = {}) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    char32_t c = 0;
    const std::size_t n = utf8_at(s, i, c);
    if (n == 0) {
      out += hex_byte(static_cast<unsigned char>(s[i]), "\\x%02x");
      ++i;
      continue;
    }
    if (c == '\n') {
      out += '\n';
      out += indent;
    } else if (c == '\t' || (c >= 0x20 && c != 0x7F && (c < 0x80 || c > 0x9F))) {
      out.append(s.substr(i, n));
    } else {
      for (std::size_t k = 0; k < n; ++k) {
        out += hex_byte(static_cast<unsigned char>(s[i + k]), "\\x%02x");
      }
    }
    i += n;
  }
  return out;
}

std::string prefix_of(std::string_view bytes, std::size_t max) {
  return std::string(bytes.substr(0, std::min(bytes.size(), max)));
}

long long whole_ms(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

// Rounded to milliseconds for people: "12ms", "2s".
std::string short_duration(Duration d) {
  return format_duration(std::chrono::round<std::chrono::milliseconds>(d));
}

std::string byte_count(std::uint64_t n) {
  return std::to_string(n) + (n == 1 ? " byte" : " bytes");
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

std::string client_line(const ClientRecord& c, TransportKind t) {
  std::string line = client_outcome(c) + ", " + byte_count(c.response_size) + " delivered";
  if (c.response_size > 0) line += " " + quote_bytes(c.response_prefix, 40);
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
    if (m.response_size > 0) line += " " + quote_bytes(m.response_prefix, 40);
  }
  line += "; within " + short_duration(m.max_duration);
  return line;
}

const RuleResult* find_rule(const std::vector<RuleResult>& rules, Rule r) {
  for (const RuleResult& rr : rules) {
    if (rr.rule == r) return &rr;
  }
  return nullptr;
}

std::size_t rule_index(Rule r) {
  for (std::size_t i = 0; i < kAllRules.size(); ++i) {
    if (kAllRules[i] == r) return i;
  }
  return 0;
}

}  // namespace

// --- records -------------------------------------------------------------------

const RuleResult* RunRecord::rule(Rule r) const { return find_rule(rules, r); }

std::vector<const RuleResult*> RunRecord::violations() const {
  std::vector<const RuleResult*> out;
  for (const RuleResult& rr : rules) {
    if (rr.verdict == Verdict::violates) out.push_back(&rr);
  }
  return out;
}

RunRecord make_record(const ScenarioRun& run, std::size_t repeat) {
  RunRecord r;
  r.scenario = run.scenario.name;
  r.description = run.scenario.description;
  r.file = run.scenario.file;
  r.transport = run.transport;
  r.repeat = repeat;
  r.passed = run.passed();
  r.error = run.error;
  r.wall_time = run.wall_time;

  const ClientRun& c = run.client;
  r.client.in_process = c.in_process;
  r.client.outcome = c.outcome;
  r.client.reported_success = c.reported_success;
  r.client.exit_status = c.exit_status;
  r.client.signal = c.signal;
  r.client.killed_at_deadline = c.killed_at_deadline;
  r.client.elapsed = c.elapsed;
  r.client.response_size = c.response.size();
  r.client.response_prefix = prefix_of(c.response, RunRecord::kPrefixBytes);
  r.client.diagnostics = prefix_of(c.diagnostics, RunRecord::kDiagnosticsBytes);
  if (c.diagnostics.size() > RunRecord::kDiagnosticsBytes) {
    r.client.diagnostics += "\n[" +
                            std::to_string(c.diagnostics.size() - RunRecord::kDiagnosticsBytes) +
                            " more bytes]";
  }
  r.client.close_calls = c.close_calls;
  r.client.calls_after_close = c.calls_after_close;

  r.model.allowed = run.model.allowed;
  r.model.response_size = run.model.response.size();
  r.model.response_prefix = prefix_of(run.model.response, RunRecord::kPrefixBytes);
  r.model.max_duration = run.model.max_duration;
  r.model.reasoning = run.model.reasoning;

  const std::string request =
      run.observations.empty() ? std::string() : run.scenario.request_bytes();
  for (const ServerObservation& o : run.observations) {
    ServerRecord s;
    s.connection = o.connection;
    s.accepted = o.accepted;
    s.refused = o.refused;
    s.received_size = o.received.size();
    s.received_prefix = prefix_of(o.received, RunRecord::kPrefixBytes);
    s.received_request = o.received == request;
    s.saw_client_fin = o.saw_client_fin;
    s.client_fin_at = o.client_fin_at;
    s.client_reset = o.client_reset;
    s.bytes_sent = o.bytes_sent;
    s.closed_with_unread = o.closed_with_unread;
    s.script_completed = o.script_completed;
    s.failure = o.failure;
    s.duration = o.duration;
    const std::size_t keep = std::min(o.events.size(), RunRecord::kMaxEvents);
    s.events.assign(o.events.begin(),
                    o.events.begin() + static_cast<std::ptrdiff_t>(keep));
    s.events_dropped = o.events.size() - keep;
    s.summary = server_summary(s);
    r.server.push_back(std::move(s));
  }
  r.rules = run.rules;
  return r;
}

std::string_view short_name(Rule r) noexcept {
  switch (r) {
    case Rule::request_delivered: return "request";
    case Rule::half_close: return "half-close";
    case Rule::response_delivered: return "response";
    case Rule::honest_outcome: return "honest";
    case Rule::bounded: return "bounded";
    case Rule::survives_peer: return "survives";
    case Rule::closes_once: return "closes-once";
    case Rule::syscall_robust: return "syscalls";
  }
  return "?";
}

// --- console -------------------------------------------------------------------

std::string progress_prefix(const Progress& at, std::string_view scenario,
                            TransportKind transport) {
  const int width = static_cast<int>(std::to_string(at.total).size());
  char counter[64];
  std::snprintf(counter, sizeof counter, "[%*zu/%zu] ", width, at.index, at.total);
  std::string line = counter + console_text(scenario) + " (" +
                     std::string(to_string(transport));
  if (at.repeats > 1) {
    line += ", run " + std::to_string(at.repeat + 1) + "/" + std::to_string(at.repeats);
  }
  return line + ") ... ";
}

std::string progress_result(const RunRecord& record) {
  const std::string wall = std::to_string(whole_ms(record.wall_time)) + " ms";
  if (!record.error.empty()) return "ERROR " + wall + ": " + console_text(record.error);
  std::string line = (record.passed ? "ok " : "FAIL ") + wall;
  if (record.transport == TransportKind::sim &&
      record.client.elapsed >= std::chrono::milliseconds(1)) {
    line += " (" + short_duration(record.client.elapsed) + " virtual)";
  }
  if (!record.passed) {
    std::string names;
    for (const RuleResult* v : record.violations()) {
      if (!names.empty()) names += ", ";
      names += to_string(v->rule);
    }
    line += ": " + names;
  }
  return line;
}

std::string run_details(const RunRecord& record, bool verbose) {
  constexpr std::string_view k1 = "    ";
  constexpr std::string_view k2 = "      ";
  std::string out;
  auto line = [&](std::string_view indent, std::string_view text) {
    out += indent;
    out += console_text(text, std::string(indent) + "  ");
    out += '\n';
  };
  if (!verbose) {
    if (record.passed || !record.error.empty()) return out;
    for (const RuleResult* v : record.violations()) {
      line(k1, std::string(to_string(v->rule)) + ": " + v->evidence);
    }
    line(k1, "client: " + client_line(record.client, record.transport));
    if (!record.client.diagnostics.empty()) {
      line(k2, "stderr: " + record.client.diagnostics);
    }
    return out;
  }
  std::size_t width = 0;
  for (Rule r : kAllRules) width = std::max(width, to_string(r).size());
  for (const RuleResult& rr : record.rules) {
    std::string name(to_string(rr.rule));
    name.resize(width, ' ');
    std::string verdict(to_string(rr.verdict));
    verdict.resize(9, ' ');
    line(k1, name + "  " + verdict + " " + rr.evidence);
  }
  line(k1, "client: " + client_line(record.client, record.transport));
  if (!record.client.diagnostics.empty()) {
    line(k2, (record.client.in_process ? "diagnostics: " : "stderr: ") +
                 record.client.diagnostics);
  }
  line(k1, "model: " + model_line(record.model));
  for (const std::string& why : record.model.reasoning) line(k2, "- " + why);
  if (record.server.empty()) {
    line(k1, "server: no connection");
  } else {
    line(k1, "server:");
    for (const ServerRecord& s : record.server) line(k2, s.summary);
  }
  return out;
}

std::string progress_line(const Progress& at, const RunRecord& record,
                          bool verbose) {
  return progress_prefix(at, record.scenario, record.transport) +
         progress_result(record) + "\n" + run_details(record, verbose);
}

// --- summary ---------------------------------------------------------------------

Summary summarize(std::span<const RunRecord> records) {
  Summary s;
  std::map<std::tuple<std::string, std::string, TransportKind>, std::size_t> index;
  std::size_t transports_seen = 0;
  bool seen[2] = {false, false};
  for (const RunRecord& r : records) {
    const auto key = std::make_tuple(r.file, r.scenario, r.transport);
    auto [it, fresh] = index.emplace(key, s.rows.size());
    if (fresh) {
      SummaryRow row;
      row.scenario = r.scenario;
      row.file = r.file;
      row.transport = r.transport;
      s.rows.push_back(std::move(row));
    }
    const std::size_t t = r.transport == TransportKind::sim ? 0 : 1;
    if (!seen[t]) {
      seen[t] = true;
      ++transports_seen;
    }
    SummaryRow& row = s.rows[it->second];
    ++row.runs;
    ++s.runs;
    if (r.passed) {
      ++row.passed;
    } else {
      ++s.runs_failed;
    }
    if (!r.error.empty()) ++row.errors;
    for (const RuleResult& rr : r.rules) {
      const std::size_t i = rule_index(rr.rule);
      switch (rr.verdict) {
        case Verdict::conforms: ++row.rules[i].conforms; break;
        case Verdict::violates:
          if (row.rules[i].violates++ == 0) row.first_evidence[i] = rr.evidence;
          break;
        case Verdict::not_applicable: ++row.rules[i].not_applicable; break;
      }
    }
  }
  for (const SummaryRow& row : s.rows) {
    s.max_repeats = std::max(s.max_repeats, row.runs);
    if (row.passed == row.runs) {
      ++s.scenarios_passed;
    } else {
      ++s.scenarios_failed;
    }
  }
  s.several_transports = transports_seen > 1;
  return s;
}

std::string summary_table(const Summary& summary) {
  const bool counts = summary.max_repeats > 1;
  std::vector<std::vector<std::string>> cells;
  std::vector<std::string> header{"scenario"};
  for (Rule r : kAllRules) header.emplace_back(short_name(r));
  header.emplace_back("result");
  cells.push_back(header);
  for (const SummaryRow& row : summary.rows) {
    std::vector<std::string> line;
    std::string label = console_text(row.scenario);
    if (summary.several_transports) label += " (" + std::string(to_string(row.transport)) + ")";
    line.push_back(label);
    for (const RuleTally& t : row.rules) {
      const std::size_t applicable = t.conforms + t.violates;
      if (applicable == 0) {
        line.emplace_back("-");
      } else if (counts) {
        line.push_back(std::to_string(t.conforms) + "/" + std::to_string(applicable));
      } else {
        line.emplace_back(t.violates > 0 ? "FAIL" : "ok");
      }
    }
    if (counts) {
      std::string result = std::to_string(row.passed) + "/" + std::to_string(row.runs);
      if (row.errors > 0) result += " (" + std::to_string(row.errors) + " ERROR)";
      line.push_back(result);
    } else if (row.errors > 0) {
      line.emplace_back("ERROR");
    } else {
      line.emplace_back(row.passed == row.runs ? "ok" : "FAIL");
    }
    cells.push_back(std::move(line));
  }
  std::vector<std::size_t> widths(header.size(), 0);
  for (const auto& line : cells) {
    for (std::size_t i = 0; i < line.size(); ++i) {
      widths[i] = std::max(widths[i], line[i].size());
    }
  }
  std::string out;
  for (const auto& line : cells) {
    std::string text;
    for (std::size_t i = 0; i < line.size(); ++i) {
      text += line[i];
      if (i + 1 < line.size()) text.append(widths[i] - line[i].size() + 2, ' ');
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + "\n";
  }
  const std::size_t scenarios = summary.scenarios_passed + summary.scenarios_failed;
  out += "\n" + std::to_string(scenarios) + (scenarios == 1 ? " scenario, " : " scenarios, ") +
         std::to_string(summary.scenarios_passed) + " passed, " +
         std::to_string(summary.scenarios_failed) + " failed";
  if (counts) {
    out += " (" + std::to_string(summary.runs) + " runs, " +
           std::to_string(summary.runs_failed) + " failed)";
  }
  out += "\n" + std::to_string(summary.scenarios_passed) + " passed, " +
         std::to_string(summary.scenarios_failed) + " failed\n";
  return out;
}

// --- escaping --------------------------------------------------------------------

std::string json_quote(std::string_view bytes) {
  std::string out = "\"";
  for (std::size_t i = 0; i < bytes.size();) {
    char32_t c = 0;
    const std::size_t n = utf8_at(bytes, i, c);
    if (n == 0) {
      out += hex_byte(static_cast<unsigned char>(bytes[i]), "\\u00%02x");
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
          out += hex_byte(static_cast<unsigned char>(c), "\\u00%02x");
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
      for (std::size_t k = 0; k < count; ++k) {
        out += hex_byte(static_cast<unsigned char>(bytes[i + k]), "\\x%02x");
      }
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

// --- JUnit -------------------------------------------------------------------------

namespace {

std::string seconds_text(Duration d) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  char buf[64];
  std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(us / 1000000),
                static_cast<long long>((us % 1000000) / 1000));
  return buf;
}

std::string class_name(const std::string& file) {
  if (file.empty()) return "sockcheck";
  const std::string folder = std::filesystem::path(file).parent_path().generic_string();
  return folder.empty() ? "sockcheck" : folder;
}

// The records of one <testcase>: one scenario on one transport.
struct CaseGroup {
  std::vector<const RunRecord*> runs;
};

void append_run_text(std::string& text, const RunRecord& r, std::size_t runs) {
  text += runs > 1 ? "run " + std::to_string(r.repeat + 1) + "/" + std::to_string(runs) + ": "
                   : "";
  if (!r.error.empty()) {
    text += "ERROR: " + r.error + "\n";
    return;
  }
  text += "FAIL\n";
  for (const RuleResult* v : r.violations()) {
    text += "  " + std::string(to_string(v->rule)) + ": " + v->evidence + "\n";
  }
  text += "  client: " + client_line(r.client, r.transport) + "\n";
  if (!r.client.diagnostics.empty()) {
    text += "  " + std::string(r.client.in_process ? "diagnostics: " : "stderr: ") +
            r.client.diagnostics + "\n";
  }
}

void append_observations(std::string& text, const RunRecord& r) {
  if (!r.description.empty()) text += "scenario: " + r.description + "\n";
  if (!r.file.empty()) text += "file: " + r.file + "\n";
  text += "model: " + model_line(r.model) + "\n";
  for (const std::string& why : r.model.reasoning) text += "  - " + why + "\n";
  text += "client: " + client_line(r.client, r.transport) + "\n";
  if (r.server.empty()) text += "server: no connection\n";
  for (const ServerRecord& s : r.server) {
    text += "server: " + s.summary + "\n";
    for (const ObservedEvent& e : s.events) {
      text += "  +" + short_duration(e.at) + " " + e.what + "\n";
    }
    if (s.events_dropped > 0) {
      text += "  (" + std::to_string(s.events_dropped) + " more events)\n";
    }
  }
  for (const RuleResult& rr : r.rules) {
    text += std::string(to_string(rr.rule)) + ": " + std::string(to_string(rr.verdict)) +
            " - " + rr.evidence + "\n";
  }
}

}  // namespace

std::string junit_xml(std::span<const RunRecord> records, const RunSetInfo& info) {
  // Group by transport (one suite each), then by scenario within a suite,
  // both in order of first appearance.
  std::vector<TransportKind> transports;
  for (const RunRecord& r : records) {
    if (std::find(transports.begin(), transports.end(), r.transport) == transports.end()) {
      transports.push_back(r.transport);
    }
  }
  std::string suites;
  std::size_t all_tests = 0, all_failures = 0, all_errors = 0;
  Duration all_time{};
  for (TransportKind t : transports) {
    std::vector<std::pair<std::pair<std::string, std::string>, CaseGroup>> cases;
    for (const RunRecord& r : records) {
      if (r.transport != t) continue;
      const auto key = std::make_pair(r.file, r.scenario);
      auto it = std::find_if(cases.begin(), cases.end(),
                             [&](const auto& c) { return c.first == key; });
      if (it == cases.end()) {
        cases.push_back({key, {}});
        it = cases.end() - 1;
      }
      it->second.runs.push_back(&r);
    }
    std::string body;
    std::size_t failures = 0, errors = 0;
    Duration suite_time{};
    for (const auto& [key, group] : cases) {
      const RunRecord& first = *group.runs.front();
      Duration case_time{};
      std::size_t failed_runs = 0, error_runs = 0;
      const RunRecord* shown = nullptr;  // the run whose details go to system-out
      // Per rule: how many runs violated it and the first evidence.
      std::array<std::size_t, kAllRules.size()> violated{};
      std::array<std::string, kAllRules.size()> evidence{};
      std::string failing_text;
      for (const RunRecord* r : group.runs) {
        case_time += r->wall_time;
        if (r->passed) continue;
        if (shown == nullptr) shown = r;
        if (!r->error.empty()) ++error_runs;
        ++failed_runs;
        for (const RuleResult* v : r->violations()) {
          const std::size_t i = rule_index(v->rule);
          if (violated[i]++ == 0) evidence[i] = v->evidence;
        }
        append_run_text(failing_text, *r, group.runs.size());
      }
      if (shown == nullptr) shown = &first;
      suite_time += case_time;
      body += "    <testcase classname=\"" + xml_escape(class_name(first.file), true) +
              "\" name=\"" + xml_escape(first.scenario, true) + "\"";
      if (!first.file.empty()) body += " file=\"" + xml_escape(first.file, true) + "\"";
      body += " time=\"" + seconds_text(case_time) + "\">\n";
      const bool any_violation =
          std::any_of(violated.begin(), violated.end(), [](std::size_t n) { return n > 0; });
      const std::size_t runs = group.runs.size();
      if (any_violation) {
        ++failures;
        std::string message;
        for (std::size_t i = 0; i < kAllRules.size(); ++i) {
          if (violated[i] == 0) continue;
          if (!message.empty()) message += "; ";
          message += std::string(to_string(kAllRules[i]));
          if (runs > 1) {
            message += " (" + std::to_string(violated[i]) + "/" + std::to_string(runs) + " runs)";
          }
          message += ": " + evidence[i];
        }
        std::string text;
        if (runs > 1) {
          text += "failed " + std::to_string(failed_runs) + " of " + std::to_string(runs) +
                  " runs\n";
        }
        text += failing_text;
        body += "      <failure message=\"" + xml_escape(message, true) +
                "\" type=\"conformance\">" + xml_escape(text) + "</failure>\n";
      } else if (error_runs > 0) {
        ++errors;
        std::string text;
        if (runs > 1) {
          text += "could not run " + std::to_string(error_runs) + " of " +
                  std::to_string(runs) + " runs\n";
        }
        text += failing_text;
        const RunRecord* err = shown;
        body += "      <error message=\"" + xml_escape(err->error, true) +
                "\" type=\"harness\">" + xml_escape(text) + "</error>\n";
      }
      std::string out_text;
      if (runs > 1) {
        out_text += "passed " + std::to_string(runs - failed_runs) + " of " +
                    std::to_string(runs) + " runs; details of run " +
                    std::to_string(shown->repeat + 1) + "\n";
      }
      append_observations(out_text, *shown);
      body += "      <system-out>" + xml_escape(out_text) + "</system-out>\n";
      body += "    </testcase>\n";
    }
    all_tests += cases.size();
    all_failures += failures;
    all_errors += errors;
    all_time += suite_time;
    suites += "  <testsuite name=\"sockcheck." + std::string(to_string(t)) + "\" tests=\"" +
              std::to_string(cases.size()) + "\" failures=\"" + std::to_string(failures) +
              "\" errors=\"" + std::to_string(errors) + "\" skipped=\"0\" time=\"" +
              seconds_text(suite_time) + "\">\n";
    suites += "    <properties>\n";
    auto property = [&](std::string_view name, const std::string& value) {
      suites += "      <property name=\"" + std::string(name) + "\" value=\"" +
                xml_escape(value, true) + "\"/>\n";
    };
    property("client", info.client);
    property("transport", std::string(to_string(t)));
    property("repeat", std::to_string(info.repeat));
    if (info.seed) property("seed", std::to_string(*info.seed));
    if (info.timeout) property("timeout", format_duration(*info.timeout));
    if (!info.filter.empty()) property("filter", info.filter);
    suites += "    </properties>\n";
    suites += body;
    suites += "  </testsuite>\n";
  }
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<testsuites name=\"sockcheck\" tests=\"" +
         std::to_string(all_tests) + "\" failures=\"" + std::to_string(all_failures) +
         "\" errors=\"" + std::to_string(all_errors) + "\" time=\"" + seconds_text(all_time) +
         "\">\n" + suites + "</testsuites>\n";
}

// --- JSON --------------------------------------------------------------------------

namespace {

// A streaming JSON writer with two-space indentation. The caller keeps the
// nesting right (key() only inside objects); it checks nothing itself.
class JsonWriter {
 public:
  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }
  void key(std::string_view k) {
    separate();
    out_ += json_quote(k) + ": ";
    after_key_ = true;
  }
  void str(std::string_view s) { scalar(json_quote(s)); }
  void boolean(bool b) { scalar(b ? "true" : "false"); }
  void null() { scalar("null"); }
  void number(long long n) { scalar(std::to_string(n)); }
  void number(std::uint64_t n) { scalar(std::to_string(n)); }
  // Milliseconds with microsecond precision: 12.345.
  void millis(Duration d) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s%lld.%03lld", us < 0 ? "-" : "",
                  static_cast<long long>((us < 0 ? -us : us) / 1000),
                  static_cast<long long>((us < 0 ? -us : us) % 1000));
    scalar(buf);
  }
  // Member shorthands.
  void field(std::string_view k, std::string_view v) { key(k); str(v); }
  void field(std::string_view k, const std::string& v) { key(k); str(v); }
  void field(std::string_view k, const char* v) { key(k); str(v); }
  void field(std::string_view k, bool v) { key(k); boolean(v); }
  void field(std::string_view k, int v) { key(k); number(static_cast<long long>(v)); }
  void field(std::string_view k, std::uint64_t v) { key(k); number(v); }
  void field_ms(std::string_view k, Duration v) { key(k); millis(v); }

  [[nodiscard]] std::string take() { return std::move(out_) + "\n"; }

 private:
  void separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_.empty()) {
      if (!first_.back()) out_ += ',';
      first_.back() = false;
      out_ += '\n';
      out_.append(2 * first_.size(), ' ');
    }
  }
  void scalar(std::string_view text) {
    separate();
    out_ += text;
  }
  void open(char c) {
    separate();
    out_ += c;
    first_.push_back(true);
  }
  void close(char c) {
    const bool empty = first_.back();
    first_.pop_back();
    if (!empty) {
      out_ += '\n';
      out_.append(2 * first_.size(), ' ');
    }
    out_ += c;
  }

  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written yet
  bool after_key_ = false;
};

void write_run(JsonWriter& w, const RunRecord& r) {
  w.begin_object();
  w.field("scenario", r.scenario);
  w.field("description", r.description);
  w.field("file", r.file);
  w.field("transport", to_string(r.transport));
  w.field("repeat", static_cast<std::uint64_t>(r.repeat));
  w.field("passed", r.passed);
  w.key("error");
  if (r.error.empty()) {
    w.null();
  } else {
    w.str(r.error);
  }
  w.field_ms("wall_time_ms", r.wall_time);
  w.key("violations");
  w.begin_array();
  for (const RuleResult* v : r.violations()) w.str(to_string(v->rule));
  w.end_array();

  const ClientRecord& c = r.client;
  w.key("client");
  w.begin_object();
  w.field("in_process", c.in_process);
  w.key("outcome");
  if (c.outcome) {
    w.str(to_string(*c.outcome));
  } else {
    w.null();
  }
  w.field("success", c.reported_success);
  w.key("exit_status");
  if (c.exit_status) {
    w.number(static_cast<long long>(*c.exit_status));
  } else {
    w.null();
  }
  w.field("signal", c.signal);
  w.field("killed", c.killed_at_deadline);
  w.field_ms("elapsed_ms", c.elapsed);
  w.field("elapsed_is_virtual", r.transport == TransportKind::sim);
  w.field("response_size", c.response_size);
  w.field("response_prefix", c.response_prefix);
  w.field("diagnostics", c.diagnostics);
  w.key("close_calls");
  if (c.close_calls >= 0) {
    w.number(static_cast<long long>(c.close_calls));
  } else {
    w.null();
  }
  w.key("calls_after_close");
  if (c.calls_after_close >= 0) {
    w.number(static_cast<long long>(c.calls_after_close));
  } else {
    w.null();
  }
  w.end_object();

  w.key("model");
  w.begin_object();
  w.key("allowed");
  w.begin_array();
  for (Outcome o : r.model.allowed) w.str(to_string(o));
  w.end_array();
  w.field("response_size", r.model.response_size);
  w.field("response_prefix", r.model.response_prefix);
  w.field_ms("max_duration_ms", r.model.max_duration);
  w.key("reasoning");
  w.begin_array();
  for (const std::string& why : r.model.reasoning) w.str(why);
  w.end_array();
  w.end_object();

  w.key("server");
  w.begin_array();
  for (const ServerRecord& s : r.server) {
    w.begin_object();
    w.field("connection", s.connection);
    w.field("summary", s.summary);
    w.field("accepted", s.accepted);
    w.field("refused", s.refused);
    w.field("received_size", s.received_size);
    w.field("received_prefix", s.received_prefix);
    w.field("received_request", s.received_request);
    w.field("saw_client_fin", s.saw_client_fin);
    w.key("client_fin_at_ms");
    if (s.saw_client_fin) {
      w.millis(s.client_fin_at);
    } else {
      w.null();
    }
    w.field("client_reset", s.client_reset);
    w.field("bytes_sent", s.bytes_sent);
    w.field("closed_with_unread", s.closed_with_unread);
    w.field("script_completed", s.script_completed);
    w.field("failure", s.failure);
    w.field_ms("duration_ms", s.duration);
    w.key("events");
    w.begin_array();
    for (const ObservedEvent& e : s.events) {
      w.begin_object();
      w.field_ms("at_ms", e.at);
      w.field("what", e.what);
      w.end_object();
    }
    w.end_array();
    w.field("events_dropped", static_cast<std::uint64_t>(s.events_dropped));
    w.end_object();
  }
  w.end_array();

  w.key("rules");
  w.begin_array();
  for (const RuleResult& rr : r.rules) {
    w.begin_object();
    w.field("rule", to_string(rr.rule));
    w.field("verdict", to_string(rr.verdict));
    w.field("evidence", rr.evidence);
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

}  // namespace

std::string json_report(std::span<const RunRecord> records, const RunSetInfo& info) {
  const Summary summary = summarize(records);
  JsonWriter w;
  w.begin_object();
  w.field("format", "sockcheck-run/1");
  w.field("client", info.client);
  w.key("paths");
  w.begin_array();
  for (const std::string& p : info.paths) w.str(p);
  w.end_array();
  w.field("filter", info.filter);
  w.field("repeat", static_cast<std::uint64_t>(info.repeat));
  w.key("seed");
  if (info.seed) {
    w.number(*info.seed);
  } else {
    w.null();
  }
  w.key("timeout_ms");
  if (info.timeout) {
    w.millis(*info.timeout);
  } else {
    w.null();
  }

  w.key("summary");
  w.begin_object();
  const std::size_t scenarios = summary.scenarios_passed + summary.scenarios_failed;
  w.field("scenarios", static_cast<std::uint64_t>(scenarios));
  w.field("passed", static_cast<std::uint64_t>(summary.scenarios_passed));
  w.field("failed", static_cast<std::uint64_t>(summary.scenarios_failed));
  w.field("runs", static_cast<std::uint64_t>(summary.runs));
  w.field("runs_failed", static_cast<std::uint64_t>(summary.runs_failed));
  w.end_object();

  w.key("table");
  w.begin_array();
  for (const SummaryRow& row : summary.rows) {
    w.begin_object();
    w.field("scenario", row.scenario);
    w.field("file", row.file);
    w.field("transport", to_string(row.transport));
    w.field("runs", static_cast<std::uint64_t>(row.runs));
    w.field("passed", static_cast<std::uint64_t>(row.passed));
    w.field("errors", static_cast<std::uint64_t>(row.errors));
    w.key("rules");
    w.begin_object();
    for (std::size_t i = 0; i < kAllRules.size(); ++i) {
      w.key(to_string(kAllRules[i]));
      w.begin_object();
      w.field("conforms", static_cast<std::uint64_t>(row.rules[i].conforms));
      w.field("violates", static_cast<std::uint64_t>(row.rules[i].violates));
      w.field("not_applicable", static_cast<std::uint64_t>(row.rules[i].not_applicable));
      w.end_object();
    }
    w.end_object();
    w.end_object();
  }
  w.end_array();

  w.key("runs");
  w.begin_array();
  for (const RunRecord& r : records) write_run(w, r);
  w.end_array();
  w.end_object();
  return w.take();
}

}  // namespace sockcheck
