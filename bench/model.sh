#!/usr/bin/env bash
# churn's default network (PLR) and the notebook's recipe (--network plain) against HistGradientBoosting, with its
# defaults and with learning rate x leaves picked on validation rows, on the same stratified 80/20 splits of the
# bundled customers, in their natural mix. churn trains on the 80 % (train.csv; its own split takes validation rows for
# the best epoch and the calibration from there) and scores the 20 % it never saw with `churn predict`.
#   SEEDS="0 1 2 3 4" MODELS="plr plain" bash bench/model.sh
# Prints mean and per-split ROC AUC, Brier, calibration error, campaign profit and training seconds (churn: the
# train stage of `churn run --timings`). Needs Debian's python3-numpy and python3-sklearn.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seeds="${SEEDS:-0 1 2 3 4}"
models="${MODELS:-plr plain}"
data="data/Audiobooks_data.csv"
work="${WORK:-$(mktemp -d)}"
mkdir -p "$work"
[[ -n "${CHURN:-}" ]] || ./churn --help >/dev/null
churn="${CHURN:-src/Churn.Host/bin/Release/net10.0/churn}"
py=/usr/bin/python3
# One thread each: OpenMP's spin-waiting makes scikit-learn and torch many times slower on a busy machine.
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE
results="$work/results.jsonl"
: >"$results"
for s in $seeds; do
  split="$work/$s"
  $py bench/reference/model_bench.py split "$data" "$s" "$split"
  $py bench/reference/model_bench.py hgb "$split" | tee -a "$results"
  for m in $models; do
    out="$split/$m"
    "$churn" run --data "$split/train.csv" --seed "$s" --network "$m" --out "$out" --no-store --timings >"$out.log" 2>&1 || { cat "$out.log"; exit 1; }
    ms=$(sed -n 's/^ *train .*(\([0-9]*\) ms)$/\1/p' "$out.log")
    "$churn" predict --model "$out/model" --input "$split/score.csv" --output "$out/scores.csv" >>"$out.log" 2>&1
    $py bench/reference/model_bench.py churn "$split" "churn $m" "$out/scores.csv" "$(echo "$ms / 1000" | bc -l)" | tee -a "$results"
  done
done
echo
$py bench/reference/model_bench.py table "$results"
