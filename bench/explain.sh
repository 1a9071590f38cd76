#!/usr/bin/env bash
# Explanation benchmark. (1) `churn explain` against Python shap's exact explainer (shap.explainers.Exact) on the same
# network (weights exported), the same background and the same customers: medians of interleaved repeats and their
# ratio (target >= 10x), plus the largest difference between the two explanations. (2) The whole `churn explain`
# process on all 14,084 bundled customers with the default model and background (target <= 60 s on 2 cores).
# (3) How far the contributions move when the background doubles (100 -> 200 -> 400 customers).
# Needs Debian's python3-numpy, python3-scipy, python3-sklearn, python3-pandas, python3-numba (installed with apt-get
# when missing) and shap: `pip install shap` where PyPI is reachable, or SHAP_SRC=DIR, a folder holding shap's and
# slicer's source packages (shap 0.45.1 runs from source without its C extension, which the exact explainer does not use).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
customers="${CUSTOMERS:-200}"
background="${BACKGROUND:-100}"
repeats="${REPEATS:-5}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python=/usr/bin/python3
if ! "$python" -c "import numpy, scipy, sklearn, pandas, numba" 2>/dev/null; then
  apt-get install -y -qq python3-numpy python3-scipy python3-sklearn python3-pandas python3-numba python3-tqdm python3-cloudpickle python3-packaging >/dev/null
fi
if [[ -n "${SHAP_SRC:-}" ]]; then export PYTHONPATH="$SHAP_SRC${PYTHONPATH:+:$PYTHONPATH}"; fi
if ! "$python" -c "import shap" 2>/dev/null; then
  "$python" -m pip install --break-system-packages -q shap || { echo "shap is missing: pip install shap, or set SHAP_SRC" >&2; exit 1; }
fi

./churn run --out "$work/run" --seed 0 >/dev/null 2>&1   # builds if needed; the default model, with its background
churn_bin="src/Churn.Host/bin/Release/net10.0/churn"
data=data/Audiobooks_data.csv
head -n "$customers" "$data" > "$work/customers.csv"
"$churn_bin" bench explain-export --model "$work/run/model" --input "$work/customers.csv" --customers "$customers" \
  --background-size "$background" --out "$work/export.json"

now() { date +%s.%N; }
echo "== $customers customers, background of $background: churn explain (whole process) vs shap.explainers.Exact (explain call only), $repeats interleaved repeats"
: > "$work/churn.times"; : > "$work/shap.times"
for _ in $(seq "$repeats"); do
  start=$(now)
  "$churn_bin" explain --model "$work/run/model" --input "$work/customers.csv" --background-size "$background" --output "$work/churn.csv" 2>/dev/null
  echo "$(now) - $start" | bc >> "$work/churn.times"
  "$python" bench/reference/explain_shap.py "$work/export.json" 1 "$work/churn.csv" > "$work/shap.out" 2>/dev/null
  awk '/shap_seconds/ {print $2}' "$work/shap.out" >> "$work/shap.times"
done
"$python" - "$work/churn.times" "$work/shap.times" "$customers" <<'PY'
import statistics, sys
churn = [float(x) for x in open(sys.argv[1])]; shap = [float(x) for x in open(sys.argv[2])]; n = int(sys.argv[3])
c, s = statistics.median(churn), statistics.median(shap)
print(f"churn explain {c:.3f} s ({1000 * c / n:.1f} ms per customer, process start and model load included)")
print(f"shap Exact    {s:.3f} s ({1000 * s / n:.1f} ms per customer)")
print(f"ratio         {s / c:.1f}x (target >= 10x)")
PY
grep -E "max_abs_difference|mean_abs_contribution" "$work/shap.out"

echo "== whole process: churn explain on all $(($(wc -l < "$data"))) bundled customers, default background ($repeats repeats)"
: > "$work/all.times"
for _ in $(seq "$repeats"); do
  # Wall time and CPU time (user + system): on a shared machine the second says what the process needs.
  /usr/bin/time -f "%e %U %S" -a -o "$work/all.times" "$churn_bin" explain --model "$work/run/model" --input "$data" --output "$work/all.csv" 2>/dev/null
done
"$python" -c "
import statistics, sys
t = [[float(v) for v in line.split()] for line in open(sys.argv[1]) if line.strip()]
wall = [x[0] for x in t]; cpu = [x[1] + x[2] for x in t]
print(f'median {statistics.median(wall):.1f} s wall (min {min(wall):.1f}, max {max(wall):.1f}), {statistics.median(cpu):.1f} CPU-s; target <= 60 s')" "$work/all.times"
uptime

echo "== how far contributions move when the background doubles (first 2,000 customers)"
head -n 2000 "$data" > "$work/sample.csv"
for b in 100 200 400; do
  "$churn_bin" explain --model "$work/run/model" --input "$work/sample.csv" --background-size "$b" --output "$work/b$b.csv" 2>/dev/null
done
"$python" - "$work" <<'PY'
import csv, sys
import numpy as np
def load(b):
    rows = list(csv.DictReader(open(f"{sys.argv[1]}/b{b}.csv")))
    names = [k for k in rows[0] if k.endswith("_log_odds") and k not in ("log_odds", "base_log_odds")]
    return np.array([[float(r[n]) for n in names] for r in rows]), np.array([float(r["base_log_odds"]) for r in rows[:1]])
(a, ba), (b, bb), (c, bc) = load(100), load(200), load(400)
scale = np.abs(c).mean()
for (x, bx, lx), (y, by, ly) in [((a, ba, 100), (b, bb, 200)), ((b, bb, 200), (c, bc, 400))]:
    d = np.abs(x - y)
    top = (np.argmax(np.abs(x), axis=1) == np.argmax(np.abs(y), axis=1)).mean()
    print(f"B {lx} -> {ly}: contributions move {d.mean():.4f} on average ({d.mean() / scale:.1%} of the mean |contribution| {scale:.3f}), "
          f"95th percentile {np.percentile(d, 95):.4f}; base log-odds {bx[0]:.3f} -> {by[0]:.3f}; same first reason for {top:.1%} of customers")
PY
