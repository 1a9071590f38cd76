# Sourced by the bench scripts, after their own `cd` to the repository root: the setup they share, defined once.

# Sets $churn: $CHURN when given, else the Release build (made first if needed, so that building is outside the timings).
bench_churn() {
  if [[ -n "${CHURN:-}" ]]; then
    churn="$CHURN"
  else
    ./churn --help >/dev/null
    churn="$PWD/src/Churn.Host/bin/Release/net10.0/churn"
  fi
}

# A free TCP port on loopback.
free_port() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# bench_host WORK DATA: a warm `churn host` on a free loopback port, its store, logs and outputs in WORK, reading only
# DATA's folder; sets $url and $host_pid (stop_host ends it). Exits, printing the host's errors, if it never answers.
bench_host() {
  local work="$1" data="$2" port
  port="$(free_port)"
  url="http://127.0.0.1:$port"
  # the host reads only under host.dataRoots and writes only under host.outputRoot: the data's folder and the work folder
  printf '{"logs": "%s/logs", "host": {"outputRoot": "%s", "dataRoots": ["%s"]}}\n' "$work" "$work" "$(dirname "$data")" > "$work/host.json"
  (cd "$work" && exec "$churn" host --port "$port" --store "$work/runs.db" --config "$work/host.json" >"$work/host.out" 2>"$work/host.err") &
  host_pid=$!
  for _ in $(seq 1 100); do curl -sf "$url/health" >/dev/null && break; sleep 0.2; done
  curl -sf "$url/health" >/dev/null || { echo "host did not start:"; cat "$work/host.err"; exit 1; }
}

host_pid=""
stop_host() {
  if [[ -n "$host_pid" ]]; then kill -TERM "$host_pid" 2>/dev/null || true; wait "$host_pid" 2>/dev/null || true; fi
}

# population_split DATA SEED DIR: bench/reference/population.py's split of DATA into DIR (train.csv, score.csv,
# answers.csv), printing the peers' figures on it (kept in DIR/peers.txt).
population_split() {
  mkdir -p "$3"
  /usr/bin/python3 bench/reference/population.py "$1" "$2" "$3" | tee "$3/peers.txt" | sed "s/^/  [split $2] /"
}

# holdout_row SEED VARIANT ANSWERS CONTACTS METRICS SCORES MANIFEST: bench/reference/holdout.py's scoring of a plan
# against the real outcomes, as one JSON line tagged with the seed and the variant.
holdout_row() {
  local seed="$1" variant="$2"
  shift 2
  /usr/bin/python3 bench/reference/holdout.py "$@" \
    | /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); d.update(seed=$seed, variant='$variant'); print(json.dumps(d))"
}
