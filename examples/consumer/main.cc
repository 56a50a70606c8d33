// The smallest use of the installed library: run the reference client
// against a port on 127.0.0.1 where nothing listens, and check that it says
// so honestly (refused), through the public headers only.
#include <iostream>

#include "sockcheck/client.h"
#include "sockcheck/posix_transport.h"

int main(int argc, char** argv) {
  const std::uint16_t port = argc > 1 ? static_cast<std::uint16_t>(std::stoi(argv[1])) : 1;
  sockcheck::PosixTransport transport;
  sockcheck::ClientOptions options;
  options.timeout = std::chrono::seconds(5);
  const sockcheck::ClientResult r = sockcheck::run_client(
      transport, {"127.0.0.1", port}, sockcheck::as_bytes("hello"), options);
  std::cout << "outcome: " << sockcheck::to_string(r.outcome) << " ("
            << sockcheck::error_name(r.error) << ")\n";
  return r.outcome == sockcheck::Outcome::refused ? 0 : 1;
}
