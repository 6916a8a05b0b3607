//! [`ScopeGateLayer`], the [`ScopeGate`] service and its [`ResponseFuture`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use pin_project_lite::pin_project;
use scopegate::{AuthRequest, Decision, Engine};
use tower::{Layer, Service};
use tracing::Instrument as _;
use tracing::instrument::Instrumented;

use crate::extract::{Credentials, TokenSource, ambiguous_path, is_cors_preflight};
use crate::handle::{EngineHandle, ShadowStats};
use crate::render::{self, ChallengeStyle};

#[derive(Debug)]
struct Config {
    engine: EngineHandle,
    source: TokenSource,
    style: ChallengeStyle,
    realm: String,
    shadow: Option<(EngineHandle, Arc<ShadowStats>)>,
}

/// Puts a scopegate engine in front of a service.
///
/// Allowed requests reach the inner service with the [`scopegate::Grant`] in their extensions;
/// denied ones get 401 or 403 with a `WWW-Authenticate` challenge and
/// `{"message":"Unauthorized"}` / `{"message":"Forbidden"}`; ambiguous paths get 400.
#[derive(Debug, Clone)]
pub struct ScopeGateLayer {
    config: Arc<Config>,
}

impl ScopeGateLayer {
    /// A layer with default options (`Authorization: Bearer`, RFC 6750 challenges).
    pub fn new(engine: Arc<Engine>) -> ScopeGateLayer {
        ScopeGateLayer::builder(EngineHandle::new(engine)).build()
    }

    /// A builder over a (reloadable) engine handle.
    pub fn builder(engine: EngineHandle) -> ScopeGateLayerBuilder {
        ScopeGateLayerBuilder {
            config: Config {
                engine,
                source: TokenSource::default(),
                style: ChallengeStyle::default(),
                realm: "api".into(),
                shadow: None,
            },
        }
    }

    /// The handle the layer reads the engine from (for reloads).
    pub fn engine(&self) -> &EngineHandle {
        &self.config.engine
    }

    /// The shadow engine's counters, if one is configured.
    pub fn shadow_stats(&self) -> Option<Arc<ShadowStats>> {
        self.config.shadow.as_ref().map(|(_, s)| Arc::clone(s))
    }
}

/// Options for [`ScopeGateLayer`].
#[derive(Debug)]
pub struct ScopeGateLayerBuilder {
    config: Config,
}

impl ScopeGateLayerBuilder {
    /// Where to read the token from.
    pub fn token_source(mut self, source: TokenSource) -> Self {
        self.config.source = source;
        self
    }

    /// The `realm` of RFC 6750 challenges (default `api`).
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.config.realm = realm.into();
        self
    }

    /// The challenge format.
    pub fn challenge_style(mut self, style: ChallengeStyle) -> Self {
        self.config.style = style;
        self
    }

    /// A second engine decided on every request whose disagreements are logged and counted,
    /// never enforced: a report-only rollout of a new policy.
    pub fn shadow(mut self, engine: EngineHandle) -> Self {
        self.config.shadow = Some((engine, Arc::new(ShadowStats::default())));
        self
    }

    /// The layer.
    pub fn build(self) -> ScopeGateLayer {
        ScopeGateLayer {
            config: Arc::new(self.config),
        }
    }
}

impl<S> Layer<S> for ScopeGateLayer {
    type Service = ScopeGate<S>;

    fn layer(&self, inner: S) -> ScopeGate<S> {
        ScopeGate {
            inner,
            config: Arc::clone(&self.config),
        }
    }
}

/// The middleware service; see [`ScopeGateLayer`].
#[derive(Debug, Clone)]
pub struct ScopeGate<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S> ScopeGate<S> {
    /// Decides a request; `Err` carries the response to send instead.
    fn gate<B, ResBody: From<String>>(&self, req: &mut Request<B>) -> Result<(), Response<ResBody>> {
        let span = tracing::Span::current();
        if let Some(why) = ambiguous_path(req.uri().path()) {
            span.record("decision", "deny");
            span.record("reason_code", "ambiguous_path");
            tracing::debug!(why, "scopegate refused an ambiguous path");
            return Err(render::bad_request());
        }
        let engine = self.config.engine.load();
        let credentials = self.config.source.extract(req);
        let mut auth = AuthRequest::new(req.method().as_str(), req.uri().path()).preflight(is_cors_preflight(req));
        match credentials {
            Credentials::None => {}
            Credentials::Token(t) => auth = auth.token(t),
            Credentials::Unusable(why) => auth = auth.malformed_credentials(why),
        }
        let decision = engine.decide(&auth);
        if let Some((shadow, stats)) = &self.config.shadow {
            let other = shadow.load().decide(&auth);
            let agreed = other.status() == decision.status() && other.reason_code() == decision.reason_code();
            stats.record(agreed);
            if !agreed {
                tracing::warn!(
                    method = auth.method,
                    enforced = decision.reason_code().map_or("allow", |c| c.as_str()),
                    shadow = other.reason_code().map_or("allow", |c| c.as_str()),
                    shadow_route = other.route().map(|r| &*r.key),
                    "scopegate shadow policy disagrees"
                );
            }
        }
        span.record("route", decision.route().map(|r| &*r.key));
        span.record("issuer", decision.identity().map(|i| i.issuer_id()));
        span.record("decision", if decision.is_allowed() { "allow" } else { "deny" });
        span.record("reason_code", decision.reason_code().map(|c| c.as_str()));
        match decision {
            Decision::Allow(grant) => {
                req.extensions_mut().insert(grant);
                Ok(())
            }
            denied => {
                Err(render::denial(&denied, self.config.style, &self.config.realm).unwrap_or_else(render::bad_request))
            }
        }
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for ScopeGate<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: From<String>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        let span = tracing::info_span!(
            "scopegate",
            route = tracing::field::Empty,
            issuer = tracing::field::Empty,
            decision = tracing::field::Empty,
            reason_code = tracing::field::Empty,
        );
        let gated = span.in_scope(|| self.gate(&mut req));
        match gated {
            Ok(()) => ResponseFuture {
                kind: Kind::Inner {
                    future: self.inner.call(req).instrument(span),
                },
            },
            Err(response) => ResponseFuture {
                kind: Kind::Denied {
                    response: Some(response),
                },
            },
        }
    }
}

pin_project! {
    /// Response future of [`ScopeGate`].
    pub struct ResponseFuture<F, B> {
        #[pin]
        kind: Kind<F, B>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F, B> {
        Inner { #[pin] future: Instrumented<F> },
        Denied { response: Option<Response<B>> },
    }
}

impl<F, B, E> Future for ResponseFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Inner { future } => future.poll(cx),
            KindProj::Denied { response } => match response.take() {
                Some(r) => Poll::Ready(Ok(r)),
                // Polled after completion: never resolves again (the Future contract allows any
                // behaviour; this one neither panics nor repeats).
                None => Poll::Pending,
            },
        }
    }
}
