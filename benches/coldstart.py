#!/usr/bin/env python3
"""Lambda cold start and warm events through a Lambda Runtime API stand-in on 127.0.0.1.

Measures scopegate's `bootstrap` and, when node is installed, the Auth0 Node sample authorizer
(benches/peers/node-authorizer) with the same TOKEN event, token and local JWKS:
- cold start: process start to the first answer (the POST of the response), median of --runs;
- peak RSS of that process (VmHWM of /proc/PID/status just before it is killed; a child's
  getrusage would also count the forked Python before exec);
- warm event: the stand-in's time from handing out an event to receiving its answer, median;
- the stripped binary's size (bootstrap) or the node_modules size (node).
Writes JSON to $CARGO_TARGET_DIR/loadgen/coldstart.json (or --out). Standard library only;
`openssl` signs the token. Called by benches/coldstart.sh, which builds what it needs.
"""
import argparse
import base64
import json
import os
import queue
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEYS = os.path.join(ROOT, "examples", "keys")
NODE_DIR = os.path.join(ROOT, "benches", "peers", "node-authorizer")
ISSUER = "https://coldstart.example/"
AUDIENCE = "https://api.example.com"
ARN = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/pets"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_token(kid):
    now = int(time.time())
    header = {"alg": "RS256", "typ": "JWT", "kid": kid}
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "auth0|coldstart", "scope": "openid read:pets",
              "iat": now, "exp": now + 3600}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", os.path.join(KEYS, "auth0.key.pem")],
                         input=signing_input.encode(), capture_output=True, check=True).stdout
    return f"{signing_input}.{b64url(sig)}"


class Stand:
    """The Runtime API stand-in and the JWKS endpoint, on one 127.0.0.1 port."""

    def __init__(self, jwks):
        self.jwks = jwks
        self.events = queue.Queue()
        self.answers = queue.Queue()
        self.generation = 0
        self.counter = 0
        self.polls = 0  # GET /next requests of this run
        self.polled = threading.Condition()
        self.lock = threading.Lock()
        stand = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def setup(self):
                super().setup()
                # Headers and body go out in two writes: without this, Nagle's algorithm and the
                # client's delayed ACK add 40 ms to every answer.
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def reply(self, status, body, headers=()):
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path == "/jwks.json":
                    return self.reply(200, stand.jwks)
                if not self.path.endswith("/runtime/invocation/next"):
                    return self.reply(404, b"{}")
                # The queue of this run: a killed process's long poll never takes a later run's event.
                events, generation = stand.events, stand.generation
                with stand.polled:
                    stand.polls += 1
                    stand.polled.notify_all()
                while True:
                    try:
                        event = events.get(timeout=0.05)
                        break
                    except queue.Empty:
                        if stand.generation != generation:
                            self.close_connection = True
                            return
                with stand.lock:
                    stand.counter += 1
                    rid = f"req-{stand.counter}"
                deadline = str(int(time.time() * 1000) + 60_000)
                sent = time.perf_counter()
                self.reply(200, event, [("lambda-runtime-aws-request-id", rid),
                                        ("lambda-runtime-deadline-ms", deadline),
                                        ("lambda-runtime-invoked-function-arn", "arn:aws:lambda:us-east-1:1:function:a")])
                stand.sent = sent

            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else self.read_chunked()
                received = time.perf_counter()
                kind = self.path.rsplit("/", 1)[-1]
                self.reply(202, b"{}")
                stand.answers.put((received, getattr(stand, "sent", received), kind, body))

            def read_chunked(self):
                body = b""
                while True:
                    size = int(self.rfile.readline().strip() or b"0", 16)
                    chunk = self.rfile.read(size + 2)
                    if size == 0:
                        return body
                    body += chunk[:size]

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a killed function's connection: expected at the end of every run

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for_poll(self, n):
        """Waits for the function's n-th GET /next of this run: then it is idle in a long poll
        and can be killed without a request in flight (which could take the next run's event)."""
        with self.polled:
            if not self.polled.wait_for(lambda: self.polls >= n, timeout=30):
                sys.exit("the function did not ask for its next event")

    def end_run(self):
        with self.polled:
            self.polls = 0
        self.generation += 1
        self.events = queue.Queue()
        while not self.answers.empty():
            self.answers.get_nowait()


def expect_allow(kind, body, who):
    answer = json.loads(body)
    if kind != "response" or answer["policyDocument"]["Statement"][0]["Effect"] != "Allow":
        sys.exit(f"{who}: expected an Allow answer, got {kind}: {body[:300]!r}")


def measure(stand, who, cmd, env, cwd, event, runs, events):
    env = {**env, "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{stand.port}", "AWS_LAMBDA_FUNCTION_NAME": "authorizer",
           "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
           "AWS_LAMBDA_LOG_STREAM_NAME": "bench", "AWS_LAMBDA_LOG_GROUP_NAME": "bench",
           "PATH": os.environ.get("PATH", "")}
    cold, rss, warm = [], [], []
    for run in range(runs):
        stand.events.put(event)
        start = time.perf_counter()
        child = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            received, _, kind, body = stand.answers.get(timeout=30)
        except queue.Empty:
            child.kill()
            sys.exit(f"{who}: no answer within 30 s")
        cold.append((received - start) * 1e3)
        expect_allow(kind, body, who)
        if run == 0:
            # Warm events in the first process: each handed out, answered, then the next.
            for _ in range(events):
                stand.events.put(event)
                received, sent, kind, body = stand.answers.get(timeout=30)
                warm.append((received - sent) * 1e6)
            expect_allow(kind, body, who)
        stand.wait_for_poll(1 + 1 + (events if run == 0 else 0))
        rss.append(peak_rss_mib(child.pid))
        child.kill()
        child.wait()
        stand.end_run()
    result = {
        "cold_start_ms": {"median": statistics.median(cold), "min": min(cold), "max": max(cold), "runs": runs},
        "peak_rss_mib": {"median": statistics.median(rss), "max": max(rss)},
    }
    if warm:
        result["warm_event_us"] = {"median": statistics.median(warm), "events": len(warm)}
    return result


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    sys.exit(f"no VmHWM for process {pid}")


def dir_bytes(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files)


def main():
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bootstrap", default=os.path.join(target, "loadgen", "bootstrap"))
    ap.add_argument("--runs", type=int, default=int(os.environ.get("COLDSTART_RUNS", 20)))
    ap.add_argument("--events", type=int, default=int(os.environ.get("COLDSTART_EVENTS", 1000)))
    ap.add_argument("--out", default=os.path.join(target, "loadgen", "coldstart.json"))
    ap.add_argument("--no-node", action="store_true", help="skip the Node peer")
    args = ap.parse_args()

    with open(os.path.join(KEYS, "auth0.jwks.json"), "rb") as f:
        jwks = f.read()
    kid = json.loads(jwks)["keys"][0]["kid"]
    stand = Stand(jwks)
    jwks_uri = f"http://127.0.0.1:{stand.port}/jwks.json"
    token = sign_token(kid)
    event = json.dumps({"type": "TOKEN", "authorizationToken": f"Bearer {token}", "methodArn": ARN}).encode()
    work = os.path.dirname(args.out)
    os.makedirs(work, exist_ok=True)
    policy = os.path.join(work, "coldstart-policy.toml")
    with open(policy, "w") as f:
        f.write(f'''version = 1

[[issuers]]
id = "auth0"
issuer = "{ISSUER}"
audiences = ["{AUDIENCE}"]
jwks_uri = "{jwks_uri}"

[[routes]]
route = "GET /pets"
scopes = ["read:pets"]

[[routes]]
route = "POST /pets"
scopes = ["write:pets"]
''')

    report = {"runs": args.runs, "events": args.events, "token_bytes": len(token)}
    report["bootstrap"] = measure(stand, "bootstrap", [args.bootstrap], {"SCOPEGATE_POLICY": policy}, None,
                                  event, args.runs, args.events)
    report["bootstrap"]["binary_bytes"] = os.path.getsize(args.bootstrap)
    node = shutil.which("node")
    if node and not args.no_node and os.path.isdir(os.path.join(NODE_DIR, "node_modules")):
        env = {"JWKS_URI": jwks_uri, "AUDIENCE": AUDIENCE, "TOKEN_ISSUER": ISSUER}
        report["node"] = measure(stand, "node", [node, "runtime.js"], env, NODE_DIR, event, args.runs, args.events)
        report["node"]["node_modules_bytes"] = dir_bytes(os.path.join(NODE_DIR, "node_modules"))
        report["node"]["version"] = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
        event_file = os.path.join(work, "coldstart-event.json")
        with open(event_file, "wb") as f:
            f.write(event)
        inproc = subprocess.run([node, "bench.js", event_file, str(max(args.events, 100))], cwd=NODE_DIR,
                                env={**os.environ, "JWKS_URI": jwks_uri, "AUDIENCE": AUDIENCE, "TOKEN_ISSUER": ISSUER},
                                capture_output=True, text=True, check=True)
        report["node"]["in_process_event_us"] = json.loads(inproc.stdout)["median_ns"] / 1e3
    with open(args.out, "w") as f:
        json.dump(report, f, indent=2)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
