// The interposer (libsockcheck_preload.so) end to end: client programs run
// over loopback with it preloaded, the scenario's `inject` lines applied
// to them, and the oracle judging from its trace.
//
// Theory of operation. tests/syscall_clients/syscall_client.cc is a
// blocking client with a SIGALRM handler (so EINTR and short sends are
// realistic for it) and one defect chosen by name. The correct variants,
// one on send/recv and one on read/write, must pass every scenario of the
// built-in suite (no false positives); each defect must be flagged on its
// rule in at least one scenario that injects syscall faults. A statically
// linked build of the correct client shows that where the interposer
// cannot reach, the syscall verdicts are n/a with the reason, never a pass.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "sockcheck/gtest.h"
#include "sockcheck/runner.h"
#include "sockcheck/syscall_trace.h"

namespace sockcheck {
namespace {

const std::filesystem::path kSuiteDir =
    std::filesystem::path(SOCKCHECK_SOURCE_DIR) / "corpora" / "scenarios";

std::vector<Scenario> suite(const std::set<std::string>& only = {}) {
  std::vector<Scenario> out;
  for (const testing::ScenarioCase& c : testing::scenario_cases(kSuiteDir, {TransportKind::tcp})) {
    if (c.scenario && (only.empty() || only.count(c.scenario->name) != 0)) {
      out.push_back(*c.scenario);
    }
  }
  return out;
}

std::vector<ScenarioRun> run_all(const std::string& program, const std::string& defect,
                                 const std::vector<Scenario>& scenarios) {
  std::vector<ScenarioRun> runs(scenarios.size());
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < scenarios.size(); i = next++) {
      ProgramOptions o;
      o.command = program + " " + defect + " {host} {port} {timeout_ms}";
      o.interposer = SOCKCHECK_PRELOAD_LIB;
      std::string why;
      auto client = program_client(o, &why);
      RunOptions options;
      options.transport = TransportKind::tcp;
      runs[i] = run_scenario(scenarios[i], *client, options);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) threads.emplace_back(worker);
  for (std::thread& t : threads) t.join();
  return runs;
}

const std::set<std::string> kInjecting = {"inject-eintr", "inject-eagain", "inject-short",
                                          "delayed-fin"};

class CorrectProgram : public ::testing::TestWithParam<const char*> {};

TEST_P(CorrectProgram, PassesTheWholeSuiteUnderSyscallFaults) {
  int injected = 0;
  for (const ScenarioRun& run : run_all(SOCKCHECK_SYSCALL_CLIENT, GetParam(), suite())) {
    EXPECT_TRUE(testing::Conforms(run)) << "false positive";
    ASSERT_TRUE(run.client.syscalls.has_value());
    EXPECT_TRUE(run.client.syscalls->reached()) << run.client.syscalls->not_reached;
    injected += run.client.syscalls->count(TracedCall::Status::injected);
  }
  std::printf("%s: %d faults injected over the suite\n", GetParam(), injected);
  EXPECT_GT(injected, 0) << "the interposer must actually have injected faults";
}

INSTANTIATE_TEST_SUITE_P(Variants, CorrectProgram,
                         ::testing::Values("none", "none-readwrite"));

struct Defect {
  const char* name;
  Rule rule;
};
void PrintTo(const Defect& d, std::ostream* os) { *os << d.name; }

class DefectiveProgram : public ::testing::TestWithParam<Defect> {};

TEST_P(DefectiveProgram, IsFlaggedOnItsRule) {
  const Defect d = GetParam();
  std::vector<std::string> flagged;
  for (const ScenarioRun& run : run_all(SOCKCHECK_SYSCALL_CLIENT, d.name, suite(kInjecting))) {
    const RuleResult* r = run.rule(d.rule);
    if (r != nullptr && r->verdict == Verdict::violates) {
      flagged.push_back(run.scenario.name);
      std::printf("%s on %s: %s: %s\n", d.name, run.scenario.name.c_str(),
                  std::string(to_string(d.rule)).c_str(), r->evidence.c_str());
    }
  }
  EXPECT_FALSE(flagged.empty()) << d.name << " was not flagged on " << to_string(d.rule);
}

INSTANTIATE_TEST_SUITE_P(
    Defects, DefectiveProgram,
    ::testing::Values(Defect{"eintr-send-fatal", Rule::syscall_robust},
                      Defect{"eintr-recv-fatal", Rule::syscall_robust},
                      Defect{"eintr-poll-fatal", Rule::syscall_robust},
                      Defect{"ignore-short-send", Rule::syscall_robust},
                      Defect{"eagain-busy-loop", Rule::syscall_robust}),
    [](const auto& param_info) {
      std::string n = param_info.param.name;
      std::erase(n, '-');
      return n;
    });

TEST(Interposer, UnreachableProgramGetsNotApplicableNeverAPass) {
  const auto runs = run_all(SOCKCHECK_SYSCALL_CLIENT_STATIC, "eintr-send-fatal",
                            suite({"inject-eintr"}));
  ASSERT_EQ(runs.size(), 1u);
  const ScenarioRun& run = runs[0];
  ASSERT_TRUE(run.client.syscalls.has_value());
  EXPECT_FALSE(run.client.syscalls->reached());
  EXPECT_NE(run.client.syscalls->not_reached.find("statically linked"), std::string::npos)
      << run.client.syscalls->not_reached;
  const RuleResult* r = run.rule(Rule::syscall_robust);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->verdict, Verdict::not_applicable) << r->evidence;
  EXPECT_EQ(run.rule(Rule::closes_once)->verdict, Verdict::not_applicable);
}

// Its own dispositions are known: syscall_client's `eintr-fatal-crash-handler`
// installs only a SIGSEGV handler, the kind a sanitizer or crash reporter
// installs (an AddressSanitizer build adds its own for SIGSEGV, SIGBUS and
// SIGFPE), so EINTR is not realistic for it, and it takes EINTR for fatal:
// one injected anyway would make it fail.
TEST(Interposer, SkipsWhatTheKernelCouldNotReturnAndSaysWhy) {
  const auto runs = run_all(SOCKCHECK_SYSCALL_CLIENT, "eintr-fatal-crash-handler",
                            suite({"inject-eintr"}));
  ASSERT_EQ(runs.size(), 1u);
  const ScenarioRun& eintr = runs[0];
  EXPECT_TRUE(testing::Conforms(eintr)) << "false positive";
  ASSERT_TRUE(eintr.client.syscalls.has_value());
  const SyscallTrace& t = *eintr.client.syscalls;
  ASSERT_TRUE(t.reached()) << t.not_reached;
  EXPECT_EQ(t.count(TracedCall::Status::injected), 0);
  EXPECT_GT(t.count(TracedCall::Status::skipped), 0) << "no EINTR was even due";
  EXPECT_EQ(eintr.client.faults_injected, 0);
  const RuleResult* r = eintr.rule(Rule::syscall_robust);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->verdict, Verdict::not_applicable) << r->evidence;
  EXPECT_NE(r->evidence.find("only signal handlers are for faults it raises itself"),
            std::string::npos)
      << r->evidence;

  // faulty_client's `none` is non-blocking: EAGAIN is realistic for it.
  ProgramOptions o;
  o.command = std::string(SOCKCHECK_FAULTY_CLIENT) + " none {host} {port} {timeout_ms}";
  o.interposer = SOCKCHECK_PRELOAD_LIB;
  std::string why;
  auto client = program_client(o, &why);
  RunOptions options;
  options.transport = TransportKind::tcp;
  const ScenarioRun eagain = run_scenario(suite({"inject-eagain"}).at(0), *client, options);
  EXPECT_GT(eagain.client.faults_injected, 0);
  EXPECT_EQ(eagain.rule(Rule::syscall_robust)->verdict, Verdict::conforms)
      << eagain.rule(Rule::syscall_robust)->evidence;
}

TEST(SyscallTrace, ParsesRecordsAndCountsForTheOracle) {
  const std::string text =
      "hello 7 100 realistic\n"
      "event 7 200 1 connect 3 -1 115\n"
      "call 7 300 1 read recv 4 65536 -1 4 injected EINTR\n"
      "call 7 400 1 send send 1 10 -1 4 skipped EINTR the program installs no signal handler\n"
      "spin 7 500 1 2000 10000\n";
  const SyscallTrace t = parse_syscall_trace(text, 100);
  EXPECT_TRUE(t.reached());
  ASSERT_EQ(t.calls.size(), 2u);
  EXPECT_EQ(describe_call(t.calls[0]), "read (recv) #4: EINTR (injected)");
  EXPECT_EQ(t.calls[1].why, "the program installs no signal handler");
  EXPECT_EQ(t.longest_spin, 2000u);
  EXPECT_EQ(t.count(TracedCall::Status::skipped), 1);
  EXPECT_FALSE(parse_syscall_trace("", 0).loaded);
}

}  // namespace
}  // namespace sockcheck
