//! The rejected-signature cache from the attacker's side: a remembered forgery never turns into
//! an allow, never hides a valid token, and is forgotten when the issuer's keys change.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use scopegate::{AuthRequest, KeySet};
use scopegate_testkit::{TestKey, jwks};

fn post_pets(e: &scopegate::Engine, token: &str) -> &'static str {
    code(&e.decide(&AuthRequest::new("POST", "/pets").token(token)))
}

#[test]
fn a_repeated_forgery_stays_rejected_and_valid_tokens_keep_passing() {
    let e = fresh_engine();
    let valid = auth0_token("", &["admin"]);
    // The valid token's signature on other claims: same tail, same hash, other token.
    let other = auth0_token("", &["buyer"]);
    let (_, signature) = valid.rsplit_once('.').unwrap();
    let (input, _) = other.rsplit_once('.').unwrap();
    let spliced = format!("{input}.{signature}");
    for _ in 0..5 {
        assert_eq!(post_pets(&e, &spliced), "bad_signature");
    }
    assert_eq!(post_pets(&e, &valid), "allow");
    assert_eq!(post_pets(&e, &spliced), "bad_signature");
    // The same forgery on an anonymous route: still no identity from it.
    let d = e.decide(&AuthRequest::new("GET", "/pets").token(&spliced));
    assert!(d.is_allowed() && d.identity().is_none());
}

#[test]
fn a_flood_of_forgeries_does_not_evict_or_change_valid_decisions() {
    let e = fresh_engine();
    let valid = auth0_token("", &["admin"]);
    assert_eq!(post_pets(&e, &valid), "allow");
    let attacker = TestKey::rsa(keys().auth0.kid().unwrap(), "RS256");
    let forged: Vec<String> = (0..40)
        .map(|i| {
            a0b(auth0_claims("", &["admin"]))
                .claim("jti", serde_json::json!(i))
                .sign(&attacker)
        })
        .collect();
    for _ in 0..3 {
        for t in &forged {
            assert_eq!(post_pets(&e, t), "bad_signature");
        }
    }
    assert_eq!(post_pets(&e, &valid), "allow");
}

#[test]
fn a_key_rotation_forgets_rejections_made_under_the_old_keys() {
    let e = fresh_engine();
    let store = e.issuers().by_iss(A0_ISS).unwrap().keys();
    // The issuer's next key, published under the same kid after rotation.
    let next = TestKey::rsa(keys().auth0.kid().unwrap(), "RS256");
    let early = a0b(auth0_claims("", &["admin"])).sign(&next);
    assert_eq!(post_pets(&e, &early), "bad_signature");
    assert_eq!(post_pets(&e, &early), "bad_signature");
    store.replace(KeySet::from_jwks(&jwks(&[&next])).unwrap());
    assert_eq!(
        post_pets(&e, &early),
        "allow",
        "rejected under old keys, valid under the new"
    );
    // And back: the old key set makes it a forgery again, and never from a stale allow.
    store.replace(KeySet::from_jwks(&jwks(&[&keys().auth0])).unwrap());
    assert_eq!(post_pets(&e, &early), "bad_signature");
    // A refresh that brings the same keys again is a new set: nothing is answered from before.
    store.replace(KeySet::from_jwks(&jwks(&[&keys().auth0])).unwrap());
    assert_eq!(post_pets(&e, &early), "bad_signature");
    let t = a0b(auth0_claims("", &["admin"])).sign(&keys().auth0);
    assert_eq!(post_pets(&e, &t), "allow");
}
