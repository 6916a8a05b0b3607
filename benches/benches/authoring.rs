//! `authoring/*`: the analyses behind `scopegate matrix` and `scopegate diff` on the
//! 1,000-route benchmark policy (three issuers; requirements with `or`, `not` and clients).
// Bench code: a setup step that fails is a broken benchmark, reported by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::hint::black_box;

use criterion::Criterion;
use scopegate::{Engine, Format, LoadedPolicy, access_changes};
use scopegate_benches::{HS_SECRET, POLICY_ROUTES, engine, middle_service, policy_text};

/// Every route's grants, in precedence order: the matrix without its rendering.
fn matrix(engine: &Engine) -> usize {
    engine
        .route_table()
        .in_precedence_order()
        .into_iter()
        .map(|id| engine.grants(id).unwrap().unwrap().conjunctions.len())
        .sum()
}

fn bench_authoring(c: &mut Criterion) {
    let mut g = c.benchmark_group("authoring");
    let old = engine(POLICY_ROUTES, true);
    // The change under review: one service's read route widened, and a new literal route that
    // takes requests from a parameter route.
    let s = middle_service(POLICY_ROUTES);
    let text = policy_text(POLICY_ROUTES, true).replacen(
        &format!("require = \"scope:svc{s}:read or role:admin\""),
        &format!("require = \"scope:svc{s}:read or role:admin or role:auditor\""),
        1,
    ) + &format!("[[routes]]\nroute = \"GET /svc{s}/items/latest\"\nrequire = \"authenticated\"\n");
    let loaded = LoadedPolicy::parse(&text, Format::Toml, "new.toml")
        .unwrap()
        .with_secret("BENCH_HS_SECRET", HS_SECRET);
    let new = Engine::compile(&loaded).unwrap().engine;
    assert!(matrix(&old) >= POLICY_ROUTES * 3);
    let changes = access_changes(&old, &new).unwrap();
    assert!(changes.iter().any(|c| c.path == format!("/svc{s}/items/latest")));
    assert!(access_changes(&old, &old).unwrap().is_empty());
    g.sample_size(20);
    g.bench_function("matrix_1000", |b| b.iter(|| matrix(black_box(&old))));
    g.bench_function("diff_1000", |b| {
        b.iter(|| access_changes(black_box(&old), black_box(&new)).unwrap())
    });
    g.finish();
}

common::bench_main!(bench_authoring);
