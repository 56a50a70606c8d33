// libFuzzer target: the reference client's receive path on the fuzzed
// backend, judged by the invariants of sockcheck/receive_path.h. The logic
// lives in the sockcheck::fuzzing library so that tests call it too; with
// SOCKCHECK_FUZZ off, replay_main.cc provides main() and replays the corpus.
#include <cstddef>
#include <cstdint>

#include "sockcheck/receive_path.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  return sockcheck::check_receive_path(data, size);
}
