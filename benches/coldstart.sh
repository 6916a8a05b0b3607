#!/usr/bin/env bash
# Lambda cold start, peak RSS, binary size and warm events of `bootstrap` beside the Auth0 Node
# sample authorizer, through a Runtime API stand-in (benches/coldstart.py). Writes
# $CARGO_TARGET_DIR/loadgen/coldstart.json; benches/report.py renders it.
# COLDSTART_RUNS (default 20) and COLDSTART_EVENTS (default 1000) shorten it (CI smoke);
# COLDSTART_PROFILE (default `lambda`, the deployed build: fat LTO) may be `release` for a quick smoke.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
out="$CARGO_TARGET_DIR/loadgen"
mkdir -p "$out"
profile="${COLDSTART_PROFILE:-lambda}"
cargo build --profile "$profile" --locked -p scopegate-lambda --bin bootstrap
# `release` is the profile's directory name for --profile release.
strip -o "$out/bootstrap" "$CARGO_TARGET_DIR/$profile/bootstrap"
if command -v npm >/dev/null; then
  (cd benches/peers/node-authorizer && npm ci --no-audit --no-fund --silent)
else
  echo "coldstart: npm not found; measuring bootstrap only" >&2
fi
python3 benches/coldstart.py "$@"
