// See fuzz_assert.h. Written with stdio, not iostreams, so that the message
// is out before abort() even if the heap or the streams are in a bad state.
#include "sockcheck/fuzz_assert.h"

#include <cstdio>
#include <cstdlib>

namespace sockcheck {

void fuzz_invariant_failed(std::string_view invariant,
                           std::string_view condition, std::string_view file,
                           int line, const std::string& evidence) {
  std::fprintf(stderr,
               "sockcheck: fuzz invariant violated: %.*s\n"
               "  condition: %.*s\n"
               "  checked at: %.*s:%d\n"
               "%s\n",
               static_cast<int>(invariant.size()), invariant.data(),
               static_cast<int>(condition.size()), condition.data(),
               static_cast<int>(file.size()), file.data(), line,
               evidence.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace sockcheck
