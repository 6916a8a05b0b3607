//! The soak's tokens: valid ones for every ring key, and every forgery the layer must refuse.

use scopegate_testkit::{TestKey, TokenBuilder, b64, now};
use serde_json::{Value, json};

use super::AUD;

/// An issuer's `iss` and the keys its provider rotates through.
pub(crate) struct Keys {
    pub iss: String,
    pub ring: Vec<TestKey>,
}

/// What a request carries, and so what answers are right.
#[derive(Clone)]
pub(crate) enum Case {
    /// Good claims and scope, signed by a ring key: 200 while the key is usable, else 401.
    Valid { issuer: usize, kid: String },
    /// Good claims without the scope: 403 while the key is usable, else 401.
    NoScope { issuer: usize, kid: String },
    /// Must be refused with 401 whatever the keys are.
    Forged(&'static str),
}

pub(crate) fn claims(iss: &str, scope: &str, exp: u64) -> Value {
    json!({"iss": iss, "aud": AUD, "sub": "soak-user", "scope": scope, "exp": exp, "iat": now()})
}

pub(crate) fn break_signature(token: &str) -> String {
    let dot = token.rfind('.').unwrap();
    let first = if &token[dot + 1..dot + 2] == "A" { "B" } else { "A" };
    format!("{}{first}{}", &token[..=dot], &token[dot + 2..])
}

/// Every token of the run, with the case it belongs to.
pub(crate) fn tokens(issuers: &[Keys], exp: u64) -> Vec<(Case, Option<String>)> {
    let mut out = vec![(Case::Forged("no_token"), None)];
    for (i, issuer) in issuers.iter().enumerate() {
        let other = &issuers[(i + 1) % issuers.len()];
        for (n, key) in issuer.ring.iter().enumerate() {
            let kid = key.kid().unwrap().to_string();
            let good = TokenBuilder::new(claims(&issuer.iss, "read", exp));
            let valid = good.sign(key);
            out.push((
                Case::Valid {
                    issuer: i,
                    kid: kid.clone(),
                },
                Some(valid.clone()),
            ));
            let noscope = TokenBuilder::new(claims(&issuer.iss, "write", exp)).sign(key);
            out.push((
                Case::NoScope {
                    issuer: i,
                    kid: kid.clone(),
                },
                Some(noscope),
            ));
            let mut forged = vec![
                ("bad_signature", break_signature(&valid)),
                (
                    "expired",
                    TokenBuilder::new(claims(&issuer.iss, "read", now() - 3600)).sign(key),
                ),
                (
                    "not_yet_valid",
                    good.clone().claim("nbf", json!(now() + 3600)).sign(key),
                ),
                (
                    "wrong_audience",
                    good.clone().claim("aud", json!("other-api")).sign(key),
                ),
                (
                    "unknown_issuer",
                    TokenBuilder::new(claims("https://evil.example", "read", exp)).sign(key),
                ),
                // The other issuer's `iss`, this issuer's kid and key.
                (
                    "cross_issuer",
                    TokenBuilder::new(claims(&other.iss, "read", exp)).sign(key),
                ),
                ("wrong_key_same_kid", good.sign(&fresh_key(key.alg(), &kid))),
                (
                    "unknown_kid",
                    good.sign(&fresh_key(key.alg(), &format!("ghost-{i}-{n}"))),
                ),
                (
                    "alg_none",
                    format!(
                        "{}.{}.",
                        b64(json!({"alg": "none", "kid": kid}).to_string().as_bytes()),
                        b64(claims(&issuer.iss, "read", exp).to_string().as_bytes())
                    ),
                ),
            ];
            // HS256 with the public key as the secret (algorithm confusion).
            let public = key.public_jwk().to_string();
            let hmac = TestKey::hmac(public.as_bytes(), "HS256");
            forged.push(("hs256_public_key", good.clone().header("kid", json!(kid)).sign(&hmac)));
            out.extend(forged.into_iter().map(|(k, t)| (Case::Forged(k), Some(t))));
        }
    }
    out
}

/// A new key of this algorithm (ring keys, and the attacker's).
pub(crate) fn fresh_key(alg: &str, kid: &str) -> TestKey {
    match alg {
        "RS256" => TestKey::rsa(kid, "RS256"),
        "ES384" => TestKey::es384(kid),
        _ => TestKey::es256(kid),
    }
}

pub(crate) fn keys(id: &str, alg: &str) -> Keys {
    Keys {
        iss: format!("https://{id}.example"),
        ring: (0..6).map(|n| fresh_key(alg, &format!("{id}-k{n}"))).collect(),
    }
}
