#!/usr/bin/env bash
# Overhead of the host: the same run (the main job on the bundled data, seed 0, first balance) sent to a warm
# `churn host` with `churn run --host`, against the same run in-process with `churn run`. Runs are interleaved
# (embedded, remote, embedded, ...) so that load on a shared machine hits both alike.
# Reports medians of:
#   embedded wall      the whole `churn run` process (start, actor system, libtorch load, pipeline, shutdown)
#   embedded pipeline  the in-process pipeline alone (its --timings "pipeline" line): the run's in-process time
#   remote wall        the whole `churn run --host` process: start, POST, follow the event stream, summary
#   host run           started -> finished inside the host, from the run store (via GET /runs/{id})
# and the ratios remote wall / embedded pipeline (target <= 1.10) and remote wall / embedded wall.
#
# OMP_WAIT_POLICY defaults to PASSIVE here, for both sides: on a shared, oversubscribed machine libtorch's OpenMP
# workers spin-wait at every parallel region and a 1-second training takes 10 to 20 seconds, which drowns the
# difference being measured. Run with OMP_WAIT_POLICY=ACTIVE to see libgomp's default.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
runs="${RUNS:-10}"
data="$PWD/data/Audiobooks_data.csv"
work="$(mktemp -d)"
trap 'stop_host; rm -rf "$work"' EXIT

bench_churn
bench_host "$work" "$data"

args=(run --data "$data" --seed 0 --balance first)
now() { /usr/bin/python3 -c 'import time; print(time.monotonic())'; }

echo "== warming up: one run each way"
"$churn" "${args[@]}" --out "$work/warm-embedded" >/dev/null 2>&1
"$churn" "${args[@]}" --out "$work/warm-remote" --host "$url" >/dev/null 2>"$work/warm-remote.err" \
  || { echo "the host refused or failed the run:"; cat "$work/warm-remote.err"; exit 1; }

echo "== $runs interleaved runs each (OMP_WAIT_POLICY=$OMP_WAIT_POLICY, load average $(cut -d' ' -f1-3 /proc/loadavg))"
: > "$work/times.tsv"
for i in $(seq 1 "$runs"); do
  t0=$(now)
  pipeline_ms=$("$churn" "${args[@]}" --out "$work/embedded-$i" --timings 2>&1 >/dev/null | sed -n 's/^  timing    pipeline: \([0-9]*\) ms$/\1/p')
  t1=$(now)
  id=$("$churn" "${args[@]}" --out "$work/remote-$i" --host "$url" 2>&1 >/dev/null | sed -n 's/^churn run: run \([^ ]*\) .*/\1/p')
  t2=$(now)
  host_ms=$(curl -sf "$url/runs/$id" | /usr/bin/python3 -c '
import json, sys, datetime
r = json.load(sys.stdin)
assert r["status"] == "succeeded", r["status"]
t = lambda s: datetime.datetime.fromisoformat(s)
print(round((t(r["finishedAt"]) - t(r["startedAt"])).total_seconds() * 1000))')
  printf '%s\t%s\t%s\t%s\n' "$(/usr/bin/python3 -c "print(round(($t1 - $t0) * 1000))")" "$pipeline_ms" \
    "$(/usr/bin/python3 -c "print(round(($t2 - $t1) * 1000))")" "$host_ms" >> "$work/times.tsv"
  echo "  run $i: $(tail -1 "$work/times.tsv" | awk -F'\t' '{printf "embedded wall %s ms, pipeline %s ms | remote wall %s ms, host run %s ms", $1, $2, $3, $4}')"
done

/usr/bin/python3 - "$work/times.tsv" <<'PY'
import statistics, sys
rows = [list(map(int, l.split("\t"))) for l in open(sys.argv[1]) if l.strip()]
cols = list(zip(*rows))
names = ["embedded wall", "embedded pipeline", "remote wall", "host run"]
med = {n: statistics.median(c) for n, c in zip(names, cols)}
print("== medians")
for n in names:
    print(f"{n:<18} {med[n]:8.0f} ms   (min {min(cols[names.index(n)])}, max {max(cols[names.index(n)])})")
print(f"ratio remote wall / embedded pipeline = {med['remote wall'] / med['embedded pipeline']:.2f}  (target <= 1.10)")
print(f"ratio remote wall / embedded wall     = {med['remote wall'] / med['embedded wall']:.2f}")
print(f"ratio host run / embedded pipeline    = {med['host run'] / med['embedded pipeline']:.2f}")
PY
