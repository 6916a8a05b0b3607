//! Verification keys: JWKS parsing and the per-issuer key store; behind the `network` feature,
//! HTTP fetching and the JWKS lifecycle (discovery, refresh, single flight, stale-if-error).

#[cfg(feature = "network")]
mod fetch;
mod jwks;
mod material;
#[cfg(feature = "network")]
mod remote;
mod store;

#[cfg(feature = "network")]
pub use fetch::FetchError;
pub(crate) use jwks::is_hmac;
pub use jwks::{JwksError, KeyLookupError, KeySet, SkippedKey, VerificationKey};
#[cfg(feature = "network")]
pub use remote::{KeySource, KeyStats};
#[cfg(feature = "network")]
pub(crate) use remote::{Network, RemoteKeys};
pub use store::{KeyStore, KeysUnavailable};
