// Baseline files and the exit decision that levels, --strict and a baseline
// make together (baseline.h): parse errors with their location, the text a
// person reviews, and every case of run_fails().
#include "sockcheck/baseline.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sockcheck {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A record of `scenario` that kept every rule except `broken`.
RunRecord record(const std::string& scenario, std::vector<Rule> broken = {},
                 Level level = Level::must) {
  RunRecord r;
  r.scenario = scenario;
  r.level = level;
  for (Rule rule : kAllRules) {
    const bool bad = std::find(broken.begin(), broken.end(), rule) != broken.end();
    r.rules.push_back({rule, bad ? Verdict::violates : Verdict::conforms, "evidence"});
  }
  r.passed = broken.empty();
  return r;
}

std::vector<std::string> keys(const std::vector<BaselineEntry>& entries) {
  std::vector<std::string> out;
  for (const BaselineEntry& e : entries) out.push_back(e.scenario + " " + std::string(to_string(e.rule)));
  return out;
}

TEST(BaselineParse, ReadsEntriesSkippingCommentsBlankLinesAndCarriageReturns) {
  const BaselineParse p = parse_baseline(
      "# known\n\nclose-before-read honest-outcome MUST\r\n"
      "  answer-before-read-large   bounded\tSHOULD  \n",
      "b.txt");
  ASSERT_TRUE(p.ok()) << p.errors.front();
  ASSERT_EQ(p.entries.size(), 2u);
  EXPECT_EQ(p.entries[0].scenario, "close-before-read");
  EXPECT_EQ(p.entries[0].rule, Rule::honest_outcome);
  EXPECT_EQ(p.entries[0].level, Level::must);
  EXPECT_EQ(p.entries[0].line, 3);
  EXPECT_EQ(p.entries[1].rule, Rule::bounded);
  EXPECT_EQ(p.entries[1].level, Level::should);
  EXPECT_EQ(p.entries[1].line, 4);
}

TEST(BaselineParse, EveryBadLineIsReportedWithItsLocation) {
  const BaselineParse p = parse_baseline(
      "echo half-close\n"
      "echo frobnicate MUST\n"
      "echo bounded MAYBE\n"
      "ec/ho bounded MUST\n"
      "echo bounded MUST\n"
      "echo bounded SHOULD\n",
      "b.txt");
  EXPECT_THAT(p.errors,
              ElementsAre("b.txt:1:1: expected 'SCENARIO RULE LEVEL [sometimes]', got 2 fields",
                          HasSubstr("b.txt:2:6: unknown rule 'frobnicate' (expected "
                                    "request-delivered, half-close"),
                          "b.txt:3:14: unknown level 'MAYBE' (expected MUST or SHOULD)",
                          HasSubstr("b.txt:4:1: 'ec/ho' is not a scenario name"),
                          "b.txt:6:1: 'echo bounded' is listed twice (first on line 5)"));
  EXPECT_EQ(p.entries.size(), 1u);
}

TEST(BaselineParse, SometimesIsTheOnlyWordAfterTheLevel) {
  const BaselineParse p = parse_baseline("a bounded MUST sometimes\nb bounded MUST often\n", "b");
  ASSERT_EQ(p.entries.size(), 1u);
  EXPECT_TRUE(p.entries[0].sometimes);
  EXPECT_THAT(p.errors, ElementsAre("b:2:16: unexpected 'often' (the only word allowed after "
                                    "the level is 'sometimes')"));
}

TEST(BaselineText, AViolationInSomeRunsOnlyIsWrittenAsSometimes) {
  const std::vector<RunRecord> records{record("racy", {Rule::honest_outcome}), record("racy"),
                                       record("steady", {Rule::bounded}),
                                       record("steady", {Rule::bounded})};
  const std::vector<BaselineEntry> entries = baseline_entries(records);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_TRUE(entries[0].sometimes);
  EXPECT_FALSE(entries[1].sometimes);
  EXPECT_THAT(baseline_text(entries, ""), HasSubstr("\nracy honest-outcome MUST sometimes\n"));
  // Kept this time: expected of a race, never "now pass", even with --strict.
  const std::vector<RunRecord> kept{record("racy"), record("steady", {Rule::bounded})};
  const BaselineComparison c = compare_with_baseline(kept, entries);
  EXPECT_THAT(c.fixed, IsEmpty());
  EXPECT_EQ(c.sometimes_kept, 1u);
  EXPECT_FALSE(run_fails(kept, Gate{true, &c}));
  EXPECT_THAT(baseline_report(c, "b", true), HasSubstr("1 'sometimes' not seen this time"));
}

TEST(BaselineParse, AnEmptyFileIsAnEmptyBaseline) {
  EXPECT_TRUE(parse_baseline("", "b").ok());
  EXPECT_THAT(parse_baseline("", "b").entries, IsEmpty());
}

TEST(BaselineText, IsSortedOncePerScenarioAndRuleAndReadsBack) {
  const std::vector<RunRecord> records{
      record("zeta", {Rule::bounded}), record("alpha", {Rule::half_close, Rule::bounded}),
      record("zeta", {Rule::bounded}),  // a second run (or transport) adds nothing
      record("mid", {Rule::bounded}, Level::should), record("clean")};
  const std::vector<BaselineEntry> entries = baseline_entries(records);
  EXPECT_THAT(keys(entries),
              ElementsAre("alpha half-close", "alpha bounded", "mid bounded", "zeta bounded"));
  const std::string text = baseline_text(entries, "sockcheck run x");
  EXPECT_THAT(text, HasSubstr("# written by: sockcheck run x\n"));
  EXPECT_THAT(text, HasSubstr("\nmid bounded SHOULD\n"));
  const BaselineParse back = parse_baseline(text, "b");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back.entries, entries);
  EXPECT_THAT(baseline_text({}, ""), HasSubstr("# (none"));
}

TEST(BaselineCompare, SortsViolationsIntoKnownNewAndNowPassing) {
  const std::vector<RunRecord> records{record("a", {Rule::bounded}),
                                       record("b", {Rule::half_close}), record("c")};
  const BaselineParse p = parse_baseline(
      "a bounded MUST\nc honest-outcome MUST\nnot-run bounded MUST\n", "b");
  ASSERT_TRUE(p.ok());
  const BaselineComparison c = compare_with_baseline(records, p.entries);
  EXPECT_THAT(keys(c.known), ElementsAre("a bounded"));
  EXPECT_THAT(keys(c.fresh), ElementsAre("b half-close"));
  EXPECT_THAT(keys(c.fixed), ElementsAre("c honest-outcome"));
  EXPECT_EQ(c.not_run, 1u);
  const std::string report = baseline_report(c, "b.txt", false);
  EXPECT_THAT(report, HasSubstr("baseline b.txt: 1 known, 1 new, 1 now pass, 1 for scenarios not run"));
  EXPECT_THAT(report, HasSubstr("new:       b half-close MUST"));
  EXPECT_THAT(report, HasSubstr("now pass:  c honest-outcome MUST (line 2); remove it"));
}

TEST(RunFails, MustFailsShouldOnlyWithStrict) {
  const std::vector<RunRecord> must{record("a", {Rule::bounded})};
  const std::vector<RunRecord> should{record("a", {Rule::bounded}, Level::should)};
  std::vector<std::string> why;
  EXPECT_TRUE(run_fails(must, Gate{}, &why));
  EXPECT_THAT(why, ElementsAre("fails the run: 1 MUST violation"));
  why.clear();
  EXPECT_FALSE(run_fails(should, Gate{}, &why));
  EXPECT_THAT(why, ElementsAre(HasSubstr("does not fail the run: 1 SHOULD violation")));
  why.clear();
  EXPECT_TRUE(run_fails(should, Gate{true, nullptr}, &why));
  EXPECT_THAT(why, ElementsAre("fails the run: 1 SHOULD violation (--strict)"));
  EXPECT_FALSE(run_fails(std::vector<RunRecord>{record("a")}, Gate{true, nullptr}));
}

TEST(RunFails, AHarnessErrorAlwaysFails) {
  RunRecord broken = record("a");
  broken.error = "could not start";
  broken.passed = false;
  broken.rules.clear();
  const std::vector<RunRecord> records{broken};
  const BaselineComparison none{};
  std::vector<std::string> why;
  EXPECT_TRUE(run_fails(records, Gate{false, &none}, &why));
  EXPECT_THAT(why, ElementsAre("fails the run: 1 run could not be carried out"));
}

TEST(RunFails, TheBaselineExcusesWhatItKnowsAndStrictFailsOnStaleEntries) {
  const std::vector<RunRecord> records{record("a", {Rule::bounded}), record("c")};
  const BaselineParse p = parse_baseline("a bounded MUST\nc bounded MUST\n", "b");
  const BaselineComparison c = compare_with_baseline(records, p.entries);
  EXPECT_FALSE(run_fails(records, Gate{false, &c}));
  std::vector<std::string> why;
  EXPECT_TRUE(run_fails(records, Gate{true, &c}, &why));
  EXPECT_THAT(why, ElementsAre(HasSubstr("fails the run: 1 baseline entry now pass")));
  // A violation the baseline does not know fails, whatever else it knows.
  const std::vector<RunRecord> worse{record("a", {Rule::bounded, Rule::half_close})};
  const BaselineComparison w = compare_with_baseline(worse, p.entries);
  why.clear();
  EXPECT_TRUE(run_fails(worse, Gate{false, &w}, &why));
  EXPECT_THAT(why, ElementsAre("fails the run: 1 MUST violation not in the baseline"));
}

}  // namespace
}  // namespace sockcheck
