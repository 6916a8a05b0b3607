//! What the engine answers: allow with a [`Grant`], or a denial with a stable reason code.

use std::sync::Arc;

use super::identity::Identity;
use crate::reason::ReasonCode;

/// The route a request matched, as the decision reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MatchedRoute {
    /// The route key, e.g. `GET /pets/{id}`.
    pub key: Arc<str>,
    /// The compiled requirement, printed (`anonymous` for open routes).
    pub requirement: Arc<str>,
    /// Path parameters, in route order.
    pub params: Vec<(Arc<str>, String)>,
}

/// Why a request was allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GrantBasis {
    /// The route's requirement holds for the token.
    Requirement,
    /// The route allows anonymous access.
    Anonymous,
    /// A CORS preflight, passed by `settings.cors_preflight = "allow"`.
    CorsPreflight,
    /// No route matched and `settings.unmatched = "allow-authenticated"`.
    Unmatched,
}

/// What an allowed request may carry on to the service.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Grant {
    /// The verified identity; `None` for anonymous access without a valid token.
    pub identity: Option<Arc<Identity>>,
    /// The route that allowed it (`None` when unmatched requests are allowed).
    pub route: Option<MatchedRoute>,
    /// Why access was granted.
    pub basis: GrantBasis,
}

impl Grant {
    /// Why access was granted, for people. Built on demand: the allow path formats nothing.
    pub fn reason(&self) -> String {
        let route = self.route.as_ref();
        let key = route.map_or("(none)", |r| &*r.key);
        match self.basis {
            GrantBasis::CorsPreflight => {
                "CORS preflight passes without a token (settings.cors_preflight = \"allow\")".into()
            }
            GrantBasis::Anonymous => format!("route `{key}` allows anonymous access"),
            GrantBasis::Unmatched => "no route matches; unmatched requests with a valid token are allowed".into(),
            GrantBasis::Requirement => format!(
                "route `{key}` requires `{}`; {}: allowed",
                route.map_or("", |r| &*r.requirement),
                self.identity.as_deref().map_or_else(String::new, Identity::describe)
            ),
        }
    }

    /// Issuer id from the policy.
    pub fn issuer(&self) -> Option<&str> {
        self.identity.as_deref().map(Identity::issuer_id)
    }

    /// `sub` of the token.
    pub fn subject(&self) -> Option<&str> {
        self.identity.as_deref().and_then(Identity::subject)
    }
}

/// A denial: the code, the explanation and what the engine knew.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Denial {
    /// The stable code.
    pub code: ReasonCode,
    /// A sentence for people: what was checked and what failed.
    pub reason: String,
    /// The matched route, when routing happened.
    pub route: Option<MatchedRoute>,
    /// The verified identity, for 403s.
    pub identity: Option<Arc<Identity>>,
    /// Scopes that would satisfy the route (for `WWW-Authenticate: ... scope="..."`).
    pub missing_scopes: Vec<String>,
}

/// The engine's answer for one request.
#[derive(Debug, Clone)]
pub enum Decision {
    /// Let the request through.
    Allow(Grant),
    /// 401: no valid token.
    Unauthenticated(Denial),
    /// 403: valid token, not enough.
    Forbidden(Denial),
}

impl Decision {
    /// 200, 401 or 403.
    pub fn status(&self) -> u16 {
        match self {
            Decision::Allow(_) => 200,
            Decision::Unauthenticated(_) => 401,
            Decision::Forbidden(_) => 403,
        }
    }

    /// True for [`Decision::Allow`].
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow(_))
    }

    /// The reason code; `None` on allow.
    pub fn reason_code(&self) -> Option<ReasonCode> {
        match self {
            Decision::Allow(_) => None,
            Decision::Unauthenticated(d) | Decision::Forbidden(d) => Some(d.code),
        }
    }

    /// The human explanation.
    pub fn reason(&self) -> String {
        match self {
            Decision::Allow(g) => g.reason(),
            Decision::Unauthenticated(d) | Decision::Forbidden(d) => d.reason.clone(),
        }
    }

    /// The matched route, if any.
    pub fn route(&self) -> Option<&MatchedRoute> {
        match self {
            Decision::Allow(g) => g.route.as_ref(),
            Decision::Unauthenticated(d) | Decision::Forbidden(d) => d.route.as_ref(),
        }
    }

    /// The verified identity, if the token was valid.
    pub fn identity(&self) -> Option<&Arc<Identity>> {
        match self {
            Decision::Allow(g) => g.identity.as_ref(),
            Decision::Unauthenticated(d) | Decision::Forbidden(d) => d.identity.as_ref(),
        }
    }
}
