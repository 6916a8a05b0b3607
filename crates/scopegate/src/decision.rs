//! What the engine answers: allow with a [`Grant`], or a denial with a stable reason code.

use std::fmt;
use std::sync::Arc;

use crate::identity::Identity;

/// Stable machine-readable reasons (part of the CLI JSON and the adapters' contract).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReasonCode {
    /// 401: no token was presented.
    MissingToken,
    /// 401: the token is not a well-formed compact JWS within the limits.
    MalformedToken,
    /// 401: `alg` is unknown, `none`, or not allowed for the issuer or key.
    UnsupportedAlgorithm,
    /// 401: `iss` is missing or names no configured issuer.
    UnknownIssuer,
    /// 401: no key of the issuer has the token's `kid`.
    UnknownKey,
    /// 401: the signature does not verify.
    BadSignature,
    /// 401: `exp` has passed.
    TokenExpired,
    /// 401: `nbf` or `iat` lies in the future.
    TokenNotYetValid,
    /// 401: no accepted audience.
    AudienceMismatch,
    /// 401: the header `typ` is not accepted for the issuer.
    WrongTokenType,
    /// 401: a claim has the wrong JSON type or a required claim is missing.
    InvalidClaims,
    /// 401: the issuer's keys cannot be obtained.
    KeysUnavailable,
    /// 403: the route needs a scope the token lacks.
    InsufficientScope,
    /// 403: the route needs a role the token lacks.
    InsufficientRole,
    /// 403: the route's requirement is not met (issuer, client or an exclusion).
    RouteDenied,
    /// 403: no route matches and unmatched requests are denied.
    NoRoute,
}

impl ReasonCode {
    /// Every code, in documentation order.
    pub const ALL: [ReasonCode; 16] = [
        ReasonCode::MissingToken,
        ReasonCode::MalformedToken,
        ReasonCode::UnsupportedAlgorithm,
        ReasonCode::UnknownIssuer,
        ReasonCode::UnknownKey,
        ReasonCode::BadSignature,
        ReasonCode::TokenExpired,
        ReasonCode::TokenNotYetValid,
        ReasonCode::AudienceMismatch,
        ReasonCode::WrongTokenType,
        ReasonCode::InvalidClaims,
        ReasonCode::KeysUnavailable,
        ReasonCode::InsufficientScope,
        ReasonCode::InsufficientRole,
        ReasonCode::RouteDenied,
        ReasonCode::NoRoute,
    ];

    /// The snake_case code.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::MissingToken => "missing_token",
            ReasonCode::MalformedToken => "malformed_token",
            ReasonCode::UnsupportedAlgorithm => "unsupported_algorithm",
            ReasonCode::UnknownIssuer => "unknown_issuer",
            ReasonCode::UnknownKey => "unknown_key",
            ReasonCode::BadSignature => "bad_signature",
            ReasonCode::TokenExpired => "token_expired",
            ReasonCode::TokenNotYetValid => "token_not_yet_valid",
            ReasonCode::AudienceMismatch => "audience_mismatch",
            ReasonCode::WrongTokenType => "wrong_token_type",
            ReasonCode::InvalidClaims => "invalid_claims",
            ReasonCode::KeysUnavailable => "keys_unavailable",
            ReasonCode::InsufficientScope => "insufficient_scope",
            ReasonCode::InsufficientRole => "insufficient_role",
            ReasonCode::RouteDenied => "route_denied",
            ReasonCode::NoRoute => "no_route",
        }
    }

    /// 401 for authentication failures, 403 for authorization failures.
    pub fn status(self) -> u16 {
        match self {
            ReasonCode::InsufficientScope
            | ReasonCode::InsufficientRole
            | ReasonCode::RouteDenied
            | ReasonCode::NoRoute => 403,
            _ => 401,
        }
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed authentication: why the token was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The stable code.
    pub code: ReasonCode,
    /// A sentence for people. Never contains the token or its signature.
    pub message: String,
}

impl Rejection {
    pub(crate) fn new(code: ReasonCode, message: impl Into<String>) -> Rejection {
        Rejection {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Rejection {}

/// The route a request matched, as the decision reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedRoute {
    /// The route key, e.g. `GET /pets/{id}`.
    pub key: Arc<str>,
    /// The compiled requirement, printed (`anonymous` for open routes).
    pub requirement: Arc<str>,
    /// Path parameters, in route order.
    pub params: Vec<(Arc<str>, String)>,
}

/// Why a request was allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantBasis {
    /// The route's requirement holds for the token.
    Requirement,
    /// The route allows anonymous access.
    Anonymous,
    /// A CORS preflight, passed by `settings.cors_preflight = "allow"`.
    CorsPreflight,
    /// No route matched and `settings.unmatched = "allow-authenticated"`.
    Unmatched,
}

/// What an allowed request may carry on to the service.
#[derive(Debug, Clone)]
pub struct Grant {
    /// The verified identity; `None` for anonymous access without a valid token.
    pub identity: Option<Arc<Identity>>,
    /// The route that allowed it (`None` when unmatched requests are allowed).
    pub route: Option<MatchedRoute>,
    /// Why access was granted.
    pub basis: GrantBasis,
}

impl Grant {
    /// Why access was granted, for people. Built on demand: the allow path formats nothing.
    pub fn reason(&self) -> String {
        let route = self.route.as_ref();
        let key = route.map_or("(none)", |r| &*r.key);
        match self.basis {
            GrantBasis::CorsPreflight => {
                "CORS preflight passes without a token (settings.cors_preflight = \"allow\")".into()
            }
            GrantBasis::Anonymous => format!("route `{key}` allows anonymous access"),
            GrantBasis::Unmatched => "no route matches; unmatched requests with a valid token are allowed".into(),
            GrantBasis::Requirement => format!(
                "route `{key}` requires `{}`; {}: allowed",
                route.map_or("", |r| &*r.requirement),
                self.identity.as_deref().map_or_else(String::new, Identity::describe)
            ),
        }
    }

    /// Issuer id from the policy.
    pub fn issuer(&self) -> Option<&str> {
        self.identity.as_deref().map(Identity::issuer_id)
    }

    /// `sub` of the token.
    pub fn subject(&self) -> Option<&str> {
        self.identity.as_deref().and_then(Identity::subject)
    }
}

/// A denial: the code, the explanation and what the engine knew.
#[derive(Debug, Clone)]
pub struct Denial {
    /// The stable code.
    pub code: ReasonCode,
    /// A sentence for people: what was checked and what failed.
    pub reason: String,
    /// The matched route, when routing happened.
    pub route: Option<MatchedRoute>,
    /// The verified identity, for 403s.
    pub identity: Option<Arc<Identity>>,
    /// Scopes that would satisfy the route (for `WWW-Authenticate: ... scope="..."`).
    pub missing_scopes: Vec<String>,
}

/// The engine's answer for one request.
#[derive(Debug, Clone)]
pub enum Decision {
    /// Let the request through.
    Allow(Grant),
    /// 401: no valid token.
    Unauthenticated(Denial),
    /// 403: valid token, not enough.
    Forbidden(Denial),
}

impl Decision {
    /// 200, 401 or 403.
    pub fn status(&self) -> u16 {
        match self {
            Decision::Allow(_) => 200,
            Decision::Unauthenticated(_) => 401,
            Decision::Forbidden(_) => 403,
        }
    }

    /// True for [`Decision::Allow`].
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow(_))
    }

    /// The reason code; `None` on allow.
    pub fn reason_code(&self) -> Option<ReasonCode> {
        match self {
            Decision::Allow(_) => None,
            Decision::Unauthenticated(d) | Decision::Forbidden(d) => Some(d.code),
        }
    }

    /// The human explanation.
    pub fn reason(&self) -> String {
        match self {
            Decision::Allow(g) => g.reason(),
            Decision::Unauthenticated(d) | Decision::Forbidden(d) => d.reason.clone(),
        }
    }

    /// The matched route, if any.
    pub fn route(&self) -> Option<&MatchedRoute> {
        match self {
            Decision::Allow(g) => g.route.as_ref(),
            Decision::Unauthenticated(d) | Decision::Forbidden(d) => d.route.as_ref(),
        }
    }

    /// The verified identity, if the token was valid.
    pub fn identity(&self) -> Option<&Arc<Identity>> {
        match self {
            Decision::Allow(g) => g.identity.as_ref(),
            Decision::Unauthenticated(d) | Decision::Forbidden(d) => d.identity.as_ref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_and_split_401_403() {
        let names: Vec<&str> = ReasonCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), 16);
        assert_eq!(ReasonCode::ALL.iter().filter(|c| c.status() == 403).count(), 4);
        assert_eq!(ReasonCode::KeysUnavailable.as_str(), "keys_unavailable");
        assert_eq!(ReasonCode::NoRoute.status(), 403);
        assert_eq!(ReasonCode::MissingToken.status(), 401);
    }
}
