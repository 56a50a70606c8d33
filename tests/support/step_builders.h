// Builders for scenario steps in code, for tests that drive the simulated
// transport or the loopback server without going through the parser.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "sockcheck/scenario.h"

namespace sockcheck::testing {

inline Step step(Step::Kind kind) {
  Step s;
  s.kind = kind;
  return s;
}
inline Step accept_after(Duration d) {
  Step s = step(Step::Kind::accept);
  s.delay = d;
  return s;
}
inline Step read_until_fin(std::uint64_t chunk = 0, Duration gap = {}) {
  Step s = step(Step::Kind::read_until_fin);
  s.chunk = chunk;
  s.gap = gap;
  return s;
}
inline Step recv_buffer(std::uint64_t n) {
  Step s = step(Step::Kind::recv_buffer);
  s.count = n;
  return s;
}
inline Step write_data(DataSpec data, std::uint64_t chunk = 0, Duration gap = {}) {
  Step s = step(Step::Kind::write);
  s.data = std::move(data);
  s.chunk = chunk;
  s.gap = gap;
  return s;
}
inline Step write(std::string text, std::uint64_t chunk = 0, Duration gap = {}) {
  return write_data({DataSpec::Kind::literal, std::move(text), 0, 0}, chunk, gap);
}
inline Step sleep_for(Duration d) {
  Step s = step(Step::Kind::sleep);
  s.delay = d;
  return s;
}

}  // namespace sockcheck::testing
