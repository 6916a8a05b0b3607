//! The layer with an issuer whose keys are fetched: the first request with a new key waits for
//! the fetch and passes; later ones are decided without waiting.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::routing::get;
use http::{Request, Response, StatusCode};
use scopegate::{Engine, Format, LoadedPolicy};
use scopegate_testkit::{TestKey, TokenBuilder, jwks, now};
use scopegate_tower::ScopeGateLayer;
use serde_json::json;
use tower::{Layer, ServiceExt, service_fn};

/// A JWKS endpoint on 127.0.0.1 that counts its hits.
async fn jwks_server(doc: String) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    let app = Router::new().route(
        "/jwks",
        get(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            let doc = doc.clone();
            async move { ([("content-type", "application/json")], doc) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, hits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_request_waits_for_the_key_fetch_then_passes() {
    let key = TestKey::es256("k1");
    let stranger = TestKey::es256("k2");
    let (url, hits) = jwks_server(jwks(&[&key]).to_string()).await;
    let policy = format!(
        "version = 1\n[settings.jwks]\nunknown_kid_cooldown_seconds = 60\n[[issuers]]\nid = \"idp\"\nissuer = \"https://idp.example\"\njwks_uri = \"{url}\"\naudiences = [\"api\"]\n[[routes]]\nroute = \"GET /a\"\nscopes = [\"read\"]\n"
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
            TokenBuilder::new(json!({"iss": "https://idp.example", "aud": "api", "scope": "read", "exp": now() + 600}))
                .sign(t);
        let req = Request::get("/a")
            .header("authorization", format!("Bearer {token}"))
            .body(String::new())
            .unwrap();
        svc.clone().oneshot(req)
    };
    let first = call(&key).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.into_body(), "inner");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    // Known key: no fetch.
    assert_eq!(call(&key).await.unwrap().status(), StatusCode::OK);
    // A key the provider does not publish: refused after (at most) one fetch per cooldown.
    assert_eq!(call(&stranger).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(call(&stranger).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}
