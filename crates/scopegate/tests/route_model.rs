//! The route table agrees with a naive reference matcher, written plainly here from the rules
//! in DESIGN.md: filter the routes that match the method and path, pick the most specific by
//! comparing segment kinds left to right (literal > `{param}` > `{greedy+}`), a named method
//! beats `ANY` for the same shape, `$default` when nothing else matches; one trailing slash
//! is ignored; case-sensitive.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use proptest::prelude::*;
use scopegate::{RouteKey, RouteTable};

#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Lit(String),
    Param,
    Greedy,
}

#[derive(Debug, Clone)]
enum Route {
    Default,
    Path { method: Option<String>, segs: Vec<Seg> },
}

impl Route {
    fn key(&self) -> String {
        match self {
            Route::Default => "$default".into(),
            Route::Path { method, segs } => {
                let mut path = String::new();
                for (i, s) in segs.iter().enumerate() {
                    path.push('/');
                    match s {
                        Seg::Lit(l) => path.push_str(l),
                        Seg::Param => path.push_str(&format!("{{p{i}}}")),
                        Seg::Greedy => path.push_str(&format!("{{rest{i}+}}")),
                    }
                }
                if path.is_empty() {
                    path.push('/');
                }
                format!("{} {path}", method.as_deref().unwrap_or("ANY"))
            }
        }
    }
}

/// Segment kinds as ranks: lower is more specific.
fn rank(s: &Seg) -> u8 {
    match s {
        Seg::Lit(_) => 0,
        Seg::Param => 1,
        Seg::Greedy => 2,
    }
}

/// Does the pattern match the request's segments?
fn matches(segs: &[Seg], req: &[&str]) -> bool {
    match (segs.first(), req.first()) {
        (None, None) => true,
        (Some(Seg::Greedy), Some(first)) => !first.is_empty(),
        (Some(Seg::Lit(l)), Some(r)) => l == r && matches(&segs[1..], &req[1..]),
        (Some(Seg::Param), Some(r)) => !r.is_empty() && matches(&segs[1..], &req[1..]),
        _ => false,
    }
}

/// The reference: index of the route that should answer, if any.
fn reference(routes: &[Route], method: &str, path: &str) -> Option<usize> {
    let request: Option<Vec<&str>> = path.strip_prefix('/').map(|rest| {
        if rest.is_empty() {
            Vec::new()
        } else {
            rest.strip_suffix('/').unwrap_or(rest).split('/').collect()
        }
    });
    let mut best: Option<(Vec<u8>, u8, usize)> = None;
    if let Some(req) = &request {
        for (i, r) in routes.iter().enumerate() {
            let Route::Path { method: m, segs } = r else { continue };
            let method_rank = match m {
                Some(m) if m == method => 0,
                Some(_) => continue,
                None => 1,
            };
            if !matches(segs, req) {
                continue;
            }
            let ranks: Vec<u8> = segs.iter().map(rank).collect();
            let better = match &best {
                None => true,
                Some((b, bm, _)) => (&ranks, method_rank) < (b, *bm),
            };
            if better {
                best = Some((ranks, method_rank, i));
            }
        }
    }
    best.map(|(_, _, i)| i)
        .or_else(|| routes.iter().position(|r| matches!(r, Route::Default)))
}

/// What makes two routes overlap: method, segment kinds and literal texts.
type Shape = (Option<String>, Vec<u8>, Vec<Option<String>>);

fn seg() -> impl Strategy<Value = Seg> {
    prop_oneof![
        4 => prop::sample::select(vec!["a", "b", "c", "A"]).prop_map(|s| Seg::Lit(s.to_string())),
        2 => Just(Seg::Param),
    ]
}

fn route() -> impl Strategy<Value = Route> {
    let method = prop::sample::select(vec![Some("GET"), Some("POST"), None]).prop_map(|m| m.map(String::from));
    prop_oneof![
        1 => Just(Route::Default),
        12 => (method, prop::collection::vec(seg(), 0..4), any::<bool>()).prop_map(|(method, mut segs, greedy)| {
            if greedy {
                segs.push(Seg::Greedy);
            }
            Route::Path { method, segs }
        }),
    ]
}

fn request() -> impl Strategy<Value = (String, String)> {
    let method = prop::sample::select(vec!["GET", "POST", "PUT", "get"]);
    let segs = prop::collection::vec(prop::sample::select(vec!["a", "b", "c", "A", "d", ""]), 0..5);
    let shape = prop::sample::select(vec!["plain", "trailing", "no-slash"]);
    (method, segs, shape).prop_map(|(m, segs, shape)| {
        let joined = segs.join("/");
        let path = match shape {
            "plain" => format!("/{joined}"),
            "trailing" => format!("/{joined}/"),
            _ => joined,
        };
        (m.to_string(), path)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn route_table_agrees_with_the_reference_matcher(
        routes in prop::collection::vec(route(), 0..14),
        requests in prop::collection::vec(request(), 1..12),
    ) {
        let mut table = RouteTable::new();
        let mut inserted: Vec<Route> = Vec::new();
        for r in routes {
            let key = RouteKey::parse(&r.key()).unwrap();
            prop_assert_eq!(key.to_string(), r.key());
            if table.insert(key).is_ok() {
                inserted.push(r);
            }
        }
        for (method, path) in requests {
            let want = reference(&inserted, &method, &path).map(|i| inserted[i].key());
            let got = table.find(&method, &path).map(|id| table.key(id).unwrap().to_string());
            prop_assert_eq!(got, want, "{} {:?} with routes {:?}", method, path,
                inserted.iter().map(Route::key).collect::<Vec<_>>());
        }
    }

    #[test]
    fn overlaps_are_exactly_same_shape_and_method(routes in prop::collection::vec(route(), 0..14)) {
        let mut table = RouteTable::new();
        let mut seen: Vec<Shape> = Vec::new();
        let mut has_default = false;
        for r in routes {
            let result = table.insert(RouteKey::parse(&r.key()).unwrap());
            let clash = match &r {
                Route::Default => std::mem::replace(&mut has_default, true),
                Route::Path { method, segs } => {
                    let shape = (
                        method.clone(),
                        segs.iter().map(rank).collect::<Vec<_>>(),
                        segs.iter().map(|s| match s { Seg::Lit(l) => Some(l.clone()), _ => None }).collect(),
                    );
                    let clash = seen.contains(&shape);
                    if !clash {
                        seen.push(shape);
                    }
                    clash
                }
            };
            prop_assert_eq!(result.is_err(), clash, "{}", r.key());
        }
    }
}
