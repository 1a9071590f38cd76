#!/usr/bin/env bash
# Calibration and campaign on customers the model never saw, in the natural mix, over several splits.
# For each seed s: bench/reference/population.py splits the bundled customers at random into 80 % to train on and 20 %
# to score (and prints the peers' figures on that split); churn run trains on the 80 % with each balancing, churn target
# plans the campaign for the 20 %, and bench/reference/holdout.py scores the plan against their real outcomes, beside
# the run's own population estimate (metrics.json) of the same figures.
#   SEEDS="1 2 3" VARIANTS="default random none+log" bash bench/population.sh
# Needs Debian's python3-numpy, python3-sklearn and python3-torch.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh
seeds="${SEEDS:-1 2 3 4 5}"
variants="${VARIANTS:-default random none weighted first random+log}"
data="data/Audiobooks_data.csv"
work="${WORK:-$(mktemp -d)}"
bench_churn
mkdir -p "$work"
results="$work/results.jsonl"
: >"$results"
for s in $seeds; do
  population_split "$data" "$s" "$work/$s"
  for v in $variants; do
    # "default" passes no flags (the shipped config: the natural mix, logFeatures auto); the others name both choices.
    flags=()
    if [[ "$v" != default ]]; then
      flags=(--balance "${v%%+*}" --log-features none)
      [[ "$v" == *+log ]] && flags[3]=skewed
    fi
    out="$work/$s/$v"
    "$churn" run --data "$work/$s/train.csv" --seed "$s" --out "$out" --no-store ${flags[@]+"${flags[@]}"} >/dev/null 2>"$out.log" || { cat "$out.log"; exit 1; }
    "$churn" target --model "$out/model" --input "$work/$s/score.csv" --output "$out/contacts.csv" --json >"$out/plan.json" 2>>"$out.log"
    "$churn" predict --model "$out/model" --input "$work/$s/score.csv" --output "$out/scores.csv" 2>>"$out.log"
    holdout_row "$s" "$v" "$work/$s/answers.csv" "$out/contacts.csv" "$out/metrics.json" "$out/scores.csv" "$out/model/model.json" >>"$results"
  done
done
/usr/bin/python3 - "$results" <<'PY'
import json, sys, statistics as st
rows = [json.loads(l) for l in open(sys.argv[1])]
keys = ["auc", "brier", "ece", "mean_p", "rate", "profit", "profit_share_of_best", "expected_buyers_contacted", "buyers_contacted",
        "uncalibrated_brier", "prior_brier", "platt_brier", "uncalibrated_ece", "prior_ece", "platt_ece"]
print(f"\n== on the held-out 20 % (true outcomes), mean over splits {sorted({r['seed'] for r in rows})}")
for group in (keys[:9], keys[9:]):
    print(f"{'variant':12s} " + " ".join(f"{k[:14]:>14s}" for k in group))
    for v in dict.fromkeys(r["variant"] for r in rows):
        rs = [r for r in rows if r["variant"] == v]
        print(f"{v:12s} " + " ".join(f"{st.mean(r[k] for r in rs):14.4f}" for k in group))
    print()
print("worst split per variant (min AUC, max Brier, max ECE, max |mean_p - rate|, min profit, min share of best, max |expected/actual - 1| of buyers contacted)")
for v in dict.fromkeys(r["variant"] for r in rows):
    rs = [r for r in rows if r["variant"] == v]
    print(f"{v:12s} {min(r['auc'] for r in rs):.4f} {max(r['brier'] for r in rs):.4f} {max(r['ece'] for r in rs):.4f} "
          f"{max(abs(r['mean_p'] - r['rate']) for r in rs):.4f} {min(r['profit'] for r in rs):.0f} {min(r['profit_share_of_best'] for r in rs):.3f} "
          f"{max(abs(r['expected_buyers_contacted'] / r['buyers_contacted'] - 1) for r in rs):.3f}")
print("\n== the run's own population estimate (metrics.json) against the true hold-out, mean |difference| and mean signed")
for k, e in [("auc", "est_auc"), ("brier", "est_brier"), ("ece", "est_ece"), ("mean_p", "est_mean_p"), ("profit_per_1000", "est_profit_per_1000")]:
    d = [r[e] - r[k] for r in rows]
    print(f"  {k:16s} mean |est - true| {st.mean(abs(x) for x in d):.4f}   mean est - true {st.mean(d):+.4f}")
PY
echo "raw results: $results"
