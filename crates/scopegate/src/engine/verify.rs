//! Token verification: issuer by exact `iss`, algorithm and key checks, signature, claims.

use std::sync::{Arc, Weak};

use serde_json::{Map, Value};

use super::identity::Identity;
use crate::keys::{KeyLookupError, KeySet};
use crate::model::profile::claim;
use crate::model::{Facts, Issuer, IssuerTable, Symbols};
use crate::reason::{ReasonCode, Rejection};
use crate::text::printable;
use crate::unverified::{self, JoseHeader, MAX_SIGNATURE_BYTES, Peeked};

/// Clock rules shared by fresh verification and cache hits.
pub(crate) fn check_time(exp: f64, nbf: Option<f64>, iat: Option<f64>, now: u64, leeway: u64) -> Result<(), Rejection> {
    let now = now as f64;
    let leeway = leeway as f64;
    if now >= exp + leeway {
        return Err(Rejection::new(
            ReasonCode::TokenExpired,
            format!("the token expired at {exp} (now {now}, leeway {leeway}s)"),
        ));
    }
    if let Some(nbf) = nbf
        && nbf > now + leeway
    {
        return Err(Rejection::new(
            ReasonCode::TokenNotYetValid,
            format!("the token is not valid before {nbf} (now {now}, leeway {leeway}s)"),
        ));
    }
    if let Some(iat) = iat
        && iat > now + leeway
    {
        return Err(Rejection::new(
            ReasonCode::TokenNotYetValid,
            format!("the token claims to be issued at {iat}, in the future (now {now}, leeway {leeway}s)"),
        ));
    }
    Ok(())
}

fn invalid(message: String) -> Rejection {
    Rejection::new(ReasonCode::InvalidClaims, message)
}

fn numeric(claims: &Map<String, Value>, name: &str) -> Result<Option<f64>, Rejection> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_f64()
            .map(Some)
            .ok_or_else(|| invalid(format!("claim `{name}` is not a usable number"))),
        Some(_) => Err(invalid(format!("claim `{name}` must be a number (NumericDate)"))),
    }
}

fn optional_string(claims: &Map<String, Value>, name: &str) -> Result<Option<String>, Rejection> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(format!("claim `{name}` must be a string"))),
    }
}

/// Registered claims (RFC 7519 section 4.1) that are not read elsewhere must still have their
/// type: `sub` and `jti` strings, `aud` a string or an array of strings. Never "absent".
fn check_registered_types(claims: &Map<String, Value>) -> Result<(), Rejection> {
    optional_string(claims, "sub")?;
    optional_string(claims, "jti")?;
    match claims.get("aud") {
        None | Some(Value::String(_)) => Ok(()),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => Ok(()),
        Some(_) => Err(invalid("claim `aud` must be a string or an array of strings".into())),
    }
}

/// Everything the verifier needs from the compiled policy.
pub(crate) struct Verifier<'a> {
    pub issuers: &'a IssuerTable,
    pub symbols: &'a Symbols,
    pub leeway: u64,
    pub max_token_bytes: usize,
}

impl Verifier<'_> {
    /// Verifies a token completely and builds its identity. When the signature is what fails,
    /// `bad_signature_under` receives the issuer's index and the key set that refused it.
    pub fn verify(
        &self,
        token: &str,
        now: u64,
        bad_signature_under: &mut Option<(u16, Weak<KeySet>)>,
    ) -> Result<Identity, Rejection> {
        let peeked = unverified::peek(token, self.max_token_bytes)?;
        let issuer = self.issuer(&peeked.claims)?;
        check_header(issuer, &peeked.header)?;
        // Read before the keys: a rotation during verification then forces a second look.
        let key_epoch = issuer.keys.epoch();
        check_signature(issuer, &peeked, bad_signature_under)?;
        // From here on the claims are authentic; check their meaning.
        let claims = peeked.claims;
        let exp = numeric(&claims, "exp")?.ok_or_else(|| invalid("the token has no `exp` claim".into()))?;
        let nbf = numeric(&claims, "nbf")?;
        let iat = numeric(&claims, "iat")?;
        check_time(exp, nbf, iat, now, self.leeway)?;
        check_registered_types(&claims)?;
        // The kind before the audience: a Cognito ID token carries an `aud`, not `client_id`.
        issuer.claims.check_kind(&claims)?;
        if let (Some(tenants), Some(Value::String(iss))) = (&issuer.tenants, claims.get("iss")) {
            tenants.check(iss, &claims)?;
        }
        check_audience(issuer, &claims)?;
        let subject = optional_string(&claims, "sub")?;
        let extracted = issuer.claims.extract(&claims)?;
        let client_symbol = extracted.client.as_deref().and_then(|c| self.symbols.clients.get(c));
        Ok(Identity {
            facts: Facts {
                issuer: issuer.index,
                client: client_symbol,
                scopes: self.symbols.scopes.bits(&extracted.scopes),
                roles: self.symbols.roles.bits(&extracted.roles),
            },
            issuer_id: issuer.id.clone(),
            subject,
            client: extracted.client,
            scopes: extracted.scopes,
            roles: extracted.roles,
            claims,
            expires_at: exp,
            not_before: nbf,
            key_epoch,
            synthetic: false,
        })
    }

    /// The issuer, chosen from `iss` by exact match before any key is touched.
    fn issuer(&self, claims: &Map<String, Value>) -> Result<&Issuer, Rejection> {
        let iss = match claims.get("iss") {
            Some(Value::String(s)) => s,
            Some(_) => return Err(invalid("claim `iss` must be a string".into())),
            None => {
                return Err(Rejection::new(
                    ReasonCode::UnknownIssuer,
                    "the token has no `iss` claim",
                ));
            }
        };
        self.issuers.by_iss(iss).ok_or_else(|| {
            Rejection::new(
                ReasonCode::UnknownIssuer,
                format!("issuer `{}` is not trusted by this policy", printable(iss)),
            )
        })
    }
}

/// The header's algorithm and type must be the issuer's.
fn check_header(issuer: &Issuer, header: &JoseHeader) -> Result<(), Rejection> {
    if !issuer.algorithms.contains(&header.alg) {
        return Err(Rejection::new(
            ReasonCode::UnsupportedAlgorithm,
            format!(
                "algorithm {:?} is not allowed for issuer `{}` (allowed: {:?})",
                header.alg, issuer.id, issuer.algorithms
            ),
        ));
    }
    if !issuer.claims.accepts_type(header.typ.as_deref()) {
        return Err(Rejection::new(
            ReasonCode::WrongTokenType,
            format!(
                "token type {} is not accepted for issuer `{}` (expected {:?})",
                header
                    .typ
                    .as_deref()
                    .map_or("(none)".to_string(), |t| format!("`{}`", printable(t))),
                issuer.id,
                issuer.claims.token_types
            ),
        ));
    }
    Ok(())
}

/// The issuer's key for the token's `kid` and `alg` must verify the signature.
fn check_signature(
    issuer: &Issuer,
    peeked: &Peeked<'_>,
    bad_signature_under: &mut Option<(u16, Weak<KeySet>)>,
) -> Result<(), Rejection> {
    let header = &peeked.header;
    let keys = issuer.keys.current().map_err(|why| {
        Rejection::new(
            ReasonCode::KeysUnavailable,
            format!("no keys for issuer `{}`: {why}", issuer.id),
        )
    })?;
    let key = keys.find(header.kid.as_deref(), header.alg).map_err(|e| match e {
        KeyLookupError::NoKid => Rejection::new(ReasonCode::UnknownKey, "the token has no `kid`"),
        KeyLookupError::UnknownKid(kid) => Rejection::new(
            ReasonCode::UnknownKey,
            format!("issuer `{}` has no key `{}`", issuer.id, printable(&kid)),
        ),
        KeyLookupError::AlgorithmMismatch { kid, bound } => Rejection::new(
            ReasonCode::UnsupportedAlgorithm,
            format!(
                "key `{}` cannot verify {:?} (key is bound to {:?})",
                printable(&kid),
                header.alg,
                bound
            ),
        ),
        KeyLookupError::NoSecret => Rejection::new(
            ReasonCode::UnsupportedAlgorithm,
            format!("issuer `{}` has no HMAC secret", issuer.id),
        ),
    })?;
    let mut buffer = [0u8; MAX_SIGNATURE_BYTES];
    // A signature that does not decode verifies nothing: the same answer as a wrong one.
    let verified = peeked
        .signature_bytes(&mut buffer)
        .is_some_and(|signature| key.verify(header.alg, peeked.signing_input.as_bytes(), signature));
    if !verified {
        *bad_signature_under = Some((issuer.index, Arc::downgrade(&keys)));
        return Err(Rejection::new(
            ReasonCode::BadSignature,
            format!(
                "the signature does not verify with key {:?} of issuer `{}`",
                key.kid().unwrap_or("(secret)"),
                issuer.id
            ),
        ));
    }
    Ok(())
}

/// One of the issuer's audiences must be among the token's audience claims.
fn check_audience(issuer: &Issuer, claims: &Map<String, Value>) -> Result<(), Rejection> {
    if issuer.claims.audience_matches(claims, &issuer.audiences)? {
        return Ok(());
    }
    Err(Rejection::new(
        ReasonCode::AudienceMismatch,
        format!(
            "the token's audience ({}) is none of {:?}",
            describe_claims(claims, &issuer.claims.audience_claims),
            issuer.audiences
        ),
    ))
}

fn describe_claims(claims: &Map<String, Value>, names: &[String]) -> String {
    let parts: Vec<String> = names
        .iter()
        .filter_map(|n| claim(claims, n).map(|v| format!("{n}={}", printable(&v.to_string()))))
        .collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_rules_with_leeway() {
        assert!(check_time(100.0, None, None, 99, 0).is_ok());
        assert_eq!(
            check_time(100.0, None, None, 100, 0).unwrap_err().code,
            ReasonCode::TokenExpired
        );
        assert!(check_time(100.0, None, None, 129, 30).is_ok());
        assert_eq!(
            check_time(100.0, None, None, 130, 30).unwrap_err().code,
            ReasonCode::TokenExpired
        );
        assert_eq!(
            check_time(1000.0, Some(200.0), None, 100, 30).unwrap_err().code,
            ReasonCode::TokenNotYetValid
        );
        assert!(check_time(1000.0, Some(130.0), None, 100, 30).is_ok());
        assert_eq!(
            check_time(1000.0, None, Some(131.0), 100, 30).unwrap_err().code,
            ReasonCode::TokenNotYetValid
        );
    }
}
