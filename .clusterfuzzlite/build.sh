#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build: compiles sockcheck's fuzz targets with the
# environment's compiler, flags and fuzzing engine, and puts in $OUT, per
# target: the binary <target>, <target>_seed_corpus.zip (its corpus folder,
# regressions included, flattened), <target>.options and <target>.dict when
# the source tree has them.
#
# Honours $CC $CXX $CFLAGS $CXXFLAGS $LIB_FUZZING_ENGINE $OUT $SRC (and $WORK
# for the build folder). The sources are expected in $SRC/sockcheck (the
# Dockerfile copies them there). The build is plain CMake in developer mode
# with SOCKCHECK_FUZZ=ON and SOCKCHECK_FUZZING_ENGINE=$LIB_FUZZING_ENGINE:
# those only choose what the fuzz targets link, so nothing but the
# environment's flags is added to the compiles, and the engine is the one
# OSS-Fuzz asked for. The targets are whatever fuzz/list_targets.sh finds
# (every sockcheck_fuzz_target with a corpus), so none is named here.
# fuzz/check_oss_fuzz_build.sh runs this script locally.
src="$SRC/sockcheck"
build="${WORK:-$SRC}/sockcheck-oss-fuzz-build"

cmake -S "$src" -B "$build" -G Ninja --no-warn-unused-cli \
  -DCMAKE_BUILD_TYPE= \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DSOCKCHECK_DEVELOPER_MODE=ON -DSOCKCHECK_FUZZ=ON -DSOCKCHECK_BENCHMARKS=OFF \
  -DSOCKCHECK_FUZZING_ENGINE="$LIB_FUZZING_ENGINE"

names=() targets=() corpora=()
while IFS=$'\t' read -r name bin corpus; do
  names+=("$name") targets+=("$(basename "$bin")") corpora+=("$corpus")
done < <("$src/fuzz/list_targets.sh" "$build")

cmake --build "$build" -j "$(nproc)" --target "${targets[@]}"

mkdir -p "$OUT"
for i in "${!names[@]}"; do
  name="${names[$i]}" target="${targets[$i]}" corpus="${corpora[$i]}"
  cp "$build/fuzz/$target" "$OUT/$target"

  # Flattened, so a name used twice (seed and regression) would be lost:
  # refuse that instead.
  dups="$(find "$corpus" -type f -not -name '.*' -printf '%f\n' | sort | uniq -d)"
  if [[ -n "$dups" ]]; then
    echo "build.sh: $corpus has files with the same name in two folders: $dups" >&2
    exit 1
  fi
  rm -f "$OUT/${target}_seed_corpus.zip"
  (cd "$corpus" && find . -type f -not -name '.*' -print0 | sort -z |
     xargs -0 zip -q -j "$OUT/${target}_seed_corpus.zip")

  if [[ -f "$src/fuzz/$target.options" ]]; then
    cp "$src/fuzz/$target.options" "$OUT/$target.options"
    # A dictionary the options name (dict = x.dict, relative to fuzz/) is
    # looked up next to the binary at run time: ship it under that name.
    dict_ref="$(sed -n 's/^[[:space:]]*dict[[:space:]]*=[[:space:]]*\([^[:space:]]*\).*/\1/p' "$OUT/$target.options")"
    if [[ -n "$dict_ref" ]]; then
      cp "$src/fuzz/$dict_ref" "$OUT/$(basename "$dict_ref")"
    fi
  fi
  for dict in "$src/fuzz/$target.dict" "$src/fuzz/$name.dict"; do
    if [[ -f "$dict" ]]; then cp "$dict" "$OUT/$target.dict"; break; fi
  done
  echo "build.sh: $target: $(unzip -Z1 "$OUT/${target}_seed_corpus.zip" | wc -l) seed inputs"
done
