//! Each profile end to end with tokens minted in the test, on the seed scenarios.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use scopegate::{AuthRequest, GrantBasis};
use scopegate_testkit::{TestKey, TokenBuilder, now, sign_raw};
use serde_json::json;

#[test]
fn asgardeo_pharmacy_user_needs_get_pharmacy_user() {
    let d = decide("GET", "/user", &asgardeo_token("openid get_pharmacy_user"));
    assert!(d.is_allowed(), "{}", d.reason());
    let grant = match &d {
        scopegate::Decision::Allow(g) => g,
        _ => unreachable!(),
    };
    assert_eq!(grant.issuer(), Some("asgardeo"));
    assert_eq!(grant.subject(), Some("32bc4697-ed0f-4546-8387-dcd6403e7caa"));
    assert_eq!(grant.basis, GrantBasis::Requirement);
    let identity = grant.identity.as_deref().unwrap();
    assert_eq!(identity.client(), Some(ASG_AUD));
    assert_eq!(identity.claims()["org_name"], "pharmacy");
    assert!(
        d.reason()
            .contains("route `GET /user` requires `scope:get_pharmacy_user`"),
        "{}",
        d.reason()
    );

    let d = decide("GET", "/user/", &asgardeo_token("openid"));
    assert_eq!(code(&d), "insufficient_scope");
    assert_eq!(d.status(), 403);
    assert!(d.reason().contains("missing scope"), "{}", d.reason());
    let scopegate::Decision::Forbidden(denial) = d else {
        unreachable!()
    };
    assert_eq!(denial.missing_scopes, ["get_pharmacy_user"]);
}

#[test]
fn asgardeo_scope_array_single_string_role_and_ps256_alias() {
    let k = keys();
    let claims = json!({"iss":ASG_ISS,"aud":[ASG_AUD,"https://api.bifrost.example/books"],"exp":now()+60,
        "sub":"u","scope":["get_pharmacy_user"],"roles":"admin"});
    let t = TokenBuilder::new(claims.clone())
        .header("typ", json!("at+jwt"))
        .sign(&k.asg_ps);
    let d = decide("POST", "/pets", &t);
    assert!(d.is_allowed(), "{}", d.reason());
    assert_eq!(d.identity().unwrap().roles(), ["admin"]);
    assert!(decide("GET", "/user", &t).is_allowed());
    // The RS256 kid used with PS256: each kid is bound to its own algorithm.
    let t = TokenBuilder::new(claims)
        .header("typ", json!("at+jwt"))
        .header("alg", json!("PS256"))
        .sign(&k.asg_rs);
    assert_eq!(code(&decide("GET", "/user", &t)), "unsupported_algorithm");
}

#[test]
fn asgardeo_legacy_x5t_header_is_ignored() {
    let t = TokenBuilder::new(asgardeo_claims("get_pharmacy_user"))
        .header("typ", json!("at+jwt"))
        .header(
            "x5t",
            json!("Yzc5OTgwZTE3MWQzMWEzNDFmNzVhM2NiOTBlNjcwNTI5OGM0MmQ1YjkwYjg2MTIwZWMwNzM4Mzg1ZGIyZDg3ZA"),
        )
        .sign(&keys().asg_rs);
    assert!(decide("GET", "/user", &t).is_allowed());
}

#[test]
fn asgardeo_requires_at_jwt() {
    let t = TokenBuilder::new(asgardeo_claims("get_pharmacy_user"))
        .header("typ", json!("JWT"))
        .sign(&keys().asg_rs);
    assert_eq!(code(&decide("GET", "/user", &t)), "wrong_token_type");
    let t = TokenBuilder::new(asgardeo_claims("get_pharmacy_user")).sign(&keys().asg_rs);
    assert_eq!(code(&decide("GET", "/user", &t)), "wrong_token_type");
}

#[test]
fn auth0_pets_admin_versus_buyer() {
    let admin = auth0_token("openid", &["admin"]);
    let buyer = auth0_token("openid pets:buy", &[]);
    let admin_buyer = auth0_token("pets:buy", &["admin"]);
    assert!(decide("POST", "/pets", &admin).is_allowed());
    assert_eq!(code(&decide("POST", "/pets", &buyer)), "insufficient_role");
    assert!(decide("POST", "/pets/purchase", &buyer).is_allowed());
    assert_eq!(code(&decide("POST", "/pets/purchase", &admin)), "insufficient_scope");
    let d = decide("POST", "/pets/purchase", &admin_buyer);
    assert_eq!(code(&d), "route_denied");
    assert!(d.reason().contains("excludes `role:admin`"), "{}", d.reason());
    // GET /pets/purchase has no literal route: it falls to GET /pets/{id}.
    let d = decide("GET", "/pets/purchase", &buyer);
    assert!(d.is_allowed());
    assert_eq!(&*d.route().unwrap().key, "GET /pets/{id}");
    assert_eq!(d.route().unwrap().params, vec![("id".into(), "purchase".to_string())]);
}

#[test]
fn auth0_permissions_count_as_scopes_and_rfc9068_tokens_work() {
    let mut claims = auth0_claims("openid", &[]);
    claims["permissions"] = json!(["pets:buy"]);
    claims.as_object_mut().unwrap().remove("azp");
    claims["client_id"] = json!("m2m");
    let t = TokenBuilder::new(claims)
        .header("typ", json!("at+jwt"))
        .sign(&keys().auth0);
    let d = decide("POST", "/pets/purchase", &t);
    assert!(d.is_allowed(), "{}", d.reason());
    assert_eq!(d.identity().unwrap().client(), Some("m2m"));
}

#[test]
fn auth0_id_token_fails_on_audience() {
    let mut claims = auth0_claims("openid", &["admin"]);
    claims["aud"] = json!("spa-client");
    let t = TokenBuilder::new(claims)
        .header("typ", json!("JWT"))
        .sign(&keys().auth0);
    assert_eq!(code(&decide("POST", "/pets", &t)), "audience_mismatch");
}

#[test]
fn auth0_issuer_without_trailing_slash_is_unknown() {
    let mut claims = auth0_claims("openid", &["admin"]);
    claims["iss"] = json!("https://pets.us.auth0.com");
    let t = a0b(claims).sign(&keys().auth0);
    assert_eq!(code(&decide("POST", "/pets", &t)), "unknown_issuer");
}

#[test]
fn fusionauth_rs_with_gty_header_and_hs256_with_and_without_kid() {
    let d = decide("GET", "/claims", &fusion_token(&["user"]));
    assert!(d.is_allowed(), "{}", d.reason());
    assert_eq!(d.identity().unwrap().roles(), ["user"]);
    assert_eq!(d.identity().unwrap().client(), Some(FA_AUD));
    let k = &keys().fusion_hmac;
    let with_kid = TokenBuilder::new(fusion_claims(&["admin"]))
        .header("typ", json!("JWT"))
        .header("kid", json!("ecee3162f0"))
        .sign(k);
    let legacy = sign_raw(r#"{"alg":"HS256","typ":"JWT"}"#, &fusion_claims(&[]).to_string(), k);
    assert!(decide("POST", "/pets", &with_kid).is_allowed());
    assert!(decide("GET", "/claims", &legacy).is_allowed());
    let wrong_secret = TestKey::hmac(b"not-the-fusion-secret-not-the-fusion-secret", "HS256");
    let forged = TokenBuilder::new(fusion_claims(&["admin"]))
        .header("typ", json!("JWT"))
        .sign(&wrong_secret);
    assert_eq!(code(&decide("POST", "/pets", &forged)), "bad_signature");
}

#[test]
fn route_issuer_lists_deny_other_issuers() {
    let d = decide("GET", "/claims", &auth0_token("openid", &[]));
    assert_eq!(code(&d), "route_denied");
    assert!(d.reason().contains("only from issuers [\"fusion\"]"), "{}", d.reason());
}

#[test]
fn client_requirements() {
    let mut claims = auth0_claims("", &["admin"]);
    claims["azp"] = json!("admin-console");
    let ok = a0b(claims).sign(&keys().auth0);
    assert!(decide("DELETE", "/pets/3", &ok).is_allowed());
    let d = decide("DELETE", "/pets/3", &auth0_token("", &["admin"]));
    assert_eq!(code(&d), "route_denied");
    assert!(d.reason().contains("client `admin-console`"), "{}", d.reason());
}

#[test]
fn anonymous_routes_never_401() {
    let e = engine();
    assert!(e.decide(&AuthRequest::new("GET", "/pets")).is_allowed());
    let d = e.decide(&AuthRequest::new("GET", "/public/a/b").token("garbage"));
    assert!(d.is_allowed());
    assert!(d.identity().is_none());
    let d = e.decide(&AuthRequest::new("PUT", "/public/x").token(&auth0_token("a", &[])));
    assert_eq!(d.identity().unwrap().issuer_id(), "auth0");
}

#[test]
fn unusable_credentials_are_malformed_except_on_anonymous_routes() {
    let e = engine();
    let good = auth0_token("", &["admin"]);
    let d = e.decide(
        &AuthRequest::new("POST", "/pets")
            .token(&good)
            .malformed_credentials("two Authorization headers"),
    );
    assert_eq!(code(&d), "malformed_token");
    assert!(d.reason().contains("two Authorization headers"), "{}", d.reason());
    let d = e.decide(
        &AuthRequest::new("GET", "/pets")
            .token(&good)
            .malformed_credentials("two Authorization headers"),
    );
    assert!(d.is_allowed());
    assert!(d.identity().is_none());
}

#[test]
fn cors_preflight_passes_when_allowed() {
    let d = engine().decide(&AuthRequest::new("OPTIONS", "/pets").preflight(true));
    assert!(d.is_allowed());
    let d = engine().decide(&AuthRequest::new("OPTIONS", "/pets"));
    assert_eq!(code(&d), "missing_token");
}
