//! The security invariants of DESIGN.md, each tested with a token an attacker would build.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use scopegate::KeySet;
use scopegate::{AuthRequest, Format, LoadedPolicy};
use scopegate_testkit::{TestKey, TokenBuilder, b64, now, sign_raw};

use serde_json::json;

fn attacker() -> TestKey {
    TestKey::rsa(keys().auth0.kid().unwrap(), "RS256")
}

#[test]
fn alg_none_is_unsupported() {
    let claims = auth0_claims("pets:buy", &["admin"]).to_string();
    for alg in ["none", "NONE", "nOnE"] {
        let t = format!(
            "{}.{}.",
            b64(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#).as_bytes()),
            b64(claims.as_bytes())
        );
        assert_eq!(
            code(&decide("POST", "/pets", &t)),
            "unsupported_algorithm",
            "empty signature, {alg}"
        );
        let t = format!("{}x", t);
        assert_eq!(code(&decide("POST", "/pets", &t)), "unsupported_algorithm", "{alg}");
    }
}

#[test]
fn hs256_signed_with_the_rsa_public_key_is_refused() {
    // The classic confusion: the published RSA key used as an HMAC secret.
    let public = keys().auth0.public_jwk().to_string();
    let forger = TestKey::hmac(public.as_bytes(), "HS256");
    let t = a0b(auth0_claims("pets:buy", &["admin"]))
        .header("kid", json!(keys().auth0.kid()))
        .sign(&forger);
    assert_eq!(code(&decide("POST", "/pets", &t)), "unsupported_algorithm");
    // An issuer that does take HMAC only uses its configured secret, never a published key.
    let public = keys().fusion.public_jwk().to_string();
    let forger = TestKey::hmac(public.as_bytes(), "HS256");
    let t = a0b(fusion_claims(&["admin"]))
        .header("typ", json!("JWT"))
        .header("kid", json!(keys().fusion.kid()))
        .sign(&forger);
    assert_eq!(code(&decide("POST", "/pets", &t)), "bad_signature");
}

#[test]
fn jku_x5u_jwk_x5c_headers_never_supply_keys() {
    let evil = attacker();
    let claims = auth0_claims("pets:buy", &["admin"]);
    let with_headers = |b: TokenBuilder| {
        b.header("jku", json!("http://127.0.0.1:1/jwks.json"))
            .header("x5u", json!("http://127.0.0.1:1/cert.pem"))
            .header("jwk", evil.public_jwk())
            .header("x5c", json!(["MIIBIjANBg"]))
    };
    // Same kid as the real key, attacker's signature: the embedded jwk is not used.
    let t = with_headers(a0b(claims.clone())).sign(&evil);
    assert_eq!(code(&decide("POST", "/pets", &t)), "bad_signature");
    // A kid only the headers could resolve.
    let t = with_headers(a0b(claims).header("kid", json!("attacker-kid"))).sign(&evil);
    assert_eq!(code(&decide("POST", "/pets", &t)), "unknown_key");
}

#[test]
fn crit_headers_are_rejected() {
    let t = a0b(auth0_claims("", &["admin"]))
        .header("crit", json!(["exp"]))
        .header("exp", json!(1))
        .sign(&keys().auth0);
    assert_eq!(code(&decide("POST", "/pets", &t)), "malformed_token");
}

#[test]
fn oversize_tokens_are_rejected() {
    let mut claims = auth0_claims("", &["admin"]);
    claims["padding"] = json!("x".repeat(17 * 1024));
    let t = a0b(claims).sign(&keys().auth0);
    let d = decide("POST", "/pets", &t);
    assert_eq!(code(&d), "malformed_token");
    assert!(d.reason().contains("more than the 16384 allowed"), "{}", d.reason());
}

#[test]
fn jwe_tokens_are_rejected() {
    let jwe = "eyJhbGciOiJSU0EtT0FFUC0yNTYiLCJlbmMiOiJBMjU2R0NNIn0.a2V5.aXY.Y2lwaGVy.dGFn";
    let d = decide("POST", "/pets", jwe);
    assert_eq!(code(&d), "malformed_token");
    assert!(d.reason().contains("JWE"));
}

#[test]
fn duplicate_and_deeply_nested_members_are_rejected() {
    let k = &keys().auth0;
    let t = now();
    let kid = k.kid().unwrap();
    let dup_claims = format!(
        r#"{{"iss":"{A0_ISS}","aud":"{A0_AUD}","exp":{},"{A0_ROLES}":["user"],"{A0_ROLES}":["admin"]}}"#,
        t + 60
    );
    let tok = sign_raw(&format!(r#"{{"alg":"RS256","kid":"{kid}"}}"#), &dup_claims, k);
    assert_eq!(code(&decide("POST", "/pets", &tok)), "malformed_token");
    let dup_header = format!(r#"{{"alg":"RS256","kid":"nope","kid":"{kid}"}}"#);
    let tok = sign_raw(&dup_header, &auth0_claims("", &["admin"]).to_string(), k);
    assert_eq!(code(&decide("POST", "/pets", &tok)), "malformed_token");
    let deep = format!(
        r#"{{"iss":"{A0_ISS}","aud":"{A0_AUD}","exp":{},"x":{}1{}}}"#,
        t + 60,
        "[".repeat(100),
        "]".repeat(100)
    );
    let tok = sign_raw(&format!(r#"{{"alg":"RS256","kid":"{kid}"}}"#), &deep, k);
    assert_eq!(code(&decide("POST", "/pets", &tok)), "malformed_token");
}

#[test]
fn wrong_type_registered_claims_are_invalid_not_absent() {
    let k = &keys().auth0;
    let t = now();
    for (name, value) in [
        ("exp", json!(format!("{}", t + 60))),
        ("nbf", json!("0")),
        ("iat", json!([t])),
        ("sub", json!(5)),
    ] {
        let mut claims = auth0_claims("", &["admin"]);
        claims[name] = value;
        let d = decide("POST", "/pets", &a0b(claims).sign(k));
        assert_eq!(code(&d), "invalid_claims", "{name}: {}", d.reason());
    }
    let mut claims = auth0_claims("", &["admin"]);
    claims["iss"] = json!([A0_ISS]);
    assert_eq!(code(&decide("POST", "/pets", &a0b(claims).sign(k))), "invalid_claims");
    let mut claims = auth0_claims("", &["admin"]);
    claims[A0_ROLES] = json!(7);
    assert_eq!(code(&decide("POST", "/pets", &a0b(claims).sign(k))), "invalid_claims");
    // An object of role names (Zitadel's project roles) contributes its keys (issue 13).
    let mut claims = auth0_claims("", &["admin"]);
    claims[A0_ROLES] = json!({"admin": {"org-1": "example.com"}});
    assert_eq!(code(&decide("POST", "/pets", &a0b(claims).sign(k))), "allow");
    let claims = auth0_claims("", &["admin"]);
    let no_exp = a0b(claims).without_claim("exp").sign(k);
    assert_eq!(code(&decide("POST", "/pets", &no_exp)), "invalid_claims");
}

#[test]
fn one_issuers_key_never_verifies_another_issuers_token() {
    let k = keys();
    // Claims say Auth0; signed by the Asgardeo key with the Asgardeo kid.
    let t = a0b(auth0_claims("", &["admin"])).sign(&k.asg_rs);
    assert_eq!(code(&decide("POST", "/pets", &t)), "unknown_key");
    // ... and with Auth0's kid.
    let t = a0b(auth0_claims("", &["admin"]))
        .header("kid", json!(k.auth0.kid()))
        .sign(&k.asg_rs);
    assert_eq!(code(&decide("POST", "/pets", &t)), "bad_signature");
}

#[test]
fn tampered_payload_fails_the_signature() {
    let t = auth0_token("", &["user"]);
    let parts: Vec<&str> = t.split('.').collect();
    let forged_claims = auth0_claims("", &["admin"]).to_string();
    let forged = format!("{}.{}.{}", parts[0], b64(forged_claims.as_bytes()), parts[2]);
    assert_eq!(code(&decide("POST", "/pets", &forged)), "bad_signature");
    let truncated = format!("{}.{}.{}", parts[0], parts[1], &parts[2][..parts[2].len() - 4]);
    assert_eq!(code(&decide("POST", "/pets", &truncated)), "bad_signature");
}

#[test]
fn expired_and_not_yet_valid() {
    let k = &keys().auth0;
    let t = now();
    let mut claims = auth0_claims("", &["admin"]);
    claims["exp"] = json!(t - 31);
    assert_eq!(
        code(&decide("POST", "/pets", &a0b(claims.clone()).sign(k))),
        "token_expired"
    );
    claims["exp"] = json!(t - 5); // within the 30 s leeway
    assert!(decide("POST", "/pets", &a0b(claims).sign(k)).is_allowed());
    let mut claims = auth0_claims("", &["admin"]);
    claims["nbf"] = json!(t + 600);
    assert_eq!(
        code(&decide("POST", "/pets", &a0b(claims).sign(k))),
        "token_not_yet_valid"
    );
    let mut claims = auth0_claims("", &["admin"]);
    claims["iat"] = json!(t + 600);
    assert_eq!(
        code(&decide("POST", "/pets", &a0b(claims).sign(k))),
        "token_not_yet_valid"
    );
}

#[test]
fn wrong_audience() {
    let mut claims = auth0_claims("", &["admin"]);
    claims["aud"] = json!(["https://other.example.com", "https://pets.us.auth0.com/userinfo"]);
    assert_eq!(
        code(&decide("POST", "/pets", &a0b(claims.clone()).sign(&keys().auth0))),
        "audience_mismatch"
    );
    claims.as_object_mut().unwrap().remove("aud");
    assert_eq!(
        code(&decide("POST", "/pets", &a0b(claims).sign(&keys().auth0))),
        "audience_mismatch"
    );
}

#[test]
fn algorithm_and_key_family_confusion() {
    let k = keys();
    // An ES256 signature presented as RS256 under the RSA kid.
    let t = a0b(auth0_claims("", &["admin"]))
        .header("alg", json!("RS256"))
        .header("kid", json!(k.auth0.kid()))
        .sign(&k.fusion);
    assert_eq!(code(&decide("POST", "/pets", &t)), "bad_signature");
    // ES256 is not an Auth0 algorithm at all.
    let t = a0b(auth0_claims("", &["admin"]))
        .header("kid", json!(k.auth0.kid()))
        .sign(&k.fusion);
    assert_eq!(code(&decide("POST", "/pets", &t)), "unsupported_algorithm");
    // An RS256 token under the EC kid of FusionAuth: key family mismatch.
    let t = a0b(fusion_claims(&["admin"]))
        .header("typ", json!("JWT"))
        .header("kid", json!(k.fusion.kid()))
        .sign(&k.auth0);
    assert_eq!(code(&decide("POST", "/pets", &t)), "unsupported_algorithm");
    // Asymmetric tokens need a kid.
    let t = a0b(auth0_claims("", &["admin"])).without_header("kid").sign(&k.auth0);
    assert_eq!(code(&decide("POST", "/pets", &t)), "unknown_key");
}

#[test]
fn path_confusion_does_not_reach_other_routes() {
    let buyer = auth0_token("pets:buy", &[]);
    // Case, dot segments and doubled slashes never match a different literal route.
    assert_eq!(code(&decide("POST", "/Pets/purchase", &buyer)), "no_route");
    assert_eq!(code(&decide("POST", "/pets/purchase/../../pets", &buyer)), "no_route");
    assert_eq!(code(&decide("POST", "//pets/purchase", &buyer)), "no_route");
    assert_eq!(
        code(&decide("GET", "/user/../pets", &asgardeo_token("openid"))),
        "no_route"
    );
    assert_eq!(code(&decide("POST", "/pets%2Fpurchase", &buyer)), "no_route");
}

#[test]
fn garbage_never_panics() {
    for t in [
        "",
        ".",
        "..",
        "...",
        "a.b.c",
        "e30.e30.e30",
        "\u{0}.\u{0}.\u{0}",
        "ey.ey.ey",
        "🦀.🦀.🦀",
    ] {
        let d = decide("POST", "/pets", t);
        assert_eq!(d.status(), 401, "{t:?}");
    }
}

#[test]
fn identity_cache_compares_whole_tokens_rechecks_the_clock_and_forgets_removed_keys() {
    let e = fresh_engine();
    let t = auth0_token("", &["admin"]);
    assert!(e.decide(&AuthRequest::new("POST", "/pets").token(&t)).is_allowed());
    // A token that differs only in its signature is not served from the cache.
    let mut tampered = t.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(
        e.decide(&AuthRequest::new("POST", "/pets").token(&tampered)).status(),
        401
    );
    // The clock is re-checked on every hit.
    let later = now() + 3600 + 31;
    assert_eq!(
        code(&e.decide(&AuthRequest::new("POST", "/pets").token(&t).at(later))),
        "token_expired"
    );
    assert!(e.decide(&AuthRequest::new("POST", "/pets").token(&t)).is_allowed());
    // A key removed from the issuer's set revokes the identities it verified, cached or not.
    e.issuers().by_iss(A0_ISS).unwrap().keys().replace(KeySet::default());
    assert_eq!(
        code(&e.decide(&AuthRequest::new("POST", "/pets").token(&t))),
        "unknown_key"
    );
}

#[test]
fn a_cached_tokens_signature_on_other_claims_is_not_served_from_the_cache() {
    // The cache hashes a token's tail (its signature); equality still compares the whole token.
    let e = fresh_engine();
    let t = auth0_token("", &["admin"]);
    assert!(e.decide(&AuthRequest::new("POST", "/pets").token(&t)).is_allowed());
    let other = auth0_token("", &["buyer"]);
    let (_, signature) = t.rsplit_once('.').unwrap();
    let (signing_input, _) = other.rsplit_once('.').unwrap();
    let spliced = format!("{signing_input}.{signature}");
    assert_eq!(
        code(&e.decide(&AuthRequest::new("POST", "/pets").token(&spliced))),
        "bad_signature"
    );
}

#[test]
fn cache_off_verifies_every_time() {
    let text = pharmacy_policy_text().replace(
        "cors_preflight = \"allow\"",
        "cors_preflight = \"allow\"\nidentity_cache = { capacity = 0 }",
    );
    let p = LoadedPolicy::parse(&text, Format::Toml, "x.toml")
        .unwrap()
        .with_secret("FUSION_SECRET", FA_SECRET);
    let e = scopegate::Engine::compile(&p).unwrap().engine;
    let t = auth0_token("", &["admin"]);
    assert!(e.decide(&AuthRequest::new("POST", "/pets").token(&t)).is_allowed());
    e.issuers().by_iss(A0_ISS).unwrap().keys().replace(KeySet::default());
    assert_eq!(
        code(&e.decide(&AuthRequest::new("POST", "/pets").token(&t))),
        "unknown_key"
    );
}
