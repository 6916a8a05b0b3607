//! FusionAuth: the issuer is whatever the tenant sets (it may be a non-URL like `acme.com`, so
//! keys then need `jwks_uri`); HS256 tenants sign with a shared secret (`hmac_secret_env`).

use jsonwebtoken::Algorithm::{ES256, ES384, EdDSA, RS256, RS384, RS512};

use super::{Profile, issuer_required, no_fixed_jwks, no_warnings, single_tenant};

pub(super) static PROFILE: Profile = Profile {
    scope_claims: &["scope"],
    role_claims: &["roles"],
    client_role_claims: &[],
    client_claims: &["client_id", "applicationId"],
    audience_claims: &["aud"],
    token_types: &["JWT"],
    token_claims: &[],
    algorithms: &[RS256, RS384, RS512, ES256, ES384, EdDSA],
    issuer: issuer_required,
    tenants: single_tenant,
    warnings: no_warnings,
    jwks_url: no_fixed_jwks,
};
