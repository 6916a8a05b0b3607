//! Test helpers: an independent IAM resource matcher and the fixture events.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::Value;

/// IAM resource matching, written independently of the crate's: `*` any run (also `/`, also
/// empty), `?` one character, case-sensitive. Dynamic programming over (pattern, value).
pub fn iam_match(pattern: &str, value: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let v: Vec<char> = value.chars().collect();
    // ok[j] = pattern prefix of length i matches value prefix of length j.
    let mut ok = vec![false; v.len() + 1];
    ok[0] = true;
    for c in &p {
        let mut next = vec![false; v.len() + 1];
        match c {
            '*' => {
                let mut any = false;
                for j in 0..=v.len() {
                    any |= ok[j];
                    next[j] = any;
                }
            }
            _ => {
                for j in 1..=v.len() {
                    next[j] = ok[j - 1] && (*c == '?' || *c == v[j - 1]);
                }
            }
        }
        ok = next;
    }
    ok[v.len()]
}

/// IAM's verdict of an authorizer response's policy document for one ARN.
pub fn policy_allows(response: &Value, arn: &str) -> bool {
    let statements = response["policyDocument"]["Statement"]
        .as_array()
        .expect("Statement array");
    let mut allow = false;
    let mut deny = false;
    for s in statements {
        assert_eq!(s["Action"], serde_json::json!(["execute-api:Invoke"]));
        let hit = s["Resource"]
            .as_array()
            .expect("Resource array")
            .iter()
            .any(|r| iam_match(r.as_str().unwrap(), arn));
        match s["Effect"].as_str() {
            Some("Allow") => allow |= hit,
            Some("Deny") => deny |= hit,
            other => panic!("effect {other:?}"),
        }
    }
    allow && !deny
}

/// A fixture event copied from aws_lambda_events (see tests/data/NOTICE).
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn matcher_basics() {
    let cases = [
        ("a/*", "a/", true),
        ("a/*/c", "a/b/x/c", true),
        ("a/?*", "a/b", true),
        ("a/?*", "a/", false),
        ("A", "a", false),
    ];
    for (pattern, value, matches) in cases {
        assert_eq!(iam_match(pattern, value), matches, "{pattern} ~ {value}");
    }
}
