#!/usr/bin/env bash
# Soak under chaos: `bash benches/soak.sh [SECONDS]` (default 30; CI runs 30, any length by hand).
#
# Runs the ignored test crates/scopegate-tower/tests/soak.rs: concurrent requests through the
# tower layer while local JWKS servers rotate keys, fail, stall and send garbage; an oracle checks
# every decision, memory must stay flat. SOAK_WORKERS sets the concurrent clients (default 16);
# SOAK_RELEASE=1 builds optimised (more requests per second; the debug build reuses CI's artifacts).
# Prints a summary and writes $CARGO_TARGET_DIR/loadgen/soak.json for benches/report.py.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
seconds="${1:-30}"
out="$CARGO_TARGET_DIR/loadgen/soak.json"
mkdir -p "$(dirname "$out")"
rm -f "$out"
profile=()
[ -n "${SOAK_RELEASE:-}" ] && profile=(--release)

status=0
SOAK_SECONDS="$seconds" SOAK_JSON="$out" cargo test --locked -q "${profile[@]}" -p scopegate-tower --test soak \
  -- --ignored --nocapture --test-threads=1 > "$CARGO_TARGET_DIR/loadgen/soak.log" 2>&1 || status=$?
if [ ! -f "$out" ]; then
  tail -n 40 "$CARGO_TARGET_DIR/loadgen/soak.log"
  echo "soak: no summary written (exit $status)" >&2
  exit 1
fi
python3 - "$out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rss = d["rss_kb"]
print(f"soak (SOAK_SEED={d['seed']}): {d['seconds']:.1f} s, {d['workers']} workers, {d['requests']} requests ({d['requests_per_second']:.0f}/s)")
kinds = {}
for key, n in d["by_kind"].items():
    kind, status = key.rsplit(" ", 1)
    kinds.setdefault(kind.split(":")[0], {}).setdefault(status, 0)
    kinds[kind.split(":")[0]][status] += n
for kind, statuses in sorted(kinds.items()):
    print(f"  {kind:9} " + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())))
print("  oracle:  " + ", ".join(f"{k}: {n}" for k, n in d["by_verdict"].items()))
print(f"  refused past the staleness limit: {d['refused_past_staleness']}")
for p in d["providers"]:
    print(f"  {p['iss']}: served {p['served']} (slow {p['slow']}), 500 {p['status_500']}, garbage {p['garbage']}, "
          f"too slow {p['too_slow']}, outage {p['outage']}; longest gap between fetches {p['max_gap_s']:.2f} s "
          f"(limit {d['max_fetch_gap_limit_s']:.2f} s)")
print(f"  wrong decisions: {d['wrong']}")
print(f"  RSS: {rss['before']} KiB before, {rss['warm']} KiB after warm-up, peak after {rss['peak_after_warm']} KiB, "
      f"end {rss['end']} KiB (limit {rss['limit']} KiB)")
print(f"wrote {sys.argv[1]}")
PY
if [ "$status" -ne 0 ]; then
  grep -E "panicked|assert" "$CARGO_TARGET_DIR/loadgen/soak.log" | head -n 20 >&2 || true
  echo "soak: FAILED (log: $CARGO_TARGET_DIR/loadgen/soak.log)" >&2
fi
exit "$status"
