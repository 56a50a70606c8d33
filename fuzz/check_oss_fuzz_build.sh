#!/usr/bin/env bash
# Local check of the ClusterFuzzLite/OSS-Fuzz build (.clusterfuzzlite/build.sh)
# without Docker: runs build.sh with the variables OSS-Fuzz sets, for a local
# clang + libFuzzer build, then runs every binary it put in $OUT on its
# unzipped seed corpus with -runs=0 (execute each input once, mutate nothing).
#
# Differences from OSS-Fuzz, on purpose: Debian's libFuzzer runtime is built
# against libstdc++, so no -stdlib=libc++; and ASan and UBSan are combined in
# one build here, where ClusterFuzzLite builds them separately.
#
# Usage: fuzz/check_oss_fuzz_build.sh [SCRATCH_DIR]
#   SCRATCH_DIR  default build/oss-fuzz-check; holds src/ (a link to this
#                checkout), work/ (the CMake build) and out/ ($OUT)
# Exit status 0 only when build.sh succeeded, produced at least one target,
# every target has its seed zip, and every binary ran its seeds cleanly as a
# libFuzzer binary.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
scratch="${1:-build/oss-fuzz-check}"
case "$scratch" in /*) ;; *) scratch="$here/$scratch" ;; esac

rm -rf "$scratch/out" "$scratch/seeds"
mkdir -p "$scratch/src" "$scratch/work" "$scratch/out" "$scratch/seeds"
ln -sfn "$here" "$scratch/src/sockcheck"

flags="-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=address,undefined -fsanitize=fuzzer-no-link"
echo "check_oss_fuzz_build: running .clusterfuzzlite/build.sh (log: $scratch/build.log)"
if ! env CC=clang CXX=clang++ CFLAGS="$flags" CXXFLAGS="$flags" \
       LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
       SRC="$scratch/src" WORK="$scratch/work" OUT="$scratch/out" \
       bash "$here/.clusterfuzzlite/build.sh" >"$scratch/build.log" 2>&1; then
  tail -40 "$scratch/build.log" >&2
  echo "check_oss_fuzz_build: FAILED: build.sh failed" >&2
  exit 1
fi
grep '^build.sh: ' "$scratch/build.log" || true

failed=0 count=0
for bin in "$scratch/out"/*; do
  [[ -f "$bin" && -x "$bin" ]] || continue
  target="$(basename "$bin")"
  count=$((count + 1))
  zip="$scratch/out/${target}_seed_corpus.zip"
  if [[ ! -f "$zip" ]]; then
    echo "check_oss_fuzz_build: FAILED: $target has no ${target}_seed_corpus.zip" >&2
    failed=1; continue
  fi
  seeds="$scratch/seeds/$target"
  mkdir -p "$seeds"
  unzip -q -o "$zip" -d "$seeds"
  n="$(find "$seeds" -type f | wc -l)"
  log="$scratch/seeds/$target.log"
  status=0
  "$bin" -runs=0 -artifact_prefix="$scratch/seeds/$target-" "$seeds" >"$log" 2>&1 || status=$?
  # A replay driver linked by mistake would also exit 0 on clean seeds;
  # only libFuzzer prints INITED.
  if [[ $status -ne 0 ]]; then
    grep -vE '^ +#[0-9]+ ' "$log" | tail -30 >&2
    echo "check_oss_fuzz_build: FAILED: $target on its seeds (exit $status, log $log)" >&2
    failed=1
  elif ! grep -q 'INITED' "$log"; then
    echo "check_oss_fuzz_build: FAILED: $target is not a libFuzzer binary (log $log)" >&2
    failed=1
  elif [[ -f "$scratch/out/$target.options" ]] &&
       dict_ref="$(sed -n 's/^[[:space:]]*dict[[:space:]]*=[[:space:]]*\([^[:space:]]*\).*/\1/p' "$scratch/out/$target.options")" &&
       [[ -n "$dict_ref" && ! -f "$scratch/out/$dict_ref" ]]; then
    echo "check_oss_fuzz_build: FAILED: $target.options names dict $dict_ref, which is not in $scratch/out" >&2
    failed=1
  else
    extras=""
    [[ -f "$scratch/out/$target.options" ]] && extras+=" +options"
    [[ -f "$scratch/out/$target.dict" ]] && extras+=" +dict"
    echo "check_oss_fuzz_build: $target: $n seed inputs ran clean ($(grep -m1 -o 'INITED.*' "$log" | sed 's/ *rss:.*//'))$extras"
  fi
done
if [[ $count == 0 ]]; then
  echo "check_oss_fuzz_build: FAILED: build.sh put no fuzz target in $scratch/out" >&2
  exit 1
fi
if [[ $failed != 0 ]]; then exit 1; fi
echo "check_oss_fuzz_build: $count target(s) OK"
