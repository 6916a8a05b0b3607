//! `scopegate decide` and `check` on the cognito, okta, keycloak and entra profiles, with
//! tokens shaped as each vendor documents them (scopegate-testkit `idps`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::workdir;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::process::Command;

use scopegate_testkit::fixtures::{IDP_AUD, IDP_ISS, Rule, plain_issuer, routes};
use scopegate_testkit::idps::*;
use serde_json::{Value, json};

fn policy() -> String {
    let dir = workdir();
    for (name, set) in jwks_files() {
        std::fs::write(dir.join("keys").join(name), set.to_string()).unwrap();
    }
    std::fs::write(dir.join("policy.toml"), policy_text()).unwrap();
    dir.join("policy.toml").display().to_string()
}

/// `(exit code, decide --json output)`.
fn decide(policy: &str, method: &str, path: &str, token: &str) -> (Option<i32>, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args([
            "decide", policy, "--method", method, "--path", path, "--json", "--token", token,
        ])
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"));
    (out.status.code(), v)
}

/// The reason code, or `allow`.
fn outcome(policy: &str, method: &str, path: &str, token: &str) -> String {
    let (code, v) = decide(policy, method, path, token);
    match v["reason_code"].as_str() {
        None => {
            assert_eq!(code, Some(0), "{v}");
            "allow".into()
        }
        Some(c) => {
            assert_eq!(code, Some(1), "{v}");
            c.into()
        }
    }
}

#[test]
fn each_profile_through_decide() {
    let p = policy();
    // Cognito: access allowed with groups as roles; ID token is the wrong kind; machine scope.
    let access = sign_cognito(cognito_claims(Kind::Access, "openid pets-api/pets.read", &["admin"]));
    let (code, v) = decide(&p, "POST", "/pets", &access);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(
        (v["issuer"].clone(), v["roles"].clone()),
        (json!("cognito"), json!(["admin"]))
    );
    assert_eq!(
        outcome(
            &p,
            "GET",
            "/me",
            &sign_cognito(cognito_claims(Kind::Id, "", &["admin"]))
        ),
        "wrong_token_type"
    );
    let machine = sign_cognito(cognito_claims(Kind::Machine, "pets-api/pets.read", &[]));
    assert_eq!(outcome(&p, "GET", "/pets", &machine), "allow");
    let mut other = cognito_claims(Kind::Access, "pets-api/pets.read", &[]);
    other["client_id"] = json!("another-app-client");
    assert_eq!(outcome(&p, "GET", "/pets", &sign_cognito(other)), "audience_mismatch");
    let mut other = cognito_claims(Kind::Access, "pets-api/pets.read", &[]);
    other["iss"] = json!("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_other");
    assert_eq!(outcome(&p, "GET", "/pets", &sign_cognito(other)), "unknown_issuer");

    // Okta: scp array, groups, cid.
    let access = sign_okta(okta_claims(Kind::Access, &["openid", "pets.read"], &["admin"]));
    let (_, v) = decide(&p, "GET", "/pets", &access);
    assert_eq!(v["scopes"], json!(["openid", "pets.read"]), "{v}");
    assert_eq!(outcome(&p, "POST", "/pets", &access), "allow");
    assert_eq!(
        outcome(&p, "GET", "/me", &sign_okta(okta_claims(Kind::Id, &[], &[]))),
        "audience_mismatch"
    );
    assert_eq!(
        outcome(
            &p,
            "GET",
            "/pets",
            &sign_okta(okta_claims(Kind::Machine, &["pets.read"], &[]))
        ),
        "allow"
    );
    let mut org = okta_claims(Kind::Access, &["pets.read"], &[]);
    org["iss"] = json!(format!("https://{OKTA_DOMAIN}"));
    assert_eq!(outcome(&p, "GET", "/pets", &sign_okta(org)), "unknown_issuer");
    let mut other = okta_claims(Kind::Access, &["pets.read"], &[]);
    other["aud"] = json!("api://other");
    assert_eq!(outcome(&p, "GET", "/pets", &sign_okta(other)), "audience_mismatch");

    // Keycloak: the client role only in resource_access.
    let access = sign_keycloak(keycloak_claims(
        Kind::Access,
        "openid pets.read",
        &["offline_access"],
        &["admin"],
    ));
    let (code, v) = decide(&p, "POST", "/pets", &access);
    assert_eq!(code, Some(0), "{v}");
    assert!(v["roles"].as_array().unwrap().contains(&json!("pets-api/admin")), "{v}");
    assert_eq!(
        outcome(
            &p,
            "GET",
            "/me",
            &sign_keycloak(keycloak_claims(Kind::Id, "openid", &[], &[]))
        ),
        "wrong_token_type"
    );
    let machine = sign_keycloak(keycloak_claims(Kind::Machine, "pets.read", &[], &[]));
    assert_eq!(outcome(&p, "GET", "/pets", &machine), "allow");
    let mut other = keycloak_claims(Kind::Access, "pets.read", &[], &[]);
    other["aud"] = json!("account");
    assert_eq!(outcome(&p, "GET", "/pets", &sign_keycloak(other)), "audience_mismatch");
    let mut other = keycloak_claims(Kind::Access, "pets.read", &[], &[]);
    other["iss"] = json!(format!("{KC_BASE}/auth/realms/{KC_REALM}"));
    assert_eq!(outcome(&p, "GET", "/pets", &sign_keycloak(other)), "unknown_issuer");

    // Entra: v2, v1, ID token, app-only token with app roles, multi-tenant.
    let access = sign_entra(entra_claims(
        Kind::Access,
        ENTRA_TENANT,
        "access_as_user pets.read",
        &[],
    ));
    assert_eq!(outcome(&p, "GET", "/pets", &access), "allow");
    let (_, v) = decide(&p, "GET", "/pets", &sign_entra(entra_v1_claims("pets.read")));
    assert_eq!(
        (v["decision"].clone(), v["issuer"].clone()),
        (json!("allow"), json!("entra-v1"))
    );
    assert_eq!(
        outcome(
            &p,
            "GET",
            "/me",
            &sign_entra(entra_claims(Kind::Id, ENTRA_TENANT, "", &[]))
        ),
        "audience_mismatch"
    );
    let machine = sign_entra(entra_claims(Kind::Machine, ENTRA_TENANT, "", &["admin"]));
    assert_eq!(outcome(&p, "POST", "/pets", &machine), "allow");
    let mut other = entra_claims(Kind::Access, ENTRA_TENANT, "pets.read", &[]);
    other["aud"] = json!("api://someone-else");
    assert_eq!(outcome(&p, "GET", "/pets", &sign_entra(other)), "audience_mismatch");
    let unlisted = sign_entra(entra_claims(
        Kind::Access,
        "0b2e5c6d-0000-4000-8000-000000000001",
        "pets.read",
        &[],
    ));
    assert_eq!(outcome(&p, "GET", "/pets", &unlisted), "unknown_issuer");
    let listed = sign_entra(entra_claims(Kind::Access, ENTRA_TENANT_B, "pets.read", &[]));
    assert_eq!(outcome(&p, "GET", "/pets", &listed), "allow");
}

#[test]
fn check_says_a_set_non_utf8_secret_is_not_text() {
    let dir = workdir();
    let policy = format!(
        "version = 1\n{}{}",
        plain_issuer(
            "hs",
            IDP_ISS,
            IDP_AUD,
            &["hmac_secret_env = \"SCOPEGATE_TEST_BINARY_SECRET\""]
        ),
        routes(&[("GET /me", Rule::Authenticated)])
    );
    std::fs::write(dir.join("policy.toml"), policy).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args(["check", &dir.join("policy.toml").display().to_string()])
        .env(
            "SCOPEGATE_TEST_BINARY_SECRET",
            OsStr::from_bytes(&[0xff, 0xfe, 0x01, 0x80]),
        )
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("is set but is not valid UTF-8"), "{err}");
    assert!(!err.contains("not set") && !err.contains("discover"), "{err}");
}

#[test]
fn check_warns_about_the_okta_org_server() {
    let dir = workdir();
    let policy = format!(
        "version = 1\n[[issuers]]\nid = \"okta\"\nprofile = \"okta\"\ndomain = \"{OKTA_DOMAIN}\"\nauthorization_server = \"org\"\naudiences = [\"a\"]\njwks = '{{\"keys\": []}}'\n{}",
        routes(&[("GET /me", Rule::Authenticated)])
    );
    std::fs::write(dir.join("policy.toml"), policy).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args(["check", &dir.join("policy.toml").display().to_string()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning") && err.contains("org authorization server"),
        "{err}"
    );
}
