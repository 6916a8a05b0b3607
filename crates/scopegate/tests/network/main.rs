//! Keys over the network, tested against providers started here on 127.0.0.1: discovery, every
//! way a JWKS endpoint can misbehave, rotation, staleness, storms and issuer isolation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod fetch_metrics;
mod key_sources;

use std::sync::Arc;
use std::time::{Duration, Instant};

use scopegate::{AuthRequest, Decision, Engine, Format, LoadedPolicy, ReasonCode};
use scopegate_testkit::fixtures::{IDP_ISS, Rule, issuer_table, jwks_uri_policy_text, plain_issuer, routes};
use scopegate_testkit::server::{Idp, Jwks};
use scopegate_testkit::{TestKey, TokenBuilder, jwks, now};
use serde_json::json;

/// Short timings so the lifecycle can be watched in a test.
const FAST: &str = "timeout_seconds = 0.5\nconnect_timeout_seconds = 0.5\nmin_ttl_seconds = 0.2\n";

/// A policy trusting each provider (discovery from its issuer URL, or `jwks_uri` when given).
fn engine(issuers: &[(&str, &Idp, bool)], jwks_settings: &str, cache: bool) -> Engine {
    let mut text = String::from("version = 1\n[settings]\n");
    if !cache {
        text.push_str("identity_cache = { capacity = 0 }\n");
    }
    text.push_str(&format!("[settings.jwks]\n{jwks_settings}\n"));
    for (id, idp, explicit) in issuers {
        text.push_str(&format!(
            "[[issuers]]\nid = \"{id}\"\nissuer = \"{}\"\naudiences = [\"api\"]\n",
            idp.iss()
        ));
        if *explicit {
            text.push_str(&format!("jwks_uri = \"{}\"\n", idp.jwks_uri()));
        }
    }
    text.push_str("[[routes]]\nroute = \"GET /a\"\nscopes = [\"read\"]\n");
    let policy = LoadedPolicy::parse(&text, Format::Toml, "network.toml").unwrap();
    Engine::compile(&policy).unwrap().engine
}

fn token(idp: &Idp, key: &TestKey, scope: &str) -> String {
    TokenBuilder::new(json!({"iss": idp.iss(), "aud": "api", "sub": "alice", "scope": scope, "exp": now() + 600}))
        .sign(key)
}

async fn get(engine: &Engine, token: &str) -> Decision {
    engine.authorize(&AuthRequest::new("GET", "/a").token(token)).await
}

fn code(d: &Decision) -> &'static str {
    d.reason_code().map_or("allow", ReasonCode::as_str)
}

fn serve(keys: &[&TestKey]) -> Jwks {
    Jwks::keys(keys)
}

/// A provider on 127.0.0.1 answering `jwks`.
async fn start(jwks: Jwks) -> Idp {
    Idp::start(jwks).await.unwrap()
}

/// An engine trusting issuer `id` at `https://idp.example` with keys from `jwks_uri`, and one
/// route `GET /a` for any authenticated caller.
fn fixed_uri_engine(id: &str, jwks_uri: &str, jwks_settings: &str) -> Engine {
    let text = jwks_uri_policy_text(
        &format!("[settings.jwks]\n{jwks_settings}"),
        id,
        jwks_uri,
        &[("GET /a", Rule::Authenticated)],
    );
    Engine::compile(&LoadedPolicy::parse(&text, Format::Toml, "p.toml").unwrap())
        .unwrap()
        .engine
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_then_verify_with_one_fetch_and_403_on_missing_scope() {
    let k1 = TestKey::es256("k1");
    let idp = start(serve(&[&k1])).await;
    let e = engine(&[("a", &idp, false)], FAST, false);
    // `decide` never fetches: before any fetch the keys are unavailable.
    let t = token(&idp, &k1, "read");
    assert_eq!(
        code(&e.decide(&AuthRequest::new("GET", "/a").token(&t))),
        "keys_unavailable"
    );
    assert_eq!(idp.hits(), 0);
    assert!(get(&e, &t).await.is_allowed());
    assert_eq!((idp.discovery_hits(), idp.jwks_hits()), (1, 1));
    let d = get(&e, &token(&idp, &k1, "write")).await;
    assert_eq!((d.status(), code(&d)), (403, "insufficient_scope"));
    // Known keys are used as they are: no second fetch.
    assert!(e.decide(&AuthRequest::new("GET", "/a").token(&t)).is_allowed());
    assert_eq!(idp.hits(), 2);
    let stats = e.key_stats();
    assert_eq!(stats[0].0, "a");
    assert_eq!((stats[0].1.fetches, stats[0].1.failures), (1, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_new_kid_is_fetched_and_a_removed_key_stops_verifying() {
    let (k1, k2, k3) = (TestKey::es256("k1"), TestKey::es256("k2"), TestKey::es256("k3"));
    let idp = start(serve(&[&k1])).await;
    let e = engine(
        &[("a", &idp, true)],
        &format!("{FAST}unknown_kid_cooldown_seconds = 0.1"),
        true,
    );
    let old = token(&idp, &k1, "read");
    assert!(get(&e, &old).await.is_allowed());
    // The provider adds k2; a token signed with it triggers a fetch and verifies.
    idp.set(serve(&[&k1, &k2]));
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(get(&e, &token(&idp, &k2, "read")).await.is_allowed());
    assert_eq!(idp.jwks_hits(), 2);
    // The provider drops k1. After the next refresh (here caused by another unknown kid), the
    // old token is refused even though its identity was cached.
    idp.set(serve(&[&k2, &k3]));
    assert!(get(&e, &old).await.is_allowed(), "cached until the next refresh");
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(get(&e, &token(&idp, &k3, "read")).await.is_allowed());
    let d = get(&e, &old).await;
    assert_eq!((d.status(), code(&d)), (401, "unknown_key"));
    assert!(get(&e, &token(&idp, &k1, "read")).await.status() == 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_refreshed_in_the_background_within_the_ttl_floor_and_ceiling() {
    let k1 = TestKey::es256("k1");
    // max-age=0 would mean "fetch on every request": the floor (0.3 s) holds instead.
    let floor = start(Jwks::Serve(jwks(&[&k1]), Some("public, max-age=0"))).await;
    // max-age of a day: the ceiling (0.5 s) makes rotations visible anyway.
    let ceiling = start(Jwks::Serve(jwks(&[&k1]), Some("max-age=86400"))).await;
    let settings = "min_ttl_seconds = 0.3\nmax_ttl_seconds = 0.5\ntimeout_seconds = 0.5";
    let e = engine(&[("f", &floor, true), ("c", &ceiling, true)], settings, false);
    let warmed = e.warm_up().await;
    assert!(warmed.iter().all(|w| w.outcome == Ok(1)), "{warmed:?}");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // No request was made: the refreshes ran ahead of expiry, in the background.
    // Floor: refresh at 80% of 0.3 s, so ~4-5 fetches in 1.1 s, not hundreds.
    assert!((3..=6).contains(&floor.jwks_hits()), "{}", floor.jwks_hits());
    // Ceiling: refresh at 80% of 0.5 s: ~3 fetches.
    assert!((2..=4).contains(&ceiling.jwks_hits()), "{}", ceiling.jwks_hits());
    // Requests never waited and never saw stale keys.
    assert!(get(&e, &token(&floor, &k1, "read")).await.is_allowed());
    assert!(
        e.key_stats()
            .iter()
            .all(|(_, s)| s.stale_serves == 0 && s.failures == 0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_refresh_serves_the_last_good_keys_until_max_stale_then_fails_closed() {
    let k1 = TestKey::es256("k1");
    let idp = start(Jwks::Serve(jwks(&[&k1]), Some("max-age=0"))).await;
    let settings =
        "min_ttl_seconds = 0.3\nmax_stale_seconds = 0.8\nunknown_kid_cooldown_seconds = 0.1\ntimeout_seconds = 0.5";
    let e = engine(&[("a", &idp, true)], settings, false);
    assert!(get(&e, &token(&idp, &k1, "read")).await.is_allowed());
    let fetched = Instant::now();
    idp.set(Jwks::Status(500));
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Past the TTL, refreshing fails: the last good keys still verify (a stale serve).
    assert!(get(&e, &token(&idp, &k1, "read")).await.is_allowed());
    let s = e.key_stats()[0].1;
    assert!(s.failures >= 1 && s.stale_serves >= 1, "{s:?}");
    // Past TTL + max_stale: fail closed.
    tokio::time::sleep(Duration::from_millis(1300).saturating_sub(fetched.elapsed())).await;
    let d = get(&e, &token(&idp, &k1, "read")).await;
    assert_eq!((d.status(), code(&d)), (401, "keys_unavailable"));
    assert!(d.reason().contains("HTTP 500"), "{}", d.reason());
    // The provider recovers: the background refresher picks the keys up again.
    idp.set(serve(&[&k1]));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        e.decide(&AuthRequest::new("GET", "/a").token(&token(&idp, &k1, "read")))
            .is_allowed()
    );
}

/// Starts a provider that misbehaves, and returns the 401 reason of a fresh token.
async fn refused_with(jwks_behaviour: Jwks, settings: &str) -> (String, Idp) {
    let k1 = TestKey::es256("k1");
    let idp = start(jwks_behaviour).await;
    let e = engine(&[("a", &idp, false)], settings, false);
    let d = get(&e, &token(&idp, &k1, "read")).await;
    assert_eq!((d.status(), code(&d)), (401, "keys_unavailable"), "{}", d.reason());
    assert_eq!(e.key_stats()[0].1.failures, 1);
    (d.reason(), idp)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_errors_garbage_and_oversize_bodies_fail_closed() {
    let (why, _) = refused_with(Jwks::Status(500), FAST).await;
    assert!(why.contains("answered HTTP 500"), "{why}");
    let (why, _) = refused_with(Jwks::Status(404), FAST).await;
    assert!(why.contains("answered HTTP 404"), "{why}");
    let (why, _) = refused_with(Jwks::Garbage, FAST).await;
    assert!(why.contains("not JSON"), "{why}");
    let (why, _) = refused_with(Jwks::Serve(json!({"keys": "nope"}), None), FAST).await;
    assert!(why.contains("`keys` array"), "{why}");
    let (why, _) = refused_with(
        Jwks::Serve(json!({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}), None),
        FAST,
    )
    .await;
    assert!(why.contains("no usable key (1 skipped)"), "{why}");
    // API Gateway's limit is the default: 150,000 bytes.
    let (why, _) = refused_with(Jwks::Oversize(200_000), FAST).await;
    assert!(why.contains("more than 150000 bytes"), "{why}");
    let (why, _) = refused_with(Jwks::Oversize(2_000), &format!("{FAST}max_body_bytes = 1000")).await;
    assert!(why.contains("more than 1000 bytes"), "{why}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_provider_times_out() {
    let started = Instant::now();
    let (why, _) = refused_with(Jwks::Hang, "timeout_seconds = 0.3").await;
    assert!(why.contains("timed out (limit 300 ms)"), "{why}");
    // Bounded by the timeout, not by the provider (which would hang for an hour).
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_for_another_issuer_is_refused_and_its_jwks_never_fetched() {
    let k1 = TestKey::es256("k1");
    let idp = start(serve(&[&k1])).await;
    idp.claim_issuer("https://evil.example");
    let e = engine(&[("a", &idp, false)], FAST, false);
    let d = get(&e, &token(&idp, &k1, "read")).await;
    assert_eq!(code(&d), "keys_unavailable");
    assert!(
        d.reason().contains("is for issuer `https://evil.example`"),
        "{}",
        d.reason()
    );
    assert_eq!((idp.discovery_hits(), idp.jwks_hits()), (1, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_to_another_origin_are_not_followed() {
    let k1 = TestKey::es256("k1");
    let elsewhere = start(serve(&[&k1])).await;
    let idp = start(Jwks::Redirect(elsewhere.jwks_uri())).await;
    let e = engine(&[("a", &idp, true)], FAST, false);
    let d = get(&e, &token(&idp, &k1, "read")).await;
    assert_eq!(code(&d), "keys_unavailable");
    assert!(d.reason().contains("another origin"), "{}", d.reason());
    assert_eq!(elsewhere.hits(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_kid_storm_fetches_at_most_once_per_cooldown() {
    let published = TestKey::es256("real");
    let attacker = TestKey::es256("attacker");
    let idp = start(serve(&[&published])).await;
    let e = Arc::new(engine(
        &[("a", &idp, false)],
        &format!("{FAST}unknown_kid_cooldown_seconds = 1"),
        true,
    ));
    let storm = |round: usize| {
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..2_000 {
            let t = TokenBuilder::new(json!({"iss": idp.iss(), "aud": "api", "scope": "read", "exp": now() + 600}))
                .header("kid", json!(format!("random-{round}-{i}")))
                .sign(&attacker);
            let e = Arc::clone(&e);
            tasks.spawn(async move { get(&e, &t).await });
        }
        tasks
    };
    for round in 0..2 {
        let mut tasks = storm(round);
        while let Some(d) = tasks.join_next().await {
            assert_eq!(code(&d.unwrap()), "unknown_key");
        }
        // Single flight, and nothing more inside the cooldown.
        assert_eq!(idp.jwks_hits(), round + 1, "round {round}");
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    assert_eq!(idp.discovery_hits(), 1);
    let s = e.key_stats()[0].1;
    assert_eq!(s.unknown_kid_rejections, 4_000);
    eprintln!("unknown-kid storm: 2 x 2000 requests, {} JWKS fetches", idp.jwks_hits());
    // An absurdly long kid is refused without a fetch, even after the cooldown.
    let long = TokenBuilder::new(json!({"iss": idp.iss(), "aud": "api", "scope": "read", "exp": now() + 600}))
        .header("kid", json!("k".repeat(300)))
        .sign(&attacker);
    assert_eq!(code(&get(&e, &long).await), "unknown_key");
    assert_eq!(idp.jwks_hits(), 2);
    // The real key still works, without another fetch.
    let good = TokenBuilder::new(json!({"iss": idp.iss(), "aud": "api", "scope": "read", "exp": now() + 600}))
        .sign(&published);
    assert!(get(&e, &good).await.is_allowed());
    assert!(idp.jwks_hits() <= 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issuers_are_isolated_and_unknown_issuers_never_cause_a_fetch() {
    let (ka, kb) = (TestKey::es256("ka"), TestKey::es256("kb"));
    let a = start(serve(&[&ka])).await;
    let b = start(serve(&[&kb])).await;
    let victim = start(serve(&[&ka])).await;
    let e = engine(&[("a", &a, false), ("b", &b, false)], FAST, false);
    assert_eq!(e.warm_up().await.len(), 2);
    assert!(get(&e, &token(&a, &ka, "read")).await.is_allowed());
    assert!(get(&e, &token(&b, &kb, "read")).await.is_allowed());
    // B's token signed with A's key (and A's kid): B's keys decide, and B has no such key.
    let d = get(&e, &token(&b, &ka, "read")).await;
    assert_eq!(code(&d), "unknown_key");
    // A token naming an untrusted issuer URL is refused before any key or fetch.
    let d = get(&e, &token(&victim, &ka, "read")).await;
    assert_eq!(code(&d), "unknown_issuer");
    assert_eq!(victim.hits(), 0);
    assert_eq!(a.jwks_hits(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warm_up_reports_each_issuer_and_decide_then_needs_no_fetch() {
    let k1 = TestKey::es256("k1");
    let good = start(serve(&[&k1])).await;
    let down = start(Jwks::Status(503)).await;
    let e = engine(&[("good", &good, false), ("down", &down, true)], FAST, false);
    let started = Instant::now();
    let report = e.warm_up().await;
    eprintln!("warm-up of 2 issuers (one down): {:?}", started.elapsed());
    assert_eq!(report.len(), 2);
    assert_eq!(report[0].issuer, "down");
    assert!(report[0].outcome.as_ref().unwrap_err().to_string().contains("HTTP 503"));
    assert_eq!(report[1].issuer, "good");
    assert_eq!(report[1].outcome, Ok(1));
    // Synchronous decisions (no fetch possible) work right after warm-up.
    assert!(
        e.decide(&AuthRequest::new("GET", "/a").token(&token(&good, &k1, "read")))
            .is_allowed()
    );
    assert_eq!(good.hits(), 2);
}

/// Every `jwks fetch` event, as field maps.
#[derive(Default, Clone)]
struct FetchEvents(Arc<std::sync::Mutex<Vec<std::collections::BTreeMap<String, String>>>>);

struct Fields<'a>(&'a mut std::collections::BTreeMap<String, String>);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_string(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for FetchEvents {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let mut fields = std::collections::BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        if fields.get("message").map(String::as_str) == Some("jwks fetch") {
            fields.insert("level".into(), event.metadata().level().to_string());
            self.0.lock().unwrap().push(fields);
        }
    }
}

#[tokio::test]
async fn each_fetch_is_a_tracing_event_and_a_counter() {
    use tracing_subscriber::layer::SubscriberExt;
    let events = FetchEvents::default();
    let _guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(events.clone()));
    let k1 = TestKey::es256("k1");
    let idp = start(serve(&[&k1])).await;
    let e = engine(
        &[("obs", &idp, true)],
        &format!("{FAST}unknown_kid_cooldown_seconds = 0"),
        false,
    );
    assert!(get(&e, &token(&idp, &k1, "read")).await.is_allowed());
    idp.set(Jwks::Status(502));
    assert_eq!(
        code(&get(&e, &token(&idp, &TestKey::es256("k9"), "read")).await),
        "unknown_key"
    );
    let seen = events.0.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(
        (
            seen[0]["issuer"].as_str(),
            seen[0]["outcome"].as_str(),
            seen[0]["keys"].as_str()
        ),
        ("obs", "ok", "1")
    );
    assert!(seen[0].contains_key("duration_ms"));
    assert_eq!(
        (seen[1]["outcome"].as_str(), seen[1]["level"].as_str()),
        ("error", "WARN")
    );
    assert!(seen[1]["error"].contains("HTTP 502"), "{seen:?}");
    let s = e.key_stats()[0].1;
    assert_eq!((s.fetches, s.failures, s.unknown_kid_rejections), (2, 1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_body_without_length_is_cut_at_the_cap() {
    // A server that streams 1 KiB chunks forever (no Content-Length to refuse up front).
    let idp = start(Jwks::Endless).await;
    let e = fixed_uri_engine("s", &idp.jwks_uri(), "max_body_bytes = 10000");
    let t = TokenBuilder::new(json!({"iss": IDP_ISS, "aud": "api", "exp": now() + 600})).sign(&TestKey::es256("k1"));
    let d = get(&e, &t).await;
    assert_eq!(code(&d), "keys_unavailable");
    assert!(d.reason().contains("more than 10000 bytes"), "{}", d.reason());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_cooldown_and_ttl_never_make_a_hot_loop() {
    let idp = start(Jwks::Status(500)).await;
    let settings = "unknown_kid_cooldown_seconds = 0\nmin_ttl_seconds = 0\ntimeout_seconds = 0.5";
    let e = engine(&[("a", &idp, true)], settings, false);
    assert!(e.warm_up().await[0].outcome.is_err());
    tokio::time::sleep(Duration::from_millis(1000)).await;
    // The background refresher retries at most every 100 ms.
    assert!(idp.jwks_hits() <= 12, "{} fetches in 1 s", idp.jwks_hits());
    assert!(idp.jwks_hits() >= 2, "it does retry");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_refuses_connections_fails_closed() {
    // A port that was just free: nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let e = fixed_uri_engine("gone", &format!("http://{closed}/jwks"), FAST);
    let t = TokenBuilder::new(json!({"iss": IDP_ISS, "aud": "api", "exp": now() + 600})).sign(&TestKey::es256("k1"));
    let d = get(&e, &t).await;
    assert_eq!(code(&d), "keys_unavailable");
    assert!(
        d.reason().contains("request to") && d.reason().contains("failed"),
        "{}",
        d.reason()
    );
    assert_eq!(e.key_stats()[0].1.failures, 1);
}
