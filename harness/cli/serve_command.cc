// `sockcheck serve SCENARIO`: the loopback fake server from the command line.
//
// Theory of operation. The scenario is parsed first (errors exit 2 with the
// parser's `file:line:col: message`). SIGINT and SIGTERM are then blocked in
// the calling thread before any other thread exists, so every server thread
// inherits the mask and the signals can only be taken by a small watcher
// thread that sigwait()s for them and stops the server. The output mutex is
// held while the server starts and `listening on ADDR:PORT` is printed, so a
// connection that finishes at once cannot print its line before that first
// line. Each connection prints one line from its own thread when its script
// ends (LoopbackServerOptions::on_finished); the main thread only waits for
// the N-th connection, a signal, or, when connection 1 refuses, the
// scenario's deadline (the port stays bound and not listening that long).
// A signal stops the server, which cuts every running script short within
// a few milliseconds (even one whose client never pauses, see
// loopback_script_runner.cc); each prints its line ("FAILED: ... stopped by
// the server after N bytes"), and stderr says which signal ended the run.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <charconv>
#include <iostream>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "args.h"
#include "commands.h"
#include "sockcheck/loopback_server.h"
#include "sockcheck/scenario_parser.h"

namespace sockcheck::cli {
namespace {

constexpr std::string_view kHelp =
    "usage: sockcheck serve [OPTIONS] SCENARIO\n"
    "\n"
    "Runs the server script of the SCENARIO file on every connection accepted\n"
    "on a loopback address, and prints what the server observed on each.\n"
    "Point any client at the printed address.\n"
    "\n"
    "options:\n"
    "  --listen ADDR:PORT    where to listen (default 127.0.0.1:0, a free\n"
    "                        port); IPv6 in brackets: [::1]:0 (IPv6 only:\n"
    "                        for IPv4 give 127.0.0.1, not ::ffff:127.0.0.1)\n"
    "  --connections N       connections to serve, then exit (default 1);\n"
    "                        0 serves until SIGINT or SIGTERM\n"
    "  --allow-non-loopback  allow a --listen address outside 127.0.0.0/8\n"
    "                        and ::1 (the server injects faults: keep it\n"
    "                        off real networks)\n"
    "  --events              also print each connection's timestamped events\n"
    "  -h, --help            this text\n"
    "\n"
    "output: `listening on ADDR:PORT` first, then one line per connection:\n"
    "  connection 1: received 14 bytes (= request), client FIN at +1ms,\n"
    "  sent 17 bytes, script completed in 2ms\n"
    "\n"
    "SIGINT and SIGTERM stop the server at once: running scripts are cut\n"
    "short and reported, and stderr says `interrupted by SIGTERM after K of N\n"
    "connections` (K: connections that had ended before the signal).\n"
    "\n"
    "exit status:\n"
    "  0  every step of every script could be carried out\n"
    "  1  a step could not (the client reset, a deadline passed, a signal cut\n"
    "     it short, ...), a signal came before N connections, or the server\n"
    "     could not start\n"
    "  2  usage error, or the scenario does not parse\n";

struct Options {
  std::string scenario_path;
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;
  std::size_t connections = 1;
  bool allow_non_loopback = false;
  bool events = false;
};

int usage_error(Streams io, const std::string& message) {
  return cli::usage_error(io, "serve", message);
}

// "127.0.0.1:8080" or "[::1]:0" into address and port.
bool parse_listen(std::string_view text, Options& opt) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() ||
        text[close + 1] != ':') {
      return false;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return false;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return false;  // bare IPv6
  }
  const auto p = parse_number<std::uint16_t>(port);
  if (host.empty() || !p) return false;
  opt.address = std::string(host);
  opt.port = *p;
  return true;
}

std::string millis(Duration d) {
  return std::to_string(
             std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) +
         "ms";
}

// The one line that says what the server observed on a connection.
std::string describe(const ServerObservation& o, const std::string& request) {
  std::string line = "connection " + std::to_string(o.connection) + ": ";
  if (o.refused) {
    line += o.events.empty() ? "refused" : o.events.front().what;
  } else {
    line += "received " + std::to_string(o.received.size()) + " bytes";
    if (o.received == request) {
      line += " (= request)";
    } else {
      line += " (not the " + std::to_string(request.size()) + "-byte request)";
    }
    line += o.saw_client_fin ? ", client FIN at +" + millis(o.client_fin_at)
                             : ", no client FIN";
    if (o.client_reset) line += ", client reset";
    line += ", sent " + std::to_string(o.bytes_sent) + " bytes";
    if (o.closed_with_unread) line += ", closed with unread data (RST)";
  }
  line += o.script_completed ? ", script completed in " + millis(o.duration)
                             : ", FAILED: " + o.failure;
  return line;
}

// Takes SIGINT and SIGTERM for the lifetime of the object, on a thread of
// its own, and calls `on_signal` (on that thread) for the first one.
// Construct it before any other thread is started: the blocked mask is
// inherited, and a thread created earlier could still be killed by them.
class SignalWatcher {
 public:
  template <typename F>
  explicit SignalWatcher(F on_signal) {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, &previous_);
    thread_ = std::thread([this, on_signal] {
      int sig = 0;
      while (sigwait(&set_, &sig) == 0) {
        if (quitting_.load()) return;
        on_signal(sig);
      }
    });
  }
  ~SignalWatcher() {
    quitting_.store(true);
    // Aimed at the watcher itself, which takes it with sigwait() and leaves.
    pthread_kill(thread_.native_handle(), SIGTERM);
    thread_.join();
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

 private:
  sigset_t set_{};
  sigset_t previous_{};
  std::atomic<bool> quitting_{false};
  std::thread thread_;
};

}  // namespace

int serve_main(std::span<const std::string_view> args, Streams io) {
  Options opt;
  std::vector<std::string_view> positional;
  for (ArgReader r(args); r.next();) {
    if (!r.is_option()) {
      positional.push_back(r.arg());
      continue;
    }
    const std::string_view a = r.name();
    if ((a == "--allow-non-loopback" || a == "--events" || a == "--help") &&
        !r.flag()) {
      return usage_error(io, std::string(a) + " takes no value");
    }
    if (a == "-h" || a == "--help") {
      io.out << kHelp;
      return kExitOk;
    } else if (a == "--listen") {
      const auto v = r.value();
      if (!v) return usage_error(io, "--listen needs an ADDR:PORT argument");
      if (!parse_listen(*v, opt)) {
        return usage_error(io, "--listen '" + std::string(*v) +
                                   "': expected ADDR:PORT with a numeric "
                                   "address, IPv6 in brackets ([::1]:0)");
      }
    } else if (a == "--connections") {
      const auto v = r.value();
      if (!v) return usage_error(io, "--connections needs a number");
      const auto n = parse_number<std::size_t>(*v);
      if (!n) {
        return usage_error(io, "--connections '" + std::string(*v) +
                                   "' is not a whole number (0 = until "
                                   "interrupted)");
      }
      opt.connections = *n;
    } else if (a == "--allow-non-loopback") {
      opt.allow_non_loopback = true;
    } else if (a == "--events") {
      opt.events = true;
    } else {
      return usage_error(io, "unknown option '" + std::string(r.arg()) + "'");
    }
  }
  if (positional.size() != 1) {
    return usage_error(io, "expected one SCENARIO file, got " +
                               std::to_string(positional.size()) +
                               " argument(s)");
  }
  opt.scenario_path = std::string(positional[0]);

  ParseResult parsed = load_scenario_file(opt.scenario_path);
  if (!parsed.ok()) {
    if (parsed.error) {
      io.err << parsed.error->to_string() << "\n" << parsed.error->excerpt();
    } else {
      io.err << opt.scenario_path << ": cannot be parsed\n";
    }
    return kExitUsage;
  }
  const Scenario& scenario = *parsed.scenario;
  const std::string request = scenario.request_bytes();

  std::mutex out_mu;
  std::atomic<std::size_t> failures{0};
  std::atomic<int> signal_taken{0};  // the first SIGINT or SIGTERM
  std::atomic<std::size_t> ended_before_signal{0};
  LoopbackServerOptions options;
  options.listen_address = opt.address;
  options.port = opt.port;
  options.max_connections = opt.connections;
  options.allow_non_loopback = opt.allow_non_loopback;
  options.keep_observations = false;  // printed and counted as they end
  options.on_finished = [&](const ServerObservation& o) {
    if (!o.script_completed) ++failures;
    if (signal_taken.load() == 0) ++ended_before_signal;
    std::lock_guard lock(out_mu);
    io.out << describe(o, request) << "\n";
    if (opt.events) {
      for (const auto& e : o.events) {
        io.out << "  +" << millis(e.at) << " " << e.what << "\n";
      }
    }
    io.out.flush();
  };

  LoopbackServer server;
  SignalWatcher watcher([&](int sig) {
    int none = 0;
    signal_taken.compare_exchange_strong(none, sig);
    server.stop();
  });

  {
    std::lock_guard lock(out_mu);
    const LoopbackStart started = server.start(scenario, options);
    if (!started.ok()) {
      io.err << "sockcheck serve: " << started.error << "\n";
      if (started.problem == LoopbackStart::Problem::not_loopback) {
        io.err << "Add --allow-non-loopback to bind it anyway.\n";
      }
      const bool usage = started.problem == LoopbackStart::Problem::bad_address ||
                         started.problem == LoopbackStart::Problem::not_loopback;
      return usage ? kExitUsage : kExitFailure;
    }
    io.out << "listening on " << format_endpoint(started.endpoint) << "\n";
    io.out.flush();
  }
  if (signal_taken.load() != 0) server.stop();  // a signal before start()

  const std::size_t all = std::numeric_limits<std::size_t>::max();
  if (server.refusing()) {
    // Nothing can be counted: hold the port (bound, never listening) for the
    // time a client has to try, or until interrupted.
    const TimePoint until = opt.connections == 0
                                ? TimePoint::max()
                                : std::chrono::steady_clock::now() +
                                      scenario.deadline();
    (void)server.wait_for_connections(all, until);
  } else {
    (void)server.wait_for_connections(
        opt.connections == 0 ? all : opt.connections, TimePoint::max());
  }
  server.stop();

  // Only a signal stops the server before N connections have finished.
  const bool counted = !server.refusing() && opt.connections != 0;
  const bool too_few = counted && server.finished_count() < opt.connections;
  std::lock_guard lock(out_mu);
  if (const int sig = signal_taken.load(); sig != 0) {
    io.err << "sockcheck serve: interrupted by "
           << (sig == SIGINT ? "SIGINT" : "SIGTERM");
    if (!server.refusing()) {
      const std::size_t ended = ended_before_signal.load();
      const std::size_t of = counted ? opt.connections : ended;
      io.err << " after " << ended;
      if (counted) io.err << " of " << opt.connections;
      io.err << " connection" << (of == 1 ? "" : "s");
    }
    io.err << "\n";
  }
  return too_few || failures.load() != 0 ? kExitFailure : kExitOk;
}

}  // namespace sockcheck::cli
