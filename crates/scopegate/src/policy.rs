//! The policy source model: the file a person writes, as data.
//!
//! This module only reads and writes the file format (TOML or JSON). Meaning is given to it by
//! [`crate::Engine::compile`]; nothing here validates cross-references.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

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
}

/// `[settings]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsSource {
    /// Clock skew tolerated for `exp`, `nbf` and `iat`.
    #[serde(default = "default_leeway")]
    pub leeway_seconds: u64,
    /// What happens to a request that matches no route.
    #[serde(default)]
    pub unmatched: Unmatched,
    /// Whether CORS preflight requests pass without a token.
    #[serde(default)]
    pub cors_preflight: CorsPreflight,
    /// Tokens longer than this are rejected before any parsing.
    #[serde(default = "default_max_token_bytes")]
    pub max_token_bytes: usize,
    /// The cache of verified tokens.
    #[serde(default)]
    pub identity_cache: IdentityCacheSource,
    /// How keys are fetched for issuers without offline keys.
    #[serde(default)]
    pub jwks: JwksFetchSource,
}

impl Default for SettingsSource {
    fn default() -> Self {
        SettingsSource {
            leeway_seconds: default_leeway(),
            unmatched: Unmatched::default(),
            cors_preflight: CorsPreflight::default(),
            max_token_bytes: default_max_token_bytes(),
            identity_cache: IdentityCacheSource::default(),
            jwks: JwksFetchSource::default(),
        }
    }
}

fn default_leeway() -> u64 {
    30
}

fn default_max_token_bytes() -> usize {
    16 * 1024
}

/// `[settings.jwks]`: fetching and refreshing keys over the network (OIDC discovery or
/// `jwks_uri`). Durations are seconds and may be fractional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwksFetchSource {
    /// Limit for establishing a connection.
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_seconds: f64,
    /// Limit for a whole request, body included.
    #[serde(default = "default_fetch_timeout")]
    pub timeout_seconds: f64,
    /// Larger responses are refused (API Gateway uses 150,000 bytes).
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: usize,
    /// Keys are kept this long when the response has no `Cache-Control: max-age`.
    #[serde(default = "default_jwks_ttl")]
    pub default_ttl_seconds: f64,
    /// Floor for `max-age`: a tiny or zero max-age cannot make us fetch on every request.
    #[serde(default = "default_min_ttl")]
    pub min_ttl_seconds: f64,
    /// Ceiling for `max-age`: rotations are picked up at least this often.
    #[serde(default = "default_max_ttl")]
    pub max_ttl_seconds: f64,
    /// After a fetch, an unknown `kid` causes no new fetch for this long (also the retry
    /// interval after a failed fetch).
    #[serde(default = "default_cooldown")]
    pub unknown_kid_cooldown_seconds: f64,
    /// When refreshing fails, the last good keys are used this long past their expiry;
    /// after that tokens fail with `keys_unavailable`.
    #[serde(default = "default_max_stale")]
    pub max_stale_seconds: f64,
    /// How many unknown `kid`s are remembered (per issuer) so they are rejected without a fetch.
    #[serde(default = "default_negative_capacity")]
    pub unknown_kid_capacity: u64,
}

impl Default for JwksFetchSource {
    fn default() -> Self {
        JwksFetchSource {
            connect_timeout_seconds: default_connect_timeout(),
            timeout_seconds: default_fetch_timeout(),
            max_body_bytes: default_max_body_bytes(),
            default_ttl_seconds: default_jwks_ttl(),
            min_ttl_seconds: default_min_ttl(),
            max_ttl_seconds: default_max_ttl(),
            unknown_kid_cooldown_seconds: default_cooldown(),
            max_stale_seconds: default_max_stale(),
            unknown_kid_capacity: default_negative_capacity(),
        }
    }
}

impl JwksFetchSource {
    /// Checks that every duration is a finite number in range and the TTL bounds are ordered.
    pub fn check(&self) -> Result<(), String> {
        let durations = [
            ("connect_timeout_seconds", self.connect_timeout_seconds, 0.001),
            ("timeout_seconds", self.timeout_seconds, 0.001),
            ("default_ttl_seconds", self.default_ttl_seconds, 0.0),
            ("min_ttl_seconds", self.min_ttl_seconds, 0.0),
            ("max_ttl_seconds", self.max_ttl_seconds, 0.0),
            ("unknown_kid_cooldown_seconds", self.unknown_kid_cooldown_seconds, 0.0),
            ("max_stale_seconds", self.max_stale_seconds, 0.0),
        ];
        for (name, value, min) in durations {
            if !(min..=31_536_000.0).contains(&value) {
                return Err(format!(
                    "`{name}` must be between {min} and 31536000 seconds, not {value}"
                ));
            }
        }
        if self.min_ttl_seconds > self.max_ttl_seconds {
            return Err("`min_ttl_seconds` is larger than `max_ttl_seconds`".into());
        }
        if self.max_body_bytes == 0 || self.max_body_bytes > 16 << 20 {
            return Err("`max_body_bytes` must be between 1 and 16777216".into());
        }
        Ok(())
    }
}

fn default_connect_timeout() -> f64 {
    2.0
}
fn default_fetch_timeout() -> f64 {
    5.0
}
fn default_max_body_bytes() -> usize {
    150_000
}
fn default_jwks_ttl() -> f64 {
    600.0
}
fn default_min_ttl() -> f64 {
    60.0
}
fn default_max_ttl() -> f64 {
    86_400.0
}
fn default_cooldown() -> f64 {
    30.0
}
fn default_max_stale() -> f64 {
    3_600.0
}
fn default_negative_capacity() -> u64 {
    1_024
}

/// `[settings.identity_cache]`: verified tokens are remembered until they expire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityCacheSource {
    /// Maximum number of remembered tokens; `0` turns the cache off.
    #[serde(default = "default_cache_capacity")]
    pub capacity: u64,
    /// Upper bound on how long a token is remembered (never past its `exp`).
    #[serde(default = "default_cache_ttl")]
    pub ttl_seconds: u64,
}

impl Default for IdentityCacheSource {
    fn default() -> Self {
        IdentityCacheSource {
            capacity: default_cache_capacity(),
            ttl_seconds: default_cache_ttl(),
        }
    }
}

fn default_cache_capacity() -> u64 {
    10_000
}

fn default_cache_ttl() -> u64 {
    300
}

/// `settings.unmatched`: the answer for a request that matches no route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unmatched {
    /// 403 `no_route`.
    #[default]
    Deny,
    /// Any valid token is allowed.
    AllowAuthenticated,
}

/// `settings.cors_preflight`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CorsPreflight {
    /// Preflights are decided like any other request.
    #[default]
    Enforce,
    /// `OPTIONS` with `Origin` and `Access-Control-Request-Method` passes without a token.
    Allow,
}

/// `[lambda]`: how the API Gateway Lambda authorizer (`scopegate-lambda`) reads events and
/// writes answers. Plain data: the engine never looks at it; the adapter gives it meaning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LambdaSource {
    /// Which event shape to expect; `auto` detects it from the JSON.
    #[serde(default)]
    pub event: LambdaEventKind,
    /// Response to HTTP API payload 2.0 events: an IAM policy, or `{isAuthorized, context}`
    /// (`enableSimpleResponses`).
    #[serde(default)]
    pub http_response: LambdaHttpResponse,
    /// What an IAM policy's statements cover: every route the identity may call (safe with
    /// authorizer caching), or only the incoming method ARN (for a cache TTL of 0).
    #[serde(default)]
    pub policy_resources: LambdaPolicyResources,
    /// Header that carries the token in REQUEST and HTTP API events (case-insensitive).
    #[serde(default = "default_token_header")]
    pub token_header: String,
    /// Query parameter that carries the token instead of `token_header`, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_query: Option<String>,
    /// Verified claims copied into the authorizer `context`, under their own names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub context_claims: Vec<String>,
}

impl Default for LambdaSource {
    fn default() -> Self {
        LambdaSource {
            event: LambdaEventKind::default(),
            http_response: LambdaHttpResponse::default(),
            policy_resources: LambdaPolicyResources::default(),
            token_header: default_token_header(),
            token_query: None,
            context_claims: Vec::new(),
        }
    }
}

impl LambdaSource {
    /// True when nothing differs from the defaults (the table is then not written out).
    pub fn is_default(&self) -> bool {
        *self == LambdaSource::default()
    }
}

fn default_token_header() -> String {
    "Authorization".to_string()
}

/// `lambda.event`: the authorizer event shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LambdaEventKind {
    /// Detected from each event's `version` and `type`.
    #[default]
    Auto,
    /// REST API `TOKEN` authorizer.
    Token,
    /// REST API `REQUEST` authorizer.
    Request,
    /// HTTP API authorizer, payload format 1.0.
    HttpV1,
    /// HTTP API authorizer, payload format 2.0.
    HttpV2,
}

/// `lambda.http_response`: the answer to HTTP API payload 2.0 events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LambdaHttpResponse {
    /// An IAM policy (cache-safe like REST answers).
    #[default]
    Iam,
    /// `{isAuthorized, context}`: one answer for the whole API while it is cached.
    Simple,
}

/// `lambda.policy_resources`: what the statements of an IAM policy answer cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LambdaPolicyResources {
    /// Every route of the policy the identity may call (correct when the answer is cached).
    #[default]
    Routes,
    /// Only the incoming method or route ARN (correct only with a cache TTL of 0).
    MethodArn,
}

/// The identity provider family an issuer belongs to; it sets claim names and token rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProfileName {
    /// WSO2 Asgardeo.
    Asgardeo,
    /// FusionAuth.
    Fusionauth,
    /// Auth0.
    Auth0,
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
    /// The exact `iss` value. Derived from `org` (Asgardeo) or `domain` (Auth0) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Asgardeo organisation name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    /// Auth0 tenant domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
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

/// Which syntax a policy text is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// TOML (the default).
    Toml,
    /// JSON.
    Json,
}

impl Format {
    /// `.json` files are JSON; everything else is TOML.
    pub fn for_path(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("json") => Format::Json,
            _ => Format::Toml,
        }
    }
}

/// A position in a policy file, for diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file, or `<inline>`.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// A policy file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The file could not be opened.
    #[error("{file}: cannot read policy: {source}")]
    Io {
        /// The path.
        file: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The text is not a valid policy document.
    #[error("{location}: error: {message}")]
    Syntax {
        /// Where the parser stopped.
        location: Location,
        /// What was expected.
        message: String,
    },
}

/// A policy source together with where it came from, so that later stages can point into it.
#[derive(Debug, Clone)]
pub struct LoadedPolicy {
    /// The parsed model.
    pub source: PolicySource,
    text: Option<String>,
    file: String,
    base_dir: Option<PathBuf>,
    secrets: BTreeMap<String, String>,
}

impl LoadedPolicy {
    /// Reads a TOML or JSON (by extension) policy file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<LoadedPolicy, PolicyError> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Io {
            file: file.clone(),
            source,
        })?;
        let mut loaded = LoadedPolicy::parse(&text, Format::for_path(path), &file)?;
        loaded.base_dir = path.parent().map(Path::to_path_buf);
        Ok(loaded)
    }

    /// Parses policy text; `file` names it in diagnostics. Relative paths resolve from the
    /// current directory.
    pub fn parse(text: &str, format: Format, file: &str) -> Result<LoadedPolicy, PolicyError> {
        let source = match format {
            Format::Toml => toml::from_str::<PolicySource>(text).map_err(|e| {
                let offset = e.span().map_or(0, |s| s.start);
                PolicyError::Syntax {
                    location: location_at(text, file, offset),
                    message: e.message().trim().to_string(),
                }
            })?,
            Format::Json => serde_json::from_str::<PolicySource>(text).map_err(|e| PolicyError::Syntax {
                location: Location {
                    file: file.to_string(),
                    line: e.line(),
                    column: e.column(),
                },
                message: json_message(&e),
            })?,
        };
        Ok(LoadedPolicy {
            source,
            text: Some(text.to_string()),
            file: file.to_string(),
            base_dir: None,
            secrets: BTreeMap::new(),
        })
    }

    /// Wraps a model built in code (no text to point into).
    pub fn from_source(source: PolicySource) -> LoadedPolicy {
        LoadedPolicy {
            source,
            text: None,
            file: "<inline>".to_string(),
            base_dir: None,
            secrets: BTreeMap::new(),
        }
    }

    /// Supplies a value for a `hmac_secret_env` name without touching the process
    /// environment (secrets from a vault, or tests). Takes precedence over the environment.
    pub fn with_secret(mut self, name: &str, value: &str) -> LoadedPolicy {
        self.secrets.insert(name.to_string(), value.to_string());
        self
    }

    /// The value of a secret: from [`LoadedPolicy::with_secret`], else the environment.
    pub fn secret(&self, name: &str) -> Option<String> {
        self.secrets.get(name).cloned().or_else(|| std::env::var(name).ok())
    }

    /// The name used in diagnostics.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Resolves a path written in the policy against the policy file's folder.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        match &self.base_dir {
            Some(dir) if path.is_relative() => dir.join(path),
            _ => path.to_path_buf(),
        }
    }

    /// Best-effort location of a quoted string value, for diagnostics about values that the
    /// format parser accepted but the compiler did not. `occurrence` picks among repeats.
    pub fn locate_value(&self, value: &str, occurrence: usize) -> Option<Location> {
        let text = self.text.as_deref()?;
        let quoted = serde_json::to_string(value).ok()?;
        let candidates = [quoted, format!("'{value}'")];
        candidates.iter().find_map(|needle| {
            let offset = text.match_indices(needle.as_str()).nth(occurrence)?.0;
            // Point inside the quotes, at the value itself.
            Some(location_at(text, &self.file, offset + 1))
        })
    }
}

fn json_message(e: &serde_json::Error) -> String {
    // serde_json appends " at line L column C"; the location is reported separately.
    let full = e.to_string();
    match full.rfind(" at line ") {
        Some(i) => full.get(..i).unwrap_or(&full).to_string(),
        None => full,
    }
}

/// 1-based line and column of a byte offset.
pub(crate) fn location_at(text: &str, file: &str, offset: usize) -> Location {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    Location {
        file: file.to_string(),
        line,
        column,
    }
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
