//! The policy file as data: what a person writes, in TOML or JSON.
//!
//! This module reads and writes the format only. Meaning is given to it by
//! [`crate::Engine::compile`]; nothing here validates cross-references. Build a
//! [`PolicySource`] field by field and wrap it with [`crate::LoadedPolicy::from_source`], or
//! read a file with [`crate::LoadedPolicy::from_path`].

mod lambda;
pub(crate) mod load;
mod server;
mod settings;
pub(crate) mod spans;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use lambda::{LambdaEventKind, LambdaHttpResponse, LambdaPolicyResources, LambdaSource};
pub use server::{IdentityHeaderNames, OriginalRequestHeaders, ServerSource};
pub use settings::{CorsPreflight, IdentityCacheSource, JwksFetchSource, SettingsSource, Unmatched};

/// How a placeholder value starts: `"<fill in: WHAT>"`. `scopegate import` writes one wherever
/// its source leaves a value open (an issuer URL, a Cognito authorizer's app client ids), and
/// the compiler rejects every issuer field that still holds one, naming the field and what to
/// put there, so a half-imported policy can never be used by mistake.
pub const PLACEHOLDER_PREFIX: &str = "<fill in";

/// The placeholder for a value the policy author must fill in: `"<fill in: WHAT>"`.
pub fn placeholder(what: &str) -> String {
    format!("{PLACEHOLDER_PREFIX}: {what}>")
}

/// A whole policy file, as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySource {
    /// Format version; only `1` exists.
    pub version: u32,
    /// Engine-wide settings.
    #[serde(default)]
    pub settings: SettingsSource,
    /// Trusted token issuers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issuers: Vec<IssuerSource>,
    /// Route requirements.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<RouteSource>,
    /// Settings for the API Gateway Lambda authorizer adapter; the engine ignores them.
    #[serde(default, skip_serializing_if = "LambdaSource::is_default")]
    pub lambda: LambdaSource,
    /// Settings for the `scopegate serve` sidecar; the engine ignores them.
    #[serde(default, skip_serializing_if = "ServerSource::is_default")]
    pub server: ServerSource,
}

/// The identity provider family an issuer belongs to; it sets claim names and token rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ProfileName {
    /// WSO2 Asgardeo.
    Asgardeo,
    /// FusionAuth.
    Fusionauth,
    /// Auth0.
    Auth0,
    /// Amazon Cognito user pools.
    Cognito,
    /// Okta (custom or org authorization server).
    Okta,
    /// Keycloak.
    Keycloak,
    /// Microsoft Entra ID (v1 or v2 access tokens, single or multi-tenant).
    Entra,
    /// Any OpenID Connect provider.
    #[default]
    Generic,
}

impl ProfileName {
    /// The name as written in a policy file.
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileName::Asgardeo => "asgardeo",
            ProfileName::Fusionauth => "fusionauth",
            ProfileName::Auth0 => "auth0",
            ProfileName::Cognito => "cognito",
            ProfileName::Okta => "okta",
            ProfileName::Keycloak => "keycloak",
            ProfileName::Entra => "entra",
            ProfileName::Generic => "generic",
        }
    }
}

/// One `[[issuers]]` entry.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerSource {
    /// Name used by routes (`issuer:ID`, `issuers = [..]`) and in decisions.
    pub id: String,
    /// Claim and token conventions.
    #[serde(default)]
    pub profile: ProfileName,
    /// The exact `iss` value. Derived by the profile from its own fields when absent (`org`,
    /// `domain`, `region` + `user_pool_id`, `base_url` + `realm`, `tenant`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Asgardeo organisation name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    /// Auth0 tenant domain, or Okta org domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Okta authorization server id (default `default`); `org` is the org authorization server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_server: Option<String>,
    /// Cognito: the AWS region of the user pool (`us-east-1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Cognito user pool id (`us-east-1_AbCdEf123`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_pool_id: Option<String>,
    /// Keycloak server URL (`https://sso.example.com`; with `/auth` for servers before 17).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Keycloak realm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realm: Option<String>,
    /// Entra tenant id, or `common` / `organizations` for a multi-tenant app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Entra access token version the API's manifest asks for: 1 or 2 (default 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_version: Option<u8>,
    /// Entra multi-tenant apps: the tenant ids (`tid`) whose tokens are accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_tenants: Option<Vec<String>>,
    /// Accepted audiences; a token must carry at least one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audiences: Vec<String>,
    /// Accepted signature algorithms (defaults come from the profile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithms: Option<Vec<String>>,
    /// A JWKS file, relative to the policy file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_file: Option<PathBuf>,
    /// A JWKS document written inline (a table, or a JSON string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<InlineJwks>,
    /// A JWKS URL (fetched over the network).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// Environment variable holding an HMAC secret (enables HS256/384/512 for this issuer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hmac_secret_env: Option<String>,
    /// How the `hmac_secret_env` value is written (default `utf8`: its bytes as they are).
    #[serde(default, skip_serializing_if = "HmacSecretEncoding::is_default")]
    pub hmac_secret_encoding: HmacSecretEncoding,
    /// Claims that carry scopes (string, space separated, or array).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_claims: Option<Vec<String>>,
    /// Claims that carry roles (string or array).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_claims: Option<Vec<String>>,
    /// Auth0 shorthand: the namespaced roles claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles_claim: Option<String>,
    /// Claims that name the client application, first present wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_claims: Option<Vec<String>>,
    /// Claims checked against `audiences`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience_claims: Option<Vec<String>>,
    /// Claims holding per-client roles, `{"CLIENT": {"roles": [..]}}` (Keycloak's
    /// `resource_access`); each role is read as `CLIENT/NAME`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_role_claims: Option<Vec<String>>,
    /// Claims that must hold these exact strings for an access token (Cognito
    /// `token_use = "access"`, Keycloak `typ = "Bearer"`); else `wrong_token_type`. `{}` checks
    /// none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_claims: Option<BTreeMap<String, String>>,
    /// Accepted header `typ` values; empty accepts any, including none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_types: Option<Vec<String>>,
    /// Scopes this issuer grants (optional): lets `check` find typos and unused scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_scopes: Option<Vec<String>>,
    /// Roles this issuer grants (optional): lets `check` find typos and unused roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_roles: Option<Vec<String>>,
}

/// How an HMAC secret is written in its environment variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HmacSecretEncoding {
    /// The variable's text, as UTF-8 bytes.
    #[default]
    Utf8,
    /// Standard base64 (padding optional).
    Base64,
    /// URL-safe base64 (padding optional).
    Base64url,
    /// Hexadecimal, either case.
    Hex,
}

impl HmacSecretEncoding {
    /// The name as written in a policy file.
    pub fn as_str(self) -> &'static str {
        match self {
            HmacSecretEncoding::Utf8 => "utf8",
            HmacSecretEncoding::Base64 => "base64",
            HmacSecretEncoding::Base64url => "base64url",
            HmacSecretEncoding::Hex => "hex",
        }
    }

    fn is_default(&self) -> bool {
        *self == HmacSecretEncoding::Utf8
    }
}

/// An inline JWKS: a table in TOML / an object in JSON, or the JSON text itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum InlineJwks {
    /// JSON text of a JWKS document.
    Text(String),
    /// A JWKS document as structured data.
    Document(BTreeMap<String, serde_json::Value>),
}

/// One `[[routes]]` entry.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSource {
    /// `METHOD /path`, or `$default`.
    pub route: String,
    /// A requirement expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require: Option<String>,
    /// Any one of these scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// Any one of these roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// Only tokens from these issuer ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuers: Option<Vec<String>>,
    /// `"anonymous"`: no token needed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow: Option<AllowSource>,
    /// Free text for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `allow = ".."` on a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AllowSource {
    /// Like an API Gateway route without an authorizer.
    Anonymous,
}

impl PolicySource {
    /// Writes the model as TOML.
    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        toml::to_string(self)
    }

    /// Writes the model as pretty JSON.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Format, LoadedPolicy, PolicyError};

    const DESIGN_EXAMPLE: &str = r#"
version = 1
[settings]
leeway_seconds = 30
unmatched = "deny"
cors_preflight = "allow"

[[issuers]]
id = "asgardeo"
profile = "asgardeo"
org = "pharmacy"
audiences = ["CLIENT_ID"]

[[issuers]]
id = "auth0"
profile = "auth0"
domain = "pets.us.auth0.com"
audiences = ["https://pets.example.com"]
roles_claim = "https://pets.example.com/roles"

[[routes]]
route = "GET /user"
scopes = ["get_pharmacy_user"]

[[routes]]
route = "POST /pets/purchase"
require = "scope:pets:buy and not role:admin"

[[routes]]
route = "ANY /public/{proxy+}"
allow = "anonymous"
"#;

    #[test]
    fn reads_the_design_example() {
        let p = LoadedPolicy::parse(DESIGN_EXAMPLE, Format::Toml, "p.toml").unwrap();
        assert_eq!(p.source.issuers.len(), 2);
        assert_eq!(p.source.settings.cors_preflight, CorsPreflight::Allow);
        assert_eq!(p.source.issuers[1].profile, ProfileName::Auth0);
        assert_eq!(p.source.routes[2].allow, Some(AllowSource::Anonymous));
        assert_eq!(p.source.settings.identity_cache.capacity, 10_000);
    }

    #[test]
    fn lambda_table_is_optional_and_round_trips() {
        let p = LoadedPolicy::parse(DESIGN_EXAMPLE, Format::Toml, "p.toml").unwrap();
        assert_eq!(p.source.lambda, LambdaSource::default());
        assert!(!p.source.to_toml().unwrap().contains("[lambda]"));
        let text = "version = 1\n[lambda]\nevent = \"http-v2\"\nhttp_response = \"simple\"\npolicy_resources = \"method-arn\"\ntoken_query = \"access_token\"\ncontext_claims = [\"email\"]\n";
        let p = LoadedPolicy::parse(text, Format::Toml, "p.toml").unwrap().source;
        assert_eq!(p.lambda.event, LambdaEventKind::HttpV2);
        assert_eq!(p.lambda.http_response, LambdaHttpResponse::Simple);
        assert_eq!(p.lambda.policy_resources, LambdaPolicyResources::MethodArn);
        assert_eq!(p.lambda.token_header, "Authorization");
        assert_eq!(p.lambda.token_query.as_deref(), Some("access_token"));
        let again = LoadedPolicy::parse(&p.to_toml().unwrap(), Format::Toml, "t")
            .unwrap()
            .source;
        assert_eq!(p, again);
        assert!(LoadedPolicy::parse("version = 1\n[lambda]\ncache = 1\n", Format::Toml, "p").is_err());
    }

    #[test]
    fn toml_errors_name_file_line_column_and_expectation() {
        let text = "version = 1\n[[issuers]]\nid = \"a\"\naudience = [\"x\"]\n";
        let err = LoadedPolicy::parse(text, Format::Toml, "p.toml").unwrap_err();
        let PolicyError::Syntax { location, message } = err else {
            panic!("not syntax")
        };
        assert_eq!((location.line, location.column), (4, 1));
        assert!(message.contains("unknown field `audience`"), "{message}");
        assert!(message.contains("audiences"), "expected list missing: {message}");
    }

    #[test]
    fn json_errors_name_line_and_column() {
        let text = "{\n  \"version\": 1,\n  \"settings\": {\"unmatched\": \"maybe\"}\n}";
        let err = LoadedPolicy::parse(text, Format::Json, "p.json").unwrap_err();
        let PolicyError::Syntax { location, message } = err else {
            panic!("not syntax")
        };
        assert_eq!(location.line, 3);
        assert!(message.contains("unknown variant `maybe`"), "{message}");
    }

    #[test]
    fn toml_and_json_round_trip() {
        let p = LoadedPolicy::parse(DESIGN_EXAMPLE, Format::Toml, "p.toml")
            .unwrap()
            .source;
        let again = LoadedPolicy::parse(&p.to_toml().unwrap(), Format::Toml, "t")
            .unwrap()
            .source;
        assert_eq!(p, again);
        let json = LoadedPolicy::parse(&p.to_json().unwrap(), Format::Json, "j")
            .unwrap()
            .source;
        assert_eq!(p, json);
    }

    #[test]
    fn locates_values_for_later_diagnostics() {
        let p = LoadedPolicy::parse(DESIGN_EXAMPLE, Format::Toml, "p.toml").unwrap();
        let loc = p.locate_value("scope:pets:buy and not role:admin", 0).unwrap();
        assert_eq!(loc.line, 27);
        assert_eq!(loc.column, 12);
    }
}
