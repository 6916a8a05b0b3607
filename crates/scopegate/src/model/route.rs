//! Routes with their compiled requirements, indexed by [`crate::RouteId`].

use std::sync::Arc;

use super::requirement::Requirement;
use crate::routes::RouteKey;

/// How a route may be reached.
#[derive(Debug, Clone)]
pub(crate) enum Access {
    /// No token needed (`allow = "anonymous"`).
    Anonymous,
    /// A valid token meeting the requirement.
    Required(Requirement),
}

/// A route with its compiled requirement.
#[derive(Debug, Clone)]
pub(crate) struct CompiledRoute {
    pub key: RouteKey,
    pub key_text: Arc<str>,
    /// The requirement printed (`anonymous` for open routes), for explanations.
    pub requirement_text: Arc<str>,
    pub access: Access,
    /// Issuer indexes allowed; `None` = all.
    pub issuers: Option<Vec<u16>>,
    /// The same issuers by policy id, for adapters and tools.
    pub issuer_ids: Option<Vec<Arc<str>>>,
    pub param_names: Vec<Arc<str>>,
}

impl CompiledRoute {
    /// True when a token from this issuer index may use the route at all.
    pub fn admits_issuer(&self, issuer: u16) -> bool {
        self.issuers.as_ref().is_none_or(|list| list.contains(&issuer))
    }
}
