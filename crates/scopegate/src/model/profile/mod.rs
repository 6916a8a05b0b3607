//! Identity-provider profiles: one file per provider says where its issuer, keys, scopes,
//! roles and client come from, which token types and algorithms it uses. A new provider is a
//! new file here and a [`ProfileName`] variant.

mod asgardeo;
mod auth0;
mod claims;
mod cognito;
mod entra;
mod fusionauth;
mod generic;
mod keycloak;
mod okta;
mod path;
mod tenants;

use jsonwebtoken::Algorithm;

pub(crate) use claims::ClaimRules;
pub(crate) use path::claim;
pub(crate) use tenants::Tenants;

use crate::policy::{IssuerSource, ProfileName};

/// What one identity provider's tokens and endpoints look like. Every claim name can be
/// overridden per issuer.
pub(crate) struct Profile {
    /// Claims holding scopes (a space-separated string or an array of strings).
    pub scope_claims: &'static [&'static str],
    /// Claims holding roles (string, array of strings, or an object whose keys are roles).
    pub role_claims: &'static [&'static str],
    /// Claims holding per-client roles, `{"CLIENT": {"roles": [..]}}`, read as `CLIENT/NAME`.
    pub client_role_claims: &'static [&'static str],
    /// Claims naming the client, first present wins.
    pub client_claims: &'static [&'static str],
    /// Claims compared with the configured audiences.
    pub audience_claims: &'static [&'static str],
    /// Accepted header `typ` values; empty accepts any value or none.
    pub token_types: &'static [&'static str],
    /// Claims an access token must carry with exactly this value (else `wrong_token_type`).
    pub token_claims: &'static [(&'static str, &'static str)],
    /// Asymmetric algorithms accepted by default.
    pub algorithms: &'static [Algorithm],
    /// The `iss` derived from the entry's own fields when `issuer` is not given.
    pub issuer: fn(&IssuerSource) -> Result<String, String>,
    /// For an issuer that stands for several tenants (one `iss` each): the tenant rule.
    pub tenants: fn(&IssuerSource) -> Result<Option<Tenants>, String>,
    /// Warnings for `check` about an entry (its `iss` given): valid, but likely a mistake.
    pub warnings: fn(&IssuerSource, &str) -> Vec<String>,
    /// The provider's fixed JWKS URL for an entry and its `iss`, when it has one (else: OIDC
    /// discovery).
    #[cfg_attr(not(feature = "network"), allow(dead_code))]
    pub jwks_url: fn(&IssuerSource, &str) -> Option<String>,
}

/// The profile of a provider family.
pub(crate) fn profile(name: ProfileName) -> &'static Profile {
    match name {
        ProfileName::Asgardeo => &asgardeo::PROFILE,
        ProfileName::Auth0 => &auth0::PROFILE,
        ProfileName::Fusionauth => &fusionauth::PROFILE,
        ProfileName::Cognito => &cognito::PROFILE,
        ProfileName::Okta => &okta::PROFILE,
        ProfileName::Keycloak => &keycloak::PROFILE,
        ProfileName::Entra => &entra::PROFILE,
        ProfileName::Generic => &generic::PROFILE,
    }
}

/// The exact `iss` for an issuer entry: given, or derived by its profile.
pub(crate) fn issuer_value(src: &IssuerSource) -> Result<String, String> {
    match &src.issuer {
        Some(iss) if iss.is_empty() => Err("`issuer` is empty".into()),
        Some(iss) => Ok(iss.clone()),
        None => (profile(src.profile).issuer)(src),
    }
}

/// An issuer derived from one field of the entry (`org`, `domain`): checked with `valid`, then
/// put into the provider's template; `missing` says what to add when the field is absent.
fn derive_issuer(
    field: Option<&str>,
    valid: fn(&str) -> bool,
    template: impl Fn(&str) -> String,
    invalid: impl Fn(&str) -> String,
    missing: &str,
) -> Result<String, String> {
    match field {
        Some(v) if valid(v) => Ok(template(v)),
        Some(v) => Err(invalid(v)),
        None => Err(missing.to_string()),
    }
}

/// For profiles whose issuer cannot be derived from other fields.
fn issuer_required(src: &IssuerSource) -> Result<String, String> {
    Err(format!("{} issuers need `issuer`", src.profile.as_str()))
}

/// For profiles without a fixed JWKS path.
fn no_fixed_jwks(_src: &IssuerSource, _iss: &str) -> Option<String> {
    None
}

/// For profiles whose issuer is one tenant.
fn single_tenant(_src: &IssuerSource) -> Result<Option<Tenants>, String> {
    Ok(None)
}

/// For profiles without profile-specific warnings.
fn no_warnings(_src: &IssuerSource, _iss: &str) -> Vec<String> {
    Vec::new()
}

fn valid_label(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
}

fn valid_host(s: &str) -> bool {
    valid_label(s) && !s.starts_with('.') && !s.ends_with('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An issuer entry of a profile with nothing else set.
    pub(super) fn src(profile: ProfileName) -> IssuerSource {
        IssuerSource {
            id: "x".into(),
            profile,
            ..IssuerSource::default()
        }
    }

    #[test]
    fn issuer_derivation_per_profile() {
        let mut a = src(ProfileName::Asgardeo);
        a.org = Some("pharmacy".into());
        assert_eq!(
            issuer_value(&a).unwrap(),
            "https://api.asgardeo.io/t/pharmacy/oauth2/token"
        );
        let mut z = src(ProfileName::Auth0);
        z.domain = Some("pets.us.auth0.com".into());
        assert_eq!(issuer_value(&z).unwrap(), "https://pets.us.auth0.com/");
        z.domain = Some("https://pets.us.auth0.com/".into());
        assert!(issuer_value(&z).unwrap_err().contains("without `https://`"));
        let mut f = src(ProfileName::Fusionauth);
        assert!(issuer_value(&f).is_err());
        f.issuer = Some("acme.com".into());
        assert_eq!(issuer_value(&f).unwrap(), "acme.com");
    }

    #[test]
    fn fixed_jwks_paths() {
        let url = |p: ProfileName, iss: &str| (profile(p).jwks_url)(&src(p), iss);
        assert_eq!(
            url(ProfileName::Asgardeo, "https://api.asgardeo.io/t/pharmacy/oauth2/token").as_deref(),
            Some("https://api.asgardeo.io/t/pharmacy/oauth2/jwks")
        );
        assert_eq!(
            url(ProfileName::Auth0, "https://pets.us.auth0.com/").as_deref(),
            Some("https://pets.us.auth0.com/.well-known/jwks.json")
        );
        assert_eq!(url(ProfileName::Generic, "https://idp.example"), None);
        assert_eq!(url(ProfileName::Fusionauth, "acme.com"), None);
    }
}
