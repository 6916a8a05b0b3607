//! The layer with an issuer whose keys are fetched: the first request with a new key waits for
//! the fetch and passes; later ones are decided without waiting.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::convert::Infallible;
use std::sync::Arc;

use http::{Request, Response, StatusCode};
use scopegate::{Engine, Format, LoadedPolicy};
use scopegate_testkit::fixtures::{IDP_ISS, Rule, jwks_uri_policy_text};
use scopegate_testkit::server::{Idp, Jwks};
use scopegate_testkit::{TestKey, TokenBuilder, now};
use scopegate_tower::ScopeGateLayer;
use serde_json::json;
use tower::{Layer, ServiceExt, service_fn};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_request_waits_for_the_key_fetch_then_passes() {
    let key = TestKey::es256("k1");
    let stranger = TestKey::es256("k2");
    let idp = Idp::start(Jwks::keys(&[&key])).await.unwrap();
    let policy = jwks_uri_policy_text(
        "[settings.jwks]\nunknown_kid_cooldown_seconds = 60",
        "idp",
        &idp.jwks_uri(),
        &[("GET /a", Rule::Scopes(&["read"]))],
    );
    let engine = Arc::new(
        Engine::compile(&LoadedPolicy::parse(&policy, Format::Toml, "p.toml").unwrap())
            .unwrap()
            .engine,
    );
    let layer = ScopeGateLayer::new(engine);
    let svc = layer.layer(service_fn(|_req: Request<String>| async {
        Ok::<_, Infallible>(Response::new(String::from("inner")))
    }));
    let call = |t: &TestKey| {
        let token =
            TokenBuilder::new(json!({"iss": IDP_ISS, "aud": "api", "scope": "read", "exp": now() + 600})).sign(t);
        let req = Request::get("/a")
            .header("authorization", format!("Bearer {token}"))
            .body(String::new())
            .unwrap();
        svc.clone().oneshot(req)
    };
    let first = call(&key).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.into_body(), "inner");
    assert_eq!(idp.jwks_hits(), 1);
    // Known key: no fetch.
    assert_eq!(call(&key).await.unwrap().status(), StatusCode::OK);
    // A key the provider does not publish: refused after (at most) one fetch per cooldown.
    assert_eq!(call(&stranger).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(call(&stranger).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(idp.jwks_hits(), 1);
}
