//! WSO2 Asgardeo: `https://api.asgardeo.io/t/{org}/oauth2/token`, keys at `…/oauth2/jwks`,
//! `at+jwt` access tokens, each key listed once per algorithm (`_RS256`, `_PS256`).

use jsonwebtoken::Algorithm::{PS256, RS256};

use super::{Profile, derive_issuer, generic, valid_label};
use crate::policy::IssuerSource;

pub(super) const PROFILE: Profile = Profile {
    scope_claims: &["scope"],
    role_claims: &["roles", "groups"],
    token_types: &["at+jwt"],
    algorithms: &[RS256, PS256],
    issuer,
    jwks_url,
    ..generic::PROFILE
};

fn issuer(src: &IssuerSource) -> Result<String, String> {
    derive_issuer(
        src.org.as_deref(),
        valid_label,
        |org| format!("https://api.asgardeo.io/t/{org}/oauth2/token"),
        |org| format!("`org` `{org}` is not an organisation name"),
        "asgardeo issuers need `org` or `issuer`",
    )
}

fn jwks_url(_src: &IssuerSource, iss: &str) -> Option<String> {
    iss.strip_suffix("/oauth2/token")
        .map(|base| format!("{base}/oauth2/jwks"))
}
