//! `/readyz` and on-demand key fetches with a network issuer (the testkit's JWKS server).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use scopegate_testkit::TokenBuilder;
use scopegate_testkit::fixtures::{IDP_AUD, IDP_ISS, Rule, jwks_uri_policy_text, keys};
use scopegate_testkit::server::{Idp, Jwks};
use serde_json::json;

#[tokio::test]
async fn ready_once_keys_were_fetched_and_unknown_keys_are_fetched_on_demand() {
    let idp = Idp::start(Jwks::keys(&[&keys().auth0])).await.unwrap();
    let text = jwks_uri_policy_text("", "idp", &idp.jwks_uri(), &[("GET /x", Rule::Authenticated)]);
    let (addr, _sidecar) = common::start_with(&text).await;
    let c = reqwest::Client::builder().no_proxy().build().unwrap();

    // Nothing fetched yet: not ready.
    let r = c.get(format!("http://{addr}/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(idp.jwks_hits(), 0);

    // The first token makes the sidecar fetch the keys, then decide again: allowed.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let token = TokenBuilder::new(json!({"iss": IDP_ISS, "aud": IDP_AUD, "sub": "u1", "iat": now, "exp": now + 600}))
        .sign(&keys().auth0);
    let r = c
        .get(format!("http://{addr}/auth"))
        .header("x-original-method", "GET")
        .header("x-original-uri", "/x")
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-auth-subject"], "u1");
    assert!(idp.jwks_hits() >= 1);
    let r = c.get(format!("http://{addr}/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}
