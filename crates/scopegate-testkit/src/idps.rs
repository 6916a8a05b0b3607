//! Look-alike tokens of Amazon Cognito, Okta, Keycloak and Microsoft Entra ID, shaped as
//! `/work/shared/reference/idp-profiles.md` section 4 documents them (Cognito \[C1\]\[C2\]: no
//! `typ`, no `aud`, `token_use`; Okta \[O1\]: no `typ`, `scp` array, `cid`; Keycloak \[K1\]\[K2\]:
//! `typ: Bearer` claim, `realm_access` and `resource_access`; Entra \[E1\]\[E2\]: v1/v2 issuers,
//! `scp` string, JWKs without `alg`), with one policy trusting all four ([`policy_text`]).
//!
//! Plain data and text, like [`crate::fixtures`]: no `scopegate` types.

use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::fixtures::{Rule, issuer_table, routes};
use crate::{TestKey, TokenBuilder, jwks, now};

/// Cognito user pool region.
pub const COG_REGION: &str = "us-west-2";
/// Cognito user pool id.
pub const COG_POOL: &str = "us-west-2_example";
/// Cognito issuer derived from region and pool.
pub const COG_ISS: &str = "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_example";
/// Cognito app client id (the policy's audience, checked against `client_id`).
pub const COG_CLIENT: &str = "57cbishk4j24pabc1234567890";
/// Okta org domain.
pub const OKTA_DOMAIN: &str = "dev-133337.okta.com";
/// Okta issuer of the `default` custom authorization server.
pub const OKTA_ISS: &str = "https://dev-133337.okta.com/oauth2/default";
/// Okta audience of the `default` authorization server.
pub const OKTA_AUD: &str = "api://default";
/// Okta client id (`cid`).
pub const OKTA_CLIENT: &str = "nmdP1fcyvdVO11AL7ECm";
/// Keycloak server URL.
pub const KC_BASE: &str = "https://sso.example.com";
/// Keycloak realm.
pub const KC_REALM: &str = "pets";
/// Keycloak issuer.
pub const KC_ISS: &str = "https://sso.example.com/realms/pets";
/// Keycloak audience (the API client, added by an audience mapper).
pub const KC_AUD: &str = "pets-api";
/// Entra tenant id (the docs' v2 sample).
pub const ENTRA_TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
/// Entra v2 issuer of [`ENTRA_TENANT`].
pub const ENTRA_ISS: &str = "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0";
/// Entra v1 issuer of [`ENTRA_TENANT`].
pub const ENTRA_V1_ISS: &str = "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/";
/// The API's application (client) id, the v2 `aud`.
pub const ENTRA_AUD: &str = "6e74172b-be56-4843-9ff4-e66a39bb12e3";
/// A calling client application id.
pub const ENTRA_CLIENT: &str = "75dbe77f-10a3-4e59-85fd-8c127544f17c";
/// A second tenant, listed in the multi-tenant issuer.
pub const ENTRA_TENANT_B: &str = "fa15d692-e9c7-4460-a743-29f2956fd429";

/// One RSA key per provider (`kid`s in each provider's style).
pub struct IdpKeys {
    /// Cognito's access-token key (`kid` base64 with `=` padding).
    pub cognito: TestKey,
    /// Okta's key.
    pub okta: TestKey,
    /// Keycloak's key.
    pub keycloak: TestKey,
    /// Entra's key (`kid` = x5t style).
    pub entra: TestKey,
}

/// The keys, generated once per process.
pub fn idp_keys() -> &'static IdpKeys {
    static KEYS: OnceLock<IdpKeys> = OnceLock::new();
    KEYS.get_or_init(|| IdpKeys {
        cognito: TestKey::rsa("1234example=", "RS256"),
        okta: TestKey::rsa("45js03w0djwedsw", "RS256"),
        keycloak: TestKey::rsa("h4xT0pL6tA3gk0wr6Dq2CJEKUeYzGn9ylK0YyJ-cd5s", "RS256"),
        entra: TestKey::rsa("i6lGk3FZzxRcUb2C3nEQ7syHJlY", "RS256"),
    })
}

/// A JWKS of one key; `with_alg = false` drops `alg`, as Entra publishes its keys \[E1\].
pub fn jwks_of(key: &TestKey, with_alg: bool) -> Value {
    let mut set = jwks(&[key]);
    if !with_alg && let Some(k) = set.pointer_mut("/keys/0").and_then(Value::as_object_mut) {
        k.remove("alg");
    }
    set
}

/// The four issuers (`cognito`, `okta`, `keycloak`, `entra`, and the multi-tenant
/// `entra-multi` for v2 tokens of [`ENTRA_TENANT_B`]), each reading keys from
/// `keys/{id}.jwks.json` next to the policy (write them with [`jwks_files`]).
pub fn issuers_text() -> String {
    let mut t = String::new();
    let keys = |id: &str| format!("jwks_file = \"keys/{id}.jwks.json\"");
    t.push_str(&issuer_table(
        &[
            ("id", "cognito"),
            ("profile", "cognito"),
            ("region", COG_REGION),
            ("user_pool_id", COG_POOL),
        ],
        &[&format!("audiences = [\"{COG_CLIENT}\"]"), &keys("cognito")],
    ));
    t.push_str(&issuer_table(
        &[("id", "okta"), ("profile", "okta"), ("domain", OKTA_DOMAIN)],
        &[&format!("audiences = [\"{OKTA_AUD}\"]"), &keys("okta")],
    ));
    t.push_str(&issuer_table(
        &[
            ("id", "keycloak"),
            ("profile", "keycloak"),
            ("base_url", KC_BASE),
            ("realm", KC_REALM),
        ],
        &[&format!("audiences = [\"{KC_AUD}\"]"), &keys("keycloak")],
    ));
    t.push_str(&issuer_table(
        &[("id", "entra"), ("profile", "entra"), ("tenant", ENTRA_TENANT)],
        &[&format!("audiences = [\"{ENTRA_AUD}\"]"), &keys("entra")],
    ));
    t.push_str(&issuer_table(
        &[("id", "entra-v1"), ("profile", "entra"), ("tenant", ENTRA_TENANT)],
        &[
            "token_version = 1",
            &format!("audiences = [\"{ENTRA_AUD}\"]"),
            &keys("entra"),
        ],
    ));
    t.push_str(&issuer_table(
        &[("id", "entra-multi"), ("profile", "entra"), ("tenant", "organizations")],
        &[
            &format!("allowed_tenants = [\"{ENTRA_TENANT_B}\"]"),
            &format!("audiences = [\"{ENTRA_AUD}\"]"),
            &keys("entra"),
        ],
    ));
    t
}

/// `(file name, JWKS)` for each issuer of [`issuers_text`], under `keys/`.
pub fn jwks_files() -> Vec<(&'static str, Value)> {
    let k = idp_keys();
    vec![
        ("cognito.jwks.json", jwks_of(&k.cognito, true)),
        ("okta.jwks.json", jwks_of(&k.okta, true)),
        ("keycloak.jwks.json", jwks_of(&k.keycloak, true)),
        ("entra.jwks.json", jwks_of(&k.entra, false)),
    ]
}

/// The routes every provider's tokens are tried on: reading pets needs a `pets.read` scope
/// (Cognito resource-server scopes are `pets-api/pets.read`), creating one the role `admin`
/// (Keycloak's client role `pets-api/admin`), `GET /me` any valid token.
pub const IDP_ROUTES: [(&str, Rule<'static>); 3] = [
    ("GET /pets", Rule::Scopes(&["pets.read", "pets-api/pets.read"])),
    ("POST /pets", Rule::Require("role:admin or role:pets-api/admin")),
    ("GET /me", Rule::Authenticated),
];

/// The whole policy: [`issuers_text`] and [`IDP_ROUTES`].
pub fn policy_text() -> String {
    format!("version = 1\n{}{}", issuers_text(), routes(&IDP_ROUTES))
}

/// A token kind each provider issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A user's access token.
    Access,
    /// An OpenID Connect ID token (sent where an access token belongs).
    Id,
    /// A client-credentials (machine) access token.
    Machine,
}

/// Cognito claims \[C1\] (`scope` a string, groups in `cognito:groups`).
pub fn cognito_claims(kind: Kind, scope: &str, groups: &[&str]) -> Value {
    let t = now();
    match kind {
        Kind::Access => {
            json!({"sub":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","device_key":"aaaaaaaa-dddd","cognito:groups":groups,
            "token_use":"access","scope":scope,"auth_time":t,"iss":COG_ISS,"exp":t + 3600,"iat":t,
            "origin_jti":"aaaaaaaa-0001","jti":"aaaaaaaa-0002","client_id":COG_CLIENT,"username":"janedoe@example.com"})
        }
        Kind::Id => json!({"sub":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","cognito:groups":groups,"email_verified":true,
            "iss":COG_ISS,"cognito:username":"janedoe","origin_jti":"aaaaaaaa-0001","aud":COG_CLIENT,"event_id":"e-1",
            "token_use":"id","auth_time":t,"exp":t + 3600,"iat":t,"jti":"aaaaaaaa-0003","email":"janedoe@example.com"}),
        Kind::Machine => json!({"sub":COG_CLIENT,"token_use":"access","scope":scope,"auth_time":t,"iss":COG_ISS,
            "exp":t + 3600,"iat":t,"version":2,"jti":"aaaaaaaa-0004","client_id":COG_CLIENT}),
    }
}

/// Okta claims \[O1\] (`scp` an array, `cid`, `uid` for users, `groups` when added).
pub fn okta_claims(kind: Kind, scp: &[&str], groups: &[&str]) -> Value {
    let t = now();
    match kind {
        Kind::Access => {
            json!({"ver":1,"jti":"AT.0mP4JKAZX1iACIT4vbEDF7LpvDVjxypPMf0D7uX39RE","iss":OKTA_ISS,"aud":OKTA_AUD,
            "sub":"00ujmkLgagxeRrAg20g3","iat":t,"exp":t + 3600,"cid":OKTA_CLIENT,"uid":"00ujmkLgagxeRrAg20g3",
            "scp":scp,"groups":groups})
        }
        Kind::Id => {
            json!({"ver":1,"sub":"00ujmkLgagxeRrAg20g3","iss":OKTA_ISS,"aud":OKTA_CLIENT,"iat":t,"exp":t + 3600,
            "jti":"ID.4eAWJOCMB3SX8XewDfVR","amr":["pwd"],"idp":"00ok1u7AsAkrwdZL3z0g3","auth_time":t,
            "at_hash":"preview_at_hash","groups":groups})
        }
        Kind::Machine => json!({"ver":1,"jti":"AT.machine","iss":OKTA_ISS,"aud":OKTA_AUD,"sub":OKTA_CLIENT,
            "iat":t,"exp":t + 3600,"cid":OKTA_CLIENT,"scp":scp}),
    }
}

/// Keycloak claims \[K1\]\[K2\] (`typ` claim, realm and client roles, `azp`). `client_roles`
/// go under `resource_access.pets-api.roles`.
pub fn keycloak_claims(kind: Kind, scope: &str, realm_roles: &[&str], client_roles: &[&str]) -> Value {
    let t = now();
    let common = |typ: &str, azp: &str, aud: Value| {
        json!({"exp":t + 300,"iat":t,"jti":"4f1c0f8e-7c1b","iss":KC_ISS,"aud":aud,"sub":"f0a1c2d3-user",
            "typ":typ,"azp":azp,"sid":"0c2b-session","acr":"1","allowed-origins":["https://pets.example.com"],
            "realm_access":{"roles":realm_roles},
            "resource_access":{"pets-api":{"roles":client_roles},"account":{"roles":["manage-account","view-profile"]}},
            "scope":scope,"email_verified":true,"preferred_username":"jane"})
    };
    match kind {
        Kind::Access => common("Bearer", "pets-web", json!([KC_AUD, "account"])),
        Kind::Id => common("ID", "pets-web", json!("pets-web")),
        Kind::Machine => {
            let mut c = common("Bearer", "pets-batch", json!([KC_AUD, "account"]));
            c["preferred_username"] = json!("service-account-pets-batch");
            c["client_id"] = json!("pets-batch");
            c
        }
    }
}

/// Entra v2 claims \[E1\]\[E2\] (`scp` a space-separated string, app `roles`, `azp`, `tid`).
pub fn entra_claims(kind: Kind, tenant: &str, scp: &str, roles: &[&str]) -> Value {
    let t = now();
    let iss = format!("https://login.microsoftonline.com/{tenant}/v2.0");
    match kind {
        Kind::Access => {
            json!({"aud":ENTRA_AUD,"iss":iss,"iat":t,"nbf":t,"exp":t + 3600,"azp":ENTRA_CLIENT,"azpacr":"0",
            "name":"Abe Lincoln","oid":"690222be-ff1a-4d56-abd1-7e4f7d38e474","preferred_username":"abeli@microsoft.com",
            "scp":scp,"roles":roles,"sub":"HKZpfaHyWadeOouYlitjrI-KffTm222X5rrV3xDqfKQ","tid":tenant,
            "uti":"fqiBqXLPj0eQa82S-IYFAA","ver":"2.0"})
        }
        Kind::Id => json!({"aud":ENTRA_CLIENT,"iss":iss,"iat":t,"nbf":t,"exp":t + 3600,"name":"Abe Lincoln",
            "oid":"690222be-ff1a-4d56-abd1-7e4f7d38e474","preferred_username":"abeli@microsoft.com",
            "sub":"pairwise-sub","tid":tenant,"uti":"id-uti","ver":"2.0"}),
        Kind::Machine => json!({"aud":ENTRA_AUD,"iss":iss,"iat":t,"nbf":t,"exp":t + 3600,"azp":ENTRA_CLIENT,
            "azpacr":"1","idtyp":"app","oid":"svc-principal","roles":roles,"sub":"svc-principal","tid":tenant,
            "uti":"m-uti","ver":"2.0"}),
    }
}

/// Entra v1 access token claims \[E1\] (`iss` `https://sts.windows.net/{tid}/`, `appid`).
pub fn entra_v1_claims(scp: &str) -> Value {
    let t = now();
    json!({"aud":ENTRA_AUD,"iss":ENTRA_V1_ISS,"iat":t,"nbf":t,"exp":t + 3600,"acr":"1","amr":["wia"],
        "appid":ENTRA_CLIENT,"appidacr":"0","oid":"02223b6b-aa1d-42d4-9ec0-1b2bb9194438","scp":scp,
        "sub":"l3_roISQU222bULS9yi2k0XpqpOiMz5H3ZACo1GeXA","tid":ENTRA_TENANT,"unique_name":"abeli@microsoft.com",
        "uti":"FVsGxYXI30-TuikuuUoFAA","ver":"1.0"})
}

/// Cognito and Okta headers have no `typ`; Keycloak and Entra say `JWT` (Entra v1 adds `x5t`).
pub fn sign_cognito(claims: Value) -> String {
    TokenBuilder::new(claims).sign(&idp_keys().cognito)
}

/// An Okta token (no `typ`).
pub fn sign_okta(claims: Value) -> String {
    TokenBuilder::new(claims).sign(&idp_keys().okta)
}

/// A Keycloak token (`typ: JWT`).
pub fn sign_keycloak(claims: Value) -> String {
    TokenBuilder::new(claims)
        .header("typ", json!("JWT"))
        .sign(&idp_keys().keycloak)
}

/// An Entra token (`typ: JWT`; `x5t` = `kid` as v1 tokens carry it).
pub fn sign_entra(claims: Value) -> String {
    let key = &idp_keys().entra;
    TokenBuilder::new(claims)
        .header("typ", json!("JWT"))
        .header("x5t", json!(key.kid()))
        .sign(key)
}
