//! The authorizer `context`: flat string, number and boolean values, as API Gateway requires.

use serde_json::Value;

use scopegate::Identity;

use crate::answer::Context;

/// Context keys the adapter writes itself; configured claims may not reuse them.
pub const RESERVED_KEYS: [&str; 8] = [
    "issuer",
    "subject",
    "client",
    "scopes",
    "roles",
    "principalId",
    "integrationLatency",
    "claims",
];

/// A JSON value as API Gateway passes JWT claims: strings, numbers and booleans unchanged,
/// arrays as `[a b]`, objects as `map[k:v]` (keys sorted), nulls dropped (`None`).
pub fn flatten(value: &Value) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::String(_) | Value::Number(_) | Value::Bool(_) => Some(value.clone()),
        Value::Array(_) | Value::Object(_) => Some(Value::String(go_text(value))),
    }
}

fn go_text(value: &Value) -> String {
    match value {
        Value::Null => "<nil>".to_string(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Array(items) => format!("[{}]", items.iter().map(go_text).collect::<Vec<_>>().join(" ")),
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{k}:{}", map.get(k).map_or_else(String::new, go_text)))
                .collect();
            format!("map[{}]", parts.join(" "))
        }
    }
}

/// The context for a verified identity (`None`: an anonymous grant, empty context).
pub fn build(identity: Option<&Identity>, claims: &[String]) -> Context {
    let mut map = Vec::new();
    if let Some(i) = identity {
        map.reserve(5 + claims.len());
        let mut put = |k: &'static str, v: String| map.push((k.into(), Value::String(v)));
        put("issuer", i.issuer_id().to_string());
        if let Some(s) = i.subject() {
            put("subject", s.to_string());
        }
        if let Some(c) = i.client() {
            put("client", c.to_string());
        }
        put("scopes", i.scopes().join(" "));
        put("roles", i.roles().join(" "));
        for name in claims {
            // `/a/b` is a JSON Pointer into the claims; the context key is the name as written.
            // Reserved names are refused at startup, so keys stay unique.
            if let Some(v) = i.claim(name).and_then(flatten) {
                map.push((name.clone().into(), v));
            }
        }
    }
    Context(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flattens_like_api_gateway() {
        assert_eq!(flatten(&json!("a")), Some(json!("a")));
        assert_eq!(flatten(&json!(3)), Some(json!(3)));
        assert_eq!(flatten(&json!(true)), Some(json!(true)));
        assert_eq!(flatten(&json!(null)), None);
        assert_eq!(flatten(&json!(["a", "b", 1])), Some(json!("[a b 1]")));
        assert_eq!(flatten(&json!({"b": [1], "a": "x"})), Some(json!("map[a:x b:[1]]")));
    }
}
