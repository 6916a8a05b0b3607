//! Not a benchmark: fixed adapter workloads for instruction counting (see `benches/PROFILE.md`),
//! e.g. `SCOPEGATE_PROFILE=tower_cached SCOPEGATE_PROFILE_N=4000 valgrind --tool=callgrind <binary>`.
//! Workloads: `tower_bare` and `tower_cached` (the requests of `tower/*`), `lambda_token_cached`
//! and `lambda_token_bytes` (the
//! events of `lambda/token_event_cached` and `lambda/token_event_bytes`). Without `SCOPEGATE_PROFILE` it does nothing.
// Bench code: a setup step that fails is a broken benchmark, reported by panicking.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::hint::black_box;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::Request;
use http::header::AUTHORIZATION;
use scopegate_benches::{POLICY_ROUTES, fixture, middle_service, request};
use scopegate_lambda::Authorizer;
use scopegate_tower::ScopeGateLayer;
use serde_json::json;
use tower::ServiceExt;

/// The counted part: `--toggle-collect='*measured_loop*'` leaves key generation and setup out.
#[inline(never)]
fn measured_loop<T>(n: usize, mut once: impl FnMut() -> T) {
    for _ in 0..n {
        black_box(once());
    }
}

fn main() {
    let Ok(workload) = std::env::var("SCOPEGATE_PROFILE") else {
        return;
    };
    let n: usize = std::env::var("SCOPEGATE_PROFILE_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let f = fixture();
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let engine = Arc::new(scopegate_benches::engine(POLICY_ROUTES, true));
    let (method, path) = request(POLICY_ROUTES);
    let bearer = format!("Bearer {}", f.rs_token);
    match workload.as_str() {
        "tower_bare" | "tower_cached" => {
            let route = format!("/svc{}/items/{{id}}", middle_service(POLICY_ROUTES));
            let mut svc: Router = Router::new().route(&route, get(|| async { "ok" }));
            if workload == "tower_cached" {
                svc = svc.layer(ScopeGateLayer::new(engine));
            }
            let req = || {
                Request::get(black_box(path.as_str()))
                    .header(AUTHORIZATION, &bearer)
                    .header("accept", "application/json")
                    .body(Body::empty())
                    .unwrap()
            };
            assert!(rt.block_on(svc.clone().oneshot(req())).unwrap().status().is_success());
            measured_loop(n, || black_box(rt.block_on(svc.clone().oneshot(req())).unwrap()));
        }
        "lambda_token_cached" | "lambda_token_bytes" => {
            let authorizer = Authorizer::new(engine, &Default::default()).unwrap();
            let event = json!({
                "type": "TOKEN",
                "authorizationToken": bearer,
                "methodArn": format!("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/{method}{path}"),
            });
            let answer = rt.block_on(authorizer.handle(event.clone())).unwrap();
            assert_eq!(answer["policyDocument"]["Statement"][0]["Effect"], "Allow", "{answer}");
            if workload == "lambda_token_cached" {
                // The handler: the event as lambda_runtime hands it over, the answer's JSON out.
                measured_loop(n, || {
                    let answer = rt.block_on(authorizer.respond(black_box(event.clone()))).unwrap();
                    black_box(serde_json::to_vec(&answer).unwrap())
                });
            } else {
                // Also the runtime's part: JSON bytes in, JSON bytes out.
                let bytes = serde_json::to_vec(&event).unwrap();
                measured_loop(n, || {
                    let event: serde_json::Value = serde_json::from_slice(black_box(&bytes)).unwrap();
                    let answer = rt.block_on(authorizer.respond(event)).unwrap();
                    black_box(serde_json::to_vec(&answer).unwrap())
                });
            }
        }
        other => panic!("unknown workload {other}"),
    }
}
