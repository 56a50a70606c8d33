#!/bin/sh
# Ratios for the interposer (docs/interposer.md), measured in one run:
#
#   1. overhead: a client program's exchange with libsockcheck_preload.so
#      loaded and no fault, against the same program without it (target:
#      at most 1.1);
#   2. one injected fault: the same scenario with one EINTR on the first
#      send injected by the interposer, against the same fault injected by
#      `strace --inject` (aim: at least 5x faster).
#
# The figure is the program's own time (client elapsed_ms of the JSON
# report, summed over the repeats), not the harness's.
#
#   bench/interposer_bench.sh [BUILD_DIR] [REPEATS]
set -eu
build=${1:-build/dev}
repeat=${2:-40}
sockcheck="$build/harness/sockcheck"
client="$build/tests/syscall_client"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

cat > "$tmp/plain.scn" <<'SCN'
scenario bench-plain
request repeat "x" 64KiB
connection 1+
  read until-fin
  write repeat "y" 64KiB
  close
SCN
sed -e 's/bench-plain/bench-one-fault/' -e 's/^request/inject send EINTR at 1\nrequest/' \
  "$tmp/plain.scn" > "$tmp/fault.scn"

# Sum of the client's elapsed milliseconds over the runs of a JSON report.
elapsed() {
  python3 -c 'import json,sys; print(sum(r["client"]["elapsed_ms"] for r in json.load(open(sys.argv[1]))["runs"]))' "$1"
}
run() {  # NAME SCENARIO ARGS...
  name=$1; scn=$2; shift 2
  "$sockcheck" run --quiet --repeat "$repeat" --json "$tmp/$name.json" "$@" "$scn" >/dev/null
  elapsed "$tmp/$name.json"
}

cmd="$client none {host} {port} {timeout_ms}"
without=$(run without "$tmp/plain.scn" --no-interposer --client-cmd "$cmd")
with=$(run with "$tmp/plain.scn" --client-cmd "$cmd")
fault=$(run fault "$tmp/fault.scn" --client-cmd "$cmd")
strace=$(run strace "$tmp/plain.scn" --no-interposer --client-cmd \
  "strace -f -o /dev/null -e trace=send,sendto,write -e inject=sendto:error=EINTR:when=1 $cmd")

python3 - "$without" "$with" "$fault" "$strace" <<'PY'
import sys
without, with_, fault, strace = map(float, sys.argv[1:])
print(f"program exchange, no fault: without {without:.1f} ms, with interposer {with_:.1f} ms: ratio {with_ / without:.3f} (target <= 1.1)")
print(f"one injected EINTR: interposer {fault:.1f} ms, strace --inject {strace:.1f} ms: interposer {strace / fault:.1f}x faster (aim >= 5x)")
PY
