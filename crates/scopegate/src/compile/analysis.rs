//! Policy analyses: each route's grants (shared by `check`, `can`, `matrix` and `diff`), routes
//! that can never be allowed (no grants), and scope or role names that no route uses or that no
//! issuer grants.

use super::grants::{AnalysisError, Grants, conjunctions};
use super::{Diagnostic, Severity};
use crate::model::{Access, CompiledRoute, Interner, Model, Symbols};
use crate::policy::load::LoadedPolicy;

pub(super) fn analyse(out: &mut Vec<Diagnostic>, policy: &LoadedPolicy, model: &Model) {
    let issuers = &model.issuers;
    // Analyses run only on policies without errors, so every route compiled: `compiled[i]`
    // is `routes[i]`.
    for (i, route) in model.compiled.iter().enumerate() {
        // Too large to analyse exactly: no finding rather than a guess.
        if route_grants(model, i).is_ok_and(|g| g.is_empty()) {
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

/// The grants of the route at `index`: anyone for an anonymous route, else the minimal
/// conjunctions of its requirement per issuer it admits (issuers in policy order).
pub(crate) fn route_grants(model: &Model, index: usize) -> Result<Grants, AnalysisError> {
    let Some(route) = model.compiled.get(index) else {
        return Ok(Grants::nobody());
    };
    let Access::Required(rule) = &route.access else {
        return Ok(Grants::anyone());
    };
    let issuers = &model.issuers;
    let expr = rule.to_expr(&model.symbols, &|i| issuers.id_of(i));
    let mut grants = Grants::nobody();
    for issuer in issuers.iter() {
        if !route.admits_issuer(issuer.index) {
            continue;
        }
        let found = conjunctions(&expr, &issuer.id).map_err(|message| AnalysisError {
            subject: format!("route `{}`", route.key_text),
            message,
        })?;
        grants.conjunctions.extend(found);
    }
    Ok(grants)
}
