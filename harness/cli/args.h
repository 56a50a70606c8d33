// What every `sockcheck` subcommand parses its arguments with, so that they
// all accept the same forms: `--name VALUE` and `--name=VALUE`, flags, `-h`,
// positionals, and `--` to end the options (a file named "-x" can follow).
// Also the usage error every subcommand prints, and whole-number parsing.
#pragma once

#include <charconv>
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>

#include "commands.h"

namespace sockcheck::cli {

// Walks the arguments front to back. Typical use:
//
//   for (ArgReader r(args); r.next();) {
//     if (!r.is_option()) { positional.push_back(r.arg()); continue; }
//     if (r.name() == "--timeout") { auto v = r.value(); ... }
//     else if (r.name() == "--raw") { if (!r.flag()) ...; }
//     else return usage_error(io, "client", "unknown option '" + ... r.arg());
//   }
class ArgReader {
 public:
  explicit ArgReader(std::span<const std::string_view> args) noexcept
      : args_(args) {}

  // Moves to the next argument (skipping the first `--`); false at the end.
  bool next() noexcept;
  // The current argument as given ("--timeout=1s").
  [[nodiscard]] std::string_view arg() const noexcept { return args_[at_]; }
  // True for "-x" and "--name[=value]" before any `--`; "-" alone is a
  // positional (standard input, by convention).
  [[nodiscard]] bool is_option() const noexcept;
  // An option's name without "=value" ("--timeout"); else the argument.
  [[nodiscard]] std::string_view name() const noexcept;
  // An option's value: what follows '=', else the next argument, which is
  // then consumed. nullopt when there is none.
  std::optional<std::string_view> value() noexcept;
  // For an option that takes no value: false when it was given one with
  // '=' ("--raw=yes"), which is a usage error.
  [[nodiscard]] bool flag() const noexcept;

 private:
  [[nodiscard]] std::size_t equals() const noexcept;

  std::span<const std::string_view> args_;
  std::size_t at_ = static_cast<std::size_t>(-1);
  bool options_done_ = false;
};

// Prints "sockcheck COMMAND: MESSAGE" and a pointer to --help on io.err;
// returns kExitUsage.
int usage_error(Streams io, std::string_view command, std::string_view message);

// The most retries `sockcheck client --retries` and `sockcheck run
// --client-retries` accept: the oracle derives a model per connection.
inline constexpr int kMaxRetries = 100;

// A whole decimal number that is all of `s` (no sign, no spaces), in T.
template <typename T>
std::optional<T> parse_number(std::string_view s) noexcept {
  T value{};
  const char* const end = s.data() + s.size();
  const auto [stop, ec] = std::from_chars(s.data(), end, value);
  if (s.empty() || ec != std::errc() || stop != end) return std::nullopt;
  return value;
}

}  // namespace sockcheck::cli
