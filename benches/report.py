#!/usr/bin/env python3
"""Writes BENCHMARKS.md from criterion's estimates (median, ns). Missing ids print "n/a".

Usage: python3 benches/report.py [CRITERION_DIR] [OUT]
CRITERION_DIR defaults to $CARGO_TARGET_DIR/criterion, else target/criterion.
"""
import datetime
import json
import os
import platform
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (id, what it measures). The order is the table's.
BENCHES = [
    ("decision/cached_1k_routes", "http::Request -> Decision, token already verified (identity cache hit), 1,000 routes"),
    ("decision/cached_1k_routes_recorder", "the same with a Prometheus recorder behind the engine's metric handles"),
    ("decision/forged_signature_repeat", "one forged RS256 token again and again (rejected-signature cache hit)"),
    ("decision/first_sight_rs256", "same, identity cache off: RS256 verify + claims + rules"),
    ("decision/first_sight_es256", "same, ES256"),
    ("decision/first_sight_hs256", "same, HS256"),
    ("baseline/jsonwebtoken_decode_rs256", "bare jsonwebtoken::decode, same token, key and validation"),
    ("baseline/aws_lc_verify_rs256", "RSA-2048 signature check alone, pre-parsed aws-lc-rs key (the floor)"),
    ("baseline/aws_lc_verify_es256", "P-256 signature check alone, pre-parsed aws-lc-rs key (the ES256 floor)"),
    ("routes/match_10", "route match, 10 routes"),
    ("routes/match_1000", "route match, 1,000 routes"),
    ("routes/match_10000", "route match, 10,000 routes"),
    ("routes/compile_10000", "Engine::compile of a 10,000-route policy"),
    ("tower/bare", "axum Router through oneshot, no layer"),
    ("tower/layer_cached", "the same behind ScopeGateLayer, identity cache warm"),
    # Reserved for the scopegate-lambda crate (benches/benches/lambda.rs).
    ("lambda/token_event_cached", "API Gateway TOKEN event through the Lambda handler (event Value in, answer JSON bytes out), cached"),
    ("lambda/token_event_bytes", "the same from the event's JSON bytes (the runtime's parse included)"),
    ("authoring/matrix_1000", "grants of every route (scopegate matrix's analysis), 1,000 routes"),
    ("authoring/diff_1000", "access_changes of two 1,000-route policies (scopegate diff's analysis)"),
    ("peers/jwt_authorizer_rs256", "jwt-authorizer 0.15 check_auth of the same token (no cache)"),
    ("peers/cedar_equivalent", "cedar-policy, same scope/role question, 1,000 policies parsed once"),
]

# (label, numerator, denominator, limit or None, how the limit reads)
RATIOS = [
    ("first sight RS256 vs cached (what the identity cache saves)", "decision/first_sight_rs256", "decision/cached_1k_routes", None, ""),
    ("first sight RS256 vs bare jsonwebtoken decode", "decision/first_sight_rs256", "baseline/jsonwebtoken_decode_rs256", 1.10, "<= 1.10x (stretch < 1.0x)"),
    ("first sight RS256 vs aws-lc floor", "decision/first_sight_rs256", "baseline/aws_lc_verify_rs256", 1.25, "<= 1.25x"),
    ("first sight ES256 vs aws-lc floor", "decision/first_sight_es256", "baseline/aws_lc_verify_es256", 1.10, "<= 1.10x"),
    ("cached decision with a metrics recorder vs without", "decision/cached_1k_routes_recorder", "decision/cached_1k_routes", 1.10, "<= 1.10x"),
    ("repeated forged signature vs first sight RS256", "decision/forged_signature_repeat", "decision/first_sight_rs256", None, ""),
    ("bare jsonwebtoken decode vs aws-lc floor", "baseline/jsonwebtoken_decode_rs256", "baseline/aws_lc_verify_rs256", None, ""),
    ("routes: 10,000 vs 10", "routes/match_10000", "routes/match_10", 2.0, "<= 2x"),
    ("routes: 1,000 vs 10", "routes/match_1000", "routes/match_10", None, ""),
    ("jwt-authorizer vs scopegate first sight RS256", "peers/jwt_authorizer_rs256", "decision/first_sight_rs256", None, ""),
    ("cedar vs scopegate cached", "peers/cedar_equivalent", "decision/cached_1k_routes", None, ""),
    ("lambda cached vs core cached", "lambda/token_event_cached", "decision/cached_1k_routes", None, ""),
]

# (label, id, limit in ns, how it reads)
ABSOLUTE = [
    ("cached decision, 1,000 routes", "decision/cached_1k_routes", 250.0, "<= 250 ns"),
    ("compile 10,000 routes", "routes/compile_10000", 100e6, "< 100 ms"),
    ("Lambda TOKEN event, cached, through the handler", "lambda/token_event_cached", 2000.0, "<= 2 µs"),
]


def median_ns(crit, bench_id):
    path = os.path.join(crit, *bench_id.split("/"), "new", "estimates.json")
    try:
        with open(path) as f:
            return float(json.load(f)["median"]["point_estimate"])
    except (OSError, KeyError, ValueError):
        return None


def fmt_time(ns):
    if ns is None:
        return "n/a"
    if ns < 1e3:
        return f"{ns:.0f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns / 1e6:.2f} ms"


def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def coldstart_section(path, missed):
    """Lambda cold start beside the Auth0 Node sample, from benches/coldstart.sh's JSON."""
    lines = ["", "## Lambda cold start and the Node sample authorizer", ""]
    try:
        with open(path) as f:
            r = json.load(f)
    except (OSError, ValueError):
        return lines + ["n/a: run `bash benches/coldstart.sh` first.", ""]
    b, n = r.get("bootstrap", {}), r.get("node")
    lines += [
        f"`bash benches/coldstart.sh`: {r['runs']} cold starts each (process start to the first answer through",
        "a Lambda Runtime API stand-in on 127.0.0.1, keys fetched from a local JWKS on the first event),",
        f"then {r['events']} warm TOKEN events in one process (the stand-in's time from handing out an event",
        "to receiving its answer, HTTP included). Same event, RS256 token and JWKS for both.",
        "",
        "| | scopegate `bootstrap` | Auth0 Node sample | target (bootstrap) | result |",
        "|---|---:|---:|---|---|",
    ]

    def cell(x, key, sub, fmt):
        v = (x or {}).get(key, {})
        v = v.get(sub) if isinstance(v, dict) else v
        return fmt(v) if v is not None else "n/a"

    rows = [
        ("cold start, median", "cold_start_ms", "median", lambda v: f"{v:.1f} ms", 15.0, "<= 15 ms"),
        ("cold start, max", "cold_start_ms", "max", lambda v: f"{v:.1f} ms", None, ""),
        ("peak RSS, max", "peak_rss_mib", "max", lambda v: f"{v:.1f} MiB", 20.0, "<= 20 MB"),
        ("warm event via the Runtime API, median", "warm_event_us", "median", lambda v: f"{v:.0f} µs", None, ""),
    ]
    for label, key, sub, fmt, limit, reads in rows:
        v = (b.get(key) or {}).get(sub)
        result = "-" if limit is None else ("n/a" if v is None else ("met" if v <= limit else "**MISSED**"))
        if result == "**MISSED**":
            missed.append(f"Lambda {label}")
        lines.append(f"| {label} | {cell(b, key, sub, fmt)} | {cell(n, key, sub, fmt)} | {reads or '-'} | {result} |")
    size = b.get("binary_bytes")
    ok = size is not None and size <= 8e6
    if size is not None and not ok:
        missed.append("stripped bootstrap size")
    mods = (n or {}).get("node_modules_bytes")
    lines.append(
        f"| stripped binary / node_modules | {size / 1e6:.1f} MB | {f'{mods / 1e6:.1f} MB' if mods else 'n/a'} | <= 8 MB | "
        f"{'met' if ok else ('n/a' if size is None else '**MISSED**')} |" if size is not None else
        "| stripped binary / node_modules | n/a | n/a | <= 8 MB | n/a |")
    if n and n.get("in_process_event_us") is not None:
        lines.append(f"| warm event in process, median | see `lambda/*` above | {n['in_process_event_us']:.0f} µs | - | - |")
    if n:
        lines += ["", f"Node {n.get('version', '')}; the peer is `benches/peers/node-authorizer` (see its NOTICE.md)."]
    return lines


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def http_section(target):
    """HTTP level (benches/http.sh): wrk through the pharmacy example. Returns (lines, missed)."""
    d = load_json(os.path.join(target, "loadgen", "http.json"))
    lines = ["", "## HTTP level (wrk, `bash benches/http.sh`)", ""]
    if d is None:
        return lines + ["n/a: run `bash benches/http.sh` (writes `$CARGO_TARGET_DIR/loadgen/http.json`)."], []
    s = d["scenarios"]
    what = {
        "bare_valid": "`GET /user` without the layer (valid token sent, ignored)",
        "layer_valid": "the same router behind the layer, valid token (identity cache warm)",
        "pharmacy_valid": "the example as shipped: layer, and a handler that reads the grant",
        "layer_no_token": "behind the layer, no token (401)",
        "layer_bad_signature": "behind the layer, one token with a broken signature, over and over (401)",
    }
    lines += [
        f"{d['rounds']} round(s) of {d['duration_s']:.0f} s per scenario, wrk 1 thread {d['connections']} connections,",
        f"server {d['server_threads']} tokio worker(s); pinning: {d['pinning']}. Medians over rounds.",
        "",
        "| scenario | req/s | p50 | p99 | server CPU per request | what |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, v in s.items():
        cpu = v.get("cpu_us_per_request")
        cpu = f"{cpu:.2f} µs" if cpu is not None else "n/a"
        lines.append(f"| `{name}` | {v['rps']:.0f} | {v['p50_ms']:.3f} ms | {v['p99_ms']:.3f} ms | {cpu} | {what.get(name, '')} |")
    loss = d["layer_loss"]
    met = loss <= d["loss_target"]
    lines += [
        "",
        "| comparison | value | target | result |",
        "|---|---:|---|---|",
        f"| throughput loss with the layer (cached token), req/s | {loss * 100:.1f}% | <= {d['loss_target'] * 100:.0f}% | {'met' if met else '**MISSED**'} |",
    ]
    cpu_loss = d.get("layer_cpu_loss")
    if cpu_loss is not None:
        lines.append(f"| the same by server CPU per request (less disturbed by other load) | {cpu_loss * 100:.1f}% | <= {d['loss_target'] * 100:.0f}% | {'met' if cpu_loss <= d['loss_target'] else 'missed'} |")
    cg = d.get("callgrind", {})
    if "bare_valid" in cg and "layer_valid" in cg:
        b, l = cg["bare_valid"]["per_request"], cg["layer_valid"]["per_request"]
        lines.append(f"| user-space instructions per request, layer vs bare (callgrind) | {l:.0f} vs {b:.0f} (+{l - b:.0f}, {l / b - 1:.0%}) | - | - |")
    bad = s.get("layer_bad_signature", {}).get("rps")
    parts = cg.get("layer_parts") or []
    if bad:
        lines.append(f"| bad-signature flood vs valid tokens | {bad / s['layer_valid']['rps']:.2f}x | - | - |")
    if parts:
        lines += [
            "",
            "Where the layer's user-space instructions go, per request with a cached token (callgrind,",
            "inclusive; `HTTP_CALLGRIND=1 bash benches/http.sh`, profile kept in `$CARGO_TARGET_DIR/loadgen/`).",
            "Kernel time (epoll, reads, writes) is not counted, so the instruction share overstates the",
            "throughput share:",
            "",
            "| part | instructions |",
            "|---|---:|",
        ] + [f"| {p['part']} | {p['per_request']:.0f} |" for p in parts]
    return lines, ([] if met else ["HTTP throughput loss"])


def soak_section(target):
    """Soak under chaos (benches/soak.sh): the last run's summary."""
    d = load_json(os.path.join(target, "loadgen", "soak.json"))
    lines = ["", "## Soak under chaos (`bash benches/soak.sh SECONDS`)", ""]
    if d is None:
        return lines + ["n/a: run `bash benches/soak.sh 30` (writes `$CARGO_TARGET_DIR/loadgen/soak.json`)."]
    kinds = {}
    for key, n in d["by_kind"].items():
        kind, status = key.rsplit(" ", 1)
        kinds.setdefault(kind.split(":")[0], {}).setdefault(status, 0)
        kinds[kind.split(":")[0]][status] += n
    rss = d["rss_kb"]
    st = d["settings"]
    lines += [
        f"{d['seconds']:.0f} s, {d['workers']} concurrent clients through the tower layer, three issuers (ES256, RS256,",
        f"ES384) whose JWKS servers rotate keys every {st['rotate_every_s']} s, fail {st['fail_ratio']:.0%} of fetches (500,",
        f"garbage, past the timeout), answer {st['slow_ratio']:.0%} slowly, and have outages shorter and longer than",
        f"ttl + max_stale ({st['ttl_s']:.0f} s + {st['max_stale_s']:.0f} s). Seed {d['seed']}.",
        "",
        "| figure | value |",
        "|---|---:|",
        f"| requests | {d['requests']} ({d['requests_per_second']:.0f}/s) |",
    ]
    for kind, statuses in sorted(kinds.items()):
        lines.append(f"| {kind} | " + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())) + " |")
    lines += [
        "| oracle verdicts (verdict status: count) | " + ", ".join(f"{k}: {n}" for k, n in d["by_verdict"].items()) + " |",
        f"| valid tokens refused past the staleness limit | {d['refused_past_staleness']} |",
        f"| longest gap between key fetches (limit {d['max_fetch_gap_limit_s']:.2f} s) | "
        + ", ".join(f"{p['max_gap_s']:.2f} s" for p in d["providers"]) + " |",
        f"| **wrong decisions** | **{d['wrong']}** |",
        f"| RSS before / after warm-up / peak after / end (KiB) | {rss['before']} / {rss['warm']} / {rss['peak_after_warm']} / {rss['end']} (limit {rss['limit']}) |",
    ]
    return lines


def gateway_lines(target):
    """The "Through a gateway" section from benches/gateway.sh's JSON (none when it did not run)."""
    path = os.path.join(target, "loadgen", "gateway.json")
    try:
        with open(path) as f:
            g = json.load(f)
    except (OSError, ValueError):
        return ["## Through a gateway", "", "Not measured in this run (`bash benches/gateway.sh`).", ""]
    runs = g.get("runs", {})
    rows = [
        ("direct", "nginx -> upstream (no auth)"),
        ("auth_request", "nginx `auth_request` -> `scopegate serve` -> upstream"),
    ]
    lines = [
        "## Through a gateway",
        "",
        f"`bash benches/gateway.sh`: {g.get('wrk', 'wrk')} on this machine ({g.get('cores', '?')} cores shared by",
        f"wrk, nginx and the sidecar), {g.get('nginx', 'nginx')}, {g.get('date', '')}. Request: {g.get('request', '')}.",
        "The nginx config is `examples/gateways/nginx.conf` (the README's); the upstream is an nginx",
        "`return 200`.",
        "",
        "| path | requests/s | p50 | p99 | non-2xx |",
        "|---|---:|---:|---:|---:|",
    ]
    for key, label in rows:
        r = runs.get(key)
        if r is None:
            lines.append(f"| {label} | n/a | n/a | n/a | n/a |")
            continue
        lines.append(
            f"| {label} | {r['requests_per_second']:,.0f} | {r['p50_ms']:.2f} ms | {r['p99_ms']:.2f} ms | {r['non_2xx']} |"
        )
    d, a = runs.get("direct"), runs.get("auth_request")
    if d and a and a["requests_per_second"]:
        lines += ["", f"`auth_request` keeps {a['requests_per_second'] / d['requests_per_second']:.0%} of the direct throughput."]
    return lines + [""]


def main():
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    crit = sys.argv[1] if len(sys.argv) > 1 else os.path.join(target, "criterion")
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "BENCHMARKS.md")
    m = {b: median_ns(crit, b) for b, _ in BENCHES}

    lines = [
        "# Benchmarks",
        "",
        "Generated by `benches/report.py` from criterion's medians; do not edit by hand.",
        "",
        "Reproduce with one command from the repository root:",
        "",
        "```",
        "bash benches/run.sh",
        "```",
        "",
        "(`cargo bench -p scopegate-benches`, then `python3 benches/report.py`, which rewrites this file.)",
        "",
        "## Machine",
        "",
        f"- date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- cpu: {cpu_model()}, {sh('nproc')} cores",
        f"- {sh('rustc', '-V')}",
        f"- os: {platform.system()} {platform.release()}",
        "",
        "This machine is shared: other builds ran on the same two cores during the run, so absolute",
        "numbers are noisy. Compare ratios within one run; they are what the targets are about.",
        "",
        "## Medians",
        "",
        "| benchmark | median | what |",
        "|---|---:|---|",
    ]
    for b, what in BENCHES:
        lines.append(f"| `{b}` | {fmt_time(m[b])} | {what} |")
    lines += ["", "## Targets and ratios", "", "| comparison | value | target | result |", "|---|---:|---|---|"]
    missed = []
    for label, b, limit, reads in ABSOLUTE:
        v = m[b]
        if v is None:
            result = "n/a"
        elif v <= limit:
            result = "met"
        else:
            result = "**MISSED**"
            missed.append(label)
        lines.append(f"| {label} | {fmt_time(v)} | {reads} | {result} |")
    for label, num, den, limit, reads in RATIOS:
        a, b = m[num], m[den]
        if a is None or b is None or b == 0:
            lines.append(f"| {label} | n/a | {reads or '-'} | n/a |")
            continue
        r = a / b
        if limit is None:
            result = "-"
        elif r <= limit:
            result = "met" + (" (stretch met)" if "stretch" in reads and r < 1.0 else "")
        else:
            result = "**MISSED**"
            missed.append(label)
        lines.append(f"| {label} | {r:.2f}x | {reads or '-'} | {result} |")
    tb, tl = m["tower/bare"], m["tower/layer_cached"]
    if tb is not None and tl is not None:
        added = tl - tb
        ok = added <= 500.0
        if not ok:
            missed.append("tower layer overhead")
        lines.append(f"| tower layer overhead (layer_cached - bare) | {fmt_time(added)} | <= 500 ns | {'met' if ok else '**MISSED**'} |")
    else:
        lines.append("| tower layer overhead (layer_cached - bare) | n/a | <= 500 ns | n/a |")
    lines += coldstart_section(os.path.join(target, "loadgen", "coldstart.json"), missed)
    http_lines, http_missed = http_section(target)
    missed += http_missed
    lines += http_lines
    lines += soak_section(target)
    lines += [""] + gateway_lines(target)
    lines += [
        "",
        "Missed targets: " + (", ".join(missed) if missed else "none") + ".",
        "",
        "## Notes",
        "",
        "- Every `decision/*` benchmark starts from an `http::Request` with an `Authorization` header",
        "  (strip `Bearer `, then `Engine::decide`) and ends with a `Decision`; the route is",
        "  `GET /svc{mid}/items/{id}` in the middle of a 1,000-route policy with three issuers.",
        "- `first_sight_*` compile the same policy with `[settings.identity_cache] capacity = 0`.",
        "- The baselines get the same key, parsed once, and the same issuer/audience/leeway checks.",
        "- Peers: `jwt-authorizer` has no cache of verified tokens, so it is set against first sight;",
        "  Cedar is given the already-verified scopes and roles and the matched route as resource (no",
        "  path matching), so it is set against the cached decision.",
        "- `n/a`: the benchmark did not run (the Lambda crate is not in this build).",
        "",
    ]
    # Hand-written analysis of missed targets (callgrind), kept beside this script.
    profile = os.path.join(ROOT, "benches", "PROFILE.md")
    if os.path.exists(profile):
        with open(profile) as f:
            lines += [f.read()]
    with open(out, "w") as f:
        f.write("\n".join(lines))
    print(f"wrote {out}")
    for b, _ in BENCHES:
        print(f"{b:40} {fmt_time(m[b])}")
    if missed:
        print("MISSED: " + ", ".join(missed))


if __name__ == "__main__":
    main()
