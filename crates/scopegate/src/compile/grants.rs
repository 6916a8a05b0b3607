//! Grants: what a requirement allows, per issuer, as its minimal conjunctions.
//!
//! A requirement is a boolean function of atoms (`scope:x`, `role:y`, `client:z`, `issuer:i`,
//! `authenticated`). With the issuer fixed, its grants are the prime implicants of that function
//! (Blake's canonical form, by iterated consensus), each an `all_of` set of atoms plus a
//! `none_of` set (from `not`). A token carries one client at most, so the function is taken
//! modulo "two clients at once": that is what lets `not client:a` drop out beside `client:b`.
//! Prime implicants depend on the function only, never on how it is written: `scopes = ["a",
//! "b"]` and `require = "scope:a or scope:b"` have the same grants, and grants compare exactly.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::expr::Expr;

/// Largest number of terms one requirement may expand to before the analysis gives up.
const MAX_TERMS: usize = 4096;

/// The atom a conjunction holds when no other atom is required: any valid token.
const AUTHENTICATED: &str = "authenticated";

/// One way to satisfy a requirement: a valid token from `issuer` holding every atom of `all_of`
/// and none of `none_of`. Atoms are written as in requirements (`scope:pets:buy`,
/// `role:admin`, `client:spa`) and sorted; `all_of` is `["authenticated"]` when nothing else
/// is required.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub struct Conjunction {
    /// The issuer's policy id.
    pub issuer: Arc<str>,
    /// Atoms the token must hold.
    pub all_of: Vec<String>,
    /// Atoms the token must not hold.
    pub none_of: Vec<String>,
}

/// Who may call a route: anyone (an anonymous route), or the tokens matching one of the
/// conjunctions (none: nobody). Exact and canonical: two requirements with the same meaning
/// have equal grants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Grants {
    /// Anyone, with or without a token.
    pub anonymous: bool,
    /// The minimal conjunctions, per issuer in policy order, then by atoms.
    pub conjunctions: Vec<Conjunction>,
}

/// A requirement, or a pair of route tables, too large to analyse exactly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{subject}: {message}")]
#[non_exhaustive]
pub struct AnalysisError {
    /// What could not be analysed, e.g. "route `GET /pets`".
    pub subject: String,
    /// Why.
    pub message: String,
}

impl Grants {
    /// Nobody.
    pub fn nobody() -> Grants {
        Grants::default()
    }

    /// Anyone, with or without a token.
    pub fn anyone() -> Grants {
        Grants {
            anonymous: true,
            conjunctions: Vec::new(),
        }
    }

    /// True when nobody is granted access.
    pub fn is_empty(&self) -> bool {
        !self.anonymous && self.conjunctions.is_empty()
    }

    /// True when every caller `other` lets through is let through here too.
    pub fn includes(&self, other: &Grants) -> bool {
        if self.anonymous {
            return true;
        }
        if other.anonymous {
            return false;
        }
        other.conjunctions.iter().all(|c| self.implied_by(c))
    }

    /// True when every token matching `c` is granted here.
    pub(crate) fn implied_by(&self, c: &Conjunction) -> bool {
        if self.anonymous {
            return true;
        }
        let mut atoms = Atoms::default();
        let given = atoms.term(&c.all_of, &c.none_of);
        let mut terms: Vec<Term> = self
            .conjunctions
            .iter()
            .filter(|g| g.issuer == c.issuer)
            .map(|g| atoms.term(&g.all_of, &g.none_of))
            .collect();
        terms.extend(atoms.client_pairs());
        let Ok(closed) = blake(terms) else {
            return false;
        };
        closed.iter().any(|p| p.subsumes(&given))
    }
}

/// A product term: sorted atom indexes that must hold and must not.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Term {
    pos: Vec<u32>,
    neg: Vec<u32>,
}

impl Term {
    fn one() -> Term {
        Term {
            pos: Vec::new(),
            neg: Vec::new(),
        }
    }

    fn subsumes(&self, other: &Term) -> bool {
        subset(&self.pos, &other.pos) && subset(&self.neg, &other.neg)
    }

    /// The product of two terms; `None` when contradictory.
    fn and(&self, other: &Term, atoms: &Atoms) -> Option<Term> {
        let t = Term {
            pos: union(&self.pos, &other.pos),
            neg: union(&self.neg, &other.neg),
        };
        t.consistent(atoms).then_some(t)
    }

    fn consistent(&self, atoms: &Atoms) -> bool {
        !self.pos.iter().any(|a| self.neg.binary_search(a).is_ok())
            && self.pos.iter().filter(|a| atoms.is_client(**a)).count() <= 1
    }
}

fn subset(a: &[u32], b: &[u32]) -> bool {
    a.iter().all(|x| b.binary_search(x).is_ok())
}

fn union(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut v: Vec<u32> = a.iter().chain(b).copied().collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Atom texts interned for one computation.
#[derive(Debug, Default)]
struct Atoms {
    names: Vec<String>,
    ids: BTreeMap<String, u32>,
}

impl Atoms {
    fn id(&mut self, text: &str) -> u32 {
        if let Some(&i) = self.ids.get(text) {
            return i;
        }
        let i = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(text.to_string());
        self.ids.insert(text.to_string(), i);
        i
    }

    fn name(&self, i: u32) -> &str {
        self.names.get(i as usize).map_or("?", String::as_str)
    }

    fn is_client(&self, i: u32) -> bool {
        self.name(i).starts_with("client:")
    }

    fn term(&mut self, all_of: &[String], none_of: &[String]) -> Term {
        let mut pos: Vec<u32> = all_of
            .iter()
            .filter(|a| a.as_str() != AUTHENTICATED)
            .map(|a| self.id(a))
            .collect();
        let mut neg: Vec<u32> = none_of.iter().map(|a| self.id(a)).collect();
        pos.sort_unstable();
        neg.sort_unstable();
        Term { pos, neg }
    }

    /// `client:a and client:b` for every pair of clients: terms that no token can match, added
    /// so that the closure reasons modulo "one client at most".
    fn client_pairs(&self) -> Vec<Term> {
        let clients: Vec<u32> = (0..self.names.len() as u32).filter(|i| self.is_client(*i)).collect();
        let mut out = Vec::new();
        for (k, a) in clients.iter().enumerate() {
            for b in clients.iter().skip(k + 1) {
                out.push(Term {
                    pos: vec![*a, *b],
                    neg: Vec::new(),
                });
            }
        }
        out
    }
}

/// Adds `t` unless a term subsumes it; drops the terms it subsumes.
fn absorb_into(set: &mut Vec<Term>, t: Term) -> bool {
    if set.iter().any(|s| s.subsumes(&t)) {
        return false;
    }
    set.retain(|s| !t.subsumes(s));
    set.push(t);
    true
}

/// Blake's canonical form: every prime implicant, by iterated consensus with absorption.
/// Terms with two clients (the pairs added for "one client at most") take part but are no
/// grants; callers drop them with [`Term::consistent`].
fn blake(terms: Vec<Term>) -> Result<Vec<Term>, String> {
    let mut set: Vec<Term> = Vec::new();
    for t in terms {
        absorb_into(&mut set, t);
    }
    let mut i = 0;
    while i < set.len() {
        let mut j = 0;
        while j < i && i < set.len() {
            if let (Some(a), Some(b)) = (set.get(i), set.get(j))
                && let Some(c) = consensus(a, b)
                && absorb_into(&mut set, c)
            {
                if set.len() > MAX_TERMS {
                    return Err(format!("more than {MAX_TERMS} prime implicants"));
                }
                // The set changed under the indexes: start over (terms only get fewer or
                // more general, so this ends).
                i = 0;
                j = 0;
                continue;
            }
            j += 1;
        }
        i += 1;
    }
    Ok(set)
}

/// The consensus of two terms that clash in exactly one atom.
fn consensus(a: &Term, b: &Term) -> Option<Term> {
    let clashes = |p: &Term, n: &Term| -> Vec<u32> {
        p.pos
            .iter()
            .filter(|x| n.neg.binary_search(x).is_ok())
            .copied()
            .collect()
    };
    let (clash_ab, clash_ba) = (clashes(a, b), clashes(b, a));
    let clash = match (clash_ab.as_slice(), clash_ba.as_slice()) {
        ([x], []) | ([], [x]) => *x,
        _ => return None,
    };
    let pos: Vec<u32> = union(&a.pos, &b.pos).into_iter().filter(|x| *x != clash).collect();
    let neg: Vec<u32> = union(&a.neg, &b.neg).into_iter().filter(|x| *x != clash).collect();
    Some(Term { pos, neg })
}

/// The DNF of `e` (or of `not e`) with the issuer fixed, absorbed along the way.
fn dnf(e: &Expr, issuer: &str, negated: bool, atoms: &mut Atoms) -> Result<Vec<Term>, String> {
    let constant = |holds: bool| {
        if holds != negated {
            vec![Term::one()]
        } else {
            Vec::new()
        }
    };
    Ok(match e {
        Expr::Authenticated => constant(true),
        Expr::Issuer(i) => constant(i == issuer),
        Expr::Scope(_) | Expr::Role(_) | Expr::Client(_) => {
            let id = atoms.id(&e.to_string());
            let lit = vec![id];
            vec![if negated {
                Term {
                    pos: Vec::new(),
                    neg: lit,
                }
            } else {
                Term {
                    pos: lit,
                    neg: Vec::new(),
                }
            }]
        }
        Expr::Not(inner) => dnf(inner, issuer, !negated, atoms)?,
        Expr::And(es) | Expr::Or(es) => {
            let conjunctive = matches!(e, Expr::And(_)) != negated;
            let mut acc: Vec<Term> = if conjunctive { vec![Term::one()] } else { Vec::new() };
            for child in es {
                let terms = dnf(child, issuer, negated, atoms)?;
                if conjunctive {
                    let mut next = Vec::new();
                    for a in &acc {
                        for b in &terms {
                            if let Some(t) = a.and(b, atoms) {
                                absorb_into(&mut next, t);
                            }
                        }
                        if next.len() > MAX_TERMS {
                            return Err(format!("more than {MAX_TERMS} terms"));
                        }
                    }
                    acc = next;
                } else {
                    for t in terms {
                        absorb_into(&mut acc, t);
                    }
                }
            }
            acc
        }
    })
}

/// The grants of a requirement for one issuer, as conjunctions.
pub(crate) fn conjunctions(expr: &Expr, issuer: &Arc<str>) -> Result<Vec<Conjunction>, String> {
    let mut atoms = Atoms::default();
    let mut terms = dnf(expr, issuer, false, &mut atoms)?;
    terms.extend(atoms.client_pairs());
    let primes = blake(terms)?;
    let mut out: Vec<Conjunction> = primes
        .into_iter()
        .filter(|t| t.consistent(&atoms))
        .map(|t| {
            let mut all_of: Vec<String> = t.pos.iter().map(|a| atoms.name(*a).to_string()).collect();
            let mut none_of: Vec<String> = t.neg.iter().map(|a| atoms.name(*a).to_string()).collect();
            all_of.sort();
            none_of.sort();
            if all_of.is_empty() {
                all_of.push(AUTHENTICATED.to_string());
            }
            Conjunction {
                issuer: Arc::clone(issuer),
                all_of,
                none_of,
            }
        })
        .collect();
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grants(text: &str) -> Vec<(Vec<String>, Vec<String>)> {
        let e = Expr::parse(text).unwrap_or(Expr::Authenticated);
        conjunctions(&e, &Arc::from("a"))
            .unwrap_or_default()
            .into_iter()
            .map(|c| (c.all_of, c.none_of))
            .collect()
    }

    fn g(all: &[&str], none: &[&str]) -> (Vec<String>, Vec<String>) {
        (
            all.iter().map(|s| s.to_string()).collect(),
            none.iter().map(|s| s.to_string()).collect(),
        )
    }

    #[test]
    fn equivalent_rewrites_have_equal_grants() {
        assert_eq!(
            grants("scope:a or scope:b"),
            [g(&["scope:a"], &[]), g(&["scope:b"], &[])]
        );
        assert_eq!(
            grants("(scope:a and role:x) or (scope:a and not role:x)"),
            [g(&["scope:a"], &[])]
        );
        assert_eq!(grants("not (not scope:a or role:b)"), [g(&["scope:a"], &["role:b"])]);
        assert_eq!(grants("scope:a and scope:a or scope:a"), grants("scope:a"));
        assert_eq!(grants("authenticated"), [g(&["authenticated"], &[])]);
        assert_eq!(grants("not authenticated"), []);
        assert_eq!(grants("issuer:a and scope:x"), [g(&["scope:x"], &[])]);
        assert_eq!(grants("issuer:b or scope:x"), [g(&["scope:x"], &[])]);
        assert_eq!(grants("scope:x and not scope:x"), []);
        // The consensus `scope:a and scope:b` is a prime whether it is written or not.
        let primes = [
            g(&["role:r", "scope:a"], &[]),
            g(&["scope:a", "scope:b"], &[]),
            g(&["scope:b"], &["role:r"]),
        ];
        assert_eq!(grants("(scope:a and role:r) or (not role:r and scope:b)"), primes);
        assert_eq!(
            grants("(scope:a and role:r) or (not role:r and scope:b) or (scope:a and scope:b)"),
            primes
        );
    }

    #[test]
    fn one_client_at_most() {
        assert_eq!(grants("client:x and not client:y"), [g(&["client:x"], &[])]);
        assert_eq!(grants("client:x and client:y"), []);
        assert_eq!(
            grants("scope:s and (client:x or client:y or (not client:x and not client:y))"),
            [g(&["scope:s"], &[])]
        );
    }

    #[test]
    fn inclusion_is_semantic() {
        let of = |text: &str| Grants {
            anonymous: false,
            conjunctions: conjunctions(&Expr::parse(text).unwrap_or(Expr::Authenticated), &Arc::from("a"))
                .unwrap_or_default(),
        };
        assert!(of("scope:a").includes(&of("scope:a and scope:b")));
        assert!(!of("scope:a and scope:b").includes(&of("scope:a")));
        assert!(of("not client:y").includes(&of("client:x")));
        assert!(of("scope:a or not scope:a").includes(&of("authenticated")));
        assert!(Grants::anyone().includes(&of("scope:a")));
        assert!(!of("authenticated").includes(&Grants::anyone()));
        assert!(of("scope:a").includes(&Grants::nobody()));
    }
}
