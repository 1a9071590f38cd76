#!/usr/bin/env bash
# Cluster benchmarks, all in one run (see bench/README.md, "Searches across machines"):
#   1. the same search (TRIALS configurations x SEEDS seeds of the default space, seed 5) in one process at
#      --parallel 2, and on a host with no trial slots of its own plus two one-slot workers on this machine, in
#      interleaved rounds: medians of the searches' own elapsed time, their ratio, and whether every leaderboard.csv
#      is byte for byte the one-process one
#   2. dispatch overhead per trial, measured per trial from the stores: the coordinator's span of a trial (its clock,
#      from placing it to recording its end) minus the trial's own wall time (the training node's clock), cluster
#      against one process, medians over every trial of every round; and, for comparison, the estimate from the
#      searches' elapsed times ((cluster - one process) x 2 slots / trials), which carries all the noise of the machine
#   3. coordinator throughput: `churn bench coordinator` with trials that do no work, over many nodes and slots,
#      without a journal and with the SQLite run store
# Options by environment: RUNS (rounds, default 3), TRIALS and SEEDS (default 8 x 2), COORDINATOR_TRIALS (default 5000).
# Everything listens on loopback only.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh
root="$PWD"
runs="${RUNS:-3}"
trials="${TRIALS:-8}"
seeds="${SEEDS:-2}"
bench_churn
work="$(mktemp -d)"
pids=()
cleanup() {
  status=$?
  if (( status != 0 )); then
    # the work folder goes with the trap: show what the failed step said before it does
    echo "bench/cluster.sh failed (exit $status); the last lines of each log:" >&2
    for f in "$work"/*.log "$work"/*.err; do [[ -s "$f" ]] && { echo "--- $(basename "$f")" >&2; tail -n 20 "$f" >&2; }; done
  fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

echo "{\"trials\": $trials, \"seeds\": $seeds}" > space.json
echo "{\"host\": {\"trialSlots\": 0, \"outputRoot\": \"$work\"}, \"logs\": \"$work/logs\"}" > host.json
echo "{\"logs\": \"$work/worker-logs\"}" > worker.json
http="$(free_port)"
cluster_port="$(free_port)"
"$churn" host --port "$http" --cluster-port "$cluster_port" --store "$work/runs.db" --config host.json > host.log 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$http/health" >/dev/null && break; sleep 0.2; done
for i in 1 2; do
  "$churn" worker --join "127.0.0.1:$cluster_port" --slots 1 --config worker.json > "worker$i.log" 2>&1 &
  pids+=($!)
done
for _ in $(seq 1 150); do
  n="$(curl -sf "http://127.0.0.1:$http/cluster" | /usr/bin/python3 -c 'import json, sys; print(len(json.load(sys.stdin)["nodes"]))' || echo 0)"
  [[ "$n" == "2" ]] && break
  sleep 0.2
done
[[ "$n" == "2" ]] || { echo "the workers did not join"; cat host.log worker1.log worker2.log; exit 1; }

echo "== 1. $trials configurations x $seeds seeds of the default space, seed 5, $runs interleaved rounds ($(nproc) cores)"
echo "   local = churn search --parallel 2; cluster = churn search --host (host with 0 slots + 2 workers x 1 slot)"
: > times.txt
for round in $(seq 1 "$runs"); do
  variants="local cluster"; if (( round % 2 == 0 )); then variants="cluster local"; fi
  for v in $variants; do
    start=$(date +%s.%N)
    if [[ "$v" == local ]]; then
      "$churn" search --space space.json --seed 5 --parallel 2 --store "$work/local.db" --out "$work/$v$round" >/dev/null 2>"$v$round.err"
    else
      "$churn" search --host "http://127.0.0.1:$http" --space space.json --seed 5 --out "$work/$v$round" >/dev/null 2>"$v$round.err"
    fi
    end=$(date +%s.%N)
    echo "$v $round $start $end" >> times.txt
  done
done

/usr/bin/python3 - "$work" "$runs" <<'PY'
import json, statistics, sys, pathlib
work, runs = pathlib.Path(sys.argv[1]), int(sys.argv[2])
reference = (work / "local1" / "leaderboard.csv").read_bytes()
rows = {"local": [], "cluster": []}
for line in (work / "times.txt").read_text().split("\n"):
    if not line:
        continue
    v, r, start, end = line.split()
    s = json.load(open(work / f"{v}{r}" / "search.json"))
    same = (work / f"{v}{r}" / "leaderboard.csv").read_bytes() == reference
    nodes = sorted({t["node"] for t in s["trialNodes"]})
    rows[v].append((s["elapsedSeconds"], float(end) - float(start), s["trialWallSeconds"], s["trials"], same, nodes))
    print(f'   {v:7} round {r}: search {s["elapsedSeconds"]:6.2f} s, command {float(end) - float(start):6.2f} s, '
          f'trial wall {s["trialWallSeconds"]:6.2f} s, leaderboard {"identical" if same else "DIFFERENT"}, nodes {", ".join(nodes)}')
local = statistics.median(r[0] for r in rows["local"])
cluster = statistics.median(r[0] for r in rows["cluster"])
local_cmd = statistics.median(r[1] for r in rows["local"])
cluster_cmd = statistics.median(r[1] for r in rows["cluster"])
print(f"   medians: local {local:.2f} s, cluster {cluster:.2f} s: ratio cluster/local {cluster / local:.3f} "
      f"(commands {local_cmd:.2f} s and {cluster_cmd:.2f} s: {cluster_cmd / local_cmd:.3f})")
print(f"   every leaderboard identical to the first one-process run: {all(r[4] for v in rows.values() for r in v)}")
trials = rows["local"][0][3]
mean_trial = statistics.median(r[2] for r in rows["local"]) / trials
per_trial = (cluster - local) * 2 / trials
print("== 2. dispatch overhead")
import datetime, sqlite3
def spans(store, search_ids):
    """Per completed trial: (coordinator's span from placing it to recording its end, the trial's own wall time), in s."""
    out = []
    with sqlite3.connect(store) as db:
        for search_id in search_ids:
            for started, ended, wall in db.execute(
                    "SELECT started_at, ended_at, wall_ms FROM search_trials WHERE search_id = ? AND status = 'completed'", (search_id,)):
                span = (datetime.datetime.fromisoformat(ended) - datetime.datetime.fromisoformat(started)).total_seconds()
                out.append((span, wall / 1000))
    return out
ids = {v: [json.load(open(work / f"{v}{r}" / "search.json"))["searchId"] for r in range(1, runs + 1)] for v in rows}
measured = {"local": spans(work / "local.db", ids["local"]), "cluster": spans(work / "runs.db", ids["cluster"])}
wall = statistics.median(w for v in measured.values() for _, w in v)
gap = {v: statistics.median(s - w for s, w in m) for v, m in measured.items()}
for v, m in measured.items():
    print(f"   {v:7}: {len(m)} trials, median trial wall {statistics.median(w for _, w in m):.3f} s, "
          f"median (coordinator span - trial wall) {gap[v] * 1000:.1f} ms per trial")
extra = gap["cluster"] - gap["local"]
print(f"   dispatch overhead of the cluster: {extra * 1000:.1f} ms per trial = {100 * extra / wall:.2f} % of a median trial "
      f"({wall:.3f} s); its whole span beyond the trial: {100 * gap['cluster'] / wall:.2f} % (one process: {100 * gap['local'] / wall:.2f} %)")
print(f"   from the elapsed medians, for comparison: mean trial {mean_trial:.3f} s; (cluster - local) x 2 slots / {trials} trials = "
      f"{per_trial * 1000:.0f} ms per trial = {100 * per_trial / mean_trial:.1f} % of a trial")
PY

echo "== 3. coordinator throughput, trials that do no work"
ct="${COORDINATOR_TRIALS:-5000}"
"$churn" bench coordinator --trials "$ct" --nodes 16 --slots 4
"$churn" bench coordinator --trials "$ct" --nodes 64 --slots 8
"$churn" bench coordinator --trials "$ct" --nodes 16 --slots 4 --store "$work/bench.db"
