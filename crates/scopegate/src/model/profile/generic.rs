//! Any OpenID Connect provider: the issuer is given, keys come from discovery, and the common
//! claim names are read.

use jsonwebtoken::Algorithm::{ES256, ES384, EdDSA, PS256, PS384, PS512, RS256, RS384, RS512};

use super::{Profile, issuer_required, no_fixed_jwks, no_warnings, single_tenant};

/// Every other profile is this one with its own differences.
pub(super) const PROFILE: Profile = Profile {
    scope_claims: &["scope", "scp"],
    role_claims: &["roles"],
    client_role_claims: &[],
    client_claims: &["client_id", "azp"],
    audience_claims: &["aud"],
    token_types: &[],
    token_claims: &[],
    algorithms: &[RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA],
    issuer: issuer_required,
    tenants: single_tenant,
    warnings: no_warnings,
    jwks_url: no_fixed_jwks,
};
