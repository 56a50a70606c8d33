// The client's timeout contract (total, idle, none) and the root cause of a
// failing run, on hand-made runs without a network.
//
// The same script is judged for clients of each design: a trickle whose
// gaps are short but whose total is long, a FIN that comes late, a server
// that never closes. A success after a late orderly close is honest, and
// bounded says whether the client's own contract allowed it to wait that
// long. A client that never half-closes starves a server that waits for its
// FIN: half-close is the cause, the missing reply its consequence.
#include <gtest/gtest.h>

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

// 30 bytes, one every 100 ms, then close: 3 s in all against a 1 s timeout.
const char* kTrickle =
    "scenario t\nrequest \"GET\\n\"\ntimeout 1s\n"
    "read until-fin\nwrite repeat \".\" 30 chunk 1 gap 100ms\nclose\n";
// The reply at once, the FIN 3 s later.
const char* kLateFin =
    "scenario t\nrequest \"ping\\n\"\ntimeout 1s\n"
    "read until-fin\nwrite \"pong\\n\"\nsleep 3s\nclose\n";
// The reply, then nothing: no FIN ever.
const char* kHang =
    "scenario t\nrequest \"ping\\n\"\ntimeout 1s\n"
    "read until-fin\nwrite \"pong\\n\"\nhang\n";

Model model(const char* text, TimeoutContract c) {
  return derive_model(parse(text), WindowModel::at_least, c);
}

ServerObservation served(std::string received, Duration fin_at) {
  ServerObservation o;
  o.connection = 1;
  o.accepted = true;
  o.received = std::move(received);
  o.saw_client_fin = true;
  o.client_fin_at = fin_at;
  o.script_completed = true;
  return o;
}

ClientRun program(bool success, std::string response, Duration elapsed) {
  ClientRun run;
  run.exit_status = success ? 0 : 1;
  run.reported_success = success;
  run.response = std::move(response);
  run.elapsed = elapsed;
  return run;
}

std::vector<RuleResult> judged(const char* text, TimeoutContract c, const ClientRun& run,
                               const ServerObservation& obs) {
  const Scenario s = parse(text);
  return judge(s, derive_model(s, WindowModel::at_least, c), run, {obs});
}

const RuleResult& rule(const std::vector<RuleResult>& rules, Rule r) {
  for (const RuleResult& x : rules) {
    if (x.rule == r) return x;
  }
  static const RuleResult none{};
  ADD_FAILURE() << "no verdict for " << to_string(r);
  return none;
}

TEST(TimeoutContract, NamesRoundTrip) {
  for (TimeoutContract c :
       {TimeoutContract::total, TimeoutContract::idle, TimeoutContract::none}) {
    EXPECT_EQ(parse_timeout_contract(to_string(c)), c);
  }
  EXPECT_EQ(parse_timeout_contract("Total"), std::nullopt);
  EXPECT_EQ(parse_timeout_contract(""), std::nullopt);
}

TEST(TimeoutContract, ATrickleIsLateForATotalTimeoutOnly) {
  const Model total = model(kTrickle, TimeoutContract::total);
  EXPECT_TRUE(total.allows(Outcome::closed));
  EXPECT_TRUE(total.allows(Outcome::timed_out));
  EXPECT_NE(total.late_success.find("total timeout of 1s"), std::string::npos)
      << total.late_success;

  // No gap of 100 ms comes near a 1 s idle timeout: it must succeed.
  const Model idle = model(kTrickle, TimeoutContract::idle);
  EXPECT_EQ(idle.allowed, std::vector<Outcome>{Outcome::closed});
  EXPECT_TRUE(idle.late_success.empty()) << idle.late_success;

  const Model none = model(kTrickle, TimeoutContract::none);
  EXPECT_EQ(none.allowed, std::vector<Outcome>{Outcome::closed});
  EXPECT_TRUE(none.late_success.empty());
}

TEST(TimeoutContract, ALongSilenceIsLateForAnIdleTimeoutToo) {
  // 3 s of silence before the FIN: an idle timer of 1 s runs out first.
  const Model idle = model(kLateFin, TimeoutContract::idle);
  EXPECT_TRUE(idle.allows(Outcome::timed_out));
  EXPECT_NE(idle.late_success.find("idle timeout of 1s"), std::string::npos)
      << idle.late_success;
  // With no timeout, waiting for the FIN is the design.
  const Model none = model(kLateFin, TimeoutContract::none);
  EXPECT_EQ(none.allowed, std::vector<Outcome>{Outcome::closed});
  EXPECT_TRUE(none.late_success.empty());
}

TEST(TimeoutContract, ASilenceWithinTheMarginAllowsBothEndings) {
  // 1 s of silence against a 1 s idle timeout (margin 200 ms): either way.
  const char* text =
      "scenario t\nrequest \"GET\\n\"\ntimeout 1s\n"
      "read until-fin\nwrite \"a\"\nsleep 1s\nwrite \"b\"\nclose\n";
  const Model idle = model(text, TimeoutContract::idle);
  EXPECT_TRUE(idle.allows(Outcome::closed));
  EXPECT_TRUE(idle.allows(Outcome::timed_out));
  EXPECT_TRUE(idle.late_success.empty()) << idle.late_success;
}

TEST(TimeoutContract, ALateSuccessIsHonestButNotBounded) {
  // A total-timeout client that waited for the late FIN and delivered it
  // all: nothing it said is false, but it did not keep its timeout.
  const auto rules = judged(kLateFin, TimeoutContract::total,
                            program(true, "pong\n", 3010ms), served("ping\n", 1ms));
  EXPECT_EQ(rule(rules, Rule::honest_outcome).verdict, Verdict::conforms);
  EXPECT_EQ(rule(rules, Rule::response_delivered).verdict, Verdict::conforms);
  const RuleResult& b = rule(rules, Rule::bounded);
  EXPECT_EQ(b.verdict, Verdict::violates);
  EXPECT_NE(b.evidence.find("total timeout of 1s"), std::string::npos) << b.evidence;
  EXPECT_NE(b.evidence.find("--client-timeout"), std::string::npos) << b.evidence;
}

TEST(TimeoutContract, TheSameRunConformsForAClientWithoutATimeout) {
  const auto rules = judged(kLateFin, TimeoutContract::none,
                            program(true, "pong\n", 3010ms), served("ping\n", 1ms));
  for (const RuleResult& r : rules) {
    EXPECT_NE(r.verdict, Verdict::violates) << to_string(r.rule) << ": " << r.evidence;
  }
}

TEST(TimeoutContract, AHangIsStillABoundedViolationWithoutATimeout) {
  ClientRun killed = program(false, "pong\n", 6s);
  killed.killed_at_deadline = true;
  const auto rules = judged(kHang, TimeoutContract::none, killed, served("ping\n", 1ms));
  EXPECT_EQ(rule(rules, Rule::bounded).verdict, Verdict::violates);
  EXPECT_EQ(rule(rules, Rule::honest_outcome).verdict, Verdict::not_applicable);
}

TEST(TimeoutContract, TakingATimeoutForSuccessIsStillDishonest) {
  // The server never closes: success is false whatever the contract.
  for (TimeoutContract c : {TimeoutContract::total, TimeoutContract::idle}) {
    const auto rules = judged(kHang, c, program(true, "pong\n", 1010ms), served("ping\n", 1ms));
    EXPECT_EQ(rule(rules, Rule::honest_outcome).verdict, Verdict::violates)
        << to_string(c);
  }
}

// --- the root cause first --------------------------------------------------

// The server waits for the client's FIN, then answers.
const char* kAnswersAfterFin =
    "scenario t\nrequest \"ping\\n\"\ntimeout 1s\n"
    "read until-fin\nwrite \"pong\\n\"\nclose\n";

TEST(RootCause, AFinOnlyAtExitIsHalfCloseWhateverTheExitStatus) {
  // nc without -N: never half-closes, closes at its idle timeout, exits 0
  // having read nothing.
  const auto rules = judged(kAnswersAfterFin, TimeoutContract::idle,
                            program(true, "", 1005ms), served("ping\n", 1000ms));
  const RuleResult& hc = rule(rules, Rule::half_close);
  EXPECT_EQ(hc.verdict, Verdict::violates) << hc.evidence;
  EXPECT_FALSE(hc.follows_from.has_value());
  const RuleResult& resp = rule(rules, Rule::response_delivered);
  EXPECT_EQ(resp.verdict, Verdict::violates);
  EXPECT_EQ(resp.follows_from, Rule::half_close);
  EXPECT_NE(resp.evidence.find("consequence of half-close"), std::string::npos);

  const std::vector<const RuleResult*> order = violations_cause_first(rules);
  ASSERT_FALSE(order.empty());
  EXPECT_EQ(order.front()->rule, Rule::half_close);
}

TEST(RootCause, AClientThatHalfClosedAndGotEverythingIsNotBlamed) {
  // Success with every byte: a FIN late because the request took long is
  // no defect.
  const auto rules = judged(kAnswersAfterFin, TimeoutContract::idle,
                            program(true, "pong\n", 1005ms), served("ping\n", 1000ms));
  EXPECT_NE(rule(rules, Rule::half_close).verdict, Verdict::violates)
      << rule(rules, Rule::half_close).evidence;
}

TEST(RootCause, SyscallRobustIsNotBlamedForATimingFailure) {
  // A trickle of 1-byte pieces makes reads short; a client that waits it
  // out with a total timeout is late (bounded), not clumsy with syscalls.
  const auto rules = judged(kTrickle, TimeoutContract::total,
                            program(true, std::string(30, '.'), 3010ms), served("GET\n", 1ms));
  EXPECT_EQ(rule(rules, Rule::bounded).verdict, Verdict::violates);
  EXPECT_EQ(rule(rules, Rule::syscall_robust).verdict, Verdict::conforms)
      << rule(rules, Rule::syscall_robust).evidence;
}

TEST(RootCause, SyscallRobustIsFlaggedWhenBytesAreLostUnderShortReads) {
  const auto rules = judged(kTrickle, TimeoutContract::idle,
                            program(true, ".", 3010ms), served("GET\n", 1ms));
  EXPECT_EQ(rule(rules, Rule::response_delivered).verdict, Verdict::violates);
  EXPECT_EQ(rule(rules, Rule::syscall_robust).verdict, Verdict::violates);
}

TEST(RootCause, InjectionsThatCouldNotBeAppliedMakeSyscallRobustNotApplicable) {
  const char* text =
      "scenario t\nrequest \"ping\\n\"\ntimeout 1s\ninject recv EINTR every 2\n"
      "read until-fin\nwrite \"pong\\n\"\nclose\n";
  ClientRun run = program(false, "", 20ms);  // failed: as if EINTR were fatal
  run.faults_injected = -1;                  // but nothing was injected
  const auto rules = judged(text, TimeoutContract::total, run, served("ping\n", 1ms));
  const RuleResult& s = rule(rules, Rule::syscall_robust);
  EXPECT_EQ(s.verdict, Verdict::not_applicable) << s.evidence;
  EXPECT_NE(s.evidence.find("cannot be applied"), std::string::npos) << s.evidence;

  run.faults_injected = 3;  // the simulator did inject them
  const auto injected = judged(text, TimeoutContract::total, run, served("ping\n", 1ms));
  EXPECT_EQ(rule(injected, Rule::syscall_robust).verdict, Verdict::violates);
}

}  // namespace
}  // namespace sockcheck
