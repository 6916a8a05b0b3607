//! `[settings]`: engine-wide rules, the identity cache and how keys are fetched.

use serde::{Deserialize, Serialize};

/// `[settings]`. Every field may be left out; the default is given with each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SettingsSource {
    /// Clock skew tolerated for `exp`, `nbf` and `iat`. Default 30.
    pub leeway_seconds: u64,
    /// What happens to a request that matches no route. Default `deny`.
    pub unmatched: Unmatched,
    /// Whether CORS preflight requests pass without a token. Default `enforce`.
    pub cors_preflight: CorsPreflight,
    /// Tokens longer than this are rejected before any parsing. Default 16384 (16 KiB).
    pub max_token_bytes: usize,
    /// The cache of verified tokens.
    pub identity_cache: IdentityCacheSource,
    /// How keys are fetched for issuers without offline keys.
    pub jwks: JwksFetchSource,
}

impl Default for SettingsSource {
    fn default() -> Self {
        SettingsSource {
            leeway_seconds: 30,
            unmatched: Unmatched::default(),
            cors_preflight: CorsPreflight::default(),
            max_token_bytes: 16 * 1024,
            identity_cache: IdentityCacheSource::default(),
            jwks: JwksFetchSource::default(),
        }
    }
}

/// `[settings.jwks]`: fetching and refreshing keys over the network (OIDC discovery or
/// `jwks_uri`). Durations are seconds and may be fractional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JwksFetchSource {
    /// Limit for establishing a connection. Default 2.
    pub connect_timeout_seconds: f64,
    /// Limit for a whole request, body included. Default 5.
    pub timeout_seconds: f64,
    /// Larger responses are refused. Default 150000 (API Gateway's limit).
    pub max_body_bytes: usize,
    /// Keys are kept this long when the response has no `Cache-Control: max-age`. Default 600.
    pub default_ttl_seconds: f64,
    /// Floor for `max-age`: a tiny or zero max-age cannot make us fetch on every request.
    /// Default 60.
    pub min_ttl_seconds: f64,
    /// Ceiling for `max-age`: rotations are picked up at least this often. Default 86400.
    pub max_ttl_seconds: f64,
    /// After a fetch, an unknown `kid` causes no new fetch for this long (also the retry
    /// interval after a failed fetch). Default 30.
    pub unknown_kid_cooldown_seconds: f64,
    /// When refreshing fails, the last good keys are used this long past their expiry;
    /// after that tokens fail with `keys_unavailable`. Default 3600.
    pub max_stale_seconds: f64,
    /// How many unknown `kid`s are remembered (per issuer) so they are rejected without a
    /// fetch. Default 1024.
    pub unknown_kid_capacity: u64,
}

impl Default for JwksFetchSource {
    fn default() -> Self {
        JwksFetchSource {
            connect_timeout_seconds: 2.0,
            timeout_seconds: 5.0,
            max_body_bytes: 150_000,
            default_ttl_seconds: 600.0,
            min_ttl_seconds: 60.0,
            max_ttl_seconds: 86_400.0,
            unknown_kid_cooldown_seconds: 30.0,
            max_stale_seconds: 3_600.0,
            unknown_kid_capacity: 1_024,
        }
    }
}

impl JwksFetchSource {
    /// Checks that every duration is a finite number in range and the TTL bounds are ordered.
    pub(crate) fn check(&self) -> Result<(), String> {
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

/// `[settings.identity_cache]`: verified tokens are remembered until they expire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdentityCacheSource {
    /// Maximum number of remembered tokens; `0` turns the cache off. Default 10000.
    pub capacity: u64,
    /// Upper bound on how long a token is remembered (never past its `exp`). Default 300.
    pub ttl_seconds: u64,
}

impl Default for IdentityCacheSource {
    fn default() -> Self {
        IdentityCacheSource {
            capacity: 10_000,
            ttl_seconds: 300,
        }
    }
}

/// `settings.unmatched`: the answer for a request that matches no route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unmatched {
    /// 403 `no_route`. The default.
    #[default]
    Deny,
    /// Any valid token is allowed.
    AllowAuthenticated,
}

/// `settings.cors_preflight`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CorsPreflight {
    /// Preflights are decided like any other request. The default.
    #[default]
    Enforce,
    /// `OPTIONS` with `Origin` and `Access-Control-Request-Method` passes without a token.
    Allow,
}
