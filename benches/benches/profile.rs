//! Not a benchmark: a fixed workload for instruction counting, e.g.
//! `SCOPEGATE_PROFILE=cached SCOPEGATE_PROFILE_N=10000 valgrind --tool=callgrind <bench binary>`.
//! Workloads: `cached` (decisions, identity cache warm), `cached_recorder` (the same with a
//! Prometheus recorder behind the metric handles), `first_sight_rs256`, `first_sight_es256`,
//! `forged_repeat` (one forged token again and again), `aws_lc_verify_rs256` and
//! `aws_lc_verify_es256` (the floors), `jsonwebtoken_decode_rs256`, `compile_10000`.
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
        "cached" | "cached_recorder" | "first_sight_rs256" | "first_sight_es256" => {
            let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
            let cached = workload.starts_with("cached");
            let engine = if workload == "cached_recorder" {
                scopegate_benches::engine_with_recorder(POLICY_ROUTES, true, &recorder)
            } else {
                scopegate_benches::engine(POLICY_ROUTES, cached)
            };
            let token = if workload == "first_sight_es256" {
                &f.es_token
            } else {
                &f.rs_token
            };
            eprintln!("token: {} bytes", token.len());
            let req = AuthRequest::new(method, &path).token(token);
            assert!(engine.decide(&req).is_allowed());
            for _ in 0..n {
                black_box(engine.decide(black_box(&req)));
            }
        }
        "forged_repeat" => {
            let engine = scopegate_benches::engine(POLICY_ROUTES, true);
            let forged = scopegate_benches::forged_rs_token();
            let req = AuthRequest::new(method, &path).token(&forged);
            assert!(!engine.decide(&req).is_allowed());
            for _ in 0..n {
                black_box(engine.decide(black_box(&req)));
            }
        }
        "aws_lc_verify_rs256" | "aws_lc_verify_es256" => {
            use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
            let (key, token) = if workload.ends_with("rs256") {
                let der = scopegate_benches::rsa_public_key_der(&f.rs_key);
                (
                    ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der).unwrap(),
                    &f.rs_token,
                )
            } else {
                let point = scopegate_benches::ec_public_point(&f.es_key);
                (
                    ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point).unwrap(),
                    &f.es_token,
                )
            };
            let (input, signature) = scopegate_benches::split_jws(token);
            for _ in 0..n {
                verify_floor(&key, black_box(input.as_bytes()), black_box(&signature));
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

/// The floor workloads' unit of work, named so `--toggle-collect='*verify_floor*'` counts it.
#[inline(never)]
fn verify_floor(key: &aws_lc_rs::signature::ParsedPublicKey, input: &[u8], signature: &[u8]) {
    key.verify_sig(input, signature).unwrap();
}
