#!/usr/bin/env bash
# Judges the Winsock sample and the reference client for Windows by the
# whole suite, and checks the verdicts exactly against the baselines kept
# here (docs/windows.md):
#
#   winsock-sample.exe under Wine   baseline-wine.txt
#   winsock-sample, native twin     baseline-native.txt
#   sockcheck-client.exe under Wine no violation at all (a correct Winsock
#                                   client; the verdicts Wine makes
#                                   unreachable are n/a, and counted)
#
# Each run uses --strict, so a deviation that goes away fails the check as
# surely as a new one: the files must change with the verdicts.
#
# A verdict that depends on a race in the sample (whether the server's RST
# beats its one send) is marked `sometimes` in the baseline: --update runs
# the suite twice (--repeat 2) and marks what failed in one round only.
#
# usage: examples/winsock-sample/check.sh [--update] [DEV_BUILD [MINGW_BUILD]]
#   --update     rewrite the two baselines from this run instead of checking
#   DEV_BUILD    default build/dev   (sockcheck, the native twin)
#   MINGW_BUILD  default build/mingw (winsock-sample.exe, sockcheck-client.exe)
#
# exit status: 0 every verdict as expected (or baselines rewritten);
# 1 a verdict changed (the run's output is printed); 2 usage error or a
# program is missing (build the dev and mingw presets first).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
update=0
args=()
for a in "$@"; do
  case $a in
    -h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --update) update=1 ;;
    -*) echo "check.sh: unknown option '$a' (see --help)" >&2; exit 2 ;;
    *) args+=("$a") ;;
  esac
done
# Paths relative to the project's root, so the baselines' "written by"
# lines name no machine's folders.
cd "$root"
dev=${args[0]:-build/dev}
mingw=${args[1]:-build/mingw}
here=examples/winsock-sample
sockcheck=$dev/harness/sockcheck
native=$dev/examples/winsock-sample/winsock-sample
sample_exe=$mingw/examples/winsock-sample/winsock-sample.exe
client_exe=$mingw/harness/sockcheck-client.exe
for f in "$sockcheck" "$native" "$sample_exe" "$client_exe"; do
  [[ -x $f || -f $f ]] || { echo "check.sh: '$f' is missing (build the dev and mingw presets)" >&2; exit 2; }
done
command -v wine >/dev/null || { echo "check.sh: wine is not installed (apt-get install wine wine64)" >&2; exit 2; }

logs=$(mktemp -d "${TMPDIR:-/tmp}/sockcheck-winsock-check.XXXXXX")
trap 'rm -rf "$logs"' EXIT

# judge NAME BASELINE|- COMMAND: one suite run; its status in $logs/NAME.rc.
judge() {
  local name=$1 baseline=$2 cmd=$3 opts=(--quiet --strict)
  if [[ $baseline != - ]]; then
    if ((update)); then
      opts+=(--repeat 2 --write-baseline "$baseline")
    else
      opts+=(--baseline "$baseline")
    fi
  fi
  local t0=$SECONDS rc=0
  "$sockcheck" run --client-cmd "$cmd" "${opts[@]}" corpora/scenarios \
    >"$logs/$name.out" 2>&1 || rc=$?
  echo "$rc $((SECONDS - t0))" >"$logs/$name.rc"
}

# The two Wine runs take turns (each starts Wine once per scenario); the
# native one runs beside them.
judge native "$here/baseline-native.txt" "$native {host} {port}" &
native_pid=$!
judge wine "$here/baseline-wine.txt" "$sample_exe {host} {port}"
judge client - "$client_exe --stdin --raw --timeout {timeout_ms}ms {host} {port}"
wait "$native_pid"

status=0
printf '%-34s %-22s %s\n' program baseline result
for name in wine native client; do
  read -r rc secs <"$logs/$name.rc"
  case $name in
    wine) label="winsock-sample.exe (Wine)"; base=baseline-wine.txt ;;
    native) label="winsock-sample (native)"; base=baseline-native.txt ;;
    client) label="sockcheck-client.exe (Wine)"; base="(none: must pass)" ;;
  esac
  summary=$(grep -E '^[0-9]+ scenarios?, ' "$logs/$name.out" | tail -1)
  unreachable=$(grep -oE '^-\*: [0-9]+ verdicts?' "$logs/$name.out" | grep -oE '[0-9]+' || echo 0)
  if ((rc == 0)); then result="ok"; else result="CHANGED (exit $rc)"; status=1; fi
  printf '%-34s %-22s %s in %ss: %s; %s n/a under Wine\n' "$label" "$base" "$result" "$secs" \
    "$summary" "$unreachable"
  if ((rc != 0)); then sed 's/^/    /' "$logs/$name.out"; fi
done
exit $status
