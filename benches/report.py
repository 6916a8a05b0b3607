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
    ("decision/first_sight_rs256", "same, identity cache off: RS256 verify + claims + rules"),
    ("decision/first_sight_es256", "same, ES256"),
    ("decision/first_sight_hs256", "same, HS256"),
    ("baseline/jsonwebtoken_decode_rs256", "bare jsonwebtoken::decode, same token, key and validation"),
    ("baseline/aws_lc_verify_rs256", "RSA-2048 signature check alone, pre-parsed aws-lc-rs key (the floor)"),
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
    ("first sight RS256 vs aws-lc floor", "decision/first_sight_rs256", "baseline/aws_lc_verify_rs256", None, "floor"),
    ("bare jsonwebtoken decode vs aws-lc floor", "baseline/jsonwebtoken_decode_rs256", "baseline/aws_lc_verify_rs256", None, ""),
    ("routes: 10,000 vs 10", "routes/match_10000", "routes/match_10", 2.0, "<= 2x"),
    ("routes: 1,000 vs 10", "routes/match_1000", "routes/match_10", None, ""),
    ("jwt-authorizer vs scopegate first sight RS256", "peers/jwt_authorizer_rs256", "decision/first_sight_rs256", None, ""),
    ("cedar vs scopegate cached", "peers/cedar_equivalent", "decision/cached_1k_routes", None, ""),
    ("lambda cached vs core cached", "lambda/token_event_cached", "decision/cached_1k_routes", None, ""),
]

# (label, id, limit in ns, how it reads)
ABSOLUTE = [
    ("cached decision, 1,000 routes", "decision/cached_1k_routes", 500.0, "<= 500 ns"),
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
            result = "met" + (" (stretch met)" if limit == 1.10 and r < 1.0 else "")
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
