// Scenarios written inline in tests, and picking one rule's verdict out of
// a judged run.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sockcheck/oracle.h"
#include "sockcheck/scenario_parser.h"

namespace sockcheck::testing {

// Parses `text`; a parse error fails the calling test (an empty Scenario
// is returned so that it can go on).
inline Scenario parse(const std::string& text) {
  ParseResult r = parse_scenario(text, "<test>");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error->to_string());
  return r.ok() ? *r.scenario : Scenario{};
}

// The verdict of `r` among `rules`; a missing one fails the calling test.
inline const RuleResult& rule(const std::vector<RuleResult>& rules, Rule r) {
  for (const RuleResult& x : rules) {
    if (x.rule == r) return x;
  }
  static const RuleResult none{};
  ADD_FAILURE() << "no verdict for " << to_string(r);
  return none;
}

}  // namespace sockcheck::testing
