// The fuzzed backend. See fuzzed_transport.h for the model; this file only
// decodes bytes into answers and keeps the record.
//
// It is the hot path of the receive-path fuzz target (every seam call of
// every input), so, as the header's "Cost" paragraph says: the work is done
// by the non-polymorphic FuzzedPeer (no UBSan vptr check per member
// access), errors are errno values until they leave through IoResult and
// WaitResult, nothing here allocates or formats, and the evidence of the
// one invariant checked here ("bounded") is built by describe_unbounded()
// in fuzz_report.cc only when it fails.
#include "sockcheck/fuzzed_transport.h"

#include <algorithm>
#include <cstring>

#include "sockcheck/fuzz_assert.h"

namespace sockcheck {

namespace {

// Every table's size is a power of two, so `%` is a mask, not a division.
template <typename T, std::size_t N>
T decode(const std::array<T, N>& table, std::uint8_t byte) noexcept {
  static_assert((N & (N - 1)) == 0);
  return table[byte % N];
}

constexpr int errno_of(std::errc e) noexcept { return static_cast<int>(e); }

constexpr int kEbadf = errno_of(std::errc::bad_file_descriptor);
constexpr int kEintr = errno_of(std::errc::interrupted);
constexpr int kEagain = errno_of(std::errc::resource_unavailable_try_again);
constexpr int kEwouldblock = errno_of(std::errc::operation_would_block);
constexpr int kEpipe = errno_of(std::errc::broken_pipe);

std::error_code code_of(int error) noexcept {
  return error == 0 ? std::error_code{}
                    : std::error_code(error, std::generic_category());
}

IoResult io_result(std::size_t bytes, int error) noexcept {
  return {bytes, code_of(error)};
}

bool is_fatal(int error) noexcept {
  return error != 0 && error != kEintr && error != kEagain &&
         error != kEwouldblock;
}

}  // namespace

FuzzedPeer::FuzzedPeer(FuzzInput& input, FuzzedLimits limits)
    : input_(input), limits_(limits) {
  record_.given.reserve(input.remaining());
  record_.accepted.reserve(limits.accepted_reserve);
}

std::size_t FuzzedPeer::begin_call(SeamCall call) {
  const std::size_t index = ++record_.calls;
  SOCKCHECK_FUZZ_ASSERT(
      index <= limits_.max_calls, "bounded",
      describe_unbounded(record_, limits_.max_calls, index, call));
  record_.calls_after_close += static_cast<std::size_t>(closed_);
  return index;
}

void FuzzedPeer::trace(std::size_t index, SeamCall call,
                            std::uint8_t flags, int error, std::size_t offered,
                            std::size_t bytes) noexcept {
  TraceEntry& e = record_.trace[index % FuzzedRecord::kTraceSize];
  e.index = static_cast<std::uint32_t>(index);
  e.call = call;
  e.flags = flags;
  e.error = static_cast<std::uint16_t>(error);
  e.offered = offered;
  e.bytes = bytes;
  e.clock = clock_.time_since_epoch().count();
  record_.input_consumed = input_.consumed();
}

bool FuzzedPeer::take_op(std::uint8_t& op) noexcept {
  if (input_.empty()) {
    record_.input_exhausted = true;
    return false;
  }
  op = input_.take_byte();
  return true;
}

void FuzzedPeer::note_error(std::size_t index, SeamCall call,
                                 int error) noexcept {
  if (!is_fatal(error)) return;
  if (record_.first_fatal_call == 0) {
    record_.first_fatal_call = index;
    record_.first_fatal_op = call;
    record_.first_fatal_error = code_of(error);
  }
  if (call != SeamCall::wait) sticky_error_ = error;
}

TimePoint FuzzedPeer::now() {
  const std::size_t index = begin_call(SeamCall::now);
  if (clock_ >= limits_.deadline && record_.deadline_call == 0) {
    record_.deadline_call = index;
  }
  trace(index, SeamCall::now, 0, 0);
  return clock_;
}

int FuzzedPeer::connect(TimePoint deadline) {
  const std::size_t index = begin_call(SeamCall::connect);
  std::uint8_t op = 0;
  const bool from_input = take_op(op);
  const ConnectAnswer answer =
      from_input ? decode(kConnectTable, op) : ConnectAnswer::ok;
  int error = 0;
  if (connected_) {
    error = errno_of(std::errc::too_many_files_open);
  } else {
    switch (answer) {
      case ConnectAnswer::ok:
        connected_ = true;
        break;
      case ConnectAnswer::refused:
        error = errno_of(std::errc::connection_refused);
        break;
      case ConnectAnswer::timeout:
        clock_ = std::max(clock_, deadline);
        error = errno_of(std::errc::timed_out);
        break;
      case ConnectAnswer::unreachable:
        error = errno_of(std::errc::host_unreachable);
        break;
    }
  }
  trace(index, SeamCall::connect, from_input ? TraceEntry::kFromInput : 0,
        error);
  return error;
}

bool FuzzedPeer::open() noexcept {
  if (connected_) return false;
  connected_ = true;
  return true;
}

ConnectResult FuzzedTransport::connect(const Endpoint& /*to*/,
                                       TimePoint deadline) {
  ConnectResult out;
  const int error = peer_.connect(deadline);
  if (error == 0) {
    out.connection = std::make_unique<FuzzedConnection>(*this);
  } else {
    out.error = code_of(error);
  }
  return out;
}

std::unique_ptr<FuzzedConnection> FuzzedTransport::open() {
  if (!peer_.open()) return nullptr;
  return std::make_unique<FuzzedConnection>(*this);
}

FuzzedConnection* FuzzedTransport::open_in_place() noexcept {
  return peer_.open() ? &connection_ : nullptr;
}

IoResult FuzzedPeer::send(std::span<const std::byte> data) {
  const std::size_t index = begin_call(SeamCall::send);
  record_.sends_after_shutdown +=
      static_cast<std::size_t>(record_.shutdown_succeeded);
  int error = 0;
  std::size_t bytes = 0;
  bool from_input = false;
  if (closed_) {
    error = kEbadf;
  } else if (sticky_error_ != 0) {
    error = sticky_error_;
  } else if (record_.shutdown_succeeded) {
    // What a real socket says after SHUT_WR. Neither sticky nor a terminal
    // event: the peer is fine, the client misused the socket (recorded).
    trace(index, SeamCall::send, 0, kEpipe, data.size());
    return io_result(0, kEpipe);
  } else if (data.empty()) {
    // success(0)
  } else if (send_blocked_) {
    error = kEagain;
  } else {
    std::uint8_t op = 0;
    from_input = take_op(op);
    const SendAnswer answer =
        from_input ? decode(kSendTable, op) : SendAnswer::all;
    switch (answer) {
      case SendAnswer::all:
        bytes = data.size();
        break;
      case SendAnswer::partial: {
        const std::size_t k = input_.take_byte();
        bytes = data.size() < 2 ? data.size() : 1 + k % (data.size() - 1);
        break;
      }
      case SendAnswer::interrupted:
        error = kEintr;
        break;
      case SendAnswer::would_block:
        send_blocked_ = true;
        error = kEagain;
        break;
      case SendAnswer::error:
        error = errno_of(decode(kSendErrors, input_.take_byte()));
        break;
    }
  }
  record_.accepted.append(reinterpret_cast<const char*>(data.data()), bytes);
  note_error(index, SeamCall::send, error);
  trace(index, SeamCall::send, from_input ? TraceEntry::kFromInput : 0, error,
        data.size(), bytes);
  return io_result(bytes, error);
}

IoResult FuzzedPeer::recv(std::span<std::byte> buffer) {
  const std::size_t index = begin_call(SeamCall::recv);
  int error = 0;
  std::size_t bytes = 0;
  bool from_input = false;
  bool eof = false;
  record_.empty_recv_buffers += static_cast<std::size_t>(buffer.empty());
  if (closed_) {
    error = kEbadf;
  } else if (sticky_error_ != 0) {
    error = sticky_error_;
  } else if (record_.eof_returned) {
    eof = true;
  } else if (buffer.empty()) {
    // recv(…, 0, …) returns 0 on a real socket; it is a misuse, counted
    // above, and it must not be taken for the peer's FIN.
  } else if (recv_blocked_) {
    error = kEagain;
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
        const std::span<const std::uint8_t> chunk = input_.take_bytes(want);
        if (chunk.empty()) {
          // The input ended inside the answer: the terminal event.
          record_.input_exhausted = true;
          eof = true;
        } else {
          std::memcpy(buffer.data(), chunk.data(), chunk.size());
          // Within the capacity reserved in the constructor: every byte
          // given comes from the input.
          record_.given.append(reinterpret_cast<const char*>(chunk.data()),
                               chunk.size());
          bytes = chunk.size();
        }
        break;
      }
      case RecvAnswer::eof:
        eof = true;
        break;
      case RecvAnswer::interrupted:
        error = kEintr;
        break;
      case RecvAnswer::would_block:
        recv_blocked_ = true;
        error = kEagain;
        break;
      case RecvAnswer::reset:
        error = errno_of(std::errc::connection_reset);
        break;
      case RecvAnswer::error:
        error = errno_of(decode(kRecvErrors, input_.take_byte()));
        break;
    }
  }
  if (eof && !record_.eof_returned) {
    record_.eof_returned = true;
    record_.eof_call = index;
  }
  note_error(index, SeamCall::recv, error);
  trace(index, SeamCall::recv,
        static_cast<std::uint8_t>((from_input ? TraceEntry::kFromInput : 0) |
                                  (eof ? TraceEntry::kEof : 0)),
        error, buffer.size(), bytes);
  return io_result(bytes, error);
}

IoResult FuzzedPeer::shutdown() {
  const std::size_t index = begin_call(SeamCall::shutdown);
  ++record_.shutdown_calls;
  int error = 0;
  bool from_input = false;
  if (closed_) {
    error = kEbadf;
  } else if (record_.shutdown_succeeded) {
    // Linux accepts a repeated SHUT_WR; the record counts the misuse.
    ++record_.shutdowns_after_success;
  } else if (sticky_error_ != 0) {
    error = sticky_error_;
  } else {
    std::uint8_t op = 0;
    from_input = take_op(op);
    const ShutdownAnswer answer =
        from_input ? decode(kShutdownTable, op) : ShutdownAnswer::ok;
    switch (answer) {
      case ShutdownAnswer::ok:
        record_.shutdown_succeeded = true;
        record_.shutdown_ok_call = index;
        break;
      case ShutdownAnswer::interrupted:
        error = kEintr;
        break;
      case ShutdownAnswer::error:
        error = errno_of(decode(kShutdownErrors, input_.take_byte()));
        break;
    }
  }
  note_error(index, SeamCall::shutdown, error);
  trace(index, SeamCall::shutdown, from_input ? TraceEntry::kFromInput : 0,
        error);
  return io_result(0, error);
}

IoResult FuzzedPeer::close() {
  const std::size_t index = begin_call(SeamCall::close);
  ++record_.close_calls;
  int error = 0;
  bool from_input = false;
  if (closed_) {
    error = kEbadf;
  } else {
    std::uint8_t op = 0;
    from_input = take_op(op);
    const CloseAnswer answer =
        from_input ? decode(kCloseTable, op) : CloseAnswer::ok;
    if (answer == CloseAnswer::error) {
      // The descriptor is released whatever close() reports (POSIX leaves
      // it unspecified after EINTR; Linux always releases it), which is why
      // a client must never retry close().
      error = errno_of(decode(kCloseErrors, input_.take_byte()));
    }
    closed_ = true;
  }
  trace(index, SeamCall::close, from_input ? TraceEntry::kFromInput : 0,
        error);
  return io_result(0, error);
}

WaitResult FuzzedPeer::wait(bool want_read, bool want_write,
                                    TimePoint deadline) {
  const std::size_t index = begin_call(SeamCall::wait);
  bool readable = false;
  bool writable = false;
  int error = 0;
  bool from_input = false;
  if (closed_) {
    error = kEbadf;
  } else if (!want_read && !want_write) {
    // poll() on nothing sleeps until its timeout.
    clock_ = std::max(clock_, deadline);
  } else if (sticky_error_ != 0 || (want_read && record_.eof_returned)) {
    // A pending error or FIN makes the socket ready at once, as poll() does.
    readable = want_read;
    writable = want_write;
  } else {
    std::uint8_t op = 0;
    from_input = take_op(op);
    const WaitAnswer answer =
        from_input ? decode(kWaitTable, op) : WaitAnswer::ready;
    if (from_input) clock_ += kWaitTick * input_.take_byte();
    switch (answer) {
      case WaitAnswer::ready:
        readable = want_read;
        writable = want_write;
        break;
      case WaitAnswer::readable_only:
        readable = want_read;
        writable = !want_read;
        break;
      case WaitAnswer::writable_only:
        writable = want_write;
        readable = !want_write;
        break;
      case WaitAnswer::timeout:
        clock_ = std::max(clock_, deadline);
        break;
      case WaitAnswer::interrupted:
        error = kEintr;
        break;
      case WaitAnswer::error:
        error = errno_of(decode(kWaitErrors, input_.take_byte()));
        break;
    }
  }
  recv_blocked_ = recv_blocked_ && !readable;
  send_blocked_ = send_blocked_ && !writable;
  // Only a timeout at or past the client's deadline is the deadline event; a
  // client may also wait on shorter timers of its own.
  if (!readable && !writable && error == 0 && clock_ >= limits_.deadline &&
      record_.deadline_call == 0) {
    record_.deadline_call = index;
  }
  note_error(index, SeamCall::wait, error);
  trace(index, SeamCall::wait,
        static_cast<std::uint8_t>((from_input ? TraceEntry::kFromInput : 0) |
                                  (readable ? TraceEntry::kReadable : 0) |
                                  (writable ? TraceEntry::kWritable : 0)),
        error);
  WaitResult w;
  w.readable = readable;
  w.writable = writable;
  w.error = code_of(error);
  return w;
}

}  // namespace sockcheck
