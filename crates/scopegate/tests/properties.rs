//! Property tests: hostile bytes never panic; expressions print and parse back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use proptest::prelude::*;
use scopegate::AuthRequest;
use scopegate::expr::Expr;
use scopegate::token::peek;
use scopegate_testkit::b64;

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
}
