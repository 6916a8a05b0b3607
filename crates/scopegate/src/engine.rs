//! The decision engine: one compiled policy answering requests.

use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::cache::IdentityCache;
use crate::compile::{self, Access, CompileError, CompiledRoute, Diagnostic};
use crate::decision::{Decision, Denial, Grant, GrantBasis, MatchedRoute, ReasonCode, Rejection};
use crate::identity::Identity;
use crate::policy::{CorsPreflight, LambdaSource, LoadedPolicy, PolicyError, Unmatched};
use crate::routes::{RouteId, RouteKey, RouteTable};
use crate::rules::{Blocker, Symbols};
use crate::verify::{IssuerTable, Verifier, check_time};

/// One request as the engine sees it: no HTTP framework types.
#[derive(Debug, Clone, Copy)]
pub struct AuthRequest<'a> {
    /// The HTTP method, e.g. `GET` (case-sensitive).
    pub method: &'a str,
    /// The request path without query string, e.g. `/pets/7`.
    pub path: &'a str,
    /// The bearer token, without the `Bearer ` prefix; `None` when absent.
    pub token: Option<&'a str>,
    /// The clock, in seconds since the epoch; `None` reads the system clock.
    pub now: Option<u64>,
    /// The adapter saw a CORS preflight (`OPTIONS` with `Origin` and
    /// `Access-Control-Request-Method`).
    pub cors_preflight: bool,
    /// The adapter found credentials it cannot use (two `Authorization` headers, another
    /// scheme): treated as a malformed token, which anonymous routes ignore.
    pub credential_error: Option<&'a str>,
}

impl<'a> AuthRequest<'a> {
    /// A request without a token.
    pub fn new(method: &'a str, path: &'a str) -> AuthRequest<'a> {
        AuthRequest {
            method,
            path,
            token: None,
            now: None,
            cors_preflight: false,
            credential_error: None,
        }
    }

    /// Sets the bearer token.
    pub fn token(mut self, token: &'a str) -> Self {
        self.token = Some(token);
        self
    }

    /// Fixes the clock.
    pub fn at(mut self, now: u64) -> Self {
        self.now = Some(now);
        self
    }

    /// Reports unusable credentials (see [`AuthRequest::credential_error`]).
    pub fn malformed_credentials(mut self, why: &'a str) -> Self {
        self.credential_error = Some(why);
        self
    }

    /// Marks the request as a CORS preflight.
    pub fn preflight(mut self, yes: bool) -> Self {
        self.cors_preflight = yes;
        self
    }
}

/// Engine-wide settings after compilation.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Clock skew in seconds.
    pub leeway_seconds: u64,
    /// Answer for unmatched requests.
    pub unmatched: Unmatched,
    /// CORS preflight handling.
    pub cors_preflight: CorsPreflight,
    /// Token size cap in bytes.
    pub max_token_bytes: usize,
    /// The policy's `[lambda]` table, for the Lambda authorizer adapter (unused by the engine).
    pub lambda: LambdaSource,
}

/// A successful compilation: the engine and any warnings.
#[derive(Debug)]
pub struct Compiled {
    /// The engine.
    pub engine: Engine,
    /// Findings that do not stop the policy from working.
    pub warnings: Vec<Diagnostic>,
}

/// A policy file that could not be turned into an engine.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Reading or parsing failed.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The policy does not compile.
    #[error(transparent)]
    Compile(#[from] CompileError),
}

/// A route as the compiled table holds it.
#[derive(Debug, Clone, Copy)]
pub struct RouteView<'e> {
    /// The route's id.
    pub id: RouteId,
    /// The parsed key.
    pub key: &'e RouteKey,
    /// The requirement, printed (`anonymous` for open routes).
    pub requirement: &'e str,
    /// Issuer ids the route is limited to, if any.
    pub issuers: Option<&'e [u16]>,
}

/// A compiled policy, ready to decide. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Engine {
    pub(crate) settings: Settings,
    pub(crate) issuers: IssuerTable,
    symbols: Symbols,
    routes: RouteTable,
    compiled: Vec<CompiledRoute>,
    cache: Option<IdentityCache>,
}

fn wall_clock() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl Engine {
    /// Compiles a loaded policy.
    pub fn compile(policy: &LoadedPolicy) -> Result<Compiled, CompileError> {
        // With two jsonwebtoken backends enabled (feature unification elsewhere in a build), its
        // automatic choice panics on first use; pinning aws-lc-rs here keeps verification total.
        if jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER
            .install_default()
            .is_err()
        {
            tracing::debug!("a jsonwebtoken crypto provider is already installed; keeping it");
        }
        let c = compile::compile(policy)?;
        let s = &policy.source.settings;
        let engine = Engine {
            settings: Settings {
                leeway_seconds: s.leeway_seconds,
                unmatched: s.unmatched,
                cors_preflight: s.cors_preflight,
                max_token_bytes: s.max_token_bytes,
                lambda: policy.source.lambda.clone(),
            },
            issuers: c.issuers,
            symbols: c.symbols,
            routes: c.routes,
            compiled: c.compiled,
            cache: IdentityCache::new(s.identity_cache.capacity, s.identity_cache.ttl_seconds),
        };
        Ok(Compiled {
            engine,
            warnings: c.warnings,
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
        &self.issuers
    }

    /// The route table.
    pub fn route_table(&self) -> &RouteTable {
        &self.routes
    }

    /// A route by id.
    pub fn route(&self, id: RouteId) -> Option<RouteView<'_>> {
        let r = self.compiled.get(id.index())?;
        Some(RouteView {
            id,
            key: &r.key,
            requirement: &r.requirement_text,
            issuers: r.issuers.as_deref(),
        })
    }

    /// Decides a request with the keys the engine holds now.
    pub fn decide(&self, req: &AuthRequest<'_>) -> Decision {
        let decision = self.decide_inner(req);
        self.log(req, &decision);
        decision
    }

    fn log(&self, req: &AuthRequest<'_>, decision: &Decision) {
        tracing::debug!(
            method = req.method,
            route = decision.route().map(|r| &*r.key),
            issuer = decision.identity().map(|i| i.issuer_id()),
            status = decision.status(),
            reason_code = decision.reason_code().map(ReasonCode::as_str),
            "scopegate decision"
        );
    }

    /// Decides a request, fetching keys first when the token's issuer publishes them over the
    /// network and the token's key is not known yet (single flight per issuer, at most one fetch
    /// per cooldown). With offline keys, or keys already known, it completes without yielding.
    pub async fn authorize(&self, req: &AuthRequest<'_>) -> Decision {
        let first = self.decide_inner(req);
        if let Some(fetch) = self.key_fetch(&first, req.token) {
            // Decided again even when the key is still unknown: the reason then tells why.
            self.fetch_keys(&fetch).await;
            return self.decide(req);
        }
        self.log(req, &first);
        first
    }

    /// Verifies a token (or returns its cached identity).
    pub fn authenticate(&self, token: &str, now: Option<u64>) -> Result<Arc<Identity>, Rejection> {
        let now = now.unwrap_or_else(wall_clock);
        if token.len() > self.settings.max_token_bytes {
            return Err(Rejection::new(
                ReasonCode::MalformedToken,
                format!(
                    "token is {} bytes, more than the {} allowed",
                    token.len(),
                    self.settings.max_token_bytes
                ),
            ));
        }
        if let Some(cache) = &self.cache
            && let Some(identity) = cache.get(token)
            // A key removed since verification (rotation, staleness) sends the token back through.
            && self
                .issuers
                .get(identity.issuer_index)
                .is_some_and(|i| i.keys.epoch() == identity.key_epoch)
        {
            check_time(
                identity.expires_at,
                identity.not_before,
                None,
                now,
                self.settings.leeway_seconds,
            )?;
            return Ok(identity);
        }
        let verifier = Verifier {
            issuers: &self.issuers,
            symbols: &self.symbols,
            leeway: self.settings.leeway_seconds,
            max_token_bytes: self.settings.max_token_bytes,
        };
        let identity = Arc::new(verifier.verify(token, now)?);
        if let Some(cache) = &self.cache {
            cache.insert(token, Arc::clone(&identity));
        }
        Ok(identity)
    }

    /// True when a verified identity may call a route (ignores the token's clock).
    pub fn permits(&self, id: RouteId, identity: &Identity) -> bool {
        match self.compiled.get(id.index()) {
            None => false,
            Some(r) => match &r.access {
                Access::Anonymous => true,
                Access::Rule(rule) => {
                    r.issuers
                        .as_ref()
                        .is_none_or(|list| list.contains(&identity.issuer_index))
                        && rule.eval(identity)
                }
            },
        }
    }

    fn matched(&self, id: RouteId, path: &str) -> Option<(&CompiledRoute, MatchedRoute)> {
        let r = self.compiled.get(id.index())?;
        let mut params = Vec::new();
        if !r.param_names.is_empty() {
            params.reserve_exact(r.param_names.len());
            let mut names = r.param_names.iter();
            r.key.each_param(path, |_, value| {
                if let Some(name) = names.next() {
                    params.push((Arc::clone(name), value.to_string()));
                }
            });
        }
        Some((
            r,
            MatchedRoute {
                key: Arc::clone(&r.key_text),
                requirement: Arc::clone(&r.requirement_text),
                params,
            },
        ))
    }

    fn decide_inner(&self, req: &AuthRequest<'_>) -> Decision {
        let now = req.now;
        if req.cors_preflight && self.settings.cors_preflight == CorsPreflight::Allow {
            return Decision::Allow(Grant {
                identity: None,
                route: None,
                basis: GrantBasis::CorsPreflight,
            });
        }
        let matched = self
            .routes
            .find(req.method, req.path)
            .and_then(|id| self.matched(id, req.path));

        if let Some((r, _)) = &matched
            && let Access::Anonymous = r.access
        {
            // Like an API Gateway route without an authorizer: a token never causes a 401 here.
            let identity = req
                .token
                .filter(|_| req.credential_error.is_none())
                .and_then(|t| self.authenticate(t, now).ok());
            return Decision::Allow(Grant {
                identity,
                route: matched.map(|(_, m)| m),
                basis: GrantBasis::Anonymous,
            });
        }

        let route_text = |m: &Option<(&CompiledRoute, MatchedRoute)>| match m {
            Some((_, m)) => format!("route `{}` requires `{}`", m.key, m.requirement),
            None => format!(
                "no route matches `{} {}`",
                crate::token::printable(req.method),
                crate::token::printable(req.path)
            ),
        };
        let unauthenticated = |code: ReasonCode, what: String, matched: Option<(&CompiledRoute, MatchedRoute)>| {
            Decision::Unauthenticated(Denial {
                code,
                reason: format!("{}; {what}", route_text(&matched)),
                route: matched.map(|(_, m)| m),
                identity: None,
                missing_scopes: Vec::new(),
            })
        };
        if let Some(why) = req.credential_error {
            return unauthenticated(
                ReasonCode::MalformedToken,
                format!("the credentials are unusable: {why}"),
                matched,
            );
        }
        let Some(token) = req.token else {
            return unauthenticated(ReasonCode::MissingToken, "no token was presented".into(), matched);
        };
        let identity = match self.authenticate(token, now) {
            Ok(i) => i,
            Err(r) => {
                return unauthenticated(r.code, format!("the token was rejected: {}", r.message), matched);
            }
        };

        let Some((route, m)) = matched else {
            return match self.settings.unmatched {
                Unmatched::AllowAuthenticated => Decision::Allow(Grant {
                    identity: Some(identity),
                    route: None,
                    basis: GrantBasis::Unmatched,
                }),
                Unmatched::Deny => Decision::Forbidden(Denial {
                    code: ReasonCode::NoRoute,
                    reason: format!("{}; unmatched requests are denied", route_text(&None)),
                    route: None,
                    identity: Some(identity),
                    missing_scopes: Vec::new(),
                }),
            };
        };
        let Access::Rule(rule) = &route.access else {
            return Decision::Allow(Grant {
                identity: Some(identity),
                route: Some(m),
                basis: GrantBasis::Anonymous,
            });
        };
        if let Some(list) = &route.issuers
            && !list.contains(&identity.issuer_index)
        {
            let allowed: Vec<String> = list.iter().map(|i| self.issuers.id_of(*i)).collect();
            return Decision::Forbidden(Denial {
                code: ReasonCode::RouteDenied,
                reason: format!(
                    "route `{}` accepts tokens only from issuers {allowed:?}; this token is from `{}`",
                    m.key, identity.issuer_id
                ),
                route: Some(m),
                identity: Some(identity),
                missing_scopes: Vec::new(),
            });
        }
        if rule.eval(&identity) {
            return Decision::Allow(Grant {
                identity: Some(identity),
                route: Some(m),
                basis: GrantBasis::Requirement,
            });
        }
        self.forbidden(rule, identity, m)
    }

    fn forbidden(&self, rule: &crate::rules::Rule, identity: Arc<Identity>, m: MatchedRoute) -> Decision {
        let blockers = rule.blockers(&identity, &self.symbols, &|i| self.issuers.id_of(i));
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
    fn engines_can_be_shared_across_threads() {
        fn shareable<T: Send + Sync + 'static>() {}
        shareable::<Engine>();
        shareable::<Decision>();
    }

    #[test]
    fn unique_keeps_first_occurrences() {
        let mut v: Vec<String> = ["b", "a", "b", "c", "a"].iter().map(|s| s.to_string()).collect();
        unique(&mut v);
        assert_eq!(v, ["b", "a", "c"]);
    }
}
