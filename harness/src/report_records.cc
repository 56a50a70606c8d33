// The records a report keeps of each run (see report_records.h):
// make_record() condenses a ScenarioRun into one, cutting byte strings to a
// prefix and the server's events to a count, so that every renderer reads
// the same small record and a long run can be dropped once it is recorded.
#include "sockcheck/report_records.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "report_text.h"

namespace sockcheck {

namespace {

const RuleResult* find_rule(const std::vector<RuleResult>& rules, Rule r) {
  for (const RuleResult& rr : rules) {
    if (rr.rule == r) return &rr;
  }
  return nullptr;
}

std::string prefix_of(std::string_view bytes, std::size_t max) {
  return std::string(bytes.substr(0, std::min(bytes.size(), max)));
}

}  // namespace

namespace report_text {

std::size_t rule_index(Rule r) {
  for (std::size_t i = 0; i < kAllRules.size(); ++i) {
    if (kAllRules[i] == r) return i;
  }
  return 0;
}

}  // namespace report_text

using report_text::server_summary;

const RuleResult* RunRecord::rule(Rule r) const { return find_rule(rules, r); }

std::vector<const RuleResult*> RunRecord::violations() const {
  return violations_cause_first(rules);
}

RunRecord make_record(const ScenarioRun& run, std::size_t repeat) {
  RunRecord r;
  r.scenario = run.scenario.name;
  r.description = run.scenario.description;
  r.file = run.scenario.file;
  r.level = run.scenario.level;
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
  if (c.syscalls) r.client.syscalls = trace_lines(*c.syscalls, RunRecord::kMaxSyscallLines);

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

}  // namespace sockcheck
