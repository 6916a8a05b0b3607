//! Property tests of the grants analysis: grants agree with the engine on every identity of a
//! small universe, and `access_changes` finds no change exactly when two policies decide every
//! witness request alike for every identity (and for no token). The decisions are compared on
//! the denser `Globs` witness set, so a routing class the diff's witnesses miss would show.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use proptest::prelude::*;
use scopegate::{
    AuthRequest, Engine, Expr, Format, Grants, LoadedPolicy, METHODS, SyntheticIdentity, WitnessMode, access_changes,
    witness_requests,
};

const KEYS: [&str; 8] = [
    "GET /p",
    "GET /p/{id}",
    "ANY /p/{id}",
    "POST /p/x",
    "GET /p/x",
    "ANY /{proxy+}",
    "GET /p/{id}/q",
    "$default",
];

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        Just(Expr::Authenticated),
        prop_oneof![Just("s1"), Just("s2")].prop_map(|s| Expr::Scope(s.into())),
        Just(Expr::Role("r1".into())),
        prop_oneof![Just("a"), Just("b")].prop_map(|s| Expr::Issuer(s.into())),
        prop_oneof![Just("c1"), Just("c2")].prop_map(|s| Expr::Client(s.into())),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| Expr::Not(Box::new(e))),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
            prop::collection::vec(inner, 2..4).prop_map(Expr::Or),
        ]
    })
}

/// A route: its key index, and anonymous or a requirement with an optional issuer list.
type RouteSpec = (usize, Option<(Expr, bool)>);

fn policy() -> impl Strategy<Value = (bool, Vec<RouteSpec>)> {
    let route = (0..KEYS.len(), prop::option::weighted(0.85, (expr(), any::<bool>())));
    (any::<bool>(), prop::collection::vec(route, 0..6))
}

fn engine((allow_unmatched, routes): &(bool, Vec<RouteSpec>)) -> Engine {
    let mut text = String::from("version = 1\n");
    if *allow_unmatched {
        text.push_str("[settings]\nunmatched = \"allow-authenticated\"\n");
    }
    for id in ["a", "b"] {
        text.push_str(&format!(
            "[[issuers]]\nid = \"{id}\"\nissuer = \"https://{id}\"\naudiences = [\"x\"]\njwks = '{{\"keys\":[]}}'\n"
        ));
    }
    let mut seen = Vec::new();
    for (key, access) in routes {
        if seen.contains(key) {
            continue;
        }
        seen.push(*key);
        text.push_str(&format!("[[routes]]\nroute = \"{}\"\n", KEYS[*key]));
        match access {
            None => text.push_str("allow = \"anonymous\"\n"),
            Some((e, only_a)) => {
                text.push_str(&format!("require = '{e}'\n"));
                if *only_a {
                    text.push_str("issuers = [\"a\"]\n");
                }
            }
        }
    }
    Engine::compile(&LoadedPolicy::parse(&text, Format::Toml, "p.toml").unwrap())
        .unwrap()
        .engine
}

/// Every identity of the universe: issuer, scopes, role, client (none, c1, c2).
fn identities() -> Vec<SyntheticIdentity> {
    let mut out = Vec::new();
    for issuer in ["a", "b"] {
        for scopes in [vec![], vec!["s1"], vec!["s2"], vec!["s1", "s2"]] {
            for roles in [vec![], vec!["r1"]] {
                for client in [None, Some("c1"), Some("c2")] {
                    let mut who = SyntheticIdentity::new(issuer)
                        .scopes(scopes.clone())
                        .roles(roles.clone());
                    if let Some(c) = client {
                        who = who.client(c);
                    }
                    out.push(who);
                }
            }
        }
    }
    out
}

/// What the grants say about one identity.
fn granted(g: &Grants, who: &SyntheticIdentity) -> bool {
    let holds = |atom: &str| {
        atom == "authenticated"
            || atom
                .strip_prefix("scope:")
                .is_some_and(|s| who.scopes.iter().any(|x| x == s))
            || atom
                .strip_prefix("role:")
                .is_some_and(|r| who.roles.iter().any(|x| x == r))
            || atom
                .strip_prefix("client:")
                .is_some_and(|c| who.client.as_deref() == Some(c))
    };
    g.anonymous
        || g.conjunctions.iter().any(|c| {
            *c.issuer == *who.issuer && c.all_of.iter().all(|a| holds(a)) && !c.none_of.iter().any(|a| holds(a))
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn grants_agree_with_the_engine(p in policy()) {
        let engine = engine(&p);
        let everyone = identities();
        for id in engine.route_table().in_precedence_order() {
            let grants = engine.grants(id).unwrap().unwrap();
            for who in &everyone {
                let identity = engine.synthetic_identity(who).unwrap();
                prop_assert_eq!(engine.permits(id, &identity), granted(&grants, who), "{:?} {:?}", grants, who);
            }
        }
    }

    #[test]
    fn no_change_exactly_when_every_witness_is_decided_alike(old in policy(), new in policy()) {
        let (old, new) = (engine(&old), engine(&new));
        let unchanged = access_changes(&old, &new).unwrap().is_empty();
        let mut methods = METHODS.to_vec();
        methods.push("TRACE");
        let witnesses = witness_requests(&[old.route_table(), new.route_table()], &methods, WitnessMode::Globs, 1_000_000).unwrap();
        let everyone = identities();
        let mut alike = true;
        'all: for w in &witnesses {
            let req = AuthRequest::new(w.method, &w.path);
            if old.decide(&req).is_allowed() != new.decide(&req).is_allowed() {
                alike = false;
                break;
            }
            for who in &everyone {
                if old.decide_for(&req, who).unwrap().is_allowed() != new.decide_for(&req, who).unwrap().is_allowed() {
                    alike = false;
                    break 'all;
                }
            }
        }
        prop_assert_eq!(unchanged, alike);
        prop_assert!(access_changes(&new, &new).unwrap().is_empty());
    }

    #[test]
    fn one_route_changed_is_a_change_exactly_when_decisions_differ(p in policy(), i in 0usize..6, e in expr()) {
        let mut q = p.clone();
        if let Some(route) = q.1.get_mut(i) {
            route.1 = Some((e, false));
        }
        let (old, new) = (engine(&p), engine(&q));
        let changes = access_changes(&old, &new).unwrap();
        let mut alike = true;
        let everyone = identities();
        let mut methods = METHODS.to_vec();
        methods.push("TRACE");
        for w in witness_requests(&[old.route_table(), new.route_table()], &methods, WitnessMode::Globs, 1_000_000).unwrap() {
            let req = AuthRequest::new(w.method, &w.path);
            alike &= old.decide(&req).is_allowed() == new.decide(&req).is_allowed();
            for who in &everyone {
                alike &= old.decide_for(&req, who).unwrap().is_allowed() == new.decide_for(&req, who).unwrap().is_allowed();
            }
        }
        prop_assert_eq!(changes.is_empty(), alike, "{:?}", changes);
    }

    #[test]
    fn rewritten_and_reordered_policies_are_no_change(p in policy()) {
        let mut q = p.clone();
        q.1.reverse();
        // Keep the first occurrence of each key winning, as in `p`.
        let mut firsts: Vec<RouteSpec> = Vec::new();
        for r in p.1.iter() {
            if !firsts.iter().any(|f| f.0 == r.0) {
                firsts.push(r.clone());
            }
        }
        q.1 = firsts.into_iter().rev().map(|(k, a)| {
            (k, a.map(|(e, only)| {
                let absorbed = Expr::Or(vec![e.clone(), Expr::And(vec![e.clone(), Expr::Scope("s1".into())])]);
                (Expr::Not(Box::new(Expr::Not(Box::new(absorbed)))), only)
            }))
        }).collect();
        let changes = access_changes(&engine(&p), &engine(&q)).unwrap();
        prop_assert!(changes.is_empty(), "{:?}", changes);
    }
}

#[test]
fn equivalent_rewrites_and_reordering_are_no_change() {
    let policy = |routes: &str| {
        let text = format!(
            "version = 1\n[[issuers]]\nid = \"a\"\nissuer = \"https://a\"\naudiences = [\"x\"]\njwks = '{{\"keys\":[]}}'\n{routes}"
        );
        Engine::compile(&LoadedPolicy::parse(&text, Format::Toml, "p.toml").unwrap())
            .unwrap()
            .engine
    };
    let old = policy(
        "[[routes]]\nroute = \"GET /pets/{id}\"\nscopes = [\"a\", \"b\"]\n[[routes]]\nroute = \"POST /pets\"\nrequire = \"role:x and not (role:y or scope:z)\"\n",
    );
    let new = policy(
        "[[routes]]\nroute = \"POST /pets\"\nrequire = \"not scope:z and role:x and not role:y\"\n[[routes]]\nroute = \"GET /pets/{petId}\"\nrequire = \"scope:b or scope:a\"\n",
    );
    assert_eq!(access_changes(&old, &new).unwrap(), []);
    // A literal route that takes requests from `GET /pets/{id}` is seen, with both route keys.
    let taken = policy(
        "[[routes]]\nroute = \"GET /pets/{id}\"\nscopes = [\"a\", \"b\"]\n[[routes]]\nroute = \"POST /pets\"\nrequire = \"role:x and not (role:y or scope:z)\"\n[[routes]]\nroute = \"GET /pets/mine\"\nrequire = \"scope:a\"\n",
    );
    let changes = access_changes(&old, &taken).unwrap();
    assert!(!changes.is_empty());
    assert!(changes.iter().all(|c| c.path.starts_with("/pets/mine")
        && c.old_route.as_deref() == Some("GET /pets/{id}")
        && c.new_route.as_deref() == Some("GET /pets/mine")
        && c.kind == scopegate::ChangeKind::Narrowed));
}
