//! Reading authorizer events: their shape, and the method, path, token and ARN they carry.

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerRequest, ApiGatewayCustomAuthorizerRequestTypeRequest,
    ApiGatewayV2CustomAuthorizerV1Request, ApiGatewayV2CustomAuthorizerV2Request,
};
use scopegate::policy::LambdaEventKind;
use scopegate::unverified::{Credentials, Scheme, is_cors_preflight};
use serde_json::Value;

use crate::arn::ExecuteApiArn;
use crate::{Authorizer, AuthorizerError};

/// The event shapes the adapter reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// REST API `TOKEN`.
    Token,
    /// REST API `REQUEST`.
    Request,
    /// HTTP API payload 1.0.
    HttpV1,
    /// HTTP API payload 2.0.
    HttpV2,
}

impl EventKind {
    /// The label value of `scopegate_lambda_events_total`.
    pub fn label(self) -> &'static str {
        match self {
            EventKind::Token => "token",
            EventKind::Request => "request",
            EventKind::HttpV1 => "http_v1",
            EventKind::HttpV2 => "http_v2",
        }
    }

    /// Detects the shape from `version` and `type`, unless pinned by `[lambda] event`.
    pub fn detect(event: &Value, pinned: LambdaEventKind) -> Result<EventKind, AuthorizerError> {
        match pinned {
            LambdaEventKind::Token => return Ok(EventKind::Token),
            LambdaEventKind::Request => return Ok(EventKind::Request),
            LambdaEventKind::HttpV1 => return Ok(EventKind::HttpV1),
            LambdaEventKind::HttpV2 => return Ok(EventKind::HttpV2),
            LambdaEventKind::Auto => {}
        }
        let field = |name: &str| event.get(name).and_then(Value::as_str);
        match (field("version"), field("type")) {
            (Some("2.0"), _) => Ok(EventKind::HttpV2),
            (Some("1.0"), _) => Ok(EventKind::HttpV1),
            (None, Some("TOKEN")) => Ok(EventKind::Token),
            (None, Some("REQUEST")) => Ok(EventKind::Request),
            (v, t) => Err(AuthorizerError::InvalidEvent(format!(
                "unknown event shape (version {v:?}, type {t:?})"
            ))),
        }
    }
}

/// A value as API Gateway passes it: whitespace and an optional `Bearer ` removed, nothing left
/// is no token (the core's lenient scheme).
fn token_in(value: &str) -> Option<String> {
    Credentials::parse(value, Scheme::Lenient).token().map(str::to_string)
}

/// What the adapter read from an event.
pub(crate) struct Incoming {
    pub arn_text: Option<String>,
    pub arn: Result<ExecuteApiArn, String>,
    pub method: String,
    pub path: String,
    pub token: Option<String>,
    pub credential_error: Option<&'static str>,
    pub preflight: bool,
    pub route_key: Option<String>,
}

pub(crate) fn invalid(what: impl Into<String>) -> AuthorizerError {
    AuthorizerError::InvalidEvent(what.into())
}

fn parse<T: serde::de::DeserializeOwned>(event: Value, kind: EventKind) -> Result<T, AuthorizerError> {
    serde_json::from_value(event).map_err(|e| invalid(format!("not a {kind:?} authorizer event: {e}")))
}

/// The token from headers: none, one, or unusable (repeated, not text).
type Found = Result<Option<String>, &'static str>;

fn from_headers(headers: &[&aws_lambda_events::http::HeaderMap], name: &aws_lambda_events::http::HeaderName) -> Found {
    let mut values: Vec<&aws_lambda_events::http::HeaderValue> = Vec::new();
    for map in headers {
        let all: Vec<_> = map.get_all(name).iter().collect();
        if all.len() > 1 {
            return Err("the token header appears more than once");
        }
        values.extend(all);
    }
    match values.first() {
        None => Ok(None),
        Some(v) => match v.to_str() {
            Ok(s) => Ok(token_in(s)),
            Err(_) => Err("the token header is not visible ASCII"),
        },
    }
}

/// Removes a named stage's prefix from an HTTP API `rawPath`.
pub(crate) fn strip_stage<'p>(path: &'p str, stage: Option<&str>) -> &'p str {
    let Some(stage) = stage.filter(|s| !s.is_empty() && *s != "$default") else {
        return path;
    };
    match path.strip_prefix('/').and_then(|p| p.strip_prefix(stage)) {
        Some("") => "/",
        Some(rest) if rest.starts_with('/') => rest,
        _ => path,
    }
}

/// The method and path an `execute-api` ARN names (REST and HTTP 1.0 events); empty when the
/// ARN is missing or unparsable, which the caller turns into a fail-closed answer.
fn arn_parts(text: Option<&String>) -> (Result<ExecuteApiArn, String>, String, String) {
    let arn = match text {
        Some(t) => ExecuteApiArn::parse(t).map_err(|e| e.to_string()),
        None => Err("missing".to_string()),
    };
    let (method, path) = match &arn {
        Ok(a) => (a.method.clone(), a.path.clone()),
        Err(_) => (String::new(), String::new()),
    };
    (arn, method, path)
}

/// The token from a single-valued query string map (HTTP API events).
fn query_token(params: &std::collections::HashMap<String, String>, name: &str) -> Found {
    Ok(params.get(name).and_then(|v| token_in(v)))
}

struct Read {
    arn_text: Option<String>,
    arn: Result<ExecuteApiArn, String>,
    method: String,
    path: String,
    found: Found,
    headers: Option<aws_lambda_events::http::HeaderMap>,
    route_key: Option<String>,
}

impl Incoming {
    /// The credentials for the engine: a token, unusable ones, or none.
    pub(crate) fn credentials(&self) -> Credentials<'_> {
        match (self.credential_error, &self.token) {
            (Some(why), _) => Credentials::Unusable(why),
            (None, Some(t)) => Credentials::Token(t),
            (None, None) => Credentials::Absent,
        }
    }
}

impl Read {
    /// An event whose method and path come from its method ARN (REST and HTTP API 1.0).
    fn by_arn(arn_text: Option<String>, found: Found, headers: Option<aws_lambda_events::http::HeaderMap>) -> Read {
        let (arn, method, path) = arn_parts(arn_text.as_ref());
        Read {
            arn_text,
            arn,
            method,
            path,
            found,
            headers,
            route_key: None,
        }
    }
}

impl From<Read> for Incoming {
    fn from(r: Read) -> Incoming {
        let (token, credential_error) = match r.found {
            Ok(t) => (t, None),
            Err(why) => (None, Some(why)),
        };
        Incoming {
            preflight: r
                .headers
                .as_ref()
                .is_some_and(|h| is_cors_preflight(&r.method, |name| h.contains_key(name))),
            arn_text: r.arn_text,
            arn: r.arn,
            method: r.method,
            path: r.path,
            token,
            credential_error,
            route_key: r.route_key,
        }
    }
}

impl Authorizer {
    pub(crate) fn read(&self, event: Value, kind: EventKind) -> Result<Incoming, AuthorizerError> {
        let read = match kind {
            EventKind::Token => {
                let e: ApiGatewayCustomAuthorizerRequest = parse(event, kind)?;
                let token = e.authorization_token.as_deref().and_then(token_in);
                Read::by_arn(e.method_arn, Ok(token), None)
            }
            EventKind::Request => {
                let e: ApiGatewayCustomAuthorizerRequestTypeRequest = parse(event, kind)?;
                let found = match &self.settings.token_query {
                    Some(q) => match e.multi_value_query_string_parameters.all(q) {
                        Some(all) if all.len() > 1 => Err("the token query parameter appears more than once"),
                        multi => Ok(e
                            .query_string_parameters
                            .first(q)
                            .or_else(|| multi.and_then(|all| all.first().copied()))
                            .and_then(token_in)),
                    },
                    None => from_headers(&[&e.headers], &self.token_header).and_then(|t| {
                        // multiValueHeaders may reveal a repeat that `headers` hides, and carries
                        // the token alone when an event has no single-valued `headers` entry.
                        from_headers(&[&e.multi_value_headers], &self.token_header).map(|multi| t.or(multi))
                    }),
                };
                Read::by_arn(e.method_arn, found, Some(e.headers))
            }
            EventKind::HttpV1 => {
                let e: ApiGatewayV2CustomAuthorizerV1Request = parse(event, kind)?;
                let found = match &self.settings.token_query {
                    Some(q) => query_token(&e.query_string_parameters, q),
                    None => from_headers(&[&e.headers], &self.token_header),
                };
                Read::by_arn(e.method_arn, found, Some(e.headers))
            }
            EventKind::HttpV2 => {
                let e: ApiGatewayV2CustomAuthorizerV2Request = parse(event, kind)?;
                let (arn, _, _) = arn_parts(e.route_arn.as_ref());
                let method = e.request_context.http.method.as_str().to_string();
                let raw = e
                    .raw_path
                    .as_deref()
                    .or(e.request_context.http.path.as_deref())
                    .ok_or_else(|| invalid("no rawPath"))?;
                let path = strip_stage(raw, e.request_context.stage.as_deref()).to_string();
                let found = match &self.settings.token_query {
                    Some(q) => query_token(&e.query_string_parameters, q),
                    None => from_headers(&[&e.headers], &self.token_header),
                };
                Read {
                    arn_text: e.route_arn,
                    arn,
                    method,
                    path,
                    found,
                    headers: Some(e.headers),
                    route_key: e.route_key.or(e.request_context.route_key),
                }
            }
        };
        Ok(read.into())
    }
}
