//! Not a benchmark: a fixed workload for instruction counting, e.g.
//! `SCOPEGATE_PROFILE=cached SCOPEGATE_PROFILE_N=10000 valgrind --tool=callgrind <bench binary>`.
//! Workloads: `cached` (decisions, identity cache warm), `first_sight_rs256`,
//! `jsonwebtoken_decode_rs256`, `compile_10000`.
//! Without `SCOPEGATE_PROFILE` it does nothing, so `cargo bench` and `cargo test --benches`
//! pass over it.
// Bench code: a setup step that fails is a broken benchmark, reported by panicking.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::hint::black_box;

use scopegate::AuthRequest;
use scopegate_benches::{POLICY_ROUTES, fixture, request};

fn main() {
    let Ok(workload) = std::env::var("SCOPEGATE_PROFILE") else {
        return;
    };
    let n: usize = std::env::var("SCOPEGATE_PROFILE_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let f = fixture();
    let (method, path) = request(POLICY_ROUTES);
    match workload.as_str() {
        "cached" | "first_sight_rs256" => {
            let engine = scopegate_benches::engine(POLICY_ROUTES, workload == "cached");
            eprintln!("token: {} bytes", f.rs_token.len());
            let req = AuthRequest::new(method, &path).token(&f.rs_token);
            assert!(engine.decide(&req).is_allowed());
            for _ in 0..n {
                black_box(engine.decide(black_box(&req)));
            }
        }
        "jsonwebtoken_decode_rs256" => {
            // The baseline of `baseline/jsonwebtoken_decode_rs256`, for instruction ratios.
            let jwk = f.rs_key.public_jwk();
            let key =
                jsonwebtoken::DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap())
                    .unwrap();
            let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
            validation.set_issuer(&[scopegate_benches::RS_ISS]);
            validation.set_audience(&[scopegate_benches::AUDIENCE]);
            validation.leeway = scopegate_benches::LEEWAY;
            validation.validate_nbf = true;
            for _ in 0..n {
                black_box(
                    jsonwebtoken::decode::<serde_json::Value>(black_box(&f.rs_token), &key, &validation).unwrap(),
                );
            }
        }
        "compile_10000" => {
            let policy = scopegate_benches::policy(10_000, true);
            for _ in 0..n {
                black_box(scopegate::Engine::compile(black_box(&policy)).unwrap());
            }
        }
        other => panic!("unknown workload {other}"),
    }
}
