// Runs one accepted connection's script on its socket, for the loopback
// server's worker pool (loopback_server.cc). Private to the fake server.
//
// The pool hands the runner an accepted socket, the connection's record
// (with its script's plan, script_plan.h) and the worker's leadership; the
// runner carries out every step of the plan and returns what it saw. It owns nothing that outlives run(). This header includes no
// socket header (see loopback_socket.h for which files do).
#pragma once

#include <functional>
#include <list>
#include <mutex>
#include <string>

#include "sockcheck/io.h"
#include "sockcheck/observation.h"
#include "sockcheck/scenario.h"
#include "sockcheck/script_plan.h"

namespace sockcheck::loopback {

// What a connection is doing, as messages name it: the label of plan
// step `step` ("step 2 (write) at line 7", "implicit close"), or
// `otherwise` when there is none (a refused connection).
std::string step_label(const ScriptPlan& plan, std::size_t step,
                       const char* otherwise);

// The leader role as one worker sees it; see the theory of operation in
// loopback_server.cc.
struct Leadership {
  bool leading = false;  // this worker owns the listening socket
  int listen_fd = -1;    // valid while leading
  // Gives the role to another worker (sets leading to false); false if
  // there is none and none could be started.
  std::function<bool()> release;
};

// One accepted connection while its script runs; lives on its worker's
// stack, listed in Impl::running from the accept until it is published.
struct ConnectionRecord {
  int number = 0;
  TimePoint accepted_at{};
  const ScriptPlan* plan = nullptr;  // in Impl::plans
  std::list<ConnectionRecord*>::iterator position;  // in Impl::running
  // Guarded by Impl::mu: what the script is doing, for wait messages.
  std::size_t step = 0;  // index into plan->steps
  TimePoint doing_since{};
};

// Runs one connection's script on its socket and fills the observation.
class ScriptRunner {
 public:
  // `records_mu` guards rec.step and rec.doing_since; `lead` is the
  // worker's role, given up before the first long wait. Every reference
  // outlives the run.
  ScriptRunner(const Scenario& scenario, const std::string& request,
               std::mutex& records_mu, ConnectionRecord& rec, int fd,
               int wake_fd, Leadership& lead);

  // Carries out the script once; the socket is closed (or reset) when it
  // returns.
  ServerObservation run();

 private:
  enum class Wait { ready, elapsed, deadline, stopped, no_thread };

  void run_script();
  bool run_step(const PlanStep& step);
  // Waits until `fd` reports `events` (0: only errors and hang-ups; fd -1:
  // nothing, a plain pause), `until` passes, the connection's deadline
  // passes, or stop() is called. While this worker leads, the wait also
  // watches the listening socket and gives up the leadership when a
  // connection arrives or the grace period is over (no_thread: no worker
  // could take it).
  Wait wait(int fd, short events, TimePoint until);
  // Asked on every turn of a read or write loop, before its next call:
  // whether the script may go on without waiting (ready), or must end
  // (deadline, stopped, no_thread). It reads the clock every turn (the
  // deadline); every kBusyCheck of running without a wait it also polls
  // the wake pipe without blocking (stop()) and, while this worker leads,
  // gives up the leadership, as a wait past its grace period does. So a
  // client that keeps every call busy (sending or reading without pause,
  // so that no call would block) cannot hold a connection past its
  // deadline, delay stop(), or keep new connections waiting.
  Wait keep_going();
  // A pause that ignores the socket: a gap or a sleep must not end early
  // because the client sent data, nor spin on a readable socket.
  bool pause(Duration d, const std::string& progress);
  // The failure for a wait that did not become ready.
  bool wait_failed(Wait w, const std::string& progress);
  bool do_read(const PlanStep& step, bool until_fin);
  bool do_recv_buffer(const Step& step);
  bool do_write(const PlanStep& step);
  bool do_sleep(Duration d);
  bool do_half_close();
  bool do_close();
  bool do_hang();
  void note_fin();
  void note_reset(const std::error_code& ec);
  bool fail(const std::string& why);
  void event(std::string what);
  void set_doing(std::size_t step);

  const Scenario& scenario_;
  const std::string& request_;
  std::mutex& records_mu_;
  ConnectionRecord& rec_;
  int fd_;
  const ScriptPlan& plan_;
  int wake_fd_;
  Leadership& lead_;
  TimePoint deadline_;
  TimePoint grace_end_{};  // set by the first wait while leading
  TimePoint next_check_{};  // keep_going() polls the wake pipe from then on
  std::size_t step_ = 0;   // as in ConnectionRecord::step
  std::uint64_t step_bytes_ = 0;  // read or written by the current step
  bool fin_follows_ = false;  // the step after this one sends a FIN
  bool held_ = false;         // a write left data for the FIN (MSG_MORE)
  std::size_t omitted_events_ = 0;
  ServerObservation obs_;
};

}  // namespace sockcheck::loopback
