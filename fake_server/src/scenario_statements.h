// The statements of the scenario language: the parser that turns each line
// into part of a Scenario, on top of the lexer and the value readers
// (scenario_values.h). Private to the fake server's scenario parser; the
// public entry points are in scenario_parser.h.
//
// The scenario-wide lines, connection headers and expectations are parsed
// in scenario_statements.cc, the steps of a script in scenario_steps.cc.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string_view>

#include "scenario_lexer.h"
#include "scenario_values.h"
#include "sockcheck/scenario.h"
#include "sockcheck/scenario_parser.h"
#include "sockcheck/script_plan.h"

namespace sockcheck::scenario_parsing {

// Parses one text once: construct, then run(). The text must outlive it.
class Parser : ValueParser {
 public:
  Parser(std::string_view text, std::string_view file)
      : ValueParser(text, file) {}

  // The scenario, or the first error in reading order.
  ParseResult run();

 private:
  // --- lines (scenario_statements.cc) --------------------------------------

  bool parse_all();
  bool finish();
  bool parse_line();
  // Lines that may appear once: remembers where, or reports the duplicate.
  bool once(int& first_line, const Token& keyword, std::string_view name);
  bool parse_scenario_line(const Token& k);
  bool parse_description(const Token& k);
  bool parse_request(const Token& k);
  bool parse_timeout(const Token& k);
  bool parse_seed(const Token& k);
  bool parse_reset_mode(const Token& k);
  bool parse_level(const Token& k);
  bool parse_inject(const Token& k);
  bool parse_connection(const Token& k);
  bool parse_expect(const Token& k);
  bool parse_outcomes();
  bool parse_connection_count();

  // --- steps (scenario_steps.cc) -------------------------------------------

  // Where a step may stand in its script; checked at the keyword, before
  // its arguments, so the message points at the step that is out of place.
  bool check_placement(const Token& k, Step::Kind kind);
  bool parse_step(const Token& k, Step::Kind kind);
  // The options after a step: `chunk SIZE` and `gap DURATION` (read, write)
  // or `after DURATION` (accept), in any order, each at most once.
  bool step_options(const Token& k, Step& step, bool pieces, bool after);

  // --- state ---------------------------------------------------------------

  enum class Mode { none, headerless, headers };
  struct Range {
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    int line = 0;
  };

  Scenario s_;
  Mode mode_ = Mode::none;
  Placement script_;  // where the current script is, for placement
  std::map<std::uint64_t, Range> ranges_;
  int scenario_line_ = 0;
  int description_line_ = 0;
  int request_line_ = 0;
  int timeout_line_ = 0;
  int seed_line_ = 0;
  int reset_mode_line_ = 0;
  int level_line_ = 0;
  int expect_outcome_line_ = 0;
  int expect_response_line_ = 0;
  int expect_received_line_ = 0;
  int expect_fin_line_ = 0;
  int expect_within_line_ = 0;
  int expect_connections_line_ = 0;
};

}  // namespace sockcheck::scenario_parsing
