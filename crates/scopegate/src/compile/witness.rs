//! Witness requests: a finite set of requests that stands for every request a route table can
//! see. Built from the literals of every route (each parameter as a fresh segment, as two
//! segments and as every literal seen at its depth, or at any depth for IAM globs; greedy tails also as the suffixes of other
//! routes; prefixes, one extra segment and trailing slashes), for every method. Two requests
//! that no witness separates are routed alike, so comparing the witnesses compares the tables,
//! precedence included.
//!
//! Exactness domain: request paths without empty segments (`//`), which no parameter matches.

use std::collections::BTreeSet;

use crate::routes::{RouteKey, RouteTable, Segment};

/// One segment of a witness path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum WitnessPart {
    /// A literal segment of some route.
    Literal(String),
    /// A segment no route names (the same fresh text everywhere in one witness set).
    Fresh,
}

/// A request that stands for a class of requests the route tables treat alike.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WitnessRequest {
    /// The method.
    pub method: &'static str,
    /// The request path, e.g. `/pets/zq`.
    pub path: String,
    /// The path's segments, with [`WitnessPart::Fresh`] where no route names the segment.
    pub parts: Vec<WitnessPart>,
    /// The path ends with `/`.
    pub trailing_slash: bool,
}

/// What the witness requests must tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WitnessMode {
    /// Routing: two requests no witness separates match the same route in every table. Under a
    /// greedy parameter, the tails of the routes that can share its prefix, aligned.
    Routing,
    /// Routing and glob patterns whose `*` crosses `/` (IAM resources): under a greedy
    /// parameter, every tail of every route at any offset. Many more requests.
    Globs,
}

/// The route tables need more witness requests than the limit allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the route tables need more than {limit} witness requests")]
#[non_exhaustive]
pub struct TooManyWitnesses {
    /// The limit that was exceeded.
    pub limit: usize,
}

/// Every method in `methods` x a path from each equivalence class of the route tables (one
/// table, or the old and the new of a policy change). Fails when more than `limit` requests
/// (paths x methods) would be needed.
pub fn witness_requests(
    tables: &[&RouteTable],
    methods: &[&'static str],
    mode: WitnessMode,
    limit: usize,
) -> Result<Vec<WitnessRequest>, TooManyWitnesses> {
    let mut lits_at: Vec<BTreeSet<String>> = Vec::new();
    let mut suffixes: BTreeSet<Vec<WitnessPart>> = BTreeSet::new();
    let mut all_literals: BTreeSet<String> = BTreeSet::new();
    let mut path_keys: Vec<&[Segment]> = Vec::new();
    for table in tables {
        for id in table.in_precedence_order() {
            let Some(RouteKey::Path { segments, .. }) = table.key(id) else {
                continue;
            };
            path_keys.push(segments);
            for (depth, s) in segments.iter().enumerate() {
                if let Segment::Literal(l) = s {
                    if lits_at.len() <= depth {
                        lits_at.resize(depth + 1, BTreeSet::new());
                    }
                    if let Some(set) = lits_at.get_mut(depth) {
                        set.insert(l.clone());
                    }
                    all_literals.insert(l.clone());
                }
            }
            for k in 0..segments.len() {
                suffixes.insert(segments.iter().skip(k).map(part).collect());
            }
        }
    }
    if mode == WitnessMode::Globs {
        // IAM's `?*` crosses `/`: a literal that follows a parameter in some pattern can line up
        // with a parameter at any depth (`GET/?*/?*/a` matches `GET /a/a/a`). In glob mode every
        // parameter also takes those literals; with a greedy route (whose tails are other
        // routes' suffixes) that is every literal.
        let greedy = path_keys
            .iter()
            .any(|s| s.iter().any(|x| matches!(x, Segment::Greedy(_))));
        let floating: BTreeSet<String> = if greedy {
            all_literals.clone()
        } else {
            path_keys
                .iter()
                .flat_map(|s| {
                    let first_param = s.iter().position(|x| !matches!(x, Segment::Literal(_)));
                    s.iter().skip(first_param.unwrap_or(s.len()))
                })
                .filter_map(|x| match x {
                    Segment::Literal(l) => Some(l.clone()),
                    _ => None,
                })
                .collect()
        };
        if !floating.is_empty() {
            let deepest = path_keys.iter().map(|s| s.len()).max().unwrap_or(0);
            lits_at.resize(deepest, BTreeSet::new());
            for set in &mut lits_at {
                set.extend(floating.iter().cloned());
            }
        }
    }
    let mut fresh = "zq".to_string();
    while all_literals.contains(&fresh) {
        fresh.push('q');
    }
    let too_many = |n: usize| n.saturating_mul(2).saturating_mul(methods.len()) > limit;
    let mut templates: BTreeSet<Vec<WitnessPart>> = BTreeSet::new();
    templates.insert(Vec::new());
    templates.insert(vec![WitnessPart::Fresh]);
    templates.insert(vec![WitnessPart::Fresh, WitnessPart::Fresh]);
    for segments in &path_keys {
        let tails = match mode {
            WitnessMode::Globs => suffixes.clone(),
            WitnessMode::Routing => aligned_tails(segments, &path_keys),
        };
        for t in templates_for(segments, &lits_at, &tails) {
            for n in 0..t.len() {
                templates.insert(t.iter().take(n).cloned().collect());
            }
            let mut longer = t.clone();
            longer.push(WitnessPart::Fresh);
            templates.insert(longer);
            templates.insert(t);
        }
        if too_many(templates.len()) {
            return Err(TooManyWitnesses { limit });
        }
    }
    let mut out = Vec::with_capacity(templates.len() * 2 * methods.len());
    for t in &templates {
        let body: Vec<&str> = t
            .iter()
            .map(|p| match p {
                WitnessPart::Literal(l) => l.as_str(),
                WitnessPart::Fresh => fresh.as_str(),
            })
            .collect();
        let body = body.join("/");
        for trailing in [false, true] {
            if trailing && t.is_empty() {
                continue;
            }
            let path = if trailing {
                format!("/{body}/")
            } else {
                format!("/{body}")
            };
            for method in methods {
                out.push(WitnessRequest {
                    method,
                    path: path.clone(),
                    parts: t.clone(),
                    trailing_slash: trailing,
                });
            }
        }
    }
    Ok(out)
}

/// For each greedy parameter of `route` (at depth `d`), the tails from depth `d` of the routes
/// whose first `d` segments can match the same request segments.
fn aligned_tails(route: &[Segment], keys: &[&[Segment]]) -> BTreeSet<Vec<WitnessPart>> {
    let mut out = BTreeSet::new();
    let Some(d) = route.iter().position(|s| matches!(s, Segment::Greedy(_))) else {
        return out;
    };
    let Some(prefix) = route.get(..d) else { return out };
    for key in keys {
        let (Some(head), Some(tail)) = (key.get(..d), key.get(d..)) else {
            continue;
        };
        let compatible = head.iter().zip(prefix).all(|(a, b)| match (a, b) {
            (Segment::Literal(x), Segment::Literal(y)) => x == y,
            _ => true,
        });
        if compatible && !tail.is_empty() {
            out.insert(tail.iter().map(part).collect());
        }
    }
    out
}

fn part(s: &Segment) -> WitnessPart {
    match s {
        Segment::Literal(l) => WitnessPart::Literal(l.clone()),
        Segment::Param(_) | Segment::Greedy(_) => WitnessPart::Fresh,
    }
}

/// The witness templates of one route: each segment's alternatives combined (all combinations
/// when there are at most 256, else one position varying at a time).
fn templates_for(
    segments: &[Segment],
    lits_at: &[BTreeSet<String>],
    suffixes: &BTreeSet<Vec<WitnessPart>>,
) -> Vec<Vec<WitnessPart>> {
    use WitnessPart::{Fresh, Literal};
    let options: Vec<Vec<Vec<WitnessPart>>> = segments
        .iter()
        .enumerate()
        .map(|(depth, s)| match s {
            Segment::Literal(l) => vec![vec![Literal(l.clone())]],
            Segment::Param(_) | Segment::Greedy(_) => {
                let mut o = vec![vec![Fresh], vec![Fresh, Fresh]];
                o.extend(
                    lits_at
                        .get(depth)
                        .into_iter()
                        .flatten()
                        .map(|l| vec![Literal(l.clone())]),
                );
                if matches!(s, Segment::Greedy(_)) {
                    for suffix in suffixes {
                        o.push(suffix.clone());
                        let mut longer = vec![Fresh];
                        longer.extend(suffix.iter().cloned());
                        o.push(longer);
                    }
                }
                o
            }
        })
        .collect();
    let product: usize = options.iter().map(Vec::len).fold(1usize, |a, b| a.saturating_mul(b));
    let mut out = Vec::new();
    if product <= 256 {
        let mut acc: Vec<Vec<WitnessPart>> = vec![Vec::new()];
        for opts in &options {
            let mut next = Vec::with_capacity(acc.len() * opts.len());
            for a in &acc {
                for o in opts {
                    let mut v = a.clone();
                    v.extend(o.iter().cloned());
                    next.push(v);
                }
            }
            acc = next;
        }
        out = acc;
    } else {
        for (i, opts) in options.iter().enumerate() {
            for o in opts {
                let mut v = Vec::new();
                for (j, other) in options.iter().enumerate() {
                    if i == j {
                        v.extend(o.iter().cloned());
                    } else if let Some(first) = other.first() {
                        v.extend(first.iter().cloned());
                    }
                }
                out.push(v);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::METHODS;

    fn table(keys: &[&str]) -> RouteTable {
        let mut t = RouteTable::new();
        for k in keys {
            if let Ok(key) = RouteKey::parse(k) {
                assert!(t.insert(key).is_ok());
            }
        }
        t
    }

    #[test]
    fn a_new_literal_is_seen_from_both_tables() {
        let old = table(&["GET /pets/{id}"]);
        let new = table(&["GET /pets/{id}", "GET /pets/mine"]);
        let w = witness_requests(&[&old, &new], &METHODS, WitnessMode::Routing, 100_000).unwrap_or_default();
        assert!(w.iter().any(|w| w.method == "GET" && w.path == "/pets/mine"));
        assert!(w.iter().any(|w| w.method == "GET" && w.path == "/pets/zq"));
        assert!(w.iter().any(|w| w.method == "DELETE" && w.path == "/pets/mine/"));
        assert_eq!(
            witness_requests(&[&old, &new], &METHODS, WitnessMode::Routing, 10),
            Err(TooManyWitnesses { limit: 10 })
        );
    }

    #[test]
    fn fresh_segments_avoid_literals() {
        let t = table(&["GET /zq/{id}"]);
        let w = witness_requests(&[&t], &["GET"], WitnessMode::Globs, 100_000).unwrap_or_default();
        assert!(w.iter().any(|w| w.path == "/zq/zqq"));
    }
}
