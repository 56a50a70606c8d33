// `sockcheck run` as users and CI run it: the built binary (SOCKCHECK_BINARY)
// as a child process over the built-in suite and over scenario files the
// tests write, with the reference client and with the test-only faulty
// client program (SOCKCHECK_FAULTY_CLIENT).
//
// Runs over loopback TCP take real time (a hang scenario waits for its
// deadline), so the suite on tcp is split into shards, one ctest test each,
// every shard well inside ctest's limit. Everything else runs on the
// simulated transport, in virtual time, or on one or two short scenarios.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "support/run_process.h"
#include "support/temp_dir.h"

namespace sockcheck {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using testing::CliRun;
using testing::run_program;
using testing::run_sockcheck;
using testing::TempDir;

const fs::path kSuite = fs::path(SOCKCHECK_SOURCE_DIR) / "corpora" / "scenarios";
const std::string kFaulty = SOCKCHECK_FAULTY_CLIENT;
constexpr auto kLong = std::chrono::seconds(110);

std::string suite_file(const std::string& name) { return (kSuite / name).string(); }

std::string faulty_cmd(const std::string& defect) {
  return "'" + kFaulty + "' " + defect + " {host} {port} {timeout_ms}";
}

std::vector<fs::path> suite_files() {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(kSuite)) {
    if (e.is_regular_file() && e.path().extension() == ".scn") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The scenario names of the progress lines, in order.
std::vector<std::string> progress_names(const std::string& out) {
  std::vector<std::string> names;
  static const std::regex line(R"(^\[ *\d+/\d+\] (\S+) \()");
  std::smatch m;
  std::size_t start = 0;
  while (start < out.size()) {
    std::size_t end = out.find('\n', start);
    if (end == std::string::npos) end = out.size();
    const std::string text = out.substr(start, end - start);
    if (std::regex_search(text, m, line)) names.push_back(m[1]);
    start = end + 1;
  }
  return names;
}

std::string last_line(const std::string& out) {
  std::string s = out;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  const auto nl = s.rfind('\n');
  return nl == std::string::npos ? s : s.substr(nl + 1);
}

std::string simple_scenario(const std::string& name) {
  return "scenario " + name +
         "\nrequest \"ping\\n\"\ntimeout 2s\nconnection 1+\n  read until-fin\n"
         "  write \"pong\\n\"\n  close\n";
}

CliRun python(const std::string& script, const std::string& file) {
  return run_program("/usr/bin/env", {"python3", "-c", script, file}, "",
                     std::chrono::seconds(60));
}

// --- help and usage errors ---------------------------------------------------------

TEST(RunCli, HelpDocumentsOptionsAndExitStatuses) {
  const CliRun r = run_sockcheck({"run", "--help"});
  EXPECT_EQ(r.status, 0) << r.err;
  for (const char* text : {"--client-cmd", "--shell", "--transport sim|tcp", "--repeat N",
                           "--seed N", "--timeout DURATION", "--filter", "--junit FILE",
                           "--json FILE", "--verbose", "--quiet", "--strict", "--baseline FILE",
                           "--write-baseline FILE", "exit status:", "0  no violation",
                           "1  a MUST violation", "2  usage error"}) {
    EXPECT_THAT(r.out, HasSubstr(text));
  }
  const CliRun top = run_sockcheck({"--help"});
  EXPECT_THAT(top.out, HasSubstr("run PATH..."));
}

struct UsageCase {
  std::vector<std::string> args;
  std::string message;
};

TEST(RunCli, UsageErrorsExitTwoWithAReason) {
  TempDir dir;
  dir.write("empty/readme.txt", "not a scenario");
  const std::string echo = suite_file("echo.scn");
  const std::vector<UsageCase> cases = {
      {{"run"}, "expected at least one scenario file or folder"},
      {{"run", "/no/such/place.scn"}, "'/no/such/place.scn': no such file or folder"},
      {{"run", echo, "/no/such/dir"}, "'/no/such/dir': no such file or folder"},
      {{"run", dir.file("empty")}, "no *.scn scenario files"},
      {{"run", "--transport", "sim", "--client-cmd", "x {host} {port}", echo},
       "--transport sim runs the in-process client only"},
      {{"run", "--transport", "udp", echo}, "expected sim or tcp"},
      {{"run", "--repeat", "0", echo}, "--repeat '0'"},
      {{"run", "--repeat", "many", echo}, "--repeat 'many'"},
      {{"run", "--seed", "-1", echo}, "--seed '-1'"},
      {{"run", "--timeout", "5", echo}, "--timeout '5'"},
      {{"run", "--timeout=0s", echo}, "must be more than zero"},
      {{"run", "--client-retries", "-1", echo}, "--client-retries '-1': expected a whole number"},
      {{"run", "--client-retries", "101", echo}, "from 0 to 100"},
      {{"run", "--shell", echo}, "--shell needs --client-cmd"},
      {{"run", "--verbose", "--quiet", echo}, "exclude each other"},
      {{"run", "--frobnicate", echo}, "unknown option '--frobnicate'"},
      {{"run", echo, "--junit"}, "--junit needs a value"},
      {{"run", "--client-cmd", "'unbalanced {host}", echo}, "unbalanced quotes"},
      {{"run", "--filter", "no-such-scenario-name", echo}, "no scenario name matches"},
      {{"run", "--junit", "/no/such/dir/report.xml", echo}, "cannot be written"},
  };
  for (const UsageCase& c : cases) {
    const CliRun r = run_sockcheck(c.args);
    std::string joined;
    for (const auto& a : c.args) joined += a + " ";
    EXPECT_EQ(r.status, 2) << joined << "\n" << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.message)) << joined;
    // Nothing ran: no progress line, no table.
    EXPECT_THAT(r.out, IsEmpty()) << joined;
  }
}

TEST(RunCli, BrokenScenariosAreAllReportedWithLocationAndNothingRuns) {
  TempDir dir;
  dir.write("a-good.scn", simple_scenario("good"));
  dir.write("b-bad.scn", "scenario bad\nconnection 1+\n  frobnicate 3\n");
  dir.write("nested/c-bad.scn", "scenario\n");
  const CliRun r = run_sockcheck({"run", dir.path()});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr(dir.file("b-bad.scn") + ":3:3: "));
  EXPECT_THAT(r.err, HasSubstr(dir.file("nested/c-bad.scn") + ":1:9: "));
  EXPECT_THAT(r.err, HasSubstr("2 of 3 scenario files did not parse; nothing was run"));
  EXPECT_THAT(r.out, IsEmpty());
}

TEST(RunCli, AParseErrorShowsTheLineEscapedWithTheCaretInPlace) {
  TempDir dir;
  // A raw ESC sequence and a bell in a string, then the error.
  const std::string bad =
      dir.write("bad.scn", "scenario bad\nwrite \"\x1b[2J\x07\" bogus\n");
  const CliRun r = run_sockcheck({"run", bad});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\x07'), std::string::npos) << r.err;
  // Column 15 of the file; the caret under the 'b' of the escaped line.
  EXPECT_THAT(r.err, HasSubstr(bad + ":2:15: unknown option 'bogus' for 'write' (expected chunk or gap)\n"
                               "  write \"\\x1b[2J\\x07\" bogus\n"
                               "                      ^\n"));
}

// --- the reference client over the built-in suite ------------------------------------

TEST(RunCli, ReferenceClientPassesTheSuiteOnSim) {
  const std::size_t n = suite_files().size();
  ASSERT_GT(n, 0u);
  const CliRun r = run_sockcheck({"run", kSuite.string()}, "", kLong);
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(progress_names(r.out).size(), n);
  EXPECT_THAT(r.out, HasSubstr(std::to_string(n) + " scenarios, " + std::to_string(n) +
                               " passed, 0 failed\n"));
  EXPECT_EQ(last_line(r.out), std::to_string(n) + " passed, 0 failed");
  EXPECT_THAT(r.out, HasSubstr(" (sim) ... ok "));
  EXPECT_THAT(r.out, Not(HasSubstr("FAIL")));
}

// Shard `index` of `count` of the suite's files, as command-line PATHs.
std::vector<std::string> shard(std::size_t index, std::size_t count) {
  std::vector<std::string> paths;
  const auto files = suite_files();
  for (std::size_t i = index; i < files.size(); i += count) paths.push_back(files[i].string());
  return paths;
}

constexpr std::size_t kShards = 4;

class RunCliTcpShard : public ::testing::TestWithParam<std::size_t> {};

TEST_P(RunCliTcpShard, ReferenceClientPassesOverLoopback) {
  std::vector<std::string> args{"run", "--transport", "tcp"};
  const auto paths = shard(GetParam(), kShards);
  if (paths.empty()) GTEST_SKIP() << "fewer scenario files than shards";
  args.insert(args.end(), paths.begin(), paths.end());
  const CliRun r = run_sockcheck(args, "", kLong);
  EXPECT_FALSE(r.killed);
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(last_line(r.out), std::to_string(paths.size()) + " passed, 0 failed");
}

// The faulty client's `none` defect is a correct client written apart from
// the reference one: the harness must not flag it anywhere.
TEST_P(RunCliTcpShard, CorrectClientProgramPassesEverywhere) {
  std::vector<std::string> args{"run", "--quiet", "--client-cmd", faulty_cmd("none")};
  const auto paths = shard(GetParam(), kShards);
  if (paths.empty()) GTEST_SKIP() << "fewer scenario files than shards";
  args.insert(args.end(), paths.begin(), paths.end());
  const CliRun r = run_sockcheck(args, "", kLong);
  EXPECT_FALSE(r.killed);
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(last_line(r.out), std::to_string(paths.size()) + " passed, 0 failed");
}

INSTANTIATE_TEST_SUITE_P(Suite, RunCliTcpShard, ::testing::Range<std::size_t>(0, kShards));

// --- client programs -------------------------------------------------------------------

TEST(RunCli, FaultyProgramIsFlaggedWithTheRuleItBreaks) {
  const CliRun r = run_sockcheck({"run", "--client-cmd", faulty_cmd("single-recv"),
                                  suite_file("one-byte-chunks.scn"), suite_file("echo.scn")});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("one-byte-chunks (tcp) ... FAIL "));
  EXPECT_THAT(r.out, HasSubstr("response-delivered"));
  // The evidence is printed under the failing line without --verbose.
  EXPECT_THAT(r.out, HasSubstr("    response-delivered: reported success but expected 25 bytes"));
  EXPECT_THAT(r.out, HasSubstr("echo (tcp) ... ok "));
  EXPECT_EQ(last_line(r.out), "1 passed, 1 failed");
}

TEST(RunCli, ShellRunsTheCommandThroughSh) {
  const CliRun r = run_sockcheck({"run", "--shell", "--client-cmd",
                                  faulty_cmd("none") + " 2>/dev/null | cat",
                                  suite_file("echo.scn")});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  // Without --shell the same text is words for the program, which rejects them.
  const CliRun direct = run_sockcheck({"run", "--client-cmd",
                                       faulty_cmd("none") + " 2>/dev/null | cat",
                                       suite_file("echo.scn")});
  EXPECT_EQ(direct.status, 1) << direct.out << direct.err;
}

TEST(RunCli, DeathBySignalViolatesSurvivesPeer) {
  const CliRun r = run_sockcheck({"run", "--shell", "--client-cmd", "kill -SEGV $$",
                                  suite_file("echo.scn")});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("survives-peer"));
  EXPECT_THAT(r.out, HasSubstr("died of signal 11"));
}

// --- options ----------------------------------------------------------------------------

TEST(RunCli, RepeatRunsEachScenarioNTimesAndCounts) {
  TempDir dir;
  const CliRun r = run_sockcheck(
      {"run", "--repeat", "3", suite_file("echo.scn"), suite_file("refused.scn")});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_THAT(progress_names(r.out),
              ElementsAre("echo", "echo", "echo", "refused", "refused", "refused"));
  EXPECT_THAT(r.out, HasSubstr("[6/6] refused (sim, run 3/3) ... ok"));
  EXPECT_THAT(r.out, HasSubstr("\necho      3/3      3/3 "));
  EXPECT_THAT(r.out, HasSubstr("2 scenarios, 2 passed, 0 failed (6 runs, 0 failed)\n"));

  // A faulty client fails every repetition; the counts say so.
  const CliRun bad = run_sockcheck({"run", "--repeat", "3", "--client-cmd",
                                    faulty_cmd("single-recv"),
                                    suite_file("one-byte-chunks.scn")});
  EXPECT_EQ(bad.status, 1) << bad.out << bad.err;
  EXPECT_THAT(bad.out, HasSubstr("\none-byte-chunks  3/3      0/3         0/3 "));
  EXPECT_THAT(bad.out, HasSubstr("(3 runs, 3 failed)"));
}

TEST(RunCli, FilterTakesSubstringsAndGlobs) {
  TempDir dir;
  for (const char* name : {"alpha-one", "alpha-two", "beta-one"}) {
    dir.write(std::string(name) + ".scn", simple_scenario(name));
  }
  auto names = [&](std::vector<std::string> extra) {
    std::vector<std::string> args{"run"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(dir.path());
    const CliRun r = run_sockcheck(args);
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    return progress_names(r.out);
  };
  EXPECT_THAT(names({"--filter", "alpha"}), ElementsAre("alpha-one", "alpha-two"));
  EXPECT_THAT(names({"--filter", "*-one"}), ElementsAre("alpha-one", "beta-one"));
  EXPECT_THAT(names({"--filter=beta*"}), ElementsAre("beta-one"));
  EXPECT_THAT(names({"--filter", "two", "--filter", "beta"}),
              ElementsAre("alpha-two", "beta-one"));
  // A glob must match the whole name; a substring need not.
  const CliRun partial_glob = run_sockcheck({"run", "--filter", "alph?", dir.path()});
  EXPECT_EQ(partial_glob.status, 2);
  EXPECT_THAT(partial_glob.err, HasSubstr("no scenario name matches --filter 'alph?'"));
}

TEST(RunCli, TimeoutReplacesTheScenariosTimeout) {
  TempDir dir;
  // The server answers at once but closes only after 3 s: with the
  // scenario's 10 s the client succeeds, with --timeout 500ms it must time
  // out, and the model (derived with the new timeout) expects that.
  const std::string file = dir.write(
      "late-close.scn",
      "scenario late-close\nrequest \"ping\\n\"\ntimeout 10s\nconnection 1+\n"
      "  read until-fin\n  write \"pong\\n\"\n  sleep 3s\n  close\n");
  const std::string json = dir.file("out.json");
  const CliRun normal = run_sockcheck({"run", "--json", json, file});
  EXPECT_EQ(normal.status, 0) << normal.out << normal.err;
  const std::string read_outcome =
      "import sys, json\n"
      "r = json.load(open(sys.argv[1]))['runs'][0]\n"
      "print(r['client']['outcome'], r['model']['allowed'])\n";
  EXPECT_EQ(python(read_outcome, json).out, "closed ['closed']\n");
  const CliRun shortened = run_sockcheck({"run", "--timeout", "500ms", "--json", json, file});
  EXPECT_EQ(shortened.status, 0) << shortened.out << shortened.err;
  EXPECT_EQ(python(read_outcome, json).out, "timed-out ['closed', 'timed-out']\n");
}

TEST(RunCli, VerboseAndQuiet) {
  const CliRun verbose = run_sockcheck({"run", "--verbose", suite_file("echo.scn")});
  EXPECT_EQ(verbose.status, 0);
  EXPECT_THAT(verbose.out, AllOf(HasSubstr("    request-delivered   conforms  "),
                                 HasSubstr("    syscall-robust      n/a       "),
                                 HasSubstr("    model: allowed closed"),
                                 HasSubstr("    server:\n      connection 1: ")));

  const CliRun quiet = run_sockcheck({"run", "--quiet", suite_file("echo.scn")});
  EXPECT_EQ(quiet.status, 0);
  EXPECT_THAT(progress_names(quiet.out), IsEmpty());
  EXPECT_EQ(last_line(quiet.out), "1 passed, 0 failed");

  // --quiet still prints a failing run with its evidence.
  const CliRun quiet_fail = run_sockcheck({"run", "--quiet", "--client-cmd",
                                           faulty_cmd("single-recv"),
                                           suite_file("one-byte-chunks.scn"),
                                           suite_file("echo.scn")});
  EXPECT_EQ(quiet_fail.status, 1);
  EXPECT_THAT(progress_names(quiet_fail.out), ElementsAre("one-byte-chunks"));
  EXPECT_THAT(quiet_fail.out, HasSubstr("    response-delivered: "));
}

// --- report files ------------------------------------------------------------------------

TEST(RunCli, JunitAndJsonFilesAreWrittenAndParse) {
  TempDir dir;
  const std::string junit = dir.file("report.xml");
  const std::string json = dir.file("report.json");
  const CliRun r = run_sockcheck({"run", "--client-cmd", faulty_cmd("single-recv"), "--junit",
                                  junit, "--json=" + json, "--seed", "9",
                                  suite_file("one-byte-chunks.scn"), suite_file("echo.scn")});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  const CliRun xml = python(
      "import sys, xml.etree.ElementTree as ET\n"
      "root = ET.parse(sys.argv[1]).getroot()\n"
      "for s in root.findall('testsuite'):\n"
      "  print(s.get('name'), s.get('tests'), s.get('failures'), s.get('errors'))\n"
      "  for c in s.findall('testcase'):\n"
      "    f = c.find('failure')\n"
      "    print(c.get('classname'), c.get('name'),\n"
      "          'response-delivered:' in f.get('message') if f is not None else 'ok')\n",
      junit);
  ASSERT_EQ(xml.status, 0) << xml.err;
  EXPECT_EQ(xml.out,
            "sockcheck.tcp 2 1 0\n" + kSuite.string() + " one-byte-chunks True\n" +
                kSuite.string() + " echo ok\n");
  const CliRun js = python(
      "import sys, json\n"
      "d = json.load(open(sys.argv[1]))\n"
      "print(d['seed'], d['summary']['scenarios'], d['summary']['failed'])\n"
      "for r in d['runs']:\n"
      "  c = r['client']\n"
      "  print(r['scenario'], r['transport'], r['repeat'], r['passed'], c['exit_status'],\n"
      "        c['signal'], c['killed'], 0 < c['response_size'] < 25, 'response-delivered' in\n"
      "        [x['rule'] for x in r['rules'] if x['verdict'] == 'violates'],\n"
      "        len(r['model']['reasoning']) > 0, len(r['server']))\n",
      json);
  ASSERT_EQ(js.status, 0) << js.err;
  EXPECT_EQ(js.out,
            "9 2 1\n"
            "one-byte-chunks tcp 0 False 0 0 False True True True 1\n"
            "echo tcp 0 True 0 0 False True False True 1\n");
}

}  // namespace
}  // namespace sockcheck
