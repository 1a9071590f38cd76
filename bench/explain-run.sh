#!/usr/bin/env bash
# What a run's explanations cost (see bench/README.md): a default `churn run --timings` repeated RUNS times (default
# 5), reporting the medians of its evaluate, explain and save stages (save now also draws explain.png) and of the
# whole pipeline. With REFERENCE=/path/to/churn (a build from before explanations) the runs alternate between the two
# builds, so both see the same load on the machine, and the medians are printed side by side.
# Needs only what the build needs and Debian's python3 (for the medians).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs="${RUNS:-5}"
reference="${REFERENCE:-}"
./churn --help >/dev/null   # builds if needed, outside the timings
churn="$PWD/src/Churn.Host/bin/Release/net10.0/churn"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

one() {   # binary name -> appends "name stage ms" lines
  "$1" run --data data/Audiobooks_data.csv --out "$work/out-$2" --no-store --timings 2>&1 >/dev/null \
    | sed -nE "s/^  (evaluate|explain|save) .*\(([0-9]+) ms\)$/$2 \1 \2/p; s/^  timing    pipeline: ([0-9]+) ms$/$2 pipeline \1/p" >>"$work/times"
}

for _ in $(seq 1 "$runs"); do
  one "$churn" explained
  if [[ -n "$reference" ]]; then one "$reference" reference; fi
done

/usr/bin/python3 - "$work/times" "$runs" <<'PY'
import sys, statistics, collections
t = collections.defaultdict(list)
for line in open(sys.argv[1]):
    build, stage, ms = line.split()
    t[(build, stage)].append(int(ms))
builds = [b for b in ("explained", "reference") if any(k[0] == b for k in t)]
print(f"median ms over {sys.argv[2]} runs (default churn run, interleaved)")
print(f"{'stage':<10}" + "".join(f"{b:>12}" for b in builds))
for stage in ("evaluate", "explain", "save", "pipeline"):
    row = [statistics.median(t[(b, stage)]) if t[(b, stage)] else None for b in builds]
    print(f"{stage:<10}" + "".join(f"{'-' if v is None else int(v):>12}" for v in row))
PY
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
