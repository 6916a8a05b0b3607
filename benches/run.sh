#!/usr/bin/env bash
# Runs every scopegate benchmark (release) and regenerates BENCHMARKS.md from the medians.
# Extra arguments go to criterion, e.g. `bash benches/run.sh decision` for one group.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --locked -p scopegate-benches -- "$@"
# The whole run also measures the Lambda cold start beside the Node sample authorizer.
if [ $# -eq 0 ]; then
  bash benches/coldstart.sh
fi
python3 benches/report.py
