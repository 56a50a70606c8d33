// The console's lines for each run: the progress line printed as a run
// starts and finishes, and the indented details under it (violations only,
// or with --verbose everything the record holds). Everything that came from
// outside goes through console_text() so that a client's bytes cannot drive
// the terminal.
#include "sockcheck/report_console.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

#include "report_text.h"

namespace sockcheck {

using report_text::client_line;
using report_text::console_text;
using report_text::model_line;
using report_text::short_duration;

namespace {

long long whole_ms(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace

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
    bool consequences = false;
    for (const RuleResult* v : record.violations()) {
      if (v->follows_from && !consequences) {
        names += names.empty() ? "" : "; ";
        names += "following from it: ";
        consequences = true;
      } else if (!names.empty()) {
        names += ", ";
      }
      names += to_string(v->rule);
    }
    line += ": " + names;
    if (record.level == Level::should) line += " [SHOULD]";
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
  if (!record.client.syscalls.empty()) {
    line(k1, "syscalls (interposer):");
    for (const std::string& call : record.client.syscalls) line(k2, call);
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

}  // namespace sockcheck
