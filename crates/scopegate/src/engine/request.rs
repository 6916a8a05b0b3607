//! One request as the engine sees it: no HTTP framework types.

use crate::unverified::Credentials;

/// One request as the engine sees it: no HTTP framework types.
#[derive(Debug, Clone, Copy)]
pub struct AuthRequest<'a> {
    /// The HTTP method, e.g. `GET` (case-sensitive).
    pub method: &'a str,
    /// The request path without query string, e.g. `/pets/7`.
    pub path: &'a str,
    /// The bearer token, without the `Bearer ` prefix; `None` when absent.
    pub token: Option<&'a str>,
    /// The clock, in seconds since the epoch; `None` reads the system clock.
    pub now: Option<u64>,
    /// The adapter saw a CORS preflight (`OPTIONS` with `Origin` and
    /// `Access-Control-Request-Method`).
    pub cors_preflight: bool,
    /// The adapter found credentials it cannot use (two `Authorization` headers, another
    /// scheme): treated as a malformed token, which anonymous routes ignore.
    pub credential_error: Option<&'a str>,
}

impl<'a> AuthRequest<'a> {
    /// A request without a token.
    pub fn new(method: &'a str, path: &'a str) -> AuthRequest<'a> {
        AuthRequest {
            method,
            path,
            token: None,
            now: None,
            cors_preflight: false,
            credential_error: None,
        }
    }

    /// Sets the bearer token.
    pub fn token(mut self, token: &'a str) -> Self {
        self.token = Some(token);
        self
    }

    /// Fixes the clock.
    pub fn at(mut self, now: u64) -> Self {
        self.now = Some(now);
        self
    }

    /// Takes what an adapter found where the token should be (see
    /// [`Credentials::parse`]): a token, unusable credentials, or nothing.
    pub fn credentials(mut self, credentials: Credentials<'a>) -> Self {
        match credentials {
            Credentials::Absent => {}
            Credentials::Token(t) => self.token = Some(t),
            Credentials::Unusable(why) => self.credential_error = Some(why),
        }
        self
    }

    /// Reports unusable credentials (see [`AuthRequest::credential_error`]).
    pub fn malformed_credentials(mut self, why: &'a str) -> Self {
        self.credential_error = Some(why);
        self
    }

    /// Marks the request as a CORS preflight.
    pub fn preflight(mut self, yes: bool) -> Self {
        self.cors_preflight = yes;
        self
    }
}
