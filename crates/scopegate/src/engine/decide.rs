//! Deciding one request: route, authenticate, then the route's requirement.

use std::sync::Arc;

use super::Engine;
use super::decision::{Decision, Denial, Grant, GrantBasis, MatchedRoute};
use super::identity::Identity;
use super::request::AuthRequest;
use crate::model::{Access, CompiledRoute, Requirement};
use crate::policy::{CorsPreflight, Unmatched};
use crate::reason::ReasonCode;
use crate::routes::RouteId;

/// Where the caller's identity comes from.
#[derive(Clone, Copy)]
pub(super) enum Caller<'a> {
    /// The request's token, verified (every real request).
    Token,
    /// A synthetic identity for policy tests ([`Engine::decide_for`]); the token is ignored.
    Synthetic(&'a Arc<Identity>),
}

impl Engine {
    /// The decision without logging it.
    pub(super) fn decide_now(&self, req: &AuthRequest<'_>) -> Decision {
        self.decide_as(req, Caller::Token)
    }

    /// The decision for a caller.
    pub(super) fn decide_as(&self, req: &AuthRequest<'_>, caller: Caller<'_>) -> Decision {
        if req.cors_preflight && self.settings.cors_preflight == CorsPreflight::Allow {
            return Decision::Allow(Grant {
                identity: None,
                route: None,
                basis: GrantBasis::CorsPreflight,
            });
        }
        let matched = self
            .model
            .routes
            .find(req.method, req.path)
            .and_then(|id| self.matched(id, req.path));
        let Some((route, m)) = matched else {
            return self.unmatched(req, caller);
        };
        match &route.access {
            Access::Anonymous => self.anonymous(req, caller, m),
            Access::Required(requirement) => self.required(req, caller, route, requirement, m),
        }
    }

    fn matched(&self, id: RouteId, path: &str) -> Option<(&CompiledRoute, MatchedRoute)> {
        let r = self.model.compiled.get(id.index())?;
        // Allocated at its final size straight away (no growth path); nothing for routes without
        // parameters.
        let mut params = Vec::with_capacity(r.param_names.len());
        if !r.param_names.is_empty() {
            let mut names = r.param_names.iter();
            r.key.each_param(path, |_, value| {
                if let Some(name) = names.next() {
                    params.push((Arc::clone(name), value.to_string()));
                }
            });
        }
        let m = MatchedRoute {
            key: Arc::clone(&r.key_text),
            requirement: Arc::clone(&r.requirement_text),
            params,
        };
        Some((r, m))
    }

    /// Like an API Gateway route without an authorizer: a token never causes a 401 here; a
    /// valid one still yields its identity.
    fn anonymous(&self, req: &AuthRequest<'_>, caller: Caller<'_>, m: MatchedRoute) -> Decision {
        let identity = match caller {
            Caller::Synthetic(i) => Some(Arc::clone(i)),
            Caller::Token => req
                .token
                .filter(|_| req.credential_error.is_none())
                .and_then(|t| self.authenticate(t, req.now).ok()),
        };
        Decision::Allow(Grant {
            identity,
            route: Some(m),
            basis: GrantBasis::Anonymous,
        })
    }

    /// The request's identity, or the 401 that says why there is none.
    fn identity(
        &self,
        req: &AuthRequest<'_>,
        caller: Caller<'_>,
        m: Option<&MatchedRoute>,
    ) -> Result<Arc<Identity>, Decision> {
        if let Caller::Synthetic(i) = caller {
            return Ok(Arc::clone(i));
        }
        let unauthenticated = |code: ReasonCode, what: String| {
            Decision::Unauthenticated(Denial {
                code,
                reason: format!("{}; {what}", self.route_text(req, m)),
                route: m.cloned(),
                identity: None,
                missing_scopes: Vec::new(),
            })
        };
        if let Some(why) = req.credential_error {
            let what = format!("the credentials are unusable: {why}");
            return Err(unauthenticated(ReasonCode::MalformedToken, what));
        }
        let Some(token) = req.token else {
            return Err(unauthenticated(
                ReasonCode::MissingToken,
                "no token was presented".into(),
            ));
        };
        self.authenticate(token, req.now)
            .map_err(|r| unauthenticated(r.code, format!("the token was rejected: {}", r.message)))
    }

    /// No route matched: `settings.unmatched` decides for a valid token.
    fn unmatched(&self, req: &AuthRequest<'_>, caller: Caller<'_>) -> Decision {
        let identity = match self.identity(req, caller, None) {
            Ok(i) => i,
            Err(denied) => return denied,
        };
        match self.settings.unmatched {
            Unmatched::AllowAuthenticated => Decision::Allow(Grant {
                identity: Some(identity),
                route: None,
                basis: GrantBasis::Unmatched,
            }),
            Unmatched::Deny => Decision::Forbidden(Denial {
                code: ReasonCode::NoRoute,
                reason: format!("{}; unmatched requests are denied", self.route_text(req, None)),
                route: None,
                identity: Some(identity),
                missing_scopes: Vec::new(),
            }),
        }
    }

    /// A route that needs a valid token: its issuer list, then its requirement.
    fn required(
        &self,
        req: &AuthRequest<'_>,
        caller: Caller<'_>,
        route: &CompiledRoute,
        requirement: &Requirement,
        m: MatchedRoute,
    ) -> Decision {
        let identity = match self.identity(req, caller, Some(&m)) {
            Ok(i) => i,
            Err(denied) => return denied,
        };
        if !route.admits_issuer(identity.facts.issuer) {
            return self.wrong_issuer(route, identity, m);
        }
        if requirement.eval(&identity.facts) {
            return Decision::Allow(Grant {
                identity: Some(identity),
                route: Some(m),
                basis: GrantBasis::Requirement,
            });
        }
        self.forbidden(requirement, identity, m)
    }
}
