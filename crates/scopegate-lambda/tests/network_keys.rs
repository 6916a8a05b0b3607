//! The authorizer with an issuer whose keys are fetched: `warm` fetches them before the first
//! event, and unknown keys are refused without hammering the provider.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use scopegate::{Format, LoadedPolicy};
use scopegate_lambda::{Authorizer, AuthorizerError};
use scopegate_testkit::fixtures::{IDP_ISS, Rule, jwks_uri_policy_text};
use scopegate_testkit::server::{Idp, Jwks};
use scopegate_testkit::{TestKey, TokenBuilder, now};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warm_fetches_network_keys_and_token_events_use_them() {
    let key = TestKey::es256("net-1");
    let idp = Idp::start(Jwks::keys(&[&key])).await.unwrap();
    let policy = jwks_uri_policy_text("", "idp", &idp.jwks_uri(), &[("GET /pets", Rule::Scopes(&["read"]))]);
    let authorizer = Authorizer::from_policy(&LoadedPolicy::parse(&policy, Format::Toml, "p.toml").unwrap()).unwrap();
    assert_eq!(authorizer.warm().await, 1);
    assert_eq!(idp.jwks_hits(), 1);
    let event = |token: &str| {
        json!({
            "type": "TOKEN",
            "authorizationToken": format!("Bearer {token}"),
            "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/pets"
        })
    };
    let claims = json!({"iss": IDP_ISS, "aud": "api", "sub": "svc", "scope": "read", "exp": now() + 600});
    let allowed = authorizer
        .handle(event(&TokenBuilder::new(claims.clone()).sign(&key)))
        .await
        .unwrap();
    assert_eq!(allowed["principalId"], "svc");
    assert_eq!(allowed["policyDocument"]["Statement"][0]["Effect"], "Allow");
    assert_eq!(idp.jwks_hits(), 1, "known key: no fetch");
    // A key the provider never published, inside the cooldown after warm-up: `Unauthorized`
    // without a fetch.
    let stranger = TokenBuilder::new(claims).sign(&TestKey::es256("net-2"));
    assert_eq!(
        authorizer.handle(event(&stranger)).await.unwrap_err(),
        AuthorizerError::Unauthorized
    );
    assert_eq!(idp.jwks_hits(), 1);
}
