// The simulated transport's client side: the calls the client makes through
// its handle (send, recv, shutdown_write, close, wait), with the injected
// errors and the call counters, and SimConnection, the handle that forwards
// them. A call that would block lets the server catch up first (settle, in
// sim_server.cc); the theory of operation is at the top of sim_transport.cc.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>

#include "sim_link.h"

namespace sockcheck {
namespace {

// A client that retries EINTR at once would spin forever on `every 1`;
// after this many injected failures in a row on one kind of call, the next
// call goes through (and the trace says so).
constexpr std::uint32_t kMaxConsecutiveInjections = 1000;

const char* call_name(Injection::Call c) noexcept {
  switch (c) {
    case Injection::Call::send: return "send";
    case Injection::Call::recv: return "recv";
    case Injection::Call::wait: return "wait";
    case Injection::Call::shutdown: return "shutdown";
  }
  return "?";
}

}  // namespace

using sim::errc;
using sim::Side;

std::optional<std::error_code> SimTransport::Ops::inject(SimTransport& t, Link& l,
                                                         Injection::Call call) {
  const auto k = static_cast<std::size_t>(call);
  const std::uint64_t n = ++l.call_count[k];
  for (const Injection& inj : t.scenario_.injections) {
    if (inj.call != call) continue;
    if (!inj.hits(n)) continue;
    if (l.consecutive_injected[k] >= kMaxConsecutiveInjections) {
      trace(t, l.number, "%s: injection skipped after %u in a row",
            call_name(call), kMaxConsecutiveInjections);
      break;
    }
    ++l.consecutive_injected[k];
    ++l.calls.injected;
    if (inj.short_count) {
      // Not an error: the call goes through for half its bytes.
      trace(t, l.number, "%s: short count (injected)", call_name(call));
      l.short_due = true;
      return std::nullopt;
    }
    trace(t, l.number, "%s -> %s (injected)", call_name(call),
          error_name(inj.error).c_str());
    return inj.error;
  }
  l.consecutive_injected[k] = 0;
  return std::nullopt;
}

bool SimTransport::Ops::after_close(SimTransport& t, Link& l, const char* what) {
  if (l.calls.closes == 0) return false;
  ++l.calls.calls_after_close;
  trace(t, l.number, "%s after close (contract violation) -> EBADF", what);
  return true;
}

IoResult SimTransport::Ops::try_send(SimTransport& t, Link& l,
                                     std::span<const std::byte> data) {
  Side& c = l.client;
  const bool windows = t.scenario_.reset_mode == ResetMode::windows_like;
  if (windows && c.rst_in) return IoResult::failure(c.pending);
  if (c.pending) return IoResult::failure(std::exchange(c.pending, {}));
  if (c.shut_wr || c.rst_in) return IoResult::failure(std::errc::broken_pipe);
  if (data.empty()) return IoResult::success(0);
  if (l.server.closed) {
    // Data for a closed socket: accepted here, answered with RST there.
    rst_to_client(t, l);
    return IoResult::success(data.size());
  }
  const std::size_t queued = l.to_server.size();
  const std::size_t room = l.server_window > queued ? l.server_window - queued : 0;
  if (room == 0) return IoResult::failure(std::errc::resource_unavailable_try_again);
  const std::size_t n = std::min(room, data.size());
  l.to_server.append(data.first(n));
  poke(t, l);
  return IoResult::success(n);
}

IoResult SimTransport::Ops::send(SimTransport& t, Link& l,
                                 std::span<const std::byte> data) {
  if (after_close(t, l, "send")) return IoResult::failure(std::errc::bad_file_descriptor);
  ++l.calls.sends;
  if (l.client.shut_wr) ++l.calls.sends_after_shutdown;
  if (auto e = inject(t, l, Injection::Call::send)) return IoResult::failure(*e);
  if (std::exchange(l.short_due, false)) data = data.first(std::max<std::size_t>(data.size() / 2, 1));
  IoResult r = try_send(t, l, data);
  if (is_would_block(r.error)) {  // the client would block: the server's turn
    settle(t, l);
    r = try_send(t, l, data);
  }
  if (r.ok()) {
    trace(t, l.number, "send %zu -> %zu", data.size(), r.bytes);
  } else {
    trace(t, l.number, "send %zu -> %s", data.size(), error_name(r.error).c_str());
  }
  return r;
}

IoResult SimTransport::Ops::try_recv(SimTransport& t, Link& l,
                                     std::span<std::byte> buffer) {
  Side& c = l.client;
  if (t.scenario_.reset_mode == ResetMode::windows_like && c.rst_in) {
    return IoResult::failure(c.pending);
  }
  if (!l.to_client.empty()) {
    poke(t, l);  // room for a stalled server write
    return IoResult::success(l.to_client.pop_into(buffer, l.blobs));
  }
  if (c.fin_in) return IoResult::success(0);
  if (c.pending) return IoResult::failure(std::exchange(c.pending, {}));
  if (c.rst_in) return IoResult::success(0);  // Linux, after the one error
  return IoResult::failure(std::errc::resource_unavailable_try_again);
}

IoResult SimTransport::Ops::recv(SimTransport& t, Link& l, std::span<std::byte> buffer) {
  if (after_close(t, l, "recv")) return IoResult::failure(std::errc::bad_file_descriptor);
  ++l.calls.recvs;
  if (auto e = inject(t, l, Injection::Call::recv)) return IoResult::failure(*e);
  if (buffer.empty()) return IoResult::failure(std::errc::invalid_argument);
  if (std::exchange(l.short_due, false)) {
    buffer = buffer.first(std::max<std::size_t>(buffer.size() / 2, 1));
  }
  IoResult r = try_recv(t, l, buffer);
  if (is_would_block(r.error)) {
    settle(t, l);
    r = try_recv(t, l, buffer);
  }
  if (r.ok()) {
    trace(t, l.number, "recv %zu -> %zu", buffer.size(), r.bytes);
  } else {
    trace(t, l.number, "recv %zu -> %s", buffer.size(), error_name(r.error).c_str());
  }
  return r;
}

IoResult SimTransport::Ops::shutdown_write(SimTransport& t, Link& l) {
  if (after_close(t, l, "shutdown")) return IoResult::failure(std::errc::bad_file_descriptor);
  ++l.calls.shutdowns;
  if (auto e = inject(t, l, Injection::Call::shutdown)) return IoResult::failure(*e);
  Side& c = l.client;
  if (c.rst_in) {
    trace(t, l.number, "shutdown -> ENOTCONN");
    return IoResult::failure(std::errc::not_connected);
  }
  if (!c.shut_wr) {
    c.shut_wr = true;
    l.server.fin_in = true;  // harmless if the server's socket is gone
    poke(t, l);
  }
  trace(t, l.number, "shutdown -> ok");
  return IoResult::success(0);
}

// The client's socket goes away: FIN, or RST if it leaves data unread.
void SimTransport::Ops::client_release(SimTransport& t, Link& l) {
  Side& c = l.client;
  c.closed = true;
  poke(t, l);
  if (c.rst_in) return;
  if (!l.to_client.empty()) {
    trace(t, l.number, "client closes with %zu unread bytes (RST)", l.to_client.bytes());
    rst_to_server(t, l);
  } else if (!c.shut_wr) {
    c.shut_wr = true;
    l.server.fin_in = true;
  }
  l.to_client.clear();
}

IoResult SimTransport::Ops::close(SimTransport& t, Link& l) {
  if (after_close(t, l, "close")) {
    ++l.calls.closes;
    return IoResult::failure(std::errc::bad_file_descriptor);
  }
  ++l.calls.closes;
  client_release(t, l);
  trace(t, l.number, "close -> ok");
  return IoResult::success(0);
}

void SimTransport::Ops::destroyed(SimTransport& t, Link& l) {
  if (l.calls.closes > 0) return;
  l.calls.destroyed_without_close = true;
  trace(t, l.number, "connection destroyed without close()");
  client_release(t, l);
}

WaitResult SimTransport::Ops::readiness(const Link& l, bool want_read, bool want_write) {
  const Side& c = l.client;
  WaitResult w;
  w.readable = want_read && (!l.to_client.empty() || c.fin_in || c.rst_in);
  if (want_write) {
    const bool room = l.to_server.size() < l.server_window;
    w.writable = c.shut_wr || c.rst_in || static_cast<bool>(c.pending) ||
                 l.server.closed || room;
  }
  return w;
}

WaitResult SimTransport::Ops::wait(SimTransport& t, Link& l, bool want_read,
                                   bool want_write, TimePoint deadline) {
  if (after_close(t, l, "wait")) return {false, false, errc(std::errc::bad_file_descriptor)};
  ++l.calls.waits;
  if (auto e = inject(t, l, Injection::Call::wait)) return {false, false, *e};
  settle(t, l);
  for (;;) {
    const WaitResult w = readiness(l, want_read, want_write);
    if (w.readable || w.writable) {
      trace(t, l.number, "wait %s%s -> %s%s", want_read ? "r" : "-",
            want_write ? "w" : "-", w.readable ? "r" : "-", w.writable ? "w" : "-");
      return w;
    }
    if (t.now_ >= deadline) {
      trace(t, l.number, "wait %s%s -> deadline", want_read ? "r" : "-",
            want_write ? "w" : "-");
      return w;
    }
    // Jump to the earliest thing that can change readiness, or give up at
    // the deadline; each round processes at least one server event, and
    // each server's events end at its deadline, so this terminates.
    advance_to(t, std::min(earliest_server_event(t), deadline));
  }
}

SimConnection::~SimConnection() { SimTransport::Ops::destroyed(t_, l_); }

IoResult SimConnection::send(std::span<const std::byte> data) {
  return SimTransport::Ops::send(t_, l_, data);
}

IoResult SimConnection::recv(std::span<std::byte> buffer) {
  return SimTransport::Ops::recv(t_, l_, buffer);
}

IoResult SimConnection::shutdown_write() {
  return SimTransport::Ops::shutdown_write(t_, l_);
}

IoResult SimConnection::close() { return SimTransport::Ops::close(t_, l_); }

WaitResult SimConnection::wait(bool want_read, bool want_write, TimePoint deadline) {
  return SimTransport::Ops::wait(t_, l_, want_read, want_write, deadline);
}

}  // namespace sockcheck
