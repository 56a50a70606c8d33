// GoogleTest helpers: run sockcheck's scenarios against your own client
// from your own test suite, in a few lines.
//
//   #include "sockcheck/gtest.h"
//
//   // Your client, written against the seam (sockcheck/io.h), so that it
//   // runs on the simulated transport as well as over loopback.
//   sockcheck::UserClientResult my_client(sockcheck::Transport&, const sockcheck::Endpoint&,
//                                         std::string_view request, sockcheck::Duration timeout);
//
//   SOCKCHECK_CONFORMANCE_SUITE(MyClientConforms, SOCKCHECK_SCENARIOS_DIR,
//                               [] { return sockcheck::function_client("mine", my_client); });
//
// That instantiates one test per scenario file and transport
// (`Scenarios/MyClientConforms.Conforms/reset_mid_response_sim`), each
// failing with the violated rules and their evidence. Conforms() and
// RunConforms() are the AssertionResults underneath, for hand-written tests.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "sockcheck/runner.h"

namespace sockcheck::testing {

// One (scenario file, transport) pair of a parameterized conformance test.
// A file that does not parse becomes a case whose test fails with the
// parser's `file:line:col: message`, so a broken scenario is never skipped.
struct ScenarioCase {
  std::string name;                          // the scenario's name (or file stem)
  std::filesystem::path file;
  std::shared_ptr<const Scenario> scenario;  // null if it did not parse
  std::string error;                         // parse error, if any
  TransportKind transport = TransportKind::sim;
};

// Every *.scn file under `path` (recursively, sorted), or `path` itself if
// it is a file, once per transport. A missing path yields one failing case.
std::vector<ScenarioCase> scenario_cases(
    const std::filesystem::path& path,
    std::vector<TransportKind> transports = {TransportKind::sim,
                                             TransportKind::tcp});

// "reset_mid_response_tcp": a valid GoogleTest name for the case.
std::string case_name(const ::testing::TestParamInfo<ScenarioCase>& info);

// Success when no rule is violated; otherwise a message with every violated
// rule, its evidence, what the client did and the model's reasoning.
::testing::AssertionResult Conforms(const ScenarioRun& run);

// Runs the case against `client` and judges it.
::testing::AssertionResult RunConforms(const ScenarioCase& c,
                                       ClientUnderTest& client,
                                       const RunOptions& base = {});

// The fixture the macro below instantiates.
class ConformanceTest : public ::testing::TestWithParam<ScenarioCase> {};

}  // namespace sockcheck::testing

// Defines SUITE, a parameterized test over every scenario under PATH on both
// transports. CLIENT_FACTORY is a callable returning
// std::unique_ptr<sockcheck::ClientUnderTest> (a fresh client per test).
// Program clients run over tcp only; pass sockcheck::testing::scenario_cases
// yourself to choose transports.
#define SOCKCHECK_CONFORMANCE_SUITE(SUITE, PATH, CLIENT_FACTORY)               \
  class SUITE : public ::sockcheck::testing::ConformanceTest {};               \
  TEST_P(SUITE, Conforms) {                                                    \
    auto sockcheck_client_ = (CLIENT_FACTORY)();                               \
    ASSERT_NE(sockcheck_client_, nullptr);                                     \
    EXPECT_TRUE(::sockcheck::testing::RunConforms(GetParam(), *sockcheck_client_)); \
  }                                                                            \
  INSTANTIATE_TEST_SUITE_P(                                                    \
      Scenarios, SUITE,                                                        \
      ::testing::ValuesIn(::sockcheck::testing::scenario_cases(PATH)),         \
      ::sockcheck::testing::case_name)
