#!/usr/bin/env bash
# Runs the full benchmark RUNS times (default 5) and prints the medians as the Markdown table
# BENCHMARKS.md shows. Each run's TSV is kept in OUT (default target/bench-runs).
#   scripts/bench.sh [RUNS] [OUT]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
out=${2:-${CARGO_TARGET_DIR:-target}/bench-runs}
mkdir -p "$out"
cargo build --release -p padlock-bench
bin=${CARGO_TARGET_DIR:-target}/release/padlock-bench
files=()
for i in $(seq 1 "$runs"); do
  echo "== run $i/$runs ($(uptime | sed 's/.*load/load/'))" >&2
  "$bin" all > "$out/run$i.tsv"
  files+=("$out/run$i.tsv")
done
"$bin" median "${files[@]}"
