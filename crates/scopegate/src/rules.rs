//! Compiled requirements: names interned to bit positions, evaluated with bit operations.

use std::collections::HashMap;

use crate::expr::Expr;
use crate::identity::Identity;

/// A set of interned names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BitSet(Box<[u64]>);

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
pub struct Interner {
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
pub struct Symbols {
    /// Scope names.
    pub scopes: Interner,
    /// Role names.
    pub roles: Interner,
    /// Client ids.
    pub clients: Interner,
}

/// A compiled requirement.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// Any valid token.
    Authenticated,
    /// Holds any scope of the set.
    AnyScope(BitSet),
    /// Holds any role of the set.
    AnyRole(BitSet),
    /// From this issuer (index into the issuer table).
    Issuer(u16),
    /// Issued to this client (interned id).
    Client(u32),
    /// Negation.
    Not(Box<Rule>),
    /// All of.
    And(Box<[Rule]>),
    /// Any of.
    Or(Box<[Rule]>),
}

/// Something that stopped a requirement from holding; drives the reason code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocker {
    /// One of these scopes is needed.
    Scope(Vec<String>),
    /// One of these roles is needed.
    Role(Vec<String>),
    /// Something the token has excludes it, or issuer/client mismatch.
    Other(String),
}

impl Rule {
    /// Compiles an expression; `issuer` resolves issuer ids (`None` = unknown id).
    pub fn compile(expr: &Expr, symbols: &mut Symbols, issuer: &impl Fn(&str) -> Option<u16>) -> Result<Rule, String> {
        Ok(match expr {
            Expr::Authenticated => Rule::Authenticated,
            Expr::Scope(n) => Rule::AnyScope(single(symbols.scopes.intern(n))),
            Expr::Role(n) => Rule::AnyRole(single(symbols.roles.intern(n))),
            Expr::Issuer(id) => Rule::Issuer(issuer(id).ok_or_else(|| format!("unknown issuer id `{id}`"))?),
            Expr::Client(c) => Rule::Client(symbols.clients.intern(c)),
            Expr::Not(e) => Rule::Not(Box::new(Rule::compile(e, symbols, issuer)?)),
            Expr::And(es) => Rule::And(
                es.iter()
                    .map(|e| Rule::compile(e, symbols, issuer))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Or(es) => Rule::Or(
                es.iter()
                    .map(|e| Rule::compile(e, symbols, issuer))
                    .collect::<Result<_, _>>()?,
            ),
        })
    }

    /// Evaluates against a verified identity.
    pub fn eval(&self, id: &Identity) -> bool {
        match self {
            Rule::Authenticated => true,
            Rule::AnyScope(b) => id.scope_bits.intersects(b),
            Rule::AnyRole(b) => id.role_bits.intersects(b),
            Rule::Issuer(i) => id.issuer_index == *i,
            Rule::Client(c) => id.client_symbol == Some(*c),
            Rule::Not(r) => !r.eval(id),
            Rule::And(rs) => rs.iter().all(|r| r.eval(id)),
            Rule::Or(rs) => rs.iter().any(|r| r.eval(id)),
        }
    }

    /// What stops this rule from holding (empty when it holds).
    pub fn blockers(&self, id: &Identity, symbols: &Symbols, issuer_name: &impl Fn(u16) -> String) -> Vec<Blocker> {
        if self.eval(id) {
            return Vec::new();
        }
        let names = |b: &BitSet, i: &Interner| b.iter().map(|x| i.name(x).to_string()).collect::<Vec<_>>();
        match self {
            Rule::Authenticated => Vec::new(),
            Rule::AnyScope(b) => vec![Blocker::Scope(names(b, &symbols.scopes))],
            Rule::AnyRole(b) => vec![Blocker::Role(names(b, &symbols.roles))],
            Rule::Issuer(i) => vec![Blocker::Other(format!(
                "the token is not from issuer `{}`",
                issuer_name(*i)
            ))],
            Rule::Client(c) => vec![Blocker::Other(format!(
                "the token was not issued to client `{}`",
                symbols.clients.name(*c)
            ))],
            Rule::Not(r) => vec![Blocker::Other(format!(
                "the route excludes `{}`",
                r.describe(symbols, issuer_name)
            ))],
            Rule::And(rs) | Rule::Or(rs) => rs.iter().flat_map(|r| r.blockers(id, symbols, issuer_name)).collect(),
        }
    }

    /// The rule in expression syntax.
    pub fn describe(&self, symbols: &Symbols, issuer_name: &impl Fn(u16) -> String) -> String {
        self.to_expr(symbols, issuer_name).to_string()
    }

    fn to_expr(&self, symbols: &Symbols, issuer_name: &impl Fn(u16) -> String) -> Expr {
        let any = |b: &BitSet, i: &Interner, f: fn(String) -> Expr| {
            let mut items: Vec<Expr> = b.iter().map(|x| f(i.name(x).to_string())).collect();
            if items.len() == 1 {
                items.remove(0)
            } else {
                Expr::Or(items)
            }
        };
        match self {
            Rule::Authenticated => Expr::Authenticated,
            Rule::AnyScope(b) => any(b, &symbols.scopes, Expr::Scope),
            Rule::AnyRole(b) => any(b, &symbols.roles, Expr::Role),
            Rule::Issuer(i) => Expr::Issuer(issuer_name(*i)),
            Rule::Client(c) => Expr::Client(symbols.clients.name(*c).to_string()),
            Rule::Not(r) => Expr::Not(Box::new(r.to_expr(symbols, issuer_name))),
            Rule::And(rs) => Expr::And(rs.iter().map(|r| r.to_expr(symbols, issuer_name)).collect()),
            Rule::Or(rs) => Expr::Or(rs.iter().map(|r| r.to_expr(symbols, issuer_name)).collect()),
        }
    }

    /// Scope and role names used.
    pub fn mentions(&self, scopes: &mut Vec<u32>, roles: &mut Vec<u32>) {
        match self {
            Rule::AnyScope(b) => scopes.extend(b.iter()),
            Rule::AnyRole(b) => roles.extend(b.iter()),
            Rule::Not(r) => r.mentions(scopes, roles),
            Rule::And(rs) | Rule::Or(rs) => rs.iter().for_each(|r| r.mentions(scopes, roles)),
            _ => {}
        }
    }

    /// Issuer indexes and client ids the rule mentions.
    pub fn mentions_issuers_clients(&self, issuers: &mut Vec<u16>, clients: &mut Vec<u32>) {
        match self {
            Rule::Issuer(i) => issuers.push(*i),
            Rule::Client(c) => clients.push(*c),
            Rule::Not(r) => r.mentions_issuers_clients(issuers, clients),
            Rule::And(rs) | Rule::Or(rs) => rs.iter().for_each(|r| r.mentions_issuers_clients(issuers, clients)),
            _ => {}
        }
    }
}

/// A set holding one bit. Sets of different lengths compare correctly: missing words are zero.
fn single(bit: u32) -> BitSet {
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
