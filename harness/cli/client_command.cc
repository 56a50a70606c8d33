// `sockcheck client HOST PORT`: the reference client from the command line.
//
// Default output keeps the lines of the Winsock sample the client is modelled
// on ("Bytes Sent: N", "Bytes received: N" per chunk, "Connection closed",
// "recv failed: E"). With --raw, stdout carries only the response bytes and
// the status lines go to stderr: that is the contract `sockcheck run
// --client-cmd` expects of any client program.
#include <charconv>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "args.h"
#include "commands.h"
#include "sockcheck/client.h"
#include "sockcheck/system_transport.h"
#include "sockcheck/units.h"

namespace sockcheck::cli {
namespace {

constexpr std::string_view kHelp =
    "usage: sockcheck client [OPTIONS] HOST PORT\n"
    "\n"
    "Connects to HOST:PORT, sends the request, half-closes (shutdown SHUT_WR)\n"
    "and reads until the server closes the connection.\n"
    "\n"
    "options:\n"
    "  --message TEXT      the request (default: \"this is a test\")\n"
    "  --stdin             read the request from standard input instead\n"
    "  --raw               write only the response bytes to stdout; status\n"
    "                      lines go to stderr\n"
    "  --timeout DURATION  overall limit, e.g. 500ms, 10s, 2m (default 10s),\n"
    "                      for every connection together\n"
    "  --retries N         connect again, up to N times (0 to 100), when the\n"
    "                      connection is refused or reset before any reply\n"
    "                      byte; never after one (default 0: no retries)\n"
    "  -h, --help          this text\n"
    "\n"
    "exit status:\n"
    "  0  the server closed the connection in order after the reply\n"
    "  1  another error (send, recv, shutdown failed)\n"
    "  2  usage error\n"
    "  3  the connection was refused or could not be made\n"
    "  4  the server reset the connection\n"
    "  5  the timeout passed\n";

struct Options {
  std::string host;
  std::uint16_t port = 0;
  std::string request = "this is a test";
  bool from_stdin = false;
  bool raw = false;
  Duration timeout = std::chrono::seconds(10);
  int retries = 0;
};

// Prints the sample's progress lines, or streams raw bytes.
class Printer final : public ClientObserver {
 public:
  Printer(std::ostream& out, std::ostream& status, bool raw)
      : out_(out), status_(status), raw_(raw) {}
  void on_request_sent(std::size_t total) override {
    status_ << "Bytes Sent: " << total << '\n';
  }
  void on_data(std::span<const std::byte> chunk) override {
    if (raw_) {
      out_.write(reinterpret_cast<const char*>(chunk.data()),
                 static_cast<std::streamsize>(chunk.size()));
    } else {
      status_ << "Bytes received: " << chunk.size() << '\n';
    }
  }
  void on_end_of_stream() override { status_ << "Connection closed\n"; }
  void on_retry(int connection, const ClientResult& failed) override {
    status_ << to_string(failed.failed_operation) << " failed: " << error_name(failed.error)
            << "; retrying (connection " << connection << ")\n";
  }

 private:
  std::ostream& out_;
  std::ostream& status_;
  bool raw_;
};

int usage_error(Streams io, const std::string& message) {
  return cli::usage_error(io, "client", message);
}

std::optional<std::uint16_t> parse_port(std::string_view s) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

int exit_status(Outcome o) {
  switch (o) {
    case Outcome::closed: return kExitOk;
    case Outcome::reset: return kExitReset;
    case Outcome::timed_out: return kExitTimeout;
    case Outcome::refused:
    case Outcome::connect_failed: return kExitConnect;
    case Outcome::error: return kExitFailure;
  }
  return kExitFailure;
}

}  // namespace

int client_main(std::span<const std::string_view> args, Streams io) {
  Options opt;
  std::vector<std::string_view> positional;
  bool have_message = false;
  for (ArgReader r(args); r.next();) {
    if (!r.is_option()) {
      positional.push_back(r.arg());
      continue;
    }
    const std::string_view a = r.name();
    if ((a == "--stdin" || a == "--raw" || a == "--help") && !r.flag()) {
      return usage_error(io, std::string(a) + " takes no value");
    }
    if (a == "-h" || a == "--help") {
      io.out << kHelp;
      return kExitOk;
    } else if (a == "--message") {
      const auto v = r.value();
      if (!v) return usage_error(io, "--message needs a TEXT argument");
      opt.request = std::string(*v);
      have_message = true;
    } else if (a == "--stdin") {
      opt.from_stdin = true;
    } else if (a == "--raw") {
      opt.raw = true;
    } else if (a == "--timeout") {
      const auto v = r.value();
      if (!v) return usage_error(io, "--timeout needs a DURATION argument");
      std::string why;
      const auto d = parse_duration(*v, &why);
      if (!d || *d <= Duration::zero()) {
        return usage_error(io, "--timeout '" + std::string(*v) + "': " +
                                   (d ? "must be positive" : why));
      }
      opt.timeout = *d;
    } else if (a == "--retries") {
      const auto v = r.value();
      if (!v) return usage_error(io, "--retries needs a number");
      const auto n = parse_number<int>(*v);
      if (!n || *n < 0 || *n > kMaxRetries) {
        return usage_error(io, "--retries '" + std::string(*v) +
                                   "': expected a whole number from 0 to " +
                                   std::to_string(kMaxRetries));
      }
      opt.retries = *n;
    } else {
      return usage_error(io, "unknown option '" + std::string(r.arg()) + "'");
    }
  }
  if (positional.size() != 2) {
    return usage_error(io, "expected HOST and PORT, got " +
                               std::to_string(positional.size()) +
                               " argument(s)");
  }
  if (have_message && opt.from_stdin) {
    return usage_error(io, "--message and --stdin are exclusive");
  }
  opt.host = std::string(positional[0]);
  const auto port = parse_port(positional[1]);
  if (!port || *port == 0) {
    return usage_error(io, "PORT '" + std::string(positional[1]) +
                               "' is not a number from 1 to 65535");
  }
  opt.port = *port;
  if (opt.from_stdin) {
    opt.request.assign(std::istreambuf_iterator<char>(io.in),
                       std::istreambuf_iterator<char>());
  }

  std::ostream& status = opt.raw ? io.err : io.out;
  Printer printer(io.out, status, opt.raw);
  SystemTransport transport;
  ClientOptions copt;
  copt.timeout = opt.timeout;
  copt.keep_response = false;  // streamed through the printer instead
  copt.retries = opt.retries;
  const ClientResult r = run_client(transport, {opt.host, opt.port},
                                    as_bytes(opt.request), copt, &printer);
  io.out.flush();
  if (!r.ok()) {
    if (r.outcome == Outcome::timed_out) {
      status << "timed out after " << format_duration(opt.timeout) << " ("
             << to_string(r.failed_operation) << ")\n";
    } else {
      status << to_string(r.failed_operation)
             << " failed: " << error_name(r.error) << '\n';
    }
  }
  status.flush();
  return exit_status(r.outcome);
}

}  // namespace sockcheck::cli
