#!/usr/bin/env bash
# Lists the fuzz targets of a configured build, one per line:
#   <name> TAB <binary> TAB <corpus folder>
# The source of truth is what sockcheck_fuzz_target() registered: every
# target with a corpus registers the ctest `fuzz.<name>.replay`, whose command
# is the target's binary followed by its arguments, the corpus last. Reading
# the generated CTestTestfile.cmake (rather than `ctest --show-only`, which
# reports no command for binaries not built yet) lets callers list the
# targets right after configuring, build exactly those, and pick up targets
# added later (scenario_parser, fault_schedule, ...) without being edited.
# Targets declared NO_CORPUS_TEST (the planted faulty clients, which crash by
# design) are not listed.
#
# Usage: fuzz/list_targets.sh BUILD_DIR   (exit 1 when no target is found)
set -euo pipefail
build="${1:?usage: list_targets.sh BUILD_DIR}"
found=0
while IFS= read -r file; do
  while IFS= read -r line; do
    printf '%s\n' "$line"
    found=1
  done < <(sed -n 's/^add_test(\[=\[fuzz\.\(.*\)\.replay\]=\] "\([^"]*\)".* "\([^"]*\)")$/\1\t\2\t\3/p' "$file")
done < <(find "$build" -name CTestTestfile.cmake -not -path '*/_deps/*' | sort)
if [[ $found == 0 ]]; then
  echo "list_targets: no fuzz.<name>.replay test in $build (not configured, or not a developer-mode build?)" >&2
  exit 1
fi
