#!/usr/bin/env bash
# What GET /searches/{id} costs for the largest search a host allows (host.limits.maxTrialsPerSearch trials of
# host.limits.maxEpochs epochs: 1,000,000 epoch rows by default), in one process, interleaved: the answer built from
# every epoch row, as the endpoint used to, against the per-trial summaries SQLite computes, as it does now. Both
# answers must be identical; reports medians of wall time and bytes allocated, and their ratios.
#   bench/search-read.sh [--trials N] [--epochs E] [--repeats R]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./churn --help >/dev/null   # builds if needed, outside the timings
exec src/Churn.Host/bin/Release/net10.0/churn bench search-read "$@"
