// The two executors of a script agree: every built-in scenario, run with
// the reference client on the simulated transport and over loopback TCP,
// leaves the same server observations.
//
// Theory of operation. The simulator and the loopback server execute the
// same plan (script_plan.h) in different worlds: virtual time in memory,
// and real time on the kernel's sockets. Where they disagree, one of them
// has a rule of its own, and the oracle (which reads the plan too) judges
// one of them wrongly. So each scenario runs once on each, and what the
// server saw is compared field by field: whether it accepted or refused,
// the bytes it read, the client's FIN and reset, what it wrote, whether it
// closed with unread bytes, whether the script completed and where it
// failed, and the steps it carried out, in order, with the bytes each one
// moved and when it ended (real time within the oracle's timing margin of
// virtual time). Event texts are not compared: they are for people, and
// each executor words its own details (how many recv calls a read took).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "sockcheck/gtest.h"
#include "sockcheck/runner.h"
#include "sockcheck/units.h"

namespace sockcheck {
namespace {

const std::filesystem::path kSuiteDir =
    std::filesystem::path(SOCKCHECK_SOURCE_DIR) / "corpora" / "scenarios";

Duration abs_diff(Duration a, Duration b) { return a > b ? a - b : b - a; }

// "step 2 (write) at line 7" of "step 2 (write) at line 7: why".
std::string where_it_failed(const std::string& failure) {
  return failure.substr(0, failure.find(':'));
}

std::string steps_text(const ServerObservation& o) {
  std::string s;
  for (const StepDone& d : o.steps_done) {
    s += " #" + std::to_string(d.step) + "(" + std::to_string(d.bytes) + "B @" +
         format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(d.at)) + ")";
  }
  return s.empty() ? " (none)" : s;
}

::testing::AssertionResult same_observation(const ServerObservation& sim,
                                            const ServerObservation& tcp,
                                            Duration tolerance) {
  std::string diff;
  auto field = [&](const char* name, const auto& a, const auto& b) {
    if (!(a == b)) diff += std::string("\n  ") + name + " differs";
  };
  field("accepted", sim.accepted, tcp.accepted);
  field("refused", sim.refused, tcp.refused);
  if (sim.received != tcp.received) {
    diff += "\n  received: sim " + std::to_string(sim.received.size()) + " bytes, tcp " +
            std::to_string(tcp.received.size());
  }
  field("saw_client_fin", sim.saw_client_fin, tcp.saw_client_fin);
  field("client_reset", sim.client_reset, tcp.client_reset);
  if (sim.bytes_sent != tcp.bytes_sent) {
    diff += "\n  bytes_sent: sim " + std::to_string(sim.bytes_sent) + ", tcp " +
            std::to_string(tcp.bytes_sent);
  }
  // The one race the kernel has that the simulator does not: a `close`
  // before the request has arrived sends FIN over loopback, while the
  // simulator's request is always there first (docs/sim-transport.md, "Where the
  // simulator knowingly differs": races); the model allows both endings.
  const bool request_came_late = sim.closed_with_unread && !tcp.closed_with_unread &&
                                 tcp.received.empty() && sim.received.empty();
  if (!request_came_late) {
    field("closed_with_unread", sim.closed_with_unread, tcp.closed_with_unread);
  }
  field("script_completed", sim.script_completed, tcp.script_completed);
  if (where_it_failed(sim.failure) != where_it_failed(tcp.failure)) {
    diff += "\n  failure: sim '" + sim.failure + "', tcp '" + tcp.failure + "'";
  }
  if (sim.saw_client_fin && tcp.saw_client_fin &&
      abs_diff(sim.client_fin_at, tcp.client_fin_at) > tolerance) {
    diff += "\n  client FIN at: sim +" + format_duration(sim.client_fin_at) + ", tcp +" +
            format_duration(tcp.client_fin_at);
  }
  bool steps_match = sim.steps_done.size() == tcp.steps_done.size();
  for (std::size_t i = 0; steps_match && i < sim.steps_done.size(); ++i) {
    const StepDone& a = sim.steps_done[i];
    const StepDone& b = tcp.steps_done[i];
    steps_match = a.step == b.step && a.bytes == b.bytes &&
                  abs_diff(a.at, b.at) <= tolerance;
  }
  if (!steps_match) {
    diff += "\n  steps done: sim" + steps_text(sim) + "\n              tcp" + steps_text(tcp);
  }
  if (diff.empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "connection " << sim.connection << ":" << diff;
}

class ExecutorsAgree : public ::testing::TestWithParam<testing::ScenarioCase> {};

TEST_P(ExecutorsAgree, SameServerObservations) {
  const testing::ScenarioCase& c = GetParam();
  ASSERT_TRUE(c.scenario) << c.error;
  auto client = reference_client();
  RunOptions sim_options;
  sim_options.transport = TransportKind::sim;
  RunOptions tcp_options;
  tcp_options.transport = TransportKind::tcp;
  const ScenarioRun sim = run_scenario(*c.scenario, *client, sim_options);
  const ScenarioRun tcp = run_scenario(*c.scenario, *client, tcp_options);
  ASSERT_TRUE(sim.error.empty()) << sim.error;
  ASSERT_TRUE(tcp.error.empty()) << tcp.error;
  ASSERT_EQ(sim.observations.size(), tcp.observations.size());
  const Duration tolerance = timing_margin(*c.scenario);
  for (std::size_t i = 0; i < sim.observations.size(); ++i) {
    EXPECT_TRUE(same_observation(sim.observations[i], tcp.observations[i], tolerance))
        << "scenario " << c.scenario->name;
  }
}

INSTANTIATE_TEST_SUITE_P(BuiltInSuite, ExecutorsAgree,
                         ::testing::ValuesIn(testing::scenario_cases(
                             kSuiteDir, {TransportKind::sim})),
                         testing::case_name);

}  // namespace
}  // namespace sockcheck
