//! [`ScopeGateLayer`], the [`ScopeGate`] service and its [`ResponseFuture`].

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use pin_project_lite::pin_project;
use scopegate::unverified::{ambiguous_path, is_cors_preflight};
use scopegate::{AuthRequest, Decision, Engine};
use tower::{Layer, Service};
use tracing::Instrument as _;
use tracing::instrument::Instrumented;

use crate::extract::TokenSource;
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

/// What the gate makes of a request it can decide now.
enum Verdict<ResBody> {
    Pass,
    Deny(Response<ResBody>),
}

/// The token's key may be published by now: fetch with `F`, then decide again.
type Refetch<F> = (Arc<Engine>, F);

impl Config {
    /// Decides a request. `fetch` picks a key fetch that could change the decision; when it
    /// returns one, the decision is not enforced and the fetch comes back instead. After a
    /// fetch, `F` is [`Infallible`], so a second fetch cannot even be expressed.
    fn gate<B, ResBody: From<String>, F>(
        &self,
        span: &tracing::Span,
        req: &mut Request<B>,
        fetch: impl FnOnce(&Engine, &Decision, Option<&str>) -> Option<F>,
    ) -> Result<Verdict<ResBody>, Refetch<F>> {
        if let Some(why) = ambiguous_path(req.uri().path()) {
            span.record("decision", "deny");
            span.record("reason_code", "ambiguous_path");
            tracing::debug!(why, "scopegate refused an ambiguous path");
            return Ok(Verdict::Deny(render::bad_request()));
        }
        let engine = self.engine.load();
        let preflight = is_cors_preflight(req.method().as_str(), |h| req.headers().contains_key(h));
        let auth = AuthRequest::new(req.method().as_str(), req.uri().path())
            .preflight(preflight)
            .credentials(self.source.extract(req));
        let decision = engine.decide(&auth);
        if let Some(f) = fetch(&engine, &decision, auth.token) {
            return Err((Arc::clone(&engine), f));
        }
        if let Some((shadow, stats)) = &self.shadow {
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
        // Recording into a disabled span still costs a `log` check per field (tracing's `log`
        // feature, which axum's defaults turn on).
        if !span.is_disabled() {
            span.record("route", decision.route().map(|r| &*r.key));
            span.record("issuer", decision.identity().map(|i| i.issuer_id()));
            span.record("decision", if decision.is_allowed() { "allow" } else { "deny" });
            span.record("reason_code", decision.reason_code().map(|c| c.as_str()));
        }
        Ok(match decision {
            Decision::Allow(grant) => {
                req.extensions_mut().insert(grant);
                Verdict::Pass
            }
            Decision::Unauthenticated(d) => Verdict::Deny(render::unauthorized(&d, self.style, &self.realm)),
            Decision::Forbidden(d) => Verdict::Deny(render::forbidden(&d, self.style, &self.realm)),
        })
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for ScopeGate<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
    ResBody: From<String>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S, ReqBody>;

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
        // Without a subscriber that wants the span, skip entering it and instrumenting the
        // inner future: the cached path is a few hundred nanoseconds, and this is a share of it.
        let traced = !span.is_disabled();
        let fetch = |e: &Engine, d: &Decision, t: Option<&str>| e.key_fetch(d, t);
        let gate = if traced {
            span.in_scope(|| self.config.gate(&span, &mut req, fetch))
        } else {
            self.config.gate(&span, &mut req, fetch)
        };
        let kind = match gate {
            Ok(Verdict::Pass) if traced => Kind::Inner {
                future: self.inner.call(req).instrument(span),
            },
            Ok(Verdict::Pass) => Kind::Plain {
                future: self.inner.call(req),
            },
            Ok(Verdict::Deny(response)) => Kind::Denied {
                response: Some(response),
            },
            Err((engine, fetch)) => {
                // The ready service goes with the request; a clone stays for the next call.
                let clone = self.inner.clone();
                let inner = std::mem::replace(&mut self.inner, clone);
                Kind::Fetching {
                    fetch: Box::pin(async move { engine.fetch_keys(&fetch).await }),
                    parked: Some((inner, req, Arc::clone(&self.config))),
                    span,
                }
            }
        };
        ResponseFuture { kind }
    }
}

type FetchFuture = Pin<Box<dyn Future<Output = bool> + Send>>;

pin_project! {
    /// Response future of [`ScopeGate`].
    pub struct ResponseFuture<S, ReqBody>
    where
        S: Service<Request<ReqBody>>,
    {
        #[pin]
        kind: Kind<S, ReqBody>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<S, ReqBody>
    where
        S: Service<Request<ReqBody>>,
    {
        Inner { #[pin] future: Instrumented<S::Future> },
        Plain { #[pin] future: S::Future },
        Denied { response: Option<S::Response> },
        // Only for a token whose key is not known yet: cached and known-key requests never box.
        Fetching { fetch: FetchFuture, parked: Option<(S, Request<ReqBody>, Arc<Config>)>, span: tracing::Span },
    }
}

impl<S, ReqBody, ResBody> Future for ResponseFuture<S, ReqBody>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: From<String>,
{
    type Output = Result<S::Response, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut kind = self.project().kind;
        loop {
            let next = match kind.as_mut().project() {
                KindProj::Inner { future } => return future.poll(cx),
                KindProj::Plain { future } => return future.poll(cx),
                KindProj::Denied { response } => {
                    return match response.take() {
                        Some(r) => Poll::Ready(Ok(r)),
                        // Polled after completion: never resolves again (the Future contract allows
                        // any behaviour; this one neither panics nor repeats).
                        None => Poll::Pending,
                    };
                }
                KindProj::Fetching { fetch, parked, span } => {
                    if fetch.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    let Some((mut inner, mut req, config)) = parked.take() else {
                        return Poll::Pending;
                    };
                    let no_fetch = |_: &Engine, _: &Decision, _: Option<&str>| None::<Infallible>;
                    match span.in_scope(|| config.gate(span, &mut req, no_fetch)) {
                        Ok(Verdict::Pass) => Kind::Inner {
                            future: inner.call(req).instrument(span.clone()),
                        },
                        Ok(Verdict::Deny(response)) => Kind::Denied {
                            response: Some(response),
                        },
                        Err((_, never)) => match never {},
                    }
                }
            };
            kind.set(next);
        }
    }
}
