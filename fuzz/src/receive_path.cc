// The receive-path check. See receive_path.h for the input layout and the
// invariants; this file runs the client and states each invariant once.
//
// The oracle classifies errors with its own list, not with the client's
// is_reset(), so that a wrong classification in the client is caught rather
// than shared.
//
// Everything here runs once per fuzz input, so it allocates as little as it
// can and builds no text: the evidence of a failed invariant is describe()
// (fuzz_report.cc), called only inside SOCKCHECK_FUZZ_ASSERT's failure branch.
#include "sockcheck/receive_path.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

#include "sockcheck/fuzz_assert.h"

namespace sockcheck {

namespace {

constexpr std::string_view kRequestText =
    "GET /index.html HTTP/1.0\r\nHost: sockcheck.test\r\nX-Pad: ";

// The longest request the header can ask for, built once at compile time
// so that a run only takes a view of it.
constexpr std::size_t kMaxRequest = 255;
constexpr std::array<char, kMaxRequest> kLongestRequest = [] {
  std::array<char, kMaxRequest> out{};
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = kRequestText[i % kRequestText.size()];
  }
  return out;
}();

// Checks what the client hands out against what recv gave, as it arrives:
// chunk k must be the bytes of `given` at the running offset. `given` is
// the live record of the transport, which only grows, so a correct client,
// which cannot deliver a byte before it received it, always finds it there.
// Not polymorphic, for the reason FuzzedPeer is not (fuzzed_transport.h):
// DeliveryObserver only forwards to it.
class DeliveryCheck {
 public:
  DeliveryCheck(const std::string& given, ReceivePathRun& run)
      : given_(given), run_(run) {}

  void data(std::span<const std::byte> chunk) {
    const std::size_t at = run_.observed_size;
    run_.observed_size += chunk.size();
    if (chunk.empty() ||
        run_.observed_mismatch_at != ReceivePathRun::kNoMismatch) {
      return;
    }
    // While every byte matched, `at` <= given_.size().
    if (chunk.size() > given_.size() - at ||
        std::memcmp(given_.data() + at, chunk.data(), chunk.size()) != 0) {
      run_.observed_mismatch_at = at + first_difference(at, chunk);
    }
  }
  void end_of_stream() { ++run_.observer_end_of_stream; }

 private:
  // The offset in `chunk` of its first byte that differs from `given_` at
  // `at` (or lies past its end). Only called on a mismatch.
  [[gnu::cold]] std::size_t first_difference(
      std::size_t at, std::span<const std::byte> chunk) const {
    std::size_t i = 0;
    while (i < chunk.size() && at + i < given_.size() &&
           static_cast<unsigned char>(given_[at + i]) ==
               static_cast<unsigned char>(chunk[i])) {
      ++i;
    }
    return i;
  }

  const std::string& given_;
  ReceivePathRun& run_;
};

class DeliveryObserver : public ClientObserver {
 public:
  explicit DeliveryObserver(DeliveryCheck& check) : check_(check) {}
  void on_data(std::span<const std::byte> chunk) override {
    check_.data(chunk);
  }
  void on_end_of_stream() override { check_.end_of_stream(); }

 private:
  DeliveryCheck& check_;
};

bool oracle_is_reset(const std::error_code& ec) {
  return ec == std::errc::connection_reset || ec == std::errc::broken_pipe ||
         ec == std::errc::connection_aborted;
}

Operation operation_of(SeamCall call) {
  switch (call) {
    case SeamCall::send: return Operation::send;
    case SeamCall::recv: return Operation::recv;
    case SeamCall::shutdown: return Operation::shutdown;
    case SeamCall::wait: return Operation::wait;
    case SeamCall::connect: return Operation::connect;
    case SeamCall::now:
    case SeamCall::close: break;
  }
  return Operation::none;
}

}  // namespace

ReceivePathSetup decode_receive_path_header(FuzzInput& input) {
  ReceivePathSetup s;
  s.recv_buffer_size = std::size_t{input.take_byte()} + 1;
  s.request = std::string_view(kLongestRequest.data(), input.take_byte());
  s.timeout = std::chrono::milliseconds(10) * (int{input.take_byte()} + 1);
  s.keep_response = (input.take_byte() & 1U) == 0;
  return s;
}

std::string receive_path_request(std::size_t size) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    out[i] = kRequestText[i % kRequestText.size()];
  }
  return out;
}

const ExchangeClient& reference_exchange() {
  static const ExchangeClient client = [](Connection& conn, Clock& clock,
                                           std::span<const std::byte> request,
                                           TimePoint deadline,
                                           const ClientOptions& options,
                                           ClientObserver* observer) {
    return run_exchange(conn, clock, request, deadline, options, observer);
  };
  return client;
}

ReceivePathRun run_receive_path(std::span<const std::uint8_t> input,
                                const ExchangeClient& client) {
  ReceivePathRun run;
  run.input_size = input.size();
  FuzzInput in(input);
  run.setup = decode_receive_path_header(in);
  run.deadline = TimePoint{} + run.setup.timeout;

  FuzzedTransport transport(in, FuzzedLimits{run.deadline,
                                             call_bound_for(input.size()),
                                             run.setup.request.size()});
  FuzzedConnection* const conn = transport.open_in_place();
  ClientOptions options;
  options.timeout = run.setup.timeout;
  options.recv_buffer_size = run.setup.recv_buffer_size;
  options.keep_response = run.setup.keep_response;
  DeliveryCheck check(transport.record().given, run);
  DeliveryObserver observer(check);
  run.result = client(*conn, transport, as_bytes(run.setup.request),
                      run.deadline, options, &observer);
  run.record = transport.take_record();
  return run;
}

std::optional<ExpectedEnd> expected_end(const FuzzedRecord& r) {
  std::optional<ExpectedEnd> best;
  auto consider = [&best](const ExpectedEnd& e) {
    if (e.call != 0 && (!best || e.call < best->call)) best = e;
  };
  if (r.first_fatal_call != 0) {
    const bool reset = oracle_is_reset(r.first_fatal_error);
    const bool either = r.first_fatal_op == SeamCall::shutdown &&
                        r.first_fatal_error == std::errc::not_connected;
    consider({reset ? Outcome::reset : Outcome::error, either,
              r.first_fatal_error, operation_of(r.first_fatal_op),
              r.first_fatal_call, "the first fatal error"});
  }
  if (r.eof_call != 0 && r.shutdown_ok_call != 0) {
    consider({Outcome::closed, false, {}, Operation::none,
              std::max(r.eof_call, r.shutdown_ok_call),
              "EOF after the request was sent and half-closed"});
  }
  if (r.deadline_call != 0) {
    consider({Outcome::timed_out, false, {}, Operation::none, r.deadline_call,
              "the deadline was reached"});
  }
  return best;
}

void check_receive_path_run(const ReceivePathRun& run) {
  const ClientResult& res = run.result;
  const FuzzedRecord& rec = run.record;
  const auto evidence = [&run] { return describe(run); };

  // closes-once
  SOCKCHECK_FUZZ_ASSERT(rec.close_calls == 1, "closes-once", evidence());
  SOCKCHECK_FUZZ_ASSERT(rec.calls_after_close == 0, "closes-once", evidence());

  // half-close
  SOCKCHECK_FUZZ_ASSERT(rec.sends_after_shutdown == 0, "half-close",
                        evidence());
  SOCKCHECK_FUZZ_ASSERT(rec.shutdowns_after_success == 0, "half-close",
                        evidence());
  SOCKCHECK_FUZZ_ASSERT(res.half_closed == rec.shutdown_succeeded,
                        "honest-outcome", evidence());

  // recv-buffer
  SOCKCHECK_FUZZ_ASSERT(rec.empty_recv_buffers == 0, "recv-buffer",
                        evidence());

  // response-delivered: what the observer got, checked chunk by chunk as it
  // arrived (DeliveryObserver), is the whole of what recv gave.
  SOCKCHECK_FUZZ_ASSERT(
      run.observed_mismatch_at == ReceivePathRun::kNoMismatch &&
          run.observed_size == rec.given.size(),
      "response-delivered", evidence());
  SOCKCHECK_FUZZ_ASSERT(res.bytes_received == rec.given.size(),
                        "response-delivered", evidence());
  if (run.setup.keep_response) {
    SOCKCHECK_FUZZ_ASSERT(res.response == rec.given, "response-delivered",
                          evidence());
  } else {
    SOCKCHECK_FUZZ_ASSERT(res.response.empty(), "response-delivered",
                          evidence());
  }

  // request-delivered
  const std::string_view request = run.setup.request;
  SOCKCHECK_FUZZ_ASSERT(
      rec.accepted.size() <= request.size() &&
          request.substr(0, rec.accepted.size()) == rec.accepted,
      "request-delivered", evidence());
  SOCKCHECK_FUZZ_ASSERT(res.bytes_sent == rec.accepted.size(),
                        "request-delivered", evidence());

  // honest-outcome
  const std::optional<ExpectedEnd> expected = expected_end(rec);
  SOCKCHECK_FUZZ_ASSERT(expected.has_value(), "honest-outcome", evidence());
  SOCKCHECK_FUZZ_ASSERT(
      res.outcome == expected->outcome ||
          (expected->reset_or_error &&
           (res.outcome == Outcome::reset || res.outcome == Outcome::error)),
      "honest-outcome", evidence());
  if (expected->outcome == Outcome::reset ||
      expected->outcome == Outcome::error) {
    SOCKCHECK_FUZZ_ASSERT(res.error == expected->error, "honest-outcome",
                          evidence());
    SOCKCHECK_FUZZ_ASSERT(res.failed_operation == expected->operation,
                          "honest-outcome", evidence());
  }
  if (res.outcome == Outcome::closed) {
    SOCKCHECK_FUZZ_ASSERT(!res.error, "honest-outcome", evidence());
    SOCKCHECK_FUZZ_ASSERT(rec.accepted.size() == request.size(),
                          "request-delivered", evidence());
  }
  SOCKCHECK_FUZZ_ASSERT(res.saw_end_of_stream == rec.eof_returned,
                        "honest-outcome", evidence());

  // bounded (the call count is enforced at each call by the transport)
  SOCKCHECK_FUZZ_ASSERT(rec.calls <= call_bound_for(run.input_size),
                        "bounded", evidence());
  SOCKCHECK_FUZZ_ASSERT(res.response.size() <= run.input_size, "bounded",
                        evidence());
}

int check_receive_path(const std::uint8_t* data, std::size_t size,
                       const ExchangeClient& client) {
  std::span<const std::uint8_t> input;
  if (data != nullptr) input = {data, size};
  check_receive_path_run(run_receive_path(input, client));
  return 0;
}

int check_receive_path(const std::uint8_t* data, std::size_t size) {
  return check_receive_path(data, size, reference_exchange());
}

}  // namespace sockcheck
