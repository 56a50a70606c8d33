// The judge (oracle.h) on hand-made runs: the cases the built-in suite met
// only by timing or by chance, pinned down here without a network.
//
// Each test builds a scenario from text, a ClientRun and a ServerObservation
// as the runner would fill them in, and checks one rule's verdict: the
// client that half-closes only when it gives up, the client that aborts its
// own request, the client that closes early but reported failure, a send
// after the FIN, a connect that failed although the server accepted, and
// the wording of honest-outcome.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "sockcheck/oracle.h"
#include "sockcheck/scenario_parser.h"

namespace sockcheck {
namespace {

using namespace std::chrono_literals;

Scenario parse(const std::string& text) {
  ParseResult r = parse_scenario(text, "<test>");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error->to_string());
  return r.ok() ? *r.scenario : Scenario{};
}

// The server read the whole request until the client's FIN, then hangs:
// the client must time out (after 1 s) and must have half-closed.
const char* kHangAfterFin =
    "scenario t\nrequest \"ping\\n\"\ntimeout 1s\n"
    "read until-fin\nhang\n";

ServerObservation accepted(std::string received) {
  ServerObservation o;
  o.connection = 1;
  o.accepted = true;
  o.received = std::move(received);
  return o;
}

ClientRun program_failed(Duration elapsed) {
  ClientRun run;
  run.in_process = false;
  run.exit_status = 1;
  run.reported_success = false;
  run.elapsed = elapsed;
  return run;
}

RuleResult verdict(const Scenario& s, const ClientRun& run,
                   const ServerObservation& obs, Rule rule) {
  const Model m = derive_model(s);
  for (const RuleResult& r : judge(s, m, run, {obs})) {
    if (r.rule == rule) return r;
  }
  ADD_FAILURE() << "no verdict for " << to_string(rule);
  return {};
}

TEST(OracleHalfClose, FinOnlyAtTheTimeoutIsNoHalfClose) {
  const Scenario s = parse(kHangAfterFin);
  ServerObservation obs = accepted("ping\n");
  obs.saw_client_fin = true;
  obs.client_fin_at = 990ms;  // the program started ~10 ms before it connected
  const RuleResult r = verdict(s, program_failed(1005ms), obs, Rule::half_close);
  EXPECT_EQ(r.verdict, Verdict::violates) << r.evidence;
  EXPECT_NE(r.evidence.find("only when it gave up"), std::string::npos) << r.evidence;
}

TEST(OracleHalfClose, EarlyFinThenFailureConforms) {
  // The server read the FIN at once and reset: the client ended right after.
  const Scenario s = parse(
      "scenario t\nrequest \"ping\\n\"\ntimeout 1s\nread until-fin\nreset\n");
  ServerObservation obs = accepted("ping\n");
  obs.saw_client_fin = true;
  obs.client_fin_at = 1ms;
  ClientRun run = program_failed(3ms);
  EXPECT_EQ(verdict(s, run, obs, Rule::half_close).verdict, Verdict::conforms);
  // ... and a conforming client that times out with its FIN sent early.
  const Scenario hang = parse(kHangAfterFin);
  EXPECT_EQ(verdict(hang, program_failed(1002ms), obs, Rule::half_close).verdict,
            Verdict::conforms);
}

TEST(OracleHalfClose, AcceptDelayIsAddedToTheServersClock) {
  // Accepted 400 ms after the connect: a FIN read 580 ms after the accept
  // came 980 ms after the client's start, at its timeout.
  const Scenario s = parse(
      "scenario t\nrequest \"ping\\n\"\ntimeout 1s\n"
      "accept after 400ms\nread until-fin\nhang\n");
  ServerObservation obs = accepted("ping\n");
  obs.saw_client_fin = true;
  obs.client_fin_at = 580ms;
  EXPECT_EQ(verdict(s, program_failed(1001ms), obs, Rule::half_close).verdict,
            Verdict::violates);
  obs.client_fin_at = 1ms;  // queued before the accept: read at once
  EXPECT_EQ(verdict(s, program_failed(1001ms), obs, Rule::half_close).verdict,
            Verdict::conforms);
}

TEST(OracleHalfClose, NoFinAfterAnIncompleteRequestIsNotAHalfCloseMatter) {
  const Scenario s = parse(kHangAfterFin);
  const ServerObservation obs = accepted("pi");  // the client aborted its request
  const RuleResult r = verdict(s, program_failed(20ms), obs, Rule::half_close);
  EXPECT_EQ(r.verdict, Verdict::not_applicable) << r.evidence;
  EXPECT_EQ(verdict(s, program_failed(20ms), obs, Rule::request_delivered).verdict,
            Verdict::violates);
  // The whole request and still no FIN: that is the client's half-close.
  EXPECT_EQ(verdict(s, program_failed(1001ms), accepted("ping\n"), Rule::half_close).verdict,
            Verdict::violates);
}

TEST(OracleHalfClose, EarlyCloseIsFlaggedOnlyWhenTheClientClaimedSuccess) {
  const Scenario s = parse(
      "scenario t\nrequest \"ping\\n\"\ntimeout 2s\n"
      "read until-fin\nwrite \"a\"\nsleep 100ms\nwrite \"b\"\nclose\n");
  ServerObservation obs = accepted("ping\n");
  obs.saw_client_fin = true;
  obs.client_fin_at = 1ms;
  obs.client_reset = true;  // the second write met the client's RST
  ClientRun success = program_failed(5ms);
  success.exit_status = 0;
  success.reported_success = true;
  EXPECT_EQ(verdict(s, success, obs, Rule::half_close).verdict, Verdict::violates);
  // A client that reported failure gave up; honest-outcome judges that.
  EXPECT_EQ(verdict(s, program_failed(5ms), obs, Rule::half_close).verdict,
            Verdict::conforms);
  EXPECT_EQ(verdict(s, program_failed(5ms), obs, Rule::honest_outcome).verdict,
            Verdict::violates);
}

TEST(OracleHalfClose, SendAfterShutdownIsFlaggedInProcess) {
  const Scenario s = parse(
      "scenario t\nrequest \"ping\\n\"\nread until-fin\nwrite \"pong\"\nclose\n");
  ServerObservation obs = accepted("ping\n");
  obs.saw_client_fin = true;
  ClientRun run;
  run.in_process = true;
  run.outcome = Outcome::closed;
  run.reported_success = true;
  run.response = "pong";
  run.connections = 1;
  run.close_calls = 1;
  run.calls_after_close = 0;
  run.sends_after_shutdown = 0;
  EXPECT_EQ(verdict(s, run, obs, Rule::half_close).verdict, Verdict::conforms);
  run.sends_after_shutdown = 1;
  const RuleResult r = verdict(s, run, obs, Rule::half_close);
  EXPECT_EQ(r.verdict, Verdict::violates);
  EXPECT_NE(r.evidence.find("after the client's FIN"), std::string::npos) << r.evidence;
}

TEST(OracleClosesOnce, AConnectThatFailedHasNothingToClose) {
  // The server accepted and reset before the client's connect completed:
  // its connect failed with ECONNRESET and it never held a connection.
  const Scenario s = parse("scenario t\nreset\n");
  ClientRun run;
  run.in_process = true;
  run.outcome = Outcome::reset;
  run.connections = 0;
  run.close_calls = 0;
  run.calls_after_close = 0;
  EXPECT_EQ(verdict(s, run, accepted(""), Rule::closes_once).verdict,
            Verdict::not_applicable);
  run.connections = 1;  // held one and never closed it
  EXPECT_EQ(verdict(s, run, accepted(""), Rule::closes_once).verdict, Verdict::violates);
  run.close_calls = 1;
  EXPECT_EQ(verdict(s, run, accepted(""), Rule::closes_once).verdict, Verdict::conforms);
}

TEST(OracleHonestOutcome, FailureWhereOnlyAnOrderlyCloseIsPossible) {
  const Scenario s = parse(
      "scenario t\nrequest \"ping\\n\"\nread until-fin\nwrite \"pong\"\nclose\n");
  ServerObservation obs = accepted("ping\n");
  obs.saw_client_fin = true;
  const RuleResult r = verdict(s, program_failed(5ms), obs, Rule::honest_outcome);
  EXPECT_EQ(r.verdict, Verdict::violates);
  EXPECT_NE(r.evidence.find("a conforming client sees an orderly close here"),
            std::string::npos)
      << r.evidence;
}

TEST(OracleBounded, MeasuredTimesArePrintedToAMeaningfulPrecision) {
  const Scenario s = parse(kHangAfterFin);
  EXPECT_EQ(verdict(s, program_failed(140604ns), accepted("ping\n"), Rule::bounded).evidence,
            "finished in 140us");
  EXPECT_EQ(verdict(s, program_failed(2'350'123'456ns), accepted("ping\n"), Rule::bounded)
                .evidence,
            "finished in 2350ms");
}

// --- the model's timing (derive_model) ------------------------------------

std::vector<Outcome> allowed(const std::string& text,
                             WindowModel windows = WindowModel::exact) {
  std::vector<Outcome> out = derive_model(parse(text), windows).allowed;
  std::sort(out.begin(), out.end());
  return out;
}

// Whether a success would come only after the client's timeout has run out
// (an honest outcome that bounded flags), by the contract.
bool late_success(const std::string& text,
                  TimeoutContract contract = TimeoutContract::total,
                  WindowModel windows = WindowModel::exact) {
  return !derive_model(parse(text), windows, contract).late_success.empty();
}

TEST(OracleModel, AChunkedReaderPausesOnlyAfterWholePieces) {
  // 9 bytes in pieces of 4: whole pieces at 0 s and 1 s, the last byte and
  // the FIN at 2 s (not 3 s), well before the 2.5 s timeout less its margin.
  const std::string text =
      "scenario t\nrequest repeat \"x\" 9\ntimeout 2500ms\n"
      "read until-fin chunk 4 gap 1s\nwrite \"ok\"\nclose\n";
  EXPECT_EQ(allowed(text), std::vector<Outcome>{Outcome::closed});
}

TEST(OracleModel, ASlowlyDrainedWindowDelaysTheClientsHalfClose) {
  // The server's FIN comes at once, but a 10-byte window drained 10 bytes
  // every 2 s lets the client get its 50-byte request out only at 6 s,
  // after its 3 s timeout: on the simulator, whose window is exact, it must
  // time out (an orderly close after that is honest but late); over
  // loopback the kernel's window may be larger, so closing is allowed too.
  const std::string text =
      "scenario t\nrequest repeat \"x\" 50\ntimeout 3s\n"
      "recv-buffer 10\nhalf-close\nread until-fin chunk 10 gap 2s\nclose\n";
  EXPECT_EQ(allowed(text, WindowModel::exact),
            (std::vector<Outcome>{Outcome::closed, Outcome::timed_out}));
  EXPECT_TRUE(late_success(text));
  EXPECT_FALSE(late_success(text, TimeoutContract::total, WindowModel::at_least));
  EXPECT_EQ(allowed(text, WindowModel::at_least),
            (std::vector<Outcome>{Outcome::closed, Outcome::timed_out}));
}

// A hang after the server's FIN ends when the client's FIN completes the
// hang-up, and the socket is then closed: with request bytes unread that
// close is an RST, so reset is allowed beside closed; with the request read
// only closed is; and a client stuck behind a small window never sends its
// FIN, so only its timeout ends the exchange.
TEST(OracleModel, AHangAfterFinEndsAsACloseWould) {
  EXPECT_EQ(allowed("scenario t\nrequest \"ping\"\ntimeout 2s\n"
                    "write \"hi\"\nhalf-close\nhang\n"),
            (std::vector<Outcome>{Outcome::closed, Outcome::reset}));
  EXPECT_EQ(allowed("scenario t\nrequest \"ping\"\ntimeout 2s\n"
                    "read until-fin\nwrite \"hi\"\nhalf-close\nhang\n"),
            std::vector<Outcome>{Outcome::closed});
  EXPECT_EQ(allowed("scenario t\nrequest repeat \"x\" 50\ntimeout 2s\n"
                    "recv-buffer 10\nhalf-close\nhang\n"),
            std::vector<Outcome>{Outcome::timed_out});
}

TEST(OracleModel, ALeadingRecvBufferHoldsFromTheFirstByte) {
  // `accept` then `recv-buffer 10`: the window is 10 bytes before the
  // client's first send, so with the rest of the request read only after
  // 5 s the client cannot close in order before its 3 s timeout.
  const std::string text =
      "scenario t\nrequest repeat \"x\" 50\ntimeout 3s\n"
      "accept\nrecv-buffer 10\nhalf-close\nsleep 5s\nread until-fin\nclose\n";
  EXPECT_EQ(allowed(text), (std::vector<Outcome>{Outcome::closed, Outcome::timed_out}));
  EXPECT_TRUE(late_success(text));
}

TEST(OracleModel, AnRstAfterTheTimeoutIsNotWaitedFor) {
  // FIN at once, RST at 10 s, the client's request stuck behind the window
  // until 8 s: it cannot finish before its 3 s timeout, and the RST comes
  // later still.
  const std::string text =
      "scenario t\nrequest repeat \"x\" 50\ntimeout 3s\n"
      "recv-buffer 10\nhalf-close\nread 50 chunk 10 gap 2s\nsleep 2s\nreset\n";
  EXPECT_EQ(allowed(text), (std::vector<Outcome>{Outcome::closed, Outcome::timed_out}));
  EXPECT_TRUE(late_success(text));
}

TEST(OracleModel, AnRstBeforeTheClientCanCloseInOrderIsTheOnlyEnding) {
  // FIN at once, but the request can only be out at 4 s and the RST comes
  // at 1 s: on the simulator the client sees the RST.
  const std::string text =
      "scenario t\nrequest repeat \"x\" 50\ntimeout 30s\n"
      "recv-buffer 10\nhalf-close\nread 20 chunk 10 gap 4s\nsleep 1s\nreset\n";
  // read 20 in 2 pieces (0 s, 4 s), then 1 s: RST at 5 s; the rest of the
  // request (30 bytes) never fits the 10-byte window.
  EXPECT_EQ(allowed(text), std::vector<Outcome>{Outcome::reset});
}

}  // namespace
}  // namespace sockcheck
