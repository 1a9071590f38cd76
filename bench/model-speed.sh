#!/usr/bin/env bash
# Seconds per training epoch of churn's networks (TorchSharp) against the same networks in PyTorch, side by side, and
# the whole `churn run` process of each. Each round runs, per network, `churn run` (the epoch's own time is the
# "(epoch N ms)" of its progress lines: its batches, the loss and accuracy of the training and validation splits, and
# the copy of improved weights) and then bench/reference/epoch.py on that run's own training and validation splits
# (same rows, batch size, width, depth, embeddings, member count, Adam; one torch thread each).
#   plain: the default network (3 x 50, Adam 1e-3); its epochs until early stopping.
#   plr:   `--network plr`: the 4 members' epochs (the first cycleEpochs), and the distilled network's (one member)
#          against PyTorch's PLR with MEMBERS=1.
# Prints every round, then medians over the rounds of each side's median epoch (the first epoch left out on both
# sides) and their ratio churn / PyTorch (target at most 0.7), and the whole process's wall and CPU seconds.
#   RUNS=3 NETWORKS="plain plr" REF_EPOCHS=8 bash bench/model-speed.sh
# Run it under `nice -n 10` on a shared machine. Needs Debian's python3-numpy and python3-torch.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs="${RUNS:-3}"
networks="${NETWORKS:-plain plr}"
ref_epochs="${REF_EPOCHS:-8}"
work="${WORK:-$(mktemp -d)}"
mkdir -p "$work"
/usr/bin/python3 -c "import numpy, torch" 2>/dev/null || { echo "needs python3-numpy and python3-torch (apt-get install -y python3-numpy python3-torch)" >&2; exit 2; }
[[ -n "${CHURN:-}" ]] || ./churn --help >/dev/null
churn="${CHURN:-src/Churn.Host/bin/Release/net10.0/churn}"
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=1
members=4
cycle=24
: >"$work/results.txt"
median() { /usr/bin/python3 -c "import sys, statistics as st; v=[float(l) for l in sys.stdin if l.strip()]; print(f'{st.median(v):.4f}' if v else 'nan')"; }
for i in $(seq "$runs"); do
  for n in $networks; do
    # Wall and CPU seconds (user + system) of the whole process: on a busy machine the CPU seconds say what an idle one would take.
    /usr/bin/time -f "%e %U %S" -o "$work/time.txt" "$churn" run --network "$n" --seed 0 --out "$work/$n" --no-store >"$work/$n.log" 2>&1 || { cat "$work/$n.log"; exit 1; }
    read -r wall user sys <"$work/time.txt"
    cpu=$(echo "$user + $sys" | bc -l)
    sed -n 's/^ *epoch *\([0-9]*\) .*(epoch \([0-9.]*\) ms)$/\1 \2/p' "$work/$n.log" >"$work/$n.epochs"
    ref_split() { MEMBERS="$1" /usr/bin/python3 bench/reference/epoch.py "$n" "$work/$n" Audiobooks_data "$ref_epochs" | tail -n +2 | median; }
    if [[ $n == plr ]]; then
      churn_epoch=$(awk -v c="$cycle" '$1 > 1 && $1 <= c { print $2 / 1000 }' "$work/$n.epochs" | median)
      churn_distil=$(awk -v c="$cycle" '$1 > c + 1 { print $2 / 1000 }' "$work/$n.epochs" | median)
      ref_epoch=$(ref_split "$members")
      ref_distil=$(ref_split 1)
      echo "plr $wall $cpu $churn_epoch $ref_epoch" >>"$work/results.txt"
      echo "plr-distil - - $churn_distil $ref_distil" >>"$work/results.txt"
      echo "round $i plr: churn run ${wall} s wall, ${cpu} s CPU; s/epoch, $members members: churn $churn_epoch, pytorch $ref_epoch; distilled (1 member): churn $churn_distil, pytorch $ref_distil"
    else
      churn_epoch=$(awk '$1 > 1 { print $2 / 1000 }' "$work/$n.epochs" | median)
      ref_epoch=$(ref_split 1)
      echo "$n $wall $cpu $churn_epoch $ref_epoch" >>"$work/results.txt"
      echo "round $i $n: churn run ${wall} s wall, ${cpu} s CPU ($(wc -l <"$work/$n.epochs") epochs); s/epoch: churn $churn_epoch, pytorch $ref_epoch"
    fi
  done
done
echo
/usr/bin/python3 - "$work/results.txt" <<'EOF'
import sys, statistics as st
rows = [l.split() for l in open(sys.argv[1])]
m = lambda xs: st.median(float(x) for x in xs if x not in ("-", "nan")) if any(x not in ("-", "nan") for x in xs) else float("nan")
print(f"{'network':12} {'churn s/epoch':>13} {'pytorch s/epoch':>15} {'ratio':>6} {'run wall s':>10} {'run CPU s':>9}   (medians of {len(rows) // max(1, len({r[0] for r in rows}))} rounds)")
for name in dict.fromkeys(r[0] for r in rows):
    rs = [r for r in rows if r[0] == name]
    c, p = m([r[3] for r in rs]), m([r[4] for r in rs])
    wall, cpu = m([r[1] for r in rs]), m([r[2] for r in rs])
    fmt = lambda v: "-" if v != v else f"{v:.2f}"
    print(f"{name:12} {c:13.4f} {p:15.4f} {c / p:6.2f} {fmt(wall):>10} {fmt(cpu):>9}")
EOF
