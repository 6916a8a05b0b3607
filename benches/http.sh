#!/usr/bin/env bash
# HTTP load through the scopegate layer: the pharmacy example's `GET /user` (release build,
# examples/src/bin/http-bench.rs) without the layer, the same router behind `ScopeGateLayer`,
# and the example as shipped (its handler also reads the grant), driven by wrk.
#
#   bash benches/http.sh              # 3 rounds of 10 s per scenario
#   HTTP_SMOKE=1 bash benches/http.sh # 1 round of 1 s (CI: checks the script and the statuses)
#   HTTP_CALLGRIND=1 ...              # also instructions per request under callgrind (see below)
#
# Scenarios: bare router (reference), layer with a valid cached token, the shipped example with
# it, layer without a token (401), layer with one token whose signature is broken, over and over
# (401). Rounds alternate
# bare and layer runs so drift on a shared machine hits both; each figure is the median round.
# With 2+ cores the server is pinned to core 0 and wrk to core 1 (taskset); the server runs one
# tokio worker ($THREADS). Writes $CARGO_TARGET_DIR/loadgen/http.json for benches/report.py.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

if ! command -v wrk >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y wrk
fi

if [ -n "${HTTP_SMOKE:-}" ]; then
  duration="${HTTP_DURATION:-1}" rounds="${HTTP_ROUNDS:-1}"
else
  duration="${HTTP_DURATION:-10}" rounds="${HTTP_ROUNDS:-3}"
fi
connections="${HTTP_CONNECTIONS:-32}"
export THREADS="${THREADS:-1}"

cargo build --release --locked -q -p scopegate-examples --bin http-bench
bin="$CARGO_TARGET_DIR/release/http-bench"
out_dir="$CARGO_TARGET_DIR/loadgen"
mkdir -p "$out_dir"
work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

server_pin=() wrk_pin=() pinning="none"
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  server_pin=(taskset -c 0) wrk_pin=(taskset -c 1) pinning="server on cpu 0, wrk on cpu 1"
fi

{ read -r valid; read -r forged; } < <("$bin" tokens)

# start_server MODE: starts it on a free port, sets $server_pid and $addr.
start_server() {
  PORT=0 "${server_pin[@]}" "$bin" "$1" > "$work/server.log" 2>&1 &
  server_pid=$!
  addr=""
  for _ in $(seq 1 100); do
    addr="$(sed -n 's|^listening on http://||p' "$work/server.log")"
    [ -n "$addr" ] && return 0
    sleep 0.05
  done
  cat "$work/server.log" >&2
  echo "server ($1) did not start" >&2
  exit 1
}

stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

# User plus system CPU time of a process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# scenario NAME MODE [TOKEN]: one wrk run, output kept as $work/NAME.ROUND.txt, and the server's
# CPU ticks during it as $work/NAME.ROUND.cpu.
scenario() {
  local name="$1" mode="$2" token="${3:-}" header=()
  [ -n "$token" ] && header=(-H "Authorization: Bearer $token")
  start_server "$mode"
  # One request first: the layer's first sight of the token is not part of the cached figure.
  python3 -c 'import sys, urllib.request as u
req = u.Request(sys.argv[1], headers={"Authorization": "Bearer " + sys.argv[2]} if sys.argv[2] else {})
try: u.urlopen(req, timeout=5).read()
except u.HTTPError: pass' "http://$addr/user" "$token"
  local before
  before="$(cpu_ticks "$server_pid")"
  "${wrk_pin[@]}" wrk -t1 -c"$connections" -d"${duration}s" --latency "${header[@]}" "http://$addr/user" \
    > "$work/$name.$round.txt"
  echo $(($(cpu_ticks "$server_pid") - before)) > "$work/$name.$round.cpu"
  stop_server
}

for round in $(seq 1 "$rounds"); do
  echo "== round $round/$rounds (${duration}s per scenario, $connections connections)"
  scenario bare_valid bare "$valid"
  scenario layer_valid layer "$valid"
  scenario pharmacy_valid pharmacy "$valid"
  scenario layer_no_token layer
  scenario layer_bad_signature layer "$forged"
done

# HTTP_CALLGRIND=1: user-space instructions per request of the server (valgrind's callgrind),
# bare and behind the layer: a figure the other builds on this machine cannot disturb.
# Instrumentation is switched on after warm-up and dumped after a 5 s wrk run; kernel time
# (epoll, reads, writes) is not counted, so the share is of user-space work only.
profile_mode() {
  local mode="$1" token="$2" tag="$3"
  PORT=0 valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/cg.$tag" \
    "$bin" "$mode" > "$work/server.log" 2>&1 &
  server_pid=$!
  addr=""
  for _ in $(seq 1 600); do
    addr="$(sed -n 's|^listening on http://||p' "$work/server.log")"
    [ -n "$addr" ] && break
    sleep 0.1
  done
  [ -n "$addr" ] || { cat "$work/server.log" >&2; exit 1; }
  wrk -t1 -c4 -d2s -H "Authorization: Bearer $token" "http://$addr/user" > /dev/null
  callgrind_control -i on "$server_pid" > /dev/null 2>&1
  wrk -t1 -c4 -d5s -H "Authorization: Bearer $token" "http://$addr/user" > "$work/cg.$tag.wrk"
  callgrind_control -d "$server_pid" > /dev/null 2>&1
  stop_server
  local total
  total="$(callgrind_annotate "$work/cg.$tag.1" 2>/dev/null | sed -n 's/^\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)"
  local requests
  requests="$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$work/cg.$tag.wrk")"
  echo "$tag $total $requests" >> "$work/callgrind.txt"
  # Kept for callgrind_annotate --inclusive=yes.
  cp "$work/cg.$tag.1" "$out_dir/callgrind.$tag.out"
}
if [ -n "${HTTP_CALLGRIND:-}" ]; then
  if ! command -v valgrind >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y valgrind
  fi
  echo "== callgrind: instructions per request"
  profile_mode bare "$valid" bare_valid
  profile_mode layer "$valid" layer_valid
  profile_mode pharmacy "$valid" pharmacy_valid
  profile_mode layer "$forged" layer_bad_signature
fi

python3 - "$work" "$rounds" "$out_dir/http.json" "$duration" "$connections" "$pinning" "$THREADS" "$(getconf CLK_TCK)" <<'PY'
import json, os, re, statistics, sys

work, rounds, out, duration, connections, pinning, threads, clk_tck = sys.argv[1:]
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}

def ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    return float(m.group(1)) * UNITS[m.group(2)] if m else None

def parse(path):
    text = open(path).read()
    ticks = int(open(path[: -len(".txt")] + ".cpu").read())
    requests = int(re.search(r"(\d+) requests in", text).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = re.search(r"Socket errors: (.*)", text)
    pct = dict(re.findall(r"^\s+(\d+)%\s+(\S+)", text, re.M))
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
        "requests": requests,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1).strip() if errors else None,
        "p50_ms": ms(pct.get("50", "")),
        "p99_ms": ms(pct.get("99", "")),
        # Server CPU (user + system) per answered request: what throughput costs when the
        # server is the bottleneck, and far less disturbed by other load than req/s.
        "cpu_us": ticks * 1e6 / int(clk_tck) / max(requests, 1),
    }

# The status every request of a scenario must get: 200, or 401 for the refused ones.
EXPECT = {"bare_valid": 200, "layer_valid": 200, "pharmacy_valid": 200, "layer_no_token": 401, "layer_bad_signature": 401}
result = {"duration_s": float(duration), "rounds": int(rounds), "connections": int(connections),
          "server_threads": int(threads), "pinning": pinning, "scenarios": {}}
bad = []
for name, status in EXPECT.items():
    runs = [parse(f"{work}/{name}.{r}.txt") for r in range(1, int(rounds) + 1)]
    for run in runs:
        wrong = run["non_2xx"] if status == 200 else run["requests"] - run["non_2xx"]
        if wrong or run["socket_errors"] or run["requests"] == 0:
            bad.append(f"{name}: {wrong} answers other than {status}, socket errors {run['socket_errors']}")
    result["scenarios"][name] = {
        "expected_status": status,
        "rps": statistics.median(r["rps"] for r in runs),
        "p50_ms": statistics.median(r["p50_ms"] for r in runs),
        "p99_ms": statistics.median(r["p99_ms"] for r in runs),
        "cpu_us_per_request": statistics.median(r["cpu_us"] for r in runs),
        "rounds_rps": [r["rps"] for r in runs],
    }
s = result["scenarios"]
result["layer_loss"] = 1 - s["layer_valid"]["rps"] / s["bare_valid"]["rps"]
result["layer_cpu_loss"] = 1 - s["bare_valid"]["cpu_us_per_request"] / s["layer_valid"]["cpu_us_per_request"]
result["loss_target"] = 0.05
try:
    for line in open(f"{work}/callgrind.txt"):
        tag, total, requests = line.split()
        result.setdefault("callgrind", {})[tag] = {"instructions": int(total), "requests": int(requests),
                                                     "per_request": int(total) / int(requests)}
except (OSError, ValueError):
    pass
# Where the layer's instructions go (inclusive, per request), for the report.
LAYER_PARTS = [
    ("ScopeGate::call (the layer, before the inner service)", r"scopegate_tower::layer::ScopeGate<S> as tower_service::Service"),
    ("Config::gate (token, decision, verdict)", r"scopegate_tower::layer::Config::gate$"),
    ("TokenSource::extract (Authorization header)", r"scopegate_tower::extract::TokenSource::extract$"),
    ("Engine::decide", r"scopegate::engine::Engine::decide$"),
    ("IdentityCache::get", r"scopegate::engine::cache::IdentityCache::get$"),
    ("RouteTable::find", r"scopegate::routes::RouteTable::find$"),
]
cg = result.get("callgrind", {}).get("layer_valid")
profile = os.path.join(os.path.dirname(out), "callgrind.layer_valid.out")
if cg and os.path.exists(profile):
    import subprocess
    text = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", profile],
                          capture_output=True, text=True).stdout
    parts = []
    for label, pattern in LAYER_PARTS:
        for line in text.splitlines():
            m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+\S*?:(.*?) \[", line)
            if m and re.search(pattern, m.group(2).lstrip("<")):
                parts.append({"part": label, "per_request": int(m.group(1).replace(",", "")) / cg["requests"]})
                break
    result["callgrind"]["layer_parts"] = parts
json.dump(result, open(out, "w"), indent=2)
for name, v in s.items():
    print(f"{name:22} {v['rps']:>10.0f} req/s  p50 {v['p50_ms']:.3f} ms  p99 {v['p99_ms']:.3f} ms  "
          f"server CPU {v['cpu_us_per_request']:.2f} µs/request  (expects {v['expected_status']})")
print(f"layer throughput loss (cached token): {result['layer_loss'] * 100:.1f}% by req/s, "
      f"{result['layer_cpu_loss'] * 100:.1f}% by server CPU per request (target <= 5%)")
for tag, v in result.get("callgrind", {}).items():
    if tag == "layer_parts":
        for part in v:
            print(f"  layer part: {part['per_request']:>8.0f}  {part['part']}")
        continue
    print(f"callgrind {tag:20} {v['per_request']:>10.0f} instructions per request ({v['requests']} requests)")
print(f"wrote {out}")
if bad:
    print("WRONG STATUSES:\n  " + "\n  ".join(bad), file=sys.stderr)
    sys.exit(1)
PY
