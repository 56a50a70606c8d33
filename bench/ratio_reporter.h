// Performance targets are ratios against a baseline measured in the same
// run, never absolute timings. RatioReporter prints Google Benchmark's usual
// console table, remembers each benchmark's items-per-second rate (the median
// when repetitions are used), and at the end prints every declared ratio
// with its target. The exit status says nothing about the targets: a ratio
// is a figure to read and report, not a timed test that could flake.
#pragma once

#include <benchmark/benchmark.h>

#include <map>
#include <string>
#include <vector>

namespace sockcheck::bench {

struct RatioSpec {
  std::string numerator;    // benchmark name (without /repeats suffixes)
  std::string denominator;  // the baseline
  double target;            // the ratio the project aims for (>=)
};

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  explicit RatioReporter(std::vector<RatioSpec> specs) : specs_(std::move(specs)) {}
  void ReportRuns(const std::vector<Run>& runs) override;
  // Prints the ratios; returns how many could be computed.
  int PrintRatios(std::ostream& out) const;

 private:
  std::vector<RatioSpec> specs_;
  std::map<std::string, double> rate_;      // median or single run
  std::map<std::string, double> fallback_;  // last plain iteration run
};

// Registers the benchmarks' common main: runs everything, prints ratios.
int run_with_ratios(int argc, char** argv, std::vector<RatioSpec> specs);

}  // namespace sockcheck::bench
