//! A scriptable identity provider on 127.0.0.1: discovery document and JWKS, with every
//! misbehaviour the key lifecycle must survive. Counts its hits.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

/// What the JWKS endpoint answers.
#[derive(Debug, Clone)]
pub enum Jwks {
    /// This document, with an optional `Cache-Control`.
    Serve(Value, Option<&'static str>),
    /// This status and an empty body.
    Status(u16),
    /// Never answers.
    Hang,
    /// 200 with bytes that are not JSON.
    Garbage,
    /// 200 with a body this large.
    Oversize(usize),
    /// 302 to this URL.
    Redirect(String),
}

#[derive(Debug)]
struct Inner {
    jwks: Mutex<Jwks>,
    /// `None`: the discovery document names this server's own base URL.
    discovery_issuer: Mutex<Option<String>>,
    jwks_hits: AtomicUsize,
    discovery_hits: AtomicUsize,
    base: String,
}

/// A running provider. Dropping it does not stop the server (the test runtime does).
#[derive(Debug, Clone)]
pub struct Idp {
    inner: Arc<Inner>,
}

impl Idp {
    /// Starts a provider answering `jwks` on a random port.
    pub async fn start(jwks: Jwks) -> Idp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let inner = Arc::new(Inner {
            jwks: Mutex::new(jwks),
            discovery_issuer: Mutex::new(None),
            jwks_hits: AtomicUsize::new(0),
            discovery_hits: AtomicUsize::new(0),
            base,
        });
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks_endpoint))
            .with_state(Arc::clone(&inner));
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Idp { inner }
    }

    /// `http://127.0.0.1:PORT`: the issuer value tokens carry.
    pub fn iss(&self) -> &str {
        &self.inner.base
    }

    /// The JWKS URL.
    pub fn jwks_uri(&self) -> String {
        format!("{}/jwks", self.inner.base)
    }

    /// Changes what the JWKS endpoint answers from now on.
    pub fn set(&self, jwks: Jwks) {
        *self.inner.jwks.lock().unwrap() = jwks;
    }

    /// Makes the discovery document claim another issuer.
    pub fn claim_issuer(&self, iss: &str) {
        *self.inner.discovery_issuer.lock().unwrap() = Some(iss.to_string());
    }

    /// JWKS requests served so far.
    pub fn jwks_hits(&self) -> usize {
        self.inner.jwks_hits.load(Ordering::SeqCst)
    }

    /// Discovery requests served so far.
    pub fn discovery_hits(&self) -> usize {
        self.inner.discovery_hits.load(Ordering::SeqCst)
    }

    /// Every request served so far.
    pub fn hits(&self) -> usize {
        self.jwks_hits() + self.discovery_hits()
    }
}

async fn discovery(State(idp): State<Arc<Inner>>) -> Response {
    idp.discovery_hits.fetch_add(1, Ordering::SeqCst);
    let issuer = idp
        .discovery_issuer
        .lock()
        .unwrap()
        .clone()
        .unwrap_or_else(|| idp.base.clone());
    json_response(json!({
        "issuer": issuer,
        "jwks_uri": format!("{}/jwks", idp.base),
        "token_endpoint": format!("{}/token", idp.base),
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
}

fn json_response(doc: Value) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], doc.to_string()).into_response()
}

async fn jwks_endpoint(State(idp): State<Arc<Inner>>, request_headers: HeaderMap) -> Response {
    idp.jwks_hits.fetch_add(1, Ordering::SeqCst);
    assert_eq!(
        request_headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    let behaviour = idp.jwks.lock().unwrap().clone();
    match behaviour {
        Jwks::Serve(doc, cache_control) => {
            let mut headers = HeaderMap::new();
            if let Some(cc) = cache_control {
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cc));
            }
            (headers, json_response(doc)).into_response()
        }
        Jwks::Status(code) => StatusCode::from_u16(code).unwrap().into_response(),
        Jwks::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            StatusCode::OK.into_response()
        }
        Jwks::Garbage => (StatusCode::OK, "<html>definitely not a JWKS</html>").into_response(),
        Jwks::Oversize(n) => {
            let mut body = String::from("{\"keys\":[],\"pad\":\"");
            body.push_str(&"x".repeat(n));
            body.push_str("\"}");
            (StatusCode::OK, body).into_response()
        }
        Jwks::Redirect(to) => (StatusCode::FOUND, [(header::LOCATION, to)]).into_response(),
    }
}
