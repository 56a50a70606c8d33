// The production backend of the I/O seam: POSIX sockets.
//
// posix_transport.cc is the only file of the client that includes the socket
// headers. Sockets are non-blocking; waits use poll(); sends use
// MSG_NOSIGNAL (SO_NOSIGPIPE where that is the platform's way), so a peer
// that is gone yields EPIPE instead of killing the process. Every error is
// taken from errno immediately after the failing call.
#pragma once

#include <memory>

#include "sockcheck/io.h"

namespace sockcheck {

class PosixTransport final : public Transport {
 public:
  TimePoint now() override;
  // Resolves `to.host` with getaddrinfo (the resolver itself is not bounded
  // by `deadline`; numeric addresses never touch it) and tries each address
  // in turn with a non-blocking connect bounded by `deadline`.
  ConnectResult connect(const Endpoint& to, TimePoint deadline) override;
};

}  // namespace sockcheck
