//! `routes/*`: matching one request against tables of 10 to 10,000 routes, and compiling
//! the largest table.
// Bench code: a setup step that fails is a broken benchmark, reported by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::hint::black_box;

use criterion::Criterion;
use scopegate::{RouteKey, RouteTable};
use scopegate_benches::{request, route_keys};

fn table(n: usize) -> RouteTable {
    let mut t = RouteTable::new();
    for k in route_keys(n) {
        t.insert(RouteKey::parse(&k).unwrap()).unwrap();
    }
    t
}

fn bench_routes(c: &mut Criterion) {
    let mut g = c.benchmark_group("routes");
    for n in [10, 1_000, 10_000] {
        let t = table(n);
        let (method, path) = request(n);
        let found = t.find(method, &path).expect("the benchmarked request matches");
        assert_eq!(
            t.key(found).unwrap().to_string(),
            format!("GET /svc{}/items/{{id}}", n.div_ceil(4) / 2)
        );
        g.bench_function(format!("match_{n}"), |b| {
            b.iter(|| t.find(black_box(method), black_box(&path)))
        });
    }
    // The whole policy compile (parse keys and expressions, build the trie) of 10,000 routes.
    let policy = scopegate_benches::policy(10_000, true);
    g.sample_size(10);
    g.bench_function("compile_10000", |b| {
        b.iter(|| scopegate::Engine::compile(black_box(&policy)).unwrap())
    });
    g.finish();
}

common::bench_main!(bench_routes);
