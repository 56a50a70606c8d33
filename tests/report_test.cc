// The report renderers (sockcheck/report.h) on runs built by hand: exact
// console lines and table layout, escaping for JSON and XML byte by byte,
// and whole JUnit / JSON documents checked by an independent parser
// (Python's xml.etree and json, run as a child process through
// support/run_process.h; ./dev deps installs python3).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "sockcheck/report.h"
#include "support/run_process.h"

namespace sockcheck {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using ::testing::Not;

// A run that kept every rule that applied: a closed exchange of "pong\n".
ScenarioRun passing_run(const std::string& name, TransportKind t = TransportKind::tcp) {
  ScenarioRun run;
  run.scenario.name = name;
  run.scenario.description = "a run built by hand";
  run.scenario.file = "suite/" + name + ".scn";
  run.scenario.request = DataSpec{DataSpec::Kind::literal, "ping\n", 0, 0};
  run.transport = t;
  run.model.allowed = {Outcome::closed};
  run.model.response = "pong\n";
  run.model.max_duration = std::chrono::seconds(10);
  run.model.reasoning = {"the server reads until the client's FIN",
                         "orderly close at +0s: the client must succeed"};
  run.client.in_process = true;
  run.client.outcome = Outcome::closed;
  run.client.reported_success = true;
  run.client.response = "pong\n";
  run.client.elapsed = milliseconds(3);
  run.client.close_calls = 1;
  run.client.calls_after_close = 0;
  ServerObservation obs;
  obs.connection = 1;
  obs.accepted = true;
  obs.received = "ping\n";
  obs.saw_client_fin = true;
  obs.bytes_sent = 5;
  obs.script_completed = true;
  obs.events = {{milliseconds(0), "accepted"}, {milliseconds(1), "client FIN"}};
  run.observations = {obs};
  for (Rule r : kAllRules) {
    run.rules.push_back({r, r == Rule::syscall_robust ? Verdict::not_applicable
                                                      : Verdict::conforms,
                         "fine"});
  }
  run.wall_time = milliseconds(12);
  return run;
}

void violate(ScenarioRun& run, Rule r, const std::string& evidence) {
  for (RuleResult& rr : run.rules) {
    if (rr.rule == r) {
      rr.verdict = Verdict::violates;
      rr.evidence = evidence;
    }
  }
}

// A temporary file that is removed with the object.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("sockcheck-report-test-" + std::to_string(::getpid()) + "-" +
             std::to_string(counter++));
    std::ofstream(path_, std::ios::binary) << text;
  }
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  [[nodiscard]] std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// Runs a Python script with the file as argv[1]; its stdout, or the failure.
testing::CliRun python(const std::string& script, const std::string& file) {
  return testing::run_program("/usr/bin/env", {"python3", "-c", script, file}, "",
                              std::chrono::seconds(60));
}

// --- console ---------------------------------------------------------------------

TEST(ProgressLine, PassingRunShowsWallTime) {
  const RunRecord rec = make_record(passing_run("reset-mid-response"));
  const Progress at{7, 42, 0, 1};
  EXPECT_EQ(progress_line(at, rec, false), "[ 7/42] reset-mid-response (tcp) ... ok 12 ms\n");
}

TEST(ProgressLine, FailingRunNamesEveryViolatedRuleAndItsEvidence) {
  ScenarioRun run = passing_run("stall");
  run.wall_time = milliseconds(5012);
  violate(run, Rule::honest_outcome, "reported success, but a conforming client must fail");
  violate(run, Rule::bounded, "took 5.2s, limit 5s");
  const RunRecord rec = make_record(run);
  EXPECT_EQ(progress_result(rec), "FAIL 5012 ms: honest-outcome, bounded");
  const std::string details = run_details(rec, false);
  EXPECT_THAT(details, HasSubstr("    honest-outcome: reported success, but a conforming client must fail\n"));
  EXPECT_THAT(details, HasSubstr("    bounded: took 5.2s, limit 5s\n"));
  EXPECT_THAT(details, HasSubstr("    client: reported closed (success), 5 bytes delivered"));
  // Without --verbose, rules that were kept are not listed.
  EXPECT_THAT(details, Not(HasSubstr("request-delivered")));
  EXPECT_EQ(run_details(make_record(passing_run("x")), false), "");
}

TEST(ProgressLine, SimShowsVirtualTimeAndRepeatsShowTheRun) {
  ScenarioRun run = passing_run("delayed-fin", TransportKind::sim);
  run.wall_time = milliseconds(0);
  run.client.elapsed = std::chrono::seconds(2);
  const Progress at{3, 150, 1, 3};
  EXPECT_EQ(progress_line(at, make_record(run), false),
            "[  3/150] delayed-fin (sim, run 2/3) ... ok 0 ms (2s virtual)\n");
}

TEST(ProgressLine, HarnessErrorIsReportedAsError) {
  ScenarioRun run = passing_run("x");
  run.rules.clear();
  run.error = "cannot start the loopback server: EADDRINUSE";
  EXPECT_EQ(progress_result(make_record(run)),
            "ERROR 12 ms: cannot start the loopback server: EADDRINUSE");
}

TEST(RunDetails, VerboseShowsEveryRuleTheModelAndTheServer) {
  const std::string details = run_details(make_record(passing_run("echo")), true);
  EXPECT_THAT(details, HasSubstr("    request-delivered   conforms  fine\n"));
  EXPECT_THAT(details, HasSubstr("    syscall-robust      n/a       fine\n"));
  EXPECT_THAT(details, HasSubstr("    model: allowed closed; on success exactly 5 bytes \"pong\\n\""));
  EXPECT_THAT(details, HasSubstr("      - the server reads until the client's FIN\n"));
  EXPECT_THAT(details, HasSubstr("      connection 1: received 5 bytes (= request), client FIN"));
}

TEST(RunDetails, TerminalControlBytesFromTheClientAreEscaped) {
  ScenarioRun run = passing_run("x");
  run.client.in_process = false;
  run.client.outcome.reset();
  run.client.exit_status = 0;
  run.client.diagnostics = "\x1b[31mred\x1b[0m\nsecond line \xff \xc2\x9b end";
  violate(run, Rule::half_close, "never sent FIN");
  const std::string details = run_details(make_record(run), false);
  EXPECT_THAT(details, HasSubstr("stderr: \\x1b[31mred\\x1b[0m\n"));
  // A continuation line stays indented under its field; invalid UTF-8 and
  // the C1 control U+009B (a terminal CSI) are shown as bytes.
  EXPECT_THAT(details, HasSubstr("\n        second line \\xff \\xc2\\x9b end\n"));
  EXPECT_EQ(details.find('\x1b'), std::string::npos);
}

// --- records ------------------------------------------------------------------------

TEST(MakeRecord, CutsLongBytesButKeepsTheirSize) {
  ScenarioRun run = passing_run("big");
  run.client.response = std::string(3 * 1024 * 1024, 'x');
  run.model.response = run.client.response;
  run.observations[0].events.assign(1000, ObservedEvent{milliseconds(1), "read 1 byte"});
  const RunRecord rec = make_record(run, 4);
  EXPECT_EQ(rec.repeat, 4u);
  EXPECT_EQ(rec.client.response_size, 3u * 1024 * 1024);
  EXPECT_EQ(rec.client.response_prefix.size(), RunRecord::kPrefixBytes);
  EXPECT_EQ(rec.model.response_size, 3u * 1024 * 1024);
  ASSERT_EQ(rec.server.size(), 1u);
  EXPECT_EQ(rec.server[0].events.size(), RunRecord::kMaxEvents);
  EXPECT_EQ(rec.server[0].events_dropped, 1000 - RunRecord::kMaxEvents);
  EXPECT_TRUE(rec.passed);
}

// --- summary table ---------------------------------------------------------------------

TEST(SummaryTable, OneRowPerScenarioOneColumnPerRule) {
  ScenarioRun failing = passing_run("reset-mid-response");
  violate(failing, Rule::honest_outcome, "reported success");
  const std::vector<RunRecord> records{make_record(passing_run("echo")),
                                       make_record(failing)};
  EXPECT_EQ(summary_table(summarize(records)),
            "scenario            request  half-close  response  honest  bounded  survives"
            "  closes-once  syscalls  result\n"
            "echo                ok       ok          ok        ok      ok       ok"
            "        ok           -         ok\n"
            "reset-mid-response  ok       ok          ok        FAIL    ok       ok"
            "        ok           -         FAIL\n"
            "\n"
            "2 scenarios, 1 passed, 1 failed\n"
            "1 passed, 1 failed\n");
}

TEST(SummaryTable, RepeatsShowCounts) {
  std::vector<RunRecord> records;
  for (std::size_t i = 0; i < 3; ++i) {
    ScenarioRun run = passing_run("flaky");
    if (i == 1) violate(run, Rule::bounded, "took too long");
    records.push_back(make_record(run, i));
  }
  records.push_back(make_record(passing_run("steady")));
  const Summary s = summarize(records);
  EXPECT_EQ(s.runs, 4u);
  EXPECT_EQ(s.runs_failed, 1u);
  EXPECT_EQ(s.scenarios_failed, 1u);
  const std::string table = summary_table(s);
  EXPECT_THAT(table, HasSubstr("flaky     3/3      3/3         3/3       3/3     2/3      3/3"
                               "       3/3          -         2/3\n"));
  EXPECT_THAT(table, HasSubstr("\nsteady    1/1 "));
  EXPECT_THAT(table, HasSubstr("\n2 scenarios, 1 passed, 1 failed (4 runs, 1 failed)\n"
                               "1 passed, 1 failed\n"));
}

TEST(SummaryTable, MixedTransportsAreNamedAndErrorsShown) {
  ScenarioRun broken = passing_run("echo", TransportKind::sim);
  broken.rules.clear();
  broken.error = "no";
  const std::vector<RunRecord> records{make_record(passing_run("echo", TransportKind::tcp)),
                                       make_record(broken)};
  const std::string table = summary_table(summarize(records));
  EXPECT_THAT(table, HasSubstr("\necho (tcp)  ok "));
  EXPECT_THAT(table, HasSubstr("\necho (sim)  -        -  "));
  EXPECT_THAT(table, HasSubstr("ERROR\n"));
  EXPECT_THAT(table, HasSubstr("\n1 passed, 1 failed\n"));
}

// --- escaping ----------------------------------------------------------------------------

TEST(JsonQuote, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(json_quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(json_quote(std::string("\n\r\t\b\f\x01\x1f\x7f", 8)),
            "\"\\n\\r\\t\\b\\f\\u0001\\u001f\\u007f\"");
  EXPECT_EQ(json_quote(std::string("\0", 1)), "\"\\u0000\"");
}

TEST(JsonQuote, KeepsValidUtf8AndSpellsOtherBytesAsCodePoints) {
  EXPECT_EQ(json_quote("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  EXPECT_EQ(json_quote("\xff\xfe"), "\"\\u00ff\\u00fe\"");
  EXPECT_EQ(json_quote("\xc3"), "\"\\u00c3\"");               // truncated
  EXPECT_EQ(json_quote("\xc0\xaf"), "\"\\u00c0\\u00af\"");    // overlong '/'
  EXPECT_EQ(json_quote("\xed\xa0\x80"), "\"\\u00ed\\u00a0\\u0080\"");  // surrogate
  EXPECT_EQ(json_quote("\xf4\x90\x80\x80"), "\"\\u00f4\\u0090\\u0080\\u0080\"");  // > U+10FFFF
  EXPECT_EQ(json_quote("\x80x"), "\"\\u0080x\"");             // stray continuation
  EXPECT_EQ(json_quote("\xe2\x80\xa8"), "\"\\u2028\"");
}

TEST(XmlEscape, TextAndAttributes) {
  EXPECT_EQ(xml_escape("a&b<c>\"d'"), "a&amp;b&lt;c&gt;\"d'");
  EXPECT_EQ(xml_escape("a&b<c>\"d'", true), "a&amp;b&lt;c&gt;&quot;d&apos;");
  EXPECT_EQ(xml_escape("x\ny\tz"), "x\ny\tz");
  EXPECT_EQ(xml_escape("x\ny\tz", true), "x&#10;y&#9;z");
  EXPECT_EQ(xml_escape("\r"), "&#13;");
  EXPECT_EQ(xml_escape("]]>"), "]]&gt;");
}

TEST(XmlEscape, BytesXmlCannotCarryBecomeText) {
  EXPECT_EQ(xml_escape(std::string("\0\x01\x1b\x7f", 4)), "\\x00\\x01\\x1b\\x7f");
  EXPECT_EQ(xml_escape("\xff"), "\\xff");
  EXPECT_EQ(xml_escape("\xef\xbf\xbe"), "\\xef\\xbf\\xbe");  // U+FFFE
  EXPECT_EQ(xml_escape("caf\xc3\xa9"), "caf\xc3\xa9");
}

// --- whole documents ---------------------------------------------------------------------

// Every byte value in one string, plus markup characters.
std::string nasty_bytes() {
  std::string s = "<&>\"' ]]> ";
  for (int b = 0; b < 256; ++b) s += static_cast<char>(b);
  return s;
}

std::vector<RunRecord> nasty_records() {
  ScenarioRun ok = passing_run("echo <&> \"quoted\"");
  ScenarioRun bad = passing_run("nasty");
  bad.client.in_process = false;
  bad.client.outcome.reset();
  bad.client.exit_status = 0;
  bad.client.close_calls = -1;
  bad.client.response = nasty_bytes();
  bad.client.diagnostics = nasty_bytes();
  violate(bad, Rule::response_delivered, "got " + nasty_bytes());
  violate(bad, Rule::half_close, "A & B < C");
  bad.model.reasoning.push_back(nasty_bytes());
  bad.observations[0].failure = nasty_bytes();
  ScenarioRun error = passing_run("unrunnable", TransportKind::sim);
  error.rules.clear();
  error.error = "cannot run \x01 this";
  return {make_record(ok), make_record(bad), make_record(error)};
}

TEST(JUnit, WellFormedWithEveryByteAndTheRightShape) {
  const std::vector<RunRecord> records = nasty_records();
  RunSetInfo info;
  info.client = "prog \"{host}\" & {port}";
  const std::string xml = junit_xml(records, info);
  for (char c : xml) {
    const auto u = static_cast<unsigned char>(c);
    ASSERT_TRUE(u >= 0x20 || c == '\n' || c == '\t') << "raw control byte " << int(u);
  }
  TempFile file(xml);
  const testing::CliRun py = python(
      "import sys, xml.etree.ElementTree as ET\n"
      "root = ET.parse(sys.argv[1]).getroot()\n"
      "print(root.tag, root.get('tests'), root.get('failures'), root.get('errors'))\n"
      "for suite in root.findall('testsuite'):\n"
      "  print('suite', suite.get('name'), suite.get('tests'), suite.get('failures'),"
      " suite.get('errors'))\n"
      "  for p in suite.iter('property'):\n"
      "    if p.get('name') == 'client': print('client', p.get('value'))\n"
      "  for case in suite.findall('testcase'):\n"
      "    f = case.find('failure'); e = case.find('error')\n"
      "    print('case', case.get('classname'), '|', case.get('name'),\n"
      "          'failure' if f is not None else '', 'error' if e is not None else '',\n"
      "          case.find('system-out') is not None)\n"
      "    if f is not None: print('message', f.get('message')[:69])\n",
      file.path());
  ASSERT_EQ(py.status, 0) << py.err << "\n" << xml;
  EXPECT_EQ(py.out,
            "testsuites 3 1 1\n"
            "suite sockcheck.tcp 2 1 0\n"
            "client prog \"{host}\" & {port}\n"
            "case suite | echo <&> \"quoted\"   True\n"
            "case suite | nasty failure  True\n"
            "message half-close: A & B < C; response-delivered: got <&>\"' ]]> \\x00\\x01\\x02\n"
            "suite sockcheck.sim 1 0 1\n"
            "client prog \"{host}\" & {port}\n"
            "case suite | unrunnable  error True\n");
}

TEST(JUnit, RepeatsBecomeOneCaseWithCounts) {
  std::vector<RunRecord> records;
  for (std::size_t i = 0; i < 3; ++i) {
    ScenarioRun run = passing_run("flaky");
    if (i == 2) violate(run, Rule::bounded, "took 7s, limit 6s");
    records.push_back(make_record(run, i));
  }
  RunSetInfo info;
  info.repeat = 3;
  const std::string xml = junit_xml(records, info);
  EXPECT_THAT(xml, HasSubstr("tests=\"1\" failures=\"1\""));
  EXPECT_THAT(xml, HasSubstr("message=\"bounded (1/3 runs): took 7s, limit 6s\""));
  EXPECT_THAT(xml, HasSubstr("failed 1 of 3 runs\nrun 3/3: FAIL\n"));
}

TEST(Json, ParsesAndKeepsEveryByteRecoverable) {
  const std::vector<RunRecord> records = nasty_records();
  RunSetInfo info;
  info.client = "c";
  info.repeat = 1;
  info.seed = 7;
  info.paths = {"suite"};
  const std::string json = json_report(records, info);
  TempFile file(json);
  // Every byte value appears in the strings of the second run; the parser
  // must accept the document and give back the fields as they were.
  const testing::CliRun py = python(
      "import sys, json\n"
      "d = json.load(open(sys.argv[1], encoding='utf-8'))\n"
      "print(d['format'], d['seed'], d['summary'])\n"
      "for r in d['runs']:\n"
      "  print(r['scenario'], r['transport'], r['repeat'], r['passed'], r['violations'],\n"
      "        r['client']['exit_status'], r['client']['close_calls'], r['error'])\n"
      "bad = d['runs'][1]\n"
      "print(len(bad['client']['response_prefix']), bad['client']['response_size'])\n"
      "print(bad['model']['reasoning'][-1][:10] == '<&>\"\\' ]]> ')\n",
      file.path());
  ASSERT_EQ(py.status, 0) << py.err << "\n" << json.substr(0, 2000);
  EXPECT_THAT(py.out, HasSubstr("sockcheck-run/1 7 {'scenarios': 3, 'passed': 1, 'failed': 2,"
                                " 'runs': 3, 'runs_failed': 2, 'should_failed': 0,"
                                " 'unreachable_on_platform': 0}\n"));
  EXPECT_THAT(py.out, HasSubstr("echo <&> \"quoted\" tcp 0 True [] None 1 None\n"));
  EXPECT_THAT(py.out, HasSubstr("nasty tcp 0 False ['half-close', 'response-delivered'] 0 None None\n"));
  EXPECT_THAT(py.out, HasSubstr("unrunnable sim 0 False [] None 1 cannot run \x01 this\n"));
  EXPECT_THAT(py.out, HasSubstr("\nTrue\n"));
}

// json_quote on every single byte and on a mix of valid and invalid UTF-8:
// a JSON parser must accept each, and decode ASCII and valid sequences to
// themselves and any other byte to the code point of that byte.
TEST(Json, EveryByteValueRoundTrips) {
  std::string doc = "[";
  for (int b = 0; b < 256; ++b) {
    if (b > 0) doc += ",";
    doc += json_quote(std::string(1, static_cast<char>(b)));
  }
  doc += "," + json_quote("\xc3\xa9\xff\xe2\x82\xac\xc3") + "]";
  TempFile file(doc);
  const testing::CliRun py = python(
      "import sys, json\n"
      "a = json.load(open(sys.argv[1], encoding='utf-8'))\n"
      "assert len(a) == 257\n"
      "assert all(a[b] == chr(b) for b in range(256)), 'byte mismatch'\n"
      "print([hex(ord(c)) for c in a[256]])\n",
      file.path());
  ASSERT_EQ(py.status, 0) << py.err;
  EXPECT_EQ(py.out, "['0xe9', '0xff', '0x20ac', '0xc3']\n");
}

}  // namespace
}  // namespace sockcheck
