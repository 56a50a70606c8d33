// The runner. See runner.h.
#include "sockcheck/runner.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <filesystem>

#include "sockcheck/loopback_server.h"
#include "sockcheck/posix_transport.h"
#include "sockcheck/script_plan.h"
#include "sockcheck/sim_transport.h"
#include "interposer_run.h"
#include "program_runner.h"
#include "wine_session.h"

namespace sockcheck {

std::string_view to_string(TransportKind t) noexcept {
  return t == TransportKind::sim ? "sim" : "tcp";
}

bool ScenarioRun::passed() const {
  return error.empty() && violations().empty();
}

const RuleResult* ScenarioRun::rule(Rule r) const {
  for (const RuleResult& rr : rules) {
    if (rr.rule == r) return &rr;
  }
  return nullptr;
}

std::vector<const RuleResult*> ScenarioRun::violations() const {
  return violations_cause_first(rules);
}

namespace {

// Counts what an in-process client does with each connection: close()
// calls and calls after the first close (which are not forwarded, so a
// double close can never close a descriptor the process reused meanwhile).
struct CallCounts {
  int connections = 0;
  int closes = 0;
  int calls_after_close = 0;
  int sends_after_shutdown = 0;  // send() after a successful shutdown_write()
  std::vector<ConnectAttempt> attempts;  // every connect(), in order
};

class CountingConnection final : public Connection {
 public:
  CountingConnection(std::unique_ptr<Connection> inner, CallCounts& counts,
                     std::size_t attempt)
      : inner_(std::move(inner)), counts_(counts), attempt_(attempt) {}
  IoResult send(std::span<const std::byte> d) override {
    if (after_close()) return IoResult::failure(std::errc::bad_file_descriptor);
    if (shut_) ++counts_.sends_after_shutdown;
    return inner_->send(d);
  }
  IoResult recv(std::span<std::byte> b) override {
    if (after_close()) return IoResult::failure(std::errc::bad_file_descriptor);
    IoResult r = inner_->recv(b);
    if (r.ok()) counts_.attempts[attempt_].received += std::min(r.bytes, b.size());
    return r;
  }
  IoResult shutdown_write() override {
    if (after_close()) return IoResult::failure(std::errc::bad_file_descriptor);
    IoResult r = inner_->shutdown_write();
    if (r.ok()) shut_ = true;
    return r;
  }
  IoResult close() override {
    ++counts_.closes;
    if (closed_) {
      ++counts_.calls_after_close;
      return IoResult::failure(std::errc::bad_file_descriptor);
    }
    closed_ = true;
    return inner_->close();
  }
  WaitResult wait(bool r, bool w, TimePoint deadline) override {
    if (after_close()) {
      return {false, false, std::make_error_code(std::errc::bad_file_descriptor)};
    }
    return inner_->wait(r, w, deadline);
  }

 private:
  bool after_close() {
    if (closed_) ++counts_.calls_after_close;
    return closed_;
  }
  std::unique_ptr<Connection> inner_;
  CallCounts& counts_;
  std::size_t attempt_;  // its index in counts_.attempts
  bool closed_ = false;
  bool shut_ = false;  // our FIN is out
};

class CountingTransport final : public Transport {
 public:
  CountingTransport(Transport& inner, CallCounts& counts)
      : inner_(inner), counts_(counts) {}
  TimePoint now() override { return inner_.now(); }
  ConnectResult connect(const Endpoint& to, TimePoint deadline) override {
    ConnectResult c = inner_.connect(to, deadline);
    counts_.attempts.push_back({c.connection != nullptr, 0});
    if (c.connection) {
      ++counts_.connections;
      c.connection = std::make_unique<CountingConnection>(std::move(c.connection), counts_,
                                                          counts_.attempts.size() - 1);
    }
    return c;
  }

 private:
  Transport& inner_;
  CallCounts& counts_;
};

class ReferenceClient final : public ClientUnderTest {
 public:
  explicit ReferenceClient(int retries) : retries_(retries) {}
  std::string name() const override {
    return retries_ > 0 ? "reference --retries " + std::to_string(retries_) : "reference";
  }
  bool in_process() const override { return true; }
  ClientRun run(RunContext& ctx) override {
    ClientOptions options;
    options.timeout = ctx.timeout;
    options.retries = retries_;
    const ClientResult r = run_client(*ctx.transport, ctx.endpoint,
                                      as_bytes(ctx.request), options);
    ClientRun run;
    run.in_process = true;
    run.outcome = r.outcome;
    run.reported_success = r.ok();
    run.response = r.response;
    if (r.error) {
      run.diagnostics = std::string(to_string(r.failed_operation)) +
                        " failed: " + error_name(r.error);
    }
    return run;
  }

 private:
  int retries_;
};

class FunctionClient final : public ClientUnderTest {
 public:
  FunctionClient(std::string name, ClientFunction fn)
      : name_(std::move(name)), fn_(std::move(fn)) {}
  std::string name() const override { return name_; }
  bool in_process() const override { return true; }
  ClientRun run(RunContext& ctx) override {
    const UserClientResult r =
        fn_(*ctx.transport, ctx.endpoint, ctx.request, ctx.timeout);
    ClientRun run;
    run.in_process = true;
    run.reported_success = r.success;
    // The judge reads success from `outcome` in process; keep the two in
    // step, whatever detail the user's client gave.
    if (r.success) {
      run.outcome = Outcome::closed;
    } else {
      run.outcome = r.outcome && *r.outcome != Outcome::closed ? *r.outcome : Outcome::error;
    }
    run.response = r.response;
    return run;
  }

 private:
  std::string name_;
  ClientFunction fn_;
};

class ProgramClient final : public ClientUnderTest {
 public:
  explicit ProgramClient(ProgramOptions options) : options_(std::move(options)) {}
  std::string name() const override { return options_.command; }
  bool in_process() const override { return false; }
  ClientRun run(RunContext& ctx) override {
    std::vector<std::string> argv;
    if (options_.shell) {
      argv = {"/bin/sh", "-c",
              substitute_placeholders(options_.command, ctx.endpoint, ctx.timeout)};
    } else {
      const auto words = split_command(options_.command);  // checked at creation
      for (const std::string& word : words.value_or(std::vector<std::string>{})) {
        argv.push_back(substitute_placeholders(word, ctx.endpoint, ctx.timeout));
      }
    }
    std::string wine_error;
    const bool windows = !argv.empty() && is_windows_program(argv.front()) && !options_.shell;
    if (windows) {
      if (!wine_) {
        const auto tools = find_wine();
        if (tools) {
          wine_ = WineSession::start(*tools, &wine_error);
        } else {
          wine_error = wine_missing_error(argv.front());
        }
      }
      if (wine_) argv = wine_->wrap(std::move(argv));
    }
    // Not into Wine: its own socket calls would take the faults and retry
    // them for the program, which would be credited with handling them.
    std::optional<InterposerRun> interposer;
    if (!options_.interposer.empty() && !windows) {
      interposer.emplace(options_.interposer, ctx.scenario, ctx.endpoint,
                         options_.fault_level);
    }
    ProgramResult p;
    if (wine_error.empty()) {
      p = run_program_with_input(argv, ctx.request, ctx.scenario.deadline(),
                                 interposer ? interposer->env() : std::vector<std::string>{});
    } else {
      p.start_error = wine_error;
    }
    ClientRun run;
    if (interposer) {
      SyscallTrace trace = interposer->finish(argv.empty() ? std::string() : argv[0]);
      if (!interposer->error().empty()) trace.not_reached = interposer->error();
      take_counts(run, trace);
      run.syscalls = std::move(trace);
    } else if (windows || !options_.no_interposer_reason.empty()) {
      SyscallTrace none;
      none.not_reached = windows ? "a Windows program under Wine: the interposer would "
                                   "inject into Wine's socket calls, not the program's"
                                 : options_.no_interposer_reason;
      run.syscalls = std::move(none);
    }
    run.in_process = false;
    run.elapsed = p.elapsed;
    run.killed_at_deadline = p.killed;
    run.signal = p.signal;
    run.exit_status = p.exit_status;
    run.reported_success = !p.killed && p.signal == 0 && p.exit_status == 0;
    run.response = p.out;
    run.diagnostics = p.err;
    if (!p.start_error.empty()) run.diagnostics = p.start_error;
    if (windows) run.platform = ClientPlatform::wine;
    return run;
  }

 private:
  ProgramOptions options_;
  // The run's Wine prefix, made by the first scenario that runs a Windows
  // program, stopped with the client (wine_session.h).
  std::unique_ptr<WineSession> wine_;
};

Scenario with_overrides(const Scenario& s, const RunOptions& o) {
  Scenario copy = s;
  if (o.timeout) copy.client_timeout = *o.timeout;
  if (o.seed) copy.seed = *o.seed;
  return copy;
}

void run_on_sim(ScenarioRun& out, ClientUnderTest& client, const RunOptions& o) {
  SimOptions sim_options;
  sim_options.trace = o.keep_trace;
  SimTransport sim(out.scenario, sim_options);
  CallCounts counts;
  CountingTransport counting(sim, counts);
  RunContext ctx{out.scenario, out.scenario.request_bytes(),
                 out.scenario.client_timeout, Endpoint{"sim", 1}, &counting};
  const TimePoint start = sim.now();
  out.client = client.run(ctx);
  out.client.elapsed = sim.now() - start;
  out.observations = sim.run_servers_to_end();
  out.client.connections = counts.connections;
  out.client.close_calls = counts.connections > 0 ? counts.closes : 0;
  out.client.calls_after_close = counts.calls_after_close;
  out.client.sends_after_shutdown = counts.sends_after_shutdown;
  out.client.attempts = std::move(counts.attempts);
  std::uint64_t injected = 0;
  for (int n = 1; n <= sim.connection_count(); ++n) {
    injected += sim.client_calls(n).injected;
  }
  out.client.faults_injected = static_cast<int>(std::min<std::uint64_t>(injected, INT_MAX));
  if (o.keep_trace) out.trace = sim.trace();
}

void run_on_tcp(ScenarioRun& out, ClientUnderTest& client) {
  LoopbackServer server;
  const LoopbackStart started = server.start(out.scenario);
  if (!started.ok()) {
    out.error = "cannot start the loopback server: " + started.error;
    return;
  }
  PosixTransport posix;
  CallCounts counts;
  CountingTransport counting(posix, counts);
  RunContext ctx{out.scenario, out.scenario.request_bytes(),
                 out.scenario.client_timeout, started.endpoint, &counting};
  const auto start = std::chrono::steady_clock::now();
  out.client = client.run(ctx);
  // A program's own time is measured around its process (program_runner.h);
  // one that could not be started has none.
  if (client.in_process() || out.client.elapsed == Duration{}) {
    out.client.elapsed = std::chrono::steady_clock::now() - start;
  }
  if (client.in_process()) {
    out.client.connections = counts.connections;
    out.client.close_calls = counts.connections > 0 ? counts.closes : 0;
    out.client.calls_after_close = counts.calls_after_close;
    out.client.sends_after_shutdown = counts.sends_after_shutdown;
    out.client.attempts = std::move(counts.attempts);
  }
  if (!server.refusing()) {
    // The client is done, so its sockets are closed and every script ends
    // soon; but a delayed accept may not even have happened yet. Wait for
    // each connection it opened (in process: each connect; a program: one)
    // to be accepted only as long as its accept delay (plus a grace), then
    // for them to finish within the scenario's deadline.
    const Duration grace = std::chrono::seconds(2);
    const auto accept_wait = [&](std::size_t n, Duration extra) {
      const Duration accept_delay =
          plan_connection(out.scenario, static_cast<int>(n)).accept_delay;
      const auto elapsed = std::chrono::steady_clock::now() - start;
      return accept_delay > elapsed ? accept_delay - elapsed + extra : extra;
    };
    std::size_t expected = std::max<std::size_t>(1, out.client.attempts.size());
    bool accepted = true;
    for (std::size_t n = 1; n <= expected && accepted; ++n) {
      accepted = static_cast<bool>(server.wait_for_accepted(n, accept_wait(n, grace)));
    }
    // A program's retries are known only from the server: where later
    // connections have their own scripts, give each a moment to show up.
    const bool per_connection_scripts =
        out.scenario.scripts.size() != 1 || out.scenario.scripts[0].first != 1 ||
        out.scenario.scripts[0].last != 0;
    if (accepted && !client.in_process() && per_connection_scripts) {
      const Duration moment = std::chrono::milliseconds(100);
      while (server.wait_for_accepted(expected + 1, accept_wait(expected + 1, moment))) {
        ++expected;
      }
    }
    if (accepted) {
      (void)server.wait_for_connections(expected, out.scenario.deadline() + grace);
    }
  }
  server.stop();
  out.observations = server.observations();
}

}  // namespace

std::unique_ptr<ClientUnderTest> reference_client(int retries) {
  return std::make_unique<ReferenceClient>(retries);
}

std::unique_ptr<ClientUnderTest> function_client(std::string name,
                                                 ClientFunction fn) {
  return std::make_unique<FunctionClient>(std::move(name), std::move(fn));
}

std::string default_interposer() {
  namespace fs = std::filesystem;
  if (const char* env = std::getenv("SOCKCHECK_PRELOAD_LIB"); env != nullptr && *env != '\0') {
    return env;
  }
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  const fs::path dir = exe.parent_path();
  const char* name = "libsockcheck_preload.so";
  for (const fs::path& candidate :
       {dir / ".." / "preload" / name, dir / ".." / "lib" / "sockcheck" / name,
        dir / ".." / "lib64" / "sockcheck" / name,
        dir / ".." / "lib" / "x86_64-linux-gnu" / "sockcheck" / name}) {
    if (fs::exists(candidate, ec)) return fs::weakly_canonical(candidate, ec).string();
  }
  return {};
}

std::unique_ptr<ClientUnderTest> program_client(const ProgramOptions& options,
                                                std::string* error) {
  auto fail = [&](std::string why) -> std::unique_ptr<ClientUnderTest> {
    if (error != nullptr) *error = std::move(why);
    return nullptr;
  };
  const auto words = split_command(options.command);
  if (!words) return fail("unbalanced quotes in the client command");
  if (words->empty()) return fail("the client command is empty");
  if (!options.shell && is_windows_program(words->front()) && !find_wine()) {
    return fail(wine_missing_error(words->front()));
  }
  return std::make_unique<ProgramClient>(options);
}

std::optional<std::vector<std::string>> split_command(std::string_view command) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < command.size(); ++i) {
    const char c = command[i];
    if (quote == '\'') {
      if (c == '\'') {
        quote = 0;
      } else {
        word += c;
      }
    } else if (quote == '"') {
      if (c == '"') {
        quote = 0;
      } else if (c == '\\' && i + 1 < command.size() &&
                 (command[i + 1] == '"' || command[i + 1] == '\\')) {
        word += command[++i];
      } else {
        word += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\') {
      if (i + 1 >= command.size()) return std::nullopt;
      word += command[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) {
        words.push_back(std::move(word));
        word.clear();
        in_word = false;
      }
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote != 0) return std::nullopt;
  if (in_word) words.push_back(std::move(word));
  return words;
}

std::string substitute_placeholders(std::string_view text, const Endpoint& to,
                                    Duration timeout) {
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(timeout).count();
  const auto s = std::max<long long>(1, (ms + 999) / 1000);
  const std::pair<std::string_view, std::string> table[] = {
      {"{host}", to.host},
      {"{port}", std::to_string(to.port)},
      {"{timeout_ms}", std::to_string(ms)},
      {"{timeout_s}", std::to_string(s)},
  };
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    bool replaced = false;
    for (const auto& [key, value] : table) {
      if (text.substr(i, key.size()) == key) {
        out += value;
        i += key.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) out += text[i++];
  }
  return out;
}

ScenarioRun run_scenario(const Scenario& scenario, ClientUnderTest& client,
                         const RunOptions& options) {
  ScenarioRun out;
  out.scenario = with_overrides(scenario, options);
  out.transport = options.transport;
  out.model = derive_model(out.scenario,
                           options.transport == TransportKind::sim ? WindowModel::exact
                                                                   : WindowModel::at_least,
                           options.contract, options.retries);
  const auto wall_start = std::chrono::steady_clock::now();
  if (options.transport == TransportKind::sim) {
    if (!client.in_process()) {
      out.error = "a client program can only run over tcp (use --transport tcp)";
      return out;
    }
    run_on_sim(out, client, options);
  } else {
    run_on_tcp(out, client);
  }
  out.wall_time = std::chrono::steady_clock::now() - wall_start;
  if (out.error.empty()) {
    out.rules = judge(out.scenario, out.model, out.client, out.observations);
  }
  return out;
}

}  // namespace sockcheck
