//! The untrusted side of a request: credentials as adapters find them, request paths that
//! routers could read differently, and a compact JWS read without trusting it (size cap, strict
//! JSON, header fields).
//!
//! Nothing here verifies anything, which is why the module is named for it (the way
//! jsonwebtoken names `insecure_decode`). [`peek`] only chooses the issuer and the key; every
//! claim is checked again after the signature verifies.

mod credentials;
mod json;
mod path;

use std::fmt;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};

pub use credentials::{Credentials, Scheme, is_cors_preflight};
use json::parse_strict;
pub use path::ambiguous_path;

use crate::reason::{ReasonCode, Rejection};
use crate::text::printable;

/// Base64url without padding, canonical trailing bits only (RFC 7515 §2).
const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone),
);

/// The JOSE header fields scopegate reads. `jku`, `x5u`, `jwk` and `x5c` are never used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoseHeader {
    /// The signature algorithm.
    pub alg: Algorithm,
    /// The key id.
    pub kid: Option<String>,
    /// The media type (`JWT`, `at+jwt`).
    pub typ: Option<String>,
}

/// A token split and decoded, not yet verified.
pub struct Peeked<'t> {
    /// The parsed header.
    pub header: JoseHeader,
    /// The claims, parsed strictly (no duplicate members, bounded depth).
    pub claims: Map<String, Value>,
    /// `base64(header) "." base64(claims)`: the signed bytes.
    pub signing_input: &'t str,
    /// The third part, still base64url.
    pub signature: &'t str,
}

impl fmt::Debug for Peeked<'_> {
    // The signature is deliberately left out: tokens and signatures are never logged.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Peeked")
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

/// The longest signature any supported key produces: RSA-8192, 1,024 bytes.
pub const MAX_SIGNATURE_BYTES: usize = 1024;

impl Peeked<'_> {
    /// The signature decoded into `buffer` (canonical base64url, no padding); `None` when it
    /// is not that or longer than any supported key can produce.
    pub fn signature_bytes<'b>(&self, buffer: &'b mut [u8; MAX_SIGNATURE_BYTES]) -> Option<&'b [u8]> {
        // 1,366 characters encode 1,024 bytes; longer input cannot fit, so it is refused
        // before decoding (and before base64's conservative size estimate could refuse it).
        if self.signature.len() > MAX_SIGNATURE_BYTES.div_ceil(3) * 4 - 2 {
            return None;
        }
        let written = B64.decode_slice(self.signature, buffer).ok()?;
        buffer.get(..written)
    }
}

fn malformed(message: impl Into<String>) -> Rejection {
    Rejection::new(ReasonCode::MalformedToken, message)
}

/// Splits and decodes a compact JWS.
pub fn peek(token: &str, max_bytes: usize) -> Result<Peeked<'_>, Rejection> {
    if token.len() > max_bytes {
        return Err(malformed(format!(
            "token is {} bytes, more than the {max_bytes} allowed",
            token.len()
        )));
    }
    if token.is_empty() {
        return Err(malformed("token is empty"));
    }
    let dots = token.bytes().filter(|b| *b == b'.').count();
    if dots == 4 {
        return Err(malformed(
            "token has five parts: encrypted tokens (JWE) are not accepted",
        ));
    }
    let (signing_input, signature) = match token.rsplit_once('.') {
        Some(parts) if dots == 2 => parts,
        _ => return Err(malformed(format!("token has {} parts; a signed JWT has 3", dots + 1))),
    };
    let (header_b64, claims_b64) = signing_input.split_once('.').unwrap_or((signing_input, ""));
    // The header first, so that `alg: none` is reported as such, signature or not.
    let header = parse_header(&decode_json(header_b64, "header")?)?;
    if signature.is_empty() {
        return Err(malformed("token has no signature"));
    }
    if !signature
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(malformed("signature is not base64url"));
    }
    let claims = decode_json(claims_b64, "claims")?;
    Ok(Peeked {
        header,
        claims,
        signing_input,
        signature,
    })
}

fn decode_json(part: &str, what: &str) -> Result<Map<String, Value>, Rejection> {
    let bytes = B64
        .decode(part)
        .map_err(|_| malformed(format!("{what} is not base64url")))?;
    match parse_strict(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(malformed(format!("{what} is not a JSON object"))),
        Err(e) => Err(malformed(format!("{what} is not acceptable JSON: {e}"))),
    }
}

fn parse_header(map: &Map<String, Value>) -> Result<JoseHeader, Rejection> {
    let alg = match map.get("alg") {
        Some(Value::String(a)) => a,
        Some(_) => return Err(malformed("header `alg` is not a string")),
        None => return Err(malformed("header has no `alg`")),
    };
    let alg: Algorithm = alg.parse().map_err(|_| {
        Rejection::new(
            ReasonCode::UnsupportedAlgorithm,
            format!("algorithm `{}` is not supported", printable(alg)),
        )
    })?;
    if map.contains_key("crit") {
        return Err(malformed("header has `crit`: no critical extensions are understood"));
    }
    Ok(JoseHeader {
        alg,
        kid: optional_string(map, "kid")?,
        typ: optional_string(map, "typ")?,
    })
}

fn optional_string(map: &Map<String, Value>, name: &str) -> Result<Option<String>, Rejection> {
    match map.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(malformed(format!("header `{name}` is not a string"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64url(bytes: &[u8]) -> String {
        B64.encode(bytes)
    }

    fn tok(header: &str, claims: &str) -> String {
        format!("{}.{}.c2ln", b64url(header.as_bytes()), b64url(claims.as_bytes()))
    }

    fn code(t: &str) -> ReasonCode {
        peek(t, 16 * 1024).unwrap_err().code
    }

    #[test]
    fn reads_header_and_claims() {
        let t = tok(
            r#"{"alg":"RS256","kid":"k1","typ":"at+jwt","gty":["x"]}"#,
            r#"{"iss":"a","exp":1}"#,
        );
        let p = peek(&t, 16 * 1024).unwrap();
        assert_eq!(
            p.header,
            JoseHeader {
                alg: Algorithm::RS256,
                kid: Some("k1".into()),
                typ: Some("at+jwt".into())
            }
        );
        assert_eq!(p.claims.get("iss"), Some(&Value::from("a")));
        assert_eq!(p.signature, "c2ln");
        assert!(!format!("{p:?}").contains("c2ln"), "signature must not be printed");
    }

    #[test]
    fn hostile_shapes_are_malformed() {
        let ok_header = r#"{"alg":"RS256"}"#;
        assert_eq!(code(""), ReasonCode::MalformedToken);
        assert_eq!(code("a.b"), ReasonCode::MalformedToken);
        assert_eq!(code("a.b.c.d.e"), ReasonCode::MalformedToken);
        assert_eq!(code(&format!("{}.", tok(ok_header, "{}"))), ReasonCode::MalformedToken);
        assert_eq!(
            code(&tok(ok_header, "{}").replace(".c2ln", ".")),
            ReasonCode::MalformedToken
        );
        assert_eq!(code(&tok(ok_header, "[1]")), ReasonCode::MalformedToken);
        assert_eq!(
            code(&tok(ok_header, r#"{"exp":1,"exp":2}"#)),
            ReasonCode::MalformedToken
        );
        assert_eq!(
            code(&tok(r#"{"alg":"RS256","alg":"HS256"}"#, "{}")),
            ReasonCode::MalformedToken
        );
        assert_eq!(
            code(&tok(ok_header, r#"{"a":{"b":1,"b":2}}"#)),
            ReasonCode::MalformedToken
        );
        assert_eq!(
            code(&tok(r#"{"alg":"RS256","crit":["exp"]}"#, "{}")),
            ReasonCode::MalformedToken
        );
        assert_eq!(code(&tok(r#"{"alg":256}"#, "{}")), ReasonCode::MalformedToken);
        assert_eq!(
            code(&tok(r#"{"alg":"RS256","kid":7}"#, "{}")),
            ReasonCode::MalformedToken
        );
        assert_eq!(code(&tok(ok_header, "{} trailing")), ReasonCode::MalformedToken);
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(40), "]".repeat(40));
        assert_eq!(code(&tok(ok_header, &deep)), ReasonCode::MalformedToken);
        let padded = format!("{}=.{}.c2ln", b64url(ok_header.as_bytes()), b64url(b"{}"));
        assert_eq!(code(&padded), ReasonCode::MalformedToken);
        assert_eq!(code("!!!.e30.c2ln"), ReasonCode::MalformedToken);
        assert_eq!(
            code(&format!("{} extra", tok(ok_header, "{}"))),
            ReasonCode::MalformedToken
        );
        assert_eq!(code(&format!("{}=", tok(ok_header, "{}"))), ReasonCode::MalformedToken);
    }

    #[test]
    fn oversize_tokens_are_rejected_before_parsing() {
        let big = "a".repeat(20_000);
        let r = peek(&big, 16 * 1024).unwrap_err();
        assert_eq!(r.code, ReasonCode::MalformedToken);
        assert!(r.message.contains("20000 bytes"));
    }

    #[test]
    fn unknown_and_none_algorithms() {
        for alg in ["none", "None", "ES512", "RSA-OAEP", ""] {
            let t = tok(&format!(r#"{{"alg":"{alg}"}}"#), "{}");
            assert_eq!(code(&t), ReasonCode::UnsupportedAlgorithm, "{alg}");
        }
    }

    #[test]
    fn strict_parser_keeps_values() {
        let v = parse_strict(br#"{"a":[1,-2,3.5,"x",null,true,{"b":{}}]}"#).unwrap();
        assert_eq!(v, serde_json::json!({"a":[1,-2,3.5,"x",null,true,{"b":{}}]}));
    }
}
