// The scenario parser's fuzz invariants (check_scenario_parser) on the
// seeds, their prefixes and seeded byte mutations: what the fuzz target
// checks, run in every build. The check aborts on a violation, so reaching
// the end is the assertion; the death test shows the check is not vacuous.
#include "sockcheck/scenario_parser_check.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

namespace sockcheck {
namespace {

namespace fs = std::filesystem;

int check(const std::string& s) {
  return check_scenario_parser(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

TEST(FuzzScenarioParserTest, SeedsPrefixesAndMutationsHoldTheInvariants) {
  std::mt19937 rng(5);
  int files = 0;
  for (const auto& e : fs::directory_iterator(fs::path(SOCKCHECK_SOURCE_DIR) / "corpora/scenario_parser")) {
    if (e.path().extension() != ".scn") continue;
    ++files;
    std::ifstream in(e.path(), std::ios::binary);
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    for (std::size_t n = 0; n <= text.size(); n += 7) EXPECT_EQ(check(text.substr(0, n)), 0);
    for (int i = 0; i < 200; ++i) {
      std::string m = text;
      for (int k = 0; k < 3; ++k) {
        m[rng() % m.size()] = static_cast<char>(rng());
      }
      EXPECT_EQ(check(m), 0);
    }
  }
  EXPECT_GE(files, 40);
  EXPECT_EQ(check(""), 0);
  EXPECT_EQ(check("\n\n\n"), 0);
  EXPECT_EQ(check("scenario x\nwrite \"abc"), 0);
}

}  // namespace
}  // namespace sockcheck
