#!/usr/bin/env bash
# Load through nginx on this machine, with wrk: nginx -> upstream, and nginx auth_request ->
# `scopegate serve` -> upstream (the examples/gateways/nginx.conf of the README, ports replaced).
# Writes $CARGO_TARGET_DIR/loadgen/gateway.json; `python3 benches/report.py` renders it as the
# "Through a gateway" section of BENCHMARKS.md.
#
# Usage: bash benches/gateway.sh [SECONDS] [CONNECTIONS]   (defaults 10 and 32)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
seconds="${1:-10}"
connections="${2:-32}"

for bin in nginx wrk; do
  if ! command -v "$bin" >/dev/null && [ ! -x "/usr/sbin/$bin" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y nginx wrk
  fi
done
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

cargo build --release --locked -q -p scopegate-cli --bin scopegate
cargo build --release --locked -q -p scopegate-examples --bin mint
scopegate="$CARGO_TARGET_DIR/release/scopegate"
token="$("$CARGO_TARGET_DIR/release/mint" auth0 --role admin)"

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "nothing listens on $1" >&2
  return 1
}
sidecar=$(free_port); upstream=$(free_port); direct=$(free_port); gated=$(free_port)

RUST_LOG=warn "$scopegate" serve examples/policies/pets.toml --listen "127.0.0.1:$sidecar" 2>"$work/serve.log" &
pids+=($!)
wait_port "$sidecar"

snippet="$(sed -e "s/127.0.0.1:8000/127.0.0.1:$gated/; s/127.0.0.1:9191/127.0.0.1:$sidecar/; s/127.0.0.1:8080/127.0.0.1:$upstream/" examples/gateways/nginx.conf)"
cat > "$work/nginx.conf" <<CONF
daemon off;
user root;
worker_processes auto;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/body;
  proxy_temp_path $work/proxy;
  fastcgi_temp_path $work/fastcgi;
  uwsgi_temp_path $work/uwsgi;
  scgi_temp_path $work/scgi;
  upstream app { server 127.0.0.1:$upstream; keepalive 32; }
  # The upstream: a fixed answer, so that the numbers are nginx and the sidecar.
  server { listen 127.0.0.1:$upstream; location / { return 200 "ok\n"; } }
  # Without auth_request: the baseline.
  server {
    listen 127.0.0.1:$direct;
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
$snippet
}
CONF
"$nginx_bin" -p "$work" -c "$work/nginx.conf" -e "$work/error.log" &
pids+=($!)
wait_port "$direct"; wait_port "$gated"

# Both answer 200 for this token on POST /pets (role:admin), or the numbers mean nothing.
for port in "$direct" "$gated"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $token" "http://127.0.0.1:$port/pets")
  [ "$code" = 200 ] || { echo "port $port answered $code"; cat "$work/error.log" "$work/serve.log"; exit 1; }
done

echo 'wrk.method = "POST"' > "$work/post.lua"
run() {
  wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$work/post.lua" -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$1/pets" > "$work/$2.txt"
  cat "$work/$2.txt" >&2
}
run "$direct" direct
run "$gated" auth_request

mkdir -p "$CARGO_TARGET_DIR/loadgen"
python3 - "$work" "$seconds" "$connections" "$nginx_bin" > "$CARGO_TARGET_DIR/loadgen/gateway.json" <<'PY'
import json, re, subprocess, sys, datetime, os
work, seconds, connections, nginx = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]

def ms(text):
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v

def parse(name):
    out = open(os.path.join(work, name + ".txt")).read()
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": ms(re.search(r"\s50%\s+(\S+)", out).group(1)),
        "p99_ms": ms(re.search(r"\s99%\s+(\S+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1).strip() if errors else "",
    }

print(json.dumps({
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    "nginx": subprocess.run([nginx, "-v"], capture_output=True, text=True).stderr.strip(),
    "wrk": f"wrk -t2 -c{connections} -d{seconds}s --latency",
    "cores": os.cpu_count(),
    "request": "POST /pets (role:admin) with an RS256 Auth0 token (examples/policies/pets.toml), identity cache warm",
    "runs": {"direct": parse("direct"), "auth_request": parse("auth_request")},
}, indent=2))
PY
cat "$CARGO_TARGET_DIR/loadgen/gateway.json"
