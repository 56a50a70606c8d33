// The built-in conformance suite (corpora/scenarios/) against the reference
// client: every scenario on the simulated transport and over loopback TCP
// must pass every rule, every time.
//
// Theory of operation. The parameterized test runs each scenario file once
// per transport through run_scenario() and the oracle, with the same
// GoogleTest helpers the project ships to its users (sockcheck/gtest.h), so
// a failure prints the violated rules with their evidence and the model's
// reasoning. SuiteShape checks what the issue asks of the suite itself (at
// least 40 scenarios, a one-line description each, every fault at every
// phase, short timeouts). RepeatedOverLoopback runs the whole suite over
// TCP several times, to expose flakiness: timing races that a single run
// hides. It runs a few scenarios at once (most of a tcp run is waiting for
// a timeout or a hang to end), so that repeating stays within ctest's
// limit; SOCKCHECK_SUITE_REPEAT sets the count (3 by default, so CI stays
// fast; `sockcheck run --repeat 50` is the long version).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "sockcheck/gtest.h"
#include "sockcheck/runner.h"
#include "sockcheck/units.h"

namespace sockcheck {
namespace {

using namespace std::chrono_literals;

const std::filesystem::path kSuiteDir =
    std::filesystem::path(SOCKCHECK_SOURCE_DIR) / "corpora" / "scenarios";

// ------------------------------------------------ every scenario, both ways

class ReferenceConforms : public ::testing::TestWithParam<testing::ScenarioCase> {};

TEST_P(ReferenceConforms, NoRuleViolated) {
  auto client = reference_client();
  EXPECT_TRUE(testing::RunConforms(GetParam(), *client));
}

INSTANTIATE_TEST_SUITE_P(BuiltInSuite, ReferenceConforms,
                         ::testing::ValuesIn(testing::scenario_cases(kSuiteDir)),
                         testing::case_name);

// ------------------------------------------------------ the suite's shape

std::vector<Scenario> load_suite() {
  std::vector<Scenario> out;
  for (const testing::ScenarioCase& c :
       testing::scenario_cases(kSuiteDir, {TransportKind::sim})) {
    EXPECT_TRUE(c.scenario != nullptr) << c.error;
    if (c.scenario) out.push_back(*c.scenario);
  }
  return out;
}

bool has_step(const Scenario& s, Step::Kind kind) {
  for (const ConnectionScript& script : s.scripts) {
    for (const Step& step : script.steps) {
      if (step.kind == kind) return true;
    }
  }
  return false;
}

TEST(SuiteShape, AtLeastFortyNamedDescribedScenarios) {
  const std::vector<Scenario> suite = load_suite();
  EXPECT_GE(suite.size(), 40u);
  std::set<std::string> names;
  for (const Scenario& s : suite) {
    SCOPED_TRACE(s.file);
    EXPECT_TRUE(names.insert(s.name).second) << "duplicate name " << s.name;
    EXPECT_EQ(std::filesystem::path(s.file).stem().string(), s.name)
        << "the file is named after its scenario";
    EXPECT_FALSE(s.description.empty()) << "every scenario says what it checks";
    EXPECT_EQ(s.description.find('\n'), std::string::npos);
    // Short timeouts keep a loopback run of the whole suite fast; the
    // longest ones are for the large transfers and the delayed FIN.
    EXPECT_LE(s.client_timeout, 10s);
  }
}

// Every fault at every phase, and the special cases the issue lists: each
// entry names the scenario and the step that makes the fault, so deleting
// or gutting one of them fails here.
TEST(SuiteShape, EveryFaultAtEveryPhase) {
  struct Need {
    const char* name;
    Step::Kind fault;
  };
  using K = Step::Kind;
  const Need needs[] = {
      // before the request is read
      {"reset-before-read", K::reset},
      {"close-before-read", K::close},
      {"hang-before-read", K::hang},
      {"stall-before-read", K::sleep},
      {"half-close-before-read", K::half_close},
      {"accept-after-delay", K::accept},
      {"accept-after-timeout", K::accept},
      {"refused", K::refuse},
      {"answer-before-read", K::write},
      {"answer-before-read-large", K::write},
      // in the middle of reading it
      {"reset-mid-request", K::reset},
      {"reset-while-sending", K::reset},
      {"close-mid-request", K::close},
      {"hang-mid-request", K::hang},
      {"stall-mid-request", K::sleep},
      {"half-close-mid-request", K::half_close},
      {"reset-after-half-close-while-sending", K::reset},
      {"backpressure-large-request", K::recv_buffer},
      {"read-slowly", K::read_until_fin},
      {"one-byte-reads", K::read_until_fin},
      // after the client's FIN
      {"reset-after-fin", K::reset},
      {"close-after-fin-empty-response", K::close},
      {"hang-after-fin", K::hang},
      {"stall-after-fin", K::sleep},
      {"two-writes-after-fin", K::sleep},
      {"empty-request", K::read_until_fin},
      // in the middle of the response
      {"reset-mid-response", K::reset},
      {"reset-mid-response-windows", K::reset},
      {"close-mid-response", K::close},
      {"hang-mid-response", K::hang},
      {"stall-mid-response", K::sleep},
      {"trickle-beyond-timeout", K::write},
      {"chunked-response", K::write},
      {"one-byte-chunks", K::write},
      // after the response
      {"reset-after-response", K::reset},
      {"reset-after-half-close", K::reset},
      {"close-with-unread-request", K::close},
      {"hang-after-response", K::hang},
      {"half-close-then-hang", K::hang},
      {"delayed-fin", K::sleep},
      {"delayed-fin-beyond-timeout", K::sleep},
      // data and the client's own calls
      {"binary-nul", K::write},
      {"large-response", K::write},
      {"response-over-4k", K::write},
  };
  std::map<std::string, Scenario> by_name;
  for (Scenario& s : load_suite()) by_name.emplace(s.name, std::move(s));
  for (const Need& n : needs) {
    SCOPED_TRACE(n.name);
    const auto it = by_name.find(n.name);
    ASSERT_NE(it, by_name.end()) << "missing scenario " << n.name;
    EXPECT_TRUE(has_step(it->second, n.fault)) << "it lost its fault step";
  }
  for (const char* name : {"inject-eintr", "inject-eagain"}) {
    const auto it = by_name.find(name);
    ASSERT_NE(it, by_name.end()) << "missing scenario " << name;
    EXPECT_FALSE(it->second.injections.empty());
  }
  ASSERT_TRUE(by_name.count("reset-mid-response-windows"));
  EXPECT_EQ(by_name.at("reset-mid-response-windows").reset_mode, ResetMode::windows_like);
}

// -------------------------------------------------- repeated over loopback

int repeat_count() {
  if (const char* env = std::getenv("SOCKCHECK_SUITE_REPEAT")) {
    const int n = std::atoi(env);
    if (n > 0) return n;
  }
  return 3;
}

TEST(SuiteRepeat, RepeatedOverLoopback) {
  std::vector<Scenario> suite = load_suite();
  ASSERT_FALSE(suite.empty());
  const int repeat = repeat_count();
  struct Job {
    const Scenario* scenario;
    int round;
  };
  std::vector<Job> jobs;
  for (int round = 1; round <= repeat; ++round) {
    for (const Scenario& s : suite) jobs.push_back({&s, round});
  }
  // Longest first, so the hangs (timeout + 5 s of server slack each) overlap.
  std::stable_sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) {
    return has_step(*a.scenario, Step::Kind::hang) > has_step(*b.scenario, Step::Kind::hang);
  });

  std::mutex mu;
  std::vector<std::string> failures;
  std::map<std::string, std::pair<Duration, Duration>> wall;  // min, max
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < jobs.size(); i = next++) {
      auto client = reference_client();
      RunOptions options;
      options.transport = TransportKind::tcp;
      const ScenarioRun run = run_scenario(*jobs[i].scenario, *client, options);
      const ::testing::AssertionResult ok = testing::Conforms(run);
      std::lock_guard lock(mu);
      auto [it, fresh] = wall.try_emplace(run.scenario.name, run.wall_time, run.wall_time);
      if (!fresh) {
        it->second.first = std::min(it->second.first, run.wall_time);
        it->second.second = std::max(it->second.second, run.wall_time);
      }
      if (!ok) {
        failures.push_back("round " + std::to_string(jobs[i].round) + ": " + ok.message());
      }
    }
  };
  // Four at a time: most of a run is idle waiting, and more would start to
  // compete for the two cores CI machines tend to have.
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(worker);
  for (std::thread& t : threads) t.join();
  const auto total = std::chrono::steady_clock::now() - start;

  std::string slowest;
  Duration slowest_time{};
  for (const auto& [name, mm] : wall) {
    if (mm.second > slowest_time) {
      slowest_time = mm.second;
      slowest = name;
    }
  }
  std::printf("%zu scenarios x %d rounds over loopback: %zu failures, %s in all; "
              "slowest %s (%s)\n",
              suite.size(), repeat, failures.size(),
              format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(total)).c_str(),
              slowest.c_str(),
              format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(slowest_time)).c_str());
  for (const std::string& f : failures) ADD_FAILURE() << f;
}

}  // namespace
}  // namespace sockcheck
