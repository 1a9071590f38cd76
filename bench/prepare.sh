#!/usr/bin/env bash
# Load + prepare benchmark on synthetic 100k and 1M row customer files; see bench/README.md.
# Options pass through: --rows 100000,1000000 --runs 5 --dir DIR --seed 1 --balance first|random --stratify
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec ./churn bench prepare "$@"
