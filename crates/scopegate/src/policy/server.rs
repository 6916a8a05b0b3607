//! `[server]`: settings of the `scopegate serve` sidecar (forward-auth and Envoy ext_authz).
//! Plain data: the engine never reads them; `scopegate-server` takes them from the loaded
//! policy, and its command-line flags override them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `[server]`: where the sidecar listens and which headers it reads and writes. Every field
/// may be left out; the default is given with each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSource {
    /// HTTP listen address (forward-auth, Envoy HTTP mode, health and metrics).
    /// Default `127.0.0.1:9191`.
    pub listen: String,
    /// gRPC listen address for Envoy's `envoy.service.auth.v3.Authorization/Check`; off when
    /// absent (the default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grpc_listen: Option<String>,
    /// Which headers describe the original request on `/auth`. Default `auto`.
    pub original_request: OriginalRequestHeaders,
    /// Path prefix of the Envoy HTTP mode: Envoy's `path_prefix`; the original path follows it.
    /// Default `/envoy`.
    pub envoy_path_prefix: String,
    /// Header that carries the token (`Authorization` needs the `Bearer` scheme; another header
    /// may omit it). Default `Authorization`.
    pub token_header: String,
    /// The `realm` of `WWW-Authenticate` challenges. Default `api`.
    pub realm: String,
    /// Names of the identity headers written on allow.
    pub identity_headers: IdentityHeaderNames,
    /// Verified claims written on allow, one header each: claim name -> header name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub claim_headers: BTreeMap<String, String>,
}

impl Default for ServerSource {
    fn default() -> Self {
        ServerSource {
            listen: "127.0.0.1:9191".to_string(),
            grpc_listen: None,
            original_request: OriginalRequestHeaders::default(),
            envoy_path_prefix: "/envoy".to_string(),
            token_header: "Authorization".to_string(),
            realm: "api".to_string(),
            identity_headers: IdentityHeaderNames::default(),
            claim_headers: BTreeMap::new(),
        }
    }
}

impl ServerSource {
    /// True when nothing differs from the defaults (the table is then not written out).
    pub fn is_default(&self) -> bool {
        *self == ServerSource::default()
    }
}

/// `server.original_request`: where `/auth` reads the original method and URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OriginalRequestHeaders {
    /// Whichever pair is present; a request carrying both pairs is refused (a client can add
    /// the pair its gateway does not set). The default.
    #[default]
    Auto,
    /// `X-Original-Method` + `X-Original-URI` (nginx `auth_request`, ingress-nginx).
    Original,
    /// `X-Forwarded-Method` + `X-Forwarded-Uri` (Traefik `forwardAuth`, Caddy `forward_auth`).
    Forwarded,
}

/// `[server.identity_headers]`: header names of the verified identity, written on allow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdentityHeaderNames {
    /// The token's subject. Default `X-Auth-Subject`.
    pub subject: String,
    /// The policy's issuer id. Default `X-Auth-Issuer`.
    pub issuer: String,
    /// The client (application) id. Default `X-Auth-Client`.
    pub client: String,
    /// Scopes, space-joined. Default `X-Auth-Scopes`.
    pub scopes: String,
    /// Roles, space-joined. Default `X-Auth-Roles`.
    pub roles: String,
}

impl Default for IdentityHeaderNames {
    fn default() -> Self {
        IdentityHeaderNames {
            subject: "X-Auth-Subject".to_string(),
            issuer: "X-Auth-Issuer".to_string(),
            client: "X-Auth-Client".to_string(),
            scopes: "X-Auth-Scopes".to_string(),
            roles: "X-Auth-Roles".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::policy::load::{Format, LoadedPolicy};

    use super::*;

    #[test]
    fn server_table_is_optional_strict_and_round_trips() {
        let p = LoadedPolicy::parse("version = 1\n", Format::Toml, "p").unwrap().source;
        assert!(p.server.is_default());
        assert!(!p.to_toml().unwrap().contains("[server]"));
        let text = "version = 1\n[server]\nlisten = \"0.0.0.0:8000\"\ngrpc_listen = \"127.0.0.1:9000\"\noriginal_request = \"forwarded\"\nenvoy_path_prefix = \"/ext\"\n[server.identity_headers]\nsubject = \"X-User\"\n[server.claim_headers]\nemail = \"X-Auth-Email\"\n";
        let p = LoadedPolicy::parse(text, Format::Toml, "p").unwrap().source;
        assert_eq!(p.server.listen, "0.0.0.0:8000");
        assert_eq!(p.server.grpc_listen.as_deref(), Some("127.0.0.1:9000"));
        assert_eq!(p.server.original_request, OriginalRequestHeaders::Forwarded);
        assert_eq!(p.server.identity_headers.subject, "X-User");
        assert_eq!(p.server.identity_headers.roles, "X-Auth-Roles");
        assert_eq!(p.server.token_header, "Authorization");
        assert_eq!(
            p.server.claim_headers.get("email").map(String::as_str),
            Some("X-Auth-Email")
        );
        let again = LoadedPolicy::parse(&p.to_toml().unwrap(), Format::Toml, "t")
            .unwrap()
            .source;
        assert_eq!(again.server, p.server);
        for bad in [
            "[server]\nport = 1\n",
            "[server.identity_headers]\nemail = \"x\"\n",
            "[server]\noriginal_request = \"both\"\n",
        ] {
            assert!(
                LoadedPolicy::parse(&format!("version = 1\n{bad}"), Format::Toml, "p").is_err(),
                "{bad}"
            );
        }
    }
}
