//! Why a request was refused: the stable [`ReasonCode`]s and the [`Rejection`] of a token.

use std::fmt;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_in_declaration_order() {
        // The engine's metric handles are indexed by `code as usize`.
        for (i, code) in ReasonCode::ALL.iter().enumerate() {
            assert_eq!(*code as usize, i, "{code}");
        }
    }

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
