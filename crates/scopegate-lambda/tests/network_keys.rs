//! The authorizer with an issuer whose keys are fetched: `warm` fetches them before the first
//! event, and unknown keys are refused without hammering the provider.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use scopegate::{Format, LoadedPolicy};
use scopegate_lambda::{Authorizer, AuthorizerError};
use scopegate_testkit::{TestKey, TokenBuilder, jwks, now};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A JWKS endpoint on 127.0.0.1 that counts its hits.
async fn jwks_server(body: String) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    (url, hits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warm_fetches_network_keys_and_token_events_use_them() {
    let key = TestKey::es256("net-1");
    let (url, hits) = jwks_server(jwks(&[&key]).to_string()).await;
    let policy = format!(
        "version = 1\n[[issuers]]\nid = \"idp\"\nissuer = \"https://idp.example\"\njwks_uri = \"{url}\"\naudiences = [\"api\"]\n[[routes]]\nroute = \"GET /pets\"\nscopes = [\"read\"]\n"
    );
    let authorizer = Authorizer::from_policy(&LoadedPolicy::parse(&policy, Format::Toml, "p.toml").unwrap()).unwrap();
    assert_eq!(authorizer.warm().await, 1);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    let event = |token: &str| {
        json!({
            "type": "TOKEN",
            "authorizationToken": format!("Bearer {token}"),
            "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/pets"
        })
    };
    let claims = json!({"iss": "https://idp.example", "aud": "api", "sub": "svc", "scope": "read", "exp": now() + 600});
    let allowed = authorizer
        .handle(event(&TokenBuilder::new(claims.clone()).sign(&key)))
        .await
        .unwrap();
    assert_eq!(allowed["principalId"], "svc");
    assert_eq!(allowed["policyDocument"]["Statement"][0]["Effect"], "Allow");
    assert_eq!(hits.load(Ordering::SeqCst), 1, "known key: no fetch");
    // A key the provider never published, inside the cooldown after warm-up: `Unauthorized`
    // without a fetch.
    let stranger = TokenBuilder::new(claims).sign(&TestKey::es256("net-2"));
    assert_eq!(
        authorizer.handle(event(&stranger)).await.unwrap_err(),
        AuthorizerError::Unauthorized
    );
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}
