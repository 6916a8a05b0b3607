//! Property tests: hostile bytes and hostile (even correctly signed) JSON claims never panic;
//! expressions print and parse back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use proptest::prelude::*;
use scopegate::AuthRequest;
use scopegate::Expr;
use scopegate::unverified::peek;
use scopegate_testkit::{TokenBuilder, b64, now};
use serde_json::{Map, Value, json};

fn expr() -> impl Strategy<Value = Expr> {
    let name = "[a-z][a-z0-9:/._-]{0,8}|[a-z ]{1,6}";
    let leaf = prop_oneof![
        Just(Expr::Authenticated),
        name.prop_map(Expr::Scope),
        name.prop_map(Expr::Role),
        "[a-z]{1,5}".prop_map(Expr::Issuer),
        "[a-z0-9-]{1,5}".prop_map(Expr::Client),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| Expr::Not(Box::new(e))),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
            prop::collection::vec(inner, 2..4).prop_map(Expr::Or),
        ]
    })
}

proptest! {
    #[test]
    fn expressions_round_trip_through_display(e in expr()) {
        prop_assert_eq!(Expr::parse(&e.to_string()).unwrap(), e);
    }

    #[test]
    fn expression_parser_never_panics(s in "\\PC{0,64}") {
        let _ = Expr::parse(&s);
    }

    #[test]
    fn peek_never_panics_on_arbitrary_bytes(s in "\\PC{0,200}") {
        let _ = peek(&s, 16 * 1024);
    }

    #[test]
    fn decisions_on_arbitrary_json_claims_are_401_never_panic(header in "\\PC{0,60}", claims in "\\PC{0,120}", sig in "[A-Za-z0-9_-]{0,40}") {
        let token = format!("{}.{}.{}", b64(header.as_bytes()), b64(claims.as_bytes()), sig);
        let d = common::engine().decide(&AuthRequest::new("POST", "/pets").token(&token));
        prop_assert_eq!(d.status(), 401);
    }

    #[test]
    fn decisions_on_arbitrary_paths_never_panic(method in "[A-Z]{0,7}", path in "\\PC{0,80}") {
        let _ = common::engine().decide(&AuthRequest::new(&method, &path));
    }

    #[test]
    fn peek_and_decisions_never_panic_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let token = String::from_utf8_lossy(&bytes);
        let _ = peek(&token, 16 * 1024);
        let d = common::engine().decide(&AuthRequest::new("POST", "/pets").token(&token));
        prop_assert_eq!(d.status(), 401);
    }

    #[test]
    fn arbitrary_bytes_in_each_part_are_401(header in prop::collection::vec(any::<u8>(), 0..80),
                                            claims in prop::collection::vec(any::<u8>(), 0..160),
                                            sig in prop::collection::vec(any::<u8>(), 0..64)) {
        let token = format!("{}.{}.{}", b64(&header), b64(&claims), b64(&sig));
        let _ = peek(&token, 16 * 1024);
        let d = common::engine().decide(&AuthRequest::new("GET", "/pets/7").token(&token));
        prop_assert_eq!(d.status(), 401);
    }

    #[test]
    fn correctly_signed_arbitrary_claims_never_panic(claims in claims(), trusted_iss in any::<bool>()) {
        let mut claims = claims;
        if trusted_iss {
            claims.insert("iss".into(), json!(common::FA_ISS));
        }
        let token = TokenBuilder::new(Value::Object(claims))
            .header("typ", json!("JWT"))
            .sign(&common::keys().fusion_hmac);
        for (method, path) in [("POST", "/pets"), ("GET", "/pets/7"), ("GET", "/claims"), ("GET", "/nowhere"), ("GET", "/pets")] {
            let d = common::engine().decide(&AuthRequest::new(method, path).token(&token));
            prop_assert!([200, 401, 403].contains(&d.status()));
            if d.is_allowed() && method == "POST" {
                let id = d.identity().expect("role route allows only identities");
                prop_assert!(id.roles().iter().any(|r| r == "admin"));
            }
        }
    }
}

/// Any JSON value, nested a little.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        (now() - 100_000..now() + 100_000).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
        prop::sample::select(vec!["admin", "read write", "85a03867-dccf-4882-adde-1a79aeec50df"]).prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,4}", inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A claims object whose members are the registered and profile claims (and a few others),
/// each with any JSON value.
fn claims() -> impl Strategy<Value = Map<String, Value>> {
    let name = prop::sample::select(vec![
        "iss",
        "sub",
        "aud",
        "exp",
        "nbf",
        "iat",
        "scope",
        "roles",
        "client_id",
        "applicationId",
        "azp",
        "tid",
        "x",
    ]);
    prop::collection::btree_map(name, json_value(), 0..10)
        .prop_map(|m| m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}
