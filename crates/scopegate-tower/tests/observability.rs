//! The decision span and the axum extractor.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use http::{Request, Response, StatusCode};
use scopegate::{Engine, Format, LoadedPolicy};
use scopegate_testkit::fixtures::{Rule, idp_issuer, jwks_inline, routes};
use scopegate_testkit::{TestKey, TokenBuilder, now};
use scopegate_tower::ScopeGateLayer;
use serde_json::json;
use tower::{Layer, ServiceExt};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, SubscriberExt};

#[derive(Default, Clone)]
struct Captured(Arc<Mutex<BTreeMap<String, String>>>);

impl Visit for Captured {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .lock()
            .unwrap()
            .insert(field.name().to_string(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0
            .lock()
            .unwrap()
            .insert(field.name().to_string(), value.to_string());
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Captured {
    fn on_new_span(&self, attrs: &Attributes<'_>, _: &Id, _: Context<'_, S>) {
        if attrs.metadata().name() == "scopegate" {
            attrs.record(&mut self.clone());
        }
    }
    fn on_record(&self, _: &Id, values: &Record<'_>, _: Context<'_, S>) {
        values.record(&mut self.clone());
    }
}

/// Tests of this binary run one at a time: tracing caches per call site whether anyone listens,
/// and a test without a subscriber that reaches the `scopegate` span first, on another thread,
/// can make the capturing test miss it.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn setup() -> (Arc<Engine>, String, TestKey) {
    let key = TestKey::es256("e1");
    let text = format!(
        "version = 1\n{}{}",
        idp_issuer("idp", &[&jwks_inline(&[&key])]),
        routes(&[("GET /things/{id}", Rule::Scopes(&["things:read"]))])
    );
    let engine = Engine::compile(&LoadedPolicy::parse(&text, Format::Toml, "p.toml").unwrap())
        .unwrap()
        .engine;
    let t =
        TokenBuilder::new(json!({"iss":"https://idp.example","aud":"api","exp":now()+60,"sub":"u7","scope":"other"}))
            .sign(&key);
    (Arc::new(engine), t, key)
}

#[tokio::test]
async fn each_decision_has_a_span_with_route_issuer_decision_and_code_but_no_token() {
    let _serial = SERIAL.lock().await;
    let (engine, token, _) = setup();
    let captured = Captured::default();
    let subscriber = tracing_subscriber::registry().with(captured.clone());
    let _guard = tracing::subscriber::set_default(subscriber);
    let svc = ScopeGateLayer::new(engine).layer(tower::service_fn(|_req: Request<String>| async {
        Ok::<_, std::convert::Infallible>(Response::new(String::new()))
    }));
    let r = svc
        .oneshot(
            Request::get("/things/1")
                .header("authorization", format!("Bearer {token}"))
                .body(String::new())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let fields = captured.0.lock().unwrap().clone();
    assert_eq!(
        fields.get("route").map(String::as_str),
        Some("GET /things/{id}"),
        "{fields:?}"
    );
    assert_eq!(fields.get("issuer").map(String::as_str), Some("idp"));
    assert_eq!(fields.get("decision").map(String::as_str), Some("deny"));
    assert_eq!(
        fields.get("reason_code").map(String::as_str),
        Some("insufficient_scope")
    );
    let all = format!("{fields:?}");
    assert!(
        !all.contains(token.rsplit('.').next().unwrap()) && !all.contains(&token[..30]),
        "token material in span"
    );
}

#[cfg(feature = "axum")]
#[tokio::test]
async fn axum_handlers_extract_the_grant() {
    use axum::Router;
    use axum::routing::get;
    use scopegate_tower::Authorized;

    use http_body_util::BodyExt;

    let _serial = SERIAL.lock().await;
    let (engine, _, key) = setup();
    async fn handler(Authorized(grant): Authorized) -> String {
        format!("{:?} {:?}", grant.subject(), grant.route.as_ref().map(|r| &r.params))
    }
    let app = Router::new()
        .route("/things/{id}", get(handler))
        .layer(ScopeGateLayer::new(engine));
    let r = app
        .clone()
        .oneshot(Request::get("/things/1").body(axum::body::Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let t = TokenBuilder::new(
        json!({"iss":"https://idp.example","aud":"api","exp":now()+60,"sub":"u7","scope":"things:read"}),
    )
    .sign(&key);
    let r = app
        .oneshot(
            Request::get("/things/42")
                .header("authorization", format!("Bearer {t}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], br#"Some("u7") Some([("id", "42")])"#);
    // Without the layer, the extractor answers 500: a wiring bug, not a client error.
    let bare = Router::new().route("/things/{id}", get(handler));
    let r = bare
        .oneshot(Request::get("/things/1").body(axum::body::Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
}
