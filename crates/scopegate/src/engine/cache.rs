//! Token caches: identities of verified tokens, and rejections of tokens whose signature failed.
//!
//! Both are fixed arrays of two-way sets of slots, each slot an atomically swapped entry: a
//! lookup is one keyed hash, at most two pointer loads and a full comparison of the token, with
//! no lock, no allocation and no housekeeping. A full set evicts one of its two entries, so
//! memory stays bounded and keys an attacker picks can at worst evict each other (never chain
//! into a slow lookup). Keys are always compared in full; the hash only picks the set.

use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Weak};
use std::time::{SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwapOption;

use super::identity::Identity;
use crate::keys::KeySet;
use crate::reason::Rejection;

/// How many trailing bytes of a token are hashed.
const HASHED_TAIL: usize = 48;

struct Slot<V> {
    token: Box<str>,
    value: V,
    /// Wall-clock second from which the entry no longer answers.
    deadline: u64,
}

/// A bounded map from whole tokens to `V`.
struct SlotCache<V> {
    slots: Box<[ArcSwapOption<Slot<V>>]>,
    /// Index mask of the first slot of a set (even indexes).
    set_mask: usize,
    hasher: foldhash::fast::RandomState,
}

fn wall_clock() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl<V: Clone> SlotCache<V> {
    /// At most `capacity` entries (rounded down to a power of two, between 2 and 2^20: the
    /// slot array, 8 bytes a slot, is allocated up front).
    fn new(capacity: u64) -> SlotCache<V> {
        let capacity = usize::try_from(capacity).unwrap_or(usize::MAX).clamp(2, 1 << 20);
        let slots = 1usize << (usize::BITS - 1 - capacity.leading_zeros());
        SlotCache {
            slots: (0..slots).map(|_| ArcSwapOption::empty()).collect(),
            set_mask: (slots - 1) & !1,
            hasher: foldhash::fast::RandomState::default(),
        }
    }

    /// Hashes the token's length and its last [`HASHED_TAIL`] bytes (signature bytes): hashing
    /// a whole ~1 KB token cost more than the rest of the lookup.
    fn hash(&self, token: &str) -> u64 {
        let bytes = token.as_bytes();
        let tail = bytes.get(bytes.len().saturating_sub(HASHED_TAIL)..).unwrap_or(bytes);
        let mut h = self.hasher.build_hasher();
        h.write_usize(bytes.len());
        h.write(tail);
        h.finish()
    }

    fn set(&self, hash: u64) -> usize {
        // The high bits: foldhash mixes them best, and the low bit picks the way on insert.
        ((hash >> 32) as usize) & self.set_mask
    }

    fn get(&self, token: &str, now: u64) -> Option<V> {
        let first = self.set(self.hash(token));
        for slot in self.slots.get(first..first + 2)? {
            let guard = slot.load();
            if let Some(entry) = guard.as_deref()
                && *entry.token == *token
            {
                return (now < entry.deadline).then(|| entry.value.clone());
            }
        }
        None
    }

    fn insert(&self, token: &str, value: V, deadline: u64) {
        let hash = self.hash(token);
        let first = self.set(hash);
        let Some(ways) = self.slots.get(first..first + 2) else {
            return;
        };
        let now = wall_clock();
        let free = ways.iter().position(|slot| {
            slot.load()
                .as_deref()
                .is_none_or(|e| e.deadline <= now || *e.token == *token)
        });
        let way = free.unwrap_or((hash & 1) as usize);
        if let Some(slot) = ways.get(way) {
            slot.store(Some(Arc::new(Slot {
                token: token.into(),
                value,
                deadline,
            })));
        }
    }
}

/// Verified identities by token. An entry never outlives the token's `exp` nor the TTL; every
/// hit re-checks the clock and the issuer's key epoch, so a cached identity can only be
/// returned while the token itself would still verify.
pub(crate) struct IdentityCache {
    entries: SlotCache<Arc<Identity>>,
    ttl_seconds: u64,
}

impl std::fmt::Debug for IdentityCache {
    // Keys are bearer tokens: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityCache")
            .field("slots", &self.entries.slots.len())
            .field("ttl_seconds", &self.ttl_seconds)
            .finish()
    }
}

impl IdentityCache {
    /// `None` when `capacity` or `ttl_seconds` is zero (cache off).
    pub fn new(capacity: u64, ttl_seconds: u64) -> Option<IdentityCache> {
        if capacity == 0 || ttl_seconds == 0 {
            return None;
        }
        Some(IdentityCache {
            entries: SlotCache::new(capacity),
            ttl_seconds,
        })
    }

    /// The identity cached for `token`, unless its TTL has passed at `now`.
    pub fn get(&self, token: &str, now: u64) -> Option<Arc<Identity>> {
        self.entries.get(token, now)
    }

    pub fn insert(&self, token: &str, identity: Arc<Identity>) {
        let wall = wall_clock();
        // Never outlives `exp` (rounded down); non-positive lifetimes are not cached.
        let exp = identity.expires_at;
        if !exp.is_finite() || exp <= wall as f64 {
            return;
        }
        let deadline = (exp as u64).min(wall.saturating_add(self.ttl_seconds));
        if deadline > wall {
            self.entries.insert(token, identity, deadline);
        }
    }
}

/// Why a token was refused, and under which keys.
#[derive(Clone)]
pub(crate) struct Refusal {
    pub rejection: Rejection,
    /// The key set the signature failed under: the answer only holds while that same set is
    /// the issuer's current one (any rotation, refresh or outage sends the token back through).
    pub keys: Weak<KeySet>,
    pub issuer: u16,
}

/// Tokens whose signature did not verify, so that a flood of one forged token costs a lookup,
/// not a signature check. Only ever answers "rejected", and only under the same key set.
pub(crate) struct RejectedCache {
    entries: SlotCache<Refusal>,
    ttl_seconds: u64,
}

impl std::fmt::Debug for RejectedCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RejectedCache")
            .field("slots", &self.entries.slots.len())
            .finish()
    }
}

impl RejectedCache {
    /// Sized like the identity cache; `None` when that is off.
    pub fn new(capacity: u64, ttl_seconds: u64) -> Option<RejectedCache> {
        (capacity > 0 && ttl_seconds > 0).then(|| RejectedCache {
            entries: SlotCache::new(capacity),
            ttl_seconds,
        })
    }

    pub fn get(&self, token: &str, now: u64) -> Option<Refusal> {
        self.entries.get(token, now)
    }

    pub fn insert(&self, token: &str, refusal: Refusal) {
        let deadline = wall_clock().saturating_add(self.ttl_seconds);
        self.entries.insert(token, refusal, deadline);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_compare_whole_tokens_and_stay_bounded() {
        let cache: SlotCache<u32> = SlotCache::new(6);
        assert_eq!(cache.slots.len(), 4, "rounded down to a power of two");
        let far = u64::MAX;
        // Same length and same tail: same set, told apart by the full comparison.
        let a = format!("a{}", "x".repeat(60));
        let b = format!("b{}", "x".repeat(60));
        cache.insert(&a, 1, far);
        assert_eq!(cache.get(&a, 0), Some(1));
        assert_eq!(cache.get(&b, 0), None);
        cache.insert(&b, 2, far);
        assert_eq!((cache.get(&a, 0), cache.get(&b, 0)), (Some(1), Some(2)));
        // A third colliding token evicts one of the two, never answers for another.
        let c = format!("c{}", "x".repeat(60));
        cache.insert(&c, 3, far);
        assert_eq!(cache.get(&c, 0), Some(3));
        let left = [cache.get(&a, 0), cache.get(&b, 0)];
        assert!(left.contains(&None) && (left.contains(&Some(1)) || left.contains(&Some(2))));
        // Past the deadline the entry no longer answers.
        cache.insert("short", 9, 100);
        assert_eq!(cache.get("short", 99), Some(9));
        assert_eq!(cache.get("short", 100), None);
    }
}
