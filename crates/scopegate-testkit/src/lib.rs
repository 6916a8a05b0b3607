//! Test and demo helpers for scopegate: keys generated on the spot (or loaded from the bundled
//! dev PEMs), their public JWKs, and tokens built by hand so that tests can shape hostile
//! headers and payloads byte for byte.
//!
//! Not for production: nothing here protects key material.
// Test support: key generation failing is a broken machine, not input to handle.
#![allow(clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair, RsaPublicKeyComponents};
use aws_lc_rs::{hmac, rsa::KeySize};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Map, Value, json};

#[cfg(feature = "server")]
pub mod chaos;
pub mod fixtures;
pub mod idps;
pub mod openapi;
#[cfg(feature = "server")]
pub mod server;

/// Error from loading a key.
#[derive(Debug)]
pub struct KeyError(pub String);

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for KeyError {}

#[derive(Clone)]
enum Material {
    Rsa(Arc<RsaKeyPair>),
    Ec(Arc<EcdsaKeyPair>, &'static str),
    Ed(Arc<Ed25519KeyPair>),
    Hmac(Vec<u8>),
}

/// A signing key with its `kid` and the algorithm it signs with.
#[derive(Clone)]
pub struct TestKey {
    kid: Option<String>,
    alg: &'static str,
    material: Material,
}

/// Unpadded base64url.
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn pem_to_der(pem: &str) -> Result<Vec<u8>, KeyError> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD
        .decode(body.trim())
        .map_err(|e| KeyError(format!("bad PEM: {e}")))
}

impl TestKey {
    /// A fresh RSA-2048 key. `alg` is RS256/384/512 or PS256/384/512.
    pub fn rsa(kid: &str, alg: &'static str) -> TestKey {
        let pair = RsaKeyPair::generate(KeySize::Rsa2048).expect("RSA key generation");
        TestKey {
            kid: Some(kid.into()),
            alg,
            material: Material::Rsa(Arc::new(pair)),
        }
    }

    /// A fresh P-256 key for ES256.
    pub fn es256(kid: &str) -> TestKey {
        TestKey::ec(kid, "ES256", &signature::ECDSA_P256_SHA256_FIXED_SIGNING, "P-256")
    }

    /// A fresh P-384 key for ES384.
    pub fn es384(kid: &str) -> TestKey {
        TestKey::ec(kid, "ES384", &signature::ECDSA_P384_SHA384_FIXED_SIGNING, "P-384")
    }

    fn ec(
        kid: &str,
        alg: &'static str,
        curve: &'static signature::EcdsaSigningAlgorithm,
        crv: &'static str,
    ) -> TestKey {
        let pair = EcdsaKeyPair::generate(curve).expect("EC key generation");
        TestKey {
            kid: Some(kid.into()),
            alg,
            material: Material::Ec(Arc::new(pair), crv),
        }
    }

    /// A fresh Ed25519 key for EdDSA.
    pub fn ed25519(kid: &str) -> TestKey {
        let pair = Ed25519KeyPair::generate().expect("Ed25519 key generation");
        TestKey {
            kid: Some(kid.into()),
            alg: "EdDSA",
            material: Material::Ed(Arc::new(pair)),
        }
    }

    /// A shared secret for HS256/384/512.
    pub fn hmac(secret: &[u8], alg: &'static str) -> TestKey {
        TestKey {
            kid: None,
            alg,
            material: Material::Hmac(secret.to_vec()),
        }
    }

    /// Loads a PKCS#8 PEM private key (RSA, P-256, P-384 or Ed25519 by `alg`).
    pub fn from_pkcs8_pem(kid: &str, alg: &'static str, pem: &str) -> Result<TestKey, KeyError> {
        let der = pem_to_der(pem)?;
        let err = |e: aws_lc_rs::error::KeyRejected| KeyError(format!("key rejected: {e}"));
        let material = match alg {
            "ES256" => Material::Ec(
                Arc::new(EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &der).map_err(err)?),
                "P-256",
            ),
            "ES384" => Material::Ec(
                Arc::new(EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P384_SHA384_FIXED_SIGNING, &der).map_err(err)?),
                "P-384",
            ),
            "EdDSA" => Material::Ed(Arc::new(Ed25519KeyPair::from_pkcs8(&der).map_err(err)?)),
            _ => Material::Rsa(Arc::new(RsaKeyPair::from_pkcs8(&der).map_err(err)?)),
        };
        Ok(TestKey {
            kid: Some(kid.into()),
            alg,
            material,
        })
    }

    /// The same key material under another `kid` and algorithm (Asgardeo lists one RSA key
    /// as `…_RS256` and `…_PS256`).
    pub fn alias(&self, kid: &str, alg: &'static str) -> TestKey {
        TestKey {
            kid: Some(kid.into()),
            alg,
            material: self.material.clone(),
        }
    }

    /// The `kid`.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The algorithm name.
    pub fn alg(&self) -> &'static str {
        self.alg
    }

    /// For HMAC keys, the secret.
    pub fn secret(&self) -> Option<&[u8]> {
        match &self.material {
            Material::Hmac(s) => Some(s),
            _ => None,
        }
    }

    /// The public JWK (`use: sig`, with `kid` and `alg`). HMAC keys give an `oct` JWK.
    pub fn public_jwk(&self) -> Value {
        let mut jwk = match &self.material {
            Material::Rsa(pair) => {
                let c: RsaPublicKeyComponents<Vec<u8>> = pair.public_key().into();
                json!({"kty": "RSA", "n": b64(&c.n), "e": b64(&c.e)})
            }
            Material::Ec(pair, crv) => {
                let point = pair.public_key().as_ref();
                let half = (point.len() - 1) / 2;
                json!({"kty": "EC", "crv": crv, "x": b64(&point[1..=half]), "y": b64(&point[1 + half..])})
            }
            Material::Ed(pair) => json!({"kty": "OKP", "crv": "Ed25519", "x": b64(pair.public_key().as_ref())}),
            Material::Hmac(s) => json!({"kty": "oct", "k": b64(s)}),
        };
        jwk["use"] = json!("sig");
        jwk["alg"] = json!(self.alg);
        if let Some(kid) = &self.kid {
            jwk["kid"] = json!(kid);
        }
        jwk
    }

    /// Signs bytes with this key's algorithm.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.sign_as(self.alg, message)
    }

    /// Signs bytes as `alg` (tests use a mismatching `alg` on purpose).
    pub fn sign_as(&self, alg: &str, message: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match &self.material {
            Material::Rsa(pair) => {
                let padding: &'static dyn signature::RsaEncoding = match alg {
                    "RS384" => &signature::RSA_PKCS1_SHA384,
                    "RS512" => &signature::RSA_PKCS1_SHA512,
                    "PS256" => &signature::RSA_PSS_SHA256,
                    "PS384" => &signature::RSA_PSS_SHA384,
                    "PS512" => &signature::RSA_PSS_SHA512,
                    _ => &signature::RSA_PKCS1_SHA256,
                };
                let mut sig = vec![0; pair.public_modulus_len()];
                pair.sign(padding, &rng, message, &mut sig).expect("RSA signing");
                sig
            }
            Material::Ec(pair, _) => pair.sign(&rng, message).expect("EC signing").as_ref().to_vec(),
            Material::Ed(pair) => pair.sign(message).as_ref().to_vec(),
            Material::Hmac(secret) => {
                let algorithm = match alg {
                    "HS384" => hmac::HMAC_SHA384,
                    "HS512" => hmac::HMAC_SHA512,
                    _ => hmac::HMAC_SHA256,
                };
                hmac::sign(&hmac::Key::new(algorithm, secret), message)
                    .as_ref()
                    .to_vec()
            }
        }
    }
}

/// A JWKS document of the keys' public JWKs.
pub fn jwks(keys: &[&TestKey]) -> Value {
    json!({"keys": keys.iter().map(|k| k.public_jwk()).collect::<Vec<_>>()})
}

/// Signs exact header and claims JSON text (for duplicate members and other odd shapes).
pub fn sign_raw(header_json: &str, claims_json: &str, key: &TestKey) -> String {
    let input = format!("{}.{}", b64(header_json.as_bytes()), b64(claims_json.as_bytes()));
    let sig = key.sign(input.as_bytes());
    format!("{input}.{}", b64(&sig))
}

/// Builds a token from JSON header fields and claims.
#[derive(Debug, Clone, Default)]
pub struct TokenBuilder {
    header: Map<String, Value>,
    claims: Map<String, Value>,
}

impl TokenBuilder {
    /// Claims from a JSON object; header from the key at signing time.
    pub fn new(claims: Value) -> TokenBuilder {
        TokenBuilder {
            header: Map::new(),
            claims: claims.as_object().cloned().unwrap_or_default(),
        }
    }

    /// Sets a header field (overrides what the key would set).
    pub fn header(mut self, name: &str, value: Value) -> Self {
        self.header.insert(name.into(), value);
        self
    }

    /// Removes a header field the key would set (`kid`, `typ`).
    pub fn without_header(mut self, name: &str) -> Self {
        self.header.insert(name.into(), Value::Null);
        self
    }

    /// Sets a claim.
    pub fn claim(mut self, name: &str, value: Value) -> Self {
        self.claims.insert(name.into(), value);
        self
    }

    /// Removes a claim.
    pub fn without_claim(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// The header as it will be signed by `key`.
    pub fn header_for(&self, key: &TestKey) -> Map<String, Value> {
        let mut header = Map::new();
        header.insert("alg".into(), json!(key.alg));
        if let Some(kid) = &key.kid {
            header.insert("kid".into(), json!(kid));
        }
        for (k, v) in &self.header {
            if v.is_null() {
                header.remove(k);
            } else {
                header.insert(k.clone(), v.clone());
            }
        }
        header
    }

    /// Signs with `key`, using the header's `alg` for the signature.
    pub fn sign(&self, key: &TestKey) -> String {
        let header = self.header_for(key);
        let alg = header.get("alg").and_then(Value::as_str).unwrap_or(key.alg).to_string();
        let input = format!(
            "{}.{}",
            b64(Value::Object(header).to_string().as_bytes()),
            b64(Value::Object(self.claims.clone()).to_string().as_bytes())
        );
        let sig = key.sign_as(&alg, input.as_bytes());
        format!("{input}.{}", b64(&sig))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_three_parts_and_the_key_header() {
        let key = TestKey::es256("k1");
        let t = TokenBuilder::new(json!({"iss": "x"}))
            .header("typ", json!("JWT"))
            .sign(&key);
        assert_eq!(t.split('.').count(), 3);
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(t.split('.').next().unwrap()).unwrap()).unwrap();
        assert_eq!(header, json!({"alg": "ES256", "kid": "k1", "typ": "JWT"}));
        assert_eq!(key.public_jwk()["crv"], "P-256");
    }

    #[test]
    fn alias_shares_material() {
        let a = TestKey::rsa("x_RS256", "RS256");
        let b = a.alias("x_PS256", "PS256");
        assert_eq!(a.public_jwk()["n"], b.public_jwk()["n"]);
        assert_eq!(b.public_jwk()["alg"], "PS256");
    }
}
