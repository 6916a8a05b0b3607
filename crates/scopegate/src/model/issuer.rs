//! The trusted issuers, compiled: exact `iss`, audiences, algorithms, claim rules and keys.

use std::collections::HashMap;
use std::sync::Arc;

use jsonwebtoken::Algorithm;

use super::profile::{ClaimRules, Tenants};
use crate::keys::KeyStore;
use crate::policy::ProfileName;

/// A trusted issuer, compiled.
#[derive(Debug)]
pub struct Issuer {
    pub(crate) index: u16,
    pub(crate) id: Arc<str>,
    pub(crate) iss: String,
    pub(crate) profile: ProfileName,
    pub(crate) audiences: Vec<String>,
    pub(crate) algorithms: Vec<Algorithm>,
    pub(crate) claims: ClaimRules,
    /// Multi-tenant issuers: the listed tenants, one exact `iss` each.
    pub(crate) tenants: Option<Tenants>,
    pub(crate) keys: KeyStore,
}

impl Issuer {
    /// The id used in the policy.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The exact `iss` value accepted; for a multi-tenant issuer its template (`{tenantid}`
    /// stands for each listed tenant).
    pub fn iss(&self) -> &str {
        &self.iss
    }

    /// Every exact `iss` value this issuer accepts: its `iss`, or one per listed tenant.
    pub fn accepted_iss(&self) -> Vec<String> {
        match &self.tenants {
            Some(t) => t.all_iss(),
            None => vec![self.iss.clone()],
        }
    }

    /// The profile.
    pub fn profile(&self) -> ProfileName {
        self.profile
    }

    /// Accepted audiences.
    pub fn audiences(&self) -> &[String] {
        &self.audiences
    }

    /// Accepted algorithms.
    pub fn algorithms(&self) -> &[Algorithm] {
        &self.algorithms
    }

    /// The issuer's keys.
    pub fn keys(&self) -> &KeyStore {
        &self.keys
    }
}

/// Issuers by exact `iss` (a multi-tenant issuer under each listed tenant's `iss`).
#[derive(Debug, Default)]
pub struct IssuerTable {
    by_iss: HashMap<String, u16, foldhash::fast::FixedState>,
    issuers: Vec<Issuer>,
}

impl IssuerTable {
    pub(crate) fn push(&mut self, issuer: Issuer) {
        for iss in issuer.accepted_iss() {
            self.by_iss.insert(iss, issuer.index);
        }
        self.issuers.push(issuer);
    }

    /// The issuer with this exact `iss`; never a pattern match: a multi-tenant issuer answers
    /// only for the `iss` of its listed tenants.
    pub fn by_iss(&self, iss: &str) -> Option<&Issuer> {
        self.by_iss.get(iss).and_then(|&i| self.issuers.get(i as usize))
    }

    /// The issuer at an index.
    pub(crate) fn get(&self, index: u16) -> Option<&Issuer> {
        self.issuers.get(index as usize)
    }

    /// The issuer with this policy id.
    pub fn by_id(&self, id: &str) -> Option<&Issuer> {
        self.issuers.iter().find(|i| &*i.id == id)
    }

    /// All issuers, in policy order.
    pub fn iter(&self) -> impl Iterator<Item = &Issuer> {
        self.issuers.iter()
    }

    /// The policy id of an issuer index.
    pub(crate) fn id_of(&self, index: u16) -> String {
        self.get(index)
            .map_or_else(|| format!("#{index}"), |i| i.id.to_string())
    }
}
