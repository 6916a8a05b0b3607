//! The one decision step every endpoint shares: original request in, [`Outcome`] out. The
//! endpoints differ only in where they read the request and how they write the outcome.

use http::{HeaderName, HeaderValue, StatusCode};
use scopegate::unverified::{Credentials, ambiguous_path};
use scopegate::{AuthRequest, Decision, Denial, Identity};
use scopegate_tower::{ChallengeStyle, EngineHandle, challenge};
use serde_json::Value;

use crate::config::ServerConfig;

/// The request the gateway asks about.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Original<'a> {
    pub method: &'a str,
    /// Origin-form request target: path, maybe with a query string (ignored for matching).
    pub target: &'a str,
    pub credentials: Credentials<'a>,
    pub preflight: bool,
}

/// What the sidecar answers.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Let it through with these identity headers; `None` values are to be cleared.
    Allow(Vec<(HeaderName, Option<HeaderValue>)>),
    /// 401 or 403 with the challenge (none for a refused path).
    Deny {
        status: StatusCode,
        challenge: Option<HeaderValue>,
    },
    /// The gateway did not describe the request: its configuration is wrong. Never an allow.
    Misconfigured(&'static str),
}

impl Outcome {
    /// The HTTP status this outcome stands for.
    pub fn status(&self) -> StatusCode {
        match self {
            Outcome::Allow(_) => StatusCode::OK,
            Outcome::Deny { status, .. } => *status,
            Outcome::Misconfigured(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// 403 for a target that policy and upstream could read differently: gateways pass only
    /// 401 and 403 on, so the tower layer's 400 becomes a 403 here.
    fn refused(why: &'static str) -> Outcome {
        tracing::info!(
            decision = "deny",
            reason_code = "ambiguous_path",
            why,
            "scopegate refused the original request"
        );
        Outcome::Deny {
            status: StatusCode::FORBIDDEN,
            challenge: None,
        }
    }
}

/// Decides one original request with the current engine, fetching a key first when the
/// token's key may have been published since the last fetch.
pub(crate) async fn check(engine: &EngineHandle, config: &ServerConfig, original: Original<'_>) -> Outcome {
    let path = original.target.split(['?', '#']).next().unwrap_or("");
    if !path.starts_with('/') {
        return Outcome::refused("the original URI is not a path");
    }
    if let Some(why) = ambiguous_path(path) {
        return Outcome::refused(why);
    }
    if original.method.is_empty()
        || !original
            .method
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Outcome::refused("the original method is not a method name");
    }
    let engine = engine.current();
    let request = AuthRequest::new(original.method, path)
        .preflight(original.preflight)
        .credentials(original.credentials);
    let mut decision = engine.decide(&request);
    if let Some(fetch) = engine.key_fetch(&decision, request.token)
        && engine.fetch_keys(&fetch).await
    {
        decision = engine.decide(&request);
    }
    // Per-request events are debug: at gateway rates an info line per request costs more than
    // the decision. `RUST_LOG=scopegate_server=debug` shows them.
    tracing::debug!(
        method = original.method,
        route = decision.route().map(|r| &*r.key),
        issuer = decision.identity().map(|i| i.issuer_id()),
        decision = if decision.is_allowed() { "allow" } else { "deny" },
        reason_code = decision.reason_code().map(|c| c.as_str()),
        "scopegate decision"
    );
    match decision {
        Decision::Allow(grant) => Outcome::Allow(identity_headers(config, grant.identity.as_deref())),
        Decision::Unauthenticated(d) => deny(StatusCode::UNAUTHORIZED, config, &d),
        Decision::Forbidden(d) => deny(StatusCode::FORBIDDEN, config, &d),
    }
}

fn deny(status: StatusCode, config: &ServerConfig, denial: &Denial) -> Outcome {
    let value = challenge(
        ChallengeStyle::Rfc6750,
        &config.realm,
        denial.code,
        &denial.missing_scopes,
    );
    Outcome::Deny {
        status,
        challenge: Some(HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("Bearer"))),
    }
}

/// A claim as header text: strings as they are, string arrays space-joined, other JSON compact.
fn claim_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) if items.iter().all(Value::is_string) => {
            items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" ")
        }
        other => other.to_string(),
    }
}

fn value(name: &HeaderName, text: Option<String>) -> Option<HeaderValue> {
    let text = text.filter(|t| !t.is_empty())?;
    match HeaderValue::from_str(&text) {
        Ok(v) => Some(v),
        Err(_) => {
            // Claims are verified but may hold text a header cannot carry; the header is then
            // cleared rather than mangled. The value itself is not logged.
            tracing::warn!(header = %name, "an identity value is not valid header text; header cleared");
            None
        }
    }
}

/// Every identity header, with its value or `None` (cleared): anonymous grants clear them all.
fn identity_headers(config: &ServerConfig, identity: Option<&Identity>) -> Vec<(HeaderName, Option<HeaderValue>)> {
    let h = &config.identity;
    let mut pairs: Vec<(HeaderName, Option<String>)> = vec![
        (
            h.subject.clone(),
            identity.and_then(|i| i.subject()).map(str::to_string),
        ),
        (h.issuer.clone(), identity.map(|i| i.issuer_id().to_string())),
        (h.client.clone(), identity.and_then(|i| i.client()).map(str::to_string)),
        (h.scopes.clone(), identity.map(|i| i.scopes().join(" "))),
        (h.roles.clone(), identity.map(|i| i.roles().join(" "))),
    ];
    for (claim, header) in &config.claims {
        pairs.push((header.clone(), identity.and_then(|i| i.claim(claim)).map(claim_text)));
    }
    pairs
        .into_iter()
        .map(|(name, text)| {
            let v = value(&name, text);
            (name, v)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn claims_become_header_text() {
        assert_eq!(claim_text(&json!("a@b.c")), "a@b.c");
        assert_eq!(claim_text(&json!(["a", "b"])), "a b");
        assert_eq!(claim_text(&json!(7)), "7");
        assert_eq!(claim_text(&json!({"k": [1]})), r#"{"k":[1]}"#);
        let name = HeaderName::from_static("x-auth-email");
        assert_eq!(value(&name, Some("line\nbreak".into())), None);
        assert_eq!(value(&name, Some(String::new())), None);
        assert_eq!(value(&name, Some("ok".into())), Some(HeaderValue::from_static("ok")));
    }
}
