//! Key material parsed once, when a key set is built, so that verifying a token costs the
//! signature check alone: aws-lc-rs public keys prepared per algorithm, HMAC keys per hash.

use aws_lc_rs::hmac;
use aws_lc_rs::signature::{self, ParsedPublicKey, RsaParameters, RsaPublicKeyComponents};
use jsonwebtoken::Algorithm;

/// The RSA algorithms, in the order [`KeyMaterial::Rsa`] holds their keys.
const RSA_ALGORITHMS: [(Algorithm, &RsaParameters); 6] = [
    (Algorithm::RS256, &signature::RSA_PKCS1_2048_8192_SHA256),
    (Algorithm::RS384, &signature::RSA_PKCS1_2048_8192_SHA384),
    (Algorithm::RS512, &signature::RSA_PKCS1_2048_8192_SHA512),
    (Algorithm::PS256, &signature::RSA_PSS_2048_8192_SHA256),
    (Algorithm::PS384, &signature::RSA_PSS_2048_8192_SHA384),
    (Algorithm::PS512, &signature::RSA_PSS_2048_8192_SHA512),
];

/// The HMAC algorithms, in the order [`KeyMaterial::Hmac`] holds their keys.
const HMAC_ALGORITHMS: [(Algorithm, hmac::Algorithm); 3] = [
    (Algorithm::HS256, hmac::HMAC_SHA256),
    (Algorithm::HS384, hmac::HMAC_SHA384),
    (Algorithm::HS512, hmac::HMAC_SHA512),
];

/// A key ready to check signatures. Every variant checks only the algorithms it was prepared
/// for: a token's `alg` picks the prepared key, never the other way round.
#[derive(Clone)]
pub(crate) enum KeyMaterial {
    /// One parsed key per RSA algorithm the JWK may verify (`None` where its `alg` binds it
    /// to another one). aws-lc fixes the algorithm at parse time, hence one per algorithm.
    Rsa(Box<[Option<ParsedPublicKey>; 6]>),
    /// A P-256 point, for ES256.
    EcP256(ParsedPublicKey),
    /// A P-384 point, for ES384.
    EcP384(ParsedPublicKey),
    /// An Ed25519 key, for EdDSA.
    Ed25519(ParsedPublicKey),
    /// A shared secret keyed for HS256, HS384 and HS512.
    Hmac(Box<[hmac::Key; 3]>),
}

impl KeyMaterial {
    /// An RSA key from its modulus and exponent (big-endian bytes), prepared for `bound` or,
    /// without one, for every RSA algorithm. Moduli under 2048 bits are refused (as
    /// jsonwebtoken refused them).
    pub(crate) fn rsa(n: &[u8], e: &[u8], bound: Option<Algorithm>) -> Result<KeyMaterial, String> {
        // Refused here rather than at every verification: the key is then reported as skipped.
        let bits = modulus_bits(n);
        if !(2048..=8192).contains(&bits) {
            return Err(format!("RSA modulus of {bits} bits (2048 to 8192 are accepted)"));
        }
        let components = RsaPublicKeyComponents { n, e };
        let mut keys: [Option<ParsedPublicKey>; 6] = Default::default();
        for (slot, (alg, params)) in keys.iter_mut().zip(RSA_ALGORITHMS) {
            if bound.is_none_or(|b| b == alg) {
                let parsed = components
                    .to_parsed_public_key(params)
                    .map_err(|e| format!("unusable RSA key: {e}"))?;
                *slot = Some(parsed);
            }
        }
        Ok(KeyMaterial::Rsa(Box::new(keys)))
    }

    /// An EC key from its affine coordinates; the point is checked to be on the curve.
    pub(crate) fn ec(x: &[u8], y: &[u8], alg: Algorithm) -> Result<KeyMaterial, String> {
        let (size, verifier) = match alg {
            Algorithm::ES256 => (32, &signature::ECDSA_P256_SHA256_FIXED),
            Algorithm::ES384 => (48, &signature::ECDSA_P384_SHA384_FIXED),
            _ => return Err(format!("{alg:?} is not an EC algorithm")),
        };
        if x.len() != size || y.len() != size {
            return Err(format!("EC coordinates must be {size} bytes each"));
        }
        // SEC 1 uncompressed point: 0x04 || x || y.
        let mut point = Vec::with_capacity(1 + 2 * size);
        point.push(0x04);
        point.extend_from_slice(x);
        point.extend_from_slice(y);
        let parsed = ParsedPublicKey::new(verifier, point).map_err(|e| format!("unusable EC key: {e}"))?;
        Ok(if alg == Algorithm::ES256 {
            KeyMaterial::EcP256(parsed)
        } else {
            KeyMaterial::EcP384(parsed)
        })
    }

    /// An Ed25519 public key (32 bytes).
    pub(crate) fn ed25519(x: &[u8]) -> Result<KeyMaterial, String> {
        if x.len() != 32 {
            return Err("an Ed25519 key is 32 bytes".into());
        }
        ParsedPublicKey::new(&signature::ED25519, x)
            .map(KeyMaterial::Ed25519)
            .map_err(|e| format!("unusable Ed25519 key: {e}"))
    }

    /// A shared secret.
    pub(crate) fn hmac(secret: &[u8]) -> KeyMaterial {
        let [a, b, c] = HMAC_ALGORITHMS.map(|(_, h)| hmac::Key::new(h, secret));
        KeyMaterial::Hmac(Box::new([a, b, c]))
    }

    /// True when `signature` (raw bytes) signs `message` under `alg` with this key. False for
    /// an algorithm this key was not prepared for, whatever the signature.
    pub(crate) fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        match self {
            KeyMaterial::Rsa(keys) => RSA_ALGORITHMS
                .iter()
                .zip(keys.iter())
                .find(|((a, _), _)| *a == alg)
                .and_then(|(_, key)| key.as_ref())
                .is_some_and(|key| key.verify_sig(message, signature).is_ok()),
            KeyMaterial::EcP256(key) => alg == Algorithm::ES256 && key.verify_sig(message, signature).is_ok(),
            KeyMaterial::EcP384(key) => alg == Algorithm::ES384 && key.verify_sig(message, signature).is_ok(),
            KeyMaterial::Ed25519(key) => alg == Algorithm::EdDSA && key.verify_sig(message, signature).is_ok(),
            KeyMaterial::Hmac(keys) => HMAC_ALGORITHMS
                .iter()
                .zip(keys.iter())
                .find(|((a, _), _)| *a == alg)
                // Constant-time comparison of the tag.
                .is_some_and(|(_, key)| hmac::verify(key, message, signature).is_ok()),
        }
    }
}

/// Bits of a big-endian magnitude, leading zero bytes ignored.
fn modulus_bits(n: &[u8]) -> usize {
    let n = n
        .iter()
        .position(|b| *b != 0)
        .and_then(|i| n.get(i..))
        .unwrap_or_default();
    n.first().map_or(0, |top| n.len() * 8 - top.leading_zeros() as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_checks_only_its_own_algorithms() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let key = KeyMaterial::hmac(secret);
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), b"msg");
        assert!(key.verify(Algorithm::HS256, b"msg", tag.as_ref()));
        assert!(!key.verify(Algorithm::HS256, b"msh", tag.as_ref()));
        // The same tag under another hash, or truncated, never passes.
        assert!(!key.verify(Algorithm::HS384, b"msg", tag.as_ref()));
        assert!(!key.verify(Algorithm::HS256, b"msg", tag.as_ref().get(..31).unwrap_or_default()));
        assert!(!key.verify(Algorithm::HS256, b"msg", &[]));
        assert!(!key.verify(Algorithm::RS256, b"msg", tag.as_ref()));
    }

    #[test]
    fn malformed_public_keys_are_refused() {
        assert!(KeyMaterial::ec(&[1; 31], &[1; 32], Algorithm::ES256).is_err());
        assert!(
            KeyMaterial::ec(&[1; 32], &[1; 32], Algorithm::ES256).is_err(),
            "not on the curve"
        );
        assert!(KeyMaterial::ec(&[1; 32], &[1; 32], Algorithm::RS256).is_err());
        assert!(KeyMaterial::ed25519(&[1; 31]).is_err());
        // A 1024-bit modulus is too small.
        let mut n = vec![0xC3; 128];
        n[127] = 0x01;
        assert!(KeyMaterial::rsa(&n, &[1, 0, 1], None).is_err());
        // Leading zero bytes do not make a small modulus big.
        let padded: Vec<u8> = [vec![0; 200], n].concat();
        assert_eq!(modulus_bits(&padded), 1024);
        assert!(KeyMaterial::rsa(&padded, &[1, 0, 1], None).is_err());
        assert!(KeyMaterial::rsa(&[], &[1, 0, 1], None).is_err());
    }
}
