//! Policy analyses for `scopegate check`: routes that can never be allowed, and scope or role
//! names that no route uses or that no issuer grants.

use super::{Diagnostic, Severity};
use crate::model::{Access, BitSet, CompiledRoute, Facts, Interner, IssuerTable, Model, Requirement, Symbols};
use crate::policy::load::LoadedPolicy;

/// Above this many free scope/role atoms a route is not searched exhaustively.
const MAX_FREE_ATOMS: usize = 16;

pub(super) fn analyse(out: &mut Vec<Diagnostic>, policy: &LoadedPolicy, model: &Model) {
    let issuers = &model.issuers;
    // Analyses run only on policies without errors, so every route compiled: `compiled[i]`
    // is `routes[i]`.
    for (i, route) in model.compiled.iter().enumerate() {
        let Access::Required(rule) = &route.access else {
            continue;
        };
        if satisfiable(rule, route.issuers.as_deref(), issuers) == Some(false) {
            out.push(Diagnostic {
                severity: Severity::Warning,
                location: policy.locate(policy.spans().route(i).route.as_ref(), &route.key_text),
                subject: format!("route `{}`", route.key_text),
                message: format!(
                    "can never be allowed: no token can satisfy `{}`{}",
                    route.requirement_text,
                    match &route.issuers {
                        Some(list) => format!(
                            " from issuers {:?}",
                            list.iter().map(|i| issuers.id_of(*i)).collect::<Vec<_>>()
                        ),
                        None => String::new(),
                    }
                ),
            });
        }
    }
    names(out, policy, &model.symbols, &model.compiled);
}

fn names(out: &mut Vec<Diagnostic>, policy: &LoadedPolicy, symbols: &Symbols, routes: &[CompiledRoute]) {
    let (mut used_scopes, mut used_roles) = (Vec::new(), Vec::new());
    for r in routes {
        if let Access::Required(rule) = &r.access {
            rule.mentions(&mut used_scopes, &mut used_roles);
        }
    }
    let used = |ids: &[u32], interner: &Interner, name: &str| ids.iter().any(|i| interner.name(*i) == name);
    let src = &policy.source.issuers;
    for (kind, declared_any, known) in [
        (
            "scope",
            src.iter().any(|i| i.known_scopes.is_some()),
            src.iter()
                .flat_map(|i| i.known_scopes.iter().flatten())
                .collect::<Vec<_>>(),
        ),
        (
            "role",
            src.iter().any(|i| i.known_roles.is_some()),
            src.iter()
                .flat_map(|i| i.known_roles.iter().flatten())
                .collect::<Vec<_>>(),
        ),
    ] {
        let mut known = known;
        known.sort_unstable();
        known.dedup();
        let (ids, interner) = if kind == "scope" {
            (&used_scopes, &symbols.scopes)
        } else {
            (&used_roles, &symbols.roles)
        };
        for name in &known {
            if !used(ids, interner, name) {
                out.push(Diagnostic {
                    severity: Severity::Warning,
                    location: policy.locate_value(name, 0),
                    subject: format!("{kind} `{name}`"),
                    message: format!("declared in `known_{kind}s` but used by no route"),
                });
            }
        }
        if !declared_any {
            continue;
        }
        let mut reported = Vec::new();
        for id in ids {
            let name = interner.name(*id);
            if !known.iter().any(|k| k.as_str() == name) && !reported.contains(&name) {
                reported.push(name);
                out.push(Diagnostic {
                    severity: Severity::Warning,
                    location: policy.locate_value(name, 0),
                    subject: format!("{kind} `{name}`"),
                    message: format!("required by a route but granted by no issuer's `known_{kind}s` (a typo?)"),
                });
            }
        }
    }
}

/// `Some(true)` when some identity satisfies the rule, `Some(false)` when none can, `None`
/// when the search space is too large to tell.
fn satisfiable(rule: &Requirement, allowed: Option<&[u16]>, issuers: &IssuerTable) -> Option<bool> {
    let (mut scopes, mut roles) = (Vec::new(), Vec::new());
    rule.mentions(&mut scopes, &mut roles);
    let (mut mentioned_issuers, mut clients) = (Vec::new(), Vec::new());
    rule.mentions_issuers_clients(&mut mentioned_issuers, &mut clients);
    for v in [&mut scopes, &mut roles] {
        v.sort_unstable();
        v.dedup();
    }
    clients.sort_unstable();
    clients.dedup();
    let atoms = scopes.len() + roles.len();
    if atoms > MAX_FREE_ATOMS {
        return None;
    }
    // A client is one value: one of the mentioned ids, or something else.
    let client_choices: Vec<Option<u32>> = clients.iter().copied().map(Some).chain([None]).collect();
    for issuer in issuers.iter() {
        if allowed.is_some_and(|a| !a.contains(&issuer.index)) {
            continue;
        }
        for client in &client_choices {
            for mask in 0u32..(1 << atoms) {
                let mut scope_bits = BitSet::default();
                let mut role_bits = BitSet::default();
                for (i, s) in scopes.iter().chain(roles.iter()).enumerate() {
                    if mask & (1 << i) != 0 {
                        if i < scopes.len() {
                            scope_bits.insert(*s)
                        } else {
                            role_bits.insert(*s)
                        }
                    }
                }
                let facts = Facts {
                    issuer: issuer.index,
                    client: *client,
                    scopes: scope_bits,
                    roles: role_bits,
                };
                if rule.eval(&facts) {
                    return Some(true);
                }
            }
        }
    }
    Some(false)
}
