// The receive-path check. See receive_path.h for the input layout and the
// invariants; this file runs the client and states each invariant once.
//
// The oracle classifies errors with its own list, not with the client's
// is_reset(), so that a wrong classification in the client is caught rather
// than shared.
#include "sockcheck/receive_path.h"

#include <algorithm>
#include <string_view>

#include "sockcheck/fuzz_assert.h"

namespace sockcheck {

namespace {

constexpr std::string_view kRequestText =
    "GET /index.html HTTP/1.0\r\nHost: sockcheck.test\r\nX-Pad: ";

// Collects what the client hands out, in order.
class CollectingObserver : public ClientObserver {
 public:
  explicit CollectingObserver(std::string& sink, std::size_t& ends)
      : sink_(sink), ends_(ends) {}
  void on_data(std::span<const std::byte> chunk) override {
    sink_.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
  }
  void on_end_of_stream() override { ++ends_; }

 private:
  std::string& sink_;
  std::size_t& ends_;
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

std::string error_text(const std::error_code& ec) {
  return ec ? error_name(ec) : std::string("none");
}

}  // namespace

ReceivePathSetup decode_receive_path_header(FuzzInput& input) {
  ReceivePathSetup s;
  s.recv_buffer_size = std::size_t{input.take_byte()} + 1;
  s.request = receive_path_request(input.take_byte());
  s.timeout = std::chrono::milliseconds(10) * (int{input.take_byte()} + 1);
  s.keep_response = (input.take_byte() & 1U) == 0;
  return s;
}

std::string receive_path_request(std::size_t size) {
  std::string out;
  out.reserve(size);
  while (out.size() < size) {
    out.append(kRequestText.substr(
        0, std::min(kRequestText.size(), size - out.size())));
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

  FuzzedTransport transport(
      in, FuzzedLimits{run.deadline, call_bound_for(input.size())});
  const std::unique_ptr<FuzzedConnection> conn = transport.open();
  ClientOptions options;
  options.timeout = run.setup.timeout;
  options.recv_buffer_size = run.setup.recv_buffer_size;
  options.keep_response = run.setup.keep_response;
  CollectingObserver observer(run.observed, run.observer_end_of_stream);
  run.result = client(*conn, transport, as_bytes(run.setup.request),
                      run.deadline, options, &observer);
  run.record = transport.take_record();
  return run;
}

std::optional<ExpectedEnd> expected_end(const FuzzedRecord& r) {
  std::optional<ExpectedEnd> best;
  auto consider = [&best](ExpectedEnd e) {
    if (e.call != 0 && (!best || e.call < best->call)) best = std::move(e);
  };
  if (r.first_fatal_call != 0) {
    const bool reset = oracle_is_reset(r.first_fatal_error);
    const bool either = r.first_fatal_op == SeamCall::shutdown &&
                        r.first_fatal_error == std::errc::not_connected;
    consider({reset ? Outcome::reset : Outcome::error, either,
              r.first_fatal_error, operation_of(r.first_fatal_op),
              r.first_fatal_call,
              std::string(to_string(r.first_fatal_op)) + " failed with " +
                  error_text(r.first_fatal_error) +
                  (either ? " (reset or error)" : "")});
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

std::string describe(const ReceivePathRun& run) {
  const ClientResult& res = run.result;
  std::string out;
  out += "  input: " + std::to_string(run.input_size) +
         " bytes; recv buffer " + std::to_string(run.setup.recv_buffer_size) +
         ", request " + std::to_string(run.setup.request.size()) +
         " bytes, timeout " +
         std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                            run.setup.timeout)
                            .count()) +
         "ms, keep_response " + (run.setup.keep_response ? "yes" : "no") +
         "\n";
  out += "  client result: outcome " + std::string(to_string(res.outcome)) +
         ", error " + error_text(res.error) + " from " +
         std::string(to_string(res.failed_operation)) + ", bytes_sent " +
         std::to_string(res.bytes_sent) + ", bytes_received " +
         std::to_string(res.bytes_received) + ", half_closed " +
         (res.half_closed ? "yes" : "no") + ", saw_end_of_stream " +
         (res.saw_end_of_stream ? "yes" : "no") + ", response " +
         std::to_string(res.response.size()) + " bytes, observed " +
         std::to_string(run.observed.size()) + " bytes\n";
  const std::optional<ExpectedEnd> e = expected_end(run.record);
  out += "  expected: " +
         (e ? std::string(to_string(e->outcome)) + " (" + e->why +
                  ", call " + std::to_string(e->call) + ")"
            : std::string("no terminal event happened")) +
         "\n";
  out += run.record.describe();
  return out;
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

  // response-delivered
  SOCKCHECK_FUZZ_ASSERT(run.observed == rec.given, "response-delivered",
                        evidence());
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
