//! An OpenAPI 3.1 document written from a policy's routes, for round-trip tests of
//! `scopegate import`: each issuer becomes an `openIdConnect` scheme named by its policy id
//! (discovery URL `{iss}/.well-known/openid-configuration`), each route an operation whose
//! `security` lists its alternatives (OR), each a token of one issuer holding all its scopes.

use serde_json::{Map, Value, json};

/// Who may call an exported route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportAccess {
    /// Anyone: `security: []`.
    Anonymous,
    /// Any of these: a token of the issuer (policy id) holding every listed scope.
    AnyOf(Vec<(String, Vec<String>)>),
}

/// One route to export: a method (`GET`), an OpenAPI path (`/pets/{id}`) and its access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRoute {
    /// HTTP method, upper case.
    pub method: String,
    /// Path template.
    pub path: String,
    /// Who may call it.
    pub access: ExportAccess,
}

/// The document: `issuers` are `(policy id, exact iss)` pairs.
pub fn openapi_document(issuers: &[(&str, &str)], routes: &[ExportRoute]) -> Value {
    let mut schemes = Map::new();
    for (id, iss) in issuers {
        schemes.insert(
            (*id).to_string(),
            json!({"type": "openIdConnect", "openIdConnectUrl": format!("{iss}/.well-known/openid-configuration")}),
        );
    }
    let mut paths = Map::new();
    for (n, r) in routes.iter().enumerate() {
        let security: Vec<Value> = match &r.access {
            ExportAccess::Anonymous => Vec::new(),
            ExportAccess::AnyOf(alts) => alts
                .iter()
                .map(|(issuer, scopes)| json!({ issuer.as_str(): scopes }))
                .collect(),
        };
        let item = paths.entry(r.path.clone()).or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(item) = item {
            item.insert(
                r.method.to_ascii_lowercase(),
                json!({"operationId": format!("op{n}"), "security": security,
                    "responses": {"200": {"description": "ok"}}}),
            );
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "exported by scopegate-testkit", "version": "1"},
        "paths": paths,
        "components": {"securitySchemes": schemes},
    })
}
