#!/usr/bin/env bash
# The whole customer base in one pass: `churn predict` (the whole process, default model) on generated files of 1M and
# 10M customers drawn from the bundled data, as CSV and as Parquet, against the in-process forward pass alone for those
# rows (`churn bench predict`, 1M rows scaled to the file's) and pandas + numpy + the same network in PyTorch scoring the
# same files. Also, per size: the file read and checked alone through the same pipeline (`churn bench read`: what
# parsing costs against the forward pass), the Parquet file written as one row group of every row (as some writers
# do), and `churn target --budget` over the CSV (its memory must not grow with the rows either).
# Prints wall time and peak RSS (/usr/bin/time -v) per run, then medians and ratios.
# Targets: 10M rows <= 30 s as CSV, <= 20 s as Parquet, <= 1.5x the forward pass alone; peak RSS <= 400 MB at 1M and 10M.
# Env: SIZES (default "1000000 10000000"), RUNS (default 3), WORK (a folder to keep the generated files between runs).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
sizes="${SIZES:-1000000 10000000}"
runs="${RUNS:-3}"
python=/usr/bin/python3
work="${WORK:-$(mktemp -d)}"
mkdir -p "$work"
[[ -n "${WORK:-}" ]] || trap 'rm -rf "$work"' EXIT

# What the reference needs: numpy, PyTorch and pandas from Debian; pyarrow (for pandas to read Parquet) from PyPI where
# it can be reached. Without pyarrow the reference scores the CSV files only.
if ! "$python" -c "import numpy, torch, pandas" 2>/dev/null; then
  apt-get update -qq && apt-get install -y -qq python3-numpy python3-torch python3-pandas >/dev/null
fi
"$python" -c "import pyarrow" 2>/dev/null || "$python" -m pip install -q --break-system-packages pyarrow 2>/dev/null \
  || echo "(pyarrow is not installable here: the Python reference scores the CSV files only)"
has_pyarrow=$("$python" -c "import pyarrow; print(1)" 2>/dev/null || echo 0)
[[ -x /usr/bin/time ]] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

[[ -d "$work/run/model" ]] || ./churn run --out "$work/run" --seed 0 >/dev/null 2>&1   # builds if needed; the default model
churn_bin="src/Churn.Host/bin/Release/net10.0/churn"
model="$work/run/model"
"$churn_bin" bench explain-export --model "$model" --input data/Audiobooks_data.csv --customers 1 --background-size 1 --out "$work/export.json"

echo "== the forward pass alone, in-process (churn bench predict, 1,000,000 rows)"
forward_ms=$(nice -n 10 "$churn_bin" bench predict --model "$model" --rows 1000000 --repeats 5 | tee /dev/stderr | sed -n 's/^scoring only.* \([0-9]*\) ms = .*/\1/p')

# One timed run: prints "seconds peak_MB".
timed() {
  /usr/bin/time -v -o "$work/time.txt" nice -n 10 "$@" >/dev/null 2>"$work/stderr.txt" || { cat "$work/stderr.txt" >&2; exit 1; }
  awk '/Elapsed \(wall clock\)/ { n = split($NF, t, ":"); s = (n == 3 ? t[1] * 3600 + t[2] * 60 + t[3] : t[1] * 60 + t[2]) }
       /Maximum resident set size/ { m = $NF / 1024 } END { printf "%.2f %.0f\n", s, m }' "$work/time.txt"
}
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }

for rows in $sizes; do
  csv="$work/customers-$rows.csv"; parquet="$work/customers-$rows.parquet"
  [[ -f "$csv" && -f "$parquet" ]] || nice -n 10 "$churn_bin" bench customers --rows "$rows" --csv "$csv" --parquet "$parquet" --data data/Audiobooks_data.csv
  onegroup="$work/customers-$rows-onegroup.parquet"
  [[ -f "$onegroup" ]] || nice -n 10 "$churn_bin" bench customers --rows "$rows" --csv "$work/discard.csv" --parquet "$onegroup" --group-rows "$rows" --data data/Audiobooks_data.csv
  echo "== $rows customers: $(du -m "$csv" | cut -f1) MB CSV, $(du -m "$parquet" | cut -f1) MB Parquet; $runs interleaved runs"
  for format in csv parquet; do
    input="$work/customers-$rows.$format"
    : > "$work/churn.s"; : > "$work/churn.mb"; : > "$work/python.s"; : > "$work/python.mb"
    for _ in $(seq "$runs"); do
      read -r s mb < <(timed "$churn_bin" predict --model "$model" --input "$input" --output "$work/scores.$format")
      echo "$s" >> "$work/churn.s"; echo "$mb" >> "$work/churn.mb"
      echo "  churn predict $format: $s s, peak RSS $mb MB"
      if [[ "$format" == csv || "$has_pyarrow" == 1 ]]; then
        read -r s mb < <(timed "$python" bench/reference/predict_stream.py score "$model" "$work/export.json" "$input" "$work/python.csv")
        echo "$s" >> "$work/python.s"; echo "$mb" >> "$work/python.mb"
        echo "  pandas + PyTorch $format: $s s, peak RSS $mb MB"
      else
        echo "nan" >> "$work/python.s"; echo "nan" >> "$work/python.mb"
      fi
    done
    churn_s=$(median < "$work/churn.s"); python_s=$(median < "$work/python.s")
    forward_s=$(awk -v ms="$forward_ms" -v n="$rows" 'BEGIN { printf "%.2f", ms / 1000 * n / 1000000 }')
    printf '%s rows %-7s churn predict median %6.2f s (peak RSS %s MB) | forward pass alone %5.2f s -> %.2fx | pandas+PyTorch %6.2f s (peak RSS %s MB) -> churn %.2fx faster\n' \
      "$rows" "$format" "$churn_s" "$(sort -n "$work/churn.mb" | tail -1)" "$forward_s" "$(awk -v a="$churn_s" -v b="$forward_s" 'BEGIN { print a / b }')" \
      "$python_s" "$(sort -n "$work/python.mb" | tail -1)" "$(awk -v a="$python_s" -v b="$churn_s" 'BEGIN { print a / b }')" | tee -a "$work/summary.txt"
  done
  for format in csv parquet; do
    : > "$work/read.s"
    for _ in $(seq "$runs"); do
      nice -n 10 "$churn_bin" bench read --input "$work/customers-$rows.$format" | sed -n 's/^read only: .* in \([0-9]*\) ms$/\1/p' >> "$work/read.s"
    done
    printf '%s rows %-7s read and checked alone (churn bench read) median %6.2f s\n' "$rows" "$format" "$(median < "$work/read.s" | awk '{ print $1 / 1000 }')" | tee -a "$work/summary.txt"
  done
  read -r s mb < <(timed "$churn_bin" predict --model "$model" --input "$onegroup" --output "$work/scores-onegroup.parquet")
  printf '%s rows parquet, one row group of them all: churn predict %6.2f s, peak RSS %s MB\n' "$rows" "$s" "$mb" | tee -a "$work/summary.txt"
  read -r s mb < <(timed "$churn_bin" target --model "$model" --input "$csv" --budget 100000 --output "$work/plan/contacts.csv")
  printf '%s rows csv: churn target --budget 100000 %6.2f s, peak RSS %s MB\n' "$rows" "$s" "$mb" | tee -a "$work/summary.txt"
  # The same probabilities from CSV and Parquet input.
  cmp -s <(cut -d, -f1-3 "$work/scores.csv") <(nice -n 10 "$churn_bin" predict --model "$model" --input "$parquet" --format csv | cut -d, -f1-3) \
    && echo "  CSV and Parquet inputs: identical scores" || echo "  CSV and Parquet inputs: scores DIFFER"
done
echo "== summary"; cat "$work/summary.txt"
