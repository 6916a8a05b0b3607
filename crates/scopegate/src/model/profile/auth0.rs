//! Auth0: `https://{domain}/` (the trailing slash is part of it), keys at
//! `/.well-known/jwks.json`, scopes in `scope` and RBAC `permissions`, roles only in a
//! namespaced claim the tenant adds (`roles_claim`). No EC keys.

use jsonwebtoken::Algorithm::{PS256, RS256};

use super::{Profile, derive_issuer, generic, valid_host};
use crate::policy::IssuerSource;

pub(super) const PROFILE: Profile = Profile {
    scope_claims: &["scope", "permissions"],
    // Roles come only from `roles_claim`: Auth0 has no standard roles claim.
    role_claims: &[],
    client_claims: &["azp", "client_id"],
    token_types: &["JWT", "at+jwt"],
    algorithms: &[RS256, PS256],
    issuer,
    jwks_url,
    ..generic::PROFILE
};

fn issuer(src: &IssuerSource) -> Result<String, String> {
    derive_issuer(
        src.domain.as_deref(),
        valid_host,
        |d| format!("https://{d}/"),
        |d| format!("`domain` `{d}` is not a host name (write it without `https://` or `/`)"),
        "auth0 issuers need `domain` or `issuer`",
    )
}

fn jwks_url(_src: &IssuerSource, iss: &str) -> Option<String> {
    Some(format!("{}/.well-known/jwks.json", iss.trim_end_matches('/')))
}
