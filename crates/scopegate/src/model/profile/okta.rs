//! Okta: a custom authorization server `https://{domain}/oauth2/{server}` (`default` unless
//! named), or the org authorization server `https://{domain}` (`authorization_server =
//! "org"`), whose access tokens are not meant for your own APIs. Keys via discovery, no header
//! `typ`, RS256 only; scopes in the `scp` array, client in `cid`, roles in `groups` when the
//! authorization server adds that claim. (idp-profiles.md section 4.1, quirk 29.)

use jsonwebtoken::Algorithm::RS256;

use super::{Profile, generic, valid_host, valid_label};
use crate::policy::IssuerSource;

pub(super) const PROFILE: Profile = Profile {
    scope_claims: &["scp"],
    role_claims: &["groups"],
    client_claims: &["cid"],
    algorithms: &[RS256],
    issuer,
    warnings,
    ..generic::PROFILE
};

/// The `authorization_server` value that names the org authorization server.
const ORG: &str = "org";

fn issuer(src: &IssuerSource) -> Result<String, String> {
    let Some(domain) = src.domain.as_deref() else {
        return Err("okta issuers need `domain` (or `issuer`)".into());
    };
    if !valid_host(domain) {
        return Err(format!(
            "`domain` `{domain}` is not a host name (write it without `https://` or `/`)"
        ));
    }
    match src.authorization_server.as_deref().unwrap_or("default") {
        ORG => Ok(format!("https://{domain}")),
        server if valid_label(server) => Ok(format!("https://{domain}/oauth2/{server}")),
        server => Err(format!(
            "`authorization_server` `{server}` is not an authorization server id"
        )),
    }
}

fn warnings(src: &IssuerSource, iss: &str) -> Vec<String> {
    let org = src.authorization_server.as_deref() == Some(ORG)
        || (src.issuer.is_some() && iss.starts_with("https://") && !iss.contains("/oauth2/"));
    if org {
        vec![format!(
            "`{iss}` is Okta's org authorization server: its access tokens are for Okta's own APIs and are not meant to be validated by yours; use a custom authorization server (`authorization_server = \"default\"` or its id)"
        )]
    } else {
        Vec::new()
    }
}
