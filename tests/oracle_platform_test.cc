// Verdicts the client's platform makes unreachable (docs/windows.md): under
// Wine 8 an RST that arrives while no receive is pending reaches the
// program as an orderly close, so a success after a reset is n/a on
// honest-outcome there, with the divergence as its reason, never a pass
// and never a failure; everything the platform does not hide is judged as
// on any other platform.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "sockcheck/oracle.h"
#include "support/scenario_text.h"

namespace sockcheck {
namespace {

using namespace std::chrono_literals;
using testing::parse;
using testing::rule;

// The reply, then an RST: a conforming client must report failure.
const char* kResetAfterReply =
    "scenario t\nrequest \"ping\\n\"\ntimeout 2s\n"
    "read until-fin\nwrite \"pong\\n\"\nreset\n";
// The reply, then an orderly close.
const char* kClosed =
    "scenario t\nrequest \"ping\\n\"\ntimeout 2s\n"
    "read until-fin\nwrite \"pong\\n\"\nclose\n";

ServerObservation served() {
  ServerObservation o;
  o.connection = 1;
  o.accepted = true;
  o.received = "ping\n";
  o.saw_client_fin = true;
  o.client_fin_at = 1ms;
  o.bytes_sent = 5;
  o.script_completed = true;
  return o;
}

ClientRun program(ClientPlatform platform, bool success, std::string response = "pong\n") {
  ClientRun run;
  run.platform = platform;
  run.exit_status = success ? 0 : 1;
  run.reported_success = success;
  run.response = std::move(response);
  run.elapsed = 20ms;
  return run;
}

std::vector<RuleResult> judged(const char* text, const ClientRun& run) {
  const Scenario s = parse(text);
  return judge(s, derive_model(s, WindowModel::at_least, TimeoutContract::total), run,
               {served()});
}

TEST(WineDivergence, SuccessAfterAResetIsUnreachableUnderWineAndSaysWhy) {
  const std::vector<RuleResult> r_rules =
      judged(kResetAfterReply, program(ClientPlatform::wine, true));
  const RuleResult& r = rule(r_rules, Rule::honest_outcome);
  EXPECT_EQ(r.verdict, Verdict::not_applicable);
  EXPECT_TRUE(r.unreachable_on_platform);
  EXPECT_NE(r.evidence.find("divergence 1"), std::string::npos) << r.evidence;
}

TEST(WineDivergence, TheSameSuccessNativelyIsAViolation) {
  const std::vector<RuleResult> r_rules =
      judged(kResetAfterReply, program(ClientPlatform::native, true));
  const RuleResult& r = rule(r_rules, Rule::honest_outcome);
  EXPECT_EQ(r.verdict, Verdict::violates);
  EXPECT_FALSE(r.unreachable_on_platform);
}

TEST(WineDivergence, AFailureAfterAResetStillConformsUnderWine) {
  const std::vector<RuleResult> r_rules =
      judged(kResetAfterReply, program(ClientPlatform::wine, false));
  const RuleResult& r = rule(r_rules, Rule::honest_outcome);
  EXPECT_EQ(r.verdict, Verdict::conforms);
  EXPECT_FALSE(r.unreachable_on_platform);
}

TEST(WineDivergence, WhatWineDoesNotHideIsStillJudged) {
  // No reset at all: a failure after an orderly close is wrong everywhere.
  const std::vector<RuleResult> closed = judged(kClosed, program(ClientPlatform::wine, false));
  EXPECT_EQ(rule(closed, Rule::honest_outcome).verdict, Verdict::violates);
  // Bytes the server never wrote cannot come from what Wine showed.
  const std::vector<RuleResult> invented_rules =
      judged(kResetAfterReply, program(ClientPlatform::wine, true, "pong\nextra"));
  const RuleResult& invented = rule(invented_rules, Rule::honest_outcome);
  EXPECT_EQ(invented.verdict, Verdict::violates);
  EXPECT_FALSE(invented.unreachable_on_platform);
  // A hang is a hang under Wine too.
  ClientRun hung = program(ClientPlatform::wine, false, "");
  hung.killed_at_deadline = true;
  hung.elapsed = 7s;
  EXPECT_EQ(rule(judged(kResetAfterReply, hung), Rule::bounded).verdict, Verdict::violates);
}

TEST(WineDivergence, AStuckSendAfterAResetIsUnreachableUnderWineOnly) {
  // The server reads 4 bytes of 64 KiB and resets; the client is killed.
  const char* text =
      "scenario t\nrequest repeat \"x\" 64KiB\ntimeout 1s\n"
      "read 4\nreset\n";
  ServerObservation obs = served();
  obs.received = "xxxx";
  obs.saw_client_fin = false;
  ClientRun run = program(ClientPlatform::wine, false, "");
  run.killed_at_deadline = true;
  run.elapsed = 6s;
  const Scenario s = parse(text);
  const Model m = derive_model(s, WindowModel::at_least, TimeoutContract::total);
  const std::vector<RuleResult> wine_rules = judge(s, m, run, {obs});
  const RuleResult& wine = rule(wine_rules, Rule::bounded);
  EXPECT_EQ(wine.verdict, Verdict::not_applicable);
  EXPECT_TRUE(wine.unreachable_on_platform);
  EXPECT_NE(wine.evidence.find("divergence 3"), std::string::npos) << wine.evidence;
  run.platform = ClientPlatform::native;
  EXPECT_EQ(rule(judge(s, m, run, {obs}), Rule::bounded).verdict, Verdict::violates);
  // With the whole request delivered, a hang is the client's own.
  run.platform = ClientPlatform::wine;
  obs.received = s.request_bytes();
  EXPECT_EQ(rule(judge(s, m, run, {obs}), Rule::bounded).verdict, Verdict::violates);
}

}  // namespace
}  // namespace sockcheck
