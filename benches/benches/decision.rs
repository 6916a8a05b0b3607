//! `decision/*` (one request to a `Decision`) and `baseline/*` (what verifying the same token
//! costs without scopegate).
// Bench code: a setup step that fails is a broken benchmark, reported by panicking.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use std::hint::black_box;
use std::time::Duration;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use criterion::Criterion;
use http::header::AUTHORIZATION;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use metrics_exporter_prometheus::PrometheusBuilder;
use scopegate::{AuthRequest, Decision, Engine};
use scopegate_benches::{AUDIENCE, LEEWAY, POLICY_ROUTES, RS_ISS, fixture, jwk_bytes, request, split_jws};

/// An incoming request as a service sees it.
fn http_request(token: &str) -> http::Request<()> {
    let (method, path) = request(POLICY_ROUTES);
    http::Request::builder()
        .method(method)
        .uri(format!("https://api.example.com{path}?page=2"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .header("accept", "application/json")
        .body(())
        .unwrap()
}

/// What an adapter does: read the bearer token, ask the engine.
fn decide(engine: &Engine, req: &http::Request<()>) -> Decision {
    let token = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let mut auth = AuthRequest::new(req.method().as_str(), req.uri().path());
    if let Some(t) = token {
        auth = auth.token(t);
    }
    engine.decide(&auth)
}

fn bench_decision(c: &mut Criterion) {
    let f = fixture();
    let cached = scopegate_benches::engine(POLICY_ROUTES, true);
    let uncached = scopegate_benches::engine(POLICY_ROUTES, false);
    let mut g = c.benchmark_group("decision");

    let req = http_request(&f.rs_token);
    let first = decide(&cached, &req);
    assert!(first.is_allowed(), "{first:?}");
    g.bench_function("cached_1k_routes", |b| b.iter(|| decide(&cached, black_box(&req))));

    // The same with a real Prometheus recorder behind the engine's metric handles.
    let recorder = PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    let recorded = scopegate_benches::engine_with_recorder(POLICY_ROUTES, true, &recorder);
    assert!(decide(&recorded, &req).is_allowed());
    g.bench_function("cached_1k_routes_recorder", |b| {
        b.iter(|| decide(&recorded, black_box(&req)))
    });
    assert!(
        handle.render().contains("scopegate_decisions_total"),
        "the recorder saw the decisions"
    );

    // One forged token, again and again: the rejected-signature cache answers after the first.
    let forged = http_request(&scopegate_benches::forged_rs_token());
    let d = decide(&cached, &forged);
    assert_eq!(d.reason_code().map(|c| c.as_str()), Some("bad_signature"));
    g.bench_function("forged_signature_repeat", |b| {
        b.iter(|| decide(&cached, black_box(&forged)))
    });

    for (id, token) in [
        ("first_sight_rs256", &f.rs_token),
        ("first_sight_es256", &f.es_token),
        ("first_sight_hs256", &f.hs_token),
    ] {
        let req = http_request(token);
        let d = decide(&uncached, &req);
        assert!(d.is_allowed(), "{id}: {d:?}");
        g.bench_function(id, |b| b.iter(|| decide(&uncached, black_box(&req))));
    }
    g.finish();
}

fn bench_baseline(c: &mut Criterion) {
    let f = fixture();
    let jwk = f.rs_key.public_jwk();
    let mut g = c.benchmark_group("baseline");

    // The same key (parsed once, as any service would) and the same checks scopegate makes.
    let n = jwk["n"].as_str().unwrap();
    let e = jwk["e"].as_str().unwrap();
    let key = DecodingKey::from_rsa_components(n, e).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[RS_ISS]);
    validation.set_audience(&[AUDIENCE]);
    validation.leeway = LEEWAY;
    validation.validate_nbf = true;
    let token = f.rs_token.as_str();
    jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation).unwrap();
    g.bench_function("jsonwebtoken_decode_rs256", |b| {
        b.iter(|| jsonwebtoken::decode::<serde_json::Value>(black_box(token), &key, &validation).unwrap())
    });

    // The floor: the RSA-2048 PKCS#1 v1.5 SHA-256 check alone, key parsed beforehand.
    let parsed = ParsedPublicKey::new(
        &RSA_PKCS1_2048_8192_SHA256,
        scopegate_benches::rsa_public_key_der(&f.rs_key),
    )
    .unwrap();
    let (input, signature) = split_jws(token);
    assert_eq!(jwk_bytes(&jwk, "n").len(), 256, "RSA-2048");
    parsed.verify_sig(input.as_bytes(), &signature).unwrap();
    g.bench_function("aws_lc_verify_rs256", |b| {
        b.iter(|| {
            parsed
                .verify_sig(black_box(input.as_bytes()), black_box(&signature))
                .unwrap()
        })
    });

    // The ES256 floor: the P-256 check alone, point parsed beforehand.
    let parsed = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, scopegate_benches::ec_public_point(&f.es_key)).unwrap();
    let (input, signature) = split_jws(&f.es_token);
    parsed.verify_sig(input.as_bytes(), &signature).unwrap();
    g.bench_function("aws_lc_verify_es256", |b| {
        b.iter(|| {
            parsed
                .verify_sig(black_box(input.as_bytes()), black_box(&signature))
                .unwrap()
        })
    });
    g.finish();
}

common::bench_main!(
    config = common::config_with(Duration::from_millis(1500), Duration::from_secs(4));
    bench_decision,
    bench_baseline
);
