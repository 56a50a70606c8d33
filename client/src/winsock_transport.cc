// Winsock 2 behind the I/O seam. See winsock_transport.h.
//
// The shape follows posix_transport.cc call for call, so the two backends
// can be read side by side: the differences are the Winsock ones (SOCKET is
// not an int, errors come from WSAGetLastError(), a failed connect shows in
// select()'s except set, there is no SIGPIPE to suppress).
#include "sockcheck/winsock_transport.h"

#include <winsock2.h>
#include <ws2tcpip.h>

#include <algorithm>
#include <array>
#include <climits>
#include <string>
#include <thread>
#include <utility>

namespace sockcheck {
namespace {

// The Winsock errors the client can meet, as the portable conditions that
// the POSIX backend reports for the same events.
constexpr std::array<std::pair<int, std::errc>, 30> kWinsockErrors{{
    {WSAECONNRESET, std::errc::connection_reset},
    {WSAENETRESET, std::errc::connection_reset},
    {WSAECONNABORTED, std::errc::connection_aborted},
    {WSAECONNREFUSED, std::errc::connection_refused},
    {WSAETIMEDOUT, std::errc::timed_out},
    {WSAEINTR, std::errc::interrupted},
    {WSAEWOULDBLOCK, std::errc::resource_unavailable_try_again},
    {WSAEINPROGRESS, std::errc::operation_in_progress},
    {WSAEALREADY, std::errc::connection_already_in_progress},
    // send() after shutdown(SD_SEND): EPIPE is what Linux says.
    {WSAESHUTDOWN, std::errc::broken_pipe},
    {WSAENOTCONN, std::errc::not_connected},
    {WSAEISCONN, std::errc::already_connected},
    {WSAEHOSTUNREACH, std::errc::host_unreachable},
    {WSAEHOSTDOWN, std::errc::host_unreachable},
    {WSAENETUNREACH, std::errc::network_unreachable},
    {WSAENETDOWN, std::errc::network_down},
    {WSAENOBUFS, std::errc::no_buffer_space},
    {WSAEINVAL, std::errc::invalid_argument},
    {WSAEFAULT, std::errc::bad_address},
    {WSAENOTSOCK, std::errc::not_a_socket},
    {WSAEBADF, std::errc::bad_file_descriptor},
    {WSAEACCES, std::errc::permission_denied},
    {WSAEADDRINUSE, std::errc::address_in_use},
    {WSAEADDRNOTAVAIL, std::errc::address_not_available},
    {WSAEAFNOSUPPORT, std::errc::address_family_not_supported},
    {WSAEMFILE, std::errc::too_many_files_open},
    {WSAEMSGSIZE, std::errc::message_size},
    {WSAEOPNOTSUPP, std::errc::operation_not_supported},
    {WSAEPROTONOSUPPORT, std::errc::protocol_not_supported},
    {WSA_NOT_ENOUGH_MEMORY, std::errc::not_enough_memory},
}};

std::error_code last_error() noexcept { return winsock_error(WSAGetLastError()); }

// Started by the first WinsockTransport (a function-local static, so once
// and thread-safely), cleaned up when the process exits.
class WinsockSession {
 public:
  WinsockSession() noexcept {
    WSADATA data{};
    const int rc = WSAStartup(MAKEWORD(2, 2), &data);
    if (rc != 0) error_ = winsock_error(rc);
  }
  ~WinsockSession() {
    if (!error_) WSACleanup();
  }
  WinsockSession(const WinsockSession&) = delete;
  WinsockSession& operator=(const WinsockSession&) = delete;
  [[nodiscard]] const std::error_code& error() const noexcept { return error_; }

  static const WinsockSession& get() {
    static const WinsockSession session;
    return session;
  }

 private:
  std::error_code error_;
};

// Time from now until `deadline`, rounded up to a microsecond, for select().
timeval select_timeout(TimePoint deadline) noexcept {
  const auto left = deadline - std::chrono::steady_clock::now();
  if (left <= Duration::zero()) return timeval{0, 0};
  const auto us = std::min<long long>(
      std::chrono::ceil<std::chrono::microseconds>(left).count(),
      static_cast<long long>(INT_MAX) * 1000000LL);
  return timeval{static_cast<long>(us / 1000000), static_cast<long>(us % 1000000)};
}

// Winsock lengths are int; the client's buffers are far smaller than that,
// and a larger one is simply a short transfer.
int clamp_length(std::size_t n) noexcept {
  return static_cast<int>(std::min<std::size_t>(n, INT_MAX));
}

struct Readiness {
  bool read = false;
  bool write = false;
  bool except = false;
};

// One select() on one socket; `error` set when select itself failed.
Readiness select_one(SOCKET s, bool want_read, bool want_write,
                     bool want_except, TimePoint deadline,
                     std::error_code& error) {
  fd_set r;
  fd_set w;
  fd_set e;
  FD_ZERO(&r);
  FD_ZERO(&w);
  FD_ZERO(&e);
  if (want_read) FD_SET(s, &r);
  if (want_write) FD_SET(s, &w);
  if (want_except) FD_SET(s, &e);
  timeval tv = select_timeout(deadline);
  // The first argument is ignored by Winsock.
  const int rc = ::select(0, &r, &w, &e, &tv);
  Readiness out;
  if (rc == SOCKET_ERROR) {
    error = last_error();
    return out;
  }
  out.read = FD_ISSET(s, &r) != 0;
  out.write = FD_ISSET(s, &w) != 0;
  out.except = FD_ISSET(s, &e) != 0;
  return out;
}

class WinsockConnection final : public Connection {
 public:
  explicit WinsockConnection(SOCKET s) noexcept : socket_(s) {}
  ~WinsockConnection() override {
    if (socket_ != INVALID_SOCKET) ::closesocket(socket_);  // safety net only
  }
  WinsockConnection(const WinsockConnection&) = delete;
  WinsockConnection& operator=(const WinsockConnection&) = delete;

  IoResult send(std::span<const std::byte> data) override {
    const int n = ::send(socket_, reinterpret_cast<const char*>(data.data()),
                         clamp_length(data.size()), 0);
    if (n == SOCKET_ERROR) return IoResult::failure(last_error());
    return IoResult::success(static_cast<std::size_t>(n));
  }

  IoResult recv(std::span<std::byte> buffer) override {
    const int n = ::recv(socket_, reinterpret_cast<char*>(buffer.data()),
                         clamp_length(buffer.size()), 0);
    if (n == SOCKET_ERROR) return IoResult::failure(last_error());
    return IoResult::success(static_cast<std::size_t>(n));
  }

  IoResult shutdown_write() override {
    if (::shutdown(socket_, SD_SEND) != 0) return IoResult::failure(last_error());
    return IoResult::success(0);
  }

  IoResult close() override {
    const SOCKET s = std::exchange(socket_, INVALID_SOCKET);
    if (::closesocket(s) != 0) return IoResult::failure(last_error());
    return IoResult::success(0);
  }

  WaitResult wait(bool want_read, bool want_write,
                  TimePoint deadline) override {
    WaitResult w;
    if (!want_read && !want_write) {
      // select() with no socket in any set is an error on Winsock; waiting
      // for nothing is waiting for the deadline.
      std::this_thread::sleep_until(deadline);
      return w;
    }
    // The except set is trouble, as POLLERR is for poll(): the next recv or
    // send reports what happened.
    const Readiness ready =
        select_one(socket_, want_read, want_write, true, deadline, w.error);
    w.readable = want_read && (ready.read || ready.except);
    w.writable = want_write && (ready.write || ready.except);
    return w;
  }

 private:
  SOCKET socket_;
};

// Connects one socket to one resolved address. Returns the socket or
// INVALID_SOCKET with `err` set.
SOCKET connect_one(const addrinfo& ai, TimePoint deadline, std::error_code& err) {
  const SOCKET s = ::socket(ai.ai_family, ai.ai_socktype, ai.ai_protocol);
  if (s == INVALID_SOCKET) {
    err = last_error();
    return INVALID_SOCKET;
  }
  auto fail = [&](std::error_code ec) {
    err = ec;
    ::closesocket(s);
    return INVALID_SOCKET;
  };
  // Not inherited by programs this process starts (POSIX: SOCK_CLOEXEC).
  ::SetHandleInformation(reinterpret_cast<HANDLE>(s), HANDLE_FLAG_INHERIT, 0);
  u_long non_blocking = 1;
  // FIONBIO is an unsigned expression in MinGW's headers; the parameter is long.
  if (::ioctlsocket(s, static_cast<long>(FIONBIO), &non_blocking) != 0) {
    return fail(last_error());
  }
  if (::connect(s, ai.ai_addr, static_cast<int>(ai.ai_addrlen)) == 0) return s;
  const int started = WSAGetLastError();
  if (started != WSAEWOULDBLOCK && started != WSAEINPROGRESS &&
      started != WSAEINTR) {
    return fail(winsock_error(started));
  }
  for (;;) {
    std::error_code select_error;
    const Readiness ready = select_one(s, false, true, true, deadline, select_error);
    if (select_error) {
      if (select_error == std::errc::interrupted) continue;
      return fail(select_error);
    }
    if (!ready.write && !ready.except) {
      if (std::chrono::steady_clock::now() < deadline) continue;
      return fail(std::make_error_code(std::errc::timed_out));
    }
    int so_error = 0;
    int len = sizeof so_error;
    if (::getsockopt(s, SOL_SOCKET, SO_ERROR, reinterpret_cast<char*>(&so_error),
                     &len) != 0) {
      return fail(last_error());
    }
    if (so_error != 0) return fail(winsock_error(so_error));
    // Except set without an error code: report the refusal Windows means.
    if (ready.except) return fail(std::make_error_code(std::errc::connection_refused));
    return s;
  }
}

}  // namespace

std::error_code winsock_error(int wsa_code) noexcept {
  for (const auto& [code, condition] : kWinsockErrors) {
    if (code == wsa_code) return std::make_error_code(condition);
  }
  return {wsa_code, std::system_category()};
}

WinsockTransport::WinsockTransport() { WinsockSession::get(); }

TimePoint WinsockTransport::now() { return std::chrono::steady_clock::now(); }

ConnectResult WinsockTransport::connect(const Endpoint& to, TimePoint deadline) {
  if (const std::error_code& ec = WinsockSession::get().error()) {
    return {nullptr, ec};
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* list = nullptr;
  const std::string port = std::to_string(to.port);
  if (::getaddrinfo(to.host.c_str(), port.c_str(), &hints, &list) != 0) {
    // Resolver errors are not socket errors; report them as unreachable.
    return {nullptr, std::make_error_code(std::errc::host_unreachable)};
  }
  std::error_code err = std::make_error_code(std::errc::host_unreachable);
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    const SOCKET s = connect_one(*ai, deadline, err);
    if (s != INVALID_SOCKET) {
      ::freeaddrinfo(list);
      return {std::make_unique<WinsockConnection>(s), {}};
    }
    if (err == std::errc::timed_out) break;
  }
  ::freeaddrinfo(list);
  return {nullptr, err};
}

}  // namespace sockcheck
