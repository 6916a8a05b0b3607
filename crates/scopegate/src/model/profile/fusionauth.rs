//! FusionAuth: the issuer is whatever the tenant sets (it may be a non-URL like `acme.com`, so
//! keys then need `jwks_uri`); HS256 tenants sign with a shared secret (`hmac_secret_env`).

use jsonwebtoken::Algorithm::{ES256, ES384, EdDSA, RS256, RS384, RS512};

use super::{Profile, generic};

pub(super) const PROFILE: Profile = Profile {
    scope_claims: &["scope"],
    client_claims: &["client_id", "applicationId"],
    token_types: &["JWT"],
    algorithms: &[RS256, RS384, RS512, ES256, ES384, EdDSA],
    ..generic::PROFILE
};
