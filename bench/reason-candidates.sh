#!/usr/bin/env bash
# How fast reasons were chosen: candidate approximations of the exact Shapley reasons (a step table, the linear table
# the host uses, the table split at 0 minutes listened, a small network trained on exact values) fitted on the 400
# customers saved with the default model and on 200 to 4,000 bundled customers, measured against the exact reasons of
# the bundled customers none of them used (bench/reference/reason_candidates.py). The product's own table is measured
# by `churn bench reasons` (bench/score-host.sh). Explains all 14,084 bundled customers exactly: about 50 CPU-seconds.
# Needs Debian's python3-numpy and python3-sklearn (installed with apt-get when missing).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python=/usr/bin/python3
if ! "$python" -c "import numpy, sklearn" 2>/dev/null; then
  apt-get install -y -qq python3-numpy python3-sklearn >/dev/null
fi
./churn run --out "$work/run" --seed 0 >/dev/null 2>&1   # builds if needed; the default model, with its saved customers
churn_bin="src/Churn.Host/bin/Release/net10.0/churn"
# The saved customers back in their own units, as a customer file.
"$python" - "$work/run/model/model.json" > "$work/saved.csv" <<'PY'
import json, math, sys
m = json.load(open(sys.argv[1])); s = m["scaler"]; names = s["featureNames"]
print("customer_id," + ",".join(names))
for i, row in enumerate(m["background"]["rows"]):
    values = []
    for j, z in enumerate(row):
        v = s["means"][j] + s["stds"][j] * z
        values.append(repr(round(math.expm1(v) if names[j] in s["logFeatures"] else v, 9)))
    print(f"{i + 1}," + ",".join(values))
PY
"$churn_bin" explain --model "$work/run/model" --input data/Audiobooks_data.csv --output "$work/all.csv" >/dev/null
"$churn_bin" explain --model "$work/run/model" --input "$work/saved.csv" --output "$work/saved-explained.csv" >/dev/null
"$python" bench/reference/reason_candidates.py "$work/run/model/model.json" "$work/all.csv" "$work/saved-explained.csv"
