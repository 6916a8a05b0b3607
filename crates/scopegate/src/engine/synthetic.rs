//! Policy tests without tokens: a synthetic identity decided like a verified one, and the
//! grants analysis seen from the engine.

use std::sync::Arc;

use serde_json::Map;

use super::Engine;
use super::decide::Caller;
use super::decision::Decision;
use super::identity::Identity;
use super::request::AuthRequest;
use crate::compile::{AnalysisError, Conjunction, Grants, route_grants};
use crate::model::Facts;
use crate::policy::Unmatched;
use crate::reason::{ReasonCode, Rejection};
use crate::routes::RouteId;

/// Who a policy test says is calling, instead of a token: used by `scopegate test` and
/// `scopegate can --identity`. Only [`Engine::decide_for`] and [`Engine::synthetic_identity`]
/// take one; no request path of an adapter can.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyntheticIdentity {
    /// The issuer's id in the policy (not its `iss`).
    pub issuer: String,
    /// `sub`.
    pub subject: Option<String>,
    /// The client the token would be issued to.
    pub client: Option<String>,
    /// Scopes the token would carry.
    pub scopes: Vec<String>,
    /// Roles the token would carry.
    pub roles: Vec<String>,
}

impl SyntheticIdentity {
    /// An identity from the issuer with this policy id, without scopes, roles or client.
    pub fn new(issuer: impl Into<String>) -> SyntheticIdentity {
        SyntheticIdentity {
            issuer: issuer.into(),
            ..SyntheticIdentity::default()
        }
    }

    /// Sets `sub`.
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// Sets the client.
    pub fn client(mut self, client: impl Into<String>) -> Self {
        self.client = Some(client.into());
        self
    }

    /// Sets the scopes.
    pub fn scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the roles.
    pub fn roles<S: Into<String>>(mut self, roles: impl IntoIterator<Item = S>) -> Self {
        self.roles = roles.into_iter().map(Into::into).collect();
        self
    }
}

impl Engine {
    /// The identity a token with these facts would verify to, skipping what only a real token
    /// has (signature, key, audience, token type and clock). Fails with `unknown_issuer` when
    /// `issuer` is not an issuer id of the policy.
    pub fn synthetic_identity(&self, who: &SyntheticIdentity) -> Result<Arc<Identity>, Rejection> {
        let issuer = self.model.issuers.by_id(&who.issuer).ok_or_else(|| {
            Rejection::new(
                ReasonCode::UnknownIssuer,
                format!("`{}` is not an issuer id of this policy", who.issuer),
            )
        })?;
        let symbols = &self.model.symbols;
        Ok(Arc::new(Identity {
            facts: Facts {
                issuer: issuer.index,
                client: who.client.as_deref().and_then(|c| symbols.clients.get(c)),
                scopes: symbols.scopes.bits(&who.scopes),
                roles: symbols.roles.bits(&who.roles),
            },
            issuer_id: Arc::clone(&issuer.id),
            subject: who.subject.clone(),
            client: who.client.clone(),
            scopes: who.scopes.clone(),
            roles: who.roles.clone(),
            claims: Map::new(),
            expires_at: f64::INFINITY,
            not_before: None,
            key_epoch: 0,
            synthetic: true,
        }))
    }

    /// Decides a request for a synthetic identity instead of the request's token (which is
    /// ignored): routing, the route's issuers and requirement, `unmatched` and CORS preflight
    /// apply as for a verified token; signature, key and clock checks are skipped. For policy
    /// tests only.
    pub fn decide_for(&self, req: &AuthRequest<'_>, who: &SyntheticIdentity) -> Result<Decision, Rejection> {
        let identity = self.synthetic_identity(who)?;
        Ok(self.decide_as(req, Caller::Synthetic(&identity)))
    }

    /// Who may call a route: anyone for an anonymous route, else the minimal conjunctions of
    /// its requirement per issuer it admits. `None` for an unknown id.
    pub fn grants(&self, id: RouteId) -> Option<Result<Grants, AnalysisError>> {
        self.model.compiled.get(id.index())?;
        Some(route_grants(&self.model, id.index()))
    }

    /// Who may make a request no route matches: nobody (`unmatched = "deny"`), or any valid
    /// token (`"allow-authenticated"`).
    pub fn unmatched_grants(&self) -> Grants {
        let mut g = Grants::nobody();
        if self.settings.unmatched == Unmatched::AllowAuthenticated {
            g.conjunctions = self
                .model
                .issuers
                .iter()
                .map(|i| Conjunction {
                    issuer: Arc::clone(&i.id),
                    all_of: vec!["authenticated".to_string()],
                    none_of: Vec::new(),
                })
                .collect();
        }
        g
    }
}
