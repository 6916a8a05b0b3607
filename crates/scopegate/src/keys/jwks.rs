//! JWKS documents parsed one key at a time: keys of unknown type or algorithm, encryption keys
//! and symmetric keys are skipped (RFC 7517 §5), never fatal. Keys are picked by their full
//! `kid` and must agree with the token's `alg`.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use serde_json::Value;

use super::material::KeyMaterial;
use crate::text::printable;

/// What kind of key material a key is, which fixes the algorithms it can verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyFamily {
    /// RSA: RS256/384/512, PS256/384/512.
    Rsa,
    /// EC P-256: ES256.
    EcP256,
    /// EC P-384: ES384.
    EcP384,
    /// Ed25519: EdDSA.
    Ed25519,
    /// A shared secret: HS256/384/512.
    Hmac,
}

impl KeyFamily {
    /// True when a key of this family can verify `alg`.
    pub(crate) fn supports(self, alg: Algorithm) -> bool {
        use Algorithm::*;
        match self {
            KeyFamily::Rsa => matches!(alg, RS256 | RS384 | RS512 | PS256 | PS384 | PS512),
            KeyFamily::EcP256 => alg == ES256,
            KeyFamily::EcP384 => alg == ES384,
            KeyFamily::Ed25519 => alg == EdDSA,
            KeyFamily::Hmac => matches!(alg, HS256 | HS384 | HS512),
        }
    }
}

/// True for HS256/384/512.
pub(crate) fn is_hmac(alg: Algorithm) -> bool {
    KeyFamily::Hmac.supports(alg)
}

/// One parsed key, ready to verify.
#[derive(Clone)]
pub struct VerificationKey {
    kid: Option<String>,
    alg: Option<Algorithm>,
    family: KeyFamily,
    material: KeyMaterial,
    /// Hash of the parsed key parameters: tells a replaced key from the same key fetched
    /// again, whatever the JSON's member order or spacing.
    fingerprint: u64,
}

impl std::fmt::Debug for VerificationKey {
    // Key bytes stay out of logs (an HMAC secret is a secret).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerificationKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("family", &self.family)
            .finish_non_exhaustive()
    }
}

impl VerificationKey {
    /// The key id.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The algorithm the JWK is bound to, when it states one.
    pub fn alg(&self) -> Option<Algorithm> {
        self.alg
    }

    /// The key family.
    pub(crate) fn family(&self) -> KeyFamily {
        self.family
    }

    /// True when `signature` (raw bytes) signs `message` under `alg` with this key. The key's
    /// family and bound algorithm are checked again here, whatever the caller looked up.
    pub(crate) fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        self.accepts(alg) && self.material.verify(alg, message, signature)
    }

    fn accepts(&self, alg: Algorithm) -> bool {
        self.family.supports(alg) && self.alg.is_none_or(|bound| bound == alg)
    }
}

/// A key in a JWKS that was not loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedKey {
    /// Its `kid`, if it had one.
    pub kid: Option<String>,
    /// Why it was skipped.
    pub reason: String,
}

/// A JWKS document that is unusable as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwksError {
    /// Not JSON.
    #[error("JWKS is not valid JSON: {0}")]
    Json(String),
    /// JSON, but not `{"keys": [...]}`.
    #[error("JWKS must be an object with a `keys` array")]
    Shape,
}

/// Why no key was found for a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyLookupError {
    /// The token has no `kid` and the algorithm is asymmetric.
    #[error("the token has no `kid`")]
    NoKid,
    /// No key has this `kid`.
    #[error("no key `{}`", printable(.0))]
    UnknownKid(String),
    /// Keys with this `kid` exist, but none for the token's `alg`.
    #[error("key `{}` cannot verify this algorithm (it is bound to {bound:?})", printable(.kid))]
    AlgorithmMismatch {
        /// The kid.
        kid: String,
        /// The algorithm the key is bound to, if it says.
        bound: Option<Algorithm>,
    },
    /// The token is HMAC-signed but the issuer has no secret.
    #[error("no HMAC secret")]
    NoSecret,
}

/// The verification keys of one issuer at one moment.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    by_kid: HashMap<String, Vec<VerificationKey>, foldhash::fast::RandomState>,
    hmac: Option<VerificationKey>,
    skipped: Vec<SkippedKey>,
}

impl KeySet {
    /// Parses a JWKS document from JSON text.
    pub fn from_jwks_json(text: &[u8]) -> Result<KeySet, JwksError> {
        let value: Value = serde_json::from_slice(text).map_err(|e| JwksError::Json(e.to_string()))?;
        KeySet::from_jwks(&value)
    }

    /// Parses a JWKS document, skipping keys it cannot use.
    pub fn from_jwks(document: &Value) -> Result<KeySet, JwksError> {
        let keys = document.get("keys").and_then(Value::as_array).ok_or(JwksError::Shape)?;
        let mut set = KeySet::default();
        for raw in keys {
            match parse_jwk(raw) {
                Ok(key) => {
                    let kid = key.kid.clone().unwrap_or_default();
                    set.by_kid.entry(kid).or_default().push(key);
                }
                Err(reason) => {
                    let kid = raw.get("kid").and_then(Value::as_str).map(printable);
                    tracing::debug!(kid = ?kid, %reason, "skipping JWKS key");
                    set.skipped.push(SkippedKey { kid, reason });
                }
            }
        }
        Ok(set)
    }

    /// Adds a shared secret for HS256/384/512 tokens.
    pub fn with_hmac_secret(mut self, secret: &[u8]) -> KeySet {
        self.hmac = Some(VerificationKey {
            kid: None,
            alg: None,
            family: KeyFamily::Hmac,
            material: KeyMaterial::hmac(secret),
            fingerprint: 0,
        });
        self
    }

    /// Picks the key for a token's `kid` and `alg`.
    pub fn find(&self, kid: Option<&str>, alg: Algorithm) -> Result<&VerificationKey, KeyLookupError> {
        if is_hmac(alg) {
            // Secrets are configured, never published, so `kid` carries no meaning for them.
            return self.hmac.as_ref().ok_or(KeyLookupError::NoSecret);
        }
        let kid = kid.ok_or(KeyLookupError::NoKid)?;
        let candidates = match self.by_kid.get(kid) {
            Some(c) if !kid.is_empty() => c,
            _ => return Err(KeyLookupError::UnknownKid(kid.to_string())),
        };
        candidates
            .iter()
            .find(|k| k.accepts(alg))
            .ok_or_else(|| KeyLookupError::AlgorithmMismatch {
                kid: kid.to_string(),
                bound: candidates.first().and_then(|k| k.alg),
            })
    }

    /// Number of usable asymmetric keys.
    pub fn len(&self) -> usize {
        self.by_kid.values().map(Vec::len).sum()
    }

    /// True when no asymmetric key and no secret is present.
    pub fn is_empty(&self) -> bool {
        self.len() == 0 && self.hmac.is_none()
    }

    /// True when an HMAC secret is configured.
    pub fn has_secret(&self) -> bool {
        self.hmac.is_some()
    }

    /// Keys that were present in the JWKS but not loaded.
    pub fn skipped(&self) -> &[SkippedKey] {
        &self.skipped
    }

    /// All loaded asymmetric keys.
    pub fn keys(&self) -> impl Iterator<Item = &VerificationKey> {
        self.by_kid.values().flatten()
    }

    /// True when a key with this `kid` is loaded.
    pub fn has_kid(&self, kid: &str) -> bool {
        !kid.is_empty() && self.by_kid.contains_key(kid)
    }

    /// True when every asymmetric key of `older` is still here, unchanged.
    pub(crate) fn covers(&self, older: &KeySet) -> bool {
        older.keys().all(|old| {
            self.by_kid
                .get(old.kid.as_deref().unwrap_or_default())
                .is_some_and(|now| now.iter().any(|k| k.fingerprint == old.fingerprint))
        })
    }
}

fn parse_jwk(raw: &Value) -> Result<VerificationKey, String> {
    // Checked on the raw JSON first: jsonwebtoken's enums would turn these into parse errors.
    if raw.get("use").and_then(Value::as_str) == Some("enc") {
        return Err("`use` is `enc`".into());
    }
    match raw.get("kty").and_then(Value::as_str) {
        Some("RSA" | "EC" | "OKP") => {}
        Some("oct") => return Err("symmetric keys are never taken from a JWKS".into()),
        Some(other) => return Err(format!("unsupported `kty` `{}`", printable(other))),
        None => return Err("no `kty`".into()),
    }
    if let Some(alg) = raw.get("alg").and_then(Value::as_str)
        && alg.parse::<Algorithm>().is_err()
    {
        return Err(format!("unsupported `alg` `{}`", printable(alg)));
    }
    let jwk: Jwk = serde_json::from_value(raw.clone()).map_err(|e| format!("unreadable key: {e}"))?;
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return Err("`use` is `enc`".into());
    }
    let alg = match &jwk.common.key_algorithm {
        None => None,
        Some(a) => Some(signature_algorithm(a).ok_or_else(|| format!("`alg` {a:?} is not a signature algorithm"))?),
    };
    let family = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => KeyFamily::Rsa,
        AlgorithmParameters::EllipticCurve(p) => match p.curve {
            EllipticCurve::P256 => KeyFamily::EcP256,
            EllipticCurve::P384 => KeyFamily::EcP384,
            ref other => return Err(format!("unsupported curve {other:?}")),
        },
        AlgorithmParameters::OctetKeyPair(p) => match p.curve {
            EllipticCurve::Ed25519 => KeyFamily::Ed25519,
            ref other => return Err(format!("unsupported curve {other:?}")),
        },
        _ => return Err("unsupported key type".into()),
    };
    if let Some(a) = alg
        && !family.supports(a)
    {
        return Err(format!("`alg` {a:?} does not fit a {family:?} key"));
    }
    let material = match &jwk.algorithm {
        AlgorithmParameters::RSA(p) => KeyMaterial::rsa(&b64(&p.n, "n")?, &b64(&p.e, "e")?, alg)?,
        AlgorithmParameters::EllipticCurve(p) => {
            let alg = if family == KeyFamily::EcP256 {
                Algorithm::ES256
            } else {
                Algorithm::ES384
            };
            KeyMaterial::ec(&b64(&p.x, "x")?, &b64(&p.y, "y")?, alg)?
        }
        AlgorithmParameters::OctetKeyPair(p) => KeyMaterial::ed25519(&b64(&p.x, "x")?)?,
        _ => return Err("unsupported key type".into()),
    };
    let mut hasher = std::hash::DefaultHasher::new();
    (&jwk.common.key_id, alg, &jwk.algorithm).hash(&mut hasher);
    Ok(VerificationKey {
        kid: jwk.common.key_id.clone(),
        alg,
        family,
        material,
        fingerprint: hasher.finish(),
    })
}

/// A JWK member in base64url without padding (RFC 7518 section 6).
fn b64(text: &str, member: &str) -> Result<Vec<u8>, String> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| format!("`{member}` is not base64url"))
}

fn signature_algorithm(a: &KeyAlgorithm) -> Option<Algorithm> {
    Some(match a {
        KeyAlgorithm::HS256 => Algorithm::HS256,
        KeyAlgorithm::HS384 => Algorithm::HS384,
        KeyAlgorithm::HS512 => Algorithm::HS512,
        KeyAlgorithm::ES256 => Algorithm::ES256,
        KeyAlgorithm::ES384 => Algorithm::ES384,
        KeyAlgorithm::RS256 => Algorithm::RS256,
        KeyAlgorithm::RS384 => Algorithm::RS384,
        KeyAlgorithm::RS512 => Algorithm::RS512,
        KeyAlgorithm::PS256 => Algorithm::PS256,
        KeyAlgorithm::PS384 => Algorithm::PS384,
        KeyAlgorithm::PS512 => Algorithm::PS512,
        KeyAlgorithm::EdDSA => Algorithm::EdDSA,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rsa_jwk(kid: &str, alg: Option<&str>) -> Value {
        let mut v = json!({"kty":"RSA","kid":kid,"use":"sig","n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw","e":"AQAB"});
        if let Some(a) = alg {
            v["alg"] = json!(a);
        }
        v
    }

    #[test]
    fn unknown_keys_are_skipped_not_fatal() {
        let doc = json!({"keys":[
            rsa_jwk("good", Some("RS256")),
            {"kty":"RSA","kid":"enc","use":"enc","alg":"RSA-OAEP","n":"AQAB","e":"AQAB"},
            {"kty":"AKP","kid":"pq","alg":"ML-DSA-44","pub":"AAAA"},
            {"kty":"EC","kid":"p521","crv":"P-521","x":"AA","y":"AA","alg":"ES512"},
            {"kty":"oct","kid":"sym","k":"c2VjcmV0"},
            {"kid":"nokty"},
            "not even an object",
            {"kty":"RSA","kid":"misfit","alg":"ES256","n":"AQAB","e":"AQAB"}
        ]});
        let set = KeySet::from_jwks(&doc).unwrap();
        assert_eq!(set.len(), 1);
        assert_eq!(set.skipped().len(), 7);
        assert!(set.find(Some("good"), Algorithm::RS256).is_ok());
        assert_eq!(
            set.find(Some("enc"), Algorithm::RS256).unwrap_err(),
            KeyLookupError::UnknownKid("enc".into())
        );
        assert!(set.skipped().iter().any(|s| s.reason.contains("symmetric")));
    }

    #[test]
    fn keys_are_bound_to_their_alg_and_family() {
        // Asgardeo publishes one key twice with `_RS256` / `_PS256` kids.
        let doc = json!({"keys":[rsa_jwk("x_RS256", Some("RS256")), rsa_jwk("x_PS256", Some("PS256")), rsa_jwk("free", None)]});
        let set = KeySet::from_jwks(&doc).unwrap();
        assert!(set.find(Some("x_RS256"), Algorithm::RS256).is_ok());
        assert_eq!(
            set.find(Some("x_RS256"), Algorithm::PS256).unwrap_err(),
            KeyLookupError::AlgorithmMismatch {
                kid: "x_RS256".into(),
                bound: Some(Algorithm::RS256)
            }
        );
        assert!(set.find(Some("free"), Algorithm::PS512).is_ok());
        assert!(matches!(
            set.find(Some("free"), Algorithm::ES256),
            Err(KeyLookupError::AlgorithmMismatch { .. })
        ));
        assert_eq!(set.find(None, Algorithm::RS256).unwrap_err(), KeyLookupError::NoKid);
        assert_eq!(
            set.find(Some("x_RS"), Algorithm::RS256).unwrap_err(),
            KeyLookupError::UnknownKid("x_RS".into())
        );
        assert_eq!(
            set.find(Some("x"), Algorithm::HS256).unwrap_err(),
            KeyLookupError::NoSecret
        );
    }

    #[test]
    fn keys_without_kid_are_never_picked() {
        let mut k = rsa_jwk("", Some("RS256"));
        k.as_object_mut().unwrap().remove("kid");
        let set = KeySet::from_jwks(&json!({"keys":[k]})).unwrap();
        assert_eq!(set.len(), 1);
        assert!(set.find(Some(""), Algorithm::RS256).is_err());
    }

    #[test]
    fn documents_that_are_not_jwks() {
        assert_eq!(KeySet::from_jwks(&json!({"key":[]})).unwrap_err(), JwksError::Shape);
        assert_eq!(KeySet::from_jwks(&json!([])).unwrap_err(), JwksError::Shape);
        assert!(matches!(KeySet::from_jwks_json(b"{nope"), Err(JwksError::Json(_))));
        assert!(KeySet::from_jwks_json(br#"{"keys":[]}"#).unwrap().is_empty());
    }

    #[test]
    fn hmac_secret_answers_with_or_without_kid() {
        let set = KeySet::default().with_hmac_secret(b"0123456789abcdef0123456789abcdef");
        assert!(set.find(None, Algorithm::HS256).is_ok());
        assert!(set.find(Some("ecee3162f0"), Algorithm::HS512).is_ok());
        assert_eq!(
            set.find(Some("k"), Algorithm::RS256).unwrap_err(),
            KeyLookupError::UnknownKid("k".into())
        );
        assert!(!format!("{set:?}").contains("0123456789"), "secret leaked into Debug");
    }
}
