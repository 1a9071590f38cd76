#!/usr/bin/env bash
# Per-epoch time of churn's PLR network (TorchSharp; its members' epochs, before distillation) against the same network
# in PyTorch (bench/reference/plr.py: same members, frequencies, embedding size, width, depth, batch size, schedule and
# rows: churn's own training and validation splits), interleaved, and the whole `churn run --network plr` process
# (members, then distillation). Both use one thread.
#   RUNS=3 bash bench/model-speed.sh
# Needs Debian's python3-numpy and python3-torch.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs="${RUNS:-3}"
work="${WORK:-$(mktemp -d)}"
mkdir -p "$work"
[[ -n "${CHURN:-}" ]] || ./churn --help >/dev/null
churn="${CHURN:-src/Churn.Host/bin/Release/net10.0/churn}"
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=1
for i in $(seq "$runs"); do
  # Wall and CPU seconds of the whole process: on a busy machine the CPU seconds say what an idle one would take.
  /usr/bin/time -f "%e %U %S" -o "$work/time.txt" "$churn" run --network plr --seed 0 --out "$work/run" --no-store --timings >"$work/run.log" 2>&1 || { cat "$work/run.log"; exit 1; }
  read -r wall user sys <"$work/time.txt"
  cpu=$(echo "$user + $sys" | bc -l)
  # Epoch lines end in the cumulative seconds; an epoch's time is the difference (the first epoch is left out).
  churn_epoch=$(sed -n 's/^ *epoch .*| \([0-9.]*\) s$/\1/p' "$work/run.log" | head -n 24 | /usr/bin/python3 -c "import sys, numpy as np; t=[float(l) for l in sys.stdin]; print(f'{np.median(np.diff(t)):.4f}')")
  ref=$(/usr/bin/python3 bench/reference/plr.py time "$work/run" Audiobooks_data)
  echo "run $i: churn run ${wall} s wall, ${cpu} s CPU; churn $churn_epoch s/epoch; pytorch: $ref"
done
