// `sockcheck run [OPTIONS] PATH...`: run scenarios against a client and judge
// every conformance rule.
//
// Theory of operation. Everything that can be wrong with the invocation is
// found before the first run, so a usage or scenario error costs nothing and
// never leaves a half-written report: options are parsed, every PATH is
// expanded (a folder to its *.scn files, recursively, sorted), every file is
// parsed (all parse errors are printed, not just the first), the filter is
// applied, the client command is checked and the report files are opened.
// Then each scenario runs `--repeat` times in a row, one progress line per
// run (its start is flushed before the run, so a slow run shows what it is
// waiting for). Each finished run is condensed into a RunRecord at once, so
// a long --repeat over MiB-sized responses does not keep every byte alive.
// The summary table, the JUnit and JSON files are rendered from the records
// (report.h) at the end.
#include <fnmatch.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "args.h"
#include "commands.h"
#include "sockcheck/baseline.h"
#include "sockcheck/report.h"
#include "sockcheck/runner.h"
#include "sockcheck/scenario_parser.h"
#include "sockcheck/units.h"

namespace sockcheck::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kHelp =
    "usage: sockcheck run [OPTIONS] PATH...\n"
    "\n"
    "Runs every scenario in the PATHs (scenario files, or folders searched\n"
    "recursively for *.scn files) against a client and judges each run by the\n"
    "conformance rules: request-delivered, half-close, response-delivered,\n"
    "honest-outcome, bounded, survives-peer, closes-once, syscall-robust.\n"
    "Without --client-cmd the client is sockcheck's reference client, in\n"
    "process.\n"
    "\n"
    "options:\n"
    "  --client-cmd 'PROGRAM ARGS... {host} {port}'\n"
    "                        run this program as the client, once per run, over\n"
    "                        loopback TCP: the request on its stdin, the response\n"
    "                        from its stdout, exit status 0 meaning \"I saw an\n"
    "                        orderly close\". {host}, {port}, {timeout_ms} and\n"
    "                        {timeout_s} are replaced (the timeout is the\n"
    "                        scenario's). Split into words like a shell would\n"
    "                        (quotes, backslashes) but run without one. The\n"
    "                        program is killed at the scenario's deadline.\n"
    "  --shell               run the --client-cmd text with /bin/sh -c instead\n"
    "  --client-timeout total|idle|none\n"
    "                        the client's timeout contract, which the verdicts\n"
    "                        are judged by: total (one deadline for the whole\n"
    "                        exchange), idle (the timer restarts when data\n"
    "                        arrives: nc -w, socat -T, ncat -i) or none (no\n"
    "                        timeout: only a hang is its failure). Default:\n"
    "                        total when the --client-cmd uses {timeout_ms} or\n"
    "                        {timeout_s}, none when it does not; the reference\n"
    "                        client's is total\n"
    "  --no-interposer       do not preload libsockcheck_preload.so into the\n"
    "                        program: no syscall faults, no trace (the verdicts\n"
    "                        that need them are n/a)\n"
    "  --fault-level realistic|portable\n"
    "                        realistic (default): inject only the faults the\n"
    "                        kernel could return to the program; portable: also\n"
    "                        what POSIX and Winsock allow beyond Linux\n"
    "  --client-retries N    the client's retry contract: it may open up to N\n"
    "                        more connections, each after one that was refused\n"
    "                        or reset before any reply byte (default 0: it\n"
    "                        never retries). The reference client is given\n"
    "                        the same count (sockcheck client --retries N)\n"
    "  --transport sim|tcp   sim: simulated TCP in memory, virtual time (only\n"
    "                        for the in-process client; the default for it);\n"
    "                        tcp: real loopback TCP (the default, and the only\n"
    "                        choice, with --client-cmd)\n"
    "  --repeat N            run each scenario N times in a row (default 1);\n"
    "                        the table then shows counts such as 49/50\n"
    "  --seed N              replace every scenario's seed\n"
    "  --timeout DURATION    replace every scenario's client timeout (and with\n"
    "                        it the deadline), e.g. 500ms, 10s\n"
    "  --filter PATTERN      run only scenarios whose name contains PATTERN, or\n"
    "                        matches it as a glob when it has * ? or [;\n"
    "                        repeatable (a scenario matching any runs)\n"
    "  --junit FILE          write a JUnit XML report (one test case per\n"
    "                        scenario)\n"
    "  --json FILE           write a JSON report of every run\n"
    "  --verbose             print every rule's verdict and evidence, what the\n"
    "                        client did, the model's reasoning and the server's\n"
    "                        observations under each run\n"
    "  --quiet               print no progress line for a run that passed\n"
    "                        (failures and the summary are still printed)\n"
    "  --strict              fail on SHOULD violations too (scenarios marked\n"
    "                        `level should`), and on baseline entries that now\n"
    "                        pass\n"
    "  --baseline FILE       known violations (lines SCENARIO RULE LEVEL): the\n"
    "                        run fails only on violations not in FILE, and says\n"
    "                        which entries now pass\n"
    "  --write-baseline FILE write this run's violations to FILE as a baseline\n"
    "  -h, --help            this text\n"
    "\n"
    "output: one line per run, `[ 7/42] reset-mid-response (tcp) ... ok 12 ms`\n"
    "or `... FAIL 5012 ms: honest-outcome, bounded` followed by the evidence;\n"
    "then a table of scenarios x rules (ok, FAIL, - for not applicable) and\n"
    "the totals, ending with a line `N passed, M failed`.\n"
    "\n"
    "exit status:\n"
    "  0  no violation that fails the run: every MUST scenario kept every\n"
    "     rule, or its violations are all in the --baseline (SHOULD\n"
    "     violations are reported and fail only with --strict); with\n"
    "     --write-baseline alone, the baseline was written\n"
    "  1  a MUST violation (not in the --baseline), a SHOULD one with\n"
    "     --strict, a baseline entry that now passes with --strict, or a run\n"
    "     that could not be carried out\n"
    "  2  usage error, a PATH that does not exist, a scenario or baseline\n"
    "     file that does not parse (each printed as file:line:col: message;\n"
    "     nothing is run), or a report file that cannot be written\n";

struct Options {
  std::vector<std::string> paths;
  std::optional<std::string> client_cmd;
  bool shell = false;
  bool no_interposer = false;
  FaultLevel fault_level = FaultLevel::realistic;
  std::optional<TransportKind> transport;
  std::size_t repeat = 1;
  std::optional<std::uint64_t> seed;
  std::optional<Duration> timeout;
  std::optional<TimeoutContract> contract;
  int retries = 0;
  std::vector<std::string> filters;
  std::optional<std::string> junit;
  std::optional<std::string> json;
  bool verbose = false;
  bool quiet = false;
  bool strict = false;
  std::optional<std::string> baseline;
  std::optional<std::string> write_baseline;
};

int usage_error(Streams io, const std::string& message) {
  return cli::usage_error(io, "run", message);
}

// Parses the arguments into `opt`; returns an exit status to stop with
// (help or a usage error), or nullopt to go on.
std::optional<int> parse_options(std::span<const std::string_view> args, Options& opt,
                                 Streams io) {
  for (ArgReader r(args); r.next();) {
    if (!r.is_option()) {
      opt.paths.emplace_back(r.arg());
      continue;
    }
    const std::string name(r.name());
    if (name == "-h" || name == "--help") {
      if (!r.flag()) return usage_error(io, name + " takes no value");
      io.out << kHelp;
      return kExitOk;
    }
    if (name == "--shell" || name == "--verbose" || name == "--quiet" ||
        name == "--no-interposer" || name == "--strict") {
      if (!r.flag()) return usage_error(io, name + " takes no value");
      if (name == "--shell") opt.shell = true;
      if (name == "--no-interposer") opt.no_interposer = true;
      if (name == "--verbose") opt.verbose = true;
      if (name == "--quiet") opt.quiet = true;
      if (name == "--strict") opt.strict = true;
      continue;
    }
    const bool takes_value = name == "--client-cmd" || name == "--transport" ||
                             name == "--repeat" || name == "--seed" ||
                             name == "--timeout" || name == "--filter" ||
                             name == "--junit" || name == "--json" ||
                             name == "--client-timeout" || name == "--fault-level" ||
                             name == "--baseline" || name == "--write-baseline" ||
                             name == "--client-retries";
    if (!takes_value) return usage_error(io, "unknown option '" + std::string(r.arg()) + "'");
    const auto v = r.value();
    if (!v) return usage_error(io, name + " needs a value");
    const std::string text(*v);
    if (name == "--client-cmd") {
      opt.client_cmd = text;
    } else if (name == "--transport") {
      if (text == "sim") {
        opt.transport = TransportKind::sim;
      } else if (text == "tcp") {
        opt.transport = TransportKind::tcp;
      } else {
        return usage_error(io, "--transport '" + text + "': expected sim or tcp");
      }
    } else if (name == "--repeat") {
      const auto n = parse_number<std::size_t>(text);
      if (!n || *n == 0) {
        return usage_error(io, "--repeat '" + text + "': expected a whole number of at least 1");
      }
      opt.repeat = *n;
    } else if (name == "--seed") {
      const auto n = parse_number<std::uint64_t>(text);
      if (!n) return usage_error(io, "--seed '" + text + "': expected a whole number");
      opt.seed = *n;
    } else if (name == "--timeout") {
      std::string why;
      const auto d = parse_duration(text, &why);
      if (!d) return usage_error(io, "--timeout '" + text + "': " + why);
      if (*d <= Duration::zero()) {
        return usage_error(io, "--timeout '" + text + "': must be more than zero");
      }
      opt.timeout = *d;
    } else if (name == "--client-timeout") {
      opt.contract = parse_timeout_contract(text);
      if (!opt.contract) {
        return usage_error(io, "--client-timeout '" + text + "': expected total, idle or none");
      }
    } else if (name == "--client-retries") {
      const auto n = parse_number<int>(text);
      if (!n || *n < 0 || *n > kMaxRetries) {
        return usage_error(io, "--client-retries '" + text + "': expected a whole number from 0 to " +
                                   std::to_string(kMaxRetries));
      }
      opt.retries = *n;
    } else if (name == "--filter") {
      if (text.empty()) return usage_error(io, "--filter needs a non-empty pattern");
      opt.filters.push_back(text);
    } else if (name == "--fault-level") {
      if (text == "realistic") {
        opt.fault_level = FaultLevel::realistic;
      } else if (text == "portable") {
        opt.fault_level = FaultLevel::portable;
      } else {
        return usage_error(io, "--fault-level '" + text + "': expected realistic or portable");
      }
    } else if (name == "--junit") {
      opt.junit = text;
    } else if (name == "--json") {
      opt.json = text;
    } else if (name == "--baseline") {
      opt.baseline = text;
    } else if (name == "--write-baseline") {
      opt.write_baseline = text;
    }
  }
  if (opt.paths.empty()) return usage_error(io, "expected at least one scenario file or folder");
  if (opt.shell && !opt.client_cmd) return usage_error(io, "--shell needs --client-cmd");
  if (opt.verbose && opt.quiet) return usage_error(io, "--verbose and --quiet exclude each other");
  if (opt.contract && *opt.contract != TimeoutContract::total && !opt.client_cmd) {
    return usage_error(io, "--client-timeout: the reference client's timeout is total; "
                           "declare a contract for a --client-cmd program");
  }
  if (opt.client_cmd && opt.transport == TransportKind::sim) {
    return usage_error(io,
                       "--transport sim runs the in-process client only; a --client-cmd "
                       "program runs over tcp");
  }
  return std::nullopt;
}

// The scenario files under the PATHs, in order, each once. A PATH that does
// not exist, or a folder without *.scn files, is a usage error.
std::optional<std::vector<fs::path>> expand_paths(const std::vector<std::string>& paths,
                                                  Streams io) {
  std::vector<fs::path> files;
  std::set<fs::path> seen;
  auto add = [&](const fs::path& p) {
    std::error_code ec;
    fs::path key = fs::weakly_canonical(p, ec);
    if (ec) key = p;
    if (seen.insert(key).second) files.push_back(p);
  };
  for (const std::string& text : paths) {
    const fs::path path(text);
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) {
      usage_error(io, "'" + text + "': no such file or folder");
      return std::nullopt;
    }
    if (fs::is_directory(st)) {
      std::vector<fs::path> found;
      for (auto it = fs::recursive_directory_iterator(path, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        std::error_code type_ec;
        if (it->path().extension() == ".scn" && it->is_regular_file(type_ec)) {
          found.push_back(it->path());
        }
      }
      if (ec) {
        usage_error(io, "'" + text + "': cannot be read: " + ec.message());
        return std::nullopt;
      }
      if (found.empty()) {
        usage_error(io, "'" + text + "': no *.scn scenario files in this folder");
        return std::nullopt;
      }
      std::sort(found.begin(), found.end());
      for (const fs::path& f : found) add(f);
    } else {
      add(path);
    }
  }
  return files;
}

// A program is given a timeout only through {timeout_ms} or {timeout_s};
// without either it has none the harness knows of.
TimeoutContract default_contract(const std::string& command) {
  const bool given = command.find("{timeout_ms}") != std::string::npos ||
                     command.find("{timeout_s}") != std::string::npos;
  return given ? TimeoutContract::total : TimeoutContract::none;
}

bool matches(const std::string& name, const std::vector<std::string>& filters) {
  if (filters.empty()) return true;
  for (const std::string& f : filters) {
    const bool glob = f.find_first_of("*?[") != std::string::npos;
    if (glob ? ::fnmatch(f.c_str(), name.c_str(), 0) == 0
             : name.find(f) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// Opens a report file before anything runs, so a bad path is a usage error
// rather than the loss of a long run's results.
bool open_report(const std::optional<std::string>& path, std::ofstream& file,
                 const char* option, Streams io) {
  if (!path) return true;
  file.open(*path, std::ios::binary | std::ios::trunc);
  if (!file) {
    usage_error(io, std::string(option) + " '" + *path + "': cannot be written");
    return false;
  }
  return true;
}

// Reads and parses the --baseline file before anything runs.
std::optional<std::vector<BaselineEntry>> load_baseline(const std::string& path, Streams io) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    usage_error(io, "--baseline '" + path + "': cannot be read");
    return std::nullopt;
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  BaselineParse parsed = parse_baseline(text, path);
  if (!parsed.ok()) {
    for (const std::string& e : parsed.errors) io.err << e << "\n";
    io.err << "sockcheck run: the baseline '" << path << "' did not parse; nothing was run\n";
    return std::nullopt;
  }
  return std::move(parsed.entries);
}

bool write_report(std::ofstream& file, const std::string& path, const std::string& text,
                  Streams io) {
  file << text;
  file.close();
  if (!file) {
    io.err << "sockcheck run: writing '" << path << "' failed\n";
    return false;
  }
  return true;
}

}  // namespace

int run_main(std::span<const std::string_view> args, Streams io) {
  Options opt;
  if (const auto stop = parse_options(args, opt, io)) return *stop;

  const auto files = expand_paths(opt.paths, io);
  if (!files) return kExitUsage;

  std::vector<Scenario> scenarios;
  std::size_t broken = 0;
  for (const fs::path& file : *files) {
    ParseResult parsed = load_scenario_file(file);
    if (parsed.ok()) {
      scenarios.push_back(std::move(*parsed.scenario));
      if (scenarios.back().file.empty()) scenarios.back().file = file.string();
    } else {
      ++broken;
      if (parsed.error) {
        io.err << parsed.error->to_string() << "\n" << parsed.error->excerpt();
      } else {
        io.err << file.string() << ": cannot be parsed\n";
      }
    }
  }
  if (broken > 0) {
    io.err << "sockcheck run: " << broken << " of " << files->size() << " scenario file"
           << (files->size() == 1 ? "" : "s") << " did not parse; nothing was run\n";
    return kExitUsage;
  }
  std::erase_if(scenarios, [&](const Scenario& s) { return !matches(s.name, opt.filters); });
  if (scenarios.empty()) {
    std::string patterns;
    for (const std::string& f : opt.filters) patterns += (patterns.empty() ? "'" : ", '") + f + "'";
    return usage_error(io, "no scenario name matches --filter " + patterns);
  }

  std::unique_ptr<ClientUnderTest> client;
  if (opt.client_cmd) {
    std::string why;
    ProgramOptions program{*opt.client_cmd, opt.shell, {}, opt.fault_level, {}};
    if (opt.no_interposer) {
      program.no_interposer_reason = "the interposer was disabled (--no-interposer)";
    } else {
      program.interposer = default_interposer();
      if (program.interposer.empty()) {
        program.no_interposer_reason =
            "libsockcheck_preload.so was not found next to sockcheck";
        io.err << "sockcheck run: " << program.no_interposer_reason
               << "; syscall faults are not injected\n";
      }
    }
    client = program_client(program, &why);
    if (!client) return usage_error(io, "--client-cmd: " + why);
  } else {
    client = reference_client(opt.retries);
  }

  std::optional<std::vector<BaselineEntry>> baseline;
  if (opt.baseline) {
    baseline = load_baseline(*opt.baseline, io);
    if (!baseline) return kExitUsage;
  }
  std::ofstream junit_file;
  std::ofstream json_file;
  std::ofstream baseline_file;
  if (!open_report(opt.junit, junit_file, "--junit", io) ||
      !open_report(opt.json, json_file, "--json", io) ||
      !open_report(opt.write_baseline, baseline_file, "--write-baseline", io)) {
    return kExitUsage;
  }

  RunOptions run_options;
  run_options.transport = opt.transport.value_or(opt.client_cmd ? TransportKind::tcp
                                                                : TransportKind::sim);
  run_options.timeout = opt.timeout;
  run_options.seed = opt.seed;
  run_options.contract = opt.contract.value_or(
      opt.client_cmd ? default_contract(*opt.client_cmd) : TimeoutContract::total);
  run_options.retries = opt.retries;

  std::vector<RunRecord> records;
  records.reserve(scenarios.size() * opt.repeat);
  Progress at;
  at.total = scenarios.size() * opt.repeat;
  at.repeats = opt.repeat;
  for (const Scenario& scenario : scenarios) {
    for (std::size_t r = 0; r < opt.repeat; ++r) {
      at.repeat = r;
      const std::string prefix = progress_prefix(at, scenario.name, run_options.transport);
      if (!opt.quiet) io.out << prefix << std::flush;
      RunRecord record = make_record(run_scenario(scenario, *client, run_options), r);
      if (opt.quiet && record.passed) {
        // nothing: --quiet prints failures only
      } else {
        if (opt.quiet) io.out << prefix;
        io.out << progress_result(record) << "\n" << run_details(record, opt.verbose)
               << std::flush;
      }
      records.push_back(std::move(record));
      ++at.index;
    }
  }

  RunSetInfo info;
  info.client = client->name();
  info.repeat = opt.repeat;
  info.seed = opt.seed;
  info.timeout = opt.timeout;
  info.contract = run_options.contract;
  info.paths = opt.paths;
  for (const std::string& f : opt.filters) info.filter += (info.filter.empty() ? "" : " ") + f;
  bool written = true;
  if (opt.junit) written &= write_report(junit_file, *opt.junit, junit_xml(records, info), io);
  if (opt.json) written &= write_report(json_file, *opt.json, json_report(records, info), io);
  const std::vector<BaselineEntry> found = baseline_entries(records);
  if (opt.write_baseline) {
    std::string origin = "sockcheck run";
    for (std::string_view a : args) origin += " " + std::string(a);
    written &= write_report(baseline_file, *opt.write_baseline, baseline_text(found, origin), io);
    if (written) {
      io.out << "wrote " << found.size() << " known violation" << (found.size() == 1 ? "" : "s")
             << " to " << *opt.write_baseline << "\n";
    }
  }
  if (!written) {
    io.out << "\n" << summary_table(summarize(records)) << std::flush;
    return kExitUsage;
  }

  // Without --baseline, --write-baseline judges the run against what it
  // just wrote: only a run that could not be carried out fails.
  std::optional<BaselineComparison> compared;
  if (baseline) {
    compared = compare_with_baseline(records, *baseline);
    io.out << "\n" << baseline_report(*compared, *opt.baseline, opt.strict);
  } else if (opt.write_baseline) {
    compared = compare_with_baseline(records, found);
  }
  std::vector<std::string> why;
  const bool fails =
      run_fails(records, Gate{opt.strict, compared ? &*compared : nullptr}, &why);
  for (const std::string& line : why) io.out << line << "\n";
  io.out << "\n" << summary_table(summarize(records)) << std::flush;
  return fails ? kExitFailure : kExitOk;
}

}  // namespace sockcheck::cli
