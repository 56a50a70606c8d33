// Planted faulty clients: test-only copies of the reference client's exchange
// loop with one defect switched on each, to prove that the receive-path check
// and its fuzz target find real bugs.
//
// Theory of operation. run_planted_exchange() has the shape of run_exchange()
// in client/src/client.cc (send what is left, recv what arrived, wait only
// when everything needed is blocked, close once at the end). Each Defect
// turns one line of it into a mistake that real clients make. With
// Defect::none it behaves as the reference, which the tests check too, so a
// death is the defect's doing and not the copy's.
//
// Never linked into the client library: only the planted fuzzers and
// tests/fuzz_planted_test.cc use it.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "sockcheck/client.h"
#include "sockcheck/receive_path.h"

namespace sockcheck::planted {

enum class Defect {
  none,
  off_by_one_buffer,         // keeps a byte free for a terminator: a chunk
                             //   that fills the buffer loses its last byte
  eintr_fatal,               // recv's EINTR ends the exchange as an error
  short_read_ends_response,  // a recv that did not fill the buffer is taken
                             //   for the end of the response
  reset_as_eof,              // ECONNRESET from recv is taken for an orderly close
  close_retried_on_eintr,    // close() is called again after EINTR
  half_close_on_eagain,      // send's EAGAIN taken for "queued": FIN at once,
                             //   the rest sent later (send after shutdown)
  short_send_not_continued,  // a short send is taken for the whole request
  eagain_busy_loop,          // recv's EAGAIN retried at once, never waited on
  deadline_ignored,          // the clock is never read; a timed-out wait is
                             //   retried as if there were time left
};

struct DefectInfo {
  Defect defect;
  std::string_view name;         // kebab-case, used in file and target names
  std::string_view invariant;    // the invariant expected to catch it
  std::string_view description;  // one sentence
};

// Every defect but `none`, in declaration order.
[[nodiscard]] std::span<const DefectInfo> defects();
[[nodiscard]] std::optional<Defect> defect_by_name(std::string_view name);
[[nodiscard]] std::string_view name_of(Defect defect);

// The faulty exchange; same contract as run_exchange() otherwise.
ClientResult run_planted_exchange(Defect defect, Connection& conn,
                                  Clock& clock,
                                  std::span<const std::byte> request,
                                  TimePoint deadline,
                                  const ClientOptions& options,
                                  ClientObserver* observer);

// The faulty exchange as a client for check_receive_path().
[[nodiscard]] ExchangeClient planted_client(Defect defect);

}  // namespace sockcheck::planted
