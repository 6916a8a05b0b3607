//! HTTP endpoints a gateway calls per request: forward-auth (`/auth`) and Envoy's ext_authz
//! HTTP service mode (`{envoy_path_prefix}/...`).

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Request, Response, StatusCode, header};
use scopegate::policy::OriginalRequestHeaders;
use scopegate::unverified::{Credentials, Scheme, is_cors_preflight};

use crate::App;
use crate::check::{Original, Outcome, check};
use crate::ops::count;

const X_ORIGINAL_METHOD: &str = "x-original-method";
const X_ORIGINAL_URI: &str = "x-original-uri";
const X_FORWARDED_METHOD: &str = "x-forwarded-method";
const X_FORWARDED_URI: &str = "x-forwarded-uri";

/// One header's text; `Err` when it is repeated or not visible ASCII (never guessed at).
fn single<'h>(headers: &'h HeaderMap, name: &str) -> Result<Option<&'h str>, ()> {
    let mut values = headers.get_all(name).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(());
    }
    first.to_str().map(Some).map_err(|_| ())
}

/// Where the original request is described, by the configured mode.
enum Described<'h> {
    Yes(&'h str, &'h str),
    Missing,
    Ambiguous,
}

fn described(headers: &HeaderMap, mode: OriginalRequestHeaders) -> Described<'_> {
    let pair = |method, uri| match (single(headers, method), single(headers, uri)) {
        (Ok(Some(m)), Ok(Some(u))) => Described::Yes(m, u),
        (Err(()), _) | (_, Err(())) => Described::Ambiguous,
        _ => Described::Missing,
    };
    match mode {
        OriginalRequestHeaders::Original => pair(X_ORIGINAL_METHOD, X_ORIGINAL_URI),
        OriginalRequestHeaders::Forwarded => pair(X_FORWARDED_METHOD, X_FORWARDED_URI),
        OriginalRequestHeaders::Auto => {
            let original = headers.contains_key(X_ORIGINAL_URI) || headers.contains_key(X_ORIGINAL_METHOD);
            let forwarded = headers.contains_key(X_FORWARDED_URI) || headers.contains_key(X_FORWARDED_METHOD);
            match (original, forwarded) {
                // A client can add the pair its gateway does not set: two descriptions, no answer.
                (true, true) => Described::Ambiguous,
                (true, false) => pair(X_ORIGINAL_METHOD, X_ORIGINAL_URI),
                _ => pair(X_FORWARDED_METHOD, X_FORWARDED_URI),
            }
        }
    }
}

fn credentials<'h>(app: &App, headers: &'h HeaderMap) -> Credentials<'h> {
    let name = &app.config.token_header;
    let scheme = if name == header::AUTHORIZATION {
        Scheme::Required
    } else {
        Scheme::Optional
    };
    Credentials::from_header_values(headers.get_all(name).iter().map(|v| v.as_bytes()), scheme)
}

fn preflight(method: &str, headers: &HeaderMap) -> bool {
    is_cors_preflight(method, |h| headers.contains_key(h))
}

/// `/auth`: nginx `auth_request`, ingress-nginx `auth-url`, Traefik `forwardAuth`, Caddy
/// `forward_auth`.
pub(crate) async fn forward_auth(State(app): State<App>, headers: HeaderMap) -> Response<Body> {
    let outcome = match described(&headers, app.config.original) {
        Described::Missing => {
            tracing::error!(
                "forward-auth request without X-Original-Method/URI or X-Forwarded-Method/Uri: check the gateway configuration"
            );
            Outcome::Misconfigured("the gateway did not describe the original request")
        }
        Described::Ambiguous => Outcome::Deny {
            status: StatusCode::FORBIDDEN,
            challenge: None,
        },
        Described::Yes(method, target) => {
            let original = Original {
                method,
                target,
                credentials: credentials(&app, &headers),
                preflight: preflight(method, &headers),
            };
            check(&app.engine, &app.config, original).await
        }
    };
    count("auth", render(outcome))
}

/// Envoy's HTTP service mode: the original method, and the original path after the prefix.
pub(crate) async fn envoy_http(State(app): State<App>, req: Request<Body>) -> Response<Body> {
    let target = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let rest = target.strip_prefix(app.config.envoy_prefix.as_str()).unwrap_or("");
    // `/envoy?x` and `/envoyx/...` are not under the prefix.
    let rest = if rest.is_empty() || rest.starts_with('?') {
        None
    } else if rest.starts_with('/') {
        Some(rest)
    } else {
        None
    };
    let outcome = match rest {
        None => Outcome::Misconfigured("the request path is not under the Envoy path prefix"),
        Some(target) => {
            let method = req.method().as_str();
            let original = Original {
                method,
                target,
                credentials: credentials(&app, req.headers()),
                preflight: preflight(method, req.headers()),
            };
            check(&app.engine, &app.config, original).await
        }
    };
    count("envoy", render(outcome))
}

/// The HTTP answer: 200 with every identity header (empty when the identity has no value, so a
/// gateway that copies them overwrites what a client sent), or the denial.
fn render(outcome: Outcome) -> Response<Body> {
    let status = outcome.status();
    let (message, challenge) = match outcome {
        Outcome::Allow(headers) => {
            let mut response = Response::new(Body::empty());
            for (name, value) in headers {
                response
                    .headers_mut()
                    .insert(name, value.unwrap_or_else(|| http::HeaderValue::from_static("")));
            }
            return response;
        }
        Outcome::Deny { challenge, .. } => (
            if status == StatusCode::UNAUTHORIZED {
                "Unauthorized"
            } else {
                "Forbidden"
            },
            challenge,
        ),
        Outcome::Misconfigured(why) => (why, None),
    };
    let mut response = Response::new(Body::from(format!("{{\"message\":\"{message}\"}}")));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    if let Some(c) = challenge {
        headers.insert(header::WWW_AUTHENTICATE, c);
    }
    response
}
