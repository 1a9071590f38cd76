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
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
runs="${RUNS:-10}"
data="$PWD/data/Audiobooks_data.csv"
work="$(mktemp -d)"
host_pid=""
cleanup() {
  if [[ -n "$host_pid" ]]; then kill -TERM "$host_pid" 2>/dev/null || true; wait "$host_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

./churn --help >/dev/null   # builds if needed, outside the timings
churn="$PWD/src/Churn.Host/bin/Release/net10.0/churn"
port="$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:$port"
# the host reads only under host.dataRoots and writes only under host.outputRoot: the data's folder and the work folder
printf '{"logs": "%s/logs", "host": {"outputRoot": "%s", "dataRoots": ["%s"]}}\n' "$work" "$work" "$(dirname "$data")" > "$work/host.json"

(cd "$work" && exec "$churn" host --port "$port" --store "$work/runs.db" --config "$work/host.json" >"$work/host.out" 2>"$work/host.err") &
host_pid=$!
for _ in $(seq 1 100); do curl -sf "$url/health" >/dev/null && break; sleep 0.2; done
curl -sf "$url/health" >/dev/null || { echo "host did not start:"; cat "$work/host.err"; exit 1; }

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
