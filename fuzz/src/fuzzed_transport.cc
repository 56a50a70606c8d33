// The fuzzed backend. See fuzzed_transport.h for the model; this file only
// decodes bytes into answers and keeps the record.
#include "sockcheck/fuzzed_transport.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "sockcheck/fuzz_assert.h"

namespace sockcheck {

namespace {

template <typename T, std::size_t N>
T decode(const std::array<T, N>& table, std::uint8_t byte) noexcept {
  return table[byte % N];
}

bool is_fatal(const std::error_code& ec) noexcept {
  return ec && ec != std::errc::interrupted &&
         ec != std::errc::resource_unavailable_try_again &&
         ec != std::errc::operation_would_block;
}

Duration since_epoch(TimePoint t) noexcept { return t - TimePoint{}; }

// Bytes as a C-like string literal, cut after `limit` bytes.
std::string escape(std::string_view bytes, std::size_t limit) {
  std::string out = "\"";
  for (std::size_t i = 0; i < bytes.size() && i < limit; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c == '\\' || c == '"') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned>(c));
      out += hex;
    }
  }
  out += '"';
  if (bytes.size() > limit) {
    out += " ... (" + std::to_string(bytes.size()) + " bytes)";
  }
  return out;
}

std::string describe_error(const std::error_code& ec) {
  return ec ? error_name(ec) : std::string("ok");
}

}  // namespace

std::string_view to_string(SeamCall call) noexcept {
  switch (call) {
    case SeamCall::now: return "now";
    case SeamCall::connect: return "connect";
    case SeamCall::send: return "send";
    case SeamCall::recv: return "recv";
    case SeamCall::shutdown: return "shutdown";
    case SeamCall::close: return "close";
    case SeamCall::wait: return "wait";
  }
  return "?";
}

std::string FuzzedRecord::describe() const {
  std::string out;
  auto line = [&out](const std::string& s) { out += "  " + s + "\n"; };
  line("calls: " + std::to_string(calls) + ", input consumed: " +
       std::to_string(input_consumed) +
       (input_exhausted ? " (exhausted)" : ""));
  line("shutdown calls: " + std::to_string(shutdown_calls) +
       " (after success: " + std::to_string(shutdowns_after_success) +
       "), close calls: " + std::to_string(close_calls) +
       ", calls after close: " + std::to_string(calls_after_close) +
       ", sends after shutdown: " + std::to_string(sends_after_shutdown) +
       ", empty recv buffers: " + std::to_string(empty_recv_buffers));
  line("first fatal error: " +
       (first_fatal_call != 0
            ? describe_error(first_fatal_error) + " from " +
                  std::string(to_string(first_fatal_op)) + " at call " +
                  std::to_string(first_fatal_call)
            : std::string("none")) +
       "; EOF at call " + std::to_string(eof_call) +
       "; shutdown ok at call " + std::to_string(shutdown_ok_call) +
       "; deadline seen at call " + std::to_string(deadline_call) +
       " (0 = never)");
  line("given to the client (" + std::to_string(given.size()) +
       " bytes): " + escape(given, 160));
  line("accepted from the client (" + std::to_string(accepted.size()) +
       " bytes): " + escape(accepted, 160));
  line("last calls:");
  const std::size_t shown = std::min(calls, kTraceSize);
  for (std::size_t k = 0; k < shown; ++k) {
    const TraceEntry& e = trace[(calls - shown + k) % kTraceSize];
    std::string s = "  #" + std::to_string(e.index) + " " +
                    std::string(to_string(e.call));
    switch (e.call) {
      case SeamCall::send:
        s += "(" + std::to_string(e.offered) + ") -> ";
        s += e.error ? describe_error(e.error) : std::to_string(e.bytes);
        break;
      case SeamCall::recv:
        s += "(" + std::to_string(e.offered) + ") -> ";
        s += e.error ? describe_error(e.error)
                     : (e.readable ? std::string("0 (EOF)")
                                   : std::to_string(e.bytes));
        break;
      case SeamCall::wait:
        s += " -> ";
        s += e.error ? describe_error(e.error)
                     : (e.readable || e.writable
                            ? std::string(e.readable ? "readable " : "") +
                                  (e.writable ? "writable" : "")
                            : std::string("timed out"));
        break;
      default:
        s += " -> " + describe_error(e.error);
        break;
    }
    s += e.from_input ? "" : " [no input read]";
    s += " @" +
         std::to_string(
             std::chrono::duration_cast<std::chrono::milliseconds>(e.clock)
                 .count()) +
         "ms";
    line(s);
  }
  return out;
}

FuzzedTransport::FuzzedTransport(FuzzInput& input, FuzzedLimits limits) noexcept
    : input_(input), limits_(limits) {}

std::size_t FuzzedTransport::begin_call(SeamCall call) {
  const std::size_t index = ++record_.calls;
  SOCKCHECK_FUZZ_ASSERT(
      index <= limits_.max_calls, "bounded",
      "  the client made more than " + std::to_string(limits_.max_calls) +
          " calls through the seam (the bound for this input); it is "
          "spinning. Call #" + std::to_string(index) + " was " +
          std::string(to_string(call)) + ".\n" + record_.describe());
  if (closed_) ++record_.calls_after_close;
  return index;
}

void FuzzedTransport::trace(const TraceEntry& entry) noexcept {
  record_.trace[trace_next_] = entry;
  trace_next_ = (trace_next_ + 1) % FuzzedRecord::kTraceSize;
  record_.input_consumed = input_.consumed();
}

bool FuzzedTransport::take_op(std::uint8_t& op) {
  if (input_.empty()) {
    record_.input_exhausted = true;
    return false;
  }
  op = input_.take_byte();
  return true;
}

void FuzzedTransport::note_error(std::size_t index, SeamCall call,
                                 std::error_code ec) {
  if (!is_fatal(ec)) return;
  if (record_.first_fatal_call == 0) {
    record_.first_fatal_call = index;
    record_.first_fatal_op = call;
    record_.first_fatal_error = ec;
  }
  if (call != SeamCall::wait) sticky_error_ = ec;
}

TimePoint FuzzedTransport::now() {
  const std::size_t index = begin_call(SeamCall::now);
  if (clock_ >= limits_.deadline && record_.deadline_call == 0) {
    record_.deadline_call = index;
  }
  trace({index, SeamCall::now, 0, 0, {}, false, false, false,
         since_epoch(clock_)});
  return clock_;
}

ConnectResult FuzzedTransport::connect(const Endpoint& /*to*/,
                                       TimePoint deadline) {
  const std::size_t index = begin_call(SeamCall::connect);
  ConnectResult out;
  std::uint8_t op = 0;
  const bool from_input = take_op(op);
  const ConnectAnswer answer =
      from_input ? decode(kConnectTable, op) : ConnectAnswer::ok;
  if (connected_) {
    out.error = std::make_error_code(std::errc::too_many_files_open);
  } else {
    switch (answer) {
      case ConnectAnswer::ok:
        out.connection = std::make_unique<FuzzedConnection>(*this);
        connected_ = true;
        break;
      case ConnectAnswer::refused:
        out.error = std::make_error_code(std::errc::connection_refused);
        break;
      case ConnectAnswer::timeout:
        clock_ = std::max(clock_, deadline);
        out.error = std::make_error_code(std::errc::timed_out);
        break;
      case ConnectAnswer::unreachable:
        out.error = std::make_error_code(std::errc::host_unreachable);
        break;
    }
  }
  trace({index, SeamCall::connect, 0, 0, out.error, false, false, from_input,
         since_epoch(clock_)});
  return out;
}

std::unique_ptr<FuzzedConnection> FuzzedTransport::open() {
  if (connected_) return nullptr;
  connected_ = true;
  return std::make_unique<FuzzedConnection>(*this);
}

IoResult FuzzedTransport::do_send(std::span<const std::byte> data) {
  const std::size_t index = begin_call(SeamCall::send);
  if (record_.shutdown_succeeded) ++record_.sends_after_shutdown;
  IoResult r;
  bool from_input = false;
  if (closed_) {
    r = IoResult::failure(std::errc::bad_file_descriptor);
  } else if (sticky_error_) {
    r = IoResult::failure(sticky_error_);
  } else if (record_.shutdown_succeeded) {
    // What a real socket says after SHUT_WR. Neither sticky nor a terminal
    // event: the peer is fine, the client misused the socket (recorded).
    trace({index, SeamCall::send, data.size(), 0,
           std::make_error_code(std::errc::broken_pipe), false, false, false,
           since_epoch(clock_)});
    return IoResult::failure(std::errc::broken_pipe);
  } else if (data.empty()) {
    r = IoResult::success(0);
  } else if (send_blocked_) {
    r = IoResult::failure(std::errc::resource_unavailable_try_again);
  } else {
    std::uint8_t op = 0;
    from_input = take_op(op);
    const SendAnswer answer =
        from_input ? decode(kSendTable, op) : SendAnswer::all;
    switch (answer) {
      case SendAnswer::all:
        r = IoResult::success(data.size());
        break;
      case SendAnswer::partial: {
        const std::size_t k = input_.take_byte();
        r = IoResult::success(data.size() < 2 ? data.size()
                                              : 1 + k % (data.size() - 1));
        break;
      }
      case SendAnswer::interrupted:
        r = IoResult::failure(std::errc::interrupted);
        break;
      case SendAnswer::would_block:
        send_blocked_ = true;
        r = IoResult::failure(std::errc::resource_unavailable_try_again);
        break;
      case SendAnswer::error:
        r = IoResult::failure(decode(kSendErrors, input_.take_byte()));
        break;
    }
  }
  if (r.ok()) {
    record_.accepted.append(reinterpret_cast<const char*>(data.data()),
                            r.bytes);
  }
  note_error(index, SeamCall::send, r.error);
  trace({index, SeamCall::send, data.size(), r.bytes, r.error, false, false,
         from_input, since_epoch(clock_)});
  return r;
}

IoResult FuzzedTransport::do_recv(std::span<std::byte> buffer) {
  const std::size_t index = begin_call(SeamCall::recv);
  IoResult r;
  bool from_input = false;
  bool eof = false;
  if (buffer.empty()) ++record_.empty_recv_buffers;
  if (closed_) {
    r = IoResult::failure(std::errc::bad_file_descriptor);
  } else if (sticky_error_) {
    r = IoResult::failure(sticky_error_);
  } else if (record_.eof_returned) {
    eof = true;
  } else if (buffer.empty()) {
    // recv(…, 0, …) returns 0 on a real socket; it is a misuse, counted
    // above, and it must not be taken for the peer's FIN.
    r = IoResult::success(0);
  } else if (recv_blocked_) {
    r = IoResult::failure(std::errc::resource_unavailable_try_again);
  } else {
    std::uint8_t op = 0;
    from_input = take_op(op);
    const RecvAnswer answer =
        from_input ? decode(kRecvTable, op) : RecvAnswer::eof;
    switch (answer) {
      case RecvAnswer::data:
      case RecvAnswer::fill: {
        const std::size_t want =
            answer == RecvAnswer::fill
                ? buffer.size()
                : std::min<std::size_t>(buffer.size(),
                                        std::size_t{input_.take_byte()} + 1);
        const std::span<const std::uint8_t> bytes = input_.take_bytes(want);
        if (bytes.empty()) {
          // The input ended inside the answer: the terminal event.
          record_.input_exhausted = true;
          eof = true;
        } else {
          std::memcpy(buffer.data(), bytes.data(), bytes.size());
          r = IoResult::success(bytes.size());
        }
        break;
      }
      case RecvAnswer::eof:
        eof = true;
        break;
      case RecvAnswer::interrupted:
        r = IoResult::failure(std::errc::interrupted);
        break;
      case RecvAnswer::would_block:
        recv_blocked_ = true;
        r = IoResult::failure(std::errc::resource_unavailable_try_again);
        break;
      case RecvAnswer::reset:
        r = IoResult::failure(std::errc::connection_reset);
        break;
      case RecvAnswer::error:
        r = IoResult::failure(decode(kRecvErrors, input_.take_byte()));
        break;
    }
  }
  if (eof) {
    r = IoResult::success(0);
    if (!record_.eof_returned) {
      record_.eof_returned = true;
      record_.eof_call = index;
    }
  } else if (r.ok()) {
    record_.given.append(reinterpret_cast<const char*>(buffer.data()),
                         r.bytes);
  }
  note_error(index, SeamCall::recv, r.error);
  trace({index, SeamCall::recv, buffer.size(), r.bytes, r.error, eof, false,
         from_input, since_epoch(clock_)});
  return r;
}

IoResult FuzzedTransport::do_shutdown() {
  const std::size_t index = begin_call(SeamCall::shutdown);
  ++record_.shutdown_calls;
  IoResult r;
  bool from_input = false;
  if (closed_) {
    r = IoResult::failure(std::errc::bad_file_descriptor);
  } else if (record_.shutdown_succeeded) {
    // Linux accepts a repeated SHUT_WR; the record counts the misuse.
    ++record_.shutdowns_after_success;
    r = IoResult::success(0);
  } else if (sticky_error_) {
    r = IoResult::failure(sticky_error_);
  } else {
    std::uint8_t op = 0;
    from_input = take_op(op);
    const ShutdownAnswer answer =
        from_input ? decode(kShutdownTable, op) : ShutdownAnswer::ok;
    switch (answer) {
      case ShutdownAnswer::ok:
        r = IoResult::success(0);
        break;
      case ShutdownAnswer::interrupted:
        r = IoResult::failure(std::errc::interrupted);
        break;
      case ShutdownAnswer::error:
        r = IoResult::failure(decode(kShutdownErrors, input_.take_byte()));
        break;
    }
    if (r.ok()) {
      record_.shutdown_succeeded = true;
      record_.shutdown_ok_call = index;
    }
  }
  note_error(index, SeamCall::shutdown, r.error);
  trace({index, SeamCall::shutdown, 0, 0, r.error, false, false, from_input,
         since_epoch(clock_)});
  return r;
}

IoResult FuzzedTransport::do_close() {
  const std::size_t index = begin_call(SeamCall::close);
  ++record_.close_calls;
  IoResult r;
  bool from_input = false;
  if (closed_) {
    r = IoResult::failure(std::errc::bad_file_descriptor);
  } else {
    std::uint8_t op = 0;
    from_input = take_op(op);
    const CloseAnswer answer =
        from_input ? decode(kCloseTable, op) : CloseAnswer::ok;
    if (answer == CloseAnswer::error) {
      // The descriptor is released whatever close() reports (POSIX leaves
      // it unspecified after EINTR; Linux always releases it), which is why
      // a client must never retry close().
      r = IoResult::failure(decode(kCloseErrors, input_.take_byte()));
    }
    closed_ = true;
  }
  trace({index, SeamCall::close, 0, 0, r.error, false, false, from_input,
         since_epoch(clock_)});
  return r;
}

WaitResult FuzzedTransport::do_wait(bool want_read, bool want_write,
                                    TimePoint deadline) {
  const std::size_t index = begin_call(SeamCall::wait);
  WaitResult w;
  bool from_input = false;
  if (closed_) {
    w.error = std::make_error_code(std::errc::bad_file_descriptor);
  } else if (!want_read && !want_write) {
    // poll() on nothing sleeps until its timeout.
    clock_ = std::max(clock_, deadline);
  } else if (sticky_error_ || (want_read && record_.eof_returned)) {
    // A pending error or FIN makes the socket ready at once, as poll() does.
    w.readable = want_read;
    w.writable = want_write;
  } else {
    std::uint8_t op = 0;
    from_input = take_op(op);
    const WaitAnswer answer =
        from_input ? decode(kWaitTable, op) : WaitAnswer::ready;
    if (from_input) clock_ += kWaitTick * input_.take_byte();
    switch (answer) {
      case WaitAnswer::ready:
        w.readable = want_read;
        w.writable = want_write;
        break;
      case WaitAnswer::readable_only:
        w.readable = want_read;
        w.writable = !want_read;
        break;
      case WaitAnswer::writable_only:
        w.writable = want_write;
        w.readable = !want_write;
        break;
      case WaitAnswer::timeout:
        clock_ = std::max(clock_, deadline);
        break;
      case WaitAnswer::interrupted:
        w.error = std::make_error_code(std::errc::interrupted);
        break;
      case WaitAnswer::error:
        w.error = std::make_error_code(decode(kWaitErrors, input_.take_byte()));
        break;
    }
  }
  if (w.readable) recv_blocked_ = false;
  if (w.writable) send_blocked_ = false;
  // Only a timeout at or past the client's deadline is the deadline event; a
  // client may also wait on shorter timers of its own.
  if (w.timed_out() && clock_ >= limits_.deadline &&
      record_.deadline_call == 0) {
    record_.deadline_call = index;
  }
  note_error(index, SeamCall::wait, w.error);
  trace({index, SeamCall::wait, 0, 0, w.error, w.readable, w.writable,
         from_input, since_epoch(clock_)});
  return w;
}

}  // namespace sockcheck
