#!/usr/bin/env bash
# A search that may choose the balancing and the log features, judged on customers it never saw, in the natural mix.
# For each split s: bench/reference/population.py splits the bundled customers at random into 80 % to search on and
# 20 % to score (and prints the peers' figures on that split); churn search runs on the 80 % only (its own train,
# validation and test splits are cut from them) with the space below; then the search's winner (one network, the
# search seed), its averaged model (the winner's seeds, scores averaged, calibrated on the averaged validation scores)
# and the default model (churn run on the same 80 %) score the 20 %, and bench/reference/holdout.py scores each
# against the real outcomes.
#   SPLITS="0 1 2" TRIALS=12 SEEDS=3 bash bench/search-population.sh
# Needs Debian's python3-numpy, python3-sklearn and python3-torch.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh
splits="${SPLITS:-0 1 2}"
trials="${TRIALS:-12}"
seeds="${SEEDS:-3}"
data="data/Audiobooks_data.csv"
work="${WORK:-$(mktemp -d)}"
bench_churn
mkdir -p "$work"
cat >"$work/space.json" <<JSON
{
  "trials": $trials, "seeds": $seeds,
  "space": { "balance": ["random", "none", "weighted"], "logFeatures": ["none", "skewed"] }
}
JSON
results="$work/results.jsonl"
: >"$results"
for s in $splits; do
  population_split "$data" "$s" "$work/$s"
  started=$(date +%s)
  "$churn" search --data "$work/$s/train.csv" --space "$work/space.json" --seed "$s" --out "$work/$s/search" --no-store --json \
    >"$work/$s/search.json" 2>"$work/$s/search.log" || { tail -20 "$work/$s/search.log"; exit 1; }
  echo "  [split $s] search: $(( $(date +%s) - started )) s; winner: $(/usr/bin/python3 -c "
import json,sys; b=json.load(open('$work/$s/search.json'))['best']; d=b.get('data') or {}
print(f\"configuration {b['configuration']}, balance {d.get('balance')}, log {','.join(d.get('logFeatures') or []) or 'none'}, calibrated loss {b['meanCalibratedLoss']:.4f}\")")"
  "$churn" run --data "$work/$s/train.csv" --seed "$s" --out "$work/$s/default" >/dev/null 2>"$work/$s/default.log"
  for v in winner averaged default; do
    case "$v" in
      winner) model="$work/$s/search/model"; metrics="$work/$s/search/metrics.json" ;;
      averaged) model="$work/$s/search/averaged-model"; metrics="$work/$s/search/metrics.json" ;;
      default) model="$work/$s/default/model"; metrics="$work/$s/default/metrics.json" ;;
    esac
    out="$work/$s/$v"; mkdir -p "$out"
    "$churn" target --model "$model" --input "$work/$s/score.csv" --output "$out/contacts.csv" --json >"$out/plan.json" 2>>"$out.log"
    "$churn" predict --model "$model" --input "$work/$s/score.csv" --output "$out/scores.csv" 2>>"$out.log"
    holdout_row "$s" "$v" "$work/$s/answers.csv" "$out/contacts.csv" "$metrics" "$out/scores.csv" "$model/model.json" >>"$results"
  done
done
/usr/bin/python3 - "$results" "$work" $splits <<'PY'
import json, sys, re, statistics as st
rows = [json.loads(l) for l in open(sys.argv[1])]
work, splits = sys.argv[2], sys.argv[3:]
keys = ["auc", "brier", "ece", "mean_p", "rate", "profit", "profit_share_of_best"]
print(f"\n== on the held-out 20 % (true outcomes) of splits {' '.join(splits)}: mean, then worst split (min AUC, max Brier, min profit)")
print(f"{'variant':10s} " + " ".join(f"{k[:14]:>14s}" for k in keys) + "   worst: auc  brier  profit")
for v in dict.fromkeys(r["variant"] for r in rows):
    rs = [r for r in rows if r["variant"] == v]
    print(f"{v:10s} " + " ".join(f"{st.mean(r[k] for r in rs):14.4f}" for k in keys)
          + f"   {min(r['auc'] for r in rs):.4f} {max(r['brier'] for r in rs):.4f} {min(r['profit'] for r in rs):.0f}")
    for r in rs:
        print(f"   split {r['seed']}: auc {r['auc']:.4f} brier {r['brier']:.4f} ece {r['ece']:.4f} profit {r['profit']:.0f}")
peers = {}
for s in splits:
    for line in open(f"{work}/{s}/peers.txt"):
        m = re.match(r"(\S.*?)\s+auc (\S+) ap \S+ mean_p \S+ brier (\S+) logloss \S+ ece (\S+) profit\s+(\S+)", line)
        if m:
            peers.setdefault(m[1].strip(), []).append([float(m[i]) for i in (2, 3, 4, 5)])
for name, vals in peers.items():
    print(f"{name[:36]:36s} auc {st.mean(v[0] for v in vals):.4f} brier {st.mean(v[1] for v in vals):.4f} ece {st.mean(v[2] for v in vals):.4f} profit {st.mean(v[3] for v in vals):.0f}")
PY
echo "raw results: $results"
