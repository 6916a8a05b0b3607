//! Compiled requirements, evaluated on plain [`Facts`]: what a verified token says, as bits.

use super::symbols::{BitSet, Interner, Symbols, single};
use crate::expr::Expr;

/// What a requirement is decided on: the issuer, the client and the scope and role bits of a
/// verified token. Analyses build facts directly, without a token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Facts {
    /// Index of the issuer in the issuer table.
    pub issuer: u16,
    /// The client's interned id, when the policy mentions that client.
    pub client: Option<u32>,
    /// Scopes the policy mentions that the token holds.
    pub scopes: BitSet,
    /// Roles the policy mentions that the token holds.
    pub roles: BitSet,
}

/// A compiled requirement: names are bits, issuers are indexes into the issuer table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Requirement {
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
    Not(Box<Requirement>),
    /// All of.
    And(Box<[Requirement]>),
    /// Any of.
    Or(Box<[Requirement]>),
}

/// Something that stopped a requirement from holding; drives the reason code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Blocker {
    /// One of these scopes is needed.
    Scope(Vec<String>),
    /// One of these roles is needed.
    Role(Vec<String>),
    /// Something the token has excludes it, or issuer/client mismatch.
    Other(String),
}

impl Requirement {
    /// Compiles an expression; `issuer` resolves issuer ids (`None` = unknown id).
    pub fn compile(
        expr: &Expr,
        symbols: &mut Symbols,
        issuer: &impl Fn(&str) -> Option<u16>,
    ) -> Result<Requirement, String> {
        Ok(match expr {
            Expr::Authenticated => Requirement::Authenticated,
            Expr::Scope(n) => Requirement::AnyScope(single(symbols.scopes.intern(n))),
            Expr::Role(n) => Requirement::AnyRole(single(symbols.roles.intern(n))),
            Expr::Issuer(id) => Requirement::Issuer(issuer(id).ok_or_else(|| format!("unknown issuer id `{id}`"))?),
            Expr::Client(c) => Requirement::Client(symbols.clients.intern(c)),
            Expr::Not(e) => Requirement::Not(Box::new(Requirement::compile(e, symbols, issuer)?)),
            Expr::And(es) => Requirement::And(
                es.iter()
                    .map(|e| Requirement::compile(e, symbols, issuer))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Or(es) => Requirement::Or(
                es.iter()
                    .map(|e| Requirement::compile(e, symbols, issuer))
                    .collect::<Result<_, _>>()?,
            ),
        })
    }

    /// Evaluates against the facts of a verified token.
    pub fn eval(&self, facts: &Facts) -> bool {
        match self {
            Requirement::Authenticated => true,
            Requirement::AnyScope(b) => facts.scopes.intersects(b),
            Requirement::AnyRole(b) => facts.roles.intersects(b),
            Requirement::Issuer(i) => facts.issuer == *i,
            Requirement::Client(c) => facts.client == Some(*c),
            Requirement::Not(r) => !r.eval(facts),
            Requirement::And(rs) => rs.iter().all(|r| r.eval(facts)),
            Requirement::Or(rs) => rs.iter().any(|r| r.eval(facts)),
        }
    }

    /// What stops this rule from holding (empty when it holds).
    pub fn blockers(&self, facts: &Facts, symbols: &Symbols, issuer_name: &impl Fn(u16) -> String) -> Vec<Blocker> {
        if self.eval(facts) {
            return Vec::new();
        }
        let names = |b: &BitSet, i: &Interner| b.iter().map(|x| i.name(x).to_string()).collect::<Vec<_>>();
        match self {
            Requirement::Authenticated => Vec::new(),
            Requirement::AnyScope(b) => vec![Blocker::Scope(names(b, &symbols.scopes))],
            Requirement::AnyRole(b) => vec![Blocker::Role(names(b, &symbols.roles))],
            Requirement::Issuer(i) => vec![Blocker::Other(format!(
                "the token is not from issuer `{}`",
                issuer_name(*i)
            ))],
            Requirement::Client(c) => vec![Blocker::Other(format!(
                "the token was not issued to client `{}`",
                symbols.clients.name(*c)
            ))],
            Requirement::Not(r) => vec![Blocker::Other(format!(
                "the route excludes `{}`",
                r.describe(symbols, issuer_name)
            ))],
            Requirement::And(rs) | Requirement::Or(rs) => rs
                .iter()
                .flat_map(|r| r.blockers(facts, symbols, issuer_name))
                .collect(),
        }
    }

    /// The rule in expression syntax.
    pub fn describe(&self, symbols: &Symbols, issuer_name: &impl Fn(u16) -> String) -> String {
        self.to_expr(symbols, issuer_name).to_string()
    }

    /// The rule as an expression, with names (for analyses).
    pub fn to_expr(&self, symbols: &Symbols, issuer_name: &impl Fn(u16) -> String) -> Expr {
        let any = |b: &BitSet, i: &Interner, f: fn(String) -> Expr| {
            let mut items: Vec<Expr> = b.iter().map(|x| f(i.name(x).to_string())).collect();
            if items.len() == 1 {
                items.remove(0)
            } else {
                Expr::Or(items)
            }
        };
        match self {
            Requirement::Authenticated => Expr::Authenticated,
            Requirement::AnyScope(b) => any(b, &symbols.scopes, Expr::Scope),
            Requirement::AnyRole(b) => any(b, &symbols.roles, Expr::Role),
            Requirement::Issuer(i) => Expr::Issuer(issuer_name(*i)),
            Requirement::Client(c) => Expr::Client(symbols.clients.name(*c).to_string()),
            Requirement::Not(r) => Expr::Not(Box::new(r.to_expr(symbols, issuer_name))),
            Requirement::And(rs) => Expr::And(rs.iter().map(|r| r.to_expr(symbols, issuer_name)).collect()),
            Requirement::Or(rs) => Expr::Or(rs.iter().map(|r| r.to_expr(symbols, issuer_name)).collect()),
        }
    }

    /// Scope and role names used.
    pub fn mentions(&self, scopes: &mut Vec<u32>, roles: &mut Vec<u32>) {
        match self {
            Requirement::AnyScope(b) => scopes.extend(b.iter()),
            Requirement::AnyRole(b) => roles.extend(b.iter()),
            Requirement::Not(r) => r.mentions(scopes, roles),
            Requirement::And(rs) | Requirement::Or(rs) => rs.iter().for_each(|r| r.mentions(scopes, roles)),
            _ => {}
        }
    }
}
