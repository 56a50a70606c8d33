// GoogleTest helpers for downstream users. See sockcheck/gtest.h.
#include "sockcheck/gtest.h"

#include <algorithm>
#include <system_error>

#include "sockcheck/scenario_parser.h"
#include "sockcheck/units.h"

namespace sockcheck::testing {

std::vector<ScenarioCase> scenario_cases(const std::filesystem::path& path,
                                         std::vector<TransportKind> transports) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (auto it = fs::recursive_directory_iterator(path, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file(ec) && it->path().extension() == ".scn") {
        files.push_back(it->path());
      }
    }
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(path);  // a missing file fails below with its name
  }
  std::vector<ScenarioCase> cases;
  for (const fs::path& file : files) {
    ParseResult parsed = load_scenario_file(file);
    std::shared_ptr<const Scenario> scenario;
    std::string error;
    std::string name = file.stem().string();
    if (parsed.ok()) {
      scenario = std::make_shared<const Scenario>(std::move(*parsed.scenario));
      name = scenario->name;
    } else {
      error = parsed.error->to_string();
    }
    for (TransportKind t : transports) {
      cases.push_back({name, file, scenario, error, t});
    }
  }
  if (cases.empty()) {
    cases.push_back({"no_scenarios", path, nullptr,
                     "no *.scn files under '" + path.string() + "'",
                     TransportKind::sim});
  }
  return cases;
}

std::string case_name(const ::testing::TestParamInfo<ScenarioCase>& info) {
  std::string name = info.param.name + "_" + std::string(to_string(info.param.transport));
  for (char& c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9');
    if (!ok) c = '_';
  }
  return name + "_" + std::to_string(info.index);
}

::testing::AssertionResult Conforms(const ScenarioRun& run) {
  if (!run.error.empty()) {
    return ::testing::AssertionFailure()
           << run.scenario.name << " (" << to_string(run.transport)
           << "): the harness could not run it: " << run.error;
  }
  const auto violated = run.violations();
  if (violated.empty()) return ::testing::AssertionSuccess();
  auto failure = ::testing::AssertionFailure();
  failure << run.scenario.name << " (" << to_string(run.transport) << ", "
          << run.scenario.file << ") violates " << violated.size()
          << " rule(s):\n";
  for (const RuleResult* r : violated) {
    failure << "  " << to_string(r->rule) << ": " << r->evidence << "\n";
  }
  failure << "  client: "
          << (run.client.outcome ? std::string(to_string(*run.client.outcome))
                                 : (run.client.reported_success ? "success" : "failure"))
          << ", " << run.client.response.size() << " bytes delivered, in "
          << format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(run.client.elapsed));
  if (!run.client.diagnostics.empty()) failure << " (" << run.client.diagnostics << ")";
  failure << "\n  model:";
  for (const std::string& line : run.model.reasoning) failure << "\n    " << line;
  return failure;
}

::testing::AssertionResult RunConforms(const ScenarioCase& c,
                                       ClientUnderTest& client,
                                       const RunOptions& base) {
  if (!c.scenario) return ::testing::AssertionFailure() << c.error;
  if (c.transport == TransportKind::sim && !client.in_process()) {
    return ::testing::AssertionSuccess() << "program clients run over tcp only";
  }
  RunOptions options = base;
  options.transport = c.transport;
  return Conforms(run_scenario(*c.scenario, client, options));
}

}  // namespace sockcheck::testing
