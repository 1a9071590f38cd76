#!/usr/bin/env bash
# Hyperparameter search benchmarks, all in one run (see bench/README.md):
#   1. scaling: the same search at --parallel 1 and --parallel 2 (one torch thread per trial), interleaved; wall-time
#      medians, their ratio, and whether every run's leaderboard is identical; then one round at --parallel 1 --threads 2
#   2. the default space, full search against ASHA: epochs spent, best mean validation loss, wall time
#   3. actor overhead: the share of the trials' wall time spent outside the training session
#   4. the winner of the full search re-run with `churn run --config best.json --seed s` for s = 0..9: test accuracy
# Options by environment: RUNS (rounds of the scaling variants, default 3), TRIALS and SEEDS (size of the scaling search,
# default 8 configurations x 2 seeds), SKIP_THREADS=1 to leave out the two-thread round, SKIP_DEFAULT=1 to run the scaling
# part only.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh
root="$PWD"
runs="${RUNS:-3}"
trials="${TRIALS:-8}"
seeds="${SEEDS:-2}"
bench_churn
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"   # the searches' run store (runs/churn.db) and outputs live here

summary() {   # summary.json -> one line: epochs, best validation loss, wall, overhead
  /usr/bin/python3 - "$1" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
b = s["best"]
print(f'{s["configurations"]} configurations, {s["trials"]} trials, {s["epochsSpent"]} epochs, {s["elapsedSeconds"]:.1f} s; '
      f'best #{b["configuration"] + 1}: validation loss {b["meanValidationLoss"]:.4f} ± {b["stdValidationLoss"]:.4f}; '
      f'actor overhead {100 * s["actorOverhead"]:.2f} %')
PY
}

echo "== 1. scaling: $trials configurations x $seeds seeds of the default space, $runs interleaved rounds ($(nproc) cores)"
echo "   P1 = --parallel 1, P2 = --parallel 2 (one thread per trial); P1t2 = --parallel 1 --threads 2, once at the end"
: > times.txt
for round in $(seq 1 "$runs"); do
  variants="P1 P2"; if (( round % 2 == 0 )); then variants="P2 P1"; fi
  if (( round == runs )) && [[ "${SKIP_THREADS:-0}" != "1" ]]; then variants="$variants P1t2"; fi
  for v in $variants; do
    case "$v" in P1) flags="--parallel 1";; P1t2) flags="--parallel 1 --threads 2";; P2) flags="--parallel 2";; esac
    start=$(date +%s.%N)
    "$churn" search --trials "$trials" --seeds "$seeds" $flags --out "$v-$round" 2>/dev/null >/dev/null
    end=$(date +%s.%N)
    echo "$v $(echo "$end - $start" | bc)" >> times.txt
    echo "  round $round  $v  $(tail -1 times.txt | cut -d' ' -f2 | cut -c1-6) s"
  done
done
/usr/bin/python3 - times.txt <<'PY'
import sys, statistics
t = {}
for line in open(sys.argv[1]):
    v, s = line.split()
    t.setdefault(v, []).append(float(s))
m = {v: statistics.median(x) for v, x in t.items()}
for v in ("P1", "P2", "P1t2"):
    if v in t:
        print(f"{v:5} median {m[v]:.1f} s  (min {min(t[v]):.1f}, max {max(t[v]):.1f}, {len(t[v])} runs)")
print(f"ratio P2/P1   = {m['P2'] / m['P1']:.2f}  (target <= 0.60)")
if "P1t2" in m:
    print(f"ratio P1t2/P1 = {m['P1t2'] / m['P1']:.2f}  (two intra-op threads for one trial against one)")
PY
if [[ "$(md5sum P1-*/leaderboard.csv P2-*/leaderboard.csv | cut -d' ' -f1 | sort -u | wc -l)" == "1" ]]; then
  echo "leaderboards: identical in all $((2 * runs)) runs at P=1 and P=2"
else
  echo "leaderboards: DIFFER"; md5sum P1-*/leaderboard.csv P2-*/leaderboard.csv
fi
for v in P1 P2; do echo "  $v: $(summary "$v-1/search.json")"; done

if [[ "${SKIP_DEFAULT:-0}" == "1" ]]; then exit 0; fi

echo "== 2. the default space: full search against ASHA (default --parallel)"
for scheduler in none asha; do
  start=$(date +%s.%N)
  "$churn" search --scheduler "$scheduler" --out "$scheduler" 2>/dev/null >/dev/null
  end=$(date +%s.%N)
  echo "  $scheduler: $(summary "$scheduler/search.json"); wall $(echo "$end - $start" | bc | cut -c1-6) s with the winner's training"
done
/usr/bin/python3 - none/search.json asha/search.json <<'PY'
import json, sys
full, asha = (json.load(open(f)) for f in sys.argv[1:])
print(f"ASHA/full epochs = {asha['epochsSpent'] / full['epochsSpent']:.2f} (target <= 0.50); "
      f"best validation loss ASHA {asha['best']['meanValidationLoss']:.4f} vs full {full['best']['meanValidationLoss']:.4f} "
      f"(same configuration: {asha['best']['configuration'] == full['best']['configuration']})")
for name, s in (("full", full), ("asha", asha)):
    w = s["winnerTest"]
    print(f"  {name} winner, evaluated once on the test split: accuracy {w['accuracy']:.4f}, ROC AUC {w['rocAuc']:.4f}")
PY

echo "== 4. the full search's best.json, re-run with churn run --config best.json --seed s, s = 0..9"
for s in 0 1 2 3 4 5 6 7 8 9; do
  "$churn" run --config none/best.json --seed "$s" --out "rerun-$s" --json 2>/dev/null > "rerun-$s.json"
done
/usr/bin/python3 -c '
import json, statistics
accs = [json.load(open(f"rerun-{s}.json"))["test"]["accuracy"] for s in range(10)]
print("test accuracy by seed:", " ".join(f"{a:.4f}" for a in accs))
print(f"mean {statistics.mean(accs):.4f} ± {statistics.stdev(accs):.4f} (sd over seeds)")'
echo "best.json:"; cat none/best.json; echo
