// Sequential loopback exchanges (connect, send 14 bytes, half-close, read a
// 17-byte reply until FIN), done by hand with raw blocking sockets and by the
// reference client through the POSIX backend, against the same server
// thread, in one run. Prints both rates and their ratio.
//
//   build/dev/bench/sockcheck_bench --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include "loopback_peer.h"
#include "ratio_reporter.h"
#include "sockcheck/client.h"
#include "sockcheck/posix_transport.h"

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

// Interleaved registration order (raw, client, raw, client with
// repetitions) keeps slow drifts of the machine from favouring one side.
BENCHMARK(BM_RawLoopbackExchange)->UseRealTime()->MinTime(0.5);
BENCHMARK(BM_ReferenceClientExchange)->UseRealTime()->MinTime(0.5);

}  // namespace
}  // namespace sockcheck::bench

int main(int argc, char** argv) {
  return sockcheck::bench::run_with_ratios(
      argc, argv,
      {{"BM_ReferenceClientExchange", "BM_RawLoopbackExchange", 0.9}});
}
