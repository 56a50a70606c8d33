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
# report: from its fork to its end, program_runner.h), not the harness's.
# The four configurations take turns, ROUNDS times REPEATS runs each, so
# that load from other work on the machine falls on all of them alike;
# the ratios are of the medians of the runs (the sums' ratios follow).
#
#   bench/interposer_bench.sh [BUILD_DIR] [REPEATS] [ROUNDS]
set -eu
command -v strace >/dev/null || { echo "interposer_bench.sh: needs strace (apt-get install strace)" >&2; exit 2; }
build=${1:-build/dev}
repeat=${2:-20}
rounds=${3:-5}
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

run() {  # NAME SCENARIO ARGS...: appends this round's times to NAME.json.*
  name=$1; scn=$2; shift 2
  "$sockcheck" run --quiet --repeat "$repeat" --json "$tmp/$name.json.$round" "$@" "$scn" >/dev/null
}

cmd="$client none {host} {port} {timeout_ms}"
round=1
while [ "$round" -le "$rounds" ]; do
  run without "$tmp/plain.scn" --no-interposer --client-cmd "$cmd"
  run with "$tmp/plain.scn" --client-cmd "$cmd"
  run fault "$tmp/fault.scn" --client-cmd "$cmd"
  run strace "$tmp/plain.scn" --no-interposer --client-cmd \
    "strace -f -o /dev/null -e trace=send,sendto,write -e inject=sendto:error=EINTR:when=1 $cmd"
  round=$((round + 1))
done

python3 - "$tmp" <<'PY'
import glob, json, statistics, sys
def times(name):
    out = []
    for f in sorted(glob.glob(f"{sys.argv[1]}/{name}.json.*")):
        out += [r["client"]["elapsed_ms"] for r in json.load(open(f))["runs"]]
    return out
t = {n: times(n) for n in ("without", "with", "fault", "strace")}
med = {n: statistics.median(v) for n, v in t.items()}
tot = {n: sum(v) for n, v in t.items()}
runs = len(t["without"])
print(f"program exchange, no fault ({runs} runs each): median without {med['without']:.2f} ms, "
      f"with interposer {med['with']:.2f} ms: ratio {med['with'] / med['without']:.3f} "
      f"(sums: {tot['with'] / tot['without']:.3f}; target <= 1.1)")
print(f"one injected EINTR: median interposer {med['fault']:.2f} ms, strace --inject "
      f"{med['strace']:.2f} ms: interposer {med['strace'] / med['fault']:.1f}x faster "
      f"(sums: {tot['strace'] / tot['fault']:.1f}x; aim >= 5x)")
PY
