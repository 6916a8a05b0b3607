//! HTTP for keys: OIDC discovery documents and JWKS, fetched with the limits a verifier needs.
//!
//! Every response is untrusted input: https only (plain http for loopback addresses, which tests
//! and sidecars use), no redirect to another origin, connect and total timeouts, a body cap, and
//! JSON parsed by the callers key by key.

use std::time::{Duration, Instant};

use reqwest::Url;
use reqwest::header::{ACCEPT, CACHE_CONTROL, LOCATION};
use reqwest::redirect;

use super::{JwksError, KeySet};
use crate::text::printable;

/// Limits for one fetch, from `[settings.jwks]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct FetchLimits {
    /// Limit for establishing a connection.
    pub connect_timeout: Duration,
    /// Limit for the whole request, body included.
    pub timeout: Duration,
    /// Larger bodies are refused.
    pub max_body_bytes: usize,
}

/// Why keys could not be fetched. The message names the URL, never a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// Not a URL.
    #[error("`{url}` is not a valid URL: {why}")]
    InvalidUrl {
        /// The text.
        url: String,
        /// The parser's complaint.
        why: String,
    },
    /// Plain http to a host that is not a loopback address, or another scheme.
    #[error("`{0}` must use https (plain http is accepted only for loopback addresses)")]
    Insecure(String),
    /// The HTTP client could not be built (TLS initialisation).
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    /// Connection or protocol failure.
    #[error("request to `{url}` failed: {why}")]
    Transport {
        /// The URL.
        url: String,
        /// What failed.
        why: String,
    },
    /// No answer within the timeout.
    #[error("request to `{url}` timed out (limit {limit_ms} ms)")]
    Timeout {
        /// The URL.
        url: String,
        /// The configured limit.
        limit_ms: u128,
    },
    /// A redirect to another origin (not followed).
    #[error("`{url}` redirects to `{location}`, another origin; not followed")]
    Redirect {
        /// The URL.
        url: String,
        /// Where it pointed.
        location: String,
    },
    /// A status other than 200.
    #[error("`{url}` answered HTTP {status}")]
    Status {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The body is larger than `max_body_bytes`.
    #[error("`{url}` sent more than {limit} bytes")]
    TooLarge {
        /// The URL.
        url: String,
        /// The cap.
        limit: usize,
    },
    /// Not the JSON document expected.
    #[error("`{url}` did not return a usable document: {why}")]
    BadDocument {
        /// The URL.
        url: String,
        /// What was wrong.
        why: String,
    },
    /// The discovery document speaks for another issuer.
    #[error("discovery document at `{url}` is for issuer `{found}`, not `{expected}`")]
    IssuerMismatch {
        /// The discovery URL.
        url: String,
        /// The configured issuer.
        expected: String,
        /// What the document says.
        found: String,
    },
    /// The JWKS parsed, but holds no key this verifier can use.
    #[error("JWKS at `{url}` holds no usable key ({skipped} skipped)")]
    NoUsableKeys {
        /// The JWKS URL.
        url: String,
        /// Keys present but not loaded.
        skipped: usize,
    },
}

/// Checks that a URL may be fetched: https, or http to a loopback address.
pub(crate) fn check_url(text: &str) -> Result<Url, FetchError> {
    let url = Url::parse(text).map_err(|e| FetchError::InvalidUrl {
        url: printable(text),
        why: e.to_string(),
    })?;
    match url.scheme() {
        "https" if url.host().is_some() => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        _ => Err(FetchError::Insecure(printable(text))),
    }
}

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// The discovery URL for an issuer (OpenID Connect Discovery 1.0 §4).
pub(crate) fn discovery_url(iss: &str) -> Result<Url, FetchError> {
    check_url(&format!(
        "{}/.well-known/openid-configuration",
        iss.trim_end_matches('/')
    ))
}

/// A fetched JWKS and how long it may be kept, per `Cache-Control`.
#[derive(Debug)]
pub(crate) struct FetchedKeys {
    pub keys: KeySet,
    pub max_age: Option<Duration>,
}

/// The HTTP client shared by every issuer of an engine.
#[derive(Debug)]
pub(crate) struct Fetcher {
    client: reqwest::Client,
    limits: FetchLimits,
}

impl Fetcher {
    pub fn new(limits: FetchLimits) -> Result<Fetcher, FetchError> {
        let client = reqwest::Client::builder()
            .connect_timeout(limits.connect_timeout)
            .timeout(limits.timeout)
            .redirect(redirect::Policy::custom(same_origin_only))
            .user_agent(concat!("scopegate/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| FetchError::Client(e.to_string()))?;
        Ok(Fetcher { client, limits })
    }

    /// Reads the `jwks_uri` from an issuer's discovery document.
    pub async fn discover(&self, iss: &str, url: &Url) -> Result<Url, FetchError> {
        let (body, _) = self.get(url).await?;
        let bad = |why: String| FetchError::BadDocument {
            url: url.to_string(),
            why,
        };
        let doc: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&body).map_err(|e| bad(format!("not a JSON object: {e}")))?;
        let found = doc
            .get("issuer")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| bad("no `issuer` string".into()))?;
        if found != iss {
            return Err(FetchError::IssuerMismatch {
                url: url.to_string(),
                expected: iss.to_string(),
                found: printable(found),
            });
        }
        let jwks_uri = doc
            .get("jwks_uri")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| bad("no `jwks_uri` string".into()))?;
        check_url(jwks_uri)
    }

    /// Fetches and parses a JWKS.
    pub async fn jwks(&self, url: &Url) -> Result<FetchedKeys, FetchError> {
        let (body, max_age) = self.get(url).await?;
        let keys = KeySet::from_jwks_json(&body).map_err(|e| FetchError::BadDocument {
            url: url.to_string(),
            why: match e {
                JwksError::Json(why) => format!("not JSON: {why}"),
                JwksError::Shape => "not an object with a `keys` array".into(),
            },
        })?;
        if keys.is_empty() {
            // An empty set is never a legitimate rotation; keeping the last good keys is safer.
            return Err(FetchError::NoUsableKeys {
                url: url.to_string(),
                skipped: keys.skipped().len(),
            });
        }
        Ok(FetchedKeys { keys, max_age })
    }

    async fn get(&self, url: &Url) -> Result<(Vec<u8>, Option<Duration>), FetchError> {
        let started = Instant::now();
        let fail = |e: reqwest::Error| {
            if e.is_timeout() {
                FetchError::Timeout {
                    url: url.to_string(),
                    limit_ms: self.limits.timeout.as_millis(),
                }
            } else {
                FetchError::Transport {
                    url: url.to_string(),
                    why: error_chain(&e),
                }
            }
        };
        let mut response = self
            .client
            .get(url.clone())
            .header(ACCEPT, "application/json")
            .send()
            .await
            .map_err(fail)?;
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .map_or_else(|| "(none)".into(), printable);
            return Err(FetchError::Redirect {
                url: url.to_string(),
                location,
            });
        }
        if status != reqwest::StatusCode::OK {
            return Err(FetchError::Status {
                url: url.to_string(),
                status: status.as_u16(),
            });
        }
        let too_large = || FetchError::TooLarge {
            url: url.to_string(),
            limit: self.limits.max_body_bytes,
        };
        if response
            .content_length()
            .is_some_and(|n| n > self.limits.max_body_bytes as u64)
        {
            return Err(too_large());
        }
        let max_age = response
            .headers()
            .get(CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .and_then(max_age);
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(fail)? {
            if body.len() + chunk.len() > self.limits.max_body_bytes {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        tracing::trace!(%url, bytes = body.len(), elapsed_ms = started.elapsed().as_millis(), "fetched");
        Ok((body, max_age))
    }
}

fn same_origin_only(attempt: redirect::Attempt<'_>) -> redirect::Action {
    let same = attempt
        .previous()
        .first()
        .is_some_and(|first| first.origin() == attempt.url().origin());
    if same && attempt.previous().len() < 5 {
        attempt.follow()
    } else {
        attempt.stop()
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// `max-age` from a `Cache-Control` value; `no-store`/`no-cache` count as zero.
pub(crate) fn max_age(value: &str) -> Option<Duration> {
    let mut found = None;
    for directive in value.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return Some(Duration::ZERO);
        }
        if let Some(n) = lower.strip_prefix("max-age=") {
            found = n.trim_matches('"').parse::<u64>().ok().map(Duration::from_secs);
        }
    }
    found
}

/// Fetch metrics of one issuer, registered once with its id as the `issuer` label.
pub(super) struct FetchMetrics {
    pub ok: metrics::Counter,
    pub error: metrics::Counter,
    pub key_age: metrics::Gauge,
}

impl FetchMetrics {
    pub fn register(issuer: &str) -> FetchMetrics {
        let fetches = |outcome: &'static str| metrics::counter!("scopegate_jwks_fetches_total", "issuer" => issuer.to_string(), "outcome" => outcome);
        FetchMetrics {
            ok: fetches("ok"),
            error: fetches("error"),
            key_age: metrics::gauge!("scopegate_jwks_key_age_seconds", "issuer" => issuer.to_string()),
        }
    }
}

impl std::fmt::Debug for FetchMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FetchMetrics").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http() {
        assert!(check_url("https://idp.example.com/jwks").is_ok());
        assert!(check_url("http://127.0.0.1:8080/jwks").is_ok());
        assert!(check_url("http://127.9.9.9/jwks").is_ok());
        assert!(check_url("http://[::1]:80/jwks").is_ok());
        assert!(check_url("http://localhost/jwks").is_ok());
        for bad in [
            "http://idp.example.com/jwks",
            "http://10.0.0.1/jwks",
            "http://169.254.169.254/latest/meta-data",
            "ftp://idp.example.com/jwks",
            "file:///etc/passwd",
        ] {
            assert!(matches!(check_url(bad), Err(FetchError::Insecure(_))), "{bad}");
        }
        assert!(matches!(check_url("not a url"), Err(FetchError::InvalidUrl { .. })));
    }

    #[test]
    fn discovery_url_tolerates_trailing_slash() {
        assert_eq!(
            discovery_url("https://pets.us.auth0.com/").unwrap().as_str(),
            "https://pets.us.auth0.com/.well-known/openid-configuration"
        );
        assert_eq!(
            discovery_url("https://id.example.com/realms/x").unwrap().as_str(),
            "https://id.example.com/realms/x/.well-known/openid-configuration"
        );
    }

    #[test]
    fn cache_control_max_age() {
        assert_eq!(max_age("public, max-age=300"), Some(Duration::from_secs(300)));
        assert_eq!(max_age("Max-Age=15, must-revalidate"), Some(Duration::from_secs(15)));
        assert_eq!(max_age("no-store"), Some(Duration::ZERO));
        assert_eq!(max_age("public"), None);
        assert_eq!(max_age("max-age=-1"), None);
        assert_eq!(max_age("max-age=99999999999999999999999"), None);
    }
}
