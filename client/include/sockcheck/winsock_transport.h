// The Windows backend of the I/O seam: Winsock 2.
//
// winsock_transport.cc is the only file of the client that includes the
// Winsock headers. Sockets are non-blocking (ioctlsocket FIONBIO); waits use
// select(), which also reports a failed non-blocking connect (in the except
// set) on every Windows version, where WSAPoll did not before Windows 10
// 2004. Every error is taken from WSAGetLastError() immediately after the
// failing call and mapped to the portable std::errc condition the client
// compares against (winsock_error below), so client.cc is the same on both
// platforms. Winsock is started once, by the first WinsockTransport, and
// cleaned up at process exit.
#pragma once

#include <system_error>

#include "sockcheck/io.h"

namespace sockcheck {

class WinsockTransport final : public Transport {
 public:
  // Calls WSAStartup once per process (the first construction); a failure
  // there surfaces as the error of every connect().
  WinsockTransport();
  TimePoint now() override;
  // Resolves `to.host` with getaddrinfo and tries each address in turn with
  // a non-blocking connect bounded by `deadline`, as the POSIX backend does.
  ConnectResult connect(const Endpoint& to, TimePoint deadline) override;
};

// A Winsock error code (WSAGetLastError(), SO_ERROR) as the error_code the
// seam reports: a generic-category std::errc for every condition the client
// or the harness names (WSAECONNRESET is std::errc::connection_reset,
// WSAEWOULDBLOCK is std::errc::resource_unavailable_try_again, ...), the
// system category with the raw value otherwise. Pure; declared here so the
// mapping can be tested on its own.
[[nodiscard]] std::error_code winsock_error(int wsa_code) noexcept;

}  // namespace sockcheck
