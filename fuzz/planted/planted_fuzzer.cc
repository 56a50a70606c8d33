// libFuzzer target over a planted faulty client: built once per defect with
// SOCKCHECK_PLANTED_DEFECT set to its enumerator (see fuzz/CMakeLists.txt),
// for fuzz/prove_planted.sh, which measures how many executions libFuzzer
// needs from the committed seeds to make check_receive_path abort.
#include <cstddef>
#include <cstdint>

#include "planted/planted_clients.h"
#include "sockcheck/receive_path.h"

#ifndef SOCKCHECK_PLANTED_DEFECT
#error "define SOCKCHECK_PLANTED_DEFECT to a sockcheck::planted::Defect enumerator"
#endif

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  static const sockcheck::ExchangeClient client =
      sockcheck::planted::planted_client(
          sockcheck::planted::Defect::SOCKCHECK_PLANTED_DEFECT);
  return sockcheck::check_receive_path(data, size, client);
}
