// `sockcheck run --baseline / --write-baseline / --strict` and `level
// should`, end to end with a test-only faulty program over loopback: the
// file written is the file read back, a new violation fails, an entry that
// now passes is reported (and fails with --strict), a broken baseline stops
// the run before anything runs, and a SHOULD scenario fails only with
// --strict.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "support/run_process.h"
#include "support/temp_dir.h"

namespace sockcheck {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::CliRun;
using testing::run_sockcheck;
using testing::TempDir;

const fs::path kSuite = fs::path(SOCKCHECK_SOURCE_DIR) / "corpora" / "scenarios";

std::string suite_file(const std::string& name) { return (kSuite / name).string(); }

// single-recv reads once and closes: it fails one-byte-chunks on
// half-close and response-delivered, and passes echo.
std::string faulty_cmd() {
  return "'" + std::string(SOCKCHECK_FAULTY_CLIENT) + "' single-recv {host} {port} {timeout_ms}";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

CliRun run_with(std::vector<std::string> extra, std::vector<std::string> files) {
  std::vector<std::string> args{"run", "--quiet", "--client-cmd", faulty_cmd()};
  args.insert(args.end(), extra.begin(), extra.end());
  args.insert(args.end(), files.begin(), files.end());
  return run_sockcheck(args);
}

TEST(RunBaseline, WrittenBaselineIsReadBackAndANewViolationFails) {
  TempDir dir("sockcheck-baseline-cli");
  const std::string file = dir.file("known.txt");
  const std::vector<std::string> suite{suite_file("one-byte-chunks.scn"), suite_file("echo.scn")};

  const CliRun wrote = run_with({"--write-baseline", file}, suite);
  EXPECT_EQ(wrote.status, 0) << wrote.out << wrote.err;
  EXPECT_THAT(wrote.out, HasSubstr("wrote 2 known violations to " + file));
  const std::string text = read_file(file);
  EXPECT_THAT(text, HasSubstr("\none-byte-chunks half-close MUST\n"
                              "one-byte-chunks response-delivered MUST\n"));
  EXPECT_THAT(text, Not(HasSubstr("\necho ")));

  const CliRun judged = run_with({"--baseline", file}, suite);
  EXPECT_EQ(judged.status, 0) << judged.out << judged.err;
  EXPECT_THAT(judged.out, HasSubstr("baseline " + file + ": 2 known, 0 new, 0 now pass"));
  EXPECT_THAT(judged.out, HasSubstr("\n1 passed, 1 failed\n"));

  // Without the entry the same violation is new, and fails the run.
  const std::string emptied = dir.write("empty.txt", "# nothing known\n");
  const CliRun fresh = run_with({"--baseline", emptied}, suite);
  EXPECT_EQ(fresh.status, 1) << fresh.out;
  EXPECT_THAT(fresh.out, HasSubstr("new:       one-byte-chunks response-delivered MUST"));
  EXPECT_THAT(fresh.out, HasSubstr("fails the run: 2 MUST violations not in the baseline"));

  // Half the entries: the other half is still new.
  const std::string half = dir.write("half.txt", "one-byte-chunks half-close MUST\n");
  const CliRun partial = run_with({"--baseline", half}, suite);
  EXPECT_EQ(partial.status, 1) << partial.out;
  EXPECT_THAT(partial.out, HasSubstr(": 1 known, 1 new, 0 now pass"));
}

TEST(RunBaseline, AnEntryThatNowPassesIsReportedAndFailsOnlyWithStrict) {
  TempDir dir("sockcheck-baseline-cli");
  const std::string file =
      dir.write("known.txt", "echo response-delivered MUST\n");
  const CliRun lenient = run_with({"--baseline", file}, {suite_file("echo.scn")});
  EXPECT_EQ(lenient.status, 0) << lenient.out;
  EXPECT_THAT(lenient.out,
              HasSubstr("now pass:  echo response-delivered MUST (line 1); remove it"));
  const CliRun strict = run_with({"--baseline", file, "--strict"}, {suite_file("echo.scn")});
  EXPECT_EQ(strict.status, 1) << strict.out;
  EXPECT_THAT(strict.out, HasSubstr("fails the run: 1 baseline entry now passes"));
}

TEST(RunBaseline, ABrokenOrMissingBaselineStopsBeforeAnythingRuns) {
  TempDir dir("sockcheck-baseline-cli");
  const std::string bad = dir.write("bad.txt", "# ok\necho no-such-rule MUST\n");
  const CliRun broken = run_with({"--baseline", bad}, {suite_file("echo.scn")});
  EXPECT_EQ(broken.status, 2);
  EXPECT_THAT(broken.err, HasSubstr(bad + ":2:6: unknown rule 'no-such-rule'"));
  EXPECT_THAT(broken.err, HasSubstr("nothing was run"));
  EXPECT_THAT(broken.out, Not(HasSubstr("echo (tcp)")));
  const CliRun missing = run_with({"--baseline", dir.file("absent.txt")}, {suite_file("echo.scn")});
  EXPECT_EQ(missing.status, 2);
  EXPECT_THAT(missing.err, HasSubstr("cannot be read"));
}

TEST(RunLevels, AShouldViolationIsReportedAndFailsOnlyWithStrict) {
  TempDir dir("sockcheck-levels-cli");
  std::string text = read_file(suite_file("one-byte-chunks.scn"));
  const std::string at = "timeout 5s\n";
  ASSERT_NE(text.find(at), std::string::npos);
  text.replace(text.find(at), at.size(), at + "level should\n");
  const std::string scn = dir.write("should.scn", text);

  const CliRun lenient = run_with({}, {scn});
  EXPECT_EQ(lenient.status, 0) << lenient.out << lenient.err;
  EXPECT_THAT(lenient.out, HasSubstr("FAIL "));
  EXPECT_THAT(lenient.out, HasSubstr("response-delivered [SHOULD]"));
  EXPECT_THAT(lenient.out, HasSubstr("one-byte-chunks [SHOULD]"));
  EXPECT_THAT(lenient.out, HasSubstr("failed by level: 0 MUST, 1 SHOULD"));
  EXPECT_THAT(lenient.out, HasSubstr("does not fail the run: 2 SHOULD violations"));

  const CliRun strict = run_with({"--strict"}, {scn});
  EXPECT_EQ(strict.status, 1) << strict.out;
  EXPECT_THAT(strict.out, HasSubstr("fails the run: 2 SHOULD violations (--strict)"));
}

}  // namespace
}  // namespace sockcheck
