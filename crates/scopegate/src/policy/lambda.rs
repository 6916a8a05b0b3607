//! `[lambda]`: settings of the API Gateway Lambda authorizer adapter. Plain data: the engine
//! never reads them; `scopegate-lambda` takes them from the loaded policy.

use serde::{Deserialize, Serialize};

/// `[lambda]`: how the API Gateway Lambda authorizer (`scopegate-lambda`) reads events and
/// writes answers. Every field may be left out; the default is given with each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LambdaSource {
    /// Which event shape to expect; `auto` (the default) detects it from the JSON.
    pub event: LambdaEventKind,
    /// Response to HTTP API payload 2.0 events: an IAM policy (the default), or
    /// `{isAuthorized, context}` (`enableSimpleResponses`).
    pub http_response: LambdaHttpResponse,
    /// What an IAM policy's statements cover: every route the identity may call (the default,
    /// safe with authorizer caching), or only the incoming method ARN (for a cache TTL of 0).
    pub policy_resources: LambdaPolicyResources,
    /// Header that carries the token in REQUEST and HTTP API events (case-insensitive).
    /// Default `Authorization`.
    pub token_header: String,
    /// Query parameter that carries the token instead of `token_header`, when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_query: Option<String>,
    /// Verified claims copied into the authorizer `context`, under their own names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub context_claims: Vec<String>,
}

impl Default for LambdaSource {
    fn default() -> Self {
        LambdaSource {
            event: LambdaEventKind::default(),
            http_response: LambdaHttpResponse::default(),
            policy_resources: LambdaPolicyResources::default(),
            token_header: "Authorization".to_string(),
            token_query: None,
            context_claims: Vec::new(),
        }
    }
}

impl LambdaSource {
    /// True when nothing differs from the defaults (the table is then not written out).
    pub fn is_default(&self) -> bool {
        *self == LambdaSource::default()
    }
}

/// `lambda.event`: the authorizer event shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LambdaEventKind {
    /// Detected from each event's `version` and `type`. The default.
    #[default]
    Auto,
    /// REST API `TOKEN` authorizer.
    Token,
    /// REST API `REQUEST` authorizer.
    Request,
    /// HTTP API authorizer, payload format 1.0.
    HttpV1,
    /// HTTP API authorizer, payload format 2.0.
    HttpV2,
}

/// `lambda.http_response`: the answer to HTTP API payload 2.0 events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LambdaHttpResponse {
    /// An IAM policy (cache-safe like REST answers). The default.
    #[default]
    Iam,
    /// `{isAuthorized, context}`: one answer for the whole API while it is cached.
    Simple,
}

/// `lambda.policy_resources`: what the statements of an IAM policy answer cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LambdaPolicyResources {
    /// Every route of the policy the identity may call (correct when the answer is cached).
    /// The default.
    #[default]
    Routes,
    /// Only the incoming method or route ARN (correct only with a cache TTL of 0).
    MethodArn,
}
