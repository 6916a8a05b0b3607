//! The identity cache: a token verified once is not verified again until it expires.
//!
//! Keyed by the whole token (compared in full, hashed with a keyed fast hasher). An entry never
//! outlives the token's `exp`, and every hit re-checks the clock, so a cached identity can only
//! be returned while the token itself would still verify.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use moka::Expiry;
use moka::sync::Cache;

use crate::identity::Identity;

#[derive(Clone)]
struct Entry {
    identity: Arc<Identity>,
    ttl: Duration,
}

struct PerEntry;

impl Expiry<Box<str>, Entry> for PerEntry {
    fn expire_after_create(&self, _key: &Box<str>, value: &Entry, _now: Instant) -> Option<Duration> {
        Some(value.ttl)
    }
}

/// Verified identities by token.
pub(crate) struct IdentityCache {
    entries: Cache<Box<str>, Entry, foldhash::fast::RandomState>,
    ttl: Duration,
}

impl std::fmt::Debug for IdentityCache {
    // Keys are bearer tokens: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityCache")
            .field("entries", &self.entries.entry_count())
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl IdentityCache {
    /// `None` when `capacity` or `ttl_seconds` is zero (cache off).
    pub fn new(capacity: u64, ttl_seconds: u64) -> Option<IdentityCache> {
        if capacity == 0 || ttl_seconds == 0 {
            return None;
        }
        let entries = Cache::builder()
            .max_capacity(capacity)
            .expire_after(PerEntry)
            .build_with_hasher(foldhash::fast::RandomState::default());
        Some(IdentityCache {
            entries,
            ttl: Duration::from_secs(ttl_seconds),
        })
    }

    pub fn get(&self, token: &str) -> Option<Arc<Identity>> {
        self.entries.get(token).map(|e| e.identity)
    }

    pub fn insert(&self, token: &str, identity: Arc<Identity>) {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let remaining = (identity.expires_at - wall).min(self.ttl.as_secs_f64());
        // Never outlives `exp`; non-positive (or otherwise unusable) lifetimes are not cached.
        let Ok(ttl) = Duration::try_from_secs_f64(remaining) else {
            return;
        };
        if ttl.is_zero() {
            return;
        }
        self.entries.insert(token.into(), Entry { identity, ttl });
    }
}
