// The seed inputs of the receive-path target, written with FuzzScript in the
// call order of the reference client (client.cc).
//
// They are the committed files corpora/receive_path/seed-<name>: the tool
// receive_path_seeds writes them, and a ctest regenerates and compares them
// so the files cannot drift from the encoding. A test also runs each one on
// the reference client and checks it ends as `expected`, so a seed that no
// longer reaches the path it was written for (because the client's call
// order changed) is noticed instead of silently fuzzing something else.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sockcheck/client.h"

namespace sockcheck {

struct ReceivePathSeed {
  std::string name;         // file name without the "seed-" prefix
  std::string description;  // one line
  std::vector<std::uint8_t> bytes;
  Outcome expected = Outcome::closed;  // with the reference client
};

[[nodiscard]] std::vector<ReceivePathSeed> receive_path_seeds();

}  // namespace sockcheck
