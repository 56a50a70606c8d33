// libFuzzer target: the input chooses a server script
// (decode_fault_schedule, sockcheck/fault_schedule.h), which runs on the
// simulated transport against the reference client; the oracle must find
// no violation and the scenario must print and re-parse to itself. On a
// violation the assert prints the scenario in the scenario language, the
// violated rules with their evidence and the simulation's trace.
// `sockcheck fuzz-scenario INPUT` turns a crashing input into a .scn file.
#include <cstddef>
#include <cstdint>
#include <span>

#include "sockcheck/fault_schedule.h"
#include "sockcheck/fuzz_assert.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  const sockcheck::FaultScheduleCheck c =
      sockcheck::check_fault_schedule(std::span(data, size));
  SOCKCHECK_FUZZ_ASSERT(c.passed(), "oracle", c.report());
  return 0;
}
