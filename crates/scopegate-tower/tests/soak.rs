//! Soak under chaos (issue 11). Ignored by `cargo test`: `bash benches/soak.sh SECONDS` runs it
//! (`SOAK_SECONDS`, default 30; `SOAK_JSON` names the summary file).
//!
//! Concurrent requests go through the tower layer with tokens of three issuers whose JWKS
//! servers ([`ChaosIdp`]) rotate keys, fail a fifth of fetches (500, garbage, too slow), answer
//! another fifth slowly, and have outages: one shorter than the staleness limit, one longer.
//! Every decision is checked by an oracle built from what the servers actually served
//! ([`ChaosIdp::judge`]): tokens of published keys pass, tokens of removed keys stop passing
//! once a document without the key can have reached the engine, keys are used through failures
//! until `ttl + max_stale` and refused after, and nothing forged ever passes. Both answers are
//! accepted only while a change can be in flight. Resident memory must stay flat after warm-up.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use http::{Request, Response, StatusCode};
use scopegate::{Engine, Format, LoadedPolicy};
use scopegate_testkit::chaos::{ChaosConfig, ChaosIdp, KeyRules, Verdict};
use scopegate_testkit::fixtures::{Rule, plain_issuer, routes};
use scopegate_testkit::{TokenBuilder, now};
use scopegate_tower::ScopeGateLayer;
use serde_json::{Value, json};
use tower::{Layer, ServiceExt, service_fn};

const TTL: f64 = 2.0;
const MAX_STALE: f64 = 6.0;
const TIMEOUT: f64 = 1.5;
const COOLDOWN: f64 = 1.0;
const AUD: &str = "soak-api";
/// From a document leaving the provider to the engine using it: loopback transfer and
/// scheduling on a loaded machine (the fetch itself cannot take longer than `TIMEOUT`).
const INSTALL_DELAY: Duration = Duration::from_millis(1000);
/// Flat memory: after warm-up, resident memory may grow by at most this many KiB or this
/// share of the warm-up figure, whichever is larger.
const RSS_SLACK_KB: u64 = 8 * 1024;
const RSS_SLACK_SHARE: f64 = 0.15;

#[path = "soak/tokens.rs"]
mod tokens;
use tokens::{Case, Keys, claims, keys, tokens};

struct Issuer {
    iss: String,
    idp: ChaosIdp,
}

/// Starts the provider of `keys`: rotation every 4 s, a fifth of fetches failing, a fifth
/// slow, and these outages.
fn start(keys: &Keys, outages: Vec<(Duration, Duration)>, period: u64, seed: u64) -> Issuer {
    let idp = ChaosIdp::start_background(ChaosConfig {
        ring: keys.ring.clone(),
        published: 2,
        rotate_every: Duration::from_secs(4),
        fail_ratio: 0.2,
        slow_ratio: 0.2,
        slow: Duration::from_millis(300),
        too_slow: Duration::from_secs_f64(TIMEOUT + 1.0),
        outages,
        outage_period: Duration::from_secs(period),
        seed,
    })
    .unwrap();
    Issuer {
        iss: keys.iss.clone(),
        idp,
    }
}

/// The identity cache is kept small so that the fresh tokens fill it during warm-up even on a
/// slow machine: growth after that is what the memory check is about.
fn policy(issuers: &[Issuer]) -> String {
    let mut text = format!(
        "version = 1\n[settings]\nleeway_seconds = 5\n[settings.identity_cache]\ncapacity = 500\n\
         [settings.jwks]\nconnect_timeout_seconds = 1.0\ntimeout_seconds = {TIMEOUT}\n\
         default_ttl_seconds = {TTL}\nmin_ttl_seconds = 1.0\nmax_ttl_seconds = 10.0\n\
         unknown_kid_cooldown_seconds = {COOLDOWN}\nmax_stale_seconds = {MAX_STALE}\n"
    );
    for (n, i) in issuers.iter().enumerate() {
        let source = format!("jwks_uri = \"{}\"", i.idp.jwks_uri());
        text.push_str(&plain_issuer(&format!("soak{n}"), &i.iss, AUD, &[&source]));
    }
    text.push_str(&routes(&[("GET /items/{id}", Rule::Scopes(&["read"]))]));
    text
}

fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn secs(d: f64) -> Duration {
    Duration::from_secs_f64(d)
}

/// Per worker tallies, merged at the end.
#[derive(Default)]
struct Tally {
    requests: u64,
    /// (case kind, status) -> count.
    by_kind: BTreeMap<(String, u16), u64>,
    /// (verdict, status) -> count, for the key-dependent cases.
    by_verdict: BTreeMap<(String, u16), u64>,
    /// Valid tokens refused because every key document had gone past the staleness limit.
    refused_past_staleness: u64,
    wrong: u64,
    wrong_samples: Vec<String>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.requests += other.requests;
        for (k, v) in other.by_kind {
            *self.by_kind.entry(k).or_default() += v;
        }
        for (k, v) in other.by_verdict {
            *self.by_verdict.entry(k).or_default() += v;
        }
        self.refused_past_staleness += other.refused_past_staleness;
        self.wrong += other.wrong;
        self.wrong_samples.extend(other.wrong_samples);
        self.wrong_samples.truncate(20);
    }
}

#[test]
#[ignore = "soak: run by benches/soak.sh"]
fn soak_under_chaos() {
    let seconds: f64 = std::env::var("SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30.0);
    let workers: usize = std::env::var("SOAK_WORKERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(16);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let rss_before = rss_kb();
    // The fault dice: from the clock unless given, printed so a run's faults can be replayed.
    let seed: u64 = std::env::var("SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
            t.map_or(0, |d| d.as_nanos() as u64)
        });
    println!("SOAK_SEED={seed}");
    let s = |v: u64| Duration::from_secs(v);
    // A: outages shorter than the staleness limit (keys keep working); B: longer (keys are
    // refused after ttl + max_stale, then come back); C: only the random faults.
    let key_sets = [
        keys("soak-a", "ES256"),
        keys("soak-b", "RS256"),
        keys("soak-c", "ES384"),
    ];
    let exp = now() + seconds as u64 + 3600;
    // Every token (and attacker key) first: the providers' clocks start when they do.
    let cases = Arc::new(tokens(&key_sets, exp));
    let valid_by_kid: Arc<HashMap<String, String>> = Arc::new(
        cases
            .iter()
            .filter_map(|(c, t)| match (c, t) {
                (Case::Valid { kid, .. }, Some(t)) => Some((kid.clone(), t.clone())),
                _ => None,
            })
            .collect(),
    );
    let issuers = Arc::new(vec![
        start(&key_sets[0], vec![(s(6), s(10))], 20, seed),
        start(&key_sets[1], vec![(s(12), s(24))], 30, seed.wrapping_add(1)),
        start(&key_sets[2], Vec::new(), 1, seed.wrapping_add(2)),
    ]);
    let engine = Arc::new(
        Engine::compile(&LoadedPolicy::parse(&policy(&issuers), Format::Toml, "soak.toml").unwrap())
            .unwrap()
            .engine,
    );
    let svc = ScopeGateLayer::new(Arc::clone(&engine)).layer(service_fn(|_req: Request<String>| async {
        Ok::<_, Infallible>(Response::new(String::from("ok")))
    }));
    let rules = KeyRules {
        ttl: secs(TTL),
        max_stale: secs(MAX_STALE),
        install_delay: INSTALL_DELAY,
    };
    let fresh_seq = Arc::new(AtomicU64::new(0));

    let started = Instant::now();
    let deadline = started + secs(seconds);
    let warm_at = started + secs((seconds / 4.0).max(5.0).min(seconds / 2.0));
    let (tally, rss) = runtime.block_on(async {
        let _ = engine.warm_up().await;
        // Memory: sampled every 250 ms; the oracle's logs are trimmed to the last minute.
        let monitor = {
            let issuers = Arc::clone(&issuers);
            tokio::spawn(async move {
                let (mut warm, mut peak_after) = (None, 0u64);
                while Instant::now() < deadline {
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    let now = Instant::now();
                    let rss = rss_kb();
                    if now >= warm_at {
                        let w = *warm.get_or_insert(rss);
                        peak_after = peak_after.max(rss).max(w);
                    }
                    if let Some(cutoff) = now.checked_sub(s(60)) {
                        issuers.iter().for_each(|i| i.idp.forget_before(cutoff));
                    }
                }
                (warm.unwrap_or_else(rss_kb), peak_after, rss_kb())
            })
        };
        let mut tasks = tokio::task::JoinSet::new();
        for w in 0..workers {
            let (svc, cases, issuers, fresh_seq, valid_by_kid) = (
                svc.clone(),
                Arc::clone(&cases),
                Arc::clone(&issuers),
                Arc::clone(&fresh_seq),
                Arc::clone(&valid_by_kid),
            );
            tasks.spawn(async move {
                let mut tally = Tally::default();
                let mut dice = 0x5EED_0000 + w as u64;
                let mut roll = move |n: usize| {
                    dice ^= dice << 13;
                    dice ^= dice >> 7;
                    dice ^= dice << 17;
                    (dice % n as u64) as usize
                };
                while Instant::now() < deadline {
                    let pick = roll(100);
                    let (case, token) = if pick < 45 {
                        // A key the provider publishes now (mostly passes).
                        let i = roll(issuers.len());
                        let published = issuers[i].idp.published_at(Instant::now());
                        let key = published[roll(published.len())];
                        let kid = key.kid().unwrap().to_string();
                        let token = if pick < 3 {
                            // A token never seen before: first-sight verification, cache churn.
                            let jti = fresh_seq.fetch_add(1, Ordering::Relaxed);
                            TokenBuilder::new(claims(&issuers[i].iss, "read", exp))
                                .claim("jti", json!(format!("soak-{jti}")))
                                .sign(key)
                        } else {
                            valid_by_kid[&kid].clone()
                        };
                        (Case::Valid { issuer: i, kid }, Some(token))
                    } else {
                        cases[roll(cases.len())].clone()
                    };
                    let mut req = Request::get(format!("/items/{}", roll(1000)));
                    if let Some(t) = &token {
                        req = req.header("authorization", format!("Bearer {t}"));
                    }
                    let req = req.body(String::new()).unwrap();
                    let t0 = Instant::now();
                    let response = svc.clone().oneshot(req).await.unwrap();
                    let status = response.status();
                    let t1 = Instant::now();
                    let (kind, verdict, right): (String, Option<Verdict>, bool) = match &case {
                        Case::Forged(k) => (format!("forged:{k}"), None, status == StatusCode::UNAUTHORIZED),
                        Case::Valid { issuer, kid } | Case::NoScope { issuer, kid } => {
                            let pass = if matches!(case, Case::Valid { .. }) {
                                StatusCode::OK
                            } else {
                                StatusCode::FORBIDDEN
                            };
                            let v = issuers[*issuer]
                                .idp
                                .judge(kid, t0, t1, rules)
                                .unwrap_or(Verdict::MustDeny);
                            let right = match v {
                                Verdict::MustAllow => status == pass,
                                Verdict::MustDeny => status == StatusCode::UNAUTHORIZED,
                                Verdict::Either => status == pass || status == StatusCode::UNAUTHORIZED,
                            };
                            if status == StatusCode::UNAUTHORIZED && issuers[*issuer].idp.keys_expired(t0, rules) {
                                tally.refused_past_staleness += 1;
                            }
                            let name = if pass == StatusCode::OK { "valid" } else { "no_scope" };
                            (name.to_string(), Some(v), right)
                        }
                    };
                    tally.requests += 1;
                    *tally.by_kind.entry((kind.clone(), status.as_u16())).or_default() += 1;
                    if let Some(v) = verdict {
                        *tally.by_verdict.entry((format!("{v:?}"), status.as_u16())).or_default() += 1;
                    }
                    if !right {
                        tally.wrong += 1;
                        if tally.wrong_samples.len() < 20 {
                            let at = |t: Instant| t.duration_since(started).as_secs_f64();
                            let kid = match &case {
                                Case::Valid { kid, .. } | Case::NoScope { kid, .. } => kid.as_str(),
                                Case::Forged(_) => "-",
                            };
                            tally.wrong_samples.push(format!(
                                "{kind} kid={kid} status={status} verdict={verdict:?} t={:.3}..{:.3} {:?}",
                                at(t0),
                                at(t1),
                                response.headers().get("www-authenticate")
                            ));
                        }
                    }
                }
                tally
            });
        }
        let mut tally = Tally::default();
        let mut panics = 0;
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(t) => tally.merge(t),
                Err(_) => panics += 1,
            }
        }
        assert_eq!(panics, 0, "a worker panicked");
        (tally, monitor.await.unwrap())
    });
    let elapsed = started.elapsed().as_secs_f64();
    let (rss_warm, rss_peak, rss_end) = rss;
    let rss_limit = rss_warm + RSS_SLACK_KB.max((rss_warm as f64 * RSS_SLACK_SHARE) as u64);
    // A removed key is dropped by the next refresh: the refresher never waits longer than
    // 80% of the TTL after a success or the cooldown after a failure, plus one fetch.
    let gap_limit = (0.8 * TTL).max(COOLDOWN) + TIMEOUT + 1.0;
    let providers: Vec<Value> = issuers
        .iter()
        .map(|i| {
            let c = i.idp.counts();
            json!({"iss": i.iss, "served": c.served, "slow": c.slow, "status_500": c.status_500,
                "garbage": c.garbage, "too_slow": c.too_slow, "outage": c.outage,
                "max_gap_s": i.idp.max_gap().as_secs_f64()})
        })
        .collect();
    let stats: Vec<Value> = engine
        .key_stats()
        .into_iter()
        .map(|(id, s)| {
            json!({"issuer": id, "fetches": s.fetches, "failures": s.failures,
            "stale_serves": s.stale_serves, "unknown_kid_rejections": s.unknown_kid_rejections})
        })
        .collect();
    let map = |m: &BTreeMap<(String, u16), u64>| {
        let mut out = serde_json::Map::new();
        for ((k, status), n) in m {
            out.insert(format!("{k} {status}"), json!(n));
        }
        Value::Object(out)
    };
    let summary = json!({
        "seconds": elapsed, "workers": workers, "requests": tally.requests,
        "requests_per_second": tally.requests as f64 / elapsed, "seed": seed, "wrong": tally.wrong,
        "wrong_samples": tally.wrong_samples, "by_kind": map(&tally.by_kind),
        "by_verdict": map(&tally.by_verdict),
        "refused_past_staleness": tally.refused_past_staleness, "providers": providers, "engine_key_stats": stats,
        "max_fetch_gap_limit_s": gap_limit,
        "rss_kb": {"before": rss_before, "warm": rss_warm, "peak_after_warm": rss_peak, "end": rss_end,
            "limit": rss_limit},
        "settings": {"ttl_s": TTL, "max_stale_s": MAX_STALE, "timeout_s": TIMEOUT, "cooldown_s": COOLDOWN,
            "install_delay_s": INSTALL_DELAY.as_secs_f64(), "rotate_every_s": 4, "fail_ratio": 0.2,
            "slow_ratio": 0.2},
    });
    let text = serde_json::to_string_pretty(&summary).unwrap();
    println!("{text}");
    if let Ok(path) = std::env::var("SOAK_JSON") {
        std::fs::write(path, &text).unwrap();
    }
    assert_eq!(tally.wrong, 0, "wrong decisions: {:#?}", tally.wrong_samples);
    assert!(
        rss_peak <= rss_limit,
        "resident memory grew after warm-up: {rss_warm} KiB -> {rss_peak} KiB"
    );
    for i in issuers.iter() {
        let gap = i.idp.max_gap().as_secs_f64();
        assert!(
            gap <= gap_limit,
            "{}: {gap:.2} s without a key fetch (limit {gap_limit:.2} s)",
            i.iss
        );
    }
    // The run exercised what it claims to: allows, each forged kind, refusals of known keys.
    let count = |kind: &str, status: u16| tally.by_kind.get(&(kind.to_string(), status)).copied().unwrap_or(0);
    assert!(count("valid", 200) > 0 && count("valid", 401) > 0 && count("no_scope", 403) > 0);
    assert!(tally.by_verdict.keys().any(|(v, _)| v == "MustDeny"));
    if seconds >= 30.0 {
        // soak-b's first outage (12 s to 24 s) outlasts ttl + max_stale.
        assert!(
            tally.refused_past_staleness > 0,
            "the staleness limit was never reached"
        );
    }
}
