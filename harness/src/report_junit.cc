// JUnit XML of a set of runs, for CI systems: one <testsuite> per transport,
// one <testcase> per scenario, repeated runs folded into their case. Text
// from outside goes through xml_escape() (report_escape.cc), so the document
// is well-formed whatever the client wrote.
#include "sockcheck/report_files.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "report_text.h"
#include "sockcheck/report_escape.h"
#include "sockcheck/units.h"

namespace sockcheck {

using report_text::client_line;
using report_text::model_line;
using report_text::rule_index;
using report_text::short_duration;

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
    property("client-timeout", std::string(to_string(info.contract)));
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

}  // namespace sockcheck
