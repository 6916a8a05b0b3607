//! `peers/*`: other crates answering the same question.
//!
//! - `jwt_authorizer_rs256`: the `jwt-authorizer` crate (axum middleware) validating the same
//!   RS256 token with the same issuer, audience and leeway, from the same `HeaderMap`. It has no
//!   cache of verified tokens, so it compares with `decision/first_sight_rs256`.
//! - `cedar_equivalent`: `cedar-policy` deciding the same scope/role question for the same
//!   request with 1,000 policies (one per route, parsed once, outside the loop). The token is
//!   taken as already verified (its scopes and roles at hand), so it compares with
//!   `decision/cached_1k_routes`. Cedar does no path matching: it is handed the matched route as
//!   the resource, which flatters it.
// Bench code: a setup step that fails is a broken benchmark, reported by panicking.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use std::collections::{HashMap, HashSet};
use std::hint::black_box;
use std::str::FromStr;

use cedar_policy::{Context, Entities, Entity, EntityUid, PolicySet, Request, RestrictedExpression};
use criterion::Criterion;
use http::HeaderMap;
use http::header::AUTHORIZATION;
use jwt_authorizer::{Authorizer, AuthorizerBuilder, Validation};
use scopegate_benches::{AUDIENCE, LEEWAY, POLICY_ROUTES, RS_ISS, fixture, middle_service, route_keys};
use scopegate_testkit::jwks;
use serde_json::Value;

fn bench_jwt_authorizer(g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    let f = fixture();
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let validation = Validation::new()
        .iss(&[RS_ISS])
        .aud(&[AUDIENCE])
        .leeway(LEEWAY)
        .nbf(true);
    let authorizer: Authorizer<Value> = rt
        .block_on(
            AuthorizerBuilder::<Value>::from_jwks_text(&jwks(&[&f.rs_key]).to_string())
                .validation(validation)
                .build(),
        )
        .unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(AUTHORIZATION, format!("Bearer {}", f.rs_token).parse().unwrap());
    // An empty `algs` list accepts the algorithms of the key: RS256 only, as in scopegate.
    let check = |headers: &HeaderMap| {
        let token = authorizer.extract_token(headers).unwrap();
        rt.block_on(authorizer.check_auth(&token)).unwrap()
    };
    assert_eq!(check(&headers).claims["iss"], RS_ISS);
    g.bench_function("jwt_authorizer_rs256", |b| b.iter(|| check(black_box(&headers))));
}

/// The same four requirement shapes as the scopegate policy, in Cedar.
fn cedar_policies(routes: usize) -> String {
    let mut text = String::new();
    for (i, key) in route_keys(routes).iter().enumerate() {
        let s = i / 4;
        let (method, _) = key.split_once(' ').unwrap();
        let action = if method == "ANY" {
            String::from("action")
        } else {
            format!("action == Action::\"{method}\"")
        };
        let condition = match i % 4 {
            0 => format!("principal.scopes.contains(\"svc{s}:read\") || principal.roles.contains(\"admin\")"),
            1 | 2 => format!("principal.scopes.contains(\"svc{s}:write\") && !principal.roles.contains(\"suspended\")"),
            _ => format!(
                "principal.scopes.contains(\"svc{s}:files\") || (principal.roles.contains(\"admin\") && principal.client == \"ops-console\")"
            ),
        };
        text.push_str(&format!(
            "permit(principal, {action}, resource == Route::{key:?}) when {{ {condition} }};\n"
        ));
    }
    text
}

fn bench_cedar(g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    let policies = PolicySet::from_str(&cedar_policies(POLICY_ROUTES)).unwrap();
    let authorizer = cedar_policy::Authorizer::new();
    let mid = middle_service(POLICY_ROUTES);
    // What the verified token says (the identity cache hit in scopegate's terms).
    let subject = "5f1c2a9e-7b7d-4c1e-9a55-3f2d4b0c8e11".to_string();
    let scopes: Vec<String> = format!("openid profile email svc{mid}:read svc{mid}:write offline_access")
        .split(' ')
        .map(String::from)
        .collect();
    let roles: Vec<String> = vec!["user".into(), "reader".into()];
    let client = "bench-web-app".to_string();
    let route = format!("GET /svc{mid}/items/{{id}}");

    let decide = || {
        let principal = EntityUid::from_type_name_and_id("User".parse().unwrap(), subject.parse().unwrap());
        let attrs = HashMap::from([
            (
                "scopes".to_string(),
                RestrictedExpression::new_set(scopes.iter().cloned().map(RestrictedExpression::new_string)),
            ),
            (
                "roles".to_string(),
                RestrictedExpression::new_set(roles.iter().cloned().map(RestrictedExpression::new_string)),
            ),
            ("client".to_string(), RestrictedExpression::new_string(client.clone())),
        ]);
        let entity = Entity::new(principal.clone(), attrs, HashSet::new()).unwrap();
        let entities = Entities::from_entities([entity], None).unwrap();
        let action = EntityUid::from_type_name_and_id("Action".parse().unwrap(), "GET".parse().unwrap());
        let resource = EntityUid::from_type_name_and_id("Route".parse().unwrap(), route.parse().unwrap());
        let request = Request::new(principal, action, resource, Context::empty(), None).unwrap();
        authorizer.is_authorized(&request, &policies, &entities)
    };
    assert_eq!(decide().decision(), cedar_policy::Decision::Allow);
    g.bench_function("cedar_equivalent", |b| b.iter(|| black_box(decide())));
}

fn bench_peers(c: &mut Criterion) {
    let mut g = c.benchmark_group("peers");
    bench_jwt_authorizer(&mut g);
    bench_cedar(&mut g);
    g.finish();
}

common::bench_main!(bench_peers);
