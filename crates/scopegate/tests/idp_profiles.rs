//! The cognito, okta, keycloak and entra profiles end to end, with tokens shaped as each vendor
//! documents them (idp-profiles.md section 4): access, ID and machine tokens, a wrong issuer,
//! a wrong audience or client, and a role that only the profile's own (nested) claim carries.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::sync::OnceLock;

use scopegate::{AuthRequest, Decision, Engine, LoadedPolicy};
use scopegate_testkit::idps::*;
use serde_json::json;

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("scopegate-idps-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("keys")).unwrap();
        for (name, set) in jwks_files() {
            std::fs::write(dir.join("keys").join(name), set.to_string()).unwrap();
        }
        std::fs::write(dir.join("policy.toml"), policy_text()).unwrap();
        let compiled = Engine::compile(&LoadedPolicy::from_path(dir.join("policy.toml")).unwrap()).unwrap();
        assert!(compiled.warnings.is_empty(), "{:?}", compiled.warnings);
        compiled.engine
    })
}

fn decide(method: &str, path: &str, token: &str) -> Decision {
    engine().decide(&AuthRequest::new(method, path).token(token))
}

/// `allow`, or the reason code.
fn outcome(method: &str, path: &str, token: &str) -> String {
    let d = decide(method, path, token);
    d.reason_code()
        .map_or_else(|| "allow".to_string(), |c| c.as_str().to_string())
}

fn identity(token: &str) -> (String, Option<String>, Vec<String>, Vec<String>) {
    let d = decide("GET", "/me", token);
    let i = d.identity().unwrap_or_else(|| panic!("{}", d.reason()));
    (
        i.issuer_id().to_string(),
        i.client().map(str::to_string),
        i.scopes().to_vec(),
        i.roles().to_vec(),
    )
}

#[test]
fn cognito_access_id_and_machine_tokens() {
    let access = sign_cognito(cognito_claims(
        Kind::Access,
        "aws.cognito.signin.user.admin pets-api/pets.read",
        &["admin"],
    ));
    assert_eq!(
        identity(&access),
        (
            "cognito".into(),
            Some(COG_CLIENT.into()),
            vec!["aws.cognito.signin.user.admin".into(), "pets-api/pets.read".into()],
            vec!["admin".into()]
        )
    );
    assert_eq!(outcome("GET", "/pets", &access), "allow");
    assert_eq!(outcome("POST", "/pets", &access), "allow");
    // An ID token (aud = client id, token_use = id) at an API route.
    let id = sign_cognito(cognito_claims(Kind::Id, "", &["admin"]));
    assert_eq!(outcome("GET", "/me", &id), "wrong_token_type");
    // client_credentials: sub == client_id, no username or groups.
    let machine = sign_cognito(cognito_claims(Kind::Machine, "pets-api/pets.read", &[]));
    assert_eq!(outcome("GET", "/pets", &machine), "allow");
    assert_eq!(outcome("POST", "/pets", &machine), "insufficient_role");
    // Another pool's token; another app client's token.
    let mut other = cognito_claims(Kind::Access, "pets-api/pets.read", &[]);
    other["iss"] = json!("https://cognito-idp.us-west-2.amazonaws.com/us-west-2_other");
    assert_eq!(outcome("GET", "/pets", &sign_cognito(other)), "unknown_issuer");
    let mut other = cognito_claims(Kind::Access, "pets-api/pets.read", &[]);
    other["client_id"] = json!("another-app-client");
    assert_eq!(outcome("GET", "/pets", &sign_cognito(other)), "audience_mismatch");
    // The role only in `cognito:groups` counts; a plain `roles` claim is not Cognito's.
    let mut roles_only = cognito_claims(Kind::Access, "openid", &[]);
    roles_only["roles"] = json!(["admin"]);
    assert_eq!(outcome("POST", "/pets", &sign_cognito(roles_only)), "insufficient_role");
    // token_use missing is not an access token either.
    let mut no_use = cognito_claims(Kind::Access, "openid", &["admin"]);
    no_use.as_object_mut().unwrap().remove("token_use");
    assert_eq!(outcome("GET", "/me", &sign_cognito(no_use)), "wrong_token_type");
}

#[test]
fn okta_access_id_and_machine_tokens() {
    let access = sign_okta(okta_claims(
        Kind::Access,
        &["openid", "email", "pets.read"],
        &["Everyone", "admin"],
    ));
    assert_eq!(
        identity(&access),
        (
            "okta".into(),
            Some(OKTA_CLIENT.into()),
            vec!["openid".into(), "email".into(), "pets.read".into()],
            vec!["Everyone".into(), "admin".into()]
        )
    );
    assert_eq!(outcome("GET", "/pets", &access), "allow");
    assert_eq!(outcome("POST", "/pets", &access), "allow");
    // ID tokens are for the client (aud = client id): not this API.
    let id = sign_okta(okta_claims(Kind::Id, &[], &["admin"]));
    assert_eq!(outcome("GET", "/me", &id), "audience_mismatch");
    let machine = sign_okta(okta_claims(Kind::Machine, &["pets.read"], &[]));
    assert_eq!(outcome("GET", "/pets", &machine), "allow");
    assert_eq!(identity(&machine).1.as_deref(), Some(OKTA_CLIENT));
    // The org authorization server's tokens (iss without /oauth2/...) are another issuer.
    let mut org = okta_claims(Kind::Access, &["pets.read"], &[]);
    org["iss"] = json!(format!("https://{OKTA_DOMAIN}"));
    assert_eq!(outcome("GET", "/pets", &sign_okta(org)), "unknown_issuer");
    let mut other = okta_claims(Kind::Access, &["pets.read"], &[]);
    other["aud"] = json!("api://other");
    assert_eq!(outcome("GET", "/pets", &sign_okta(other)), "audience_mismatch");
    // `scp` is an array; a `scope` string is not Okta's and grants nothing.
    let mut scope_string = okta_claims(Kind::Access, &["openid"], &[]);
    scope_string["scope"] = json!("pets.read");
    assert_eq!(outcome("GET", "/pets", &sign_okta(scope_string)), "insufficient_scope");
    // The role only in `groups`.
    let mut roles = okta_claims(Kind::Access, &["openid"], &[]);
    roles["roles"] = json!(["admin"]);
    assert_eq!(outcome("POST", "/pets", &sign_okta(roles)), "insufficient_role");
}

#[test]
fn keycloak_access_id_and_machine_tokens() {
    let access = sign_keycloak(keycloak_claims(
        Kind::Access,
        "openid profile email pets.read",
        &["default-roles-pets", "offline_access"],
        &["admin"],
    ));
    let (issuer, client, scopes, roles) = identity(&access);
    assert_eq!((issuer.as_str(), client.as_deref()), ("keycloak", Some("pets-web")));
    assert_eq!(scopes, ["openid", "profile", "email", "pets.read"]);
    // Client order follows the claims object (serde_json's map order depends on its features).
    let mut sorted = roles.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "account/manage-account",
            "account/view-profile",
            "default-roles-pets",
            "offline_access",
            "pets-api/admin"
        ]
    );
    assert_eq!(roles[..2], ["default-roles-pets", "offline_access"]);
    assert_eq!(outcome("GET", "/pets", &access), "allow");
    assert_eq!(outcome("POST", "/pets", &access), "allow");
    // ID token: payload typ "ID".
    let id = sign_keycloak(keycloak_claims(Kind::Id, "openid", &[], &["admin"]));
    assert_eq!(outcome("GET", "/me", &id), "wrong_token_type");
    // Service account: client pets-batch.
    let machine = sign_keycloak(keycloak_claims(Kind::Machine, "pets.read", &["offline_access"], &[]));
    assert_eq!(identity(&machine).1.as_deref(), Some("pets-batch"));
    assert_eq!(outcome("GET", "/pets", &machine), "allow");
    assert_eq!(outcome("POST", "/pets", &machine), "insufficient_role");
    // Another realm; the default `account`-only audience (no audience mapper).
    let mut other = keycloak_claims(Kind::Access, "pets.read", &[], &[]);
    other["iss"] = json!(format!("{KC_BASE}/realms/other"));
    assert_eq!(outcome("GET", "/pets", &sign_keycloak(other)), "unknown_issuer");
    let mut other = keycloak_claims(Kind::Access, "pets.read", &[], &[]);
    other["aud"] = json!("account");
    assert_eq!(outcome("GET", "/pets", &sign_keycloak(other)), "audience_mismatch");
    // `admin` as a realm role is `admin`; as a client role of pets-api it is `pets-api/admin`:
    // the role only in the nested client claim.
    let nested = sign_keycloak(keycloak_claims(Kind::Access, "openid", &[], &["admin"]));
    assert_eq!(outcome("POST", "/pets", &nested), "allow");
    let mut top = keycloak_claims(Kind::Access, "openid", &[], &[]);
    top["roles"] = json!(["admin"]);
    assert_eq!(outcome("POST", "/pets", &sign_keycloak(top)), "insufficient_role");
    // Client roles of the wrong shape are invalid, not absent.
    let mut bad = keycloak_claims(Kind::Access, "openid", &[], &[]);
    bad["resource_access"]["pets-api"]["roles"] = json!([1]);
    assert_eq!(outcome("GET", "/me", &sign_keycloak(bad)), "invalid_claims");
}

#[test]
fn entra_v2_v1_id_and_machine_tokens() {
    let access = sign_entra(entra_claims(
        Kind::Access,
        ENTRA_TENANT,
        "access_as_user pets.read",
        &[],
    ));
    assert_eq!(
        identity(&access),
        (
            "entra".into(),
            Some(ENTRA_CLIENT.into()),
            vec!["access_as_user".into(), "pets.read".into()],
            vec![]
        )
    );
    assert_eq!(outcome("GET", "/pets", &access), "allow");
    assert_eq!(outcome("POST", "/pets", &access), "insufficient_role");
    // v1 token: sts.windows.net issuer, client in `appid`.
    let v1 = sign_entra(entra_v1_claims("pets.read"));
    let (issuer, client, _, _) = identity(&v1);
    assert_eq!((issuer.as_str(), client.as_deref()), ("entra-v1", Some(ENTRA_CLIENT)));
    assert_eq!(outcome("GET", "/pets", &v1), "allow");
    // ID token: aud is the client app.
    let id = sign_entra(entra_claims(Kind::Id, ENTRA_TENANT, "", &[]));
    assert_eq!(outcome("GET", "/me", &id), "audience_mismatch");
    // App-only token: app roles, no scp.
    let machine = sign_entra(entra_claims(Kind::Machine, ENTRA_TENANT, "", &["admin"]));
    assert_eq!(outcome("POST", "/pets", &machine), "allow");
    assert_eq!(outcome("GET", "/pets", &machine), "insufficient_scope");
    let mut other = entra_claims(Kind::Access, ENTRA_TENANT, "pets.read", &[]);
    other["aud"] = json!("00000003-0000-0000-c000-000000000000");
    assert_eq!(outcome("GET", "/pets", &sign_entra(other)), "audience_mismatch");
    // The role only in `roles` (app roles); `groups` GUIDs are not roles.
    let mut groups = entra_claims(Kind::Access, ENTRA_TENANT, "openid", &[]);
    groups["groups"] = json!(["admin"]);
    assert_eq!(outcome("POST", "/pets", &sign_entra(groups)), "insufficient_role");
}

#[test]
fn entra_multi_tenant_accepts_listed_tenants_only() {
    let b = sign_entra(entra_claims(Kind::Access, ENTRA_TENANT_B, "pets.read", &[]));
    assert_eq!(identity(&b).0, "entra-multi");
    assert_eq!(outcome("GET", "/pets", &b), "allow");
    // An unlisted tenant: its issuer is unknown, never "any tenant".
    let c = sign_entra(entra_claims(
        Kind::Access,
        "0b2e5c6d-0000-4000-8000-000000000001",
        "pets.read",
        &[],
    ));
    assert_eq!(outcome("GET", "/pets", &c), "unknown_issuer");
    // A listed tenant's iss with another tenant's tid.
    let mut mixed = entra_claims(Kind::Access, ENTRA_TENANT_B, "pets.read", &[]);
    mixed["tid"] = json!("0b2e5c6d-0000-4000-8000-000000000001");
    assert_eq!(outcome("GET", "/pets", &sign_entra(mixed)), "invalid_claims");
    let mut none = entra_claims(Kind::Access, ENTRA_TENANT_B, "pets.read", &[]);
    none.as_object_mut().unwrap().remove("tid");
    assert_eq!(outcome("GET", "/pets", &sign_entra(none)), "invalid_claims");
}
