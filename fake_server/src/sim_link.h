// The simulated transport's private parts, shared by its three files: the
// bytes in flight each way (Run, RunQueue, ByteQueue), the TCP state of one
// endpoint (Side), one simulated connection (SimTransport::Link), the
// declaration of SimTransport::Ops and the client's handle, SimConnection.
// Ops is defined in sim_server.cc (records, TCP effects, the server's script
// and the clock) and sim_client_calls.cc (the client's calls, and
// SimConnection's); sim_transport.cc has the theory of operation. Private
// to the fake server (never installed).
#pragma once

#include <algorithm>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "sockcheck/sim_transport.h"
#include "sockcheck/script_plan.h"

namespace sockcheck::sim {

constexpr TimePoint kNever = TimePoint::max();

inline TimePoint sat_add(TimePoint t, Duration d) noexcept {
  if (d <= Duration::zero()) return t;
  if (t > kNever - d) return kNever;
  return t + d;
}

inline std::error_code errc(std::errc e) noexcept { return std::make_error_code(e); }

inline std::size_t clamp_size(std::uint64_t v) noexcept {
  return static_cast<std::size_t>(
      std::min<std::uint64_t>(v, std::numeric_limits<std::size_t>::max()));
}

// A stretch of one server write that has arrived at the client: bytes
// [begin, end) of blobs[blob]. With chunk > 0 the write's pieces (every
// `chunk` bytes counted from the start of the write) stay separate recv
// results; chunk == 0 means one piece. Runs are never merged, so pieces
// written at different times are separate recv results too.
struct Run {
  std::size_t blob = 0;
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t chunk = 0;
};

// Bytes on their way to the client. A vector with a head index: no per-recv
// allocation, storage reused once drained.
class RunQueue {
 public:
  [[nodiscard]] bool empty() const noexcept { return head_ == runs_.size(); }
  [[nodiscard]] std::size_t bytes() const noexcept { return bytes_; }
  void push(const Run& r) {
    bytes_ += r.end - r.begin;
    runs_.push_back(r);
  }
  void clear() noexcept {
    runs_.clear();
    head_ = 0;
    bytes_ = 0;
  }
  // Copies the next piece (cut to `out`) and returns its size. !empty().
  std::size_t pop_into(std::span<std::byte> out,
                       const std::vector<std::string>& blobs) {
    Run& r = runs_[head_];
    std::size_t piece_end = r.end;
    if (r.chunk > 0) piece_end = std::min(r.end, (r.begin / r.chunk + 1) * r.chunk);
    const std::size_t n = std::min(out.size(), piece_end - r.begin);
    std::memcpy(out.data(), blobs[r.blob].data() + r.begin, n);
    r.begin += n;
    bytes_ -= n;
    if (r.begin == r.end && ++head_ == runs_.size()) clear();
    return n;
  }

 private:
  std::vector<Run> runs_;
  std::size_t head_ = 0;
  std::size_t bytes_ = 0;
};

// Bytes on their way to the server (at most its receive window).
class ByteQueue {
 public:
  [[nodiscard]] std::size_t size() const noexcept { return data_.size() - head_; }
  void append(std::span<const std::byte> d) {
    data_.append(reinterpret_cast<const char*>(d.data()), d.size());
  }
  void take_into(std::size_t n, std::string& out) {
    out.append(data_, head_, n);
    head_ += n;
    if (head_ == data_.size()) {
      data_.clear();
      head_ = 0;
    } else if (head_ >= 64 * 1024 && head_ * 2 >= data_.size()) {
      data_.erase(0, head_);  // a slow reader: keep the buffer bounded
      head_ = 0;
    }
  }
  void clear() noexcept {
    data_.clear();
    head_ = 0;
  }

 private:
  std::string data_;
  std::size_t head_ = 0;
};

// The TCP state one endpoint has.
struct Side {
  bool shut_wr = false;  // this side sent FIN
  bool closed = false;   // this side's socket is released
  bool fin_in = false;   // the peer's FIN arrived (after the queued data)
  bool rst_in = false;   // the peer's RST arrived
  // The socket error not reported yet. Linux reports it once (then recv
  // returns 0, send EPIPE); the simulated Windows mode never clears it.
  std::error_code pending;
};

// What one attempt at the current server step did.
enum class StepResult {
  next,        // the step is complete
  again,       // progress was made; try the same step again
  block_time,  // waits until wake_at
  block_peer,  // waits for the client (bounded by the deadline)
  finished,    // the script ended (fail() or a terminal step)
};

constexpr std::size_t kCalls = 4;  // Injection::Call values

}  // namespace sockcheck::sim

namespace sockcheck {

struct SimTransport::Link {
  int number = 0;
  std::size_t obs = 0;  // index into observations_
  ScriptPlan plan;      // what the server does on this connection

  TimePoint arrival{};   // when connect() returned
  TimePoint origin{};    // observation timestamps count from here (accept)
  TimePoint deadline{};  // arrival + Scenario::deadline()
  bool accepted = false;

  sim::Side client;
  sim::Side server;
  sim::RunQueue to_client;
  sim::ByteQueue to_server;
  std::vector<std::string> blobs;  // materialized writes the runs point into
  std::size_t server_window = 0;
  std::size_t client_window = 0;

  // The server's script cursor.
  bool done = false;
  std::size_t pc = 0;
  bool started = false;         // the current step did its one-time setup
  std::uint64_t progress = 0;   // bytes read or written by the current step
  std::uint64_t total = 0;      // bytes the current write step writes
  TimePoint wake_at{};
  TimePoint next_at{};          // when run_server() must run next (see sim_transport.cc)

  SimClientCalls calls;
  std::uint64_t call_count[sim::kCalls] = {};
  std::uint32_t consecutive_injected[sim::kCalls] = {};
  bool short_due = false;  // an injected short count for the call under way

  [[nodiscard]] const PlanStep& step(std::size_t i) const { return plan.steps[i]; }
  [[nodiscard]] std::size_t step_count() const noexcept { return plan.steps.size(); }
};

// Every operation of the simulation, as static functions over the transport
// and one link. A member of SimTransport, so it sees the transport's state;
// each function's contract is written where it is defined.
struct SimTransport::Ops {
  // Defined in sim_server.cc: the records (trace, events), the TCP effects
  // (RST, FIN, close), the server's script and the clock.
  static void vtrace(SimTransport& t, int connection, const char* format, va_list args);
#if defined(__GNUC__) || defined(__clang__)
  __attribute__((format(printf, 3, 4)))
#endif
  static void trace(SimTransport& t, int connection, const char* format, ...);
  static ServerObservation& obs(SimTransport& t, Link& l);
  static void event(SimTransport& t, Link& l, std::string what);
  static const std::string& request(SimTransport& t);
  static void rst_to_client(SimTransport& t, Link& l);
  static void rst_to_server(SimTransport& t, Link& l);
  static void server_close(SimTransport& t, Link& l);
  static void note_client_reset(SimTransport& t, Link& l, std::error_code ec);
  static void note_client_fin(SimTransport& t, Link& l);
  static void finish_script(SimTransport& t, Link& l);
  static sim::StepResult fail(SimTransport& t, Link& l, const std::string& why);
  static void invalid_script(SimTransport& t, Link& l);
  static sim::StepResult fail_as(SimTransport& t, Link& l, const std::string& failure,
                                 const std::string& why);
  static std::string deadline_reason(SimTransport& t, Link& l, sim::StepResult blocked);
  static sim::StepResult step_read(SimTransport& t, Link& l, const PlanStep& p);
  static sim::StepResult step_write(SimTransport& t, Link& l, const PlanStep& p);
  static sim::StepResult end_hang(SimTransport& t, Link& l, const char* why);
  static sim::StepResult run_step(SimTransport& t, Link& l);
  static void run_server(SimTransport& t, Link& l);
  static void settle(SimTransport& t, Link& l);
  static void poke(SimTransport& t, Link& l);
  static TimePoint earliest_server_event(const SimTransport& t) noexcept;
  static void advance_to(SimTransport& t, TimePoint target);

  // Defined in sim_client_calls.cc: the client's calls, entered through
  // SimConnection.
  static std::optional<std::error_code> inject(SimTransport& t, Link& l,
                                               Injection::Call call);
  static bool after_close(SimTransport& t, Link& l, const char* what);
  static IoResult try_send(SimTransport& t, Link& l, std::span<const std::byte> data);
  static IoResult send(SimTransport& t, Link& l, std::span<const std::byte> data);
  static IoResult try_recv(SimTransport& t, Link& l, std::span<std::byte> buffer);
  static IoResult recv(SimTransport& t, Link& l, std::span<std::byte> buffer);
  static IoResult shutdown_write(SimTransport& t, Link& l);
  static void client_release(SimTransport& t, Link& l);
  static IoResult close(SimTransport& t, Link& l);
  static void destroyed(SimTransport& t, Link& l);
  static WaitResult readiness(const Link& l, bool want_read, bool want_write);
  static WaitResult wait(SimTransport& t, Link& l, bool want_read,
                         bool want_write, TimePoint deadline);
};

// The handle the client holds. Every call goes to the transport. Defined in
// sim_client_calls.cc; declared here because connect() creates it.
class SimConnection final : public Connection {
 public:
  SimConnection(SimTransport& t, SimTransport::Link& l) noexcept : t_(t), l_(l) {}
  ~SimConnection() override;
  SimConnection(const SimConnection&) = delete;
  SimConnection& operator=(const SimConnection&) = delete;

  IoResult send(std::span<const std::byte> data) override;
  IoResult recv(std::span<std::byte> buffer) override;
  IoResult shutdown_write() override;
  IoResult close() override;
  WaitResult wait(bool want_read, bool want_write, TimePoint deadline) override;

 private:
  SimTransport& t_;
  SimTransport::Link& l_;
};

}  // namespace sockcheck
