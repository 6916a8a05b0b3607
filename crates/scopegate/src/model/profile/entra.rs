//! Microsoft Entra ID: v2 `https://login.microsoftonline.com/{tenant}/v2.0` or, with
//! `token_version = 1`, `https://sts.windows.net/{tenant}/` (the API's manifest picks the
//! version, not the endpoint). Keys at `https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys`
//! (v1: `…/discovery/keys`); the JWKs carry no `alg`. Scopes in the `scp` string, app roles in
//! `roles`, client in `azp` (v2) or `appid` (v1). Multi-tenant apps (`tenant = "common"` or
//! `"organizations"`) list the accepted tenants: the issuer is the template with the token's
//! `tid`. (idp-profiles.md section 4.4, quirks 24 and 25.)

use jsonwebtoken::Algorithm::RS256;

use super::{Profile, Tenants, generic, valid_label};
use crate::policy::IssuerSource;

pub(super) const PROFILE: Profile = Profile {
    scope_claims: &["scp"],
    client_claims: &["azp", "appid"],
    token_types: &["JWT"],
    algorithms: &[RS256],
    issuer,
    tenants,
    jwks_url,
    ..generic::PROFILE
};

const V2_PREFIX: &str = "https://login.microsoftonline.com/";
const V2_SUFFIX: &str = "/v2.0";
const V1_PREFIX: &str = "https://sts.windows.net/";
const V1_SUFFIX: &str = "/";

/// Tenant names that stand for many tenants.
fn is_multi(tenant: &str) -> bool {
    matches!(tenant, "common" | "organizations")
}

/// `iss` prefix and suffix for the entry's token version.
fn template(src: &IssuerSource) -> Result<(&'static str, &'static str), String> {
    match src.token_version.unwrap_or(2) {
        1 => Ok((V1_PREFIX, V1_SUFFIX)),
        2 => Ok((V2_PREFIX, V2_SUFFIX)),
        v => Err(format!("`token_version` {v} is not 1 or 2")),
    }
}

fn issuer(src: &IssuerSource) -> Result<String, String> {
    let Some(tenant) = src.tenant.as_deref() else {
        return Err("entra issuers need `tenant` (or `issuer`)".into());
    };
    if !valid_label(tenant) {
        return Err(format!("`tenant` `{tenant}` is not a tenant id"));
    }
    let (prefix, suffix) = template(src)?;
    let tenant = if is_multi(tenant) { "{tenantid}" } else { tenant };
    Ok(format!("{prefix}{tenant}{suffix}"))
}

fn tenants(src: &IssuerSource) -> Result<Option<Tenants>, String> {
    let multi = src.tenant.as_deref().filter(|t| is_multi(t));
    match (multi, &src.allowed_tenants) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err("`allowed_tenants` is only for `tenant = \"common\"` or `\"organizations\"`".into()),
        (Some(_), _) if src.issuer.is_some() => {
            Err("a multi-tenant issuer is derived from `tenant` and `allowed_tenants`; remove `issuer`".into())
        }
        (Some(t), None) => Err(format!(
            "`tenant = \"{t}\"` would accept every tenant's tokens: list the accepted tenant ids in `allowed_tenants`"
        )),
        (Some(t), Some(list)) if list.is_empty() => Err(format!(
            "`allowed_tenants` is empty: `tenant = \"{t}\"` needs the accepted tenant ids"
        )),
        (Some(_), Some(list)) => {
            if let Some(bad) = list
                .iter()
                .find(|t| !valid_label(t) || is_multi(t) || *t == "consumers")
            {
                return Err(format!("`allowed_tenants` entry `{bad}` is not a tenant id"));
            }
            let (prefix, suffix) = template(src)?;
            Ok(Some(Tenants {
                claim: "tid",
                prefix,
                suffix,
                allowed: list.clone(),
            }))
        }
    }
}

/// The tenant's JWKS: from `tenant`, else from a given `iss` of either version.
fn jwks_url(src: &IssuerSource, iss: &str) -> Option<String> {
    let from_iss = || {
        let rest = iss.strip_prefix(V2_PREFIX).or_else(|| iss.strip_prefix(V1_PREFIX))?;
        rest.split('/').next().filter(|t| valid_label(t)).map(str::to_string)
    };
    let tenant = match (&src.issuer, &src.tenant) {
        (None, Some(t)) => t.clone(),
        _ => from_iss()?,
    };
    let v1 = iss.starts_with(V1_PREFIX);
    let path = if v1 { "discovery/keys" } else { "discovery/v2.0/keys" };
    Some(format!("{V2_PREFIX}{tenant}/{path}"))
}
