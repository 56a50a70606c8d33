// The loopback server over POSIX sockets. See loopback_server.h for the
// contract and the loopback-specific semantics.
//
// Theory of operation: a leader/followers pool. The cost that matters is
// what one short exchange pays on top of the kernel's own work, and on a
// loaded two-core machine that cost is mostly thread wake-ups (each one a
// trip through the scheduler), not instructions. So a connection is served
// on the thread that accepted it, and nothing else wakes up for it:
//
//   caller      start() binds and listens, then starts the first worker;
//               stop() raises the wake pipe, wakes the followers and joins
//               every worker.
//   leader      the one worker (at most) that owns the listening socket: it
//               polls it together with the wake pipe, numbers the next
//               connection, applies its `accept after D`, accepts it, and
//               then runs that connection's script itself.
//   followers   idle workers, waiting on a condition variable to become the
//               leader. At most kMaxIdleWorkers of them stay; more retire.
//
// A leader keeps the listening socket while its script runs without
// blocking (the common case: the request and the client's FIN are already
// queued). The first time a script would block, its waits also watch the
// listening socket for a short grace period (kLeaderGrace); when that
// period ends, or a new connection shows up, the script gives up the
// leadership: an idle follower is woken to take it, or a new worker is
// started as the leader if none is idle. A script that runs for
// kBusyCheck (10 ms) without ever blocking, because its client sends or
// reads without pause, gives it up too. So no connection ever waits for
// another one's script (at most a few microseconds while a non-blocking
// script finishes, 10 ms behind a flood), and a sequential client costs no
// wake-up beyond the leader's own poll. A large write and on_finished (the
// caller's code) give up the role first too. A worker whose script has ended becomes the leader
// again if nobody holds the role, else a follower.
//
// Two more wake-ups are saved per exchange. The last piece of a write that
// a FIN follows goes with MSG_MORE, so the FIN rides on it and the client
// wakes once for the reply and its end. And wait_for_connections() yields
// the CPU briefly before it sleeps: its caller is usually the client that
// just read the FIN, whose wake-up preempted the worker a few instructions
// before it publishes.
//
// Cancellation is a pipe that is written once by stop() and never drained:
// its read end stays readable, so every poll() in every thread that watches
// it wakes at once and every later poll() returns immediately; followers
// are woken through their condition variable. Deadlines are the poll
// timeouts; a script that never waits checks the clock and, every few
// milliseconds, the pipe itself (ScriptRunner::keep_going). No worker
// blocks outside poll() and that condition variable.
//
// Shared state (counters, the pool, the running connections, finished
// observations) is guarded by one mutex. A connected socket is touched only
// by its worker; the listening socket only by the leader (the role passes
// from thread to thread under the mutex) and, after every worker has been
// joined, by stop().
//
// This file is the pool and the public API. A connection's script is run
// by ScriptRunner (loopback_script_runner.{h,cc}), which also holds the
// grace period and the large-write limit it gives up the role by
// (kLeaderGrace, kLeaderWriteLimit); the socket helpers are in
// loopback_socket.{h,cc}. Socket headers are included only by the loopback
// files: this one, loopback_socket.{h,cc} and loopback_script_runner.cc.
#include "sockcheck/loopback_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <iterator>
#include <list>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>

#include "loopback_script_runner.h"
#include "loopback_socket.h"

namespace sockcheck {

using loopback::bound_endpoint;
using loopback::clamp_to_int;
using loopback::close_fd;
using loopback::ConnectionRecord;
using loopback::describe;
using loopback::last_error;
using loopback::Leadership;
using loopback::parse_address;
using loopback::Pipe;
using loopback::poll_timeout;
using loopback::ScriptRunner;
using loopback::set_nonblocking;
using loopback::SteadyClock;
using loopback::step_label;

std::string format_endpoint(const Endpoint& endpoint) {
  const bool v6 = endpoint.host.find(':') != std::string::npos;
  return (v6 ? "[" + endpoint.host + "]" : endpoint.host) + ":" +
         std::to_string(endpoint.port);
}

namespace {

std::string millis(Duration d) {
  return std::to_string(
             std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) +
         "ms";
}

// The worker pool; see the theory of operation.
// Idle workers kept for the next concurrent connections; more retire.
constexpr std::size_t kMaxIdleWorkers = 4;

// How long wait_for_connections() yields the CPU before it sleeps.
constexpr Duration kWaiterSpin = std::chrono::microseconds(50);

}  // namespace

struct LoopbackServer::Impl {
  Scenario scenario;
  std::string request;  // scenario.request_bytes(), computed once
  // The plan of each script (in scenario.scripts order) and of connections
  // no script covers, made once at start(): connections of one script
  // share its plan.
  std::vector<ScriptPlan> plans;
  ScriptPlan uncovered;

  const ScriptPlan& plan_for(int number) const {
    for (std::size_t i = 0; i < scenario.scripts.size(); ++i) {
      if (scenario.scripts[i].covers(number)) return plans[i];
    }
    return uncovered;
  }
  LoopbackServerOptions options;
  Endpoint bound;
  bool refuse_mode = false;

  // Used by the leader only, so unguarded: the role passes under mu. The
  // leader closes listen_fd after max_connections; stop() closes it after
  // joining every worker.
  int listen_fd = -1;
  std::size_t count = 0;  // connections accepted so far
  Pipe wake;              // written by stop(), never drained

  std::mutex stop_mu;    // serializes stop() callers
  bool started = false;  // guarded by stop_mu
  bool joined = false;   // guarded by stop_mu

  mutable std::mutex mu;
  std::condition_variable changed;  // accepted, finished or stopped changed
  bool stopped = false;
  std::size_t accepted = 0;
  std::size_t finished = 0;
  std::list<ConnectionRecord*> running;  // in accept order
  std::vector<ServerObservation> done;   // ordered by connection number

  // The pool, guarded by mu.
  std::condition_variable followers;  // leadership free, or stop
  std::list<std::thread> workers;     // every worker not retired
  std::thread retired;                // the last retired worker, unjoined
  bool stopping = false;              // stop() has begun: no new workers
  bool listening = false;             // the listening socket accepts
  bool leader_present = false;        // some worker holds the role
  std::size_t idle = 0;               // followers waiting

  // Starts a worker, under mu; false if no thread could be started.
  bool spawn_worker(bool as_leader);
  void run_worker(std::list<std::thread>::iterator self, bool leading);
  // As the leader: the next connection's socket, or -1 when the leader must
  // stop (stop() was called). Registers `rec` as running.
  int accept_next(ConnectionRecord& rec);
  bool release_leadership(Leadership& lead);
  // Ends the calling worker, under mu (which it releases).
  void retire(std::unique_lock<std::mutex>& lock,
              std::list<std::thread>::iterator self);
  void run_refused();
  // `rec` is null for the observation of refuse mode, which never ran.
  void publish(ConnectionRecord* rec, ServerObservation obs);
  // Waits for the wake pipe or `d`; false if woken (stop requested).
  bool pause(Duration d) const {
    const TimePoint end = SteadyClock::now() + d;
    for (;;) {
      pollfd p{wake.read_end, POLLIN, 0};
      const int rc = ::poll(&p, 1, poll_timeout(end));
      if (rc > 0) return false;
      if (rc == 0 && SteadyClock::now() >= end) return true;
    }
  }
};

void LoopbackServer::Impl::publish(ConnectionRecord* rec,
                                   ServerObservation obs) {
  if (options.on_finished) options.on_finished(obs);
  {
    std::lock_guard lock(mu);
    if (options.keep_observations) {
      // Connections mostly end in order: this is an append.
      const auto at = std::upper_bound(
          done.begin(), done.end(), obs.connection,
          [](int n, const ServerObservation& o) { return n < o.connection; });
      done.insert(at, std::move(obs));
    }
    ++finished;
    if (rec != nullptr) running.erase(rec->position);
  }
  changed.notify_all();
}

bool LoopbackServer::Impl::spawn_worker(bool as_leader) {
  workers.emplace_back();
  const auto self = std::prev(workers.end());
  try {
    // Assigned under mu, which the worker takes before it reads *self.
    *self = std::thread([this, self, as_leader] { run_worker(self, as_leader); });
  } catch (const std::system_error&) {
    workers.erase(self);
    return false;
  }
  return true;
}

void LoopbackServer::Impl::retire(std::unique_lock<std::mutex>& lock,
                                  std::list<std::thread>::iterator self) {
  // Once stop() has begun it joins every worker in the list; otherwise the
  // worker cannot join itself, so it leaves its handle for the next one to
  // retire (or stop()) and joins the one before it, which has returned or is
  // about to: at most one retired worker is ever left unjoined.
  if (stopping) return;
  std::thread previous = std::move(retired);
  retired = std::move(*self);
  workers.erase(self);
  lock.unlock();
  if (previous.joinable()) previous.join();
}

bool LoopbackServer::Impl::release_leadership(Leadership& lead) {
  std::lock_guard lock(mu);
  if (stopping || idle > 0) {
    leader_present = false;
    // A woken follower takes the role unless a worker whose script ended
    // takes it first; either way the listening socket is watched again.
    if (!stopping) followers.notify_one();
  } else if (!spawn_worker(/*as_leader=*/true)) {
    return false;  // still the leader
  }
  // Spawned: leader_present stays true, it belongs to the new worker now.
  lead.leading = false;
  lead.listen_fd = -1;
  return true;
}

int LoopbackServer::Impl::accept_next(ConnectionRecord& rec) {
  for (;;) {
    pollfd p[2] = {{listen_fd, POLLIN, 0}, {wake.read_end, POLLIN, 0}};
    const int rc = ::poll(p, 2, -1);
    if (rc < 0) continue;  // EINTR
    if (p[1].revents != 0) return -1;
    if (p[0].revents == 0) continue;

    const int number = static_cast<int>(count + 1);
    const ScriptPlan& plan = plan_for(number);
    if (plan.accept_delay > Duration::zero()) {
      // `accept after D`: the connection waits in the listen queue (the
      // client's connect has already completed) while we hold off accept().
      if (!pause(plan.accept_delay)) return -1;
    }
    const int fd = ::accept4(listen_fd, nullptr, nullptr,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR ||
          err == ECONNABORTED) {
        continue;  // the client gave up before we took it
      }
      // Out of descriptors or memory: back off instead of spinning.
      if (!pause(std::chrono::milliseconds(50))) return -1;
      continue;
    }
    ++count;
    rec.number = number;
    rec.plan = &plan;
    rec.accepted_at = SteadyClock::now();
    rec.doing_since = rec.accepted_at;
    const bool last =
        options.max_connections != 0 && count >= options.max_connections;
    // Later connects are refused once the socket is closed.
    if (last) close_fd(listen_fd);
    {
      std::lock_guard lock(mu);
      accepted = count;
      rec.position = running.insert(running.end(), &rec);
      if (last) {
        listening = false;
        leader_present = false;
        followers.notify_all();  // nothing left to lead: they retire
      }
    }
    changed.notify_all();
    return fd;
  }
}

void LoopbackServer::Impl::run_worker(std::list<std::thread>::iterator self,
                                      bool leading) {
  Leadership lead;
  lead.release = [this, &lead] { return release_leadership(lead); };
  for (;;) {
    if (!leading) {
      std::unique_lock lock(mu);
      for (;;) {
        if (stopping || !listening) return retire(lock, self);
        if (!leader_present) break;
        if (idle >= kMaxIdleWorkers) return retire(lock, self);
        ++idle;
        followers.wait(lock);
        --idle;
      }
      leader_present = true;
    }
    ConnectionRecord rec;
    const int fd = accept_next(rec);
    if (fd < 0) {
      std::unique_lock lock(mu);
      leader_present = false;
      return retire(lock, self);  // stopping
    }
    {
      std::lock_guard lock(mu);
      lead.leading = listening;  // false once the last connection is in
    }
    lead.listen_fd = lead.leading ? listen_fd : -1;
    ServerObservation obs =
        ScriptRunner(scenario, request, mu, rec, fd, wake.read_end, lead).run();
    // on_finished is the caller's code and may take its time; new
    // connections must not wait for it. If no worker can take the role,
    // they wait instead of being dropped.
    if (lead.leading && options.on_finished) lead.release();
    publish(&rec, std::move(obs));
    leading = lead.leading;
  }
}

void LoopbackServer::Impl::run_refused() {
  ServerObservation obs;
  obs.connection = 1;
  obs.refused = true;
  obs.script_completed = true;
  obs.events.push_back(
      {Duration::zero(),
       "refused: port bound but never listening, so the kernel refuses "
       "every connect (ECONNREFUSED)"});
  {
    std::lock_guard lock(mu);
    accepted = 1;
  }
  publish(nullptr, std::move(obs));
}

LoopbackServer::LoopbackServer() : impl_(std::make_unique<Impl>()) {}

LoopbackServer::~LoopbackServer() { stop(); }

LoopbackStart LoopbackServer::start(const Scenario& scenario,
                                    const LoopbackServerOptions& options) {
  using Problem = LoopbackStart::Problem;
  std::lock_guard stop_lock(impl_->stop_mu);
  Impl& s = *impl_;
  if (s.started) {
    return {{}, "the server was started already", Problem::already_started};
  }
  const auto addr = parse_address(options.listen_address, options.port);
  if (!addr) {
    return {{},
            "'" + options.listen_address +
                "' is not a numeric IPv4 or IPv6 address",
            Problem::bad_address};
  }
  // A dual-stack socket would be needed to listen on it, whose behaviour
  // depends on the host; the IPv4 address itself gives the same connection.
  if (!addr->mapped_ipv4.empty()) {
    return {{},
            options.listen_address +
                " is an IPv4-mapped IPv6 address; listen on " +
                addr->mapped_ipv4 +
                " instead (the server's IPv6 sockets are IPv6-only)",
            Problem::bad_address};
  }
  const std::string where =
      format_endpoint({options.listen_address, options.port});
  if (!addr->loopback && !options.allow_non_loopback) {
    return {{},
            options.listen_address +
                " is not a loopback address; binding it needs an explicit "
                "permission (allow_non_loopback)",
            Problem::not_loopback};
  }
  const int fd = ::socket(addr->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {{}, "socket: " + describe(last_error()), Problem::system};
  int lfd = fd;
  auto fail = [&](const std::string& what) {
    const std::error_code ec = last_error();
    close_fd(lfd);
    return LoopbackStart{{}, what + ": " + describe(ec), Problem::system};
  };
  const int one = 1;
  if (::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
    return fail("setsockopt(SO_REUSEADDR)");
  }
  // The script decides the segmentation of writes; Nagle must not merge
  // 1-byte pieces (nor delay them behind delayed ACKs). Accepted sockets
  // inherit it (kListenerPassesNoDelay).
  if (::setsockopt(lfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
    return fail("setsockopt(TCP_NODELAY)");
  }
  // "::1" means IPv6 only, whatever net.ipv6.bindv6only says (and why
  // IPv4-mapped addresses are refused above).
  if (addr->family == AF_INET6 &&
      ::setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) {
    return fail("setsockopt(IPV6_V6ONLY)");
  }
  if (const auto rcvbuf = smallest_initial_window(scenario)) {
    // Before listen(): accepted sockets inherit it and the window scale is
    // fixed at the handshake, so a later setsockopt alone would be too late.
    const int size = clamp_to_int(*rcvbuf);
    if (::setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) != 0) {
      return fail("setsockopt(SO_RCVBUF)");
    }
  }
  if (!set_nonblocking(lfd)) return fail("fcntl(O_NONBLOCK)");
  if (::bind(lfd, reinterpret_cast<const sockaddr*>(&addr->storage),
             addr->length) != 0) {
    return fail("bind " + where);
  }
  // Not listening refuses every connect, so it is only right when every
  // connection is to be refused; a refusal before a served connection is
  // an RST after the accept instead (ScriptRunner).
  const bool refuse = refuses_every_connection(scenario);
  if (!refuse && ::listen(lfd, SOMAXCONN) != 0) return fail("listen " + where);
  const auto bound = bound_endpoint(lfd);
  if (!bound) return fail("getsockname");
  if (const std::error_code ec = s.wake.open()) {
    close_fd(lfd);
    return {{}, "pipe: " + describe(ec), Problem::system};
  }
  s.scenario = scenario;
  s.request = scenario.request_bytes();
  // After the copy: the plans point into s.scenario's steps.
  for (const ConnectionScript& script : s.scenario.scripts) {
    s.plans.push_back(plan_connection(s.scenario, script.first));
  }
  s.uncovered.refusal = ScriptPlan::Refusal::no_script;
  s.options = options;
  s.bound = *bound;
  s.refuse_mode = refuse;
  s.listen_fd = lfd;
  bool running = false;
  {
    std::lock_guard lock(s.mu);
    if (refuse) {
      s.workers.emplace_back();
      try {
        s.workers.back() = std::thread([&s] { s.run_refused(); });
        running = true;
      } catch (const std::system_error&) {
        s.workers.pop_back();
      }
    } else {
      s.listening = true;
      s.leader_present = true;  // the first worker's
      running = s.spawn_worker(/*as_leader=*/true);
      s.listening = running;
      s.leader_present = running;
    }
  }
  if (!running) {
    close_fd(s.listen_fd);
    s.wake.close();
    return {{}, "could not start the server's first thread", Problem::system};
  }
  s.started = true;
  return {*bound, {}, Problem::none};
}

Endpoint LoopbackServer::endpoint() const {
  std::lock_guard lock(impl_->stop_mu);
  return impl_->bound;
}

bool LoopbackServer::refusing() const {
  std::lock_guard lock(impl_->stop_mu);
  return impl_->refuse_mode;
}

std::size_t LoopbackServer::finished_count() const {
  std::lock_guard lock(impl_->mu);
  return impl_->finished;
}

std::vector<ServerObservation> LoopbackServer::observations() const {
  std::lock_guard lock(impl_->mu);
  return impl_->done;
}

LoopbackWait LoopbackServer::wait_for_connections(std::size_t n,
                                                  Duration timeout) {
  return wait_for_connections(n, SteadyClock::now() + timeout);
}

LoopbackWait LoopbackServer::wait_for_connections(std::size_t n,
                                                  TimePoint deadline) {
  Impl& s = *impl_;
  std::unique_lock lock(s.mu);
  auto ready = [&] { return s.finished >= n || s.stopped; };
  // The usual wait is for the connection whose client has just finished,
  // and its worker is a few instructions from publishing: often it is the
  // very thread that the client's wake-up preempted on this CPU. Yielding a
  // few times lets it finish without a sleep and a cross-CPU wake-up.
  const TimePoint spin_end =
      std::min(deadline, SteadyClock::now() + kWaiterSpin);
  while (!ready() && SteadyClock::now() < spin_end) {
    lock.unlock();
    std::this_thread::yield();
    lock.lock();
  }
  if (deadline == TimePoint::max()) {
    s.changed.wait(lock, ready);
  } else {
    s.changed.wait_until(lock, deadline, ready);
  }
  if (s.finished >= n) return {true, {}};
  std::string msg =
      std::to_string(s.finished) + " of " + std::to_string(n) +
      " connection" + (n == 1 ? "" : "s") + " finished " +
      (s.stopped ? "before the server stopped" : "by the deadline") + " (" +
      std::to_string(s.accepted) + " accepted)";
  for (const ConnectionRecord* r : s.running) {
    msg += "; connection " + std::to_string(r->number) + " is in " +
           step_label(*r->plan, r->step, "starting") + " since +" +
           millis(r->doing_since - r->accepted_at);
  }
  return {false, msg};
}

LoopbackWait LoopbackServer::wait_for_accepted(std::size_t n,
                                               Duration timeout) {
  Impl& s = *impl_;
  std::unique_lock lock(s.mu);
  s.changed.wait_until(lock, SteadyClock::now() + timeout,
                       [&] { return s.accepted >= n || s.stopped; });
  if (s.accepted >= n) return {true, {}};
  return {false, std::to_string(s.accepted) + " of " + std::to_string(n) +
                     " connection" + (n == 1 ? "" : "s") + " accepted " +
                     (s.stopped ? "before the server stopped"
                                : "by the deadline")};
}

void LoopbackServer::stop() {
  std::lock_guard stop_lock(impl_->stop_mu);
  Impl& s = *impl_;
  if (!s.started || s.joined) return;
  std::list<std::thread> all;
  std::thread last_retired;
  {
    // From here on no worker starts another or retires on its own, so the
    // list taken below is every thread there is. Splicing keeps each
    // worker's iterator to its own node valid.
    std::lock_guard lock(s.mu);
    s.stopping = true;
    all.splice(all.end(), s.workers);
    last_retired = std::move(s.retired);
  }
  s.wake.ping();
  s.followers.notify_all();
  for (auto& t : all) t.join();
  if (last_retired.joinable()) last_retired.join();
  close_fd(s.listen_fd);  // unless the leader closed it already
  s.wake.close();
  s.joined = true;
  {
    std::lock_guard lock(s.mu);
    s.stopped = true;
  }
  s.changed.notify_all();
}

}  // namespace sockcheck
