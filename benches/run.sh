#!/usr/bin/env bash
# Runs every scopegate benchmark (release) and regenerates BENCHMARKS.md from the medians.
# Extra arguments go to criterion, e.g. `bash benches/run.sh decision` for one group.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo bench --locked -p scopegate-benches -- "$@"
# The whole run also measures the Lambda cold start beside the Node sample authorizer, HTTP load
# through the tower layer (wrk), nginx with and without auth_request to `scopegate serve`, and a
# 30-second soak under chaos; each writes $CARGO_TARGET_DIR/loadgen/*.json for the report.
if [ $# -eq 0 ]; then
  bash benches/coldstart.sh
  HTTP_CALLGRIND="${HTTP_CALLGRIND:-1}" bash benches/http.sh
  bash benches/gateway.sh
  bash benches/soak.sh "${SOAK_SECONDS:-30}"
fi
python3 benches/report.py
