// The script plan: the rules of script semantics that the simulator, the
// loopback server, the oracle, the parser and the fault-schedule decoder
// all read (script_plan.h).
#include "sockcheck/script_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "sockcheck/scenario_parser.h"

namespace sockcheck {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using K = Step::Kind;

Scenario parsed(const std::string& text) {
  ParseResult r = parse_scenario(text, "t.scn");
  EXPECT_TRUE(r.scenario) << (r.error ? r.error->to_string() : "");
  return r.scenario ? *r.scenario : Scenario{};
}

std::vector<K> kinds(const ScriptPlan& p) {
  std::vector<K> out;
  for (const PlanStep& s : p.steps) out.push_back(s.kind);
  return out;
}

std::vector<std::string> labels(const ScriptPlan& p) {
  std::vector<std::string> out;
  for (const PlanStep& s : p.steps) out.push_back(s.label());
  return out;
}

TEST(ScriptPlan, AnEmptyScriptIsAnImplicitAcceptAndClose) {
  const Scenario s = parsed("scenario x\nconnection 1+\n");
  const ScriptPlan p = plan_connection(s, 1);
  EXPECT_FALSE(p.refused());
  EXPECT_THAT(kinds(p), ElementsAre(K::accept, K::close));
  EXPECT_THAT(labels(p), ElementsAre("implicit accept", "implicit close"));
  EXPECT_TRUE(p.steps[0].implicit);
  EXPECT_EQ(p.terminal, ScriptPlan::Terminal::close);
  EXPECT_TRUE(p.invalid.empty());
}

TEST(ScriptPlan, WrittenStepsKeepTheirNumbersAndLines) {
  const Scenario s = parsed(R"(scenario x
read until-fin
write "hi" chunk 1 gap 1s
half-close
hang
)");
  const ScriptPlan p = plan_connection(s, 1);
  EXPECT_THAT(kinds(p), ElementsAre(K::accept, K::read_until_fin, K::write,
                                    K::half_close, K::hang));
  EXPECT_THAT(labels(p), ElementsAre("implicit accept",
                                     "step 1 (read until-fin) at line 2",
                                     "step 2 (write) at line 3",
                                     "step 3 (half-close) at line 4",
                                     "step 4 (hang) at line 5"));
  EXPECT_EQ(p.terminal, ScriptPlan::Terminal::hang);
  EXPECT_EQ(p.steps[2].cut.chunk, 1u);
  EXPECT_EQ(p.steps[2].cut.gap, 1s);
  // The write is followed by a FIN at once; the read is not.
  EXPECT_TRUE(p.steps[2].fin_follows);
  EXPECT_FALSE(p.steps[1].fin_follows);
}

TEST(ScriptPlan, AWrittenAcceptCarriesItsDelay) {
  const Scenario s = parsed("scenario x\naccept after 2s\nreset\n");
  const ScriptPlan p = plan_connection(s, 1);
  EXPECT_THAT(kinds(p), ElementsAre(K::accept, K::reset));
  EXPECT_EQ(p.accept_delay, 2s);
  EXPECT_FALSE(p.steps[0].implicit);
  EXPECT_EQ(p.terminal, ScriptPlan::Terminal::reset);
}

TEST(ScriptPlan, RefuseAndUncoveredConnectionsAreRefused) {
  const Scenario s = parsed(
      "scenario x\nconnection 1\n  refuse\nconnection 2\n  read until-fin\n");
  EXPECT_EQ(plan_connection(s, 1).refusal, ScriptPlan::Refusal::refuse);
  EXPECT_TRUE(plan_connection(s, 1).steps.empty());
  EXPECT_FALSE(plan_connection(s, 2).refused());
  EXPECT_EQ(plan_connection(s, 3).refusal, ScriptPlan::Refusal::no_script);
}

TEST(ScriptPlan, ALeadingRecvBufferHoldsFromTheFirstByte) {
  const Scenario s = parsed(
      "scenario x\nconnection 1\n  accept\n  recv-buffer 4KiB\n  read until-fin\n"
      "connection 2+\n  recv-buffer 1KiB\n");
  EXPECT_EQ(plan_connection(s, 1).initial_window, 4096u);
  EXPECT_EQ(plan_connection(s, 2).initial_window, 1024u);
  EXPECT_EQ(smallest_initial_window(s), 1024u);
  EXPECT_FALSE(plan_connection(parsed("scenario y\nread 3\n"), 1).initial_window);
  EXPECT_FALSE(smallest_initial_window(parsed("scenario y\nread 3\n")));
}

TEST(ScriptPlan, AScriptBuiltInCodeThatBreaksThePlacementRulesIsMarkedInvalid) {
  Scenario s;
  ConnectionScript c;
  Step close;
  close.kind = K::close;
  Step write;
  write.kind = K::write;
  c.steps = {close, write};
  s.scripts = {c};
  const ScriptPlan p = plan_connection(s, 1);
  EXPECT_EQ(p.invalid,
            "step 2 (write): 'write' after 'close' (close, reset and hang end a script)");
  // What follows the terminal step cannot run and is not planned.
  EXPECT_THAT(kinds(p), ElementsAre(K::accept, K::close));
}

TEST(Placement, EachRuleHasItsMessage) {
  Placement p;
  EXPECT_FALSE(p.error(K::accept));
  p.place(K::accept);
  EXPECT_EQ(p.error(K::accept), "'accept' must be the first step of its script");
  EXPECT_EQ(p.error(K::refuse), "'refuse' must be the only step of its script");
  EXPECT_FALSE(p.error(K::recv_buffer));  // right after accept
  p.place(K::write);
  EXPECT_EQ(p.error(K::recv_buffer),
            "'recv-buffer' must be the first step of its script, or follow 'accept'");
  p.place(K::half_close);
  EXPECT_EQ(p.error(K::write),
            "'write' after 'half-close' (the server has already sent its FIN)");
  EXPECT_EQ(p.error(K::half_close), "second 'half-close' in one script");
  p.place(K::hang, "hang");
  EXPECT_EQ(p.error(K::read, "read"),
            "'read' after 'hang' (close, reset and hang end a script)");
  EXPECT_TRUE(p.allowed().empty());

  Placement r;
  r.place(K::refuse);
  EXPECT_EQ(r.error(K::sleep),
            "'sleep' after 'refuse' (refuse must be the only step of its script)");
}

TEST(Placement, AllowedKeepsTheFaultScheduleOrder) {
  // Stored fault-schedule inputs pick steps by index in this list.
  EXPECT_THAT(Placement{}.allowed(),
              ElementsAre(K::accept, K::refuse, K::recv_buffer, K::read,
                          K::read_until_fin, K::write, K::sleep, K::half_close,
                          K::close, K::reset, K::hang));
  Placement later;
  later.place(K::read);
  later.place(K::half_close);
  EXPECT_THAT(later.allowed(), ElementsAre(K::read, K::read_until_fin, K::sleep,
                                           K::close, K::reset, K::hang));
}

TEST(PieceCut, PiecesAreCountedFromTheStartOfTheStep) {
  const PieceCut cut{4, 1s};
  EXPECT_TRUE(cut.pauses());
  EXPECT_EQ(cut.piece_end(0, 10), 4u);
  EXPECT_EQ(cut.piece_end(5, 10), 8u);
  EXPECT_EQ(cut.piece_end(9, 10), 10u);
  EXPECT_EQ(cut.pieces(10), 3u);
  EXPECT_EQ(cut.pieces(0), 1u);
  EXPECT_EQ(cut.write_pauses(10), 2s);   // between three pieces
  EXPECT_EQ(cut.read_pauses(10), 2s);    // after each of the two whole ones
  EXPECT_EQ(cut.read_pauses(8), 2s);     // then it looks for the FIN
  EXPECT_TRUE(cut.pause_after(4));
  EXPECT_FALSE(cut.pause_after(5));
  EXPECT_FALSE(cut.pause_after(0));
  // Piece k is taken k gaps after the start; one due exactly then counts.
  EXPECT_EQ(cut.read_by(0s, 10, 0s), 4u);
  EXPECT_EQ(cut.read_by(0s, 10, 1s), 8u);
  EXPECT_EQ(cut.read_by(0s, 10, 2s), 10u);
  EXPECT_EQ(cut.read_by(3s, 10, 2s), 0u);
}

TEST(PieceCut, WithoutAGapNothingPauses) {
  const PieceCut chunks_only{4, 0s};
  EXPECT_FALSE(chunks_only.pauses());
  EXPECT_EQ(chunks_only.write_pauses(10), 0s);
  EXPECT_EQ(chunks_only.read_by(0s, 10, 0s), 10u);
  EXPECT_FALSE(chunks_only.pause_after(4));
  const PieceCut whole{};
  EXPECT_EQ(whole.piece_end(3, 10), 10u);
  EXPECT_EQ(whole.pieces(10), 1u);
}

}  // namespace
}  // namespace sockcheck
