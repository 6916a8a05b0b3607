//! Shared pieces of the runnable examples: the bundled development keys and token shapes
//! like the ones Asgardeo, Auth0, FusionAuth and Cognito issue.
//!
//! The keys in `examples/keys/` are public test keys. Never trust them anywhere real.

use std::path::PathBuf;

pub mod services;

use scopegate_testkit::{KeyError, TestKey, TokenBuilder, now};
use serde_json::{Value, json};

/// The folder holding `keys/` and `policies/`.
pub fn examples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A bundled development key, as the matching JWKS file names it.
pub struct DevKey {
    /// File stem in `examples/keys/`.
    pub name: &'static str,
    /// The key id published in the JWKS.
    pub kid: &'static str,
    /// The signing algorithm.
    pub alg: &'static str,
}

/// The bundled issuers' keys.
pub const DEV_KEYS: [DevKey; 4] = [
    DevKey {
        name: "asgardeo",
        kid: "OWJmNzgyNTNhMGNiMzE1NGQ3ZjYxZTUz_RS256",
        alg: "RS256",
    },
    DevKey {
        name: "auth0",
        kid: "Iw0NsTIfEuaHkhVcz7d2D",
        alg: "RS256",
    },
    DevKey {
        name: "fusionauth",
        kid: "Xoq7kK3eIXryYmi50ZOvg2bcceM",
        alg: "ES256",
    },
    DevKey {
        name: "cognito",
        kid: "1234example=",
        alg: "RS256",
    },
];

/// Loads a bundled key by name.
pub fn dev_key(name: &str) -> Result<TestKey, KeyError> {
    let k = DEV_KEYS
        .iter()
        .find(|k| k.name == name)
        .ok_or_else(|| KeyError(format!("no dev key `{name}`")))?;
    let path = examples_dir().join("keys").join(format!("{}.key.pem", k.name));
    let pem = std::fs::read_to_string(&path).map_err(|e| KeyError(format!("{}: {e}", path.display())))?;
    TestKey::from_pkcs8_pem(k.kid, k.alg, &pem)
}

/// Issuer and audience of the bundled demo policy.
pub mod demo {
    /// Asgardeo organisation `pharmacy`.
    pub const ASGARDEO_ISS: &str = "https://api.asgardeo.io/t/pharmacy/oauth2/token";
    /// The pharmacy app's client id.
    pub const ASGARDEO_CLIENT: &str = "Wsoq8t4nHW80gSnPfyDvRbiC__Ea";
    /// Auth0 tenant for the pets API.
    pub const AUTH0_ISS: &str = "https://pets.us.auth0.com/";
    /// The pets API identifier.
    pub const AUTH0_AUD: &str = "https://pets.example.com";
    /// The namespaced roles claim set by an Auth0 Action.
    pub const AUTH0_ROLES: &str = "https://pets.example.com/roles";
    /// FusionAuth tenant issuer (the product default is `acme.com`).
    pub const FUSION_ISS: &str = "acme.com";
    /// FusionAuth application id.
    pub const FUSION_APP: &str = "85a03867-dccf-4882-adde-1a79aeec50df";
    /// Cognito user pool of the pharmacy's order service (`us-east-1`, pool `us-east-1_Ph4rm4cy`).
    pub const COGNITO_ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Ph4rm4cy";
    /// The Cognito app client id (checked against `client_id`: access tokens have no `aud`).
    pub const COGNITO_CLIENT: &str = "3n4b5urk1ft4fl3mg5e7tem8in";
}

/// An Asgardeo-shaped access token (`typ: at+jwt`, space-separated `scope`).
pub fn asgardeo_token(key: &TestKey, sub: &str, scope: &str) -> String {
    let t = now();
    TokenBuilder::new(json!({"sub":sub,"aut":"APPLICATION_USER","iss":demo::ASGARDEO_ISS,
        "client_id":demo::ASGARDEO_CLIENT,"azp":demo::ASGARDEO_CLIENT,"aud":demo::ASGARDEO_CLIENT,
        "scope":scope,"org_name":"pharmacy","nbf":t,"iat":t,"exp":t + 3600,"jti":"demo"}))
    .header("typ", json!("at+jwt"))
    .sign(key)
}

/// Auth0-shaped access token claims (aud array with `/userinfo`, namespaced roles).
pub fn auth0_claims(sub: &str, scope: &str, roles: &[&str]) -> Value {
    let t = now();
    json!({"iss":demo::AUTH0_ISS,"sub":sub,"aud":[demo::AUTH0_AUD,"https://pets.us.auth0.com/userinfo"],
        "iat":t,"exp":t + 3600,"azp":"pets-spa","scope":scope,demo::AUTH0_ROLES:roles})
}

/// Signs Auth0-shaped claims (`typ: JWT`).
pub fn auth0_token(key: &TestKey, claims: Value) -> String {
    TokenBuilder::new(claims).header("typ", json!("JWT")).sign(key)
}

/// A FusionAuth-shaped access token (`typ: JWT`, non-standard `gty` header array).
pub fn fusionauth_token(key: &TestKey, email: &str, roles: &[&str]) -> String {
    let t = now();
    TokenBuilder::new(
        json!({"aud":demo::FUSION_APP,"exp":t + 3600,"iat":t,"iss":demo::FUSION_ISS,
        "sub":"00000000-0000-0000-0000-111111111111","authenticationType":"PASSWORD","email":email,
        "email_verified":true,"applicationId":demo::FUSION_APP,"scope":"openid profile","roles":roles,
        "tid":"d7d09513-a3f5-401c-9685-34ab6c552453"}),
    )
    .header("typ", json!("JWT"))
    .header("gty", json!(["authorization_code"]))
    .sign(key)
}

/// A Cognito-shaped token (no header `typ`, no `aud` in access tokens): `token_use` is
/// `access` or `id` (an ID token names the app client in `aud` instead of `client_id`).
pub fn cognito_token(key: &TestKey, token_use: &str, scope: &str, groups: &[&str]) -> String {
    let t = now();
    let claims = json!({"sub":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","cognito:groups":groups,
        "token_use":token_use,"auth_time":t,"iss":demo::COGNITO_ISS,"exp":t + 3600,"iat":t,
        "jti":"demo-jti","origin_jti":"demo-origin","username":"janedoe"});
    let builder = TokenBuilder::new(claims);
    let builder = if token_use == "id" {
        builder
            .claim("aud", json!(demo::COGNITO_CLIENT))
            .claim("email", json!("janedoe@example.com"))
    } else {
        builder
            .claim("client_id", json!(demo::COGNITO_CLIENT))
            .claim("scope", json!(scope))
    };
    builder.sign(key)
}

/// Prints a `curl` command a reader can paste.
pub fn print_curl(method: &str, url: &str, token: Option<&str>) {
    match token {
        Some(t) => println!("  curl -i -X {method} {url} -H 'Authorization: Bearer {t}'"),
        None => println!("  curl -i -X {method} {url}"),
    }
}
