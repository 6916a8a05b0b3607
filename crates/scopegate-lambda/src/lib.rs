//! scopegate as an API Gateway Lambda authorizer.
//!
//! One [`Authorizer`] answers REST API `TOKEN` and `REQUEST` events and HTTP API events
//! (payload 1.0 and 2.0) from a compiled [`scopegate::Engine`]. It holds no policy logic: it
//! reads the method, path and token from the event, asks [`Engine::authorize`], and writes the
//! answer in the shape API Gateway expects:
//!
//! | engine decision | REST / HTTP 1.0 / HTTP 2.0 IAM | HTTP 2.0 simple |
//! |---|---|---|
//! | allow | `Allow` policy | `{"isAuthorized": true}` |
//! | 403 | `Deny` policy (or no matching `Allow`) | `{"isAuthorized": false}` |
//! | 401 | the error `Unauthorized` | the error `Unauthorized` |
//!
//! Any other error ([`AuthorizerError::InvalidEvent`]) means a malformed event and becomes a
//! 500 at API Gateway; a bad or missing token never does.
//!
//! # Cache-safe policies
//! API Gateway caches an authorizer's answer per token and reuses it for every route. By default
//! (`[lambda] policy_resources = "routes"`) the IAM policy therefore lists every route this
//! identity may call, as `execute-api` patterns under the stage of the incoming ARN, checked to
//! allow exactly what the engine allows request by request (see [`plan`]). When no exact policy
//! exists the answer covers only the incoming ARN and a warning is logged; with
//! `policy_resources = "method-arn"` it always does (use it only with a cache TTL of 0).
//! Simple responses (`http_response = "simple"`) are one verdict for the whole API while cached:
//! use them only with caching off or with `$context.routeKey` among the identity sources.
//!
//! # Where method, path and token come from
//! - REST `TOKEN`: method and path from `methodArn`; the token is `authorizationToken`.
//! - REST `REQUEST` and HTTP API 1.0: method and path from `methodArn`; the token from the
//!   `token_header` header (default `Authorization`) or the `token_query` query parameter.
//! - HTTP API 2.0: method from `requestContext.http.method`, path from `rawPath` with a named
//!   stage prefix removed; when `routeKey` names a policy route the engine must have matched
//!   that route, else the answer is a denial. IAM answers are anchored on `routeArn`.
//!
//! A leading `Bearer ` (any case) and surrounding whitespace are removed from the token; an
//! empty value is no token. A method or route ARN that cannot be parsed fails closed: 401 when
//! the token is missing or invalid, otherwise [`AuthorizerError::InvalidEvent`] (500).
//!
//! # Context
//! `principalId` is the token's subject (else its client, else its issuer id; `anonymous`
//! without a verified token). `context` holds `issuer`, `subject`, `client`, `scopes` and
//! `roles` (space-joined) and the claims listed in `[lambda] context_claims`, flattened to
//! strings, numbers and booleans ([`context::flatten`]). It never holds the token.

mod answer;
pub mod arn;
pub mod context;
mod event;
pub mod iam;
pub mod plan;

use std::collections::HashSet;
use std::env;
use std::sync::Arc;

pub use lambda_runtime::Diagnostic;
use lambda_runtime::LambdaEvent;
use scopegate::policy::{LambdaHttpResponse, LambdaPolicyResources, LambdaSource};
use scopegate::{AuthRequest, Decision, Engine, Format, GrantBasis, Identity, LoadError, LoadedPolicy};
use serde_json::Value;

pub use crate::answer::{Answer, Context, Effect, IamAnswer, PolicyDocument, SimpleAnswer, Statement};
use crate::arn::ExecuteApiArn;
pub use crate::event::EventKind;
use crate::event::invalid;
use crate::plan::Planner;

/// The adapter's own metric: events answered, by event shape and outcome.
pub const EVENTS_METRIC: &str = "scopegate_lambda_events_total";

/// Why an event got no policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorizerError {
    /// No valid token: API Gateway answers 401 for exactly this message.
    #[error("Unauthorized")]
    Unauthorized,
    /// The event is not an authorizer event this adapter understands (API Gateway: 500).
    #[error("invalid authorizer event: {0}")]
    InvalidEvent(String),
}

impl From<AuthorizerError> for Diagnostic {
    fn from(e: AuthorizerError) -> Diagnostic {
        let error_type = match e {
            AuthorizerError::Unauthorized => "Unauthorized",
            AuthorizerError::InvalidEvent(_) => "InvalidEvent",
        };
        Diagnostic {
            error_type: error_type.to_string(),
            error_message: e.to_string(),
        }
    }
}

/// A `[lambda]` table the adapter cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// `token_header` is not a valid header name.
    #[error("[lambda] token_header `{0}` is not a valid header name")]
    TokenHeader(String),
    /// A context claim would overwrite a key the adapter writes.
    #[error("[lambda] context_claims: `{0}` is reserved for the adapter's own context keys")]
    ReservedClaim(String),
}

/// Why the `bootstrap` binary cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// Neither variable is set.
    #[error("set SCOPEGATE_POLICY (a policy file path) or SCOPEGATE_POLICY_JSON (the policy as JSON)")]
    NoPolicy,
    /// The policy cannot be read or compiled.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The `[lambda]` table is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// The Lambda authorizer: an engine plus the precomputed cache-safe policy planner.
#[derive(Debug)]
pub struct Authorizer {
    engine: Arc<Engine>,
    settings: LambdaSource,
    token_header: aws_lambda_events::http::HeaderName,
    planner: Planner,
    route_keys: HashSet<String>,
    now: Option<u64>,
}

impl Authorizer {
    /// An authorizer for a compiled engine, configured by its policy's `[lambda]` table
    /// (`policy.source.lambda` of the [`LoadedPolicy`] it was compiled from).
    pub fn new(engine: Arc<Engine>, lambda: &LambdaSource) -> Result<Authorizer, ConfigError> {
        let settings = lambda.clone();
        let token_header = aws_lambda_events::http::HeaderName::from_bytes(settings.token_header.as_bytes())
            .map_err(|_| ConfigError::TokenHeader(settings.token_header.clone()))?;
        if let Some(c) = settings
            .context_claims
            .iter()
            .find(|c| context::RESERVED_KEYS.contains(&c.as_str()))
        {
            return Err(ConfigError::ReservedClaim(c.clone()));
        }
        let planner = Planner::new(&engine);
        if let Some(why) = planner.unplannable()
            && settings.policy_resources == LambdaPolicyResources::Routes
        {
            tracing::warn!(
                why,
                "cache-safe policies are off for this policy; answers cover only the incoming ARN"
            );
        }
        let table = engine.route_table();
        let route_keys = table
            .in_precedence_order()
            .into_iter()
            .filter_map(|id| table.key(id).map(ToString::to_string))
            .collect();
        Ok(Authorizer {
            engine,
            settings,
            token_header,
            planner,
            route_keys,
            now: None,
        })
    }

    /// Compiles a loaded policy (warnings are logged) and configures the authorizer from its
    /// `[lambda]` table.
    pub fn from_policy(policy: &LoadedPolicy) -> Result<Authorizer, StartupError> {
        let compiled = Engine::compile(policy).map_err(LoadError::from)?;
        for w in &compiled.warnings {
            tracing::warn!(warning = %w, "policy warning");
        }
        Ok(Authorizer::new(Arc::new(compiled.engine), &policy.source.lambda)?)
    }

    /// Reads the policy named by `SCOPEGATE_POLICY` (a file path) or given inline by
    /// `SCOPEGATE_POLICY_JSON`, and compiles it.
    pub fn from_env() -> Result<Authorizer, StartupError> {
        let loaded = if let Some(path) = env::var_os("SCOPEGATE_POLICY") {
            LoadedPolicy::from_path(path).map_err(LoadError::from)?
        } else if let Ok(text) = env::var("SCOPEGATE_POLICY_JSON") {
            LoadedPolicy::parse(&text, Format::Json, "SCOPEGATE_POLICY_JSON").map_err(LoadError::from)?
        } else {
            return Err(StartupError::NoPolicy);
        };
        Authorizer::from_policy(&loaded)
    }

    /// Fixes the clock (seconds since the epoch) instead of reading the system clock.
    pub fn at(mut self, now: u64) -> Authorizer {
        self.now = Some(now);
        self
    }

    /// The engine.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// The cache-safe policy planner.
    pub fn planner(&self) -> &Planner {
        &self.planner
    }

    /// Fetches the keys of every network issuer (offline keys are loaded at compile time), logs
    /// each issuer without usable keys, and returns how many issuers have keys now.
    pub async fn warm(&self) -> usize {
        // Failures are logged by the engine; requests for those issuers fail closed (401).
        self.engine.warm_up().await;
        let mut ready = 0;
        for issuer in self.engine.issuers().iter() {
            match issuer.keys().current() {
                Ok(keys) if !keys.is_empty() || keys.has_secret() => ready += 1,
                Ok(_) => tracing::warn!(issuer = issuer.id(), "issuer has no keys"),
                Err(why) => tracing::warn!(issuer = issuer.id(), why = %why, "issuer keys unavailable"),
            }
        }
        ready
    }

    /// The `lambda_runtime` entry point: the typed answer, which the runtime serialises.
    pub async fn handle_event(&self, event: LambdaEvent<Value>) -> Result<Answer, AuthorizerError> {
        self.respond(event.payload).await
    }

    /// Answers one authorizer event with the JSON API Gateway expects, or an error.
    pub async fn handle(&self, event: Value) -> Result<Value, AuthorizerError> {
        let answer = self.respond(event).await?;
        serde_json::to_value(answer).map_err(|e| invalid(format!("cannot write the response: {e}")))
    }

    /// Answers one authorizer event with a typed [`Answer`] (serialise it for API Gateway), or an
    /// error. The same answers as [`Authorizer::handle`], without building a JSON tree.
    ///
    /// Counts every event in `scopegate_lambda_events_total` (labels `event` = `token`,
    /// `request`, `http_v1`, `http_v2` or `unknown`; `outcome` = `allow`, `deny`,
    /// `unauthorized` or `invalid`) through the `metrics` facade: free without a recorder.
    pub async fn respond(&self, event: Value) -> Result<Answer, AuthorizerError> {
        let kind = EventKind::detect(&event, self.settings.event);
        let label = kind.as_ref().map_or("unknown", |k| k.label());
        let result = match kind {
            Ok(kind) => self.answer(event, kind).await,
            Err(e) => Err(e),
        };
        let outcome = match &result {
            Ok((_, true)) => "allow",
            Ok((_, false)) => "deny",
            Err(AuthorizerError::Unauthorized) => "unauthorized",
            Err(AuthorizerError::InvalidEvent(_)) => "invalid",
        };
        metrics::counter!(EVENTS_METRIC, "event" => label, "outcome" => outcome).increment(1);
        result.map(|(answer, _)| answer)
    }

    /// The answer and whether the incoming request itself is allowed.
    async fn answer(&self, event: Value, kind: EventKind) -> Result<(Answer, bool), AuthorizerError> {
        let incoming = self.read(event, kind)?;
        let needs_arn = !(kind == EventKind::HttpV2 && self.settings.http_response == LambdaHttpResponse::Simple);
        if needs_arn && let Err(why) = &incoming.arn {
            // Fail closed without a usable ARN: 401 for a bad token, else a 500-class error.
            let valid = incoming.credential_error.is_none()
                && incoming
                    .token
                    .as_deref()
                    .is_some_and(|t| self.engine.authenticate(t, self.now).is_ok());
            if !valid {
                return Err(AuthorizerError::Unauthorized);
            }
            tracing::error!(why, "unusable method ARN in the authorizer event");
            return Err(invalid(format!("method ARN: {why}")));
        }
        let mut req = AuthRequest::new(&incoming.method, &incoming.path)
            .preflight(incoming.preflight)
            .credentials(incoming.credentials());
        req.now = self.now;
        let decision = self.engine.authorize(&req).await;
        if let Decision::Unauthenticated(d) = &decision {
            tracing::info!(reason_code = d.code.as_str(), event = ?kind, "unauthorized");
            return Err(AuthorizerError::Unauthorized);
        }
        let mut allowed = decision.is_allowed();
        if allowed
            && let Some(route_key) = incoming.route_key.as_deref()
            && self.names_policy_route(route_key)
            && decision.route().is_none_or(|r| *r.key != *route_key)
        {
            tracing::warn!(
                route_key,
                matched = decision.route().map(|r| &*r.key),
                "API Gateway's route differs from the policy's; denying"
            );
            allowed = false;
        }
        tracing::info!(
            event = ?kind,
            allowed,
            route = decision.route().map(|r| &*r.key),
            reason_code = decision.reason_code().map(|c| c.as_str()),
            "authorizer decision"
        );
        let identity = decision.identity().map(Arc::as_ref);
        let context = context::build(identity, &self.settings.context_claims);
        if kind == EventKind::HttpV2 && self.settings.http_response == LambdaHttpResponse::Simple {
            let answer = Answer::Simple(SimpleAnswer {
                is_authorized: allowed,
                context,
            });
            return Ok((answer, allowed));
        }
        let (Ok(arn), Some(arn_text)) = (&incoming.arn, &incoming.arn_text) else {
            return Err(invalid("no method ARN"));
        };
        let preflight_grant = matches!(&decision, Decision::Allow(g) if g.basis == GrantBasis::CorsPreflight);
        let (allow, deny) = self.resources(arn, arn_text, allowed, identity, preflight_grant);
        // REST and HTTP API IAM answers have the same shape (no `usageIdentifierKey`).
        let answer = Answer::Iam(IamAnswer {
            principal_id: principal_id(identity),
            policy_document: PolicyDocument::new(allow, deny),
            context,
        });
        Ok((answer, allowed))
    }

    fn names_policy_route(&self, route_key: &str) -> bool {
        scopegate::RouteKey::parse(route_key).is_ok_and(|k| self.route_keys.contains(&k.to_string()))
    }

    /// `(allow, deny)` resource lists for an answer.
    fn resources(
        &self,
        arn: &ExecuteApiArn,
        arn_text: &str,
        allowed: bool,
        identity: Option<&Identity>,
        preflight_grant: bool,
    ) -> (Vec<String>, Vec<String>) {
        let single = || {
            if allowed {
                (vec![arn_text.to_string()], Vec::new())
            } else {
                (Vec::new(), vec![arn_text.to_string()])
            }
        };
        if self.settings.policy_resources == LambdaPolicyResources::MethodArn || arn.wildcard_stage() || preflight_grant
        {
            return single();
        }
        let Some(plan) = self.planner.plan(&self.engine, identity) else {
            tracing::warn!("no exact cache-safe policy for this identity; answering for the incoming ARN only");
            return single();
        };
        if plan.allows(&arn.suffix()) != allowed {
            tracing::warn!(
                arn = arn_text,
                "the cache-safe policy disagrees with the decision for this request; answering for it only"
            );
            return single();
        }
        let prefix = arn.stage_prefix();
        let full = |list: &[String]| list.iter().map(|p| format!("{prefix}{p}")).collect::<Vec<_>>();
        let (allow, deny) = (full(&plan.allow), full(&plan.deny));
        if allow.iter().chain(&deny).any(|r| r.len() > 512) {
            tracing::warn!("a cache-safe resource is longer than 512 characters; answering for the incoming ARN only");
            return single();
        }
        (allow, deny)
    }
}

fn principal_id(identity: Option<&Identity>) -> String {
    match identity {
        None => "anonymous".to_string(),
        Some(i) => i.subject().or(i.client()).unwrap_or(i.issuer_id()).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::strip_stage;
    use scopegate::policy::LambdaEventKind;
    use serde_json::json;

    #[test]
    fn stage_prefixes_are_removed() {
        assert_eq!(strip_stage("/prod/pets", Some("prod")), "/pets");
        assert_eq!(strip_stage("/prod", Some("prod")), "/");
        assert_eq!(strip_stage("/production/pets", Some("prod")), "/production/pets");
        assert_eq!(strip_stage("/pets", Some("$default")), "/pets");
        assert_eq!(strip_stage("/pets", None), "/pets");
    }

    #[test]
    fn event_kinds_are_detected() {
        let k = |v: Value| EventKind::detect(&v, LambdaEventKind::Auto);
        assert_eq!(k(json!({"type":"TOKEN"})), Ok(EventKind::Token));
        assert_eq!(k(json!({"type":"REQUEST"})), Ok(EventKind::Request));
        assert_eq!(k(json!({"version":"1.0","type":"REQUEST"})), Ok(EventKind::HttpV1));
        assert_eq!(k(json!({"version":"2.0","type":"REQUEST"})), Ok(EventKind::HttpV2));
        assert!(k(json!({"type":"OTHER"})).is_err());
        assert_eq!(
            EventKind::detect(&json!({}), LambdaEventKind::Token),
            Ok(EventKind::Token)
        );
    }

    #[test]
    fn unauthorized_is_the_exact_message() {
        let d: Diagnostic = AuthorizerError::Unauthorized.into();
        assert_eq!(d.error_message, "Unauthorized");
    }
}
