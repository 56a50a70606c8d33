#!/usr/bin/env bash
# The fuzzer speed figure: receive_path_fuzzer's executions per second as a
# fraction of an empty libFuzzer target's, both built with the same flags,
# once with ASan+UBSan and once without sanitizers.
#
# Theory of operation. For each flag set, receive_path_fuzzer is built with
# CMake (SOCKCHECK_FUZZ=ON, no build type, CMAKE_CXX_FLAGS = the flag set)
# and the empty target (LLVMFuzzerTestOneInput returning 0) with one clang++
# call using the same flags. Both then run from a fresh copy of
# corpora/receive_path with the same -max_len and -seed, alternating
# empty, receive_path, empty, ... ROUNDS times, so that load from other jobs
# on a shared machine falls on both; the ratio reported is the median of the
# per-round ratios, with each round's rates alongside.
#
# Usage: bench/fuzz_speed.sh [SECONDS]   (seconds per run, default 10)
# Environment: ROUNDS=3, MAX_LEN=1024, SCRATCH=build/fuzz-speed, JOBS=2
# Output: one line per run and a summary per flag set; exit 1 if a run
# crashed or printed no rate.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-10}"
rounds="${ROUNDS:-3}"
max_len="${MAX_LEN:-1024}"
jobs="${JOBS:-2}"
scratch="${SCRATCH:-$here/build/fuzz-speed}"
case "$scratch" in /*) ;; *) scratch="$here/$scratch" ;; esac

# The fuzz preset's flags (RelWithDebInfo: -O2 -g -DNDEBUG), with and without
# the sanitizers.
declare -A flagsets=(
  [asan-ubsan]="-O2 -g -DNDEBUG -fno-omit-frame-pointer -fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=all"
  [no-sanitizer]="-O2 -g -DNDEBUG -fno-omit-frame-pointer -fsanitize=fuzzer-no-link"
)
order=(asan-ubsan no-sanitizer)

mkdir -p "$scratch"
cat >"$scratch/empty_fuzzer.cc" <<'CC'
#include <cstddef>
#include <cstdint>
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t) { return 0; }
CC

# rate BINARY NAME: runs BINARY for $seconds from a fresh corpus copy and
# prints libFuzzer's average exec/s.
rate() {
  local bin="$1" name="$2" dir="$scratch/run-$2"
  rm -rf "$dir" && mkdir -p "$dir/corpus"
  cp -R "$here/corpora/receive_path/." "$dir/corpus/"
  if ! "$bin" -max_total_time="$seconds" -max_len="$max_len" -seed=1 \
        -print_final_stats=1 -artifact_prefix="$dir/" "$dir/corpus" >"$dir/log" 2>&1; then
    echo "fuzz_speed: $name failed, see $dir/log" >&2
    return 1
  fi
  local r
  r="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -1)"
  [[ -n "$r" && "$r" != 0 ]] || { echo "fuzz_speed: no rate from $name ($dir/log)" >&2; return 1; }
  echo "$r"
}

for set in "${order[@]}"; do
  flags="${flagsets[$set]}"
  b="$scratch/$set"
  echo "fuzz_speed: building with $set: $flags"
  cmake -S "$here" -B "$b" -G Ninja --no-warn-unused-cli -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE= -DCMAKE_CXX_FLAGS="$flags" -DSOCKCHECK_DEVELOPER_MODE=ON \
    -DSOCKCHECK_FUZZ=ON -DSOCKCHECK_BENCHMARKS=OFF >"$b.log" 2>&1
  cmake --build "$b" -j "$jobs" --target receive_path_fuzzer >>"$b.log" 2>&1 ||
    { tail -30 "$b.log" >&2; exit 1; }
  # shellcheck disable=SC2086  # the flags are words
  clang++ -std=c++20 $flags -fsanitize=fuzzer "$scratch/empty_fuzzer.cc" -o "$b/empty_fuzzer"
done

declare -A result
for set in "${order[@]}"; do
  b="$scratch/$set"
  ratios=()
  for ((i = 1; i <= rounds; i++)); do
    e="$(rate "$b/empty_fuzzer" "$set-empty-$i")"
    r="$(rate "$b/fuzz/receive_path_fuzzer" "$set-receive_path-$i")"
    ratio="$(awk -v r="$r" -v e="$e" 'BEGIN { printf "%.4f", r / e }')"
    ratios+=("$ratio")
    echo "  $set round $i: empty $e exec/s, receive_path $r exec/s, ratio $ratio"
  done
  median="$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')"
  result[$set]="$median"
done

echo
echo "fuzz_speed: receive_path / empty exec/s, median of $rounds alternations of ${seconds}s (-max_len=$max_len):"
for set in "${order[@]}"; do
  echo "  $set: ${result[$set]}"
done
echo "  (issue 5 target: >= 0.25 under asan-ubsan)"
