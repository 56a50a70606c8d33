// Durations and sizes with units, as people write them on command lines and
// in scenario files: "250ms", "10s", "2m", "1.5s"; "64", "4KiB", "1MiB",
// "3kB". Shared by the CLI and the scenario language so both accept exactly
// the same spellings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sockcheck/io.h"

namespace sockcheck {

// Units: ns, us, ms, s, m (minutes), h. A bare number is an error: a
// duration must say its unit. Returns nullopt on any malformed text or
// overflow; `why` (if given) receives a one-line reason.
std::optional<Duration> parse_duration(std::string_view text,
                                       std::string* why = nullptr);

// Units: none (bytes), B, K/KiB (1024), M/MiB, G/GiB, kB (1000), MB, GB.
// Whole numbers only; at most 2^40 bytes.
std::optional<std::uint64_t> parse_size(std::string_view text,
                                        std::string* why = nullptr);

// The shortest exact spelling: "1500ms", "2s", "3m", "0s".
std::string format_duration(Duration d);
// "1MiB" when exact, else plain bytes.
std::string format_size(std::uint64_t bytes);

}  // namespace sockcheck
