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
    ("lambda/token_event_cached", "API Gateway TOKEN event through the Lambda handler, cached"),
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
        ok = added <= 1000.0
        if not ok:
            missed.append("tower layer overhead")
        lines.append(f"| tower layer overhead (layer_cached - bare) | {fmt_time(added)} | <= 1 µs | {'met' if ok else '**MISSED**'} |")
    else:
        lines.append("| tower layer overhead (layer_cached - bare) | n/a | <= 1 µs | n/a |")
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
