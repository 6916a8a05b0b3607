//! Keycloak: `{base_url}/realms/{realm}` (servers before 17 put `/auth` in `base_url`), keys
//! via discovery. Access tokens carry the claim `typ: "Bearer"` (ID tokens `"ID"`); scopes in
//! `scope`, realm roles in `realm_access.roles` as `NAME`, client roles in
//! `resource_access.{client}.roles` as `{client}/NAME`, client in `azp`.
//! (idp-profiles.md section 4.2, quirks 27 and 28.)

use super::{Profile, generic};
use crate::policy::IssuerSource;

pub(super) const PROFILE: Profile = Profile {
    scope_claims: &["scope"],
    role_claims: &["/realm_access/roles"],
    client_role_claims: &["resource_access"],
    client_claims: &["azp"],
    token_types: &["JWT", "at+jwt"],
    token_claims: &[("typ", "Bearer")],
    issuer,
    ..generic::PROFILE
};

fn valid_realm(s: &str) -> bool {
    !s.is_empty()
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '/' | '?' | '#' | '%'))
}

fn issuer(src: &IssuerSource) -> Result<String, String> {
    let (Some(base), Some(realm)) = (src.base_url.as_deref(), src.realm.as_deref()) else {
        return Err("keycloak issuers need `base_url` and `realm` (or `issuer`)".into());
    };
    let base = base.trim_end_matches('/');
    let scheme_ok = base.starts_with("https://") || base.starts_with("http://");
    if !scheme_ok || base.contains(['?', '#']) || base.chars().any(char::is_whitespace) {
        return Err(format!(
            "`base_url` `{base}` is not a server URL such as `https://sso.example.com`"
        ));
    }
    if !valid_realm(realm) {
        return Err(format!("`realm` `{realm}` is not a realm name"));
    }
    Ok(format!("{base}/realms/{realm}"))
}
