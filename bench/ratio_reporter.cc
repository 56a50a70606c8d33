#include "ratio_reporter.h"

#include <iomanip>
#include <iostream>
#include <string>

namespace sockcheck::bench {

void RatioReporter::ReportRuns(const std::vector<Run>& runs) {
  ConsoleReporter::ReportRuns(runs);
  for (const Run& run : runs) {
    const auto it = run.counters.find("items_per_second");
    if (it == run.counters.end()) continue;
    const std::string name = run.run_name.function_name;
    if (run.run_type == Run::RT_Aggregate) {
      if (run.aggregate_name == "median") rate_[name] = it->second.value;
    } else {
      fallback_[name] = it->second.value;
    }
  }
}

int RatioReporter::PrintRatios(std::ostream& out) const {
  auto rate = [&](const std::string& name) -> double {
    if (auto it = rate_.find(name); it != rate_.end()) return it->second;
    if (auto it = fallback_.find(name); it != fallback_.end()) return it->second;
    return 0;
  };
  int printed = 0;
  out << "\nratios (measured in this run; target is a goal, not a test):\n";
  for (const RatioSpec& s : specs_) {
    const double num = rate(s.numerator);
    const double den = rate(s.denominator);
    if (num <= 0 || den <= 0) {
      out << "  " << s.numerator << " / " << s.denominator
          << ": not measured (filtered out?)\n";
      continue;
    }
    const double ratio = num / den;
    out << "  " << s.numerator << " / " << s.denominator << " = " << std::fixed
        << std::setprecision(3) << ratio << "  (" << std::setprecision(0)
        << num << "/s vs " << den << "/s; target >= " << std::setprecision(2)
        << s.target << ": " << (ratio >= s.target ? "met" : "NOT met") << ")\n";
    ++printed;
  }
  return printed;
}

int run_with_ratios(int argc, char** argv, std::vector<RatioSpec> specs) {
  // Defaults that a command line can still override (later flags win):
  // repetitions interleaved at random so slow drifts of the machine hit
  // baseline and candidate alike, and only the aggregates printed.
  std::vector<char*> args(argv, argv + argc);
  std::string interleave = "--benchmark_enable_random_interleaving=true";
  std::string aggregates = "--benchmark_report_aggregates_only=true";
  args.insert(args.begin() + 1, {interleave.data(), aggregates.data()});
  argc = static_cast<int>(args.size());
  argv = args.data();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  RatioReporter reporter(std::move(specs));
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios(std::cout);
  benchmark::Shutdown();
  return 0;
}

}  // namespace sockcheck::bench
