// The scenario model: what a fake server does to a client, and what is
// expected of the client. Parsed from the scenario language
// (docs/scenario-language.md, scenario_parser.h), printed back by
// print_scenario(), executed by the loopback server (loopback_server.h) and
// by the simulated transport (sim_transport.h), judged by the oracle.
//
// This header is plain data: no I/O, no parsing. Every field has a default
// that a parsed scenario without the corresponding line gets.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sockcheck/client.h"
#include "sockcheck/io.h"

namespace sockcheck {

// Where a construct came from, for messages as `file:line:col: message`.
// Lines and columns are 1-based; 0 means "not from a file".
struct SourceLocation {
  int line = 0;
  int column = 0;
};

// A byte string as the scenario wrote it. materialize() turns it into bytes.
struct DataSpec {
  enum class Kind {
    literal,  // `"text with \n \r \t \\ \" \0 \xHH escapes"`
    hex,      // `hex 48656c6c6f` (whitespace inside not allowed)
    repeat,   // `repeat "ab" 1MiB`: `text` repeated and cut to `size` bytes
    random,   // `random 1MiB seed 7`: `size` pseudo-random bytes from `seed`
    request,  // `request`: the scenario's request bytes (e.g. to echo them)
  };
  Kind kind = Kind::literal;
  std::string text;        // literal, hex and repeat: the decoded bytes
  std::uint64_t size = 0;  // repeat, random
  std::uint64_t seed = 0;  // random

  friend bool operator==(const DataSpec&, const DataSpec&) = default;
};

// The bytes a DataSpec stands for. `request` is what Kind::request expands
// to. random uses splitmix64 so every backend and every platform produces
// the same bytes for the same seed.
std::string materialize(const DataSpec& data, const std::string& request);
// How many bytes materialize() would produce, without producing them.
std::uint64_t data_size(const DataSpec& data, std::uint64_t request_size);

// One step of a server script. Steps run in order on each accepted
// connection; the meaning of each field depends on `kind`.
struct Step {
  enum class Kind {
    accept,          // accept the connection, after `delay` (default 0)
    refuse,          // refuse the connection (only step of its script)
    read,            // read exactly `count` bytes, in pieces of `chunk`
                     // (0 = as they come) with `gap` between pieces
    read_until_fin,  // read until the client's FIN, pieces as for `read`
    recv_buffer,     // shrink the server's receive buffer to `count` bytes
                     // (backpressure: the client's sends come back short)
    write,           // write `data` in pieces of `chunk` (0 = at once) with
                     // `gap` between pieces
    sleep,           // do nothing for `delay`
    half_close,      // send FIN (shutdown SHUT_WR), keep the connection
    close,           // orderly close; RST if unread client data is pending
    reset,           // abortive close: RST (SO_LINGER 0)
    hang,            // keep the connection open without FIN until the client
                     // closes it or the scenario's deadline passes
  };
  Kind kind = Kind::sleep;
  Duration delay{};           // accept, sleep
  std::uint64_t count = 0;    // read, recv_buffer
  std::uint64_t chunk = 0;    // read, read_until_fin, write
  Duration gap{};             // read, read_until_fin, write
  DataSpec data;              // write
  SourceLocation where;       // not compared

  friend bool operator==(const Step& a, const Step& b) {
    return a.kind == b.kind && a.delay == b.delay && a.count == b.count &&
           a.chunk == b.chunk && a.gap == b.gap && a.data == b.data;
  }
};

// The name of a step kind as scripts and messages spell it
// ("read until-fin", "half-close", ...).
[[nodiscard]] std::string_view to_string(Step::Kind kind) noexcept;

// The script for a range of connections, 1-based: `connection 2` is
// first == last == 2; `connection 3+` is first == 3, last == 0 (no end).
// A scenario without `connection` lines has one script for 1+.
// Every script starts with an implicit `accept` unless its first step is an
// accept or refuse, and ends with an implicit `close` unless its last step
// is close, reset or hang (the parser inserts neither: executors apply the
// rule, printers keep what was written).
struct ConnectionScript {
  int first = 1;
  int last = 0;
  std::vector<Step> steps;
  SourceLocation where;

  [[nodiscard]] bool covers(int connection_number) const noexcept {
    return connection_number >= first &&
           (last == 0 || connection_number <= last);
  }
  friend bool operator==(const ConnectionScript& a, const ConnectionScript& b) {
    return a.first == b.first && a.last == b.last && a.steps == b.steps;
  }
};

// Faults injected into the client's own calls (`inject recv EINTR every 3`,
// `inject send short at 2`). In process the simulated transport injects
// them; for a program over loopback the interposer does
// (docs/interposer.md), and only where the kernel could return them.
struct Injection {
  enum class Call { send, recv, wait, shutdown };
  Call call = Call::recv;
  std::error_code error;     // EINTR or EAGAIN; empty for a short count
  bool short_count = false;  // `short`: the call moves only half the bytes
                             // it would have (at least 1)
  std::uint32_t every = 1; // the 1st, (1+every)th, ... call of that kind fails
  std::uint32_t at = 0;    // `at K`: only the K-th call (then `every` is unused)
  SourceLocation where;

  friend bool operator==(const Injection& a, const Injection& b) {
    return a.call == b.call && a.error == b.error &&
           a.short_count == b.short_count && a.every == b.every && a.at == b.at;
  }
  // Whether the n-th call (1-based) of its kind is hit.
  [[nodiscard]] bool hits(std::uint64_t n) const noexcept {
    if (at != 0) return n == at;
    const std::uint64_t e = every == 0 ? 1 : every;
    return (n - 1) % e == 0;
  }
};

// How a simulated RST treats data the client has not read yet.
enum class ResetMode {
  linux_like,    // queued data stays readable, then ECONNRESET (default)
  windows_like,  // unread data is discarded, recv fails at once
};

// How binding a scenario is, in the sense of RFC 2119: a MUST scenario
// checks what every correct client of the pattern does; a SHOULD scenario
// checks what a robust one does, where a client that does not may still be
// right for the servers it talks to (docs/conformance.md says why for each).
// `sockcheck run` fails on a SHOULD violation only with --strict.
enum class Level { must, should };
[[nodiscard]] constexpr std::string_view to_string(Level l) noexcept {
  return l == Level::must ? "MUST" : "SHOULD";
}
// `expect connections N` (exactly N) or `expect connections at-most N`: how
// many connections a client that may retry opens. The oracle caps it by
// the client's retry contract: a client that never retries opens one.
struct ConnectionCount {
  int count = 1;         // 1 to 1000000
  bool at_most = false;

  friend bool operator==(const ConnectionCount&, const ConnectionCount&) = default;
};

// What is expected of the client, beyond what the oracle derives from the
// script. Unset fields add nothing.
struct Expectations {
  std::vector<Outcome> outcomes;             // `expect outcome closed|reset`
  std::optional<DataSpec> response;          // `expect response DATA`
  std::optional<DataSpec> server_received;   // `expect received DATA`
  std::optional<bool> client_fin;            // `expect client-fin yes|no`
  std::optional<Duration> max_duration;      // `expect within 2s`
  std::optional<ConnectionCount> connections;  // `expect connections 2`

  friend bool operator==(const Expectations&, const Expectations&) = default;
};

struct Scenario {
  std::string name;         // `scenario NAME` (required)
  std::string description;  // `description "one line"`
  DataSpec request{DataSpec::Kind::literal, "this is a test", 0, 0};
  Duration client_timeout = std::chrono::seconds(5);  // `timeout 5s`
  std::uint64_t seed = 0;   // `seed N`: for the sim's choices, if any
  ResetMode reset_mode = ResetMode::linux_like;       // `reset-mode windows`
  Level level = Level::must;                          // `level should`
  std::vector<ConnectionScript> scripts;
  std::vector<Injection> injections;
  Expectations expect;
  std::string file;         // where it was read from ("" if not a file)

  // The script for the n-th connection (1-based), or nullptr if none covers
  // it (the server then refuses further connections).
  [[nodiscard]] const ConnectionScript* script_for(int n) const noexcept {
    for (const auto& s : scripts) {
      if (s.covers(n)) return &s;
    }
    return nullptr;
  }
  // How long a server script may run at most: the client's timeout plus a
  // slack of kServerSlack. `hang` ends here, every server wait is bounded by
  // it, and a client still running at this point violates `bounded`.
  static constexpr Duration kServerSlack = std::chrono::seconds(5);
  [[nodiscard]] Duration deadline() const noexcept {
    return client_timeout + kServerSlack;
  }
  // The request bytes the client is given.
  [[nodiscard]] std::string request_bytes() const {
    return materialize(request, {});
  }

  friend bool operator==(const Scenario& a, const Scenario& b) {
    return a.name == b.name && a.description == b.description &&
           a.request == b.request && a.client_timeout == b.client_timeout &&
           a.seed == b.seed && a.reset_mode == b.reset_mode && a.level == b.level &&
           a.scripts == b.scripts && a.injections == b.injections &&
           a.expect == b.expect;
  }
};

}  // namespace sockcheck
