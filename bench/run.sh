#!/usr/bin/env bash
# Whole-process benchmark of the main job, side by side with the PyTorch reference of the same recipe, in one run:
#   churn run (load CSV, prepare, write .npz, train, evaluate, save)  vs  bench/reference/reference_single.py
# Reports wall-time medians and their ratio (hyperfine, interleaved runs), peak RSS of each, and where churn's time goes.
# Needs Debian's python3-numpy and python3-torch (apt-get install -y python3-numpy python3-torch hyperfine).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs="${RUNS:-10}"
# Both sides wait passively for OpenMP work (churn sets this itself): with libgomp's default spin-waiting, a loaded
# machine slows PyTorch's 2-thread training several-fold and the comparison would flatter churn.
export OMP_WAIT_POLICY=PASSIVE
data="data/Audiobooks_data.csv"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

./churn --help >/dev/null   # builds if needed, outside the timings
churn_bin="src/Churn.Host/bin/Release/net10.0/churn"
churn_cmd="$churn_bin run --data $data --out $work/churn --seed 0 --balance first"
ref_cmd="/usr/bin/python3 bench/reference/reference_single.py $data $work/ref"

echo "== wall time, $runs runs each, interleaved (hyperfine)"
hyperfine --warmup 2 --runs "$runs" --style basic --export-json "$work/times.json" \
  -n churn "$churn_cmd" -n reference "$ref_cmd" >/dev/null
/usr/bin/python3 - "$work/times.json" <<'PY'
import json, sys, statistics
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
c, p = statistics.median(r["churn"]["times"]), statistics.median(r["reference"]["times"])
print(f"churn run     median {c:.3f} s  (min {min(r['churn']['times']):.3f}, max {max(r['churn']['times']):.3f})")
print(f"reference     median {p:.3f} s  (min {min(r['reference']['times']):.3f}, max {max(r['reference']['times']):.3f})")
print(f"ratio churn/reference = {c/p:.2f}  (target <= 0.60)")
PY

echo "== peak memory (max RSS over 5 runs each, GNU time)"
peak() { for _ in 1 2 3 4 5; do /usr/bin/time -f "%M" "$@" 2>&1 >/dev/null | tail -1; done | sort -n | tail -1; }
c_kb=$(peak $churn_cmd); p_kb=$(peak $ref_cmd)
echo "churn run     $((c_kb / 1024)) MiB"
echo "reference     $((p_kb / 1024)) MiB"
echo "ratio         $(/usr/bin/python3 -c "print(f'{$c_kb/$p_kb:.2f}')")  (target <= 1.00)"

echo "== where churn's time goes (one run, --verbose stage timings)"
$churn_bin run --data "$data" --out "$work/churn2" --seed 0 --balance first --timings 2>&1 >/dev/null | grep -E "^  (timing|epoch +1 |load|balance|scale|split|write|train|evaluate|save)" || true
