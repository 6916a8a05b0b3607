//! The signature check on pre-parsed keys, from the attacker's side: every algorithm passes only
//! with its own key and its own signature shape; a signature made for one algorithm, encoded
//! loosely, cut, stretched or re-shaped never passes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use scopegate::{AuthRequest, Engine, Format, KeySet, LoadedPolicy};
use scopegate_testkit::fixtures::{IDP_AUD, IDP_ISS, Rule, idp_issuer, routes};
use scopegate_testkit::{TestKey, b64, now};
use serde_json::{Value, json};

const SECRET: &str = "signatures-test-secret-0123456789abcdef-0123456789abcdef-01234567";

struct Keys {
    rsa: TestKey,
    p256: TestKey,
    p384: TestKey,
    ed: TestKey,
    hmac: TestKey,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys {
        rsa: TestKey::rsa("rsa", "RS256"),
        p256: TestKey::es256("p256"),
        p384: TestKey::es384("p384"),
        ed: TestKey::ed25519("ed"),
        hmac: TestKey::hmac(SECRET.as_bytes(), "HS256"),
    })
}

/// One issuer taking every algorithm; its RSA key states no `alg`, so it may verify all six.
fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let k = keys();
        let mut rsa = k.rsa.public_jwk();
        rsa.as_object_mut().unwrap().remove("alg");
        let jwks = json!({"keys": [rsa, k.p256.public_jwk(), k.p384.public_jwk(), k.ed.public_jwk()]});
        let text = format!(
            "version = 1\n[settings.identity_cache]\ncapacity = 0\n{}{}",
            idp_issuer(
                "idp",
                &[
                    &format!("jwks = '''{jwks}'''"),
                    "hmac_secret_env = \"SIG_SECRET\"",
                    "algorithms = [\"RS256\", \"RS384\", \"RS512\", \"PS256\", \"PS384\", \"PS512\", \"ES256\", \"ES384\", \"EdDSA\", \"HS256\", \"HS384\", \"HS512\"]",
                ],
            ),
            routes(&[("GET /a", Rule::Authenticated)])
        );
        let loaded = LoadedPolicy::parse(&text, Format::Toml, "signatures.toml")
            .unwrap()
            .with_secret("SIG_SECRET", SECRET);
        Engine::compile(&loaded).unwrap().engine
    })
}

fn claims() -> String {
    json!({"iss": IDP_ISS, "aud": IDP_AUD, "sub": "u1", "exp": now() + 3600}).to_string()
}

fn signing_input(alg: &str, kid: Option<&str>) -> String {
    let mut header = json!({"alg": alg});
    if let Some(kid) = kid {
        header["kid"] = Value::from(kid);
    }
    format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims().as_bytes()))
}

/// A token with header `alg` and `kid`, signed by `key` as `sign_alg`.
fn token(alg: &str, kid: Option<&str>, key: &TestKey, sign_alg: &str) -> String {
    let input = signing_input(alg, kid);
    let signature = key.sign_as(sign_alg, input.as_bytes());
    format!("{input}.{}", b64(&signature))
}

fn code(token: &str) -> &'static str {
    engine()
        .decide(&AuthRequest::new("GET", "/a").token(token))
        .reason_code()
        .map_or("allow", |c| c.as_str())
}

#[test]
fn every_algorithm_verifies_with_its_own_key() {
    let k = keys();
    for alg in ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"] {
        assert_eq!(code(&token(alg, Some("rsa"), &k.rsa, alg)), "allow", "{alg}");
    }
    assert_eq!(code(&token("ES256", Some("p256"), &k.p256, "ES256")), "allow");
    assert_eq!(code(&token("ES384", Some("p384"), &k.p384, "ES384")), "allow");
    assert_eq!(code(&token("EdDSA", Some("ed"), &k.ed, "EdDSA")), "allow");
    for alg in ["HS256", "HS384", "HS512"] {
        assert_eq!(code(&token(alg, None, &k.hmac, alg)), "allow", "{alg}");
    }
}

#[test]
fn a_signature_made_for_one_algorithm_never_passes_as_another() {
    let k = keys();
    // Same RSA key, other padding or hash.
    for (claimed, made) in [
        ("RS256", "PS256"),
        ("PS256", "RS256"),
        ("RS256", "RS512"),
        ("RS512", "RS256"),
        ("PS384", "PS256"),
    ] {
        assert_eq!(
            code(&token(claimed, Some("rsa"), &k.rsa, made)),
            "bad_signature",
            "{claimed} <- {made}"
        );
    }
    // Same secret, other hash.
    assert_eq!(code(&token("HS384", None, &k.hmac, "HS256")), "bad_signature");
    assert_eq!(code(&token("HS256", None, &k.hmac, "HS512")), "bad_signature");
    // The wrong curve or family for the key the kid names.
    assert_eq!(
        code(&token("ES384", Some("p256"), &k.p384, "ES384")),
        "unsupported_algorithm"
    );
    assert_eq!(
        code(&token("ES256", Some("p384"), &k.p256, "ES256")),
        "unsupported_algorithm"
    );
    assert_eq!(
        code(&token("EdDSA", Some("rsa"), &k.ed, "EdDSA")),
        "unsupported_algorithm"
    );
    assert_eq!(
        code(&token("RS256", Some("p256"), &k.rsa, "RS256")),
        "unsupported_algorithm"
    );
    // Another key of the right type, under this issuer's kid.
    let other = TestKey::es256("p256");
    assert_eq!(code(&token("ES256", Some("p256"), &other, "ES256")), "bad_signature");
    // HMAC keyed with public material: the RSA JWK, its modulus, the EC point.
    let rsa_jwk = k.rsa.public_jwk();
    for public in [
        rsa_jwk.to_string(),
        rsa_jwk["n"].as_str().unwrap().to_string(),
        k.p256.public_jwk()["x"].as_str().unwrap().to_string(),
    ] {
        let forger = TestKey::hmac(public.as_bytes(), "HS256");
        assert_eq!(code(&token("HS256", Some("rsa"), &forger, "HS256")), "bad_signature");
    }
}

/// Re-encodes the signature of a valid token.
fn with_signature(token: &str, f: impl FnOnce(Vec<u8>) -> String) -> String {
    let (input, signature) = token.rsplit_once('.').unwrap();
    let bytes = URL_SAFE_NO_PAD.decode(signature).unwrap();
    format!("{input}.{}", f(bytes))
}

#[test]
fn signatures_encoded_loosely_cut_or_stretched_never_pass() {
    let k = keys();
    for good in [
        token("RS256", Some("rsa"), &k.rsa, "RS256"),
        token("ES256", Some("p256"), &k.p256, "ES256"),
        token("EdDSA", Some("ed"), &k.ed, "EdDSA"),
        token("HS256", None, &k.hmac, "HS256"),
    ] {
        assert_eq!(code(&good), "allow");
        // Padding is not base64url as JWS writes it.
        let padded = with_signature(&good, |s| base64::engine::general_purpose::URL_SAFE.encode(s));
        if padded != good {
            assert_eq!(code(&padded), "malformed_token");
        }
        // Standard-alphabet characters are not base64url either. The re-encoding always holds
        // one (else it could equal the original: a signature need not encode to `+` or `/`).
        let standard = with_signature(&good, |s| {
            let e = base64::engine::general_purpose::STANDARD_NO_PAD.encode(s);
            if e.contains(['+', '/']) {
                e
            } else {
                format!("+{}", e.get(1..).unwrap())
            }
        });
        assert!(standard.rsplit('.').next().unwrap().contains(['+', '/']));
        assert_ne!(code(&standard), "allow");
        // One byte less, one byte more, all zero, twice over, or far too long.
        let cut = with_signature(&good, |s| b64(&s[..s.len() - 1]));
        assert_eq!(code(&cut), "bad_signature");
        let stretched = with_signature(&good, |s| b64(&[s.as_slice(), &[0]].concat()));
        assert_eq!(code(&stretched), "bad_signature");
        let zero = with_signature(&good, |s| b64(&vec![0; s.len()]));
        assert_eq!(code(&zero), "bad_signature");
        let doubled = with_signature(&good, |s| b64(&[s.as_slice(), s.as_slice()].concat()));
        assert_eq!(code(&doubled), "bad_signature");
        let long = with_signature(&good, |_| "A".repeat(3000));
        assert_eq!(code(&long), "bad_signature");
    }
}

#[test]
fn non_canonical_trailing_bits_are_refused() {
    // A 64-byte ES256 signature ends in a character carrying 2 bits and 4 unused ones; setting
    // an unused bit decodes to the same bytes in a lenient decoder, but is not the signature.
    let good = token("ES256", Some("p256"), &keys().p256, "ES256");
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let last = *good.as_bytes().last().unwrap();
    let index = alphabet.iter().position(|c| *c == last).unwrap();
    assert_eq!(index & 0b1111, 0, "canonical encoding");
    let twisted = format!("{}{}", &good[..good.len() - 1], alphabet[index | 1] as char);
    assert_eq!(code(&twisted), "bad_signature");
}

#[test]
fn an_ecdsa_signature_in_der_form_is_refused() {
    // JWS ES256 signatures are r || s (64 bytes); the ASN.1 DER form other libraries produce is
    // a different byte string and must not verify.
    let good = token("ES256", Some("p256"), &keys().p256, "ES256");
    let der = with_signature(&good, |s| {
        let int = |half: &[u8]| {
            let mut v = half.iter().copied().skip_while(|b| *b == 0).collect::<Vec<u8>>();
            if v.first().is_some_and(|b| b & 0x80 != 0) {
                v.insert(0, 0);
            }
            [vec![0x02, v.len() as u8], v].concat()
        };
        let body = [int(&s[..32]), int(&s[32..])].concat();
        b64(&[vec![0x30, body.len() as u8], body].concat())
    });
    assert_eq!(code(&der), "bad_signature");
}

#[test]
fn keys_with_the_wrong_curve_or_size_are_skipped_not_trusted() {
    let k = keys();
    // A P-384 point labelled P-256, a P-256 point labelled P-384.
    let mut p384_as_256 = k.p384.public_jwk();
    p384_as_256["crv"] = json!("P-256");
    p384_as_256["alg"] = json!("ES256");
    let mut p256_as_384 = k.p256.public_jwk();
    p256_as_384["crv"] = json!("P-384");
    p256_as_384["alg"] = json!("ES384");
    // A point that is not on the curve.
    let mut off_curve = k.p256.public_jwk();
    let mut y = URL_SAFE_NO_PAD.decode(off_curve["y"].as_str().unwrap()).unwrap();
    y[31] ^= 1;
    off_curve["y"] = json!(b64(&y));
    // A 1024-bit modulus, and a modulus that is not base64url.
    let mut small = k.rsa.public_jwk();
    small["n"] = json!(b64(&[0xC5; 128]));
    let mut unreadable = k.rsa.public_jwk();
    unreadable["n"] = json!("not base64url!");
    let set = KeySet::from_jwks(&json!({"keys": [p384_as_256, p256_as_384, off_curve, small, unreadable]})).unwrap();
    assert_eq!(set.len(), 0);
    assert_eq!(set.skipped().len(), 5, "{:?}", set.skipped());
}
