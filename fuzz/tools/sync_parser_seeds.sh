#!/bin/sh
# The scenario_parser target's seeds are the built-in scenarios, copied:
# corpora/scenario_parser/<name>.scn == corpora/scenarios/<name>.scn.
#
#   fuzz/tools/sync_parser_seeds.sh [SOURCE_DIR]          copy (and delete stale copies)
#   fuzz/tools/sync_parser_seeds.sh --check [SOURCE_DIR]  exit 1 if out of sync
#
# Only top-level *.scn files of corpora/scenario_parser/ are managed; inputs
# added by libFuzzer (hash names) and regressions/ are left alone.
set -eu
check=0
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
src="$root/corpora/scenarios"
dst="$root/corpora/scenario_parser"
[ -d "$src" ] || { echo "no folder $src" >&2; exit 2; }
mkdir -p "$dst"
bad=0
for f in "$src"/*.scn; do
  name=$(basename "$f")
  if ! cmp -s "$f" "$dst/$name"; then
    if [ $check = 1 ]; then
      echo "out of sync: corpora/scenario_parser/$name" >&2; bad=1
    else
      cp "$f" "$dst/$name"
    fi
  fi
done
for f in "$dst"/*.scn; do
  [ -e "$f" ] || continue
  name=$(basename "$f")
  if [ ! -e "$src/$name" ]; then
    if [ $check = 1 ]; then
      echo "stale seed: corpora/scenario_parser/$name (no corpora/scenarios/$name)" >&2; bad=1
    else
      rm "$f"
    fi
  fi
done
if [ $bad = 1 ]; then
  echo "run fuzz/tools/sync_parser_seeds.sh to update the seeds" >&2
  exit 1
fi
exit 0
