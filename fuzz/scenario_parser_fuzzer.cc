// libFuzzer target: the scenario parser on any bytes. No crash; an error
// points inside the input; a parsed scenario survives print -> parse ->
// print unchanged (sockcheck/scenario_parser_check.h). Seeds are the
// built-in scenarios (corpora/scenario_parser/, kept in sync by
// fuzz/tools/sync_parser_seeds.sh).
#include <cstddef>
#include <cstdint>

#include "sockcheck/scenario_parser_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  return sockcheck::check_scenario_parser(data, size);
}
