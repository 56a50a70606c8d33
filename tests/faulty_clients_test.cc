// Proof that the harness tells good clients from bad ones.
//
// Theory of operation. tests/faulty_clients/faulty_client.cc is a client
// program with one deliberate defect chosen by name (`none` is correct).
// Each defect runs, as an unmodified program over loopback TCP
// (program_client), against the whole built-in suite (corpora/scenarios/),
// and the oracle judges every run. The table kPrograms says which rule(s)
// must flag each defect: every listed rule must be violated in at least one
// scenario, and `none` must violate nothing anywhere (no false positives).
// A second table does the same in process, on the simulated transport, for
// what only in-process runs can see: close() counted through the seam, a
// send after the FIN, and injected EINTR/EAGAIN. Each test prints what it
// measured (rule -> scenarios), the figures behind docs/conformance.md,
// "What the suite catches".
//
// A loopback run is mostly waiting (for a client's timeout, for a hang to
// end), so the scenarios of one defect run several at a time; each run has
// its own server and its own child process, and the oracle's timing
// margins are far wider than the scheduling noise this adds.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sockcheck/gtest.h"
#include "sockcheck/runner.h"
#include "support/run_process.h"

namespace sockcheck {
namespace {

using namespace std::chrono_literals;

const std::filesystem::path kSuiteDir =
    std::filesystem::path(SOCKCHECK_SOURCE_DIR) / "corpora" / "scenarios";

std::vector<Scenario> load_suite() {
  std::vector<Scenario> out;
  for (const testing::ScenarioCase& c :
       testing::scenario_cases(kSuiteDir, {TransportKind::sim})) {
    if (c.scenario) out.push_back(*c.scenario);
  }
  return out;
}

// What one client did over the whole suite.
struct SuiteVerdicts {
  std::map<Rule, std::vector<std::string>> flagged;  // rule -> scenarios
  std::vector<std::string> failures;                 // every violation, with evidence
  std::vector<std::string> harness_errors;
  std::size_t scenarios = 0;
};

SuiteVerdicts run_suite(const std::function<std::unique_ptr<ClientUnderTest>()>& make,
                        TransportKind transport, int parallel,
                        TimeoutContract contract = TimeoutContract::total) {
  const std::vector<Scenario> suite = load_suite();
  SuiteVerdicts v;
  v.scenarios = suite.size();
  std::vector<ScenarioRun> runs(suite.size());
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < suite.size(); i = next++) {
      auto client = make();
      RunOptions options;
      options.transport = transport;
      options.contract = contract;
      runs[i] = run_scenario(suite[i], *client, options);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < parallel; ++t) threads.emplace_back(worker);
  for (std::thread& t : threads) t.join();
  for (const ScenarioRun& run : runs) {
    if (!run.error.empty()) {
      v.harness_errors.push_back(run.scenario.name + ": " + run.error);
      continue;
    }
    for (const RuleResult* r : run.violations()) {
      v.flagged[r->rule].push_back(run.scenario.name);
    }
    if (!run.passed()) {
      v.failures.push_back(std::string(testing::Conforms(run).message()));
    }
  }
  return v;
}

std::string rules_text(const std::vector<Rule>& rules) {
  std::string s;
  for (Rule r : rules) s += (s.empty() ? "" : ", ") + std::string(to_string(r));
  return s.empty() ? "(nothing)" : s;
}

// "defect: rule (n): a, b, c; rule (m): ..." for the log and the docs.
std::string summary(const std::string& name, const SuiteVerdicts& v) {
  std::ostringstream out;
  out << name << " over " << v.scenarios << " scenarios:";
  if (v.flagged.empty()) out << " no rule violated";
  for (const auto& [rule, scenarios] : v.flagged) {
    out << "\n  " << to_string(rule) << " (" << scenarios.size() << "):";
    for (const std::string& s : scenarios) out << ' ' << s;
  }
  return out.str();
}

void check(const std::string& name, const std::vector<Rule>& must_flag,
           const SuiteVerdicts& v, bool only_these = false) {
  std::printf("%s\n", summary(name, v).c_str());
  for (const std::string& e : v.harness_errors) ADD_FAILURE() << "harness error: " << e;
  if (must_flag.empty()) {
    // The correct client: any violation is a false positive of the harness.
    for (const std::string& f : v.failures) ADD_FAILURE() << "false positive: " << f;
    return;
  }
  for (Rule r : must_flag) {
    EXPECT_TRUE(v.flagged.count(r) != 0)
        << name << " was not flagged on " << to_string(r)
        << " in any scenario; it was flagged on: " << summary(name, v);
  }
  if (!only_these) return;
  for (const auto& [rule, scenarios] : v.flagged) {
    EXPECT_TRUE(std::find(must_flag.begin(), must_flag.end(), rule) != must_flag.end())
        << name << " was flagged on " << to_string(rule)
        << ", which its design does not break: " << summary(name, v);
  }
}

// ------------------------------------------------------ client programs

struct ProgramDefect {
  const char* defect;
  std::vector<Rule> must_flag;  // empty: must pass everything
};

using R = Rule;
const ProgramDefect kPrograms[] = {
    {"none", {}},
    {"no-half-close", {R::half_close}},
    {"shutdown-both", {R::half_close, R::response_delivered}},
    {"close-after-send", {R::half_close, R::response_delivered}},
    {"single-recv", {R::response_delivered}},
    {"reset-as-success", {R::honest_outcome}},
    {"exit-zero-always", {R::honest_outcome}},
    // Waiting past a total timeout and then succeeding is honest, but late.
    {"no-timeout", {R::bounded}},
    {"short-timeout", {R::honest_outcome}},
    {"ignore-short-send", {R::request_delivered, R::syscall_robust}},
    {"sigpipe", {R::survives_peer}},
    {"stop-at-nul", {R::response_delivered}},
    {"max-4k", {R::response_delivered}},
    {"half-duplex", {R::honest_outcome}},
    {"partial-read-eof", {R::response_delivered}},
    {"drop-first-chunk", {R::response_delivered}},
    {"timeout-as-success", {R::honest_outcome}},
    {"idle-timeout", {R::bounded}},
    {"print-twice", {R::response_delivered}},
    {"send-twice", {R::request_delivered}},
    {"resend-from-start", {R::request_delivered, R::syscall_robust}},
    {"eagain-fatal", {R::syscall_robust, R::honest_outcome}},
    {"adds-newline", {R::request_delivered}},
    {"first-line-only", {R::request_delivered}},
    {"text-mode", {R::response_delivered}},
    {"skip-empty-request", {R::half_close}},
    {"shutdown-before-send", {R::request_delivered}},
    {"no-flush", {R::response_delivered}},
    {"chatty-stdout", {R::response_delivered}},
    {"stop-sending-at-eof", {R::request_delivered}},
};

void PrintTo(const ProgramDefect& d, std::ostream* os) { *os << d.defect; }

std::string program_name(const ::testing::TestParamInfo<ProgramDefect>& info) {
  std::string name = info.param.defect;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

class FaultyProgram : public ::testing::TestWithParam<ProgramDefect> {};

TEST_P(FaultyProgram, FlaggedOnTheRuleItBreaks) {
  const ProgramDefect& d = GetParam();
  const std::string command = std::string("'") + SOCKCHECK_FAULTY_CLIENT + "' " +
                              d.defect + " {host} {port} {timeout_ms}";
  std::string error;
  ASSERT_NE(program_client({command, false}, &error), nullptr) << error;
  const SuiteVerdicts v = run_suite(
      [&] { return program_client({command, false}, nullptr); }, TransportKind::tcp,
      /*parallel=*/6);
  std::printf("must flag: %s\n", rules_text(d.must_flag).c_str());
  check(d.defect, d.must_flag, v);
}

INSTANTIATE_TEST_SUITE_P(Defects, FaultyProgram, ::testing::ValuesIn(kPrograms),
                         program_name);

// The same programs with the timeout contract their design has declared:
// an idle timer restarted on every byte received is a correct design, and
// must pass everything; a client with no timeout at all is flagged only on
// bounded, only where the server never closes (it is killed there).
struct DeclaredDesign {
  const char* defect;
  const char* command_tail;  // after the defect name
  TimeoutContract contract;
  std::vector<Rule> flagged;  // exactly these rules (empty: none)
  std::set<std::string> only_in;  // ... and only in these scenarios (empty: any)
};

const DeclaredDesign kDesigns[] = {
    {"idle-timeout", " {host} {port} {timeout_ms}", TimeoutContract::idle, {}, {}},
    {"no-timeout", " {host} {port} {timeout_ms}", TimeoutContract::none, {R::bounded},
     {"hang-after-fin", "hang-after-response", "hang-before-read", "hang-mid-request",
      "hang-mid-response", "half-close-then-hang"}},
};

void PrintTo(const DeclaredDesign& d, std::ostream* os) {
  *os << d.defect << " as " << to_string(d.contract);
}

class DeclaredTimeout : public ::testing::TestWithParam<DeclaredDesign> {};

TEST_P(DeclaredTimeout, JudgedByItsOwnContract) {
  const DeclaredDesign& d = GetParam();
  const std::string command =
      std::string("'") + SOCKCHECK_FAULTY_CLIENT + "' " + d.defect + d.command_tail;
  const SuiteVerdicts v = run_suite(
      [&] { return program_client({command, false}, nullptr); }, TransportKind::tcp,
      /*parallel=*/6, d.contract);
  check(std::string(d.defect) + " (" + std::string(to_string(d.contract)) + ")",
        d.flagged, v, /*only_these=*/true);
  if (d.only_in.empty()) return;
  for (const auto& [rule, scenarios] : v.flagged) {
    for (const std::string& s : scenarios) {
      EXPECT_TRUE(d.only_in.count(s) != 0)
          << d.defect << " flagged on " << to_string(rule) << " in " << s
          << ", where the server does close";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Designs, DeclaredTimeout, ::testing::ValuesIn(kDesigns),
                         [](const ::testing::TestParamInfo<DeclaredDesign>& param) {
                           std::string name = std::string(param.param.defect) + "_" +
                                              std::string(to_string(param.param.contract));
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// Every defect the program knows is in the table above, and nothing else.
TEST(FaultyProgramTable, CoversEveryDefectOfTheProgram) {
  const testing::CliRun listed = testing::run_program(SOCKCHECK_FAULTY_CLIENT, {"--list"});
  ASSERT_EQ(listed.status, 0) << listed.err;
  std::set<std::string> program;
  std::istringstream in(listed.out);
  for (std::string line; std::getline(in, line);) program.insert(line);
  std::set<std::string> table;
  for (const ProgramDefect& d : kPrograms) table.insert(d.defect);
  EXPECT_EQ(program, table);
  EXPECT_GE(program.size(), 20u);
}

// ------------------------------------------------- in-process clients (sim)

enum class SeamDefect {
  none,
  double_close,         // closes the connection twice
  never_close,          // leaks the connection (no close() at all)
  use_after_close,      // one more recv() after close()
  eintr_fatal,          // EINTR from send/recv/wait taken for an error
  eagain_fatal,         // EAGAIN from send/recv taken for an error
  send_after_shutdown,  // a trailing "\n" sent after the FIN, error ignored
};

// A small client written against the seam, correct except for `defect`:
// full duplex, waits only when neither direction made progress, retries
// EINTR, half-closes after the request, reads until end of stream.
UserClientResult seam_client(SeamDefect defect, Transport& net, const Endpoint& to,
                             std::string_view request, Duration timeout) {
  UserClientResult out;
  const TimePoint deadline = net.now() + timeout;
  ConnectResult c = net.connect(to, deadline);
  if (!c.connection) {
    out.outcome = Outcome::connect_failed;
    return out;
  }
  Connection& conn = *c.connection;
  auto fatal = [&](const std::error_code& ec) {
    if (is_interrupted(ec)) return defect == SeamDefect::eintr_fatal;
    if (is_would_block(ec)) return defect == SeamDefect::eagain_fatal;
    return true;
  };
  std::size_t sent = 0;
  bool fin_sent = false;
  bool eof = false;
  std::array<std::byte, 4096> buf{};
  auto half_close = [&]() -> bool {
    for (;;) {
      const IoResult r = conn.shutdown_write();
      if (r.ok()) break;
      if (fatal(r.error)) return false;
    }
    fin_sent = true;
    if (defect == SeamDefect::send_after_shutdown) {
      (void)conn.send(as_bytes("\n"));  // DEFECT: after the FIN; error ignored
    }
    return true;
  };
  bool failed = request.empty() && !half_close();
  while (!failed && !(eof && fin_sent)) {
    if (net.now() >= deadline) {
      out.outcome = Outcome::timed_out;
      failed = true;
      break;
    }
    bool progress = false;
    if (!fin_sent) {
      const IoResult r = conn.send(as_bytes(request.substr(sent)));
      if (r.ok()) {
        sent += r.bytes;
        progress = r.bytes > 0;
        if (sent == request.size() && !half_close()) failed = true;
      } else if (fatal(r.error)) {
        failed = true;
      } else {
        progress = is_interrupted(r.error);
      }
    }
    if (!failed && !eof) {
      const IoResult r = conn.recv(buf);
      if (r.ok()) {
        eof = r.bytes == 0;
        out.response.append(reinterpret_cast<const char*>(buf.data()), r.bytes);
        progress = true;
      } else if (fatal(r.error)) {
        if (is_reset(r.error)) out.outcome = Outcome::reset;
        failed = true;
      } else {
        progress = progress || is_interrupted(r.error);
      }
    }
    if (!failed && !progress && !(eof && fin_sent)) {
      const WaitResult w = conn.wait(!eof, !fin_sent, deadline);
      if (w.error && fatal(w.error)) failed = true;
    }
  }
  out.success = !failed && eof && fin_sent;
  switch (defect) {
    case SeamDefect::never_close:
      break;  // DEFECT
    case SeamDefect::double_close:
      conn.close();
      conn.close();  // DEFECT
      break;
    case SeamDefect::use_after_close:
      conn.close();
      (void)conn.recv(buf);  // DEFECT
      break;
    default:
      conn.close();
  }
  return out;
}

struct InProcessDefect {
  const char* name;
  SeamDefect defect;
  std::vector<Rule> must_flag;
};

const InProcessDefect kInProcess[] = {
    {"none", SeamDefect::none, {}},
    {"double-close", SeamDefect::double_close, {R::closes_once}},
    {"never-close", SeamDefect::never_close, {R::closes_once}},
    {"use-after-close", SeamDefect::use_after_close, {R::closes_once}},
    {"eintr-fatal", SeamDefect::eintr_fatal, {R::syscall_robust, R::honest_outcome}},
    {"eagain-fatal", SeamDefect::eagain_fatal, {R::syscall_robust, R::honest_outcome}},
    {"send-after-shutdown", SeamDefect::send_after_shutdown, {R::half_close}},
};

void PrintTo(const InProcessDefect& d, std::ostream* os) { *os << d.name; }

std::string in_process_name(const ::testing::TestParamInfo<InProcessDefect>& info) {
  std::string name = info.param.name;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

class FaultyInProcess : public ::testing::TestWithParam<InProcessDefect> {};

TEST_P(FaultyInProcess, FlaggedOnTheRuleItBreaks) {
  const InProcessDefect& d = GetParam();
  const SeamDefect defect = d.defect;
  const SuiteVerdicts v = run_suite(
      [&] {
        return function_client(d.name, [defect](Transport& net, const Endpoint& to,
                                                std::string_view request, Duration timeout) {
          return seam_client(defect, net, to, request, timeout);
        });
      },
      TransportKind::sim, /*parallel=*/1);
  std::printf("must flag: %s\n", rules_text(d.must_flag).c_str());
  check(std::string("in-process ") + d.name, d.must_flag, v);
}

INSTANTIATE_TEST_SUITE_P(Defects, FaultyInProcess, ::testing::ValuesIn(kInProcess),
                         in_process_name);

}  // namespace
}  // namespace sockcheck
