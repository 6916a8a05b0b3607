//! Compiled requirements agree with a direct interpretation of the parsed expression, and
//! requirements without `not` are monotone: more scopes or roles never turn allow into deny.
//!
//! Each case compiles a policy whose one route requires the generated expression, signs HS256
//! tokens with generated scopes, roles and client from one of two issuers, and compares the
//! engine's answer with the interpreter below.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeSet;

use proptest::prelude::*;
use scopegate::Expr;
use scopegate::{AuthRequest, Engine, Format, LoadedPolicy};
use scopegate_testkit::{TestKey, TokenBuilder, now};
use serde_json::json;

const SECRET_A: &str = "requirement-model-secret-a-0123456789abcdef";
const SECRET_B: &str = "requirement-model-secret-b-0123456789abcdef";
const ISSUERS: [(&str, &str, &str); 2] = [
    ("alpha", "https://alpha.example/", SECRET_A),
    ("beta", "https://beta.example/", SECRET_B),
];

#[derive(Debug, Clone)]
struct Who {
    issuer: usize,
    scopes: BTreeSet<String>,
    roles: BTreeSet<String>,
    client: Option<String>,
}

/// The plain meaning of an expression for one token.
fn holds(e: &Expr, who: &Who) -> bool {
    match e {
        Expr::Authenticated => true,
        Expr::Scope(s) => who.scopes.contains(s),
        Expr::Role(r) => who.roles.contains(r),
        Expr::Issuer(i) => ISSUERS[who.issuer].0 == i,
        Expr::Client(c) => who.client.as_deref() == Some(c.as_str()),
        Expr::Not(e) => !holds(e, who),
        Expr::And(es) => es.iter().all(|e| holds(e, who)),
        Expr::Or(es) => es.iter().any(|e| holds(e, who)),
    }
}

const SCOPES: [&str; 4] = ["read", "write", "pets:buy", "https://api.example/admin"];
const ROLES: [&str; 3] = ["admin", "user", "banned"];
const CLIENTS: [&str; 2] = ["web", "console"];

fn expr(negation: bool) -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        1 => Just(Expr::Authenticated),
        4 => prop::sample::select(&SCOPES[..]).prop_map(|s| Expr::Scope(s.into())),
        3 => prop::sample::select(&ROLES[..]).prop_map(|r| Expr::Role(r.into())),
        1 => prop::sample::select(vec!["alpha", "beta"]).prop_map(|i| Expr::Issuer(i.into())),
        1 => prop::sample::select(&CLIENTS[..]).prop_map(|c| Expr::Client(c.into())),
    ];
    leaf.prop_recursive(4, 24, 4, move |inner| {
        let and = prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And);
        let or = prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::Or);
        if negation {
            prop_oneof![inner.prop_map(|e| Expr::Not(Box::new(e))), and, or].boxed()
        } else {
            prop_oneof![and, or].boxed()
        }
    })
}

fn who() -> impl Strategy<Value = Who> {
    (
        0..2usize,
        prop::collection::btree_set(prop::sample::select(&SCOPES[..]).prop_map(String::from), 0..4),
        prop::collection::btree_set(prop::sample::select(&ROLES[..]).prop_map(String::from), 0..3),
        prop::option::of(prop::sample::select(&CLIENTS[..]).prop_map(String::from)),
    )
        .prop_map(|(issuer, scopes, roles, client)| Who {
            issuer,
            scopes,
            roles,
            client,
        })
}

fn engine_for(e: &Expr) -> Engine {
    let mut text = String::from("version = 1\n");
    for (id, iss, _) in ISSUERS {
        text.push_str(&format!(
            "[[issuers]]\nid = \"{id}\"\nissuer = \"{iss}\"\naudiences = [\"api\"]\nalgorithms = [\"HS256\"]\nhmac_secret_env = \"SECRET_{id}\"\n"
        ));
    }
    // The printed expression goes through TOML as a literal string (it may hold `"`).
    text.push_str(&format!("[[routes]]\nroute = \"GET /r\"\nrequire = '''{e}'''\n"));
    let policy = LoadedPolicy::parse(&text, Format::Toml, "model.toml")
        .unwrap()
        .with_secret("SECRET_alpha", SECRET_A)
        .with_secret("SECRET_beta", SECRET_B);
    Engine::compile(&policy).unwrap().engine
}

fn token(who: &Who) -> String {
    let (_, iss, secret) = ISSUERS[who.issuer];
    let t = now();
    let mut claims = json!({"iss": iss, "sub": "s", "aud": "api", "exp": t + 600, "iat": t,
        "scope": who.scopes.iter().cloned().collect::<Vec<_>>().join(" "),
        "roles": who.roles.iter().collect::<Vec<_>>()});
    if let Some(c) = &who.client {
        claims["client_id"] = json!(c);
    }
    TokenBuilder::new(claims).sign(&TestKey::hmac(secret.as_bytes(), "HS256"))
}

fn allowed(engine: &Engine, who: &Who) -> bool {
    let token = token(who);
    let d = engine.decide(&AuthRequest::new("GET", "/r").token(&token));
    assert_ne!(d.status(), 401, "{d:?}");
    // The same answer through the public building blocks.
    let id = engine.authenticate(&token, None).unwrap();
    let route = engine.route_table().find("GET", "/r").unwrap();
    assert_eq!(engine.permits(route, &id), d.is_allowed());
    d.is_allowed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn compiled_requirements_agree_with_the_expression(e in expr(true), people in prop::collection::vec(who(), 1..6)) {
        let engine = engine_for(&e);
        for who in &people {
            prop_assert_eq!(allowed(&engine, who), holds(&e, who), "`{}` for {:?}", e, who);
        }
    }

    #[test]
    fn more_scopes_or_roles_never_turn_allow_into_deny(
        e in expr(false),
        who in who(),
        extra_scopes in prop::collection::btree_set(prop::sample::select(&SCOPES[..]).prop_map(String::from), 0..4),
        extra_roles in prop::collection::btree_set(prop::sample::select(&ROLES[..]).prop_map(String::from), 0..3),
    ) {
        prop_assert!(!e.has_negation());
        let engine = engine_for(&e);
        let mut more = who.clone();
        more.scopes.extend(extra_scopes);
        more.roles.extend(extra_roles);
        if allowed(&engine, &who) {
            prop_assert!(allowed(&engine, &more), "`{}`: {:?} allowed but {:?} denied", e, who, more);
        }
    }
}
