//! A scriptable identity provider on 127.0.0.1 (feature `server`): an OpenID discovery
//! document and a JWKS endpoint, with every misbehaviour the key lifecycle must survive.
//! Counts its hits.
//!
//! - `GET /.well-known/openid-configuration`: `issuer` (this server's base URL unless
//!   [`Idp::claim_issuer`] says otherwise) and `jwks_uri` (this server's `/jwks`).
//! - `GET /jwks`: what [`Jwks`] says. A request without `Accept: application/json` is answered
//!   406, so a client that stops sending it fails its fetch.
//!
//! It binds 127.0.0.1 only; nothing in it reaches further.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http_body::Frame;
use serde_json::{Value, json};

use crate::TestKey;

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
    /// 200 with a body this large (`Content-Length` given).
    Oversize(usize),
    /// 200 with a chunked body of spaces that never ends (no `Content-Length` to refuse up
    /// front).
    Endless,
    /// 302 to this URL.
    Redirect(String),
}

impl Jwks {
    /// Serves these keys' JWKS, without `Cache-Control`.
    pub fn keys(keys: &[&TestKey]) -> Jwks {
        Jwks::Serve(crate::jwks(keys), None)
    }
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

/// A running provider. Dropping it does not stop the server: [`Idp::start`]'s runs until the
/// test's runtime ends, [`Idp::start_background`]'s until the process ends.
#[derive(Debug, Clone)]
pub struct Idp {
    inner: Arc<Inner>,
}

impl Idp {
    /// Starts a provider answering `jwks` on a random 127.0.0.1 port, as a task of the
    /// current tokio runtime.
    pub async fn start(jwks: Jwks) -> std::io::Result<Idp> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let (idp, app) = Idp::new(jwks, &listener)?;
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(idp)
    }

    /// [`Idp::start`] for tests without a tokio runtime (the server runs on its own thread
    /// with its own runtime).
    pub fn start_background(jwks: Jwks) -> std::io::Result<Idp> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        let (idp, app) = Idp::new(jwks, &listener)?;
        std::thread::spawn(move || runtime.block_on(async move { axum::serve(listener, app).await }));
        Ok(idp)
    }

    fn new(jwks: Jwks, listener: &tokio::net::TcpListener) -> std::io::Result<(Idp, Router)> {
        let inner = Arc::new(Inner {
            jwks: Mutex::new(jwks),
            discovery_issuer: Mutex::new(None),
            jwks_hits: AtomicUsize::new(0),
            discovery_hits: AtomicUsize::new(0),
            base: format!("http://{}", listener.local_addr()?),
        });
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks_endpoint))
            .with_state(Arc::clone(&inner));
        Ok((Idp { inner }, app))
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
        *self.inner.jwks.lock().unwrap_or_else(PoisonError::into_inner) = jwks;
    }

    /// Makes the discovery document claim another issuer.
    pub fn claim_issuer(&self, iss: &str) {
        *self
            .inner
            .discovery_issuer
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(iss.to_string());
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
        .unwrap_or_else(PoisonError::into_inner)
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
    if request_headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) != Some("application/json") {
        return StatusCode::NOT_ACCEPTABLE.into_response();
    }
    let behaviour = idp.jwks.lock().unwrap_or_else(PoisonError::into_inner).clone();
    match behaviour {
        Jwks::Serve(doc, cache_control) => {
            let mut headers = HeaderMap::new();
            if let Some(cc) = cache_control {
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cc));
            }
            (headers, json_response(doc)).into_response()
        }
        Jwks::Status(code) => StatusCode::from_u16(code)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            .into_response(),
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
        Jwks::Endless => ([(header::CONTENT_TYPE, "application/json")], Body::new(EndlessSpaces)).into_response(),
        Jwks::Redirect(to) => (StatusCode::FOUND, [(header::LOCATION, to)]).into_response(),
    }
}

/// A body of 1 KiB chunks of spaces, forever, with no size hint (so HTTP/1.1 sends it chunked).
struct EndlessSpaces;

impl http_body::Body for EndlessSpaces {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        static CHUNK: [u8; 1024] = [b' '; 1024];
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(&CHUNK)))))
    }
}
