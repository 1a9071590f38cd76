#!/usr/bin/env bash
# Scoring benchmark: in-process throughput once the model is loaded (target >= 1,000,000 customers/s), and the whole
# `churn predict` process on a generated 1,000,000-row file (target < 3 s), medians over repeated runs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rows="${ROWS:-1000000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

./churn run --out "$work/run" --seed 0 >/dev/null 2>&1   # builds if needed, and gives a model to score with
churn_bin="src/Churn.Host/bin/Release/net10.0/churn"

echo "== in-process (churn bench predict)"
"$churn_bin" bench predict --model "$work/run/model" --rows "$rows" --csv "$work/customers.csv"

echo "== whole process: churn predict on $rows rows (hyperfine)"
hyperfine --warmup 1 --runs "${RUNS:-7}" --style basic --export-json "$work/predict.json" \
  "$churn_bin predict --model $work/run/model --input $work/customers.csv --output $work/scores.csv" >/dev/null
/usr/bin/python3 -c "import json,statistics,sys; t=json.load(open(sys.argv[1]))['results'][0]['times']; print(f'median {statistics.median(t):.3f} s (min {min(t):.3f}, max {max(t):.3f}); target < 3 s')" "$work/predict.json"
echo "rows scored: $(($(wc -l < "$work/scores.csv") - 1))"
