#!/usr/bin/env bash
# What each candidate network costs: the whole `churn run` process on the bundled customers (wall and CPU seconds,
# user + system, median of RUNS, the candidates interleaved so that the machine's load falls on all of them alike)
# and its scoring speed once loaded (`churn bench predict`, customers/s, median of its repeats).
#   RUNS=3 ROWS=200000 CANDIDATES="plain plain-quantile plr plr-quantile plr-small plr-8" bash bench/model-cost.sh
# (also plr-members, and plain-cycle: the plain network on the one-cycle schedule, 40 epochs up to 0.003)
# The candidates are those of bench/model.sh, which measures their quality on customers they never saw.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh
runs="${RUNS:-3}"
rows="${ROWS:-200000}"
candidates="${CANDIDATES:-plain plain-quantile plr plr-quantile plr-small plr-8}"
work="${WORK:-$(mktemp -d)}"
mkdir -p "$work"
bench_churn
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=1
args_of() {
  case "$1" in
    plain) echo "--network plain" ;;
    plr) echo "--network plr" ;;
    plain-quantile) echo "--network plain --transform quantile" ;;
    plr-quantile) echo "--network plr --transform quantile" ;;
    plr-members) echo '{"model": {"distilEpochs": 0}}' >"$work/members.json"; echo "--network plr --config $work/members.json" ;;
    plr-small) echo '{"model": {"members": 2, "cycleEpochs": 16, "distilEpochs": 12}}' >"$work/small.json"; echo "--network plr --config $work/small.json" ;;
    plr-8) echo '{"model": {"members": 8}}' >"$work/eight.json"; echo "--network plr --config $work/eight.json" ;;
    plain-cycle) echo '{"model": {"schedule": "oneCycle", "cycleEpochs": 40, "peakLearningRate": 0.003}}' >"$work/cycle.json"; echo "--network plain --config $work/cycle.json" ;;
    *) echo "unknown candidate $1" >&2; exit 2 ;;
  esac
}
for i in $(seq "$runs"); do
  for c in $candidates; do
    # shellcheck disable=SC2046
    /usr/bin/time -f "%e %U %S" -o "$work/time.txt" "$churn" run $(args_of "$c") --seed 0 --out "$work/$c" --no-store >"$work/$c.log" 2>&1 || { cat "$work/$c.log"; exit 1; }
    read -r wall user sys <"$work/time.txt"
    echo "$c $wall $(echo "$user + $sys" | bc -l)" >>"$work/runs.txt"
    speed=$("$churn" bench predict --model "$work/$c/model" --rows "$rows" --repeats 3 2>&1 | sed -n 's/.*= \([0-9,]*\) rows\/s.*/\1/p' | head -n 1 | tr -d ,)
    echo "$c ${speed:-0}" >>"$work/speed.txt"
    echo "run $i $c: ${wall} s wall, $(echo "$user + $sys" | bc -l) s CPU, ${speed:-?} customers/s"
  done
done
echo
/usr/bin/python3 - "$work/runs.txt" "$work/speed.txt" $candidates <<'EOF'
import sys, statistics as st
runs, speed, names = sys.argv[1], sys.argv[2], sys.argv[3:]
r = [l.split() for l in open(runs)]
s = [l.split() for l in open(speed)]
print(f"{'candidate':16} {'run wall s':>10} {'run CPU s':>10} {'scored/s':>12}")
for n in names:
    wall = st.median(float(x[1]) for x in r if x[0] == n)
    cpu = st.median(float(x[2]) for x in r if x[0] == n)
    sp = st.median(float(x[1]) for x in s if x[0] == n)
    print(f"{n:16} {wall:10.1f} {cpu:10.1f} {sp:12,.0f}")
EOF
