// The receive-path check: a client runs one exchange on the fuzzed backend
// and an oracle judges what it did against what the backend told it.
//
// Theory of operation. An input is a 4-byte header followed by the answers
// of the fuzzed backend (fuzzed_transport.h), in the order the client asks:
//
//   byte 0  recv buffer size: 1 + b            (1..256 bytes, so chunks that
//                                               fill the buffer are common)
//   byte 1  request size: b                    (0..255 bytes of a fixed text)
//   byte 2  timeout: (b + 1) * 10 ms            (on the virtual clock)
//   byte 3  bit 0 set: keep_response = false   (other bits reserved, ignored)
//
// Missing header bytes read as 0. run_receive_path() runs the client under
// test with those options on a fresh FuzzedTransport, collecting every chunk
// through a ClientObserver. check_receive_path_run() then checks, with the
// always-on SOCKCHECK_FUZZ_ASSERT, these invariants (the names are printed):
//
//   response-delivered  the bytes delivered (to the observer, and in the
//                       result when kept) are exactly the concatenation of
//                       the bytes recv gave, in order; bytes_received agrees
//   request-delivered   the bytes send accepted are a prefix of the request;
//                       bytes_sent agrees; `closed` only with all of it
//   honest-outcome      the outcome is that of the FIRST terminal event the
//                       client was shown:
//                         a fatal error (not EINTR/EAGAIN) from send, recv,
//                           shutdown or wait  ⇒ reset for ECONNRESET, EPIPE,
//                           ECONNABORTED, else error (either for ENOTCONN
//                           from shutdown, which follows an RST on Linux);
//                           with that error code and the operation
//                         EOF once the request was sent and shutdown_write
//                           succeeded (whichever came last)  ⇒ closed
//                         the deadline (a clock read at or past it, or a
//                           wait that timed out there)  ⇒ timed_out
//                       and a client that stops before any of them is wrong;
//                       half_closed and saw_end_of_stream tell the truth
//   half-close          no send after shutdown_write succeeded, and no
//                       shutdown_write after one succeeded (EINTR retries of
//                       a failed one are fine)
//   closes-once         close() exactly once, and no call after it
//   recv-buffer         recv is never given an empty buffer
//   bounded             at most call_bound_for(input size) calls (checked at
//                       each call, so a spinning client stops there), and the
//                       response kept is no larger than the input
//
// The client under test is a parameter, so the same check judges the
// reference client (client.h), planted faulty clients (fuzz/planted/) and a
// downstream user's own client written against the seam.
//
// Cost. check_receive_path() runs for every fuzz input, so a run makes few
// allocations (the request is a view of a constant text; the delivered
// bytes are compared with the given ones chunk by chunk as the observer
// receives them instead of being copied; the transport reserves its logs
// once) and builds no text unless an invariant fails: describe() and the
// other evidence live in fuzz_report.cc, which is compiled without coverage
// instrumentation because it only runs for a failure or a tool. The recv
// buffer is at most 256 bytes, so the client's buffer is small to allocate
// and clear; chunking, not buffer size, is what the target explores.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "sockcheck/client.h"
#include "sockcheck/fuzz_input.h"
#include "sockcheck/fuzzed_transport.h"

namespace sockcheck {

inline constexpr std::size_t kReceivePathHeaderSize = 4;

// The client options and request one input's header asks for.
struct ReceivePathSetup {
  std::size_t recv_buffer_size = 1;
  // A view of a constant text (static storage), at most 255 bytes.
  std::string_view request;
  Duration timeout{};
  bool keep_response = true;
};

// Reads the header (kReceivePathHeaderSize bytes) from `input`.
[[nodiscard]] ReceivePathSetup decode_receive_path_header(FuzzInput& input);

// The request of `size` bytes: a fixed HTTP-like text, repeated. The bytes
// do not come from the input, so that the input is spent on the peer.
// decode_receive_path_header() uses the first bytes of the same text.
[[nodiscard]] std::string receive_path_request(std::size_t size);

// Any client written against the seam: the shape of run_exchange().
using ExchangeClient = std::function<ClientResult(
    Connection&, Clock&, std::span<const std::byte> request,
    TimePoint deadline, const ClientOptions&, ClientObserver*)>;

// The reference client, sockcheck::run_exchange.
[[nodiscard]] const ExchangeClient& reference_exchange();

// Everything one run produced.
struct ReceivePathRun {
  std::size_t input_size = 0;
  ReceivePathSetup setup;
  TimePoint deadline{};
  ClientResult result;
  // What ClientObserver::on_data delivered: its total size, and the offset
  // of the first delivered byte that is not the byte recv gave at that
  // position (or lies past what recv had given so far); kNoMismatch when
  // every one matched. Compared as it arrives, so nothing is copied.
  static constexpr std::size_t kNoMismatch = static_cast<std::size_t>(-1);
  std::size_t observed_size = 0;
  std::size_t observed_mismatch_at = kNoMismatch;
  std::size_t observer_end_of_stream = 0;  // on_end_of_stream calls
  FuzzedRecord record;
};

// Runs `client` on `input` without judging it (the call cap still applies).
[[nodiscard]] ReceivePathRun run_receive_path(std::span<const std::uint8_t> input,
                                              const ExchangeClient& client);

// How the exchange must end, by the first terminal event in `record`; empty
// when none happened.
struct ExpectedEnd {
  Outcome outcome = Outcome::error;
  // Also honest: ENOTCONN from shutdown_write is what Linux reports after
  // the peer's RST tore the connection down, so `reset` and `error` are
  // both accepted for it.
  bool reset_or_error = false;
  std::error_code error;          // for reset and error
  Operation operation = Operation::none;  // for reset and error
  std::size_t call = 0;           // the call that was the terminal event
  std::string_view why;           // static text, for evidence
};
[[nodiscard]] std::optional<ExpectedEnd> expected_end(const FuzzedRecord& record);

// Checks every invariant above; aborts with the evidence on a violation.
void check_receive_path_run(const ReceivePathRun& run);

// run_receive_path + check_receive_path_run. Returns 0 (libFuzzer's
// convention) or does not return.
int check_receive_path(const std::uint8_t* data, std::size_t size,
                       const ExchangeClient& client);
// The same for the reference client: the body of the fuzz target.
int check_receive_path(const std::uint8_t* data, std::size_t size);

// A multi-line description of a run for evidence and for tools
// (fuzz_report.cc).
[[nodiscard]] std::string describe(const ReceivePathRun& run);

}  // namespace sockcheck
