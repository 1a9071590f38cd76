#!/usr/bin/env bash
# Start-up and the main job, side by side with the PyTorch reference of the same recipe, in one run:
#   churn run --balance first --seed 0 (--timings)  vs  bench/reference/reference_single.py
# Interleaved rounds; reports medians of the whole process's wall time and processor time (user + system, all
# threads: on a busy machine it says more than wall time, and on 2 cores a job's wall time cannot fall below half of
# it), their ratios to the reference, and from churn's --timings the start-up phases up to the first stage. The side
# "churn-skip" is the same build with --skip-explain (no explain stage, no explain.png), which the reference does not
# do either.
#   RUNS=10 bench/startup.sh                      # this tree's build
#   BASE=/path/to/other/checkout bench/startup.sh # also that checkout's build, in the same rounds (before/after)
# Needs Debian's python3-numpy and python3-torch (apt-get install -y python3-numpy python3-torch).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs="${RUNS:-10}"
# As bench/run.sh: both sides wait passively for OpenMP work, so a loaded machine does not flatter churn.
export OMP_WAIT_POLICY=PASSIVE
data="$PWD/data/Audiobooks_data.csv"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if ! /usr/bin/python3 -c 'import numpy, torch' 2>/dev/null; then
  echo "startup.sh: needs Debian's python3-numpy and python3-torch: apt-get install -y python3-numpy python3-torch" >&2
  exit 1
fi

./churn --help >/dev/null   # builds if needed, outside the timings
sides=(churn churn-skip)
declare -A bin=([churn]="$PWD/src/Churn.Host/bin/Release/net10.0/churn" [churn-skip]="$PWD/src/Churn.Host/bin/Release/net10.0/churn")
declare -A extra=([churn]="" [churn-skip]="--skip-explain")
if [[ -n "${BASE:-}" ]]; then
  sides+=(base)
  bin[base]="$BASE/src/Churn.Host/bin/Release/net10.0/churn"
  extra[base]=""
  [[ -x "${bin[base]}" ]] || { echo "startup.sh: no build at ${bin[base]}" >&2; exit 1; }
fi
sides+=(reference)

now() { date +%s%N; }
# One warm-up of each, so that every timed run finds the files in the page cache.
for side in "${sides[@]}"; do
  if [[ $side == reference ]]; then /usr/bin/python3 bench/reference/reference_single.py "$data" "$work/ref" >/dev/null
  else "${bin[$side]}" run --data "$data" --out "$work/$side" --seed 0 --balance first --store "$work/$side.db" >/dev/null 2>&1; fi
done

TIMEFORMAT='%U %S'
for ((i = 1; i <= runs; i++)); do
  for side in "${sides[@]}"; do
    start=$(now)
    if [[ $side == reference ]]; then
      cpu=$( { time /usr/bin/python3 bench/reference/reference_single.py "$data" "$work/ref" >/dev/null; } 2>&1 )
      echo "$side $(( ($(now) - start) / 1000000 )) $cpu" >>"$work/wall"
    else
      # shellcheck disable=SC2086 # extra holds zero or one flag
      cpu=$( { time "${bin[$side]}" run --data "$data" --out "$work/$side" --seed 0 --balance first --store "$work/$side.db" --timings ${extra[$side]} >/dev/null 2>"$work/err"; } 2>&1 )
      echo "$side $(( ($(now) - start) / 1000000 )) $cpu" >>"$work/wall"
      grep -E "timing" "$work/err" | sed "s/^/$side /" >>"$work/timings" || true
    fi
  done
done

/usr/bin/python3 - "$work/wall" "$work/timings" "$runs" <<'PY'
import re, statistics, sys
wall, cpu, timings = {}, {}, {}
for line in open(sys.argv[1]):
    side, ms, user, system = line.split()
    wall.setdefault(side, []).append(int(ms)); cpu.setdefault(side, []).append(round((float(user) + float(system)) * 1000))
for line in open(sys.argv[2]):
    side, rest = line.split(" ", 1)
    m = re.match(r"\s*timing\s+(.*?)(?: \(processor time so far (\d+) ms\))?: (\d+) ms", rest)
    if m:
        t = timings.setdefault(side, {})
        t.setdefault(m.group(1), []).append(int(m.group(3)))
        if m.group(2): t.setdefault("processor time by the first stage", []).append(int(m.group(2)))
med = lambda xs: statistics.median(xs)
print(f"== {sys.argv[3]} interleaved rounds; medians (min..max) in ms")
print(f"{'':34s}" + "".join(f"{s:>22s}" for s in wall))
print(f"{'whole process, wall':34s}" + "".join(f"{med(v):>8.0f} ({min(v)}..{max(v)})".rjust(22) for v in wall.values()))
ref = med(wall["reference"])
print(f"{'ratio to the reference':34s}" + "".join(f"{med(v) / ref:>22.2f}" for v in wall.values()))
print(f"{'whole process, processor time':34s}" + "".join(f"{med(cpu[s]):>8.0f} ({min(cpu[s])}..{max(cpu[s])})".rjust(22) for s in wall))
refcpu = med(cpu["reference"])
print(f"{'processor time ratio':34s}" + "".join(f"{med(cpu[s]) / refcpu:>22.2f}" for s in wall))
for key in ["process start to main", "main to the verb (the command line defined and parsed)", "configuration read and the run resolved",
            "run store opened", "host built", "host and actor system start", "process start to first stage", "processor time by the first stage", "pipeline"]:
    row = [f"{med(timings[s][key]):.0f}" if s in timings and key in timings[s] else "" for s in wall]
    if any(row): print(f"{key:34s}" + "".join(f"{r:>22s}" for r in row))
PY
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
