// The reference client's state machine. See client.h for the contract.
//
// One Exchange object lives for one run_exchange() call. Its loop makes the
// calls that can make progress right now (send what is left, recv what has
// arrived) and only waits, on every direction it still needs, when all of
// them reported EAGAIN. Every way out of the loop goes through finish(), and
// run() closes the connection exactly once after the loop.
#include "sockcheck/client.h"

#include <algorithm>
#include <vector>

namespace sockcheck {

std::string_view to_string(Outcome o) noexcept {
  switch (o) {
    case Outcome::closed: return "closed";
    case Outcome::reset: return "reset";
    case Outcome::timed_out: return "timed-out";
    case Outcome::refused: return "refused";
    case Outcome::connect_failed: return "connect-failed";
    case Outcome::error: return "error";
  }
  return "unknown";
}

std::string_view to_string(Operation op) noexcept {
  switch (op) {
    case Operation::none: return "none";
    case Operation::connect: return "connect";
    case Operation::send: return "send";
    case Operation::shutdown: return "shutdown";
    case Operation::recv: return "recv";
    case Operation::wait: return "wait";
  }
  return "unknown";
}

namespace {

enum class State { sending, receiving, done };

// What one attempt at a call did.
enum class Step { progressed, blocked, finished };

class Exchange {
 public:
  Exchange(Connection& conn, Clock& clock, std::span<const std::byte> request,
           TimePoint deadline, const ClientOptions& options,
           ClientObserver* observer)
      : conn_(conn),
        clock_(clock),
        request_(request),
        deadline_(deadline),
        options_(options),
        observer_(observer != nullptr ? observer : &null_observer_),
        buffer_(std::max<std::size_t>(options.recv_buffer_size, 1)) {}

  ClientResult run() {
    if (request_.empty()) observer_->on_request_sent(0);
    while (state_ != State::done) {
      if (clock_.now() >= deadline_) {
        finish(Outcome::timed_out, Operation::wait,
               std::make_error_code(std::errc::timed_out));
        break;
      }
      const Step sent = state_ == State::sending ? try_send() : Step::blocked;
      if (state_ == State::done) break;
      const Step received = eof_ ? Step::blocked : try_recv();
      if (state_ == State::done) break;
      if (state_ == State::receiving && eof_) {
        finish(Outcome::closed, Operation::none, {});
        break;
      }
      // Wait only when every direction still needed is blocked. A send that
      // just finished the request needs no more service, so the recv that
      // followed it decides alone.
      const bool send_idle = state_ != State::sending || sent == Step::blocked;
      const bool recv_idle = eof_ || received == Step::blocked;
      if (send_idle && recv_idle) wait();
    }
    result_.close_error = conn_.close().error;
    return std::move(result_);
  }

 private:
  // Sends what is left of the request; once all of it is out, half-closes.
  Step try_send() {
    bool progressed = false;
    if (result_.bytes_sent < request_.size()) {
      const IoResult r = conn_.send(request_.subspan(result_.bytes_sent));
      if (r.ok() && r.bytes == 0) {
        // Nothing accepted without an error breaks the seam's contract;
        // treat it as "would block" so a faulty backend makes the client
        // wait, not spin.
        return Step::blocked;
      }
      if (!r.ok()) {
        if (is_interrupted(r.error)) return Step::progressed;
        if (is_would_block(r.error)) return Step::blocked;
        fail(Operation::send, r.error);
        return Step::finished;
      }
      // A conforming backend never reports more than it was given; clamp so
      // a faulty one cannot push the cursor past the request.
      result_.bytes_sent += std::min(r.bytes, request_.size() - result_.bytes_sent);
      if (result_.bytes_sent < request_.size()) return Step::progressed;
      observer_->on_request_sent(result_.bytes_sent);
      progressed = true;
    }
    const Step s = try_shutdown();
    return s == Step::blocked && progressed ? Step::progressed : s;
  }

  // shutdown(SHUT_WR). It does not block on real sockets; EINTR and EAGAIN
  // (which a simulated or odd backend may report) are retried like any
  // other call, bounded by the deadline.
  Step try_shutdown() {
    const IoResult r = conn_.shutdown_write();
    if (r.ok()) {
      result_.half_closed = true;
      state_ = State::receiving;
      return Step::progressed;
    }
    if (is_interrupted(r.error)) return Step::progressed;
    if (is_would_block(r.error)) return Step::blocked;
    if (r.error == std::errc::not_connected) {
      // Linux: shutdown() after the peer's RST fails with ENOTCONN.
      finish(Outcome::reset, Operation::shutdown, r.error);
      return Step::finished;
    }
    fail(Operation::shutdown, r.error);
    return Step::finished;
  }

  Step try_recv() {
    const IoResult r = conn_.recv(buffer_);
    if (r.ok()) {
      if (r.bytes == 0) {
        eof_ = true;
        result_.saw_end_of_stream = true;
        observer_->on_end_of_stream();
        return Step::progressed;
      }
      const std::size_t n = std::min(r.bytes, buffer_.size());
      const std::span<const std::byte> chunk(buffer_.data(), n);
      result_.bytes_received += n;
      if (options_.keep_response) {
        result_.response.append(reinterpret_cast<const char*>(chunk.data()), n);
      }
      observer_->on_data(chunk);
      return Step::progressed;
    }
    if (is_interrupted(r.error)) return Step::progressed;
    if (is_would_block(r.error)) return Step::blocked;
    fail(Operation::recv, r.error);
    return Step::finished;
  }

  void wait() {
    const WaitResult w =
        conn_.wait(/*want_read=*/!eof_,
                   /*want_write=*/state_ == State::sending, deadline_);
    // EINTR, and EAGAIN (poll() may report a transient lack of memory),
    // are retried: the deadline bounds the retries.
    if (w.error && !is_interrupted(w.error) && !is_would_block(w.error)) {
      fail(Operation::wait, w.error);
    }
    // A timeout is noticed at the top of the loop, against the clock, so a
    // backend that wakes early cannot make the client give up early.
  }

  void fail(Operation op, std::error_code ec) {
    finish(is_reset(ec) ? Outcome::reset : Outcome::error, op, ec);
  }

  void finish(Outcome outcome, Operation op, std::error_code ec) {
    result_.outcome = outcome;
    result_.failed_operation = op;
    result_.error = ec;
    state_ = State::done;
  }

  Connection& conn_;
  Clock& clock_;
  std::span<const std::byte> request_;
  TimePoint deadline_;
  const ClientOptions& options_;
  ClientObserver null_observer_;
  ClientObserver* observer_;
  std::vector<std::byte> buffer_;
  State state_ = State::sending;
  bool eof_ = false;
  ClientResult result_;
};

}  // namespace

ClientResult run_exchange(Connection& conn, Clock& clock,
                          std::span<const std::byte> request,
                          TimePoint deadline, const ClientOptions& options,
                          ClientObserver* observer) {
  return Exchange(conn, clock, request, deadline, options, observer).run();
}

namespace {

ClientResult connect_and_exchange(Transport& transport, const Endpoint& to,
                                  std::span<const std::byte> request,
                                  TimePoint deadline, const ClientOptions& options,
                                  ClientObserver* observer) {
  ConnectResult c = transport.connect(to, deadline);
  if (!c.connection) {
    ClientResult r;
    r.failed_operation = Operation::connect;
    r.error = c.error ? c.error : std::make_error_code(std::errc::not_connected);
    if (r.error == std::errc::connection_refused) {
      r.outcome = Outcome::refused;
    } else if (is_reset(r.error)) {
      // Accepted, then reset before the handshake was confirmed to us.
      r.outcome = Outcome::reset;
    } else if (r.error == std::errc::timed_out) {
      r.outcome = Outcome::timed_out;
    } else {
      r.outcome = Outcome::connect_failed;
    }
    return r;
  }
  return run_exchange(*c.connection, transport, request, deadline, options,
                      observer);
}

// Refused, or reset before any reply byte: the server has answered
// nothing, so asking again cannot duplicate an answer.
bool worth_retrying(const ClientResult& r) {
  return (r.outcome == Outcome::refused || r.outcome == Outcome::reset) &&
         r.bytes_received == 0;
}

}  // namespace

ClientResult run_client(Transport& transport, const Endpoint& to,
                        std::span<const std::byte> request,
                        const ClientOptions& options,
                        ClientObserver* observer) {
  const TimePoint deadline = transport.now() + options.timeout;
  ClientResult r = connect_and_exchange(transport, to, request, deadline, options, observer);
  for (int connection = 2; connection <= 1 + std::max(options.retries, 0) &&
                           worth_retrying(r) && transport.now() < deadline;
       ++connection) {
    if (observer != nullptr) observer->on_retry(connection, r);
    r = connect_and_exchange(transport, to, request, deadline, options, observer);
    r.connections = connection;
  }
  return r;
}

}  // namespace sockcheck
