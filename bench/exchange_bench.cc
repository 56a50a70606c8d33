// Sequential loopback exchanges (connect, send 14 bytes, half-close, read a
// 17-byte reply until FIN), measured four ways in one run:
//
//   BM_RawLoopbackExchange      by hand with raw blocking sockets (baseline)
//   BM_ReferenceClientExchange  the reference client through the POSIX backend
//   BM_LoopbackScenario         the reference client against the loopback
//                               fake server running the same exchange as a
//                               scenario (its worker pool, observed)
//   BM_SimScenario              the same scenario on the simulated transport
//                               (virtual time, in memory), observations final
//
// The raw and reference runs share one minimal server thread, so only the
// client side differs. Prints the rates and their ratios.
//
//   build/dev/bench/sockcheck_bench
#include <benchmark/benchmark.h>

#include "loopback_peer.h"
#include "ratio_reporter.h"
#include "sockcheck/client.h"
#include "sockcheck/loopback_server.h"
#include "sockcheck/posix_transport.h"
#include "sockcheck/scenario_parser.h"
#include "sockcheck/sim_transport.h"

namespace sockcheck::bench {
namespace {

const std::string kRequest = "this is a test";      // 14 bytes
const std::string kReply = "this is the reply";     // 17 bytes

EchoPeer& peer() {
  static EchoPeer p(kReply);
  return p;
}

void BM_RawLoopbackExchange(benchmark::State& state) {
  if (!peer().ok()) {
    state.SkipWithError("cannot listen on 127.0.0.1");
    return;
  }
  for (auto _ : state) {
    if (raw_exchange(peer().port(), kRequest) != static_cast<long>(kReply.size())) {
      state.SkipWithError("raw exchange failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_ReferenceClientExchange(benchmark::State& state) {
  if (!peer().ok()) {
    state.SkipWithError("cannot listen on 127.0.0.1");
    return;
  }
  PosixTransport transport;
  ClientOptions options;
  options.timeout = std::chrono::seconds(10);
  const Endpoint to{"127.0.0.1", peer().port()};
  for (auto _ : state) {
    const ClientResult r = run_client(transport, to, as_bytes(kRequest), options);
    if (!r.ok() || r.bytes_received != kReply.size()) {
      state.SkipWithError("client exchange failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

// The exchange as a scenario: read the request to the client's FIN, answer
// 17 bytes, close.
const Scenario& exchange_scenario() {
  static const Scenario s = [] {
    ParseResult p = parse_scenario(
        "scenario bench-exchange\n"
        "request \"this is a test\"\n"
        "timeout 10s\n"
        "connection 1+\n"
        "  read until-fin\n"
        "  write \"this is the reply\"\n"
        "  close\n",
        "bench");
    return p.ok() ? *p.scenario : Scenario{};
  }();
  return s;
}

void BM_LoopbackScenario(benchmark::State& state) {
  LoopbackServer server;
  LoopbackServerOptions options;
  options.keep_observations = false;  // a long run must not grow memory
  const LoopbackStart started = server.start(exchange_scenario(), options);
  if (!started.ok()) {
    state.SkipWithError(started.error.c_str());
    return;
  }
  PosixTransport transport;
  ClientOptions client_options;
  client_options.timeout = std::chrono::seconds(10);
  std::size_t done = 0;
  for (auto _ : state) {
    const ClientResult r = run_client(transport, started.endpoint,
                                      as_bytes(kRequest), client_options);
    ++done;
    // Count the exchange only when the server has observed it to the end.
    if (!r.ok() || r.bytes_received != kReply.size() ||
        !server.wait_for_connections(done, std::chrono::seconds(10))) {
      state.SkipWithError("loopback scenario exchange failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_SimScenario(benchmark::State& state) {
  const Scenario& scenario = exchange_scenario();
  ClientOptions client_options;
  client_options.timeout = std::chrono::seconds(10);
  SimOptions sim_options;
  sim_options.trace = false;
  const Endpoint to{"sim", 1};
  for (auto _ : state) {
    SimTransport sim(scenario, sim_options);
    const ClientResult r = run_client(sim, to, as_bytes(kRequest), client_options);
    const auto& observed = sim.run_servers_to_end();
    if (!r.ok() || r.bytes_received != kReply.size() || observed.empty() ||
        !observed.front().script_completed) {
      state.SkipWithError("simulated scenario failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

// Every loopback exchange leaves a socket in TIME-WAIT on the client side
// for 60 s; tens of thousands of them exhaust the ephemeral port range and
// slow connect() down for whoever runs last. So the loopback benchmarks run
// a fixed number of exchanges (3 x 3 x 2000 = 18000, well inside the 28000
// ports Linux uses by default) and their repetitions are interleaved at
// random (see main), so that each side sees the same conditions.
constexpr int kLoopbackIterations = 2000;
constexpr int kRepetitions = 3;
BENCHMARK(BM_RawLoopbackExchange)->UseRealTime()->Iterations(kLoopbackIterations)->Repetitions(kRepetitions);
BENCHMARK(BM_ReferenceClientExchange)->UseRealTime()->Iterations(kLoopbackIterations)->Repetitions(kRepetitions);
BENCHMARK(BM_LoopbackScenario)->UseRealTime()->Iterations(kLoopbackIterations)->Repetitions(kRepetitions);
BENCHMARK(BM_SimScenario)->UseRealTime()->MinTime(0.3)->Repetitions(kRepetitions);

}  // namespace
}  // namespace sockcheck::bench

int main(int argc, char** argv) {
  return sockcheck::bench::run_with_ratios(
      argc, argv,
      {{"BM_ReferenceClientExchange", "BM_RawLoopbackExchange", 0.9},
       {"BM_LoopbackScenario", "BM_RawLoopbackExchange", 0.8},
       {"BM_SimScenario", "BM_RawLoopbackExchange", 50.0}});
}
