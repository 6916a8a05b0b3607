//! The sidecar's settings: the policy's `[server]` table, checked once, with command-line
//! overrides applied.

use std::net::SocketAddr;

use http::HeaderName;
use scopegate::policy::{OriginalRequestHeaders, ServerSource};

/// A `[server]` value that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A listen address is not `IP:PORT`.
    #[error("server.{field}: `{value}` is not an IP:PORT address")]
    Address {
        /// The field.
        field: &'static str,
        /// What it holds.
        value: String,
    },
    /// A header name is not a valid HTTP header name.
    #[error("server.{field}: `{value}` is not a valid header name")]
    HeaderName {
        /// The field.
        field: String,
        /// What it holds.
        value: String,
    },
    /// The Envoy path prefix must be a plain path: starts with `/`, does not end with it.
    #[error(
        "server.envoy_path_prefix: `{0}` must be a plain path (letters, digits, `-_./`) starting and not ending with `/`"
    )]
    Prefix(String),
}

/// Command-line values that win over the policy's `[server]` table.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Overrides {
    /// `--listen`.
    pub listen: Option<String>,
    /// `--grpc-listen`.
    pub grpc_listen: Option<String>,
}

impl Overrides {
    /// Overrides for the two listen addresses.
    pub fn new(listen: Option<String>, grpc_listen: Option<String>) -> Overrides {
        Overrides { listen, grpc_listen }
    }
}

/// Names of the identity headers, parsed.
#[derive(Debug, Clone)]
pub(crate) struct IdentityHeaders {
    pub subject: HeaderName,
    pub issuer: HeaderName,
    pub client: HeaderName,
    pub scopes: HeaderName,
    pub roles: HeaderName,
}

/// The `[server]` table, checked.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub(crate) listen: SocketAddr,
    pub(crate) grpc_listen: Option<SocketAddr>,
    pub(crate) original: OriginalRequestHeaders,
    pub(crate) envoy_prefix: String,
    pub(crate) token_header: HeaderName,
    pub(crate) realm: String,
    pub(crate) identity: IdentityHeaders,
    /// Claim name -> header.
    pub(crate) claims: Vec<(String, HeaderName)>,
}

fn address(field: &'static str, value: &str) -> Result<SocketAddr, ConfigError> {
    value.parse().map_err(|_| ConfigError::Address {
        field,
        value: value.to_string(),
    })
}

fn header(field: &str, value: &str) -> Result<HeaderName, ConfigError> {
    HeaderName::try_from(value).map_err(|_| ConfigError::HeaderName {
        field: field.to_string(),
        value: value.to_string(),
    })
}

impl ServerConfig {
    /// Checks a `[server]` table and applies the overrides.
    pub fn new(source: &ServerSource, overrides: &Overrides) -> Result<ServerConfig, ConfigError> {
        let listen = address("listen", overrides.listen.as_deref().unwrap_or(&source.listen))?;
        let grpc_listen = overrides
            .grpc_listen
            .as_deref()
            .or(source.grpc_listen.as_deref())
            .map(|a| address("grpc_listen", a))
            .transpose()?;
        let prefix = &source.envoy_path_prefix;
        // Plain path characters only: the prefix becomes a route of the HTTP router.
        let plain = prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.'));
        if !prefix.starts_with('/') || prefix.ends_with('/') || prefix.contains("//") || !plain {
            return Err(ConfigError::Prefix(prefix.clone()));
        }
        let names = &source.identity_headers;
        let identity = IdentityHeaders {
            subject: header("identity_headers.subject", &names.subject)?,
            issuer: header("identity_headers.issuer", &names.issuer)?,
            client: header("identity_headers.client", &names.client)?,
            scopes: header("identity_headers.scopes", &names.scopes)?,
            roles: header("identity_headers.roles", &names.roles)?,
        };
        let claims = source
            .claim_headers
            .iter()
            .map(|(claim, name)| Ok((claim.clone(), header(&format!("claim_headers.{claim}"), name)?)))
            .collect::<Result<_, ConfigError>>()?;
        Ok(ServerConfig {
            listen,
            grpc_listen,
            original: source.original_request,
            envoy_prefix: prefix.clone(),
            token_header: header("token_header", &source.token_header)?,
            realm: source.realm.clone(),
            identity,
            claims,
        })
    }

    /// The HTTP listen address.
    pub fn listen(&self) -> SocketAddr {
        self.listen
    }

    /// The gRPC listen address, if gRPC is on.
    pub fn grpc_listen(&self) -> Option<SocketAddr> {
        self.grpc_listen
    }

    /// Every header name `serve` may write on allow: what a gateway copies upstream, and what it
    /// must strip from client requests.
    pub fn identity_header_names(&self) -> Vec<&HeaderName> {
        let i = &self.identity;
        let mut all = vec![&i.subject, &i.issuer, &i.client, &i.scopes, &i.roles];
        all.extend(self.claims.iter().map(|(_, h)| h));
        all
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn overrides_win_and_bad_values_are_errors() {
        let source = ServerSource::default();
        let c = ServerConfig::new(&source, &Overrides::new(Some("127.0.0.1:1".into()), None)).unwrap();
        assert_eq!(c.listen().port(), 1);
        assert_eq!(c.grpc_listen(), None);
        assert_eq!(c.identity_header_names().len(), 5);
        assert!(ServerConfig::new(&source, &Overrides::new(Some("localhost".into()), None)).is_err());
        let mut bad = ServerSource::default();
        bad.identity_headers.subject = "X Auth".into();
        assert!(matches!(
            ServerConfig::new(&bad, &Overrides::default()),
            Err(ConfigError::HeaderName { .. })
        ));
        let bad = ServerSource {
            envoy_path_prefix: "/envoy/".into(),
            ..Default::default()
        };
        assert!(matches!(
            ServerConfig::new(&bad, &Overrides::default()),
            Err(ConfigError::Prefix(_))
        ));
    }
}
