//! The answer API Gateway reads, as typed values serialised straight to JSON: no intermediate
//! `serde_json::Value` tree (whose maps hash every key) on the per-event path.

use std::borrow::Cow;

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::Value;

/// An authorizer's answer to an event that got one (401s are [`crate::AuthorizerError`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Answer {
    /// An IAM policy (REST events and HTTP API IAM responses).
    Iam(IamAnswer),
    /// An HTTP API simple response.
    Simple(SimpleAnswer),
}

/// `{"principalId", "policyDocument", "context"}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IamAnswer {
    /// The token's subject, client or issuer id; `anonymous` without a verified token.
    pub principal_id: String,
    /// The IAM policy.
    pub policy_document: PolicyDocument,
    /// The authorizer context.
    pub context: Context,
}

/// `{"isAuthorized", "context"}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimpleAnswer {
    /// The verdict for the request (and, while cached, for the whole API).
    pub is_authorized: bool,
    /// The authorizer context.
    pub context: Context,
}

/// An IAM policy document, version `2012-10-17`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyDocument {
    /// Always `2012-10-17`.
    #[serde(rename = "Version")]
    pub version: &'static str,
    /// `Allow` first, then `Deny`; empty lists get no statement.
    #[serde(rename = "Statement")]
    pub statement: Vec<Statement>,
}

impl PolicyDocument {
    /// A document allowing and denying `execute-api:Invoke` on these resources.
    pub fn new(allow: Vec<String>, deny: Vec<String>) -> PolicyDocument {
        let mut statement = Vec::with_capacity(2);
        for (effect, resource) in [(Effect::Allow, allow), (Effect::Deny, deny)] {
            if !resource.is_empty() {
                statement.push(Statement {
                    action: ["execute-api:Invoke"],
                    effect,
                    resource,
                });
            }
        }
        PolicyDocument {
            version: "2012-10-17",
            statement,
        }
    }
}

/// One IAM statement.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    /// `["execute-api:Invoke"]`.
    pub action: [&'static str; 1],
    /// `Allow` or `Deny`.
    pub effect: Effect,
    /// `execute-api` ARNs or patterns.
    pub resource: Vec<String>,
}

/// An IAM statement's effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Effect {
    /// `Allow`.
    Allow,
    /// `Deny`.
    Deny,
}

/// The authorizer context: flat keys and string, number or boolean values, in insertion order.
/// The adapter's own keys are static strings: no allocation per key and event.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Context(pub Vec<(Cow<'static, str>, Value)>);

impl Context {
    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

impl Serialize for Context {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serialises_in_api_gateway_shape() {
        let answer = Answer::Iam(IamAnswer {
            principal_id: "alice".into(),
            policy_document: PolicyDocument::new(vec!["arn:a".into()], vec!["arn:b".into()]),
            context: Context(vec![
                ("issuer".into(), json!("auth0")),
                (String::from("n").into(), json!(3)),
            ]),
        });
        assert_eq!(
            serde_json::to_string(&answer).unwrap(),
            r#"{"principalId":"alice","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":["execute-api:Invoke"],"Effect":"Allow","Resource":["arn:a"]},{"Action":["execute-api:Invoke"],"Effect":"Deny","Resource":["arn:b"]}]},"context":{"issuer":"auth0","n":3}}"#
        );
        let simple = Answer::Simple(SimpleAnswer {
            is_authorized: false,
            context: Context::default(),
        });
        assert_eq!(
            serde_json::to_value(&simple).unwrap(),
            json!({"isAuthorized": false, "context": {}})
        );
        assert_eq!(PolicyDocument::new(vec![], vec![]).statement, vec![]);
    }
}
