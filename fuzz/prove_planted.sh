#!/usr/bin/env bash
# Proves that libFuzzer, started from the committed seeds, finds each planted
# defect of fuzz/planted/ within a bounded number of executions, and that the
# reference client survives the same budget.
#
# For every defect it builds planted_<defect>_fuzzer with the `fuzz` preset,
# copies the seeds (corpora/receive_path/seed-*; not regressions/, which
# would hand the answer over) into a scratch folder, and runs libFuzzer with
# a fixed -seed and -runs=<bound>. A defect is found when libFuzzer stops on a
# crash; the executions it needed are libFuzzer's own count
# (stat::number_of_executed_units). Each defect is run with every -seed in
# SEEDS, from all the seeds and from the plain-reply seed alone.
#
# Usage: fuzz/prove_planted.sh [BUILD_DIR]
#   BUILD_DIR  the fuzz-preset build folder (default: build/fuzz)
# Environment:
#   RUNS=200000        execution bound per run; a run that ends without a
#                      crash fails the proof
#   SEEDS="1 2 3"      libFuzzer -seed values
#   CONTROL_RUNS=50000 executions of the reference client (must not crash)
#   DEFECTS="..."      a subset of defects (enumerator names)
#   JOBS=2             build parallelism
# Output: one line per defect and a summary table (markdown) on stdout; the
# logs and crash inputs stay in BUILD_DIR/prove-planted/. Exit status 0 only
# when every defect was found in every run and the control did not crash.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-build/fuzz}"
case "$build" in /*) ;; *) build="$here/$build" ;; esac
runs="${RUNS:-200000}"
seeds="${SEEDS:-1 2 3}"
control_runs="${CONTROL_RUNS:-50000}"
jobs="${JOBS:-2}"
all_defects="off_by_one_buffer eintr_fatal short_read_ends_response reset_as_eof
  close_retried_on_eintr half_close_on_eagain short_send_not_continued
  eagain_busy_loop deadline_ignored"
defects="${DEFECTS:-$all_defects}"
corpus="$here/corpora/receive_path"
out="$build/prove-planted"

if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake --preset fuzz -B "$build" -S "$here" >/dev/null
fi
if ! grep -q '^SOCKCHECK_FUZZ:BOOL=ON' "$build/CMakeCache.txt"; then
  echo "prove_planted: $build is not a fuzz-preset build (SOCKCHECK_FUZZ=OFF)" >&2
  exit 2
fi
targets=(receive_path_fuzzer)
for d in $defects; do targets+=("planted_${d}_fuzzer"); done
cmake --build "$build" -j "$jobs" --target "${targets[@]}" >/dev/null

rm -rf "$out"
mkdir -p "$out"

# run_fuzzer BINARY NAME SEED FROM RUNS -> prints the executions at the crash,
# or "none" when the run ended without one.
run_fuzzer() {
  local bin="$1" name="$2" seed="$3" from="$4" bound="$5"
  local dir="$out/$name-$from-seed$seed"
  mkdir -p "$dir/corpus"
  if [[ "$from" == all ]]; then
    cp "$corpus"/seed-* "$dir/corpus/"
  else
    cp "$corpus/seed-plain-reply" "$dir/corpus/"
  fi
  local status=0
  "$bin" -seed="$seed" -runs="$bound" -print_final_stats=1 \
    -artifact_prefix="$dir/" "$dir/corpus" >"$dir/log" 2>&1 || status=$?
  if [[ $status -ne 0 ]] && compgen -G "$dir/crash-*" >/dev/null; then
    sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1
  else
    echo none
  fi
}

failed=0
table="| defect | caught by | executions from all seeds (-seed ${seeds// /, }) | from seed-plain-reply alone |
|---|---|---|---|"
for d in $defects; do
  bin="$build/fuzz/planted_${d}_fuzzer"
  invariant="?"
  all_counts=()
  plain_counts=()
  for s in $seeds; do
    for from in all plain; do
      n="$(run_fuzzer "$bin" "$d" "$s" "$from" "$runs")"
      if [[ "$n" == none ]]; then
        failed=1
        n="not found in $runs"
      else
        log="$out/$d-$from-seed$s/log"
        invariant="$(sed -n 's/^sockcheck: fuzz invariant violated: //p' "$log" | head -1)"
        [[ -n "$invariant" ]] || invariant="(sanitizer)"
      fi
      if [[ "$from" == all ]]; then all_counts+=("$n"); else plain_counts+=("$n"); fi
    done
  done
  line="| ${d//_/-} | $invariant | $(IFS=/; echo "${all_counts[*]}") | $(IFS=/; echo "${plain_counts[*]}") |"
  echo "$line" | sed 's/|/ /g'
  table+=$'\n'"$line"
done

control="$(run_fuzzer "$build/fuzz/receive_path_fuzzer" reference 1 all "$control_runs")"
if [[ "$control" == none ]]; then
  control_line="reference client: no crash in $control_runs executions from the seeds"
else
  control_line="reference client: CRASHED after $control see $out/reference-all-seed1/"
  failed=1
fi

echo
echo "$table"
echo
echo "$control_line"
echo "(bound: -runs=$runs; logs and crash inputs in $out)"
exit "$failed"
