// The summary of a set of runs: summarize() counts verdicts per scenario and
// transport, summary_table() lays them out as the table the console prints
// at the end (and JSON's "summary" and "table" reuse the counts).
#include "sockcheck/report_summary.h"

#include <algorithm>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "report_text.h"

namespace sockcheck {

using report_text::console_text;
using report_text::rule_index;

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
      row.level = r.level;
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
        case Verdict::not_applicable:
          ++row.rules[i].not_applicable;
          if (rr.unreachable_on_platform) {
            ++row.rules[i].unreachable;
            ++s.unreachable;
          }
          break;
      }
    }
  }
  for (const SummaryRow& row : s.rows) {
    s.max_repeats = std::max(s.max_repeats, row.runs);
    if (row.passed == row.runs) {
      ++s.scenarios_passed;
    } else {
      ++s.scenarios_failed;
      if (row.level == Level::should) ++s.should_failed;
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
    if (row.level == Level::should) label += " [SHOULD]";
    line.push_back(label);
    for (const RuleTally& t : row.rules) {
      const std::size_t applicable = t.conforms + t.violates;
      if (applicable == 0) {
        line.emplace_back(t.unreachable > 0 ? "-*" : "-");
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
  if (summary.should_failed > 0) {
    out += "\nfailed by level: " +
           std::to_string(summary.scenarios_failed - summary.should_failed) + " MUST, " +
           std::to_string(summary.should_failed) + " SHOULD";
  }
  if (summary.unreachable > 0) {
    out += "\n-*: " + std::to_string(summary.unreachable) +
           (summary.unreachable == 1 ? " verdict" : " verdicts") +
           " n/a because the client's platform hides what they need (see --verbose; "
           "docs/windows.md)";
  }
  out += "\n" + std::to_string(summary.scenarios_passed) + " passed, " +
         std::to_string(summary.scenarios_failed) + " failed\n";
  return out;
}

}  // namespace sockcheck
