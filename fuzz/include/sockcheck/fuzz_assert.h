// The always-on assert of the fuzz targets.
//
// Fuzzers judge the code under test with invariants, and an invariant that
// is compiled out in release builds (assert()) or that merely records a
// failure (EXPECT_*) is no check at all under libFuzzer, which only notices
// crashes. SOCKCHECK_FUZZ_ASSERT is active in every build type: on violation
// it prints the invariant's name, the failed condition, where it was checked
// and the evidence, then calls std::abort(), which libFuzzer, the replay
// driver, ctest and GoogleTest's EXPECT_DEATH all see as a crash.
//
// The evidence expression is evaluated only when the condition fails, so it
// may be expensive (a transcript of the run).
#pragma once

#include <string>
#include <string_view>

namespace sockcheck {

// Prints "sockcheck: fuzz invariant violated: <invariant>" and the rest to
// stderr, then aborts. Never returns.
[[noreturn]] void fuzz_invariant_failed(std::string_view invariant,
                                        std::string_view condition,
                                        std::string_view file, int line,
                                        const std::string& evidence);

}  // namespace sockcheck

// `invariant` names the rule (e.g. "closes-once"); `evidence` is any
// expression convertible to std::string.
#define SOCKCHECK_FUZZ_ASSERT(condition, invariant, evidence)               \
  do {                                                                      \
    if (!(condition)) [[unlikely]] {                                        \
      ::sockcheck::fuzz_invariant_failed((invariant), #condition, __FILE__, \
                                         __LINE__, (evidence));             \
    }                                                                       \
  } while (false)
