//! The identity cache: a token verified once is not verified again until it expires.
//!
//! Keyed by the whole token (compared in full, hashed with a keyed fast hasher). An entry never
//! outlives the token's `exp`, and every hit re-checks the clock, so a cached identity can only
//! be returned while the token itself would still verify.

use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use moka::Expiry;
use moka::sync::Cache;

use super::identity::Identity;

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

/// How many trailing bytes of a token are hashed.
const HASHED_TAIL: usize = 48;

/// Hashes a token by its length and its last [`HASHED_TAIL`] bytes (keyed foldhash); keys are
/// still compared in full. The tail is signature bytes, and only verified tokens are inserted,
/// so nobody can choose colliding keys; hashing the whole ~1 KB token cost more than the lookup.
#[derive(Clone, Default)]
struct TokenTail(foldhash::fast::RandomState);

impl BuildHasher for TokenTail {
    type Hasher = TailHasher;
    fn build_hasher(&self) -> TailHasher {
        TailHasher(self.0.build_hasher())
    }
}

struct TailHasher(foldhash::fast::FoldHasher<'static>);

impl Hasher for TailHasher {
    fn write(&mut self, bytes: &[u8]) {
        let tail = bytes.get(bytes.len().saturating_sub(HASHED_TAIL)..).unwrap_or(bytes);
        self.0.write_usize(bytes.len());
        self.0.write(tail);
    }
    fn finish(&self) -> u64 {
        self.0.finish()
    }
}

/// Verified identities by token.
pub(crate) struct IdentityCache {
    entries: Cache<Box<str>, Entry, TokenTail>,
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
            .build_with_hasher(TokenTail::default());
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
