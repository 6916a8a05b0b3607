//! Operations -> routes: each operation's route key and, from its `security`, who may call it.

use scopegate::policy::{AllowSource, RouteSource};
use scopegate::{Expr, RouteKey};
use serde_json::Value;

use super::Kind;
use super::schemes::{IssuerDraft, SchemeUse};

/// Methods of an OpenAPI path item, and API Gateway's any-method extension.
const METHODS: [(&str, &str); 9] = [
    ("get", "GET"),
    ("put", "PUT"),
    ("post", "POST"),
    ("delete", "DELETE"),
    ("options", "OPTIONS"),
    ("head", "HEAD"),
    ("patch", "PATCH"),
    ("trace", "TRACE"),
    ("x-amazon-apigateway-any-method", "ANY"),
];

/// One way to call an operation: a token from `issuer` with `scopes` (any-of for API Gateway,
/// all-of for OpenAPI; none: any valid token of the issuer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Alternative {
    pub issuer: usize,
    pub scopes: Vec<String>,
}

/// Who may call an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Access {
    Anonymous,
    Tokens(Vec<Alternative>),
}

/// One operation of the document.
pub(crate) struct Operation {
    /// `operationId (METHOD /path)` or `METHOD /path`.
    pub label: String,
    /// The route key (`GET /pet/{petId}`, `ANY /{proxy+}`, `$default`).
    pub route: String,
    /// Who may call it, or why that cannot be translated.
    pub access: Result<Access, String>,
    /// Comment lines for the route.
    pub notes: Vec<String>,
}

/// Every operation of `paths`, in path order.
pub(crate) fn read_operations(
    doc: &Value,
    kind: Kind,
    schemes: &[(String, SchemeUse)],
    issuers: &[IssuerDraft],
) -> Vec<Operation> {
    let mut out = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return out;
    };
    let global = doc.get("security");
    for (path, item) in super::by_name(paths) {
        for (field, method) in METHODS {
            let Some(op) = item.get(field) else {
                continue;
            };
            let route = if path == "$default" {
                "$default".to_string()
            } else {
                format!("{method} {path}")
            };
            let label = match op.get("operationId").and_then(Value::as_str) {
                Some(id) => format!("{id} ({method} {path})"),
                None => format!("{method} {path}"),
            };
            let mut notes = Vec::new();
            let security = op.get("security").or(global);
            let access = match RouteKey::parse(&route) {
                Err(e) => Err(format!("`{route}` is no scopegate route key: {}", e.message)),
                Ok(_) => access(security, kind, schemes, issuers, &mut notes),
            };
            out.push(Operation {
                label,
                route,
                access,
                notes,
            });
        }
    }
    out
}

/// The access one `security` value grants. OpenAPI: alternatives are OR, schemes in one
/// requirement AND; API Gateway exports: one requirement, scopes any-of.
fn access(
    security: Option<&Value>,
    kind: Kind,
    schemes: &[(String, SchemeUse)],
    issuers: &[IssuerDraft],
    notes: &mut Vec<String>,
) -> Result<Access, String> {
    let Some(requirements) = security.and_then(Value::as_array) else {
        notes.push(match kind {
            Kind::OpenApi => "no `security`: anonymous".into(),
            _ => "no authorizer: anonymous".into(),
        });
        return Ok(Access::Anonymous);
    };
    notes.push(format!("security: {}", Value::Array(requirements.clone())));
    if requirements.is_empty() {
        return Ok(Access::Anonymous);
    }
    let mut alternatives: Vec<Alternative> = Vec::new();
    let mut refused: Vec<String> = Vec::new();
    for req in requirements {
        let Some(req) = req.as_object() else {
            refused.push("a security requirement that is not an object".into());
            continue;
        };
        if req.is_empty() {
            // `{}`: anyone, whatever the other alternatives need.
            return Ok(Access::Anonymous);
        }
        match requirement(req, schemes) {
            Ok(alts) => {
                for a in alts {
                    if !alternatives.contains(&a) {
                        alternatives.push(a);
                    }
                }
            }
            Err(e) => refused.push(e),
        }
    }
    if !refused.is_empty() {
        return Err(refused.join("; "));
    }
    let cognito_without_scopes = alternatives
        .iter()
        .any(|a| a.scopes.is_empty() && issuers.get(a.issuer).is_some_and(|d| d.cognito_authorizer));
    if cognito_without_scopes {
        notes.push(
            "API Gateway accepts Cognito ID tokens on a method without scopes; scopegate accepts \
             access tokens only (a stated narrowing)"
                .into(),
        );
    }
    Ok(Access::Tokens(alternatives))
}

/// One requirement object: the alternatives it adds (one, or one per user pool of a Cognito
/// authorizer), or why it cannot be translated.
fn requirement(
    req: &serde_json::Map<String, Value>,
    schemes: &[(String, SchemeUse)],
) -> Result<Vec<Alternative>, String> {
    let mut issuer_sets: Vec<&[usize]> = Vec::new();
    let mut scopes: Vec<String> = Vec::new();
    for (name, listed) in super::by_name(req) {
        let Some((_, used)) = schemes.iter().find(|(n, _)| n == name) else {
            return Err(format!(
                "security scheme `{name}` is not defined in components.securitySchemes"
            ));
        };
        let ids = match used {
            SchemeUse::Issuers(ids) => ids,
            SchemeUse::Unsupported(reason) => return Err(reason.clone()),
        };
        issuer_sets.push(ids);
        for s in listed.as_array().into_iter().flatten().filter_map(Value::as_str) {
            if !scopes.iter().any(|x| x == s) {
                scopes.push(s.to_string());
            }
        }
    }
    let first = issuer_sets.first().copied().unwrap_or_default();
    // Schemes ANDed in one requirement: one bearer token must satisfy each, so they must name
    // the same issuer.
    if issuer_sets.iter().any(|ids| *ids != first) {
        let names: Vec<&str> = req.keys().map(String::as_str).collect();
        return Err(format!(
            "schemes {names:?} are required together but name different issuers: one bearer token cannot satisfy both"
        ));
    }
    Ok(first
        .iter()
        .map(|i| Alternative {
            issuer: *i,
            scopes: scopes.clone(),
        })
        .collect())
}

/// The policy route for an operation; `ids` are the policy ids of the document's issuers and
/// `any_of` says whether listed scopes are alternatives (API Gateway) or all required (OpenAPI).
pub(crate) fn route_source(route: &str, access: &Access, ids: &[String], any_of: bool) -> RouteSource {
    let mut r = RouteSource {
        route: route.to_string(),
        ..RouteSource::default()
    };
    let alternatives = match access {
        Access::Anonymous => {
            r.allow = Some(AllowSource::Anonymous);
            return r;
        }
        Access::Tokens(a) => a,
    };
    let id = |i: usize| ids.get(i).cloned().unwrap_or_default();
    if let [one] = alternatives.as_slice() {
        r.issuers = Some(vec![id(one.issuer)]);
        if one.scopes.is_empty() {
            r.require = Some("authenticated".into());
        } else if any_of || one.scopes.len() == 1 {
            r.scopes = Some(one.scopes.clone());
        } else {
            r.require = all(one.scopes.iter().map(|s| Expr::Scope(s.clone())).collect()).map(|e| e.to_string());
        }
        return r;
    }
    let terms: Vec<Expr> = alternatives
        .iter()
        .map(|a| {
            let scopes: Vec<Expr> = a.scopes.iter().map(|s| Expr::Scope(s.clone())).collect();
            let scopes = if any_of { any(scopes) } else { all(scopes) };
            match scopes {
                Some(s) => Expr::And(vec![Expr::Issuer(id(a.issuer)), s]),
                None => Expr::Issuer(id(a.issuer)),
            }
        })
        .collect();
    r.require = any(terms).map(|e| e.to_string());
    r
}

/// `a and b and ..`; one expression as itself.
fn all(mut es: Vec<Expr>) -> Option<Expr> {
    match es.len() {
        0 => None,
        1 => es.pop(),
        _ => Some(Expr::And(es)),
    }
}

/// `a or b or ..`; one expression as itself.
fn any(mut es: Vec<Expr>) -> Option<Expr> {
    match es.len() {
        0 => None,
        1 => es.pop(),
        _ => Some(Expr::Or(es)),
    }
}
