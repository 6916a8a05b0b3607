//! The verified identity a token stands for, normalised across identity providers.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::model::Facts;
use crate::model::profile::claim;
use crate::text::printable;

/// Who a valid token speaks for. Built once per token and cached.
#[derive(Debug, Clone)]
pub struct Identity {
    /// What requirements are decided on.
    pub(crate) facts: Facts,
    pub(crate) issuer_id: Arc<str>,
    pub(crate) subject: Option<String>,
    pub(crate) client: Option<String>,
    pub(crate) scopes: Vec<String>,
    pub(crate) roles: Vec<String>,
    pub(crate) claims: Map<String, Value>,
    pub(crate) expires_at: f64,
    pub(crate) not_before: Option<f64>,
    /// The issuer's key epoch at verification: a key withdrawn since then invalidates it.
    pub(crate) key_epoch: u64,
    /// Built from a [`crate::SyntheticIdentity`] by a policy test, not from a token.
    pub(crate) synthetic: bool,
}

impl Identity {
    /// The issuer's id in the policy.
    pub fn issuer_id(&self) -> &str {
        &self.issuer_id
    }

    /// `sub`.
    pub fn subject(&self) -> Option<&str> {
        self.subject.as_deref()
    }

    /// The client the token was issued to (profile's client claim).
    pub fn client(&self) -> Option<&str> {
        self.client.as_deref()
    }

    /// All scopes the token carries, in token order.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// All roles the token carries, in token order.
    pub fn roles(&self) -> &[String] {
        &self.roles
    }

    /// The verified claims.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// One verified claim by name: a name starting with `/` is an RFC 6901 JSON Pointer
    /// (`/realm_access/roles`), any other name one top-level claim.
    pub fn claim(&self, name: &str) -> Option<&Value> {
        claim(&self.claims, name)
    }

    /// `exp`, seconds since the epoch.
    pub fn expires_at(&self) -> f64 {
        self.expires_at
    }

    /// True for an identity a policy test made up ([`crate::Engine::synthetic_identity`]).
    pub fn is_synthetic(&self) -> bool {
        self.synthetic
    }

    /// One line for explanations: issuer, subject, scopes and roles.
    pub fn describe(&self) -> String {
        format!(
            "{} from `{}` (subject {}) has scopes {:?} and roles {:?}",
            if self.synthetic { "synthetic identity" } else { "token" },
            self.issuer_id,
            self.subject
                .as_deref()
                .map_or("(none)".to_string(), |s| format!("`{}`", printable(s))),
            self.scopes,
            self.roles
        )
    }
}
