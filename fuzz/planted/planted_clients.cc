// The planted faulty clients. See planted_clients.h. The loop is a copy of
// client/src/client.cc's Exchange; every `if (is(Defect::…))` marks the one
// place a defect changes it.
#include "planted/planted_clients.h"

#include <algorithm>
#include <array>
#include <vector>

namespace sockcheck::planted {

namespace {

constexpr std::array<DefectInfo, 9> kDefects{{
    {Defect::off_by_one_buffer, "off-by-one-buffer", "response-delivered",
     "a chunk that fills the recv buffer loses its last byte (room kept for "
     "a terminator)"},
    {Defect::eintr_fatal, "eintr-fatal", "honest-outcome",
     "EINTR from recv ends the exchange as an error instead of a retry"},
    {Defect::short_read_ends_response, "short-read-ends-response",
     "honest-outcome",
     "a recv that does not fill the buffer is taken for the end of the "
     "response; the rest is dropped"},
    {Defect::reset_as_eof, "reset-as-eof", "honest-outcome",
     "ECONNRESET from recv is reported as an orderly close"},
    {Defect::close_retried_on_eintr, "close-retried-on-eintr", "closes-once",
     "close() is called again when it reported EINTR"},
    {Defect::half_close_on_eagain, "half-close-on-eagain", "half-close",
     "EAGAIN from send is taken for 'queued': FIN is sent at once and the "
     "rest of the request after it"},
    {Defect::short_send_not_continued, "short-send-not-continued",
     "request-delivered",
     "a short send is taken for the whole request (the Winsock sample's "
     "mistake)"},
    {Defect::eagain_busy_loop, "eagain-busy-loop", "bounded",
     "EAGAIN from recv is retried at once instead of waiting for readiness"},
    {Defect::deadline_ignored, "deadline-ignored", "honest-outcome",
     "the clock is never read and a wait that timed out is simply retried, "
     "so the exchange runs past its deadline"},
}};

enum class State { sending, receiving, done };
enum class Step { progressed, blocked, finished };

class PlantedExchange {
 public:
  PlantedExchange(Defect defect, Connection& conn, Clock& clock,
                  std::span<const std::byte> request, TimePoint deadline,
                  const ClientOptions& options, ClientObserver* observer)
      : defect_(defect),
        conn_(conn),
        clock_(clock),
        request_(request),
        deadline_(deadline),
        options_(options),
        observer_(observer != nullptr ? observer : &null_observer_),
        buffer_(std::max<std::size_t>(options.recv_buffer_size, 1)) {
    request_done_ = request.empty();
  }

  ClientResult run() {
    if (request_.empty()) observer_->on_request_sent(0);
    while (state_ != State::done) {
      if (!is(Defect::deadline_ignored) && clock_.now() >= deadline_) {
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
      const bool send_idle = state_ != State::sending || sent == Step::blocked;
      const bool recv_idle = eof_ || received == Step::blocked;
      if (send_idle && recv_idle) wait();
    }
    IoResult closed = conn_.close();
    if (is(Defect::close_retried_on_eintr)) {
      while (closed.error == std::errc::interrupted) closed = conn_.close();
    }
    result_.close_error = closed.error;
    return std::move(result_);
  }

 private:
  [[nodiscard]] bool is(Defect d) const { return defect_ == d; }

  Step try_send() {
    bool progressed = false;
    if (!request_done_) {
      const IoResult r = conn_.send(request_.subspan(result_.bytes_sent));
      if (r.ok() && r.bytes == 0) return Step::blocked;
      if (!r.ok()) {
        if (r.error == std::errc::interrupted) return Step::progressed;
        if (is_would_block(r.error)) {
          if (is(Defect::half_close_on_eagain) && !fin_sent_early_) {
            fin_sent_early_ = true;
            (void)conn_.shutdown_write();  // "the kernel has the rest"
          }
          return Step::blocked;
        }
        fail(Operation::send, r.error);
        return Step::finished;
      }
      result_.bytes_sent +=
          std::min(r.bytes, request_.size() - result_.bytes_sent);
      const bool whole = result_.bytes_sent == request_.size() ||
                         is(Defect::short_send_not_continued);
      if (!whole) return Step::progressed;
      request_done_ = true;
      observer_->on_request_sent(result_.bytes_sent);
      progressed = true;
    }
    const Step s = try_shutdown();
    return s == Step::blocked && progressed ? Step::progressed : s;
  }

  Step try_shutdown() {
    const IoResult r = conn_.shutdown_write();
    if (r.ok()) {
      result_.half_closed = true;
      state_ = State::receiving;
      return Step::progressed;
    }
    if (r.error == std::errc::interrupted) return Step::progressed;
    if (is_would_block(r.error)) return Step::blocked;
    if (r.error == std::errc::not_connected) {
      finish(Outcome::reset, Operation::shutdown, r.error);
      return Step::finished;
    }
    fail(Operation::shutdown, r.error);
    return Step::finished;
  }

  Step try_recv() {
    const IoResult r = conn_.recv(buffer_);
    if (r.ok()) {
      if (r.bytes == 0) return end_of_stream();
      std::size_t n = std::min(r.bytes, buffer_.size());
      if (is(Defect::off_by_one_buffer)) n = std::min(r.bytes, buffer_.size() - 1);
      const std::span<const std::byte> chunk(buffer_.data(), n);
      result_.bytes_received += n;
      if (options_.keep_response) {
        result_.response.append(reinterpret_cast<const char*>(chunk.data()), n);
      }
      observer_->on_data(chunk);
      if (is(Defect::short_read_ends_response) && n < buffer_.size()) {
        return end_of_stream();
      }
      return Step::progressed;
    }
    if (r.error == std::errc::interrupted && !is(Defect::eintr_fatal)) {
      return Step::progressed;
    }
    if (is_would_block(r.error)) {
      return is(Defect::eagain_busy_loop) ? Step::progressed : Step::blocked;
    }
    if (is(Defect::reset_as_eof) && r.error == std::errc::connection_reset) {
      return end_of_stream();
    }
    fail(Operation::recv, r.error);
    return Step::finished;
  }

  Step end_of_stream() {
    eof_ = true;
    result_.saw_end_of_stream = true;
    observer_->on_end_of_stream();
    return Step::progressed;
  }

  void wait() {
    const WaitResult w = conn_.wait(!eof_, state_ == State::sending, deadline_);
    if (w.error && w.error != std::errc::interrupted &&
        !is_would_block(w.error)) {
      fail(Operation::wait, w.error);
    }
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

  Defect defect_;
  bool request_done_ = false;  // no more send() calls (the request is out)
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
  bool fin_sent_early_ = false;
  ClientResult result_;
};

}  // namespace

std::span<const DefectInfo> defects() { return kDefects; }

std::optional<Defect> defect_by_name(std::string_view name) {
  if (name == "none") return Defect::none;
  for (const DefectInfo& d : kDefects) {
    if (d.name == name) return d.defect;
  }
  return std::nullopt;
}

std::string_view name_of(Defect defect) {
  for (const DefectInfo& d : kDefects) {
    if (d.defect == defect) return d.name;
  }
  return "none";
}

ClientResult run_planted_exchange(Defect defect, Connection& conn,
                                  Clock& clock,
                                  std::span<const std::byte> request,
                                  TimePoint deadline,
                                  const ClientOptions& options,
                                  ClientObserver* observer) {
  return PlantedExchange(defect, conn, clock, request, deadline, options,
                         observer)
      .run();
}

ExchangeClient planted_client(Defect defect) {
  return [defect](Connection& conn, Clock& clock,
                  std::span<const std::byte> request, TimePoint deadline,
                  const ClientOptions& options, ClientObserver* observer) {
    return run_planted_exchange(defect, conn, clock, request, deadline,
                                options, observer);
  };
}

}  // namespace sockcheck::planted
