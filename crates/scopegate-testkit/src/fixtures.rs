//! The shared test fixtures: three issuers shaped like Asgardeo (the pharmacy API), Auth0 (the
//! pets API) and FusionAuth, with keys generated once per process; the policy text that trusts
//! them; token claims and tokens in each issuer's shape; and small renderers for the
//! single-issuer policies the adapter and network tests write.
//!
//! Everything here is plain data and text: no `scopegate` types (this crate is a
//! dev-dependency of `scopegate`), so each test parses and compiles the text itself.

use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::{TestKey, TokenBuilder, jwks, now};

/// Issuer of the Asgardeo tokens (organisation `pharmacy`).
pub const ASG_ISS: &str = "https://api.asgardeo.io/t/pharmacy/oauth2/token";
/// Audience (client id) of the Asgardeo tokens.
pub const ASG_AUD: &str = "pharmacy-client";
/// Issuer of the Auth0 tokens.
pub const A0_ISS: &str = "https://pets.us.auth0.com/";
/// The Auth0 tenant domain (`profile = "auth0"` derives [`A0_ISS`] from it).
pub const A0_DOMAIN: &str = "pets.us.auth0.com";
/// Audience (API identifier) of the Auth0 tokens.
pub const A0_AUD: &str = "https://pets.example.com";
/// The namespaced roles claim of the Auth0 tokens.
pub const A0_ROLES: &str = "https://pets.example.com/roles";
/// Issuer of the FusionAuth tokens (the product default).
pub const FA_ISS: &str = "acme.com";
/// Audience (application id) of the FusionAuth tokens.
pub const FA_AUD: &str = "85a03867-dccf-4882-adde-1a79aeec50df";
/// The FusionAuth HMAC secret.
pub const FA_SECRET: &str = "fusion-secret-0123456789abcdef-0123456789";
/// The variable [`pharmacy_policy_text`] reads [`FA_SECRET`] from (`with_secret`).
pub const FA_SECRET_ENV: &str = "FUSION_SECRET";
/// Issuer URL of the single-issuer policies ([`idp_issuer`]).
pub const IDP_ISS: &str = "https://idp.example";
/// Audience of the single-issuer policies.
pub const IDP_AUD: &str = "api";

/// The fixture's signing keys.
pub struct Keys {
    /// Asgardeo's RSA key as `…_RS256`.
    pub asg_rs: TestKey,
    /// The same RSA key as `…_PS256` (Asgardeo lists both).
    pub asg_ps: TestKey,
    /// Auth0's RSA key (RS256).
    pub auth0: TestKey,
    /// FusionAuth's P-256 key (ES256).
    pub fusion: TestKey,
    /// FusionAuth's HMAC key ([`FA_SECRET`], HS256).
    pub fusion_hmac: TestKey,
}

/// The keys, generated once per process.
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

/// The policy line `jwks = '''{…}'''` publishing these keys inline.
pub fn jwks_inline(keys: &[&TestKey]) -> String {
    format!("jwks = '''{}'''", jwks(keys))
}

/// A TOML string value (quoted and escaped as JSON, which TOML basic strings accept).
fn quoted(s: &str) -> String {
    Value::from(s).to_string()
}

/// A TOML array of strings.
fn string_array(items: &[&str]) -> String {
    Value::from(items.to_vec()).to_string()
}

/// An `[[issuers]]` table: `fields` as `name = "value"` in order, then `extra` lines as given.
pub fn issuer_table(fields: &[(&str, &str)], extra: &[&str]) -> String {
    let mut text = String::from("\n[[issuers]]\n");
    for (name, value) in fields {
        text.push_str(&format!("{name} = {}\n", quoted(value)));
    }
    for line in extra {
        text.push_str(line);
        text.push('\n');
    }
    text
}

/// The Asgardeo issuer `asgardeo` (organisation `pharmacy`, audience [`ASG_AUD`]) with its
/// key lines.
pub fn asgardeo_issuer(extra: &[&str]) -> String {
    let audiences = format!("audiences = {}", string_array(&[ASG_AUD]));
    issuer_table(
        &[("id", "asgardeo"), ("profile", "asgardeo"), ("org", "pharmacy")],
        &[&[audiences.as_str()], extra].concat(),
    )
}

/// The Auth0 issuer `auth0` of the pets API ([`A0_DOMAIN`], audience [`A0_AUD`], roles in
/// [`A0_ROLES`]) with its key lines (`jwks = …`, `jwks_file = …`).
pub fn auth0_issuer(extra: &[&str]) -> String {
    let audiences = format!("audiences = {}", string_array(&[A0_AUD]));
    let roles = format!("roles_claim = {}", quoted(A0_ROLES));
    issuer_table(
        &[("id", "auth0"), ("profile", "auth0"), ("domain", A0_DOMAIN)],
        &[&[audiences.as_str(), roles.as_str()], extra].concat(),
    )
}

/// The FusionAuth issuer `fusion` ([`FA_ISS`]) for `audience`, with its key lines.
pub fn fusion_issuer(audience: &str, extra: &[&str]) -> String {
    let audiences = format!("audiences = {}", string_array(&[audience]));
    issuer_table(
        &[("id", "fusion"), ("profile", "fusionauth"), ("issuer", FA_ISS)],
        &[&[audiences.as_str()], extra].concat(),
    )
}

/// A plain OIDC issuer `id` at `iss` for one `audience`, with its key lines.
pub fn plain_issuer(id: &str, iss: &str, audience: &str, extra: &[&str]) -> String {
    let audiences = format!("audiences = {}", string_array(&[audience]));
    issuer_table(&[("id", id), ("issuer", iss)], &[&[audiences.as_str()], extra].concat())
}

/// The single issuer `id` at [`IDP_ISS`] for [`IDP_AUD`], with its key lines.
pub fn idp_issuer(id: &str, extra: &[&str]) -> String {
    plain_issuer(id, IDP_ISS, IDP_AUD, extra)
}

/// A policy trusting issuer `id` at [`IDP_ISS`] (audience [`IDP_AUD`]) whose keys are fetched
/// from `jwks_uri`, with `settings` (e.g. `[settings.jwks]` and its lines) after `version = 1`,
/// and `routes_list` as [`routes`].
pub fn jwks_uri_policy_text(settings: &str, id: &str, jwks_uri: &str, routes_list: &[(&str, Rule<'_>)]) -> String {
    let source = format!("jwks_uri = {}", quoted(jwks_uri));
    format!(
        "version = 1\n{settings}\n{}{}",
        idp_issuer(id, &[&source]),
        routes(routes_list)
    )
}

/// What a route requires, as a policy writes it.
#[derive(Debug, Clone, Copy)]
pub enum Rule<'a> {
    /// `allow = "anonymous"`.
    Anonymous,
    /// `require = "authenticated"`.
    Authenticated,
    /// `require = "<expression>"`.
    Require(&'a str),
    /// `scopes = [...]`.
    Scopes(&'a [&'a str]),
    /// `issuers = [...]` (any token from these issuers).
    Issuers(&'a [&'a str]),
}

impl Rule<'_> {
    fn line(&self) -> String {
        match self {
            Rule::Anonymous => "allow = \"anonymous\"".into(),
            Rule::Authenticated => "require = \"authenticated\"".into(),
            Rule::Require(expr) => format!("require = {}", quoted(expr)),
            Rule::Scopes(scopes) => format!("scopes = {}", string_array(scopes)),
            Rule::Issuers(ids) => format!("issuers = {}", string_array(ids)),
        }
    }
}

/// `[[routes]]` tables, one per `(route key, rule)`, in order.
pub fn routes(list: &[(&str, Rule<'_>)]) -> String {
    list.iter()
        .map(|(key, rule)| format!("\n[[routes]]\nroute = {}\n{}\n", quoted(key), rule.line()))
        .collect()
}

/// The pets API's routes (the Auth0 guide): list anonymously, create as admin, buy with
/// `pets:buy` unless admin, read one pet when authenticated.
pub const PETS_ROUTES: [(&str, Rule<'static>); 4] = [
    ("GET /pets", Rule::Anonymous),
    ("POST /pets", Rule::Require("role:admin")),
    (
        "POST /pets/purchase",
        Rule::Require("scope:pets:buy and not role:admin"),
    ),
    ("GET /pets/{id}", Rule::Authenticated),
];

/// The routes of [`pharmacy_policy_text`] after `GET /user` and [`PETS_ROUTES`].
const PHARMACY_EXTRA_ROUTES: [(&str, Rule<'static>); 3] = [
    (
        "DELETE /pets/{id}",
        Rule::Require("role:admin and client:admin-console"),
    ),
    ("GET /claims", Rule::Issuers(&["fusion"])),
    ("ANY /public/{proxy+}", Rule::Anonymous),
];

/// The three-issuer policy of the IdP guides: Asgardeo (`GET /user` with
/// `get_pharmacy_user`), Auth0 (the pets routes) and FusionAuth (`GET /claims`, also HMAC with
/// the secret in [`FA_SECRET_ENV`]); 30 s leeway, CORS preflights allowed.
pub fn pharmacy_policy_text() -> String {
    let k = keys();
    let mut text = String::from("version = 1\n[settings]\nleeway_seconds = 30\ncors_preflight = \"allow\"\n");
    text.push_str(&asgardeo_issuer(&[&jwks_inline(&[&k.asg_rs, &k.asg_ps])]));
    text.push_str(&auth0_issuer(&[&jwks_inline(&[&k.auth0])]));
    let secret = format!("hmac_secret_env = {}", quoted(FA_SECRET_ENV));
    text.push_str(&fusion_issuer(FA_AUD, &[&jwks_inline(&[&k.fusion]), &secret]));
    text.push_str(&routes(&[("GET /user", Rule::Scopes(&["get_pharmacy_user"]))]));
    text.push_str(&routes(&PETS_ROUTES));
    text.push_str(&routes(&PHARMACY_EXTRA_ROUTES));
    text
}

/// Claims of an Asgardeo access token granting `scope` (valid for an hour).
pub fn asgardeo_claims(scope: &str) -> Value {
    let t = now();
    json!({"sub":"32bc4697-ed0f-4546-8387-dcd6403e7caa","aut":"APPLICATION_USER","iss":ASG_ISS,
        "client_id":ASG_AUD,"azp":ASG_AUD,"aud":ASG_AUD,"scope":scope,"org_name":"pharmacy",
        "nbf":t,"iat":t,"exp":t + 3600,"jti":"9fac7747"})
}

/// Claims of an Auth0 access token granting `scope` and `roles` (valid for an hour).
pub fn auth0_claims(scope: &str, roles: &[&str]) -> Value {
    let t = now();
    json!({"iss":A0_ISS,"sub":"auth0|602c0dcab993d10073daf680","aud":[A0_AUD,"https://pets.us.auth0.com/userinfo"],
        "iat":t,"exp":t + 3600,"azp":"spa-client","scope":scope, A0_ROLES: roles})
}

/// Claims of a FusionAuth access token with `roles` (valid for an hour).
pub fn fusion_claims(roles: &[&str]) -> Value {
    let t = now();
    json!({"aud":FA_AUD,"exp":t + 3600,"iat":t,"iss":FA_ISS,"sub":"00000000-0000-0000-0000-111111111111",
        "authenticationType":"PASSWORD","email":"richard@example.com","applicationId":FA_AUD,
        "scope":"offline_access profile openid","roles":roles,"tid":"d7d09513"})
}

/// [`asgardeo_claims`] signed by Asgardeo's RS256 key (`typ: at+jwt`).
pub fn asgardeo_token(scope: &str) -> String {
    TokenBuilder::new(asgardeo_claims(scope))
        .header("typ", json!("at+jwt"))
        .sign(&keys().asg_rs)
}

/// [`auth0_claims`] signed by Auth0's key (`typ: JWT`).
pub fn auth0_token(scope: &str, roles: &[&str]) -> String {
    a0b(auth0_claims(scope, roles)).sign(&keys().auth0)
}

/// [`fusion_claims`] signed by FusionAuth's ES256 key (`typ: JWT`, `gty` header array).
pub fn fusion_token(roles: &[&str]) -> String {
    TokenBuilder::new(fusion_claims(roles))
        .header("typ", json!("JWT"))
        .header("gty", json!(["authorization_code"]))
        .sign(&keys().fusion)
}

/// A builder for Auth0-shaped tokens (`typ: JWT`, which the auth0 profile requires).
pub fn a0b(claims: Value) -> TokenBuilder {
    TokenBuilder::new(claims).header("typ", json!("JWT"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renderers_write_plain_toml() {
        assert_eq!(
            idp_issuer("x", &["jwks_uri = \"u\""]),
            "\n[[issuers]]\nid = \"x\"\nissuer = \"https://idp.example\"\naudiences = [\"api\"]\njwks_uri = \"u\"\n"
        );
        assert_eq!(
            routes(&[("GET /a/{id}", Rule::Scopes(&["a:read", "b"]))]),
            "\n[[routes]]\nroute = \"GET /a/{id}\"\nscopes = [\"a:read\",\"b\"]\n"
        );
        assert!(pharmacy_policy_text().contains("hmac_secret_env = \"FUSION_SECRET\""));
    }
}
