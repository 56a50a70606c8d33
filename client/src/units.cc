// Parsing and printing of durations and sizes. See units.h.
#include "sockcheck/units.h"

#include <array>
#include <charconv>
#include <cmath>
#include <utility>

namespace sockcheck {
namespace {

void set(std::string* why, std::string text) {
  if (why != nullptr) *why = std::move(text);
}

// Splits "12.5ms" into the numeric prefix and the unit suffix.
std::pair<std::string_view, std::string_view> split_number(
    std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() &&
         ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) {
    ++i;
  }
  return {text.substr(0, i), text.substr(i)};
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text,
                                       std::string* why) {
  const auto [number, unit] = split_number(text);
  if (number.empty()) {
    set(why, "expected a duration such as 500ms or 10s");
    return std::nullopt;
  }
  double value = 0;
  const auto [end, ec] =
      std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc() || end != number.data() + number.size()) {
    set(why, "malformed number '" + std::string(number) + "'");
    return std::nullopt;
  }
  static constexpr std::array<std::pair<std::string_view, double>, 6> kUnits{{
      {"ns", 1.0},
      {"us", 1e3},
      {"ms", 1e6},
      {"s", 1e9},
      {"m", 60e9},
      {"h", 3600e9},
  }};
  for (const auto& [name, scale] : kUnits) {
    if (unit == name) {
      const double ns = value * scale;
      if (!std::isfinite(ns) || ns > 1e18) {
        set(why, "duration too large");
        return std::nullopt;
      }
      return Duration(static_cast<Duration::rep>(std::llround(ns)));
    }
  }
  set(why, unit.empty() ? "missing unit (use ns, us, ms, s, m or h)"
                        : "unknown duration unit '" + std::string(unit) +
                              "' (use ns, us, ms, s, m or h)");
  return std::nullopt;
}

std::optional<std::uint64_t> parse_size(std::string_view text,
                                        std::string* why) {
  const auto [number, unit] = split_number(text);
  std::uint64_t value = 0;
  const auto [end, ec] =
      std::from_chars(number.data(), number.data() + number.size(), value);
  if (number.empty() || ec != std::errc() ||
      end != number.data() + number.size()) {
    set(why, "expected a whole number of bytes such as 100, 4KiB or 1MiB");
    return std::nullopt;
  }
  static constexpr std::array<std::pair<std::string_view, std::uint64_t>, 11>
      kUnits{{
          {"", 1},
          {"B", 1},
          {"K", 1024},
          {"KiB", 1024},
          {"M", 1024 * 1024},
          {"MiB", 1024 * 1024},
          {"G", 1024ULL * 1024 * 1024},
          {"GiB", 1024ULL * 1024 * 1024},
          {"kB", 1000},
          {"MB", 1000 * 1000},
          {"GB", 1000ULL * 1000 * 1000},
      }};
  constexpr std::uint64_t kMax = 1ULL << 40;
  for (const auto& [name, scale] : kUnits) {
    if (unit == name) {
      if (value > kMax / scale) {
        set(why, "size too large (at most 1TiB)");
        return std::nullopt;
      }
      return value * scale;
    }
  }
  set(why, "unknown size unit '" + std::string(unit) +
               "' (use B, KiB, MiB, GiB, kB, MB or GB)");
  return std::nullopt;
}

std::string format_duration(Duration d) {
  using namespace std::chrono;
  const auto ns = duration_cast<nanoseconds>(d).count();
  if (ns == 0) return "0s";
  if (ns % 3'600'000'000'000 == 0) return std::to_string(ns / 3'600'000'000'000) + "h";
  if (ns % 60'000'000'000 == 0) return std::to_string(ns / 60'000'000'000) + "m";
  if (ns % 1'000'000'000 == 0) return std::to_string(ns / 1'000'000'000) + "s";
  if (ns % 1'000'000 == 0) return std::to_string(ns / 1'000'000) + "ms";
  if (ns % 1'000 == 0) return std::to_string(ns / 1'000) + "us";
  return std::to_string(ns) + "ns";
}

std::string format_size(std::uint64_t bytes) {
  if (bytes != 0 && bytes % (1ULL << 30) == 0) return std::to_string(bytes >> 30) + "GiB";
  if (bytes != 0 && bytes % (1ULL << 20) == 0) return std::to_string(bytes >> 20) + "MiB";
  if (bytes != 0 && bytes % (1ULL << 10) == 0) return std::to_string(bytes >> 10) + "KiB";
  return std::to_string(bytes);
}

}  // namespace sockcheck
