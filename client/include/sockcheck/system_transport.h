// The platform's production backend of the I/O seam, by one name:
// SystemTransport is PosixTransport on POSIX systems and WinsockTransport on
// Windows. Code that runs the client over the real network (the command
// line, the loopback tests) names this one and builds on both.
#pragma once

#if defined(_WIN32)
#include "sockcheck/winsock_transport.h"
namespace sockcheck {
using SystemTransport = WinsockTransport;
}  // namespace sockcheck
#else
#include "sockcheck/posix_transport.h"
namespace sockcheck {
using SystemTransport = PosixTransport;
}  // namespace sockcheck
#endif
