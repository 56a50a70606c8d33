#!/usr/bin/env bash
# Runs real, unmodified client programs (netcat-openbsd with and without -N,
# socat, busybox nc, ncat, and ncat under timeout(1)) through sockcheck's
# built-in suite, each with the command a user would write and the timeout
# contract its manual documents,
# and compares each client's violations with its baseline in
# examples/real-clients/baselines/CLIENT.txt. docs/real-clients.md explains
# every command, contract and verdict.
#
# The clients spend most of a run waiting on their timers, so the runs go in
# parallel: every client at once, and a client whose runs mostly last its
# whole timeout (nc without -N, ncat -i) is split into shards of the
# scenario list. Each shard is checked against the lines of the baseline
# that name its scenarios.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

usage() {
  cat <<'EOF'
usage: examples/real-clients/run.sh [OPTIONS]

Runs each real client program through the sockcheck suite with its exact
command and --client-timeout contract, and checks its violations against
examples/real-clients/baselines/CLIENT.txt (sockcheck run --baseline).
Prints one row per client (contract, passed/total, baseline result,
command), then the failing rules of each failing scenario.

options:
  --update            rewrite the baselines from this run (--write-baseline)
                      instead of checking against them
  --no-baseline       only run and show the verdicts, compare with nothing
  --rounds N          with --update or --no-baseline: run everything N times
                      (default 1); --update then writes the union, marking
                      a verdict seen in some rounds only `sometimes` (a
                      race: never reported as now passing), and the table
                      marks such verdicts "(k/N rounds)"
  --strict            also fail on baseline entries that now pass
                      (sockcheck run --strict)
  --clients A,B,...   only these clients (default: all; see --list)
  --list              print the clients and their commands, then exit
  --require-all       fail (exit 3) when a client's program is not installed
                      (otherwise it is reported "skipped (not installed)")
  --reports DIR       keep every run's console log and JSON report in DIR
                      (default: a temporary directory, removed at the end)
  --sockcheck PATH    the sockcheck program (default: $SOCKCHECK, else
                      build/dev/harness/sockcheck)
  --scenarios DIR     the suite (default: corpora/scenarios)
  --jobs N            at most N runs at a time (default 12)
  -h, --help          this text

exit status:
  0  every client that ran matched its baseline (with --update: the
     baselines were written; with --no-baseline: every run was carried out)
  1  a client's verdicts differ from its baseline (a new violation, or with
     --strict an entry that now passes), or a run could not be carried out
  2  usage error, sockcheck not found, or a baseline missing
  3  --require-all was given and a client was skipped
EOF
}

# name|shards|contract|programs|command. The contract follows each tool's
# manual: nc -w, socat -T and ncat -i are inactivity timeouts (idle); busybox
# nc -w is a connect timeout only, and ncat has none without -i (none);
# timeout(1) around ncat makes one deadline for the whole exchange (total).
# nc without -N and ncat -i wait out their timeout in most scenarios, so
# their scenario lists are split into shards that run side by side.
CLIENTS=(
  "nc-N|1|idle|nc|nc -N -w {timeout_s} {host} {port}"
  "nc|3|idle|nc|nc -w {timeout_s} {host} {port}"
  "socat|1|idle|socat|socat -T {timeout_s} - TCP:{host}:{port}"
  "socat-t|1|idle|socat|socat -t {timeout_s} -T {timeout_s} - TCP:{host}:{port}"
  "busybox-nc|1|none|busybox|busybox nc -w {timeout_s} {host} {port}"
  "ncat-i|3|idle|ncat|ncat -i {timeout_s} {host} {port}"
  "ncat|1|none|ncat|ncat {host} {port}"
  "timeout-ncat|1|total|timeout ncat|timeout {timeout_s} ncat {host} {port}"
)

# not_installed PROGRAMS: why the client cannot run here, or nothing.
not_installed() {
  local p
  for p in $1; do
    if ! command -v "$p" >/dev/null; then
      echo "$p not found"; return
    elif [[ $p == nc ]] && ! nc -h 2>&1 | grep -q 'OpenBSD netcat'; then
      echo "nc is not OpenBSD netcat (install netcat-openbsd)"; return
    elif [[ $p == busybox ]] && ! busybox --list | grep -qx nc; then
      echo "this busybox has no nc applet"; return
    fi
  done
}

# packages_of PROGRAMS: the Debian package and version of each, for the
# baseline's header (a change of verdict often comes with a new version).
packages_of() {
  local p path pkg out=()
  for p in $1; do
    path=$(readlink -f "$(command -v "$p")")
    pkg=$(dpkg-query -S "$path" 2>/dev/null | head -1 | cut -d: -f1) || true
    if [[ -n $pkg ]]; then
      out+=("$(dpkg-query -W -f='${Package} ${Version}' "$pkg")")
    else
      out+=("$p (not from a Debian package)")
    fi
  done
  local IFS=,
  echo "${out[*]}" | sed 's/,/, /g'
}

mode=check rounds=1 strict=() only="" require_all=0 reports="" jobs=12
sockcheck=${SOCKCHECK:-$root/build/dev/harness/sockcheck}
scenarios=$root/corpora/scenarios
while (($#)); do
  case $1 in
    --update) mode=update ;;
    --no-baseline) mode=show ;;
    --strict) strict=(--strict) ;;
    --clients) only=${2:?--clients needs a value}; shift ;;
    --clients=*) only=${1#*=} ;;
    --list) for c in "${CLIENTS[@]}"; do IFS='|' read -r n _ t _ cmd <<<"$c"
              printf '%-12s %-5s %s\n' "$n" "$t" "$cmd"; done; exit 0 ;;
    --require-all) require_all=1 ;;
    --reports) reports=${2:?--reports needs a value}; shift ;;
    --reports=*) reports=${1#*=} ;;
    --sockcheck) sockcheck=${2:?--sockcheck needs a value}; shift ;;
    --sockcheck=*) sockcheck=${1#*=} ;;
    --scenarios) scenarios=${2:?--scenarios needs a value}; shift ;;
    --scenarios=*) scenarios=${1#*=} ;;
    --rounds) rounds=${2:?--rounds needs a value}; shift ;;
    --rounds=*) rounds=${1#*=} ;;
    --jobs) jobs=${2:?--jobs needs a value}; shift ;;
    --jobs=*) jobs=${1#*=} ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
for v in "$jobs" "$rounds"; do
  [[ $v =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --jobs and --rounds want a positive number" >&2; exit 2; }
done
if [[ $mode == check ]] && ((rounds > 1)); then
  echo "run.sh: --rounds is for --update and --no-baseline" >&2; exit 2
fi
[[ -x $sockcheck ]] || { echo "run.sh: no sockcheck at $sockcheck (build it, or give --sockcheck)" >&2; exit 2; }
if [[ $mode != show ]] && ! "$sockcheck" run --help | grep -q -- --write-baseline; then
  echo "run.sh: $sockcheck has no --baseline/--write-baseline (too old); use --no-baseline" >&2
  exit 2
fi
[[ -d $scenarios ]] || { echo "run.sh: no scenario folder $scenarios" >&2; exit 2; }
if [[ -n $only ]]; then
  for n in ${only//,/ }; do
    printf '%s\n' "${CLIENTS[@]}" | grep -q "^$n|" \
      || { echo "run.sh: unknown client '$n' (see --list)" >&2; exit 2; }
  done
fi

if [[ -n $reports ]]; then
  mkdir -p "$reports"
  out=$(cd "$reports" && pwd)
else
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi
trap 'kill $(jobs -p) 2>/dev/null; exit 130' INT TERM

mapfile -t files < <(find "$scenarios" -name '*.scn' | LC_ALL=C sort)
((${#files[@]})) || { echo "run.sh: no *.scn files under $scenarios" >&2; exit 2; }
declare -A name_of
for f in "${files[@]}"; do
  name_of[$f]=$(awk '$1 == "scenario" { print $2; exit }' "$f")
done

# start_shard CLIENT ROUND K SHARDS CONTRACT COMMAND: one sockcheck run over
# every SHARDS-th scenario file, from the K-th on, in the background.
start_shard() {
  local n=$1 round=$2 k=$3 shards=$4 contract=$5 cmd=$6
  local base=$out/$n.r$round.s$k mine=() i
  for ((i = k - 1; i < ${#files[@]}; i += shards)); do mine+=("${files[i]}"); done
  local flags=(--quiet --client-cmd "$cmd" --client-timeout "$contract" --json "$base.json")
  if [[ $mode == update ]]; then
    flags+=(--write-baseline "$base.baseline")
  elif [[ $mode == check ]]; then
    # The entries of this shard's scenarios only: the others did not run.
    : >"$base.baseline"
    for f in "${mine[@]}"; do
      awk -v s="${name_of[$f]}" '$1 == s' "$here/baselines/$n.txt" >>"$base.baseline"
    done
    flags+=(--baseline "$base.baseline" "${strict[@]}")
  fi
  while (($(jobs -rp | wc -l) >= jobs)); do wait -n || true; done
  ( set +e; "$sockcheck" run "${flags[@]}" "${mine[@]}" >"$base.log" 2>&1
    echo $? >"$base.rc" ) &
}

if [[ $mode == update ]]; then mkdir -p "$here/baselines"; fi
started=$SECONDS
ran=() skipped=()
for c in "${CLIENTS[@]}"; do
  IFS='|' read -r n shards contract programs cmd <<<"$c"
  if [[ -n $only && ",$only," != *",$n,"* ]]; then continue; fi
  why=$(not_installed "$programs")
  if [[ -n $why ]]; then skipped+=("$n|$why"); continue; fi
  if [[ $mode == check && ! -f $here/baselines/$n.txt ]]; then
    echo "run.sh: no baseline $here/baselines/$n.txt (write it with --update)" >&2
    exit 2
  fi
  ran+=("$c")
done
# Round by round, so that with --jobs the first round finishes first.
for ((round = 1; round <= rounds; round++)); do
  for c in "${ran[@]}"; do
    IFS='|' read -r n shards contract _ cmd <<<"$c"
    for ((k = 1; k <= shards; k++)); do
      start_shard "$n" "$round" "$k" "$shards" "$contract" "$cmd"
    done
  done
done
wait

# failing_rules LOG...: "scenario rule" for every FAIL cell of the console
# summary tables in the LOGs (docs/cli.md, "The summary table").
failing_rules() {
  awk '
    BEGIN {
      rule["request"] = "request-delivered"; rule["half-close"] = "half-close"
      rule["response"] = "response-delivered"; rule["honest"] = "honest-outcome"
      rule["bounded"] = "bounded"; rule["survives"] = "survives-peer"
      rule["closes-once"] = "closes-once"; rule["syscalls"] = "syscall-robust"
    }
    /^scenario +request/ { for (i = 2; i <= NF; i++) col[i] = $i; table = 1; next }
    table && NF == 0 { table = 0 }
    table && $NF == "FAIL" { for (i = 2; i < NF; i++) if ($i == "FAIL") print $1, rule[col[i]] }
  ' "$@"
}

# by_scenario ROUNDS: reads "scenario rule" lines (one per round that saw
# it) and prints "  scenario   rule, rule (k/N rounds)".
by_scenario() {
  LC_ALL=C sort | uniq -c | awk -v rounds="$1" '
    { k = $1; s = $2; r = $3 (k < rounds ? " (" k "/" rounds " rounds)" : "")
      if (s != last) { if (last != "") printf "  %-38s%s\n", last, line; line = r; last = s }
      else line = line ", " r }
    END { if (last != "") printf "  %-38s%s\n", last, line }'
}

status=0
printf '%-12s %-8s %-7s %-22s %s\n' client contract passed baseline command
details=""
for c in "${ran[@]}"; do
  IFS='|' read -r n shards contract programs cmd <<<"$c"
  worst=0 counts=() seen=""
  for ((round = 1; round <= rounds; round++)); do
    passed=0 total=0
    for ((k = 1; k <= shards; k++)); do
      base=$out/$n.r$round.s$k
      rc=$(cat "$base.rc")
      if ((rc > worst)); then worst=$rc; fi
      read -r t p < <(sed -n 's/^\([0-9]*\) scenarios, \([0-9]*\) passed.*/\1 \2/p' "$base.log" \
                      | tail -1) || { t=0 p=0; }
      total=$((total + t)) passed=$((passed + p))
    done
    counts+=("$passed")
    seen+=$(failing_rules "$out/$n.r$round".*.log | LC_ALL=C sort -u)$'\n'
  done
  low=$(printf '%s\n' "${counts[@]}" | sort -n | head -1)
  high=$(printf '%s\n' "${counts[@]}" | sort -n | tail -1)
  score=$low/$total
  if ((low != high)); then score=$low-$high/$total; fi
  if ((worst > 1)); then
    result="ERROR (exit $worst)"; status=1
  elif [[ $mode == update ]]; then
    { echo "# sockcheck baseline of $n: the violations it is known to have (SCENARIO RULE LEVEL)."
      echo "# command:  $cmd"
      echo "# contract: --client-timeout $contract"
      echo "# programs: $(packages_of "$programs")"
      echo "# Written by examples/real-clients/run.sh --update (the union of $rounds rounds);"
      echo "# docs/real-clients.md explains every entry."
      # An entry seen in some rounds only is a race: `sometimes`, which
      # sockcheck never reports as now passing.
      cat "$out/$n".r*.baseline | grep -v -e '^#' -e '^[[:space:]]*$' |
        awk -v rounds="$rounds" '{ sub(/ sometimes$/, ""); seen[$0]++ }
          END { for (e in seen) print e (seen[e] < rounds ? " sometimes" : "") }' |
        LC_ALL=C sort || true
    } >"$here/baselines/$n.txt"
    result="written"
  elif [[ $mode == show ]]; then
    result="-"
  elif ((worst == 1)); then
    result="DIFFERS"; status=1
  else
    result="matches"
  fi
  printf '%-12s %-8s %-7s %-22s %s\n' "$n" "$contract" "$score" "$result" "$cmd"
  rules=$({ grep -v '^$' <<<"$seen" || true; } | by_scenario "$rounds")
  if [[ -n $rules ]]; then
    details+=$'\n'"$n ($cmd, --client-timeout $contract):"$'\n'"$rules"$'\n'
  fi
  if [[ $result == DIFFERS || $result == ERROR* ]]; then
    details+="  sockcheck said:"$'\n'
    details+=$({ grep -hi -e baseline -e error -e usage "$out/$n".r*.log || true; } | sed 's/^/    /' \
               | head -40)$'\n'
  fi
done
for s in "${skipped[@]}"; do
  IFS='|' read -r n why <<<"$s"
  printf '%-12s %-8s %-7s %-22s %s\n' "$n" - - "skipped (not installed)" "$why"
  if ((require_all && status == 0)); then status=3; fi
done
printf '%s' "$details"
echo
echo "${#ran[@]} clients run ($rounds round(s)), ${#skipped[@]} skipped, in" \
  "$((SECONDS - started))s (reports: ${reports:-removed})"
exit "$status"
