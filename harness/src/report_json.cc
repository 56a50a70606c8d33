// The JSON report of a set of runs: a header, the summary counts, and every
// record in full (the format is described in docs/cli.md). Strings go
// through json_quote() (report_escape.cc), so every byte a client wrote can
// be recovered from the file.
#include "sockcheck/report_files.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sockcheck/report_escape.h"
#include "sockcheck/report_summary.h"

namespace sockcheck {

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
  w.field("level", to_string(r.level));
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
  w.key("syscall_trace");  // the interposer's records; [] without it
  w.begin_array();
  for (const std::string& call : c.syscalls) w.str(call);
  w.end_array();
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
    if (rr.follows_from) w.field("follows_from", to_string(*rr.follows_from));
    if (rr.unreachable_on_platform) w.field("unreachable_on_platform", true);
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
  w.field("client_timeout", to_string(info.contract));

  w.key("summary");
  w.begin_object();
  const std::size_t scenarios = summary.scenarios_passed + summary.scenarios_failed;
  w.field("scenarios", static_cast<std::uint64_t>(scenarios));
  w.field("passed", static_cast<std::uint64_t>(summary.scenarios_passed));
  w.field("failed", static_cast<std::uint64_t>(summary.scenarios_failed));
  w.field("runs", static_cast<std::uint64_t>(summary.runs));
  w.field("runs_failed", static_cast<std::uint64_t>(summary.runs_failed));
  w.field("should_failed", static_cast<std::uint64_t>(summary.should_failed));
  w.field("unreachable_on_platform", static_cast<std::uint64_t>(summary.unreachable));
  w.end_object();

  w.key("table");
  w.begin_array();
  for (const SummaryRow& row : summary.rows) {
    w.begin_object();
    w.field("scenario", row.scenario);
    w.field("file", row.file);
    w.field("level", to_string(row.level));
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
