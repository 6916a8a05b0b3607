//! Amazon Cognito user pools: `https://cognito-idp.{region}.amazonaws.com/{user_pool_id}`,
//! keys at `{iss}/.well-known/jwks.json`, no header `typ`. Access tokens carry no `aud`: the
//! app client id is in `client_id`, so `audiences` are checked against it, and `token_use`
//! must be `access` (an ID token has `aud` and `token_use = "id"`). Scopes from `scope`,
//! roles from `cognito:groups`. (idp-profiles.md section 4.3, quirks 22 and 23.)

use jsonwebtoken::Algorithm::RS256;

use super::{Profile, generic};
use crate::policy::IssuerSource;

pub(super) const PROFILE: Profile = Profile {
    scope_claims: &["scope"],
    role_claims: &["cognito:groups"],
    client_claims: &["client_id"],
    audience_claims: &["client_id"],
    token_claims: &[("token_use", "access")],
    algorithms: &[RS256],
    issuer,
    jwks_url,
    ..generic::PROFILE
};

fn valid_region(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn valid_pool(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn issuer(src: &IssuerSource) -> Result<String, String> {
    match (src.region.as_deref(), src.user_pool_id.as_deref()) {
        (Some(r), _) if !valid_region(r) => Err(format!("`region` `{r}` is not an AWS region such as `us-east-1`")),
        (_, Some(p)) if !valid_pool(p) => Err(format!(
            "`user_pool_id` `{p}` is not a user pool id such as `us-east-1_AbC123`"
        )),
        (Some(r), Some(p)) => Ok(format!("https://cognito-idp.{r}.amazonaws.com/{p}")),
        _ => Err("cognito issuers need `region` and `user_pool_id` (or `issuer`)".into()),
    }
}

fn jwks_url(_src: &IssuerSource, iss: &str) -> Option<String> {
    Some(format!("{}/.well-known/jwks.json", iss.trim_end_matches('/')))
}
