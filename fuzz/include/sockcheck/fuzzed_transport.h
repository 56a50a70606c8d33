// The fuzzed backend of the I/O seam: every answer comes from the input.
//
// Theory of operation. A FuzzedTransport reads a FuzzInput (fuzz_input.h)
// front to back; each call the client makes through the seam takes its
// answer from the next bytes:
//
//   recv      an op byte (data of a given length, a chunk that fills the
//             buffer, EOF, EINTR, EAGAIN, ECONNRESET, another error), then the
//             length and the payload, or the error's index;
//   send      an op byte (accept all, a short count, EINTR, EAGAIN, an error),
//             then the short count or the error's index;
//   shutdown  an op byte (ok, EINTR, an error);
//   close     an op byte (ok, an informational error such as EINTR or EIO);
//   wait      an op byte (ready, only readable, only writable, timeout, EINTR,
//             an error), then how far the clock moves, in milliseconds;
//   connect   an op byte (ok, refused, timeout, unreachable);
//   now       nothing: the clock only moves in wait(), so reading it is free.
//
// Every byte value decodes to a valid answer (op = byte % table size). The
// encoder in fuzz_script.h writes the canonical byte of each answer.
//
// The model is a non-blocking socket, made strict enough that a faulty client
// shows itself instead of being carried along:
//   - errors are sticky: once send, recv or shutdown failed with a fatal error
//     (anything but EINTR and EAGAIN), every later send, recv and shutdown
//     fails the same way without reading input, and wait reports ready;
//   - EOF is sticky: after a recv returned 0 every recv returns 0;
//   - EAGAIN is a state, as on a real socket: after a recv (send) reported
//     EAGAIN, recv (send) keeps reporting it, without reading input, until a
//     wait() reports the connection readable (writable); a client that spins
//     instead of waiting never gets anywhere;
//   - a wait that times out moves the clock to its deadline; one that reports
//     readiness may move it past (a late wake-up);
//   - when the input runs out the peer behaves as a well-behaved server that
//     closed: sends are accepted whole, shutdown and close succeed, wait
//     reports ready, and recv returns 0 (EOF). So no input can hang a correct
//     client: it finishes a bounded number of calls after the input ends.
//   - a hard cap on the number of calls (clock reads included): the call past
//     the cap fails the "bounded" invariant with SOCKCHECK_FUZZ_ASSERT, since
//     a client still calling then is spinning.
//
// The transport records what the client did (FuzzedRecord): the bytes given
// to it and the bytes it sent, the shutdown and close calls, misuse (send
// after a successful shutdown, calls after close, an empty recv buffer), the
// call at which each terminal event first happened (the first fatal error,
// the orderly EOF, the deadline), and a transcript of the last calls for the
// evidence of a failed invariant. The oracle in receive_path.h judges it.
//
// Cost. Every call of every fuzz input goes through here, under ASan and
// with every comparison traced by libFuzzer, so the hot path is kept small:
// the work is done by a class without virtual functions (FuzzedPeer), so
// UBSan checks a vptr once per call rather than at every member access;
// errors are kept as errno values (no std::error_code comparisons, which
// are virtual calls), the transcript is a ring of fixed-size POD entries
// written by index, the byte logs are reserved once per transport so no call
// allocates, and all text (describe(), the evidence of a failed invariant)
// is built in fuzz_report.cc, which runs only when evidence is printed and
// is compiled without coverage instrumentation.
//
// Determinism: no wall clock, no randomness, no globals; two runs on the same
// input make the same answers to the same calls.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "sockcheck/fuzz_input.h"
#include "sockcheck/io.h"

namespace sockcheck {

// ---------------------------------------------------------------------------
// The input encoding, shared by the decoder (FuzzedTransport) and the encoder
// (FuzzScript). Each table maps `byte % size` to an answer; the canonical
// byte of an answer is its first index.

enum class RecvAnswer : std::uint8_t {
  data,         // next byte L: up to L+1 bytes (cut to the buffer and input)
  fill,         // as many bytes as the buffer holds (cut to the input)
  eof,          // 0: the peer closed in order
  interrupted,  // EINTR
  would_block,  // EAGAIN, until wait() reports readable
  reset,        // ECONNRESET (sticky)
  error,        // next byte picks from kRecvErrors (sticky)
};
inline constexpr std::array<RecvAnswer, 16> kRecvTable{
    RecvAnswer::data,        RecvAnswer::data,        RecvAnswer::data,
    RecvAnswer::data,        RecvAnswer::data,        RecvAnswer::data,
    RecvAnswer::data,        RecvAnswer::fill,        RecvAnswer::eof,
    RecvAnswer::interrupted, RecvAnswer::would_block, RecvAnswer::reset,
    RecvAnswer::error,       RecvAnswer::error,       RecvAnswer::data,
    RecvAnswer::fill};

enum class SendAnswer : std::uint8_t {
  all,          // every byte offered is accepted
  partial,      // next byte K: 1 + K % (n - 1) of n bytes (n >= 2)
  interrupted,  // EINTR
  would_block,  // EAGAIN, until wait() reports writable
  error,        // next byte picks from kSendErrors (sticky)
};
inline constexpr std::array<SendAnswer, 8> kSendTable{
    SendAnswer::all,         SendAnswer::all,         SendAnswer::all,
    SendAnswer::partial,     SendAnswer::partial,     SendAnswer::interrupted,
    SendAnswer::would_block, SendAnswer::error};

enum class ShutdownAnswer : std::uint8_t { ok, interrupted, error };
inline constexpr std::array<ShutdownAnswer, 4> kShutdownTable{
    ShutdownAnswer::ok, ShutdownAnswer::ok, ShutdownAnswer::interrupted,
    ShutdownAnswer::error};

enum class CloseAnswer : std::uint8_t { ok, error };
inline constexpr std::array<CloseAnswer, 4> kCloseTable{
    CloseAnswer::ok, CloseAnswer::ok, CloseAnswer::ok, CloseAnswer::error};

enum class WaitAnswer : std::uint8_t {
  ready,          // every direction asked for
  readable_only,  // readable if asked, else writable
  writable_only,  // writable if asked, else readable
  timeout,        // nothing ready; the clock moves to the wait's deadline
  interrupted,    // EINTR
  error,          // next byte (after the clock byte) picks from kWaitErrors
};
inline constexpr std::array<WaitAnswer, 8> kWaitTable{
    WaitAnswer::ready,         WaitAnswer::ready,
    WaitAnswer::ready,         WaitAnswer::readable_only,
    WaitAnswer::writable_only, WaitAnswer::timeout,
    WaitAnswer::interrupted,   WaitAnswer::error};

enum class ConnectAnswer : std::uint8_t { ok, refused, timeout, unreachable };
inline constexpr std::array<ConnectAnswer, 8> kConnectTable{
    ConnectAnswer::ok,      ConnectAnswer::ok,      ConnectAnswer::ok,
    ConnectAnswer::ok,      ConnectAnswer::ok,      ConnectAnswer::refused,
    ConnectAnswer::timeout, ConnectAnswer::unreachable};

// The errors each call can fail with, picked by `byte % size`. Reset-class
// errors (ECONNRESET, EPIPE, ECONNABORTED) are among them on purpose.
inline constexpr std::array<std::errc, 8> kRecvErrors{
    std::errc::timed_out,          std::errc::host_unreachable,
    std::errc::network_unreachable, std::errc::io_error,
    std::errc::no_buffer_space,    std::errc::connection_aborted,
    std::errc::not_connected,      std::errc::network_down};
inline constexpr std::array<std::errc, 8> kSendErrors{
    std::errc::broken_pipe,         std::errc::connection_reset,
    std::errc::connection_aborted,  std::errc::timed_out,
    std::errc::host_unreachable,    std::errc::no_buffer_space,
    std::errc::io_error,            std::errc::network_down};
inline constexpr std::array<std::errc, 4> kShutdownErrors{
    std::errc::not_connected, std::errc::connection_reset,
    std::errc::broken_pipe, std::errc::no_buffer_space};
inline constexpr std::array<std::errc, 2> kCloseErrors{
    std::errc::interrupted, std::errc::io_error};
inline constexpr std::array<std::errc, 4> kWaitErrors{
    std::errc::not_enough_memory, std::errc::invalid_argument,
    std::errc::io_error, std::errc::no_buffer_space};

// One wait answer's clock byte moves the clock by this much per unit.
inline constexpr Duration kWaitTick = std::chrono::milliseconds(1);

// ---------------------------------------------------------------------------
// What the client did, as the transport saw it.

enum class SeamCall : std::uint8_t { now, connect, send, recv, shutdown, close, wait };
[[nodiscard]] std::string_view to_string(SeamCall call) noexcept;

// One call of the transcript: 32 bytes, trivially copyable. The transport
// only stores these on every call; FuzzedRecord::describe() turns them into
// text, and only when evidence is printed (see "Cost" above).
struct TraceEntry {
  enum Flag : std::uint8_t {
    kReadable = 1,   // wait: reported readable
    kWritable = 2,   // wait: reported writable
    kFromInput = 4,  // the answer was read from the input
    kEof = 8,        // recv: returned 0 for the peer's FIN
  };
  std::uint32_t index = 0;  // 1-based ordinal among all calls (low 32 bits)
  SeamCall call = SeamCall::now;
  std::uint8_t flags = 0;   // Flag bits
  std::uint16_t error = 0;  // errno value of the answer (generic category); 0: none
  std::size_t offered = 0;  // send: bytes offered; recv: buffer size
  std::size_t bytes = 0;    // bytes transferred
  Duration::rep clock = 0;  // the clock after the call, in Duration ticks since TimePoint{}

  [[nodiscard]] bool has(Flag f) const noexcept { return (flags & f) != 0; }
  [[nodiscard]] std::error_code error_code() const noexcept {
    return error == 0 ? std::error_code{}
                      : std::error_code(error, std::generic_category());
  }
};
static_assert(std::is_trivially_copyable_v<TraceEntry>);

struct FuzzedRecord {
  // Bytes returned by successful recvs, in order, and bytes accepted by
  // successful sends, in order. The transport reserves their capacity up
  // front (see FuzzedTransport), so appending does not allocate per call.
  std::string given;
  std::string accepted;

  std::size_t calls = 0;  // every call, clock reads included
  std::size_t shutdown_calls = 0;
  std::size_t shutdowns_after_success = 0;  // shutdown after one succeeded
  std::size_t close_calls = 0;
  std::size_t calls_after_close = 0;
  std::size_t sends_after_shutdown = 0;  // send after shutdown succeeded
  std::size_t empty_recv_buffers = 0;    // recv given an empty buffer
  bool shutdown_succeeded = false;
  bool eof_returned = false;

  // The call (1-based ordinal in `calls`) at which each terminal event first
  // happened; 0 when it never did.
  std::size_t first_fatal_call = 0;  // first send/recv/shutdown/wait error
  SeamCall first_fatal_op = SeamCall::now;  //   other than EINTR and EAGAIN
  std::error_code first_fatal_error;
  std::size_t eof_call = 0;          // first recv that returned 0
  std::size_t shutdown_ok_call = 0;  // the shutdown that succeeded
  std::size_t deadline_call = 0;     // first now() >= deadline, or wait timeout

  std::size_t input_consumed = 0;
  bool input_exhausted = false;  // some call found the input empty

  // The last kTraceSize calls: call #i is in trace[i % kTraceSize] (a power
  // of two, so the slot is a mask, not a division). Entries of calls that
  // did not happen are zero (index 0).
  static constexpr std::size_t kTraceSize = 32;
  static_assert((kTraceSize & (kTraceSize - 1)) == 0);
  std::array<TraceEntry, kTraceSize> trace{};

  // A multi-line description (counts, terminal events, transcript, and the
  // given/accepted bytes, escaped and cut) for failure evidence. Defined in
  // fuzz_report.cc, which is not coverage-instrumented.
  [[nodiscard]] std::string describe() const;
};

// Knobs of one transport.
struct FuzzedLimits {
  // The client's overall deadline on this transport's clock, so that a clock
  // read at or past it is recorded as the deadline event.
  TimePoint deadline = TimePoint::max();
  // The call past this many fails the "bounded" invariant (see top).
  std::size_t max_calls = 4096;
  // Capacity reserved for FuzzedRecord::accepted (the request's size, when
  // the caller knows it). Only a hint: more bytes grow the string.
  std::size_t accepted_reserve = 0;
};

// The bound on calls that check_receive_path uses for an input of `size`
// bytes: a correct client reads at least one byte of input every few calls
// until the input ends, then finishes in a few more.
[[nodiscard]] constexpr std::size_t call_bound_for(std::size_t size) noexcept {
  return 8 * size + 64;
}

// The evidence of a failed "bounded" invariant (fuzz_report.cc).
[[nodiscard]] std::string describe_unbounded(const FuzzedRecord& record,
                                             std::size_t max_calls,
                                             std::size_t index, SeamCall call);

// The state of the fuzzed peer and the decoding of its answers: everything
// FuzzedTransport and FuzzedConnection do, in a class without virtual
// functions. Why: under -fsanitize=undefined every member access through a
// polymorphic object is checked against its vptr (a hash, a cache lookup
// and a branch), and under libFuzzer that comparison is traced and that
// branch is an edge, on every access of every call. The polymorphic seam
// classes below only forward here, so each seam call pays one such check
// instead of dozens. Not for direct use: tests and targets use the seam.
class FuzzedPeer {
 public:
  // Reserves FuzzedRecord::given for every byte left in `input` (recv
  // answers are taken from it, so they never need more) and
  // FuzzedRecord::accepted for `limits.accepted_reserve` bytes.
  FuzzedPeer(FuzzInput& input, FuzzedLimits limits);
  FuzzedPeer(const FuzzedPeer&) = delete;
  FuzzedPeer& operator=(const FuzzedPeer&) = delete;

  TimePoint now();
  // Decodes a connect answer. Returns the error (0: connected) and marks
  // the connection as handed out on success.
  int connect(TimePoint deadline);
  // Hands the connection out without reading input; false if it was.
  bool open() noexcept;

  IoResult send(std::span<const std::byte> data);
  IoResult recv(std::span<std::byte> buffer);
  IoResult shutdown();
  IoResult close();
  WaitResult wait(bool want_read, bool want_write, TimePoint deadline);

  [[nodiscard]] const FuzzedRecord& record() const noexcept { return record_; }
  [[nodiscard]] FuzzedRecord take_record() noexcept { return std::move(record_); }

 private:
  // Counts a call, enforces the cap, and returns its 1-based ordinal.
  std::size_t begin_call(SeamCall call);
  // Notes a fatal error (errno value; first one wins) and makes it sticky.
  // EINTR and EAGAIN are not fatal and are ignored.
  void note_error(std::size_t index, SeamCall call, int error) noexcept;
  // Stores call #index in the transcript.
  void trace(std::size_t index, SeamCall call, std::uint8_t flags, int error,
             std::size_t offered = 0, std::size_t bytes = 0) noexcept;
  // Reads the op byte for a table, noting input exhaustion. Returns false
  // when the input is empty.
  bool take_op(std::uint8_t& op) noexcept;

  FuzzInput& input_;
  FuzzedLimits limits_;
  TimePoint clock_{};
  bool connected_ = false;
  bool closed_ = false;
  bool recv_blocked_ = false;
  bool send_blocked_ = false;
  int sticky_error_ = 0;  // errno value; 0: none
  FuzzedRecord record_;
};

class FuzzedTransport;

// A thin handle on its transport's connection state (see FuzzedTransport).
// Lifetime: must not outlive its transport.
class FuzzedConnection : public Connection {
 public:
  explicit FuzzedConnection(FuzzedTransport& transport) noexcept;

  IoResult send(std::span<const std::byte> data) override {
    return peer_.send(data);
  }
  IoResult recv(std::span<std::byte> buffer) override {
    return peer_.recv(buffer);
  }
  IoResult shutdown_write() override { return peer_.shutdown(); }
  IoResult close() override { return peer_.close(); }
  WaitResult wait(bool want_read, bool want_write,
                  TimePoint deadline) override {
    return peer_.wait(want_read, want_write, deadline);
  }

 private:
  FuzzedPeer& peer_;
};

// The clock and the single connection's state. Lifetime: `input` must
// outlive the transport, and the transport every connection it handed out.
// At most one connection per transport: the state, and so the record, is
// that of one exchange.
class FuzzedTransport : public Transport {
 public:
  // See FuzzedPeer's constructor for what it reserves.
  FuzzedTransport(FuzzInput& input, FuzzedLimits limits)
      : peer_(input, limits), connection_(*this) {}
  FuzzedTransport(const FuzzedTransport&) = delete;
  FuzzedTransport& operator=(const FuzzedTransport&) = delete;

  // Starts at TimePoint{}; moves only in wait(). Counts as a call.
  TimePoint now() override { return peer_.now(); }
  // Reads one op byte. A second connect fails with EMFILE.
  ConnectResult connect(const Endpoint& to, TimePoint deadline) override;
  // The connection, handed out without reading input (for run_exchange
  // style use). Same single-connection rule as connect().
  std::unique_ptr<FuzzedConnection> open();
  // The same without a heap allocation: the connection lives inside the
  // transport (nullptr when a connection was already handed out).
  FuzzedConnection* open_in_place() noexcept;

  [[nodiscard]] const FuzzedRecord& record() const noexcept {
    return peer_.record();
  }
  // Moves the record out (at the end of a run).
  [[nodiscard]] FuzzedRecord take_record() noexcept {
    return peer_.take_record();
  }

 private:
  friend class FuzzedConnection;

  FuzzedPeer peer_;
  FuzzedConnection connection_;
};

inline FuzzedConnection::FuzzedConnection(FuzzedTransport& transport) noexcept
    : peer_(transport.peer_) {}

}  // namespace sockcheck
