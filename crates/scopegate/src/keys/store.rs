//! The current keys of one issuer, replaceable at run time without blocking readers.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
#[cfg(feature = "network")]
use std::time::Duration;

use arc_swap::ArcSwapOption;

use super::KeySet;
#[cfg(feature = "network")]
use super::fetch::FetchError;
#[cfg(feature = "network")]
use super::remote::{KeySource, KeyStats, RemoteKeys};

/// Why an issuer has no keys to verify with right now; its tokens fail with
/// `keys_unavailable` until this changes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeysUnavailable {
    /// The policy gives this issuer no key source this build can use.
    #[error("{0}")]
    NoSource(String),
    /// The keys are fetched over the network and no fetch has completed yet.
    #[error("keys have not been fetched yet")]
    NotFetched,
    /// Fetching failed and no keys were ever fetched.
    #[cfg(feature = "network")]
    #[error("keys could not be fetched: {0}")]
    FetchFailed(FetchError),
    /// The last good keys are older than `max_stale_seconds` and refreshing keeps failing.
    #[cfg(feature = "network")]
    #[error(
        "the last good keys are older than the allowed staleness and refreshing failed: {}",
        .0.as_ref().map_or_else(|| "no attempt yet".to_string(), ToString::to_string)
    )]
    Stale(Option<FetchError>),
}

/// The keys of one issuer. Offline sources fill it once at compile time; a network source
/// (OIDC discovery / `jwks_uri`) swaps in new sets as it refreshes. The verifier only ever
/// calls [`KeyStore::current`].
#[derive(Debug)]
pub struct KeyStore {
    local: ArcSwapOption<KeySet>,
    /// Bumped by [`KeyStore::replace`] when a key goes away.
    local_epoch: AtomicU64,
    unavailable: Option<String>,
    #[cfg(feature = "network")]
    remote: Option<Arc<RemoteKeys>>,
}

impl KeyStore {
    fn with(local: Option<KeySet>, unavailable: Option<String>) -> KeyStore {
        KeyStore {
            local: ArcSwapOption::new(local.map(Arc::new)),
            local_epoch: AtomicU64::new(0),
            unavailable,
            #[cfg(feature = "network")]
            remote: None,
        }
    }

    /// A store holding a fixed set.
    pub(crate) fn fixed(keys: KeySet) -> KeyStore {
        KeyStore::with(Some(keys), None)
    }

    /// A store with no keys; tokens fail with `keys_unavailable` and this reason.
    pub(crate) fn empty(reason: impl Into<String>) -> KeyStore {
        KeyStore::with(None, Some(reason.into()))
    }

    #[cfg(feature = "network")]
    pub(crate) fn remote(keys: RemoteKeys) -> KeyStore {
        KeyStore {
            remote: Some(Arc::new(keys)),
            ..KeyStore::with(None, None)
        }
    }

    /// True when the keys come from the network (and may be fetched for a decision).
    pub fn is_remote(&self) -> bool {
        #[cfg(feature = "network")]
        return self.remote.is_some();
        #[cfg(not(feature = "network"))]
        false
    }

    #[cfg(feature = "network")]
    pub(crate) fn remote_keys(&self) -> Option<&Arc<RemoteKeys>> {
        self.remote.as_ref()
    }

    /// Where a network store fetches from; `None` for offline keys.
    #[cfg(feature = "network")]
    pub fn source(&self) -> Option<&KeySource> {
        self.remote.as_deref().map(RemoteKeys::source)
    }

    /// Fetch counters of a network store; `None` for offline keys.
    #[cfg(feature = "network")]
    pub fn stats(&self) -> Option<KeyStats> {
        self.remote.as_deref().map(RemoteKeys::stats)
    }

    /// The keys now, or why there are none.
    pub fn current(&self) -> Result<Arc<KeySet>, KeysUnavailable> {
        #[cfg(feature = "network")]
        if let Some(remote) = &self.remote {
            return remote.current();
        }
        self.local
            .load_full()
            .ok_or_else(|| KeysUnavailable::NoSource(self.unavailable.clone().unwrap_or_default()))
    }

    /// Changes whenever a key this store trusted stops being trusted; identities verified
    /// under another epoch must be verified again.
    pub(crate) fn epoch(&self) -> u64 {
        #[cfg(feature = "network")]
        if let Some(remote) = &self.remote {
            return remote.epoch();
        }
        self.local_epoch.load(Ordering::Acquire)
    }

    /// Replaces the keys (manual rotation). For a network store the set counts as freshly
    /// fetched.
    pub fn replace(&self, keys: KeySet) {
        #[cfg(feature = "network")]
        if let Some(remote) = &self.remote {
            remote.install(keys, Duration::from_secs(60));
            return;
        }
        let old = self.local.swap(Some(Arc::new(keys)));
        let kept = match (old, self.local.load().as_deref()) {
            (Some(old), Some(new)) => new.covers(&old),
            _ => true,
        };
        if !kept {
            self.local_epoch.fetch_add(1, Ordering::AcqRel);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_swaps_and_reports_unavailability() {
        let store = KeyStore::empty("no network key source yet");
        assert_eq!(
            store.current().unwrap_err(),
            KeysUnavailable::NoSource("no network key source yet".into())
        );
        assert_eq!(store.current().unwrap_err().to_string(), "no network key source yet");
        store.replace(KeySet::default().with_hmac_secret(b"s"));
        assert!(store.current().unwrap().has_secret());
    }
}
