//! Names interned to bit positions: scopes, roles and clients become bits at compile time, so
//! that a requirement is decided with a few word operations.

use std::collections::HashMap;

/// A set of interned names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BitSet(Box<[u64]>);

impl BitSet {
    /// An empty set able to hold `bits` names.
    pub fn with_capacity(bits: usize) -> BitSet {
        BitSet(vec![0; bits.div_ceil(64)].into_boxed_slice())
    }

    /// Adds bit `i`, growing the set when needed.
    pub fn insert(&mut self, i: u32) {
        let word = i as usize / 64;
        if word >= self.0.len() {
            let mut grown = self.0.to_vec();
            grown.resize(word + 1, 0);
            self.0 = grown.into_boxed_slice();
        }
        if let Some(w) = self.0.get_mut(word) {
            *w |= 1 << (i % 64);
        }
    }

    /// True when bit `i` is set.
    #[cfg(test)]
    pub fn contains(&self, i: u32) -> bool {
        self.0.get(i as usize / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// True when the sets share a bit.
    pub fn intersects(&self, other: &BitSet) -> bool {
        self.0.iter().zip(other.0.iter()).any(|(a, b)| a & b != 0)
    }

    /// Set bits in ascending order. Visits set bits only (policies with thousands of names
    /// iterate one-bit sets at compile time).
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.iter().enumerate().flat_map(|(wi, &w)| {
            let mut rest = w;
            std::iter::from_fn(move || {
                if rest == 0 {
                    return None;
                }
                let bit = rest.trailing_zeros();
                rest &= rest - 1;
                Some(wi as u32 * 64 + bit)
            })
        })
    }
}

/// Name ↔ bit position for one kind of name (scopes, roles or clients).
#[derive(Debug, Clone, Default)]
pub(crate) struct Interner {
    ids: HashMap<String, u32, foldhash::fast::FixedState>,
    names: Vec<String>,
}

impl Interner {
    /// The bit for a name, adding it if new.
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.ids.insert(name.to_string(), id);
        self.names.push(name.to_string());
        id
    }

    /// The bit for a known name.
    pub fn get(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    /// The name of a bit.
    pub fn name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("?", String::as_str)
    }

    /// Number of names.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// The set of known names among `names`.
    pub fn bits<'a>(&self, names: impl IntoIterator<Item = &'a String>) -> BitSet {
        let mut set = BitSet::with_capacity(self.len());
        for n in names {
            if let Some(id) = self.get(n) {
                set.insert(id);
            }
        }
        set
    }
}

/// The interned names a policy mentions.
#[derive(Debug, Clone, Default)]
pub(crate) struct Symbols {
    /// Scope names.
    pub scopes: Interner,
    /// Role names.
    pub roles: Interner,
    /// Client ids.
    pub clients: Interner,
}

/// A set holding one bit. Sets of different lengths compare correctly: missing words are zero.
pub(crate) fn single(bit: u32) -> BitSet {
    let mut b = BitSet::default();
    b.insert(bit);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitset_basics() {
        let mut a = BitSet::with_capacity(130);
        a.insert(0);
        a.insert(64);
        a.insert(129);
        assert_eq!(a.iter().collect::<Vec<_>>(), [0, 64, 129]);
        let mut grown = a.clone();
        grown.insert(500);
        assert!(grown.contains(500) && grown.intersects(&a));
        let mut b = BitSet::with_capacity(130);
        b.insert(129);
        assert!(a.intersects(&b));
        assert!(!BitSet::with_capacity(130).intersects(&a));
        assert!(a.contains(64) && !a.contains(65));
    }

    #[test]
    fn interner_is_stable() {
        let mut i = Interner::default();
        assert_eq!(i.intern("a"), 0);
        assert_eq!(i.intern("b"), 1);
        assert_eq!(i.intern("a"), 0);
        assert_eq!(i.name(1), "b");
        assert_eq!(
            i.bits([&"b".to_string(), &"zzz".to_string()].into_iter())
                .iter()
                .collect::<Vec<_>>(),
            [1]
        );
    }
}
