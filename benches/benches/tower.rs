//! `tower/*`: an axum service called through `oneshot`, bare and behind `ScopeGateLayer`
//! (identity cache warm). The difference is what the layer costs per request.
// Bench code: a setup step that fails is a broken benchmark, reported by panicking.
#![allow(clippy::unwrap_used)]

mod common;

use std::hint::black_box;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use criterion::Criterion;
use http::header::AUTHORIZATION;
use http::{Request, StatusCode};
use scopegate_benches::{POLICY_ROUTES, fixture, middle_service, request};
use scopegate_tower::ScopeGateLayer;
use tower::ServiceExt;

fn http_request(path: &str, bearer: &str) -> Request<Body> {
    Request::get(path)
        .header(AUTHORIZATION, bearer)
        .header("accept", "application/json")
        .body(Body::empty())
        .unwrap()
}

fn bench_tower(c: &mut Criterion) {
    let f = fixture();
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let engine = Arc::new(scopegate_benches::engine(POLICY_ROUTES, true));
    let (_, path) = request(POLICY_ROUTES);
    let bearer = format!("Bearer {}", f.rs_token);
    let route = format!("/svc{}/items/{{id}}", middle_service(POLICY_ROUTES));

    let bare: Router = Router::new().route(&route, get(|| async { "ok" }));
    let gated = bare.clone().layer(ScopeGateLayer::new(engine));

    let mut g = c.benchmark_group("tower");
    for (id, svc) in [("bare", bare), ("layer_cached", gated)] {
        let status = rt
            .block_on(svc.clone().oneshot(http_request(&path, &bearer)))
            .unwrap()
            .status();
        assert_eq!(status, StatusCode::OK, "{id}");
        g.bench_function(id, |b| {
            b.iter(|| {
                let req = http_request(black_box(&path), &bearer);
                rt.block_on(svc.clone().oneshot(req)).unwrap()
            })
        });
    }
    g.finish();
}

common::bench_main!(bench_tower);
