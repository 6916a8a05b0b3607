//! Deny responses: status, `WWW-Authenticate` and the JSON body API Gateway sends.

use http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderValue, Response, StatusCode};
use scopegate::{Denial, ReasonCode};

/// How the `WWW-Authenticate` challenge is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChallengeStyle {
    /// RFC 6750: `Bearer realm="api", error="invalid_token", error_description="..."`.
    #[default]
    Rfc6750,
    /// API Gateway HTTP API's JWT authorizer format, for services migrating from it:
    /// `Bearer scope="" error="invalid_token" error_description="..."` (space separated).
    ApiGateway,
}

/// A fixed, safe description per code: never derived from the token.
fn description(code: ReasonCode) -> &'static str {
    match code {
        ReasonCode::MissingToken => "no access token was presented",
        ReasonCode::MalformedToken => "the access token is malformed",
        ReasonCode::UnsupportedAlgorithm => "the token's signing algorithm is not accepted",
        ReasonCode::UnknownIssuer => "the token's issuer is not trusted",
        ReasonCode::UnknownKey => "the token's signing key is unknown",
        ReasonCode::BadSignature => "the token's signature is invalid",
        ReasonCode::TokenExpired => "the token has expired",
        ReasonCode::TokenNotYetValid => "the token is not valid yet",
        ReasonCode::AudienceMismatch => "the token does not have a valid audience",
        ReasonCode::WrongTokenType => "the token is not an access token of the expected type",
        ReasonCode::InvalidClaims => "the token's claims are invalid",
        ReasonCode::KeysUnavailable => "the issuer's signing keys are unavailable",
        ReasonCode::InsufficientScope => "the token lacks a required scope",
        ReasonCode::InsufficientRole => "the token lacks a required role",
        ReasonCode::RouteDenied => "the token is not allowed on this route",
        ReasonCode::NoRoute => "no route allows this request",
        _ => "access denied",
    }
}

fn quoted(s: &str) -> String {
    // Scope names and realms come from the policy; keep the header a valid quoted-string.
    s.chars()
        .filter(|c| *c != '"' && *c != '\\' && !c.is_control())
        .collect()
}

/// The `WWW-Authenticate` value for a denial with `code` (and, for 403, the scopes that would
/// satisfy the route): what the layer writes, for adapters that answer on behalf of a gateway.
pub fn challenge(style: ChallengeStyle, realm: &str, code: ReasonCode, scopes: &[String]) -> String {
    let forbidden = code.status() == 403;
    let error = if forbidden {
        "insufficient_scope"
    } else {
        "invalid_token"
    };
    let scope = quoted(&scopes.join(" "));
    let desc = description(code);
    match style {
        ChallengeStyle::ApiGateway => {
            format!("Bearer scope=\"{scope}\" error=\"{error}\" error_description=\"{desc}\"")
        }
        // RFC 6750 §3.1: a request without credentials gets no error code.
        ChallengeStyle::Rfc6750 if code == ReasonCode::MissingToken => format!("Bearer realm=\"{}\"", quoted(realm)),
        ChallengeStyle::Rfc6750 => {
            let mut out = format!(
                "Bearer realm=\"{}\", error=\"{error}\", error_description=\"{desc}\"",
                quoted(realm)
            );
            if forbidden && !scope.is_empty() {
                out.push_str(&format!(", scope=\"{scope}\""));
            }
            out
        }
    }
}

fn json<B: From<String>>(status: StatusCode, message: &str) -> Response<B> {
    let mut response = Response::new(B::from(format!("{{\"message\":\"{message}\"}}")));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// 401 with the challenge for a failed authentication.
pub(crate) fn unauthorized<B: From<String>>(denial: &Denial, style: ChallengeStyle, realm: &str) -> Response<B> {
    refusal(StatusCode::UNAUTHORIZED, "Unauthorized", denial, style, realm)
}

/// 403 with the challenge for a failed authorization.
pub(crate) fn forbidden<B: From<String>>(denial: &Denial, style: ChallengeStyle, realm: &str) -> Response<B> {
    refusal(StatusCode::FORBIDDEN, "Forbidden", denial, style, realm)
}

fn refusal<B: From<String>>(
    status: StatusCode,
    message: &str,
    denial: &Denial,
    style: ChallengeStyle,
    realm: &str,
) -> Response<B> {
    let mut response = json(status, message);
    let value = challenge(style, realm, denial.code, &denial.missing_scopes);
    let value = HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("Bearer"));
    response.headers_mut().insert(WWW_AUTHENTICATE, value);
    response
}

/// 400 for a path the layer refuses to interpret.
pub(crate) fn bad_request<B: From<String>>() -> Response<B> {
    json(StatusCode::BAD_REQUEST, "Bad Request")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6750_challenges() {
        assert_eq!(
            challenge(ChallengeStyle::Rfc6750, "api", ReasonCode::MissingToken, &[]),
            "Bearer realm=\"api\""
        );
        assert_eq!(
            challenge(ChallengeStyle::Rfc6750, "api", ReasonCode::TokenExpired, &[]),
            "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"the token has expired\""
        );
        assert_eq!(
            challenge(
                ChallengeStyle::Rfc6750,
                "api",
                ReasonCode::InsufficientScope,
                &["a".into(), "b:c".into()]
            ),
            "Bearer realm=\"api\", error=\"insufficient_scope\", error_description=\"the token lacks a required scope\", scope=\"a b:c\""
        );
    }

    #[test]
    fn api_gateway_challenge() {
        assert_eq!(
            challenge(ChallengeStyle::ApiGateway, "api", ReasonCode::AudienceMismatch, &[]),
            "Bearer scope=\"\" error=\"invalid_token\" error_description=\"the token does not have a valid audience\""
        );
    }

    #[test]
    fn quotes_cannot_break_the_header() {
        let v = challenge(
            ChallengeStyle::Rfc6750,
            "a\"pi",
            ReasonCode::InsufficientScope,
            &["x\" evil=\"1".into()],
        );
        assert!(HeaderValue::from_str(&v).is_ok());
        assert_eq!(v.matches('"').count(), 8, "{v}");
    }
}
