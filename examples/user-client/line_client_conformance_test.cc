// The whole built-in conformance suite against the example's client, on the
// simulated transport and over loopback: one test per scenario and transport.
#include "line_client.h"
#include "sockcheck/gtest.h"

namespace {

std::unique_ptr<sockcheck::ClientUnderTest> make_client() {
  return sockcheck::function_client(
      "line_client",
      [](sockcheck::Transport& net, const sockcheck::Endpoint& server,
         std::string_view request, sockcheck::Duration timeout) {
        const example::Reply r = example::fetch(net, server, request, timeout);
        return sockcheck::UserClientResult{r.ok, r.body, std::nullopt};
      });
}

}  // namespace

SOCKCHECK_CONFORMANCE_SUITE(LineClient, SOCKCHECK_SCENARIOS_DIR, make_client);
