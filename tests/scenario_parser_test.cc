// Tests of the scenario language: parse_scenario, print_scenario,
// load_scenario_file and ParseError::to_string.
//
// What is covered, and how:
//  - every construct of the language parses into the model field it names
//    (one test per group of constructs, checking fields, not just ok());
//  - every error message of the parser, verbatim with its line:col, from a
//    table (ScenarioParserErrors); a message change must change the table;
//  - the printer: one golden canonical text, and parse(print(s)) == s and
//    print(parse(print(s))) == print(s) for a scenario using every construct,
//    for every ```scn example in docs/scenario-language.md and for every
//    corpora/scenarios/*.scn;
//  - robustness: every truncation of every example, then a fixed number of
//    seeded mutations (std::mt19937_64 is specified bit for bit, so the
//    inputs are the same on every platform). For each input: exactly one of
//    scenario/error is set, an error points inside the input and is one
//    line, a success round-trips. A wall-clock bound of many seconds on
//    inputs of 10^5 lines catches quadratic behaviour (the linear parser
//    needs well under a second even under sanitizers).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "sockcheck/scenario_parser.h"
#include "sockcheck/units.h"

namespace sockcheck {
namespace {

using namespace std::chrono_literals;

// Parses `text` as file "t.scn" and fails the test on an error.
Scenario must_parse(std::string_view text) {
  ParseResult r = parse_scenario(text, "t.scn");
  if (!r.ok()) {
    ADD_FAILURE() << r.error->to_string() << "\ninput:\n" << text;
    return {};
  }
  return *r.scenario;
}

// The error of parsing `text` as "t.scn", or "<parsed>" if it parsed.
std::string error_of(std::string_view text) {
  ParseResult r = parse_scenario(text, "t.scn");
  if (r.ok()) return "<parsed>";
  return r.error->to_string();
}

// parse(print(s)) == s, and printing is a fixed point.
void expect_round_trip(const Scenario& s, const std::string& origin) {
  const std::string printed = print_scenario(s);
  ParseResult again = parse_scenario(printed, "printed.scn");
  ASSERT_TRUE(again.ok()) << origin << ": the printed form does not parse: "
                          << again.error->to_string() << "\n" << printed;
  EXPECT_TRUE(*again.scenario == s)
      << origin << ": parse(print(s)) != s\nprinted:\n" << printed
      << "reprinted:\n" << print_scenario(*again.scenario);
  EXPECT_EQ(print_scenario(*again.scenario), printed) << origin;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Complete scenarios of the reference: every ```scn fenced block.
std::vector<std::string> doc_examples() {
  const std::string doc = read_file(std::filesystem::path(SOCKCHECK_SOURCE_DIR) /
                                    "docs" / "scenario-language.md");
  std::vector<std::string> out;
  std::size_t pos = 0;
  while ((pos = doc.find("\n```scn\n", pos)) != std::string::npos) {
    const std::size_t start = pos + 8;
    const std::size_t end = doc.find("\n```", start);
    if (end == std::string::npos) break;
    out.push_back(doc.substr(start, end - start + 1));
    pos = end + 4;
  }
  return out;
}

std::vector<std::filesystem::path> corpus_files() {
  std::vector<std::filesystem::path> out;
  const auto dir =
      std::filesystem::path(SOCKCHECK_SOURCE_DIR) / "corpora" / "scenarios";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".scn") out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Every construct of the language at least once.
constexpr std::string_view kEveryConstruct = R"(# every construct once
scenario every-construct.1_x
description "all \"of\" it\t\x01"
request "GET / HTTP/1.0\r\n\r\n"
timeout 1500ms
seed 42
reset-mode windows
inject recv EINTR every 3
inject send EAGAIN
inject wait EINTR every 1
inject shutdown EAGAIN every 2
level should
connection 1
  refuse
connection 2-3
  accept after 200ms
  recv-buffer 1KiB
  read 10 chunk 1 gap 10ms
  read until-fin chunk 2
  write "HTTP/1.0 200 OK\r\n" chunk 1 gap 5ms
  write repeat "ab" 1MiB
  write random 64KiB seed 7
  write hex 48656C6c6f
  write request
  sleep 100ms
  half-close
  close
connection 4+
  read until-fin chunk 512 gap 1ms
  hang

expect outcome closed|reset
expect response "x#y"   # a comment after a string holding '#'
expect received request
expect client-fin yes
expect within 2s
expect connections at-most 3
)";

// --- valid input ------------------------------------------------------------

TEST(ScenarioParser, MinimalScenarioGetsEveryDefault) {
  const Scenario s = must_parse("scenario minimal\n");
  EXPECT_EQ(s.name, "minimal");
  EXPECT_EQ(s.description, "");
  EXPECT_EQ(s.request.kind, DataSpec::Kind::literal);
  EXPECT_EQ(s.request_bytes(), "this is a test");
  EXPECT_EQ(s.client_timeout, 5s);
  EXPECT_EQ(s.seed, 0u);
  EXPECT_EQ(s.reset_mode, ResetMode::linux_like);
  EXPECT_TRUE(s.injections.empty());
  EXPECT_TRUE(s.expect == Expectations{});
  EXPECT_EQ(s.file, "t.scn");
  // No steps and no header: one empty script for every connection, which
  // the implicit accept/close rule turns into "accept, close".
  ASSERT_EQ(s.scripts.size(), 1u);
  EXPECT_EQ(s.scripts[0].first, 1);
  EXPECT_EQ(s.scripts[0].last, 0);
  EXPECT_TRUE(s.scripts[0].steps.empty());
}

TEST(ScenarioParser, ScenarioWideLines) {
  const Scenario s = must_parse(
      "description \"one line\"\n"
      "seed 18446744073709551615\n"
      "scenario A.b_c-9\n"  // any order: scenario need not come first
      "timeout 1h\n"
      "reset-mode linux\n");
  EXPECT_EQ(s.name, "A.b_c-9");
  EXPECT_EQ(s.description, "one line");
  EXPECT_EQ(s.seed, 18446744073709551615u);
  EXPECT_EQ(s.client_timeout, 1h);
  EXPECT_EQ(s.reset_mode, ResetMode::linux_like);
  EXPECT_EQ(must_parse("scenario t\nreset-mode windows\n").reset_mode,
            ResetMode::windows_like);
  EXPECT_EQ(s.level, Level::must);
  EXPECT_EQ(must_parse("scenario t\nlevel should\n").level, Level::should);
  EXPECT_EQ(must_parse("scenario t\nlevel must\n").level, Level::must);
}

TEST(ScenarioParser, StringEscapes) {
  const Scenario s = must_parse(
      R"(scenario t
request "a\nb\rc\td\0e\\f\"g\x00\xfF\x7e")");
  EXPECT_EQ(s.request.text, std::string("a\nb\rc\td\0e\\f\"g\0\xff~", 16));
  // Raw bytes, including '#' and non-ASCII, are taken as they are.
  EXPECT_EQ(must_parse("scenario t\nrequest \"#\xc3\xa9\t\"\n").request.text,
            "#\xc3\xa9\t");
  EXPECT_EQ(must_parse("scenario t\nrequest \"\"\n").request.text, "");
}

TEST(ScenarioParser, DataForms) {
  const auto write_of = [](std::string_view data) {
    const Scenario s =
        must_parse("scenario t\nwrite " + std::string(data) + "\n");
    if (s.scripts.empty() || s.scripts[0].steps.empty()) return DataSpec{};
    return s.scripts[0].steps[0].data;
  };
  EXPECT_TRUE(write_of(R"("hi")") ==
              (DataSpec{DataSpec::Kind::literal, "hi", 0, 0}));
  EXPECT_TRUE(write_of("hex 48656C6c6f") ==
              (DataSpec{DataSpec::Kind::hex, "Hello", 0, 0}));
  EXPECT_TRUE(write_of("hex 00ff") ==
              (DataSpec{DataSpec::Kind::hex, std::string("\0\xff", 2), 0, 0}));
  EXPECT_TRUE(write_of(R"(repeat "ab" 5)") ==
              (DataSpec{DataSpec::Kind::repeat, "ab", 5, 0}));
  EXPECT_TRUE(write_of("repeat \"ab\" 1GiB") ==
              (DataSpec{DataSpec::Kind::repeat, "ab", 1ULL << 30, 0}));
  EXPECT_TRUE(write_of("random 64KiB seed 7") ==
              (DataSpec{DataSpec::Kind::random, "", 65536, 7}));
  EXPECT_TRUE(write_of("random 3") ==
              (DataSpec{DataSpec::Kind::random, "", 3, 0}));
  EXPECT_TRUE(write_of("request") ==
              (DataSpec{DataSpec::Kind::request, "", 0, 0}));
  // The data forms mean the bytes materialize() gives them.
  EXPECT_EQ(materialize(write_of(R"(repeat "ab" 5)"), {}), "ababa");
  EXPECT_EQ(materialize(write_of("request"), "req"), "req");
  // The request itself may use every form but `request`.
  EXPECT_EQ(must_parse("scenario t\nrequest hex 4142\n").request_bytes(), "AB");
  EXPECT_EQ(must_parse("scenario t\nrequest repeat \"x\" 3\n").request_bytes(),
            "xxx");
  EXPECT_EQ(must_parse("scenario t\nrequest random 10 seed 1\n")
                .request_bytes()
                .size(),
            10u);
}

TEST(ScenarioParser, EveryStepAndItsFields) {
  const Scenario s = must_parse(kEveryConstruct);
  ASSERT_EQ(s.scripts.size(), 3u);
  ASSERT_EQ(s.scripts[0].steps.size(), 1u);
  EXPECT_EQ(s.scripts[0].steps[0].kind, Step::Kind::refuse);

  const auto& st = s.scripts[1].steps;
  ASSERT_EQ(st.size(), 12u);
  EXPECT_EQ(st[0].kind, Step::Kind::accept);
  EXPECT_EQ(st[0].delay, 200ms);
  EXPECT_EQ(st[1].kind, Step::Kind::recv_buffer);
  EXPECT_EQ(st[1].count, 1024u);
  EXPECT_EQ(st[2].kind, Step::Kind::read);
  EXPECT_EQ(st[2].count, 10u);
  EXPECT_EQ(st[2].chunk, 1u);
  EXPECT_EQ(st[2].gap, 10ms);
  EXPECT_EQ(st[3].kind, Step::Kind::read_until_fin);
  EXPECT_EQ(st[3].chunk, 2u);
  EXPECT_EQ(st[3].gap, 0ms);
  EXPECT_EQ(st[4].kind, Step::Kind::write);
  EXPECT_EQ(st[4].data.text, "HTTP/1.0 200 OK\r\n");
  EXPECT_EQ(st[4].chunk, 1u);
  EXPECT_EQ(st[4].gap, 5ms);
  EXPECT_EQ(st[5].data.kind, DataSpec::Kind::repeat);
  EXPECT_EQ(st[5].data.size, 1u << 20);
  EXPECT_EQ(st[6].data.kind, DataSpec::Kind::random);
  EXPECT_EQ(st[7].data.text, "Hello");
  EXPECT_EQ(st[8].data.kind, DataSpec::Kind::request);
  EXPECT_EQ(st[9].kind, Step::Kind::sleep);
  EXPECT_EQ(st[9].delay, 100ms);
  EXPECT_EQ(st[10].kind, Step::Kind::half_close);
  EXPECT_EQ(st[11].kind, Step::Kind::close);

  const auto& last = s.scripts[2].steps;
  ASSERT_EQ(last.size(), 2u);
  EXPECT_EQ(last[0].kind, Step::Kind::read_until_fin);
  EXPECT_EQ(last[0].chunk, 512u);
  EXPECT_EQ(last[0].gap, 1ms);
  EXPECT_EQ(last[1].kind, Step::Kind::hang);

  const auto reset = must_parse("scenario t\nreset\n").scripts.at(0).steps;
  ASSERT_EQ(reset.size(), 1u);
  EXPECT_EQ(reset[0].kind, Step::Kind::reset);
  // Options in any order; `accept` alone has no delay; sleep 0s is allowed.
  const auto opts = must_parse(
                        "scenario t\naccept\nread 3 gap 1us chunk 2\n"
                        "write \"x\" gap 0s chunk 1\nsleep 0s\n")
                        .scripts.at(0)
                        .steps;
  ASSERT_EQ(opts.size(), 4u);
  EXPECT_EQ(opts[0].delay, 0s);
  EXPECT_EQ(opts[1].chunk, 2u);
  EXPECT_EQ(opts[1].gap, 1us);
  EXPECT_EQ(opts[2].chunk, 1u);
  EXPECT_EQ(opts[3].delay, 0s);
}

TEST(ScenarioParser, ConnectionHeaders) {
  const Scenario s = must_parse(
      "scenario t\n"
      "connection 3+\n  reset\n"
      "connection 1\n  refuse\n"
      "connection 2-2\n");  // an empty script: implicit accept and close
  ASSERT_EQ(s.scripts.size(), 3u);
  // Kept in the order written.
  EXPECT_EQ(s.scripts[0].first, 3);
  EXPECT_EQ(s.scripts[0].last, 0);
  EXPECT_EQ(s.scripts[1].first, 1);
  EXPECT_EQ(s.scripts[1].last, 1);
  EXPECT_EQ(s.scripts[2].first, 2);
  EXPECT_EQ(s.scripts[2].last, 2);
  EXPECT_TRUE(s.scripts[2].steps.empty());
  EXPECT_EQ(s.script_for(1), &s.scripts[1]);
  EXPECT_EQ(s.script_for(2), &s.scripts[2]);
  EXPECT_EQ(s.script_for(7), &s.scripts[0]);
  EXPECT_EQ(s.scripts[0].where.line, 2);
  const Scenario far = must_parse("scenario t\nconnection 1000000\n");
  ASSERT_EQ(far.scripts.size(), 1u);
  EXPECT_EQ(far.scripts[0].first, 1000000);
  EXPECT_EQ(far.script_for(1), nullptr);

  // Ranges that touch but do not overlap; a gap leaves connection 3 with
  // no script (the server refuses it).
  const Scenario g =
      must_parse("scenario t\nconnection 1-2\nconnection 4-5\nconnection 6+\n");
  ASSERT_EQ(g.scripts.size(), 3u);
  EXPECT_EQ(g.script_for(3), nullptr);
  EXPECT_EQ(g.script_for(2), &g.scripts[0]);
  EXPECT_EQ(g.script_for(99), &g.scripts[2]);
}

TEST(ScenarioParser, HeaderlessStepsFormTheScriptForEveryConnection) {
  const Scenario s =
      must_parse("scenario t\nread until-fin\nwrite \"x\"\ntimeout 1s\n");
  ASSERT_EQ(s.scripts.size(), 1u);
  EXPECT_EQ(s.scripts[0].first, 1);
  EXPECT_EQ(s.scripts[0].last, 0);
  EXPECT_EQ(s.scripts[0].steps.size(), 2u);
  EXPECT_EQ(s.client_timeout, 1s);
  // The same scenario written with its canonical header is the same model.
  EXPECT_TRUE(s == must_parse("scenario t\ntimeout 1s\nconnection 1+\n"
                              "read until-fin\nwrite \"x\"\n"));
}

TEST(ScenarioParser, Injections) {
  const Scenario s = must_parse(kEveryConstruct);
  ASSERT_EQ(s.injections.size(), 4u);
  EXPECT_EQ(s.injections[0].call, Injection::Call::recv);
  EXPECT_EQ(s.injections[0].error, std::errc::interrupted);
  EXPECT_EQ(s.injections[0].every, 3u);
  EXPECT_EQ(s.injections[1].call, Injection::Call::send);
  EXPECT_EQ(s.injections[1].error, std::errc::resource_unavailable_try_again);
  EXPECT_EQ(s.injections[1].every, 1u);  // `every` defaults to 1
  EXPECT_EQ(s.injections[2].call, Injection::Call::wait);
  EXPECT_EQ(s.injections[3].call, Injection::Call::shutdown);
  EXPECT_EQ(s.injections[3].every, 2u);
  EXPECT_EQ(s.injections[3].where.line, 11);
  // The same call with both errors is two injections.
  EXPECT_EQ(must_parse("scenario t\ninject recv EINTR every 4294967295\n"
                       "inject recv EAGAIN\n")
                .injections.size(),
            2u);
}

TEST(ScenarioParser, Expectations) {
  const Expectations e = must_parse(kEveryConstruct).expect;
  EXPECT_EQ(e.outcomes, (std::vector<Outcome>{Outcome::closed, Outcome::reset}));
  ASSERT_TRUE(e.response.has_value());
  EXPECT_EQ(e.response->text, "x#y");
  ASSERT_TRUE(e.server_received.has_value());
  EXPECT_EQ(e.server_received->kind, DataSpec::Kind::request);
  EXPECT_EQ(e.client_fin, true);
  EXPECT_EQ(e.max_duration, 2s);
  EXPECT_EQ(e.connections, (ConnectionCount{3, true}));
  EXPECT_EQ(must_parse("scenario t\nexpect connections 2\n").expect.connections,
            (ConnectionCount{2, false}));

  const Expectations all = must_parse(
                               "scenario t\n"
                               "expect outcome timed-out | refused|"
                               "connect-failed |error\n"
                               "expect client-fin no\n")
                               .expect;
  EXPECT_EQ(all.outcomes,
            (std::vector<Outcome>{Outcome::timed_out, Outcome::refused,
                                  Outcome::connect_failed, Outcome::error}));
  EXPECT_EQ(all.client_fin, false);
  EXPECT_FALSE(all.response.has_value());
  EXPECT_FALSE(all.max_duration.has_value());
  EXPECT_FALSE(all.connections.has_value());
}

TEST(ScenarioParser, CommentsWhitespaceAndLineEndings) {
  const Scenario a = must_parse(
      "\xef\xbb\xbf# a byte order mark, then a comment\r\n"
      "\t scenario   t\t# trailing comment\r\n"
      "\r\n"
      "   # indented comment\n"
      "request \"a # not a comment\"#but this is\n"
      "connection 1+#comment right after the range\n"
      "read 1#\n"
      "    close\n");
  EXPECT_EQ(a.name, "t");
  EXPECT_EQ(a.request.text, "a # not a comment");
  ASSERT_EQ(a.scripts.size(), 1u);
  EXPECT_EQ(a.scripts[0].steps.size(), 2u);
  // No trailing newline is needed.
  EXPECT_EQ(must_parse("scenario t").name, "t");
}

TEST(ScenarioParser, LocationsOfConstructs) {
  const Scenario s = must_parse("scenario t\n\n  connection 1\n    read 1\n\tclose\n");
  ASSERT_EQ(s.scripts.size(), 1u);
  EXPECT_EQ(s.scripts[0].where.line, 3);
  EXPECT_EQ(s.scripts[0].where.column, 3);
  EXPECT_EQ(s.scripts[0].steps[0].where.line, 4);
  EXPECT_EQ(s.scripts[0].steps[0].where.column, 5);
  EXPECT_EQ(s.scripts[0].steps[1].where.line, 5);
  EXPECT_EQ(s.scripts[0].steps[1].where.column, 2);  // columns count bytes
}

TEST(ScenarioParser, LimitsAreInclusive) {
  const Scenario s = must_parse(
      "scenario t\ntimeout 60m\n"
      "write repeat \"a\" 1GiB chunk 1GiB gap 3600s\n"
      "write random 1073741824\n"
      "read 1GiB\n"
      "write \"" + std::string(1u << 20, 'x') + "\"\n"
      "write hex " + std::string(2u << 20, 'a') + "\n");
  ASSERT_EQ(s.scripts.at(0).steps.size(), 5u);
  EXPECT_EQ(s.scripts[0].steps[3].data.text.size(), 1u << 20);
  EXPECT_EQ(s.scripts[0].steps[4].data.text.size(), 1u << 20);
  EXPECT_EQ(must_parse("scenario " + std::string(128, 'n')).name.size(), 128u);
}

// --- errors -------------------------------------------------------------------

struct ErrorCase {
  const char* name;
  std::string input;
  std::string expected;  // ParseError::to_string() for file "t.scn"
};

void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.name; }

class ScenarioParserErrors : public testing::TestWithParam<ErrorCase> {};

TEST_P(ScenarioParserErrors, ReportsTheFirstErrorWithItsLocation) {
  const ErrorCase& c = GetParam();
  ParseResult r = parse_scenario(c.input, "t.scn");
  ASSERT_FALSE(r.ok()) << "parsed:\n" << c.input;
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->to_string(), c.expected);
  EXPECT_EQ(r.error->file, "t.scn");
}

const std::string S = "scenario t\n";  // a valid first line

const ErrorCase kErrors[] = {
    // The scenario line.
    {"MissingScenario", "timeout 1s\n", "t.scn:1:1: missing 'scenario NAME' line"},
    {"EmptyInput", "", "t.scn:1:1: missing 'scenario NAME' line"},
    {"DuplicateScenario", S + "scenario u\n",
     "t.scn:2:1: duplicate 'scenario' (first on line 1)"},
    {"ScenarioWithoutName", "scenario\n",
     "t.scn:1:9: expected a name after 'scenario', found end of line"},
    {"ScenarioNameIsString", "scenario \"t\"\n",
     "t.scn:1:10: expected a name after 'scenario', found '\"t\"'"},
    {"ScenarioNameBadCharacter", "scenario ab/c\n",
     "t.scn:1:12: character '/' not allowed in a scenario name (use letters, "
     "digits, '.', '_' and '-')"},
    {"ScenarioNameTooLong", "scenario " + std::string(129, 'n'),
     "t.scn:1:10: scenario name longer than 128 characters"},
    {"ScenarioNameTwoWords", "scenario a b\n",
     "t.scn:1:12: unexpected 'b' (expected end of line)"},
    // Keywords.
    {"MisspeltStep", S + "\n\n  wrte \"x\"\n",
     "t.scn:4:3: unknown keyword 'wrte' (did you mean 'write'?)"},
    {"MisspeltLine", S + "timeuot 1s\n",
     "t.scn:2:1: unknown keyword 'timeuot' (did you mean 'timeout'?)"},
    {"UnknownKeyword", S + "frobnicate\n",
     "t.scn:2:1: unknown keyword 'frobnicate' (expected a step: accept, "
     "refuse, read, recv-buffer, write, sleep, half-close, close, reset or "
     "hang; or a line: scenario, description, request, timeout, seed, "
     "reset-mode, level, inject, connection or expect)"},
    {"LineStartsWithString", S + "\"write\"\n",
     "t.scn:2:1: expected a keyword, found '\"write\"'"},
    {"LineStartsWithPipe", S + "  | close\n",
     "t.scn:2:3: expected a keyword, found '|'"},
    {"ControlCharacter", S + "close\x01\n",
     "t.scn:2:6: unexpected control character '\\x01'"},
    {"NulOutsideString", S + std::string("read\0 1\n", 8),
     "t.scn:2:5: unexpected control character '\\x00'"},
    {"TrailingToken", S + "close now\n",
     "t.scn:2:7: unexpected 'now' (expected end of line)"},
    {"TrailingString", S + "half-close \"x\"\n",
     "t.scn:2:12: unexpected '\"x\"' (expected end of line)"},
    {"LongTextIsCutInMessages", S + "close " + std::string(100, 'z') + "\n",
     "t.scn:2:7: unexpected '" + std::string(40, 'z') +
         "...' (expected end of line)"},
    {"NonAsciiShownEscaped", S + "\xc3\xa9t\xc3\xa9\n",
     "t.scn:2:1: unknown keyword '\\xc3\\xa9t\\xc3\\xa9' (expected a step: "
     "accept, refuse, read, recv-buffer, write, sleep, half-close, close, "
     "reset or hang; or a line: scenario, description, request, timeout, "
     "seed, reset-mode, level, inject, connection or expect)"},
    // Strings.
    {"UnterminatedString", S + "request \"abc\n",
     "t.scn:2:9: unterminated string (a string ends on the line it starts)"},
    {"BackslashAtEndOfLine", S + "request \"abc\\\n",
     "t.scn:2:9: unterminated string (a string ends on the line it starts)"},
    {"UnknownEscape", S + "request \"ab\\q\"\n",
     "t.scn:2:12: unknown escape '\\q' (use \\n \\r \\t \\0 \\\\ \\\" or \\xHH)"},
    {"ShortHexEscape", S + "request \"\\x4\"\n",
     "t.scn:2:10: bad escape '\\x4\"' (\\x needs two hex digits)"},
    {"BadHexEscape", S + "request \"\\xg0\"\n",
     "t.scn:2:10: bad escape '\\xg0' (\\x needs two hex digits)"},
    {"HexEscapeAtEndOfLine", S + "request \"\\x",
     "t.scn:2:10: bad escape '\\x' (\\x needs two hex digits)"},
    {"StringTooLong", S + "request \"" + std::string((1u << 20) + 1, 'x') + "\"\n",
     "t.scn:2:9: string longer than 1MiB"},
    {"EscapesCountDecoded", S + "write \"" + std::string(1u << 20, 'x') + "\\n\"\n",
     "t.scn:2:7: string longer than 1MiB"},
    // Scenario-wide lines.
    {"DescriptionNotString", S + "description hello\n",
     "t.scn:2:13: expected a \"string\" after 'description', found 'hello'"},
    {"DuplicateDescription", S + "description \"a\"\ndescription \"b\"\n",
     "t.scn:3:1: duplicate 'description' (first on line 2)"},
    {"DuplicateRequest", S + "request \"a\"\n# gap\nrequest \"b\"\n",
     "t.scn:4:1: duplicate 'request' (first on line 2)"},
    {"RequestIsRequest", S + "request request\n",
     "t.scn:2:9: the request cannot be 'request' (it would refer to itself)"},
    {"RequestMissingData", S + "request\n",
     "t.scn:2:8: expected data after 'request' (a \"string\", hex, repeat, "
     "random or request), found end of line"},
    {"DuplicateTimeout", S + "timeout 1s\ntimeout 2s\n",
     "t.scn:3:1: duplicate 'timeout' (first on line 2)"},
    {"ZeroTimeout", S + "timeout 0ms\n",
     "t.scn:2:9: duration '0ms' must be greater than 0"},
    {"TimeoutTooLong", S + "timeout 61m\n",
     "t.scn:2:9: duration '61m' is longer than the limit of 1h"},
    {"SeedNotNumber", S + "seed 0x10\n",
     "t.scn:2:6: expected a whole number, found '0x10'"},
    {"SeedNegative", S + "seed -1\n", "t.scn:2:6: expected a whole number, found '-1'"},
    {"SeedTooLarge", S + "seed 18446744073709551616\n",
     "t.scn:2:6: number '18446744073709551616' is too large (at most "
     "18446744073709551615)"},
    {"DuplicateSeed", S + "seed 1\nseed 1\n",
     "t.scn:3:1: duplicate 'seed' (first on line 2)"},
    {"UnknownResetMode", S + "reset-mode bsd\n",
     "t.scn:2:12: unknown reset mode 'bsd' (expected linux or windows)"},
    {"MissingResetMode", S + "reset-mode\n",
     "t.scn:2:11: expected linux or windows after 'reset-mode', found end of "
     "line"},
    {"DuplicateResetMode", S + "reset-mode linux\nreset-mode windows\n",
     "t.scn:3:1: duplicate 'reset-mode' (first on line 2)"},
    {"UnknownLevel", S + "level may\n",
     "t.scn:2:7: unknown level 'may' (expected must or should)"},
    {"MissingLevel", S + "level\n",
     "t.scn:2:6: expected must or should after 'level', found end of line"},
    {"DuplicateLevel", S + "level must\nlevel should\n",
     "t.scn:3:1: duplicate 'level' (first on line 2)"},
    // Injections.
    {"InjectUnknownCall", S + "inject connect EINTR\n",
     "t.scn:2:8: unknown call 'connect' (expected send, recv, wait or shutdown)"},
    {"InjectMissingCall", S + "inject\n",
     "t.scn:2:7: expected a call after 'inject', found end of line"},
    {"InjectUnknownError", S + "inject recv EPIPE\n",
     "t.scn:2:13: unknown error 'EPIPE' (expected EINTR, EAGAIN or short)"},
    {"InjectShortOnWait", S + "inject wait short\n",
     "t.scn:2:13: 'short' applies to send and recv only"},
    {"InjectAtZero", S + "inject send EINTR at 0\n",
     "t.scn:2:22: 'at' must be at least 1"},
    {"InjectMissingError", S + "inject recv\n",
     "t.scn:2:12: expected an error after the call, found end of line"},
    {"InjectEveryZero", S + "inject send EINTR every 0\n",
     "t.scn:2:25: 'every' must be at least 1"},
    {"InjectEveryTooLarge", S + "inject send EINTR every 4294967296\n",
     "t.scn:2:25: number '4294967296' is too large (at most 4294967295)"},
    {"InjectEveryMissing", S + "inject send EINTR every\n",
     "t.scn:2:24: expected a number after 'every', found end of line"},
    {"InjectUnknownOption", S + "inject send EINTR each 2\n",
     "t.scn:2:19: unknown option 'each' for 'inject' (expected every or at)"},
    {"InjectTrailing", S + "inject send EINTR every 2 3\n",
     "t.scn:2:27: unexpected '3' (expected end of line)"},
    {"InjectDuplicate", S + "inject send EINTR\ninject send EINTR every 2\n",
     "t.scn:3:1: duplicate 'inject send EINTR' (first on line 2)"},
    // Connection headers.
    {"ConnectionMissingRange", S + "connection\n",
     "t.scn:2:11: expected a connection number after 'connection' (N, N+ or "
     "N-M), found end of line"},
    {"ConnectionBadRange", S + "connection 2x\n",
     "t.scn:2:12: bad connection range '2x' (expected N, N+ or N-M, e.g. 1, "
     "2+ or 2-4)"},
    {"ConnectionPlusFirst", S + "connection +2\n",
     "t.scn:2:12: bad connection range '+2' (expected N, N+ or N-M, e.g. 1, "
     "2+ or 2-4)"},
    {"ConnectionDashWithoutEnd", S + "connection 2-\n",
     "t.scn:2:12: bad connection range '2-' (expected N, N+ or N-M, e.g. 1, "
     "2+ or 2-4)"},
    {"ConnectionZero", S + "connection 0+\n",
     "t.scn:2:12: connections are numbered from 1, found '0+'"},
    {"ConnectionEndZero", S + "connection 1-0\n",
     "t.scn:2:12: connections are numbered from 1, found '1-0'"},
    {"ConnectionTooLarge", S + "connection 1000001\n",
     "t.scn:2:12: number '1000001' is too large (at most 1000000)"},
    {"ConnectionEndTooLarge", S + "connection 1-1000001\n",
     "t.scn:2:14: number '1000001' is too large (at most 1000000)"},
    {"ConnectionEmptyRange", S + "connection 3-2\n",
     "t.scn:2:12: empty connection range '3-2'"},
    {"ConnectionOverlapsOpenRange", S + "connection 2+\nconnection 5\n",
     "t.scn:3:12: connection range '5' overlaps '2+' (line 2)"},
    {"ConnectionOverlapsLaterRange", S + "connection 3-4\nconnection 1+\n",
     "t.scn:3:12: connection range '1+' overlaps '3-4' (line 2)"},
    {"ConnectionOverlapsEarlierRange",
     S + "connection 1-3\nconnection 7\nconnection 3-5\n",
     "t.scn:4:12: connection range '3-5' overlaps '1-3' (line 2)"},
    {"ConnectionRepeated", S + "connection 1\nconnection 1\n",
     "t.scn:3:12: connection range '1' overlaps '1' (line 2)"},
    {"ConnectionTrailing", S + "connection 1 accept\n",
     "t.scn:2:14: unexpected 'accept' (expected end of line)"},
    {"ConnectionAfterHeaderlessSteps", S + "read 1\nconnection 2\n",
     "t.scn:3:1: 'connection' after steps without a 'connection' header "
     "(give every step a header, or none)"},
    // Placement of steps.
    {"AcceptNotFirst", S + "read 1\naccept\n",
     "t.scn:3:1: 'accept' must be the first step of its script"},
    {"RefuseNotAlone", S + "accept\nrefuse\n",
     "t.scn:3:1: 'refuse' must be the only step of its script"},
    {"StepAfterRefuse", S + "connection 1\nrefuse\nconnection 2\nrefuse\nclose\n",
     "t.scn:6:1: 'close' after 'refuse' (refuse must be the only step of its "
     "script)"},
    {"StepAfterClose", S + "close\nread 1\n",
     "t.scn:3:1: 'read' after 'close' (close, reset and hang end a script)"},
    {"StepAfterReset", S + "reset\nsleep 1s\n",
     "t.scn:3:1: 'sleep' after 'reset' (close, reset and hang end a script)"},
    {"StepAfterHang", S + "hang\nhang\n",
     "t.scn:3:1: 'hang' after 'hang' (close, reset and hang end a script)"},
    {"RecvBufferLate", S + "accept\nread 1\nrecv-buffer 1KiB\n",
     "t.scn:4:1: 'recv-buffer' must be the first step of its script, or "
     "follow 'accept'"},
    {"WriteAfterHalfClose", S + "half-close\nwrite \"x\"\n",
     "t.scn:3:1: 'write' after 'half-close' (the server has already sent its "
     "FIN)"},
    {"SecondHalfClose", S + "half-close\nread until-fin\nhalf-close\n",
     "t.scn:4:1: second 'half-close' in one script"},
    // Step arguments.
    {"AcceptUnknownOption", S + "accept later 1s\n",
     "t.scn:2:8: unknown option 'later' for 'accept' (expected after)"},
    {"AcceptAfterMissing", S + "accept after\n",
     "t.scn:2:13: expected a duration after 'after', found end of line"},
    {"AcceptAfterTwice", S + "accept after 1s after 2s\n",
     "t.scn:2:17: duplicate option 'after'"},
    {"ReadMissingCount", S + "read\n",
     "t.scn:2:5: expected a byte count or until-fin after 'read', found end "
     "of line"},
    {"ReadString", S + "read \"x\"\n",
     "t.scn:2:6: expected a byte count or until-fin after 'read', found "
     "'\"x\"'"},
    {"ReadZero", S + "read 0\n", "t.scn:2:6: 'read' must be at least 1 byte"},
    {"ReadUntilFinTypo", S + "read until-eof\n",
     "t.scn:2:6: bad size 'until-eof': expected a whole number of bytes such "
     "as 100, 4KiB or 1MiB"},
    {"ReadTooLarge", S + "read 2GiB\n",
     "t.scn:2:6: size '2GiB' is larger than the limit of 1GiB"},
    {"ReadSizeBeyondUnits", S + "read 2TiB\n",
     "t.scn:2:6: bad size '2TiB': unknown size unit 'TiB' (use B, KiB, MiB, "
     "GiB, kB, MB or GB)"},
    {"ReadFractionalSize", S + "read 1.5KiB\n",
     "t.scn:2:6: bad size '1.5KiB': expected a whole number of bytes such as "
     "100, 4KiB or 1MiB"},
    {"ReadUnknownOption", S + "read 1 chunks 1\n",
     "t.scn:2:8: unknown option 'chunks' for 'read' (expected chunk or gap)"},
    {"ChunkZero", S + "read until-fin chunk 0\n",
     "t.scn:2:22: 'chunk' must be at least 1 byte"},
    {"ChunkMissing", S + "read 4 chunk\n",
     "t.scn:2:13: expected a size after 'chunk', found end of line"},
    {"DuplicateChunk", S + "write \"ab\" chunk 1 chunk 2\n",
     "t.scn:2:20: duplicate option 'chunk'"},
    {"GapWithoutChunkOnWrite", S + "write \"ab\" gap 1ms\n",
     "t.scn:2:12: 'gap' needs 'chunk' (the gap is the pause between chunks)"},
    {"GapWithoutChunkOnRead", S + "read until-fin gap 1ms\n",
     "t.scn:2:16: 'gap' needs 'chunk' (the gap is the pause between chunks)"},
    {"ChunkZeroAfterGap", S + "read 1 gap 1ms chunk 0\n",
     "t.scn:2:22: 'chunk' must be at least 1 byte"},
    {"GapBadDuration", S + "read 1 gap 5\n",
     "t.scn:2:12: bad duration '5': missing unit (use ns, us, ms, s, m or h)"},
    {"GapTooLong", S + "read 1 gap 2h\n",
     "t.scn:2:12: duration '2h' is longer than the limit of 1h"},
    {"RecvBufferZero", S + "recv-buffer 0KiB\n",
     "t.scn:2:13: 'recv-buffer' must be at least 1 byte"},
    {"RecvBufferMissing", S + "recv-buffer\n",
     "t.scn:2:12: expected a size after 'recv-buffer', found end of line"},
    {"SleepMissing", S + "sleep # nap\n",
     "t.scn:2:7: expected a duration after 'sleep', found end of line"},
    {"SleepUnknownUnit", S + "sleep 10y\n",
     "t.scn:2:7: bad duration '10y': unknown duration unit 'y' (use ns, us, "
     "ms, s, m or h)"},
    {"SleepMalformed", S + "sleep 1..5s\n",
     "t.scn:2:7: bad duration '1..5s': malformed number '1..5'"},
    {"SleepNoNumber", S + "sleep ms\n",
     "t.scn:2:7: bad duration 'ms': expected a duration such as 500ms or 10s"},
    {"SleepHuge", S + "sleep 99999999999999999999h\n",
     "t.scn:2:7: bad duration '99999999999999999999h': duration too large"},
    // Data.
    {"WriteMissingData", S + "write\n",
     "t.scn:2:6: expected data after 'write' (a \"string\", hex, repeat, "
     "random or request), found end of line"},
    {"WriteBareWord", S + "write hello\n",
     "t.scn:2:7: expected data after 'write' (a \"string\", hex, repeat, "
     "random or request), found 'hello'"},
    {"HexMissing", S + "write hex\n",
     "t.scn:2:10: expected hex digits after 'hex', found end of line"},
    {"HexBadDigit", S + "write hex 4g\n", "t.scn:2:12: bad hex digit 'g'"},
    {"HexOdd", S + "write hex abc\n", "t.scn:2:11: odd number of hex digits in 'abc'"},
    {"HexTooLong", S + "write hex " + std::string((2u << 20) + 2, '0') + "\n",
     "t.scn:2:11: hex data longer than 1MiB"},
    {"RepeatWithoutPattern", S + "write repeat 10\n",
     "t.scn:2:14: expected a \"pattern\" after 'repeat', found '10'"},
    {"RepeatEmptyPattern", S + "write repeat \"\" 10\n",
     "t.scn:2:14: the pattern of 'repeat' must not be empty"},
    {"RepeatMissingSize", S + "write repeat \"ab\"\n",
     "t.scn:2:18: expected a size after the pattern of 'repeat', found end of "
     "line"},
    {"RepeatZero", S + "write repeat \"ab\" 0\n",
     "t.scn:2:19: 'repeat' must be at least 1 byte"},
    {"RepeatTooLarge", S + "write repeat \"ab\" 1025MiB\n",
     "t.scn:2:19: size '1025MiB' is larger than the limit of 1GiB"},
    {"RandomMissingSize", S + "write random seed 1\n",
     "t.scn:2:14: bad size 'seed': expected a whole number of bytes such as "
     "100, 4KiB or 1MiB"},
    {"RandomZero", S + "write random 0 seed 1\n",
     "t.scn:2:14: 'random' must be at least 1 byte"},
    {"RandomSeedMissing", S + "write random 1 seed\n",
     "t.scn:2:20: expected a seed after 'seed', found end of line"},
    {"RandomSeedNotNumber", S + "write random 1 seed x\n",
     "t.scn:2:21: expected a whole number, found 'x'"},
    // Expectations.
    {"ExpectMissing", S + "expect\n",
     "t.scn:2:7: expected what to expect after 'expect' (outcome, response, "
     "received, client-fin, within or connections), found end of line"},
    {"ExpectMisspelt", S + "expect respnse \"x\"\n",
     "t.scn:2:8: unknown expectation 'respnse' (did you mean 'response'?)"},
    {"ExpectUnknown", S + "expect everything\n",
     "t.scn:2:8: unknown expectation 'everything' (expected outcome, "
     "response, received, client-fin, within or connections)"},
    {"ExpectOutcomeMissing", S + "expect outcome\n",
     "t.scn:2:15: expected an outcome (closed, reset, timed-out, refused, "
     "connect-failed or error), found end of line"},
    {"ExpectOutcomeTrailingPipe", S + "expect outcome closed|\n",
     "t.scn:2:23: expected an outcome (closed, reset, timed-out, refused, "
     "connect-failed or error), found end of line"},
    {"ExpectOutcomeMisspelt", S + "expect outcome closed|rest\n",
     "t.scn:2:23: unknown outcome 'rest' (did you mean 'reset'?)"},
    {"ExpectOutcomeUnknown", S + "expect outcome success\n",
     "t.scn:2:16: unknown outcome 'success' (expected closed, reset, "
     "timed-out, refused, connect-failed or error)"},
    {"ExpectOutcomeTwice", S + "expect outcome reset|closed|reset\n",
     "t.scn:2:29: outcome 'reset' listed twice"},
    {"ExpectOutcomeNoPipe", S + "expect outcome reset closed\n",
     "t.scn:2:22: unexpected 'closed' (expected '|' or end of line)"},
    {"DuplicateExpectOutcome", S + "expect outcome reset\nexpect outcome closed\n",
     "t.scn:3:1: duplicate 'expect outcome' (first on line 2)"},
    {"ExpectResponseMissing", S + "expect response\n",
     "t.scn:2:16: expected data after 'expect response' (a \"string\", hex, "
     "repeat, random or request), found end of line"},
    {"DuplicateExpectResponse", S + "expect response \"a\"\nexpect response \"a\"\n",
     "t.scn:3:1: duplicate 'expect response' (first on line 2)"},
    {"ExpectReceivedBad", S + "expect received 5\n",
     "t.scn:2:17: expected data after 'expect received' (a \"string\", hex, "
     "repeat, random or request), found '5'"},
    {"DuplicateExpectReceived", S + "expect received request\nexpect received request\n",
     "t.scn:3:1: duplicate 'expect received' (first on line 2)"},
    {"ExpectClientFinBad", S + "expect client-fin true\n",
     "t.scn:2:19: expected yes or no after 'client-fin', found 'true'"},
    {"ExpectClientFinMissing", S + "expect client-fin\n",
     "t.scn:2:18: expected yes or no after 'client-fin', found end of line"},
    {"DuplicateExpectClientFin", S + "expect client-fin yes\nexpect client-fin no\n",
     "t.scn:3:1: duplicate 'expect client-fin' (first on line 2)"},
    {"ExpectWithinZero", S + "expect within 0s\n",
     "t.scn:2:15: duration '0s' must be greater than 0"},
    {"ExpectWithinTooLong", S + "expect within 3601s\n",
     "t.scn:2:15: duration '3601s' is longer than the limit of 1h"},
    {"DuplicateExpectWithin", S + "expect within 1s\nexpect within 1s\n",
     "t.scn:3:1: duplicate 'expect within' (first on line 2)"},
    {"ExpectConnectionsMissing", S + "expect connections\n",
     "t.scn:2:19: expected a number after 'connections' (N or at-most N), "
     "found end of line"},
    {"ExpectConnectionsZero", S + "expect connections 0\n",
     "t.scn:2:20: a client opens at least 1 connection, found '0'"},
    {"ExpectConnectionsNotNumber", S + "expect connections two\n",
     "t.scn:2:20: expected a whole number, found 'two'"},
    {"ExpectConnectionsAtMostMissing", S + "expect connections at-most\n",
     "t.scn:2:27: expected a number after 'at-most', found end of line"},
    {"ExpectConnectionsAtMostZero", S + "expect connections at-most 0\n",
     "t.scn:2:28: a client opens at least 1 connection, found '0'"},
    {"ExpectConnectionsTooMany", S + "expect connections 1000001\n",
     "t.scn:2:20: number '1000001' is too large (at most 1000000)"},
    {"ExpectConnectionsTrailing", S + "expect connections 2 3\n",
     "t.scn:2:22: unexpected '3' (expected end of line)"},
    {"DuplicateExpectConnections", S + "expect connections 2\nexpect connections at-most 2\n",
     "t.scn:3:1: duplicate 'expect connections' (first on line 2)"},
    // The first error wins, in reading order.
    {"FirstErrorInLine", S + "wirte \"\\q\"\n",
     "t.scn:2:1: unknown keyword 'wirte' (did you mean 'write'?)"},
    {"FirstErrorInFile", "sleep 5\nscenario t\nwrite \"\\q\"\n",
     "t.scn:1:7: bad duration '5': missing unit (use ns, us, ms, s, m or h)"},
    {"CrLfColumns", "scenario t\r\nread 0\r\n",
     "t.scn:2:6: 'read' must be at least 1 byte"},
};

INSTANTIATE_TEST_SUITE_P(
    Table, ScenarioParserErrors, testing::ValuesIn(kErrors),
    [](const testing::TestParamInfo<ErrorCase>& p) { return p.param.name; });

TEST(ScenarioParser, InputLargerThanTheLimitIsAnError) {
  const std::string big = "scenario t\n" + std::string(16u << 20, '#');
  EXPECT_EQ(error_of(big), "t.scn:1:1: input larger than 16MiB");
  // Just below the limit is fine (and fast: one comment line).
  EXPECT_EQ(error_of(big.substr(0, 16u << 20)), "<parsed>");
}

TEST(ScenarioParser, ErrorCarriesLineTextAndFields) {
  ParseResult r = parse_scenario("scenario t\r\n  wrte 1\r\n", "x/y.scn");
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(r.scenario.has_value());
  EXPECT_EQ(r.error->file, "x/y.scn");
  EXPECT_EQ(r.error->where.line, 2);
  EXPECT_EQ(r.error->where.column, 3);
  EXPECT_EQ(r.error->line_text, "  wrte 1");  // without the \r
  EXPECT_EQ(r.error->message, "unknown keyword 'wrte' (did you mean 'write'?)");
}

// --- error output that is safe to print ----------------------------------------
//
// An error quotes the offending line: a scenario from anywhere (a fuzz
// finding, a downloaded corpus) must not be able to send a terminal escape
// sequence through it, nor make it megabytes long.

bool PrintableAscii(std::string_view text) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) return false;
  }
  return true;
}

TEST(ParseError, TheLineIsShownEscaped) {
  const ParseResult r = parse_scenario(
      "scenario t\nwirte 1 # \x1b[31mred\x1b[0m\x07\tbell\n", "t.scn");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->to_string(),
            "t.scn:2:1: unknown keyword 'wirte' (did you mean 'write'?)");
  EXPECT_EQ(r.error->line_text,
            "wirte 1 # \\x1b[31mred\\x1b[0m\\x07\\x09bell");
  // Quotes and backslashes stay as in the source: the line is read by
  // people, next to their file.
  const ParseResult q = parse_scenario("scenario t\nwrite \"a\\qb\"\n", "t.scn");
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error->line_text, "write \"a\\qb\"");
}

TEST(ParseError, AnErrorInAHugeLineStaysShortAndEscaped) {
  // A 15 MiB line (the input limit is 16 MiB) whose error lies at its end,
  // right after a terminal escape sequence.
  const std::string line =
      "write \"x\" " + std::string(15u << 20, ' ') + "\x1b[31mbogus";
  const ParseResult r = parse_scenario("scenario t\n" + line + "\n", "t.scn");
  ASSERT_FALSE(r.ok());
  const ParseError& e = *r.error;
  EXPECT_EQ(e.where.column, static_cast<int>(line.find('\x1b')) + 1);
  EXPECT_EQ(e.message, "unexpected control character '\\x1b'");
  EXPECT_LT(e.to_string().size(), 100u);
  EXPECT_TRUE(PrintableAscii(e.to_string()));
  EXPECT_LE(e.line_text.size(), kMaxLineText);
  EXPECT_TRUE(PrintableAscii(e.line_text)) << e.line_text.substr(0, 300);
  EXPECT_NE(e.line_text.find("\\x1b[31mbogus"), std::string::npos) << e.line_text;
  // Cut before the error only; the 13 columns after it leave 187 before.
  EXPECT_EQ(e.line_text, "..." + std::string(187, ' ') + "\\x1b[31mbogus");
  EXPECT_EQ(e.line_text.substr(e.caret, 4), "\\x1b");
  EXPECT_LT(e.excerpt().size(), 2 * kMaxLineText + 8);
}

TEST(ParseError, TheCaretStaysUnderTheErrorInTheEscapedLine) {
  // A raw ESC inside a string before the error: 1 byte in the file, 4
  // columns on the screen.
  const std::string line = "write \"\x1b[31m\" bogus";
  const ParseResult r = parse_scenario("scenario t\n" + line + "\n", "t.scn");
  ASSERT_FALSE(r.ok());
  const ParseError& e = *r.error;
  EXPECT_EQ(e.where.column, static_cast<int>(line.find("bogus")) + 1);
  EXPECT_EQ(e.line_text, "write \"\\x1b[31m\" bogus");
  EXPECT_EQ(e.caret, e.line_text.find("bogus"));
  EXPECT_EQ(e.excerpt(), "  write \"\\x1b[31m\" bogus\n"
                         "                   ^\n");
  // An error at the end of the line: the caret just past it.
  const ParseResult end = parse_scenario("scenario t\nread\n", "t.scn");
  ASSERT_FALSE(end.ok());
  EXPECT_EQ(end.error->excerpt(), "  read\n      ^\n");
  // No line, no excerpt.
  EXPECT_EQ(parse_scenario("", "t.scn").error->excerpt(), "");
}

TEST(ParseError, ALongLineIsCutAroundTheError) {
  // At the start: kept from the start, 200 columns, cut after.
  const ParseResult first =
      parse_scenario("scenario t\nwirte " + std::string(15u << 20, 'a') + "\n", "t.scn");
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error->line_text, "wirte " + std::string(194, 'a') + "...");
  EXPECT_EQ(first.error->caret, 0u);
  // In the middle: 80 columns before the error, the rest after it.
  const std::string pad(1u << 20, ' ');
  const ParseResult middle = parse_scenario(
      "scenario t\nwrite \"x\"" + pad + "\x01" + pad + "\n", "t.scn");
  ASSERT_FALSE(middle.ok());
  const ParseError& e = *middle.error;
  EXPECT_EQ(e.message, "unexpected control character '\\x01'");
  EXPECT_EQ(e.line_text, "..." + std::string(80, ' ') + "\\x01" +
                             std::string(116, ' ') + "...");
  EXPECT_EQ(e.caret, 83u);
}

TEST(ParseError, TheFileNameIsShownEscaped) {
  const ParseResult r = parse_scenario("", "evil\x1b]0;owned\x07.scn");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->file, "evil\x1b]0;owned\x07.scn");  // as given
  EXPECT_EQ(r.error->to_string(),
            "evil\\x1b]0;owned\\x07.scn:1:1: missing 'scenario NAME' line");
}

TEST(ParseError, ToStringForms) {
  ParseError e;
  e.message = "boom";
  e.where = {3, 7};
  EXPECT_EQ(e.to_string(), "<input>:3:7: boom");
  e.file = "a.scn";
  EXPECT_EQ(e.to_string(), "a.scn:3:7: boom");
  e.where = {};  // not tied to a line: a file-level problem
  EXPECT_EQ(e.to_string(), "a.scn: boom");
  EXPECT_EQ(parse_scenario("", "").error->to_string(),
            "<input>:1:1: missing 'scenario NAME' line");
}

// --- files --------------------------------------------------------------------

class LoadScenarioFile : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(testing::TempDir()) /
           (std::string("scenario_parser_test_") +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::filesystem::path write(const std::string& name, const std::string& text) {
    const auto p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  std::filesystem::path dir_;
};

TEST_F(LoadScenarioFile, ReadsAndParses) {
  const auto p = write("ok.scn", "scenario from-file\nwrite \"x\"\n");
  ParseResult r = load_scenario_file(p);
  ASSERT_TRUE(r.ok()) << r.error->to_string();
  EXPECT_EQ(r.scenario->name, "from-file");
  EXPECT_EQ(r.scenario->file, p.string());
}

TEST_F(LoadScenarioFile, ErrorsNameTheFile) {
  const auto p = write("bad.scn", "scenario t\nclose\nclose\n");
  ParseResult r = load_scenario_file(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->to_string(),
            p.string() +
                ":3:1: 'close' after 'close' (close, reset and hang end a script)");
}

TEST_F(LoadScenarioFile, MissingFileIsAnErrorAtZero) {
  const auto p = dir_ / "nope.scn";
  ParseResult r = load_scenario_file(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->where.line, 0);
  EXPECT_EQ(r.error->where.column, 0);
  EXPECT_EQ(r.error->to_string(),
            p.string() + ": cannot read the file: " +
                std::make_error_code(std::errc::no_such_file_or_directory).message());
}

TEST_F(LoadScenarioFile, DirectoryIsAnError) {
  ParseResult r = load_scenario_file(dir_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->where.line, 0);
  EXPECT_EQ(r.error->message.rfind("cannot read the file: ", 0), 0u)
      << r.error->message;
}

TEST_F(LoadScenarioFile, OversizedFileIsRefusedBeforeReading) {
  const auto p = write("big.scn", "");
  std::filesystem::resize_file(p, (16u << 20) + 1);  // sparse: costs nothing
  ParseResult r = load_scenario_file(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->to_string(), p.string() + ": file larger than 16MiB");
}

// --- printing -----------------------------------------------------------------

TEST(ScenarioPrinter, CanonicalForm) {
  const std::string expected = R"(scenario every-construct.1_x
description "all \"of\" it\t\x01"
request "GET / HTTP/1.0\r\n\r\n"
timeout 1500ms
seed 42
reset-mode windows
level should
inject recv EINTR every 3
inject send EAGAIN every 1
inject wait EINTR every 1
inject shutdown EAGAIN every 2

connection 1
  refuse

connection 2-3
  accept after 200ms
  recv-buffer 1KiB
  read 10 chunk 1 gap 10ms
  read until-fin chunk 2
  write "HTTP/1.0 200 OK\r\n" chunk 1 gap 5ms
  write repeat "ab" 1MiB
  write random 64KiB seed 7
  write hex 48656c6c6f
  write request
  sleep 100ms
  half-close
  close

connection 4+
  read until-fin chunk 512 gap 1ms
  hang

expect outcome closed|reset
expect response "x#y"
expect received request
expect client-fin yes
expect within 2s
expect connections at-most 3
)";
  EXPECT_EQ(print_scenario(must_parse(kEveryConstruct)), expected);
}

TEST(ScenarioPrinter, MinimalFormAlwaysHasAHeader) {
  EXPECT_EQ(print_scenario(must_parse("scenario m\nclose\n")),
            "scenario m\nrequest \"this is a test\"\ntimeout 5s\n\n"
            "connection 1+\n  close\n");
}

TEST(ScenarioPrinter, RoundTripsEveryConstruct) {
  expect_round_trip(must_parse(kEveryConstruct), "kEveryConstruct");
}

TEST(ScenarioPrinter, RoundTripsEveryByteInStrings) {
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  Scenario s = must_parse("scenario bytes\n");
  s.request.text = all;
  s.description = all;
  s.scripts[0].steps.push_back(
      Step{Step::Kind::write, {}, 0, 0, {}, {DataSpec::Kind::repeat, all, 300, 0}, {}});
  s.scripts[0].steps.push_back(
      Step{Step::Kind::write, {}, 0, 0, {}, {DataSpec::Kind::hex, all, 0, 0}, {}});
  s.expect.response = DataSpec{DataSpec::Kind::literal, all, 0, 0};
  expect_round_trip(s, "all bytes");
  // Every printed line is printable ASCII: escapes cover the rest.
  for (const char c : print_scenario(s)) {
    EXPECT_TRUE(c == '\n' || (c >= 0x20 && c < 0x7f)) << int(c);
  }
}

TEST(ScenarioPrinter, RoundTripsOddDurationsAndSizes) {
  const Scenario s = must_parse(
      "scenario t\ntimeout 1.5s\nsleep 1ns\nsleep 1.25ms\nsleep 90s\n"
      "read 1000 chunk 7 gap 3600000ms\nread 1025 chunk 1023\nread 1GB\n"
      "write random 1kB seed 18446744073709551615\n");
  expect_round_trip(s, "odd units");
  EXPECT_EQ(s.scripts[0].steps[0].delay, 1ns);
  EXPECT_EQ(s.scripts[0].steps[1].delay, 1250us);
  EXPECT_NE(print_scenario(s).find("sleep 1250us\n"), std::string::npos);
}

TEST(ScenarioPrinter, RoundTripsTheDocumentationExamples) {
  const auto examples = doc_examples();
  // The reference promises several complete examples; an empty list would
  // make this test pass vacuously.
  ASSERT_GE(examples.size(), 4u);
  for (std::size_t i = 0; i < examples.size(); ++i) {
    ParseResult r = parse_scenario(examples[i], "doc-example");
    ASSERT_TRUE(r.ok()) << "example " << i << ": " << r.error->to_string()
                        << "\n" << examples[i];
    expect_round_trip(*r.scenario, "doc example " + std::to_string(i));
  }
}

TEST(ScenarioPrinter, RoundTripsTheCorpus) {
  const auto files = corpus_files();
  ASSERT_GE(files.size(), 4u);
  for (const auto& f : files) {
    ParseResult r = load_scenario_file(f);
    ASSERT_TRUE(r.ok()) << r.error->to_string();
    EXPECT_FALSE(r.scenario->description.empty()) << f;
    expect_round_trip(*r.scenario, f.string());
  }
}

TEST(ScenarioLanguageDoc, DocumentsEveryKeyword) {
  const std::string doc = read_file(std::filesystem::path(SOCKCHECK_SOURCE_DIR) /
                                    "docs" / "scenario-language.md");
  // Every word inside an inline `code span` of the prose and tables
  // (fenced blocks are examples, not documentation of a keyword).
  std::set<std::string> documented;
  std::istringstream lines(doc);
  bool in_fence = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("```", 0) == 0) {
      in_fence = !in_fence;
      continue;
    }
    if (in_fence) continue;
    for (std::size_t open = line.find('`'); open != std::string::npos;) {
      const std::size_t close = line.find('`', open + 1);
      if (close == std::string::npos) break;
      std::istringstream span(line.substr(open + 1, close - open - 1));
      for (std::string w; span >> w;) documented.insert(w);
      open = line.find('`', close + 1);
    }
  }
  for (const char* word :
       {"scenario", "description", "request", "timeout", "seed", "reset-mode",
        "inject", "connection", "expect", "accept", "refuse", "read",
        "until-fin", "recv-buffer", "write", "sleep", "half-close", "close",
        "reset", "hang", "chunk", "gap", "after", "hex", "repeat", "random",
        "every", "outcome", "response", "received", "client-fin", "within",
        "connections", "at-most"}) {
    EXPECT_EQ(documented.count(word), 1u) << word;
  }
}

// --- robustness ---------------------------------------------------------------

// Lines of `input` split on '\n', as the locations count them.
std::vector<std::string_view> lines_of(std::string_view input) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = input.find('\n', start);
    if (end == std::string_view::npos) {
      out.push_back(input.substr(start));
      return out;
    }
    out.push_back(input.substr(start, end - start));
    start = end + 1;
  }
}

// The properties every input must have; returns false (after reporting)
// so the caller can stop at the first bad input.
// What a run over many inputs reached, so that a loop that only ever hits
// one error (or never parses) cannot pass unnoticed.
struct Tally {
  std::size_t parsed = 0;
  std::set<std::string> error_kinds;  // messages up to the first quote
};

bool check_any_input(const std::string& input, Tally& tally) {
  ParseResult r = parse_scenario(input, "m.scn");
  if (r.ok() == r.error.has_value()) {
    ADD_FAILURE() << "exactly one of scenario and error must be set";
    return false;
  }
  if (r.ok()) {
    const std::string printed = print_scenario(*r.scenario);
    ParseResult again = parse_scenario(printed, "printed");
    if (!again.ok() || !(*again.scenario == *r.scenario)) {
      ADD_FAILURE() << "no round trip for input:\n" << testing::PrintToString(input)
                    << "\nprinted:\n" << printed;
      return false;
    }
    ++tally.parsed;
    return true;
  }
  const ParseError& e = *r.error;
  tally.error_kinds.insert(e.message.substr(0, e.message.find('\'')));
  const auto lines = lines_of(input);
  const bool inside =
      e.where.line >= 1 && static_cast<std::size_t>(e.where.line) <= lines.size() &&
      e.where.column >= 1 &&
      static_cast<std::size_t>(e.where.column) <=
          lines[static_cast<std::size_t>(e.where.line) - 1].size() + 1;
  // What is shown of it is printable and short, the caret inside the line.
  const bool safe = PrintableAscii(e.to_string()) && PrintableAscii(e.line_text) &&
                    e.line_text.size() <= kMaxLineText && e.caret <= e.line_text.size();
  if (!inside || !safe || e.message.empty() || e.message.find('\n') != std::string::npos ||
      e.message.size() > 400 || e.file != "m.scn") {
    ADD_FAILURE() << "bad error " << testing::PrintToString(e.to_string())
                  << " for input:\n" << testing::PrintToString(input);
    return false;
  }
  return true;
}

std::vector<std::string> seed_inputs() {
  std::vector<std::string> seeds{std::string(kEveryConstruct)};
  for (auto& e : doc_examples()) seeds.push_back(std::move(e));
  for (const auto& f : corpus_files()) seeds.push_back(read_file(f));
  return seeds;
}

TEST(ScenarioParserRobustness, EveryTruncationOfEveryExample) {
  Tally tally;
  std::size_t inputs = 0;
  for (const auto& seed : seed_inputs()) {
    for (std::size_t n = 0; n <= seed.size(); ++n, ++inputs) {
      if (!check_any_input(seed.substr(0, n), tally)) return;
    }
  }
  // Truncations at line ends parse; truncations inside lines mostly do not.
  EXPECT_GT(tally.parsed, inputs / 50);
  EXPECT_GE(tally.error_kinds.size(), 15u);
}

TEST(ScenarioParserRobustness, SeededMutationsNeverCrashAndPointInsideTheInput) {
  const auto seeds = seed_inputs();
  ASSERT_FALSE(seeds.empty());
  // Fragments that reach the parser's corners: quotes and escapes cut in
  // half, comment and pipe characters, limits and just past them, headers
  // that overlap, terminal steps, control and non-ASCII bytes.
  const std::string fragments[] = {
      "\"", "\\", "\\x", "\\x4", "#", "|", "\n", "\r", "\t", " ",
      std::string(1, '\0'), "\x01", "\xff", "\xef\xbb\xbf", "connection 2+\n",
      "connection 1\n", "connection 3-1\n", "write ", "read ", "read until-fin ",
      "chunk ", "gap ", "after ", "0", "1", "1GiB", "1025MiB", "1h", "61m",
      "-", "+", "closed|", "refuse\n", "close\n", "half-close\n", "accept\n",
      "recv-buffer 1\n", "scenario x\n", "expect outcome ", "inject recv EINTR\n",
      "hex ", "repeat \"\" ", "random ", "seed ", "request", "every 0"};
  std::mt19937_64 rng(0x5c3a7105);  // fixed: the same inputs every run
  const auto pick = [&rng](std::size_t n) {
    return n == 0 ? 0 : static_cast<std::size_t>(rng() % n);
  };
  constexpr int kInputs = 20000;
  Tally tally;
  for (int i = 0; i < kInputs; ++i) {
    std::string input = seeds[pick(seeds.size())];
    const std::size_t edits = 1 + pick(4);
    for (std::size_t k = 0; k < edits; ++k) {
      const std::size_t at = pick(input.size() + 1);
      switch (rng() % 6) {
        case 0:  // replace a byte
          if (at < input.size()) input[at] = static_cast<char>(rng() & 0xff);
          break;
        case 1:  // delete a range
          input.erase(at, pick(16) + 1);
          break;
        case 2: {  // insert a fragment
          const auto& f = fragments[pick(std::size(fragments))];
          input.insert(at, f);
          break;
        }
        case 3:  // truncate
          input.resize(at);
          break;
        case 4: {  // duplicate a stretch (repeats lines: duplicates, overlaps)
          const std::size_t len = pick(64) + 1;
          input.insert(at, input.substr(at, len));
          break;
        }
        default: {  // swap two bytes
          const std::size_t other = pick(input.size() + 1);
          if (at < input.size() && other < input.size()) {
            std::swap(input[at], input[other]);
          }
        }
      }
    }
    if (!check_any_input(input, tally)) return;
  }
  std::cout << "[ INFO     ] " << tally.parsed << " of " << kInputs
            << " mutated inputs parsed; " << tally.error_kinds.size()
            << " kinds of error\n";
  EXPECT_GT(tally.parsed, static_cast<std::size_t>(kInputs) / 20);
  EXPECT_GE(tally.error_kinds.size(), 30u);
}

// A quadratic parser needs ~10^10 steps for these; the linear one well
// under a second even under sanitizers. The bound is deliberately loose.
TEST(ScenarioParserRobustness, LargeInputsParseInLinearTime) {
  constexpr int kLines = 200'000;
  std::string headers = "scenario big\n";
  std::string steps = "scenario big\n";
  std::string comments = "scenario big\n";
  for (int i = 1; i <= kLines; ++i) {
    headers += "connection " + std::to_string(i) + "\n  write \"x\"\n";
    steps += "write \"abc\" chunk 1 gap 1ms\n";
    comments += "# a comment line\n";
  }
  headers += "connection " + std::to_string(kLines + 1) + "+\n";
  const std::string long_line =
      "scenario big\nwrite \"" + std::string(1u << 20, '\x7f') + "\"\n";
  const std::string bad_tail = steps + "connection 1\n";

  const auto started = std::chrono::steady_clock::now();
  const Scenario h = must_parse(headers);
  EXPECT_EQ(h.scripts.size(), static_cast<std::size_t>(kLines) + 1);
  EXPECT_EQ(h.script_for(kLines + 5), &h.scripts.back());
  EXPECT_EQ(must_parse(steps).scripts.at(0).steps.size(),
            static_cast<std::size_t>(kLines));
  EXPECT_EQ(must_parse(comments).scripts.size(), 1u);
  EXPECT_EQ(must_parse(long_line).scripts.at(0).steps.at(0).data.text.size(),
            1u << 20);
  EXPECT_EQ(error_of(bad_tail),
            "t.scn:" + std::to_string(kLines + 2) +
                ":1: 'connection' after steps without a 'connection' header "
                "(give every step a header, or none)");
  EXPECT_EQ(error_of(headers + "connection 77\n"),
            "t.scn:" + std::to_string(2 * kLines + 3) +
                ":12: connection range '77' overlaps '77' (line 154)");
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_LT(elapsed, 20s) << "parsing looks super-linear";
}

}  // namespace
}  // namespace sockcheck
