#!/usr/bin/env bash
# What GET /searches/{id} and the dashboard's GET /searches/{id}/charts/curves.svg cost for the largest search a host
# allows (host.limits.maxTrialsPerSearch trials of host.limits.maxEpochs epochs: 1,000,000 epoch rows by default), in
# one process, interleaved: each answer built from every epoch row, as the endpoints used to, against how they build
# it now (the view from the per-trial summaries the store keeps as epochs are recorded; the chart from those and the
# epochs of only the trials it draws). Both ways must give identical answers; reports medians of wall time and bytes allocated, and
# their ratios.
#   bench/search-read.sh [--trials N] [--epochs E] [--repeats R]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./churn --help >/dev/null   # builds if needed, outside the timings
exec src/Churn.Host/bin/Release/net10.0/churn bench search-read "$@"
