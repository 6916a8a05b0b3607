//! Explanations: the sentences and reason codes of denials, built only when denying.

use std::sync::Arc;

use super::Engine;
use super::decision::{Decision, Denial, MatchedRoute};
use super::identity::Identity;
use super::request::AuthRequest;
use crate::model::{Blocker, CompiledRoute, Requirement};
use crate::reason::ReasonCode;
use crate::text::printable;

impl Engine {
    /// What was required: the matched route's requirement, or that nothing matched.
    pub(super) fn route_text(&self, req: &AuthRequest<'_>, m: Option<&MatchedRoute>) -> String {
        match m {
            Some(m) => format!("route `{}` requires `{}`", m.key, m.requirement),
            None => format!("no route matches `{} {}`", printable(req.method), printable(req.path)),
        }
    }

    /// 403 `route_denied`: the token's issuer is not in the route's `issuers` list.
    pub(super) fn wrong_issuer(&self, route: &CompiledRoute, identity: Arc<Identity>, m: MatchedRoute) -> Decision {
        let allowed: Vec<String> = route
            .issuers
            .iter()
            .flatten()
            .map(|i| self.model.issuers.id_of(*i))
            .collect();
        Decision::Forbidden(Denial {
            code: ReasonCode::RouteDenied,
            reason: format!(
                "route `{}` accepts tokens only from issuers {allowed:?}; this token is from `{}`",
                m.key, identity.issuer_id
            ),
            route: Some(m),
            identity: Some(identity),
            missing_scopes: Vec::new(),
        })
    }

    /// 403 for a requirement that does not hold: missing scopes first, then roles, else
    /// `route_denied`, with everything that blocked it.
    pub(super) fn forbidden(&self, requirement: &Requirement, identity: Arc<Identity>, m: MatchedRoute) -> Decision {
        let blockers = requirement.blockers(&identity.facts, &self.model.symbols, &|i| self.model.issuers.id_of(i));
        let mut missing_scopes: Vec<String> = Vec::new();
        let mut missing_roles: Vec<String> = Vec::new();
        let mut other: Vec<String> = Vec::new();
        for b in blockers {
            match b {
                Blocker::Scope(s) => missing_scopes.extend(s),
                Blocker::Role(r) => missing_roles.extend(r),
                Blocker::Other(o) => other.push(o),
            }
        }
        unique(&mut missing_scopes);
        unique(&mut missing_roles);
        let code = if !missing_scopes.is_empty() {
            ReasonCode::InsufficientScope
        } else if !missing_roles.is_empty() {
            ReasonCode::InsufficientRole
        } else {
            ReasonCode::RouteDenied
        };
        let mut failed = Vec::new();
        if !missing_scopes.is_empty() {
            failed.push(format!("missing scope (any of {missing_scopes:?})"));
        }
        if !missing_roles.is_empty() {
            failed.push(format!("missing role (any of {missing_roles:?})"));
        }
        failed.extend(other);
        let reason = format!(
            "route `{}` requires `{}`; {}; {}",
            m.key,
            m.requirement,
            identity.describe(),
            failed.join("; ")
        );
        Decision::Forbidden(Denial {
            code,
            reason,
            route: Some(m),
            identity: Some(identity),
            missing_scopes,
        })
    }
}

/// Removes repeats, keeping first occurrences in order.
fn unique(list: &mut Vec<String>) {
    let mut seen: Vec<String> = Vec::with_capacity(list.len());
    list.retain(|x| {
        let new = !seen.contains(x);
        if new {
            seen.push(x.clone());
        }
        new
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_keeps_first_occurrences() {
        let mut v: Vec<String> = ["b", "a", "b", "c", "a"].iter().map(|s| s.to_string()).collect();
        unique(&mut v);
        assert_eq!(v, ["b", "a", "c"]);
    }
}
