//! The decision engine: one compiled policy answering requests.
//!
//! [`Engine::decide`] routes the request, authenticates its token (the identity cache first,
//! then full verification) and evaluates the route's requirement; [`Engine::authorize`] does
//! the same and first fetches keys an issuer has published since.

mod authenticate;
mod cache;
mod changes;
mod config_changes;
mod decide;
mod decision;
mod explain;
mod identity;
mod key_fetch;
mod request;
mod synthetic;
mod telemetry;
mod verify;

use std::fmt;
use std::path::Path;
use std::sync::Arc;

pub use changes::{AccessChange, ChangeKind, access_changes};
pub use config_changes::{ConfigChange, ConfigSubject, Direction, config_changes};
pub use decision::{Decision, Denial, Grant, GrantBasis, MatchedRoute};
pub use identity::Identity;
pub use key_fetch::{KeyFetch, WarmUp};
pub use request::AuthRequest;
pub use synthetic::SyntheticIdentity;

use crate::compile::{self, CompileError, Diagnostic};
use crate::model::IssuerTable;
use crate::model::{Access, Model};
use crate::policy::load::{LoadedPolicy, PolicyError};
use crate::policy::{CorsPreflight, Unmatched};
use crate::reason::ReasonCode;
use crate::routes::{RouteId, RouteKey, RouteTable};
use cache::{IdentityCache, RejectedCache};
use telemetry::EngineMetrics;

/// Engine-wide settings after compilation.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Settings {
    /// Clock skew in seconds.
    pub leeway_seconds: u64,
    /// Answer for unmatched requests.
    pub unmatched: Unmatched,
    /// CORS preflight handling.
    pub cors_preflight: CorsPreflight,
    /// Token size cap in bytes.
    pub max_token_bytes: usize,
}

/// A successful compilation: the engine and any warnings.
#[derive(Debug)]
#[non_exhaustive]
pub struct Compiled {
    /// The engine.
    pub engine: Engine,
    /// Findings that do not stop the policy from working.
    pub warnings: Vec<Diagnostic>,
}

/// A policy file that could not be turned into an engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// Reading or parsing failed.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The policy does not compile.
    #[error(transparent)]
    Compile(#[from] CompileError),
}

/// How a route may be reached, as [`RouteView`] shows it. Prints as the policy writes it:
/// `anonymous`, or the requirement in expression syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteAccess<'e> {
    /// No token needed (`allow = "anonymous"`).
    Anonymous,
    /// A valid token meeting this requirement (printed in expression syntax).
    Requirement(&'e str),
}

impl fmt::Display for RouteAccess<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteAccess::Anonymous => f.write_str("anonymous"),
            RouteAccess::Requirement(text) => f.write_str(text),
        }
    }
}

/// A route as the compiled table holds it.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct RouteView<'e> {
    /// The route's id.
    pub id: RouteId,
    /// The parsed key.
    pub key: &'e RouteKey,
    /// Anonymous, or what a token needs.
    pub access: RouteAccess<'e>,
    /// Ids of the issuers the route is limited to (`issuers = [..]`), if any.
    pub issuers: Option<&'e [Arc<str>]>,
}

/// A compiled policy, ready to decide. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Engine {
    settings: Settings,
    model: Model,
    cache: Option<IdentityCache>,
    rejected: Option<RejectedCache>,
    metrics: EngineMetrics,
}

impl Engine {
    /// Compiles a loaded policy.
    ///
    /// The engine's metric handles are registered here, with the `metrics` recorder in effect
    /// (the global one, or the thread's local one): install a recorder before compiling.
    pub fn compile(policy: &LoadedPolicy) -> Result<Compiled, CompileError> {
        // With two jsonwebtoken backends enabled (feature unification elsewhere in a build), its
        // automatic choice panics on first use; pinning aws-lc-rs here keeps verification total.
        if jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER
            .install_default()
            .is_err()
        {
            tracing::debug!("a jsonwebtoken crypto provider is already installed; keeping it");
        }
        let out = compile::compile(policy)?;
        let s = &policy.source.settings;
        let engine = Engine {
            settings: Settings {
                leeway_seconds: s.leeway_seconds,
                unmatched: s.unmatched,
                cors_preflight: s.cors_preflight,
                max_token_bytes: s.max_token_bytes,
            },
            model: out.model,
            cache: IdentityCache::new(s.identity_cache.capacity, s.identity_cache.ttl_seconds),
            rejected: RejectedCache::new(s.identity_cache.capacity, s.identity_cache.ttl_seconds),
            metrics: EngineMetrics::register(),
        };
        Ok(Compiled {
            engine,
            warnings: out.warnings,
        })
    }

    /// Reads and compiles a policy file (TOML, or JSON by extension).
    pub fn from_path(path: impl AsRef<Path>) -> Result<Compiled, LoadError> {
        Ok(Engine::compile(&LoadedPolicy::from_path(path)?)?)
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The issuers.
    pub fn issuers(&self) -> &IssuerTable {
        &self.model.issuers
    }

    /// The route table.
    pub fn route_table(&self) -> &RouteTable {
        &self.model.routes
    }

    /// A route by id.
    pub fn route(&self, id: RouteId) -> Option<RouteView<'_>> {
        let r = self.model.compiled.get(id.index())?;
        Some(RouteView {
            id,
            key: &r.key,
            access: match r.access {
                Access::Anonymous => RouteAccess::Anonymous,
                Access::Required(_) => RouteAccess::Requirement(&r.requirement_text),
            },
            issuers: r.issuer_ids.as_deref(),
        })
    }

    /// True when a verified identity may call a route (ignores the token's clock).
    pub fn permits(&self, id: RouteId, identity: &Identity) -> bool {
        match self.model.compiled.get(id.index()) {
            None => false,
            Some(r) => match &r.access {
                Access::Anonymous => true,
                Access::Required(requirement) => {
                    r.admits_issuer(identity.facts.issuer) && requirement.eval(&identity.facts)
                }
            },
        }
    }

    /// Decides a request with the keys the engine holds now.
    pub fn decide(&self, req: &AuthRequest<'_>) -> Decision {
        let started = self.metrics.start();
        let decision = self.decide_now(req);
        self.metrics.record(&decision, started);
        log(req, &decision);
        decision
    }

    /// Decides a request, fetching keys first when the token's issuer publishes them over the
    /// network and the token's key is not known yet (single flight per issuer, at most one fetch
    /// per cooldown). With offline keys, or keys already known, it completes without yielding.
    pub async fn authorize(&self, req: &AuthRequest<'_>) -> Decision {
        let started = self.metrics.start();
        let first = self.decide_now(req);
        if let Some(fetch) = self.key_fetch(&first, req.token) {
            // Decided again even when the key is still unknown: the reason then tells why.
            self.fetch_keys(&fetch).await;
            return self.decide(req);
        }
        self.metrics.record(&first, started);
        log(req, &first);
        first
    }
}

fn log(req: &AuthRequest<'_>, decision: &Decision) {
    tracing::debug!(
        method = req.method,
        route = decision.route().map(|r| &*r.key),
        issuer = decision.identity().map(|i| i.issuer_id()),
        status = decision.status(),
        reason_code = decision.reason_code().map(ReasonCode::as_str),
        "scopegate decision"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_can_be_shared_across_threads() {
        fn shareable<T: Send + Sync + 'static>() {}
        shareable::<Engine>();
        shareable::<Decision>();
    }
}
