//! `lambda/token_event_cached`: an API Gateway REST `TOKEN` event through the Lambda handler
//! (`Authorizer::respond`: the event as `lambda_runtime` hands it over, a `serde_json::Value`,
//! in; the answer's JSON bytes out), 1,000-route policy, identity cache and policy plan warm.
//! `lambda/token_event_bytes` adds the runtime's own part: the event parsed from JSON bytes.
//! Compare with `decision/cached_1k_routes` for what the event and response JSON cost.
// Bench code: a setup step that fails is a broken benchmark, reported by panicking.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use std::hint::black_box;
use std::sync::Arc;

use criterion::Criterion;
use scopegate_benches::{POLICY_ROUTES, fixture, request};
use scopegate_lambda::Authorizer;
use serde_json::json;

fn bench_lambda(c: &mut Criterion) {
    let f = fixture();
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let engine = Arc::new(scopegate_benches::engine(POLICY_ROUTES, true));
    let authorizer = Authorizer::new(engine, &Default::default()).unwrap();
    let (method, path) = request(POLICY_ROUTES);
    let event = json!({
        "type": "TOKEN",
        "authorizationToken": format!("Bearer {}", f.rs_token),
        "methodArn": format!("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/{method}{path}"),
    });
    let answer = rt.block_on(authorizer.handle(event.clone())).unwrap();
    assert_eq!(answer["policyDocument"]["Statement"][0]["Effect"], "Allow", "{answer}");

    let bytes = serde_json::to_vec(&event).unwrap();
    let mut g = c.benchmark_group("lambda");
    g.bench_function("token_event_cached", |b| {
        b.iter(|| {
            let answer = rt.block_on(authorizer.respond(black_box(event.clone()))).unwrap();
            serde_json::to_vec(&answer).unwrap()
        })
    });
    g.bench_function("token_event_bytes", |b| {
        b.iter(|| {
            let event: serde_json::Value = serde_json::from_slice(black_box(&bytes)).unwrap();
            let answer = rt.block_on(authorizer.respond(event)).unwrap();
            serde_json::to_vec(&answer).unwrap()
        })
    });
    g.finish();
}

common::bench_main!(bench_lambda);
