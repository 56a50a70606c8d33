#!/usr/bin/env bash
# CI fuzzing: every fuzz target runs under libFuzzer for a bounded time, and
# any crash, leak, timeout or out-of-memory fails the run, keeping the input.
#
# Theory of operation. The targets are not listed here: fuzz/list_targets.sh
# reads them from the configured build (every sockcheck_fuzz_target with a
# corpus), so a target added to fuzz/CMakeLists.txt is fuzzed in CI with no
# edit to this script. Only those targets are built. Each target fuzzes a
# scratch copy of its corpus (regressions included), so the committed corpora
# are never written to; libFuzzer keeps whatever input fails in
# build/fuzz-artifacts/<target>/ (crash-*, leak-*, timeout-*, oom-*). The
# target's .options ([libfuzzer] section) and dictionary are used when
# present, as OSS-Fuzz would. Every target runs even after one fails, so one
# CI run reports all of them. Then fuzz/prove_planted.sh shows, within its
# execution bound and a wall-clock bound, that the planted faulty clients are
# still caught.
#
# Usage: fuzz/ci_fuzz.sh [BUILD_DIR]
#   BUILD_DIR  a fuzz-preset build folder (default build/fuzz); configured
#              with `cmake --preset fuzz` when it has no CMakeCache.txt
# Environment:
#   SOCKCHECK_CI_FUZZ_SECONDS=60   libFuzzer -max_total_time per target
#   SOCKCHECK_CI_FUZZ_TARGETS=""   only these target names (e.g. "receive_path")
#   SOCKCHECK_CI_FUZZ_ARTIFACTS    where failing inputs are kept
#                                  (default build/fuzz-artifacts)
#   SOCKCHECK_CI_PROVE_PLANTED=1   0 skips the planted-defect proof
#   SOCKCHECK_CI_PROVE_TIMEOUT=600 wall-clock bound (s) on that proof
#   JOBS=2                         build parallelism
# Exit status: 0 when every target ran clean and the proof passed; 1 when a
# target failed (its name, kind, kept input and a reproduce command are
# printed) or the proof failed; 2 on a usage or build problem.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
build="${1:-build/fuzz}"
case "$build" in /*) ;; *) build="$here/$build" ;; esac
seconds="${SOCKCHECK_CI_FUZZ_SECONDS:-60}"
only="${SOCKCHECK_CI_FUZZ_TARGETS:-}"
artifacts="${SOCKCHECK_CI_FUZZ_ARTIFACTS:-$here/build/fuzz-artifacts}"
case "$artifacts" in /*) ;; *) artifacts="$here/$artifacts" ;; esac
prove="${SOCKCHECK_CI_PROVE_PLANTED:-1}"
prove_timeout="${SOCKCHECK_CI_PROVE_TIMEOUT:-600}"
jobs="${JOBS:-2}"
scratch="$build/ci-fuzz"

if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "ci_fuzz: SOCKCHECK_CI_FUZZ_SECONDS must be a positive integer, got '$seconds'" >&2
  exit 2
fi

if [[ ! -f "$build/CMakeCache.txt" ]]; then
  if [[ "$build" == "$here/build/fuzz" ]]; then
    cmake --preset fuzz >/dev/null || exit 2
  else
    cmake --preset fuzz -B "$build" >/dev/null || exit 2
  fi
else
  # Re-configure so that targets added since the last build are listed.
  cmake -S "$here" -B "$build" >/dev/null || exit 2
fi
if ! grep -q '^SOCKCHECK_FUZZ:BOOL=ON' "$build/CMakeCache.txt"; then
  echo "ci_fuzz: $build is not a fuzz-preset build (SOCKCHECK_FUZZ is not ON)" >&2
  exit 2
fi

names=() bins=() corpora=()
while IFS=$'\t' read -r name bin corpus; do
  if [[ -n "$only" && " $only " != *" $name "* ]]; then continue; fi
  names+=("$name") bins+=("$bin") corpora+=("$corpus")
done < <("$here/fuzz/list_targets.sh" "$build")
if ((${#names[@]} == 0)); then
  echo "ci_fuzz: no fuzz target to run (SOCKCHECK_CI_FUZZ_TARGETS='$only')" >&2
  exit 2
fi
build_targets=()
for bin in "${bins[@]}"; do build_targets+=("$(basename "$bin")"); done
echo "ci_fuzz: building ${build_targets[*]} in $build"
cmake --build "$build" -j "$jobs" --target "${build_targets[@]}" >"$build/ci-fuzz-build.log" 2>&1 || {
  tail -50 "$build/ci-fuzz-build.log" >&2
  echo "ci_fuzz: build failed (log: $build/ci-fuzz-build.log)" >&2
  exit 2
}

# options_flags FILE: the [libfuzzer] section of an .options file as flags.
# A relative dict path is taken relative to the options file.
options_flags() {
  local file="$1" section="" line key value
  while IFS= read -r line || [[ -n "$line" ]]; do
    line="${line%%#*}"
    line="$(echo "$line" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')"
    [[ -z "$line" ]] && continue
    if [[ "$line" =~ ^\[(.*)\]$ ]]; then section="${BASH_REMATCH[1]}"; continue; fi
    [[ "$section" == libfuzzer ]] || continue
    key="$(echo "${line%%=*}" | sed 's/[[:space:]]*$//')"
    value="$(echo "${line#*=}" | sed 's/^[[:space:]]*//')"
    if [[ "$key" == dict && "$value" != /* ]]; then
      value="$(dirname "$file")/$value"
    fi
    printf -- '-%s=%s\n' "$key" "$value"
  done <"$file"
}

# final_stat LOG KEY: libFuzzer's -print_final_stats value for KEY (last run).
final_stat() { sed -n "s/^stat::$2: *//p" "$1" | tail -1; }

failures=()
summary=()
for i in "${!names[@]}"; do
  name="${names[$i]}" bin="${bins[$i]}" corpus="${corpora[$i]}"
  target="$(basename "$bin")"
  work="$scratch/$name"
  rm -rf "$work"
  mkdir -p "$work/corpus" "$artifacts/$target"
  if [[ ! -d "$corpus" ]]; then
    failures+=("$name: corpus folder $corpus is missing")
    continue
  fi
  cp -R "$corpus/." "$work/corpus/"
  chmod -R u+w "$work/corpus"

  extra=()
  opts="$here/fuzz/${target}.options"
  if [[ -f "$opts" ]]; then mapfile -t extra < <(options_flags "$opts"); fi
  if ! printf '%s\n' "${extra[@]}" | grep -q '^-dict='; then
    for dict in "$here/fuzz/${target}.dict" "$here/fuzz/${name}.dict"; do
      if [[ -f "$dict" ]]; then extra+=("-dict=$dict"); break; fi
    done
  fi

  log="$work/log"
  echo "ci_fuzz: $target for ${seconds}s from $(find "$work/corpus" -type f | wc -l) inputs ${extra[*]}"
  status=0
  # The CI policy goes last so that an .options file cannot lift it.
  "$bin" -print_final_stats=1 "${extra[@]}" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$artifacts/$target/" "$work/corpus" >"$log" 2>&1 || status=$?

  execs="$(final_stat "$log" number_of_executed_units)"
  rate="$(final_stat "$log" average_exec_per_sec)"
  # The last status line, e.g. "#123456 DONE cov: 479 ft: 1899 corp: 190/3Kb ...".
  last="$(grep -E '^#[0-9]+' "$log" | tail -1 || true)"
  cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")"
  ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")"
  corp="$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")"
  line="$target: ${execs:-?} executions, ${rate:-?} exec/s, coverage ${cov:-?} edges / ${ft:-?} features, corpus ${corp:-?} inputs"
  echo "  $line"
  summary+=("$line")

  kept="$(sed -n "s/.*Test unit written to \(.*\)$/\1/p" "$log" | tail -1)"
  if [[ $status -ne 0 || -n "$kept" ]]; then
    kind="$(grep -m1 -oE 'ERROR: libFuzzer: [a-z -]+[a-z]|ERROR: LeakSanitizer|ERROR: AddressSanitizer: [a-z-]+|runtime error: .*|sockcheck: fuzz invariant violated: .*' "$log" || true)"
    echo "ci_fuzz: FAILED: $target (exit $status): ${kind:-see log}" >&2
    grep -vE '^ +#[0-9]+ ' "$log" | grep -A25 -m1 -E 'ERROR:|invariant violated|runtime error' >&2 || tail -25 "$log" >&2
    echo "  full log: $log" >&2
    if [[ -n "$kept" ]]; then
      echo "  input kept: $kept" >&2
      echo "  reproduce:  $bin $kept" >&2
      echo "  keep it:    cp $kept $corpus/regressions/<what-it-found>" >&2
    fi
    failures+=("$target: ${kind:-exit status $status} (input: ${kept:-none}; log: $log)")
  elif [[ -z "$execs" || -z "$cov" ]]; then
    echo "ci_fuzz: FAILED: $target printed no final stats (log: $log)" >&2
    failures+=("$target: no final stats")
  fi
done

proof="skipped (SOCKCHECK_CI_PROVE_PLANTED=0)"
if [[ "$prove" != 0 ]]; then
  echo "ci_fuzz: planted-defect proof (fuzz/prove_planted.sh, at most ${prove_timeout}s)"
  pstatus=0
  timeout "$prove_timeout" "$here/fuzz/prove_planted.sh" "$build" || pstatus=$?
  if [[ $pstatus == 0 ]]; then
    proof="passed"
  elif [[ $pstatus == 124 ]]; then
    proof="FAILED: did not finish within ${prove_timeout}s"
    failures+=("prove_planted.sh: timed out after ${prove_timeout}s")
  else
    proof="FAILED (exit $pstatus; logs in $build/prove-planted)"
    failures+=("prove_planted.sh: exit $pstatus")
  fi
fi

echo
echo "ci_fuzz summary (${seconds}s per target):"
printf '  %s\n' "${summary[@]}"
echo "  planted-defect proof: $proof"
if ((${#failures[@]} > 0)); then
  echo "ci_fuzz: ${#failures[@]} failure(s):" >&2
  printf '  %s\n' "${failures[@]}" >&2
  exit 1
fi
echo "ci_fuzz: all targets clean"
