//! `lambda/token_event_cached`: an API Gateway REST `TOKEN` event through the Lambda handler
//! (`Authorizer::handle`), 1,000-route policy, identity cache and policy plan warm. Compare with
//! `decision/cached_1k_routes` for what the event and response JSON cost.
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

    let mut g = c.benchmark_group("lambda");
    g.bench_function("token_event_cached", |b| {
        b.iter(|| rt.block_on(authorizer.handle(black_box(event.clone()))).unwrap())
    });
    g.finish();
}

common::bench_main!(bench_lambda);
