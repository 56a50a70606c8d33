// The reference client (client.h) against every fault kind on the simulated
// transport, with the outcome it must report.
//
// A table of cases (FaultCase) checks what holds for every fault: the
// outcome, the exact bytes where they are defined, closes-once, no call
// after close, and that the client finished within its timeout on the
// virtual clock. Separate tests then check what is particular to one fault
// (timing, what the server observed). The last test runs every scenario
// file of corpora/scenarios/ and checks its own `expect` lines.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "support/step_builders.h"
#include "sockcheck/client.h"
#include "sockcheck/scenario.h"
#include "sockcheck/scenario_parser.h"
#include "sockcheck/sim_transport.h"

namespace sockcheck {
namespace {

using namespace std::chrono_literals;
using sockcheck::testing::accept_after;
using sockcheck::testing::read_until_fin;
using sockcheck::testing::recv_buffer;
using sockcheck::testing::sleep_for;
using sockcheck::testing::step;
using sockcheck::testing::write;
using sockcheck::testing::write_data;

// ------------------------------------------------------------ scenario bits

Injection inject(Injection::Call call, std::errc e, std::uint32_t every) {
  Injection i;
  i.call = call;
  i.error = std::make_error_code(e);
  i.every = every;
  return i;
}

const std::string kRequest = "GET / HTTP/1.0\r\n\r\n";
const std::string kReply = "HTTP/1.0 200 OK\r\n";  // 17 bytes

Scenario scenario_with(std::vector<Step> steps) {
  Scenario sc;
  sc.name = "test";
  sc.request = {DataSpec::Kind::literal, kRequest, 0, 0};
  sc.client_timeout = 5s;
  ConnectionScript script;
  script.steps = std::move(steps);
  sc.scripts.push_back(std::move(script));
  return sc;
}

// ------------------------------------------------------------------ running

class ChunkCounter : public ClientObserver {
 public:
  void on_data(std::span<const std::byte> /*chunk*/) override { ++chunks; }
  int chunks = 0;
};

struct SimRun {
  ClientResult result;
  Duration virtual_elapsed{};           // when run_client returned
  std::chrono::steady_clock::duration real_elapsed{};
  std::vector<ServerObservation> observations;  // after run_servers_to_end
  SimClientCalls calls;                  // connection 1
  int chunks = 0;
  std::string trace;
};

SimRun run(const Scenario& sc, const SimOptions& sim_options = {}) {
  SimTransport sim(sc, sim_options);
  ChunkCounter counter;
  ClientOptions options;
  options.timeout = sc.client_timeout;
  const std::string request = sc.request_bytes();
  SimRun out;
  const auto real_start = std::chrono::steady_clock::now();
  out.result = run_client(sim, {"sim", 7}, as_bytes(request), options, &counter);
  out.real_elapsed = std::chrono::steady_clock::now() - real_start;
  out.virtual_elapsed = sim.now() - TimePoint{};
  out.observations = sim.run_servers_to_end();
  if (sim.connection_count() > 0) out.calls = sim.client_calls(1);
  out.chunks = counter.chunks;
  out.trace = sim.trace();
  return out;
}

std::string describe(const SimRun& r) {
  std::string s = "outcome " + std::string(to_string(r.result.outcome)) +
                  " (" + std::string(to_string(r.result.failed_operation)) +
                  " " + error_name(r.result.error) + "), response \"" +
                  r.result.response.substr(0, 80) + "\"\ntrace:\n" +
                  r.trace.substr(0, 4000);
  for (const auto& o : r.observations) {
    s += "server #" + std::to_string(o.connection) + ": " +
         (o.failure.empty() ? "completed" : o.failure) + "\n";
  }
  return s;
}

// ------------------------------------------------------- one row per fault

struct FaultCase {
  const char* name;
  Scenario scenario;
  Outcome outcome;
  std::optional<std::string> response;  // exact bytes, where defined
};

std::vector<FaultCase> fault_cases() {
  std::vector<FaultCase> cases;
  cases.push_back({"OrderlyReply",
                   scenario_with({read_until_fin(), write(kReply)}),
                   Outcome::closed, kReply});
  cases.push_back({"OneByteChunks",
                   scenario_with({read_until_fin(), write(kReply, 1)}),
                   Outcome::closed, kReply});
  cases.push_back({"OneByteChunksWithGaps",
                   scenario_with({read_until_fin(1, 1ms), write(kReply, 1, 100ms)}),
                   Outcome::closed, kReply});
  cases.push_back({"ResetMidResponse",
                   scenario_with({read_until_fin(), write("HTTP/1.0 200"),
                                  step(Step::Kind::reset)}),
                   Outcome::reset, "HTTP/1.0 200"});
  {
    Scenario sc = scenario_with(
        {read_until_fin(), write("HTTP/1.0 200"), step(Step::Kind::reset)});
    sc.reset_mode = ResetMode::windows_like;
    cases.push_back({"ResetMidResponseWindows", sc, Outcome::reset, ""});
  }
  cases.push_back({"ResetBeforeAnyReply",
                   scenario_with({read_until_fin(), step(Step::Kind::reset)}),
                   Outcome::reset, ""});
  cases.push_back({"DelayedFinBeyondTheTimeout",
                   scenario_with({read_until_fin(), write(kReply), sleep_for(10min),
                                  step(Step::Kind::close)}),
                   Outcome::timed_out, kReply});
  cases.push_back({"DelayedFinWithinTheTimeout",
                   scenario_with({read_until_fin(), write(kReply), sleep_for(3s),
                                  step(Step::Kind::close)}),
                   Outcome::closed, kReply});
  cases.push_back({"Hang",
                   scenario_with({read_until_fin(), write(kReply),
                                  step(Step::Kind::hang)}),
                   Outcome::timed_out, kReply});
  cases.push_back({"HangWithoutReading",
                   scenario_with({step(Step::Kind::hang)}), Outcome::timed_out, ""});
  cases.push_back({"Refused", scenario_with({step(Step::Kind::refuse)}),
                   Outcome::refused, ""});
  cases.push_back({"AcceptAfterADelay",
                   scenario_with({accept_after(2s), read_until_fin(), write(kReply)}),
                   Outcome::closed, kReply});
  cases.push_back({"AcceptAfterTheTimeout",
                   scenario_with({accept_after(1min), read_until_fin(), write(kReply)}),
                   Outcome::timed_out, ""});
  // The client's request and FIN are in the server's buffer before the
  // server runs (the client runs ahead at one instant), so the server's close
  // finds them unread and resets. Over loopback the same race usually ends
  // this way too; a server that closes before the request arrives gives
  // `closed` instead (see the loopback tests).
  cases.push_back({"EarlyCloseWithoutReading",
                   scenario_with({step(Step::Kind::close)}), Outcome::reset, ""});
  cases.push_back({"AnswerThenCloseWithoutReading",
                   scenario_with({write(kReply), step(Step::Kind::close)}),
                   Outcome::reset, kReply});
  cases.push_back({"HalfCloseThenRead",
                   scenario_with({write(kReply), step(Step::Kind::half_close),
                                  read_until_fin()}),
                   Outcome::closed, kReply});
  cases.push_back({"SlowReaderWithASmallWindow",
                   scenario_with({recv_buffer(4), read_until_fin(2, 10ms),
                                  write(kReply)}),
                   Outcome::closed, kReply});
  {
    Scenario sc = scenario_with({read_until_fin(), write(kReply, 3, 1ms)});
    sc.injections = {inject(Injection::Call::recv, std::errc::interrupted, 2),
                     inject(Injection::Call::send, std::errc::interrupted, 2),
                     inject(Injection::Call::shutdown, std::errc::interrupted, 2),
                     inject(Injection::Call::wait, std::errc::interrupted, 2)};
    cases.push_back({"EintrEverywhere", sc, Outcome::closed, kReply});
  }
  {
    Scenario sc = scenario_with({read_until_fin(), write(kReply, 3, 1ms)});
    sc.injections = {
        inject(Injection::Call::recv, std::errc::resource_unavailable_try_again, 2),
        inject(Injection::Call::send, std::errc::resource_unavailable_try_again, 1)};
    cases.push_back({"EagainOnSendAndRecv", sc, Outcome::closed, kReply});
  }
  {
    Scenario sc = scenario_with({read_until_fin(), write(kReply)});
    sc.injections = {inject(Injection::Call::recv, std::errc::interrupted, 1)};
    cases.push_back({"EintrOnEveryRecv", sc, Outcome::closed, kReply});
  }
  return cases;
}

class SimClientFault : public ::testing::TestWithParam<FaultCase> {};

TEST_P(SimClientFault, ReportsTheOutcomeItMust) {
  const FaultCase& c = GetParam();
  const SimRun r = run(c.scenario);
  EXPECT_EQ(r.result.outcome, c.outcome) << describe(r);
  if (c.response) {
    EXPECT_EQ(r.result.response, *c.response) << describe(r);
  }
  // closes-once and no use after close, on every path.
  const bool connected = c.outcome != Outcome::refused;
  EXPECT_EQ(r.calls.closes, connected ? 1u : 0u);
  EXPECT_EQ(r.calls.calls_after_close, 0u);
  EXPECT_EQ(r.calls.sends_after_shutdown, 0u);
  EXPECT_FALSE(r.calls.destroyed_without_close);
  // bounded, on the virtual clock.
  EXPECT_LE(r.virtual_elapsed, c.scenario.client_timeout) << describe(r);
  // A server script always ends: the simulation cannot hang either.
  for (const auto& o : r.observations) {
    EXPECT_LE(o.duration, c.scenario.deadline());
  }
}

INSTANTIATE_TEST_SUITE_P(EveryFault, SimClientFault,
                         ::testing::ValuesIn(fault_cases()),
                         [](const ::testing::TestParamInfo<FaultCase>& row) {
                           return std::string(row.param.name);
                         });

// ------------------------------------------------- what each fault implies

TEST(SimClient, OrderlyReplyDeliversTheRequestAndFinToTheServer) {
  const SimRun r = run(scenario_with({read_until_fin(), write(kReply)}));
  ASSERT_EQ(r.result.outcome, Outcome::closed) << describe(r);
  EXPECT_EQ(r.result.bytes_sent, kRequest.size());
  EXPECT_TRUE(r.result.half_closed);
  EXPECT_TRUE(r.result.saw_end_of_stream);
  EXPECT_EQ(r.virtual_elapsed, 0s);
  ASSERT_EQ(r.observations.size(), 1u);
  const ServerObservation& o = r.observations[0];
  EXPECT_EQ(o.received, kRequest);
  EXPECT_TRUE(o.saw_client_fin);
  EXPECT_EQ(o.bytes_sent, kReply.size());
  EXPECT_FALSE(o.client_reset);
  EXPECT_FALSE(o.closed_with_unread);
  EXPECT_TRUE(o.script_completed) << o.failure;
}

TEST(SimClient, OneByteChunksAreOneRecvEach) {
  const SimRun r = run(scenario_with({read_until_fin(), write(kReply, 1)}));
  ASSERT_EQ(r.result.outcome, Outcome::closed) << describe(r);
  EXPECT_EQ(r.chunks, static_cast<int>(kReply.size()));
  EXPECT_EQ(r.result.response, kReply);
}

TEST(SimClient, OneByteChunksWithGapsTakeTheirVirtualTime) {
  const SimRun r = run(scenario_with({read_until_fin(), write(kReply, 1, 100ms)}));
  ASSERT_EQ(r.result.outcome, Outcome::closed) << describe(r);
  EXPECT_EQ(r.chunks, static_cast<int>(kReply.size()));
  EXPECT_EQ(r.virtual_elapsed, 1600ms);  // 16 gaps between 17 pieces
}

TEST(SimClient, ResetMidResponseIsAResetOnRecv) {
  const SimRun r = run(scenario_with(
      {read_until_fin(), write("HTTP/1.0 200"), sleep_for(50ms), step(Step::Kind::reset)}));
  EXPECT_EQ(r.result.outcome, Outcome::reset) << describe(r);
  EXPECT_EQ(r.result.failed_operation, Operation::recv);
  EXPECT_EQ(r.result.error, std::errc::connection_reset);
  EXPECT_EQ(r.result.response, "HTTP/1.0 200");
  EXPECT_EQ(r.virtual_elapsed, 50ms);
  EXPECT_FALSE(r.result.saw_end_of_stream);
}

TEST(SimClient, DelayedFinOfTenMinutesTimesOutInFiveVirtualSeconds) {
  const Scenario sc = scenario_with({read_until_fin(), write(kReply),
                                     sleep_for(10min), step(Step::Kind::close)});
  const SimRun r = run(sc);
  EXPECT_EQ(r.result.outcome, Outcome::timed_out) << describe(r);
  EXPECT_EQ(r.virtual_elapsed, 5s) << "exactly the client's timeout";
  EXPECT_EQ(r.result.response, kReply);
  // Nothing sleeps for real: generous, but far below the 5 virtual seconds.
  EXPECT_LT(r.real_elapsed, 1s);
  // The server's sleep was cut at the scenario deadline.
  const ServerObservation& o = r.observations.at(0);
  EXPECT_FALSE(o.script_completed);
  EXPECT_NE(o.failure.find("scenario deadline"), std::string::npos) << o.failure;
  EXPECT_EQ(o.duration, sc.deadline());
}

TEST(SimClient, DelayedFinWithinTheTimeoutIsClosedWhenTheFinComes) {
  const SimRun r = run(scenario_with({read_until_fin(), write(kReply),
                                      sleep_for(3s), step(Step::Kind::close)}));
  EXPECT_EQ(r.result.outcome, Outcome::closed) << describe(r);
  EXPECT_EQ(r.virtual_elapsed, 3s);
  EXPECT_LT(r.real_elapsed, 1s);
}

// The client's close after its FIN, with the reply read, sends nothing a
// server could see, so the hang holds until the scenario's deadline (as
// over loopback) and the server sees no reset.
TEST(SimClient, HangTimesOutAndTheServerHoldsOnToTheDeadline) {
  const Scenario sc =
      scenario_with({read_until_fin(), write(kReply), step(Step::Kind::hang)});
  const SimRun r = run(sc);
  EXPECT_EQ(r.result.outcome, Outcome::timed_out) << describe(r);
  EXPECT_EQ(r.virtual_elapsed, 5s);
  const ServerObservation& o = r.observations.at(0);
  EXPECT_TRUE(o.script_completed) << o.failure;
  EXPECT_EQ(o.duration, sc.deadline());
  EXPECT_FALSE(o.client_reset) << "the client had read everything: FIN, not RST";
}

// A client that waits longer than the scenario deadline (as an external
// program with its own timeout may) sees the hang end, and it ends in RST:
// a hanging server never sends FIN, so success would be a lie.
TEST(SimClient, AClientThatOutwaitsAHangSeesAReset) {
  const Scenario sc =
      scenario_with({read_until_fin(), write(kReply), step(Step::Kind::hang)});
  SimTransport sim(sc);
  ClientOptions options;
  options.timeout = 1min;
  const ClientResult r =
      run_client(sim, {"sim", 7}, as_bytes(sc.request_bytes()), options);
  EXPECT_EQ(r.outcome, Outcome::reset) << sim.trace();
  EXPECT_EQ(r.response, kReply);
  EXPECT_EQ(sim.now() - TimePoint{}, sc.deadline());
}

TEST(SimClient, RefusedIsReportedAsRefusedOnConnect) {
  const SimRun r = run(scenario_with({step(Step::Kind::refuse)}));
  EXPECT_EQ(r.result.outcome, Outcome::refused);
  EXPECT_EQ(r.result.failed_operation, Operation::connect);
  ASSERT_EQ(r.observations.size(), 1u);
  EXPECT_TRUE(r.observations[0].refused);
}

TEST(SimClient, EarlyCloseBeforeReadingTheRequestResets) {
  const SimRun r = run(scenario_with({step(Step::Kind::close)}));
  EXPECT_EQ(r.result.outcome, Outcome::reset) << describe(r);
  EXPECT_EQ(r.result.failed_operation, Operation::recv);
  EXPECT_TRUE(r.result.half_closed) << "the FIN went out before the RST came";
  const ServerObservation& o = r.observations.at(0);
  EXPECT_TRUE(o.closed_with_unread);
  EXPECT_EQ(o.received, "");
}

// A server that answers (and stalls on its own write) before it reads a
// large request: a client that only reads after sending everything would
// deadlock; the reference client keeps reading while it sends.
Scenario answer_first_scenario() {
  Scenario sc = scenario_with(
      {recv_buffer(64 * 1024),
       write_data({DataSpec::Kind::repeat, "early answer ", 1024 * 1024, 0}),
       read_until_fin(), write("done")});
  sc.request = {DataSpec::Kind::repeat, "request ", 4 * 1024 * 1024, 0};
  return sc;
}

SimOptions small_client_window() {
  SimOptions o;
  o.trace = false;
  o.client_receive_window = 64 * 1024;
  return o;
}

TEST(SimClient, AServerThatAnswersBeforeReadingDoesNotDeadlockTheClient) {
  const Scenario sc = answer_first_scenario();
  const SimRun r = run(sc, small_client_window());
  ASSERT_EQ(r.result.outcome, Outcome::closed) << describe(r);
  const std::string answer =
      materialize({DataSpec::Kind::repeat, "early answer ", 1024 * 1024, 0}, {});
  EXPECT_TRUE(r.result.response == answer + "done") << "response differs";
  EXPECT_EQ(r.result.bytes_sent, 4u * 1024 * 1024);
  EXPECT_TRUE(r.observations.at(0).received == sc.request_bytes());
  EXPECT_EQ(r.virtual_elapsed, 0s) << "no wait needed a timer";
}

// The same scenario against a half-duplex client (the Winsock sample's loop,
// made non-blocking): it sends everything before reading anything, so both
// sides stall on full windows. This checks that the simulator models the
// deadlock at all; otherwise the test above would prove nothing.
TEST(SimClient, AHalfDuplexClientDeadlocksOnTheSameScenario) {
  const Scenario sc = answer_first_scenario();
  SimTransport sim(sc, small_client_window());
  ConnectResult c = sim.connect({"sim", 7}, sim.now() + 5s);
  ASSERT_TRUE(c.connection);
  const std::string request = sc.request_bytes();
  const TimePoint deadline = sim.now() + 5s;
  std::size_t sent = 0;
  while (sent < request.size() && sim.now() < deadline) {
    const IoResult r = c.connection->send(as_bytes(request).subspan(sent));
    if (r.ok()) {
      sent += r.bytes;
    } else {
      ASSERT_TRUE(is_would_block(r.error)) << r.error.message();
      (void)c.connection->wait(false, true, deadline);
    }
  }
  EXPECT_LT(sent, request.size()) << "the sends should have stalled";
  EXPECT_EQ(sim.now() - TimePoint{}, 5s);
  c.connection->close();
}

TEST(SimClient, InjectedFaultsStillGiveTheExactBytes) {
  // 100 reads of 1KiB, 1ms apart, through a 4KiB window: many short sends.
  Scenario sc = scenario_with({read_until_fin(1024, 1ms), write(kReply, 2, 1ms)});
  sc.request = {DataSpec::Kind::random, "", 100 * 1024, 7};
  sc.injections = {inject(Injection::Call::recv, std::errc::interrupted, 3),
                   inject(Injection::Call::send, std::errc::resource_unavailable_try_again, 2),
                   inject(Injection::Call::wait, std::errc::interrupted, 2),
                   inject(Injection::Call::shutdown, std::errc::interrupted, 1)};
  SimOptions options;
  options.server_receive_window = 4096;
  const SimRun r = run(sc, options);
  ASSERT_EQ(r.result.outcome, Outcome::closed) << describe(r);
  EXPECT_EQ(r.result.response, kReply);
  EXPECT_TRUE(r.observations.at(0).received == sc.request_bytes());
  EXPECT_GT(r.calls.injected, 10u) << "the injections must actually have fired";
}

TEST(SimClient, TheSameScenarioGivesTheSameTraceTwice) {
  Scenario sc = scenario_with({read_until_fin(3, 1ms), write(kReply, 4, 7ms),
                               sleep_for(1s), step(Step::Kind::close)});
  sc.injections = {inject(Injection::Call::recv, std::errc::interrupted, 3)};
  const SimRun a = run(sc);
  const SimRun b = run(sc);
  EXPECT_EQ(a.trace, b.trace);
  EXPECT_FALSE(a.trace.empty());
  ASSERT_EQ(a.observations.size(), b.observations.size());
  EXPECT_EQ(a.observations[0].events.size(), b.observations[0].events.size());
}

// ------------------------------------------------- the built-in scenarios

// Checks the `expect` lines a scenario states itself (the oracle, which also
// derives expectations from the script, is tested elsewhere).
void check_expectations(const Scenario& sc, const SimRun& r) {
  const Expectations& e = sc.expect;
  if (!e.outcomes.empty()) {
    EXPECT_NE(std::find(e.outcomes.begin(), e.outcomes.end(), r.result.outcome),
              e.outcomes.end())
        << describe(r);
  }
  const std::string request = sc.request_bytes();
  if (e.response) {
    EXPECT_TRUE(r.result.response == materialize(*e.response, request))
        << describe(r);
  }
  if (e.server_received) {
    ASSERT_FALSE(r.observations.empty());
    EXPECT_TRUE(r.observations[0].received == materialize(*e.server_received, request))
        << describe(r);
  }
  if (e.client_fin) {
    ASSERT_FALSE(r.observations.empty());
    EXPECT_EQ(r.observations[0].saw_client_fin, *e.client_fin) << describe(r);
  }
  if (e.max_duration) {
    EXPECT_LE(r.virtual_elapsed, *e.max_duration);
  }
}

TEST(SimClient, EveryBuiltInScenarioMeetsItsOwnExpectations) {
  const std::filesystem::path dir =
      std::filesystem::path(SOCKCHECK_SOURCE_DIR) / "corpora" / "scenarios";
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".scn") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty()) << "no scenarios in " << dir;
  for (const auto& file : files) {
    SCOPED_TRACE(file.filename().string());
    const ParseResult parsed = load_scenario_file(file);
    ASSERT_TRUE(parsed.ok()) << parsed.error->to_string();
    const SimRun r = run(*parsed.scenario);
    check_expectations(*parsed.scenario, r);
    EXPECT_EQ(r.calls.calls_after_close, 0u);
    EXPECT_LE(r.calls.closes, 1u);
  }
}

}  // namespace
}  // namespace sockcheck
