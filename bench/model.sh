#!/usr/bin/env bash
# churn's PLR network and the notebook's recipe (the default) (--network plain) against HistGradientBoosting, with its
# defaults and with learning rate x leaves picked on validation rows, on the same stratified 80/20 splits of the
# bundled customers, in their natural mix. churn trains on the 80 % (train.csv; its own split takes validation rows for
# the best epoch and the calibration from there) and scores the 20 % it never saw with `churn predict`.
#   SEEDS="0 1 2 3 4" HELDOUT=5 MODELS="plr plr-members plain" bash bench/model.sh
# Models: plain, plr (as shipped: the members distilled into one network, model.distilEpochs 24), plr-members (the
# members averaged, no distillation: model.distilEpochs 0), plain-quantile and plr-quantile (the same with
# model.transform quantile: inputs mapped to normal scores fitted on the training rows), plr-quantile-members,
# plr-small (2 members, a 16-epoch cycle, 12 distillation epochs: about 40 % of plr's training), plr-8 (8 members) and
# plain-cycle (the plain network on the one-cycle schedule: model.schedule oneCycle, 40 epochs up to 0.003). HELDOUT (default 5, empty: none) is one more split, never
# part of the means: trained and scored the same way and printed in a table of its own, so a recipe picked on the
# benchmark's splits is checked on customers it was not picked on. Prints mean and per-split ROC AUC, Brier, calibration error, campaign profit and training seconds
# (churn: the train stage of `churn run --timings`), and each churn model's scoring speed on the split's customers is
# left to bench/predict.sh. Needs Debian's python3-numpy and python3-sklearn.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh
seeds="${SEEDS:-0 1 2 3 4}"
models="${MODELS:-plr plr-members plain}"
heldout="${HELDOUT-5}"
data="data/Audiobooks_data.csv"
work="${WORK:-$(mktemp -d)}"
mkdir -p "$work"
bench_churn
py=/usr/bin/python3
# One thread each: OpenMP's spin-waiting makes scikit-learn and torch many times slower on a busy machine.
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE
echo '{"model": {"distilEpochs": 0}}' >"$work/members.json"
echo '{"model": {"transform": "quantile"}}' >"$work/quantile.json"
echo '{"model": {"transform": "quantile", "distilEpochs": 0}}' >"$work/quantile-members.json"
echo '{"model": {"members": 2, "cycleEpochs": 16, "distilEpochs": 12}}' >"$work/small.json"
echo '{"model": {"members": 8}}' >"$work/eight.json"
echo '{"model": {"schedule": "oneCycle", "cycleEpochs": 40, "peakLearningRate": 0.003}}' >"$work/cycle.json"
bench_split() { # seed, results file
  local s="$1" results="$2" split="$work/$1"
  $py bench/reference/model_bench.py split "$data" "$s" "$split"
  $py bench/reference/model_bench.py hgb "$split" | tee -a "$results"
  for m in $models; do
    out="$split/$m"
    case "$m" in
      plr-members) args=(--network plr --config "$work/members.json") ;;
      plr-quantile) args=(--network plr --config "$work/quantile.json") ;;
      plr-quantile-members) args=(--network plr --config "$work/quantile-members.json") ;;
      plain-quantile) args=(--network plain --config "$work/quantile.json") ;;
      plr-small) args=(--network plr --config "$work/small.json") ;;
      plr-8) args=(--network plr --config "$work/eight.json") ;;
      plain-cycle) args=(--network plain --config "$work/cycle.json") ;;
      *) args=(--network "$m") ;;
    esac
    "$churn" run --data "$split/train.csv" --seed "$s" "${args[@]}" --out "$out" --no-store --timings >"$out.log" 2>&1 || { cat "$out.log"; exit 1; }
    ms=$(sed -n 's/^ *train .*(\([0-9]*\) ms)$/\1/p' "$out.log")
    "$churn" predict --model "$out/model" --input "$split/score.csv" --output "$out/scores.csv" >>"$out.log" 2>&1
    $py bench/reference/model_bench.py churn "$split" "churn $m" "$out/scores.csv" "$(echo "$ms / 1000" | bc -l)" | tee -a "$results"
  done
}
results="$work/results.jsonl"
: >"$results"
for s in $seeds; do
  bench_split "$s" "$results"
done
if [[ -n "$heldout" ]]; then
  : >"$work/heldout.jsonl"
  bench_split "$heldout" "$work/heldout.jsonl"
fi
echo
echo "== the benchmark's splits (seeds $seeds)"
$py bench/reference/model_bench.py table "$results"
if [[ -n "$heldout" ]]; then
  echo
  echo "== held-out split (seed $heldout; not in the means above; bars: ROC AUC >= 0.918, Brier <= 0.0650, ECE <= 0.013, profit >= 2,170)"
  $py bench/reference/model_bench.py table "$work/heldout.jsonl"
fi
