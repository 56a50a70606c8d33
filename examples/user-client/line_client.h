// A small client of this example's own: sends a request, half-closes, and
// collects the reply until the server closes. Written against sockcheck's
// seam (Transport/Connection) instead of raw sockets, so the same code runs
// in production (sockcheck::PosixTransport) and under test (the simulator).
#pragma once

#include <string>
#include <string_view>

#include "sockcheck/io.h"

namespace example {

struct Reply {
  bool ok = false;      // the server closed in order
  std::string body;     // what it sent
  std::string problem;  // why not, if !ok
};

Reply fetch(sockcheck::Transport& net, const sockcheck::Endpoint& server,
            std::string_view request, sockcheck::Duration timeout);

}  // namespace example
