//! Shared fixture: three issuers shaped like Asgardeo, Auth0 and FusionAuth, with keys
//! generated in the test process, and the seed routes of the IdP guides.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::OnceLock;

use scopegate::{AuthRequest, Decision, Engine, Format, LoadedPolicy};
use scopegate_testkit::{TestKey, TokenBuilder, jwks, now};
use serde_json::{Value, json};

pub const ASG_ISS: &str = "https://api.asgardeo.io/t/pharmacy/oauth2/token";
pub const ASG_AUD: &str = "pharmacy-client";
pub const A0_ISS: &str = "https://pets.us.auth0.com/";
pub const A0_AUD: &str = "https://pets.example.com";
pub const A0_ROLES: &str = "https://pets.example.com/roles";
pub const FA_ISS: &str = "acme.com";
pub const FA_AUD: &str = "85a03867-dccf-4882-adde-1a79aeec50df";
pub const FA_SECRET: &str = "fusion-secret-0123456789abcdef-0123456789";

pub struct Keys {
    pub asg_rs: TestKey,
    pub asg_ps: TestKey,
    pub auth0: TestKey,
    pub fusion: TestKey,
    pub fusion_hmac: TestKey,
}

pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let asg_rs = TestKey::rsa("OWJmNzgyNTNhMGNi_RS256", "RS256");
        let asg_ps = asg_rs.alias("OWJmNzgyNTNhMGNi_PS256", "PS256");
        Keys {
            asg_rs,
            asg_ps,
            auth0: TestKey::rsa("Iw0NsTIfEuaHkhVcz7d2D", "RS256"),
            fusion: TestKey::es256("Xoq7kK3eIXryYmi50ZOvg2bcceM"),
            fusion_hmac: TestKey::hmac(FA_SECRET.as_bytes(), "HS256"),
        }
    })
}

pub fn policy_text() -> String {
    let k = keys();
    format!(
        r#"
version = 1
[settings]
leeway_seconds = 30
cors_preflight = "allow"

[[issuers]]
id = "asgardeo"
profile = "asgardeo"
org = "pharmacy"
audiences = ["{ASG_AUD}"]
jwks = '''{asg}'''

[[issuers]]
id = "auth0"
profile = "auth0"
domain = "pets.us.auth0.com"
audiences = ["{A0_AUD}"]
roles_claim = "{A0_ROLES}"
jwks = '''{a0}'''

[[issuers]]
id = "fusion"
profile = "fusionauth"
issuer = "{FA_ISS}"
audiences = ["{FA_AUD}"]
jwks = '''{fa}'''
hmac_secret_env = "FUSION_SECRET"

[[routes]]
route = "GET /user"
scopes = ["get_pharmacy_user"]

[[routes]]
route = "GET /pets"
allow = "anonymous"

[[routes]]
route = "POST /pets"
require = "role:admin"

[[routes]]
route = "POST /pets/purchase"
require = "scope:pets:buy and not role:admin"

[[routes]]
route = "GET /pets/{{id}}"
require = "authenticated"

[[routes]]
route = "DELETE /pets/{{id}}"
require = "role:admin and client:admin-console"

[[routes]]
route = "GET /claims"
issuers = ["fusion"]

[[routes]]
route = "ANY /public/{{proxy+}}"
allow = "anonymous"
"#,
        asg = jwks(&[&k.asg_rs, &k.asg_ps]),
        a0 = jwks(&[&k.auth0]),
        fa = jwks(&[&k.fusion]),
    )
}

pub fn loaded() -> LoadedPolicy {
    LoadedPolicy::parse(&policy_text(), Format::Toml, "fixture.toml")
        .expect("fixture parses")
        .with_secret("FUSION_SECRET", FA_SECRET)
}

pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::compile(&loaded()).expect("fixture compiles").engine)
}

/// A fresh engine (own identity cache).
pub fn fresh_engine() -> Engine {
    Engine::compile(&loaded()).expect("fixture compiles").engine
}

pub fn asgardeo_claims(scope: &str) -> Value {
    let t = now();
    json!({"sub":"32bc4697-ed0f-4546-8387-dcd6403e7caa","aut":"APPLICATION_USER","iss":ASG_ISS,
        "client_id":ASG_AUD,"azp":ASG_AUD,"aud":ASG_AUD,"scope":scope,"org_name":"pharmacy",
        "nbf":t,"iat":t,"exp":t + 3600,"jti":"9fac7747"})
}

pub fn auth0_claims(scope: &str, roles: &[&str]) -> Value {
    let t = now();
    json!({"iss":A0_ISS,"sub":"auth0|602c0dcab993d10073daf680","aud":[A0_AUD,"https://pets.us.auth0.com/userinfo"],
        "iat":t,"exp":t + 3600,"azp":"spa-client","scope":scope, A0_ROLES: roles})
}

pub fn fusion_claims(roles: &[&str]) -> Value {
    let t = now();
    json!({"aud":FA_AUD,"exp":t + 3600,"iat":t,"iss":FA_ISS,"sub":"00000000-0000-0000-0000-111111111111",
        "authenticationType":"PASSWORD","email":"richard@example.com","applicationId":FA_AUD,
        "scope":"offline_access profile openid","roles":roles,"tid":"d7d09513"})
}

pub fn asgardeo_token(scope: &str) -> String {
    TokenBuilder::new(asgardeo_claims(scope))
        .header("typ", json!("at+jwt"))
        .sign(&keys().asg_rs)
}

pub fn auth0_token(scope: &str, roles: &[&str]) -> String {
    TokenBuilder::new(auth0_claims(scope, roles))
        .header("typ", json!("JWT"))
        .sign(&keys().auth0)
}

pub fn fusion_token(roles: &[&str]) -> String {
    TokenBuilder::new(fusion_claims(roles))
        .header("typ", json!("JWT"))
        .header("gty", json!(["authorization_code"]))
        .sign(&keys().fusion)
}

pub fn decide(method: &str, path: &str, token: &str) -> Decision {
    engine().decide(&AuthRequest::new(method, path).token(token))
}

pub fn code(d: &Decision) -> &'static str {
    d.reason_code().map_or("allow", |c| c.as_str())
}

/// A builder for Auth0-shaped tokens (`typ: JWT`, which the auth0 profile requires).
pub fn a0b(claims: Value) -> TokenBuilder {
    TokenBuilder::new(claims).header("typ", json!("JWT"))
}
