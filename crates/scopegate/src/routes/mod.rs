//! Route keys and the route table, with API Gateway HTTP API semantics.
//!
//! Precedence: at each path segment a literal beats `{name}`, which beats a final `{name+}`;
//! `$default` comes last. Among routes for the same path a named method beats `ANY`. A request
//! path with a trailing slash matches like the path without it; matching is case-sensitive.
//!
//! The table is a trie walked depth first in precedence order, so every trie node is visited at
//! most once per request whatever the number of routes.

mod key;

use std::collections::HashMap;

pub use key::{RouteKey, RouteKeyError, Segment};

/// Methods a route key can name. Other request methods only match `ANY` routes.
pub const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// Deepest route accepted, in segments.
pub(crate) const MAX_SEGMENTS: usize = 64;

/// Index of a route in the compiled policy (declaration order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RouteId(pub(crate) u32);

impl RouteId {
    /// Position of the route in the policy file's `[[routes]]` list.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Two routes that could match the same request with the same precedence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("route `{new}` overlaps `{existing}`: both match the same requests with equal precedence")]
pub struct OverlapError {
    /// The route declared later.
    pub new: String,
    /// The route declared earlier.
    pub existing: String,
    /// Id of the earlier route.
    pub existing_id: RouteId,
}

#[derive(Debug, Default, Clone)]
struct MethodSlots {
    named: [Option<RouteId>; METHODS.len()],
    any: Option<RouteId>,
}

impl MethodSlots {
    fn get(&self, method: Option<usize>) -> Option<RouteId> {
        method.and_then(|m| self.named.get(m).copied().flatten()).or(self.any)
    }

    fn slot(&mut self, method: Option<&str>) -> Option<&mut Option<RouteId>> {
        match method {
            None => Some(&mut self.any),
            Some(m) => {
                let i = METHODS.iter().position(|x| *x == m)?;
                self.named.get_mut(i)
            }
        }
    }

    fn in_order(&self) -> impl Iterator<Item = RouteId> + '_ {
        self.named.iter().flatten().chain(self.any.iter()).copied()
    }
}

#[derive(Debug, Default, Clone)]
struct Node {
    literals: HashMap<Box<str>, usize, foldhash::fast::FixedState>,
    param: Option<usize>,
    greedy: Option<MethodSlots>,
    methods: MethodSlots,
}

/// The compiled route table.
#[derive(Debug, Clone)]
pub struct RouteTable {
    nodes: Vec<Node>,
    default: Option<RouteId>,
    keys: Vec<RouteKey>,
}

impl Default for RouteTable {
    fn default() -> Self {
        RouteTable {
            nodes: vec![Node::default()],
            default: None,
            keys: Vec::new(),
        }
    }
}

/// The first segment of `rest` and what follows its `/`, if any. A byte scan: path segments are
/// short, and `str::split_once` with a `char` pattern cost several times more on the hot path.
#[inline]
pub(crate) fn next_segment(rest: &str) -> (&str, Option<&str>) {
    match rest.bytes().position(|b| b == b'/') {
        // `/` is ASCII, so both sides are on character boundaries.
        Some(i) => (rest.get(..i).unwrap_or(rest), rest.get(i + 1..)),
        None => (rest, None),
    }
}

/// Strips the leading `/` and one trailing `/` (API Gateway routes `/a/` like `/a`).
pub(crate) fn trim_path(path: &str) -> &str {
    let p = path.strip_prefix('/').unwrap_or(path);
    p.strip_suffix('/').unwrap_or(p)
}

impl RouteTable {
    /// An empty table.
    pub fn new() -> RouteTable {
        RouteTable::default()
    }

    /// Adds a route; its id is its insertion index.
    pub fn insert(&mut self, key: RouteKey) -> Result<RouteId, OverlapError> {
        let id = RouteId(u32::try_from(self.keys.len()).unwrap_or(u32::MAX));
        let slot = match &key {
            RouteKey::Default => &mut self.default,
            RouteKey::Path { method, segments } => {
                let mut node = 0;
                let mut slots: Option<&mut MethodSlots> = None;
                for segment in segments {
                    match segment {
                        Segment::Literal(l) => {
                            let next = self.nodes.len();
                            let child = self
                                .nodes
                                .get_mut(node)
                                .map(|n| *n.literals.entry(l.as_str().into()).or_insert(next));
                            node = self.child_or_new(child, next);
                        }
                        Segment::Param(_) => {
                            let next = self.nodes.len();
                            let child = self.nodes.get_mut(node).map(|n| *n.param.get_or_insert(next));
                            node = self.child_or_new(child, next);
                        }
                        Segment::Greedy(_) => {
                            slots = self
                                .nodes
                                .get_mut(node)
                                .map(|n| n.greedy.get_or_insert_with(MethodSlots::default));
                            break;
                        }
                    }
                }
                let slots = match slots {
                    Some(s) => s,
                    None => match self.nodes.get_mut(node) {
                        Some(n) => &mut n.methods,
                        None => return Err(self.internal_overlap(&key)),
                    },
                };
                match slots.slot(method.as_deref()) {
                    Some(s) => s,
                    None => return Err(self.internal_overlap(&key)),
                }
            }
        };
        if let Some(existing) = *slot {
            let existing_key = self
                .keys
                .get(existing.index())
                .map(ToString::to_string)
                .unwrap_or_default();
            return Err(OverlapError {
                new: key.to_string(),
                existing: existing_key,
                existing_id: existing,
            });
        }
        *slot = Some(id);
        self.keys.push(key);
        Ok(id)
    }

    fn child_or_new(&mut self, child: Option<usize>, next: usize) -> usize {
        if child == Some(next) {
            self.nodes.push(Node::default());
        }
        child.unwrap_or(0)
    }

    // Unreachable with keys from `RouteKey::parse`; reported rather than panicking.
    fn internal_overlap(&self, key: &RouteKey) -> OverlapError {
        OverlapError {
            new: key.to_string(),
            existing: "<invalid>".into(),
            existing_id: RouteId(u32::MAX),
        }
    }

    /// Finds the route for a request. `path` is the request path without query string.
    pub fn find(&self, method: &str, path: &str) -> Option<RouteId> {
        let method = METHODS.iter().position(|m| *m == method);
        if path.starts_with('/') {
            let rest = if path == "/" { None } else { Some(trim_path(path)) };
            if let Some(id) = self.walk(0, rest, method) {
                return Some(id);
            }
        }
        self.default
    }

    fn walk(&self, node: usize, rest: Option<&str>, method: Option<usize>) -> Option<RouteId> {
        let node = self.nodes.get(node)?;
        let Some(rest) = rest else {
            return node.methods.get(method);
        };
        let (segment, tail) = next_segment(rest);
        if let Some(&child) = node.literals.get(segment)
            && let Some(id) = self.walk(child, tail, method)
        {
            return Some(id);
        }
        if !segment.is_empty()
            && let Some(child) = node.param
            && let Some(id) = self.walk(child, tail, method)
        {
            return Some(id);
        }
        if !segment.is_empty() {
            return node.greedy.as_ref().and_then(|g| g.get(method));
        }
        None
    }

    /// The key of a route.
    pub fn key(&self, id: RouteId) -> Option<&RouteKey> {
        self.keys.get(id.index())
    }

    /// Number of routes.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when there are no routes.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// All routes, most specific first (the order matching tries them).
    pub fn in_precedence_order(&self) -> Vec<RouteId> {
        let mut out = Vec::with_capacity(self.keys.len());
        self.collect(0, &mut out);
        out.extend(self.default);
        out
    }

    fn collect(&self, node: usize, out: &mut Vec<RouteId>) {
        let Some(n) = self.nodes.get(node) else { return };
        out.extend(n.methods.in_order());
        let mut literals: Vec<_> = n.literals.iter().collect();
        literals.sort_unstable();
        for (_, &child) in literals {
            self.collect(child, out);
        }
        if let Some(child) = n.param {
            self.collect(child, out);
        }
        if let Some(g) = &n.greedy {
            out.extend(g.in_order());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(keys: &[&str]) -> RouteTable {
        let mut t = RouteTable::new();
        for k in keys {
            t.insert(RouteKey::parse(k).unwrap()).unwrap();
        }
        t
    }

    fn found(t: &RouteTable, method: &str, path: &str) -> Option<String> {
        t.find(method, path).map(|id| t.key(id).unwrap().to_string())
    }

    #[test]
    fn aws_documented_example() {
        let t = table(&[
            "GET /pets/dog/1",
            "GET /pets/dog/{id}",
            "GET /pets/{proxy+}",
            "ANY /{proxy+}",
            "$default",
        ]);
        assert_eq!(found(&t, "GET", "/pets/dog/1").as_deref(), Some("GET /pets/dog/1"));
        assert_eq!(found(&t, "GET", "/pets/dog/2").as_deref(), Some("GET /pets/dog/{id}"));
        assert_eq!(found(&t, "GET", "/pets/cat/1").as_deref(), Some("GET /pets/{proxy+}"));
        assert_eq!(found(&t, "POST", "/test/5").as_deref(), Some("ANY /{proxy+}"));
        assert_eq!(found(&t, "POST", "/").as_deref(), Some("$default"));
    }

    #[test]
    fn method_then_fallback_to_less_specific_path() {
        let t = table(&["POST /pets/purchase", "GET /pets/{id}", "ANY /pets/{id}"]);
        assert_eq!(found(&t, "GET", "/pets/purchase").as_deref(), Some("GET /pets/{id}"));
        assert_eq!(
            found(&t, "POST", "/pets/purchase").as_deref(),
            Some("POST /pets/purchase")
        );
        assert_eq!(found(&t, "DELETE", "/pets/7").as_deref(), Some("ANY /pets/{id}"));
        assert_eq!(
            found(&t, "get", "/pets/7").as_deref(),
            Some("ANY /pets/{id}"),
            "methods are case-sensitive"
        );
        assert_eq!(found(&t, "BREW", "/pets/7").as_deref(), Some("ANY /pets/{id}"));
    }

    #[test]
    fn trailing_slash_and_case() {
        let t = table(&["GET /user", "GET /"]);
        assert_eq!(found(&t, "GET", "/user/").as_deref(), Some("GET /user"));
        assert_eq!(found(&t, "GET", "/User"), None);
        assert_eq!(found(&t, "GET", "/").as_deref(), Some("GET /"));
        assert_eq!(found(&t, "GET", "/user//"), None);
        assert_eq!(found(&t, "GET", "user"), None);
        assert_eq!(found(&t, "GET", ""), None);
        assert_eq!(found(&t, "GET", "//"), None);
    }

    #[test]
    fn params_and_greedy_need_content() {
        let t = table(&["GET /a/{x}", "GET /b/{rest+}"]);
        assert_eq!(found(&t, "GET", "/a/"), None);
        assert_eq!(found(&t, "GET", "/a//"), None);
        assert_eq!(found(&t, "GET", "/b"), None);
        assert_eq!(found(&t, "GET", "/b/c/d/e").as_deref(), Some("GET /b/{rest+}"));
        let key = RouteKey::parse("GET /b/{rest+}").unwrap();
        assert_eq!(key.params("/b/c/d/e/"), vec![("rest", "c/d/e")]);
        let key = RouteKey::parse("GET /a/{x}/z/{y}").unwrap();
        assert_eq!(key.params("/a/1/z/2"), vec![("x", "1"), ("y", "2")]);
    }

    #[test]
    fn backtracks_when_a_literal_branch_dead_ends() {
        let t = table(&["GET /a/b/c", "GET /a/{x}/d"]);
        assert_eq!(found(&t, "GET", "/a/b/d").as_deref(), Some("GET /a/{x}/d"));
    }

    #[test]
    fn equal_precedence_overlaps_are_errors() {
        let mut t = table(&["GET /pets/{id}", "ANY /pets/{id}", "DELETE /pets/{petId}"]);
        let e = t.insert(RouteKey::parse("GET /pets/{name}").unwrap()).unwrap_err();
        assert_eq!(e.existing, "GET /pets/{id}");
        let e = t.insert(RouteKey::parse("GET /pets/{id}").unwrap()).unwrap_err();
        assert_eq!(e.new, "GET /pets/{id}");
        t.insert(RouteKey::parse("$default").unwrap()).unwrap();
        assert!(t.insert(RouteKey::parse("$default").unwrap()).is_err());
        let mut t = table(&["ANY /{a+}"]);
        assert!(t.insert(RouteKey::parse("ANY /{b+}").unwrap()).is_err());
    }

    #[test]
    fn bad_keys_are_rejected_with_reasons() {
        for (key, needle) in [
            ("GET", "expected `METHOD /path`"),
            ("FETCH /a", "unknown method"),
            ("get /a", "unknown method"),
            ("GET a", "must start with `/`"),
            ("GET /a/", "must not end with `/`"),
            ("GET /a//b", "empty segment"),
            ("GET /{p+}/a", "must be the last"),
            ("GET /a{b}", "mixes text"),
            ("GET /{}", "bad parameter name"),
            ("GET /{a}/{a}", "appears twice"),
            ("GET /a b", "whitespace"),
        ] {
            let e = RouteKey::parse(key).unwrap_err();
            assert!(e.message.contains(needle), "{key}: {e}");
        }
    }

    #[test]
    fn precedence_order_listing() {
        let t = table(&[
            "$default",
            "ANY /{proxy+}",
            "GET /pets/{id}",
            "GET /pets/dog",
            "ANY /pets/dog",
            "POST /pets/dog",
        ]);
        let order: Vec<String> = t
            .in_precedence_order()
            .into_iter()
            .map(|id| t.key(id).unwrap().to_string())
            .collect();
        assert_eq!(
            order,
            [
                "GET /pets/dog",
                "POST /pets/dog",
                "ANY /pets/dog",
                "GET /pets/{id}",
                "ANY /{proxy+}",
                "$default"
            ]
        );
    }

    #[test]
    fn display_round_trips() {
        for k in ["GET /", "ANY /{proxy+}", "POST /pets/{id}/toys", "$default"] {
            assert_eq!(RouteKey::parse(k).unwrap().to_string(), k);
        }
    }
}
