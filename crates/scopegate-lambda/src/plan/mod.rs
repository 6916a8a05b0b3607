//! Cache-safe IAM policies: which `execute-api` resources an identity may call.
//!
//! API Gateway caches an authorizer's policy per token and evaluates it against the ARN of every
//! later request with that token. So the policy must allow exactly the requests the engine
//! would allow one by one. Route keys become resource patterns (`{id}` and `{proxy+}` become
//! `?*`, `ANY` becomes each method, literal paths get a trailing-slash twin); but IAM's `*`
//! crosses `/` and an explicit `Deny` beats every `Allow`, so such patterns are not always
//! exact. Every plan is therefore checked against *witness* requests built from the route
//! literals (each parameter as a fresh segment, as two segments and as every literal at its
//! depth; greedy tails also as the suffixes of other routes; prefixes, one extra segment and
//! trailing slashes; every method): the IAM verdict of the plan must equal the engine's routing
//! plus [`Engine::permits`] for every witness. Over-allowed witnesses get `Deny` patterns when one
//! fits without denying an allowed witness; when no exact plan is found the caller falls back to
//! the single incoming ARN (never over-allows; only costs cache hits).
//!
//! Exactness domain: request paths without empty segments (`//`), which API Gateway does not
//! route to parameters.

mod templates;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use scopegate::policy::Unmatched;
use scopegate::{
    Engine, Identity, METHODS, RouteAccess, RouteId, RouteKey, Segment, WitnessMode, WitnessPart, witness_requests,
};

use crate::arn::request_suffix;
use crate::iam;
use templates::segment_pattern;

/// Largest number of witness requests (paths x methods) checked per plan; bigger policies get
/// single-ARN answers.
pub const MAX_WITNESSES: usize = 50_000;

/// Plans remembered per permission pattern before the memo is cleared.
const MAX_MEMO: usize = 4096;

/// The resource patterns of one cache-safe answer, relative to `arn:…:{api}/{stage}/`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// `Allow` patterns, e.g. `GET/pets/?*`.
    pub allow: Vec<String>,
    /// `Deny` patterns that carve over-broad `Allow` patterns back.
    pub deny: Vec<String>,
}

impl Plan {
    /// IAM's verdict for a `METHOD/path` suffix.
    pub fn allows(&self, suffix: &str) -> bool {
        iam::allows(&self.allow, &self.deny, suffix)
    }
}

/// Which routes an identity may call (by route index) and whether unmatched requests pass.
type PermissionKey = (Vec<bool>, bool);

#[derive(Debug)]
struct Witness {
    method: &'static str,
    suffix: String,
    template: Vec<WitnessPart>,
    trailing: bool,
    route: Option<RouteId>,
}

#[derive(Debug)]
struct RouteShape {
    id: RouteId,
    anonymous: bool,
    /// Patterns per method (index into [`METHODS`]); `$default` has the single pattern `*`.
    patterns: Vec<(Option<usize>, String)>,
}

/// Precomputed, identity-independent planning data for one engine.
#[derive(Debug)]
pub struct Planner {
    routes: Vec<RouteShape>,
    witnesses: Vec<Witness>,
    /// Why plans are impossible for this policy, if they are.
    unplannable: Option<String>,
    memo: Mutex<HashMap<PermissionKey, Option<Arc<Plan>>>>,
}

impl Planner {
    /// Precomputes route patterns and witness requests for an engine.
    pub fn new(engine: &Engine) -> Planner {
        let table = engine.route_table();
        let ids = table.in_precedence_order();
        let mut routes = Vec::with_capacity(ids.len());
        let mut unplannable = None;
        for id in &ids {
            let Some(view) = engine.route(*id) else { continue };
            let anonymous = view.access == RouteAccess::Anonymous;
            let patterns = match view.key {
                RouteKey::Default => vec![(None, "*".to_string())],
                RouteKey::Path { method, segments } => {
                    if segments
                        .iter()
                        .any(|s| matches!(s, Segment::Literal(l) if l.contains(['*', '?'])))
                    {
                        unplannable = Some(format!("route `{}` has `*` or `?` in a literal segment", view.key));
                    }
                    let path = segment_pattern(segments);
                    let ends_open = matches!(segments.last(), Some(Segment::Param(_) | Segment::Greedy(_)));
                    let methods: Vec<usize> = match method {
                        Some(m) => METHODS.iter().position(|x| x == m).into_iter().collect(),
                        None => (0..METHODS.len()).collect(),
                    };
                    let mut p = Vec::new();
                    for m in methods {
                        let name = METHODS.get(m).copied().unwrap_or("GET");
                        p.push((Some(m), format!("{name}/{path}")));
                        if !ends_open && !segments.is_empty() {
                            p.push((Some(m), format!("{name}/{path}/")));
                        }
                    }
                    p
                }
            };
            routes.push(RouteShape {
                id: *id,
                anonymous,
                patterns,
            });
        }
        let mut witnesses = Vec::new();
        match witness_requests(&[table], &METHODS, WitnessMode::Globs, MAX_WITNESSES) {
            Err(e) => unplannable = Some(format!("the policy needs more than {} witness requests", e.limit)),
            Ok(requests) => {
                for w in requests {
                    let route = table.find(w.method, &w.path);
                    witnesses.push(Witness {
                        method: w.method,
                        suffix: request_suffix(w.method, &w.path),
                        template: w.parts,
                        trailing: w.trailing_slash,
                        route,
                    });
                }
            }
        }
        Planner {
            routes,
            witnesses,
            unplannable,
            memo: Mutex::new(HashMap::new()),
        }
    }

    /// Why this policy never gets cache-safe plans, if it does not.
    pub fn unplannable(&self) -> Option<&str> {
        self.unplannable.as_deref()
    }

    /// Number of witness requests each plan is checked against.
    pub fn witness_count(&self) -> usize {
        self.witnesses.len()
    }

    /// The exact plan for an identity (`None`: anonymous caller), or `None` when no exact plan
    /// was found.
    pub fn plan(&self, engine: &Engine, identity: Option<&Identity>) -> Option<Arc<Plan>> {
        if self.unplannable.is_some() {
            return None;
        }
        let max = self.routes.iter().map(|r| r.id.index() + 1).max().unwrap_or(0);
        let mut permitted = vec![false; max];
        for r in &self.routes {
            let ok = match identity {
                Some(i) => engine.permits(r.id, i),
                None => r.anonymous,
            };
            if let Some(slot) = permitted.get_mut(r.id.index()) {
                *slot = ok;
            }
        }
        let unmatched = identity.is_some() && engine.settings().unmatched == Unmatched::AllowAuthenticated;
        let key = (permitted, unmatched);
        if let Ok(memo) = self.memo.lock()
            && let Some(found) = memo.get(&key)
        {
            return found.clone();
        }
        let plan = self.build(&key.0, key.1).map(Arc::new);
        if let Ok(mut memo) = self.memo.lock() {
            if memo.len() >= MAX_MEMO {
                memo.clear();
            }
            memo.insert(key, plan.clone());
        }
        plan
    }

    fn expected(&self, w: &Witness, permitted: &[bool], unmatched: bool) -> bool {
        match w.route {
            Some(id) => permitted.get(id.index()).copied().unwrap_or(false),
            None => unmatched,
        }
    }

    fn generalised(&self, w: &Witness) -> String {
        let body: Vec<&str> = w
            .template
            .iter()
            .map(|p| match p {
                WitnessPart::Literal(l) => l.as_str(),
                _ => "?*",
            })
            .collect();
        let slash = if w.trailing { "/" } else { "" };
        format!("{}/{}{slash}", w.method, body.join("/"))
    }

    fn build(&self, permitted: &[bool], unmatched: bool) -> Option<Plan> {
        let mut plan = Plan::default();
        for r in &self.routes {
            if permitted.get(r.id.index()).copied().unwrap_or(false) {
                plan.allow.extend(r.patterns.iter().map(|(_, p)| p.clone()));
            }
        }
        if unmatched {
            plan.allow.push("*".to_string());
        }
        if plan.allow.iter().any(|p| p == "*") {
            plan.allow = vec!["*".to_string()];
        }
        if plan.allow.is_empty() {
            // Nothing is allowed: one explicit Deny for the whole stage.
            return Some(Plan {
                allow: Vec::new(),
                deny: vec!["*".to_string()],
            });
        }
        let allowed: Vec<&Witness> = self
            .witnesses
            .iter()
            .filter(|w| self.expected(w, permitted, unmatched))
            .collect();
        for w in &self.witnesses {
            if self.expected(w, permitted, unmatched) || !plan.allows(&w.suffix) {
                continue;
            }
            let mut candidates: Vec<String> = Vec::new();
            if let Some(route) = w.route.and_then(|id| self.routes.iter().find(|r| r.id == id)) {
                candidates.extend(
                    route
                        .patterns
                        .iter()
                        .filter(|(_, p)| iam::matches(p, &w.suffix))
                        .map(|(_, p)| p.clone()),
                );
            }
            candidates.push(self.generalised(w));
            let fit = candidates
                .into_iter()
                .find(|c| !allowed.iter().any(|a| iam::matches(c, &a.suffix)));
            match fit {
                Some(c) => plan.deny.push(c),
                None => return None,
            }
        }
        let exact = self
            .witnesses
            .iter()
            .all(|w| plan.allows(&w.suffix) == self.expected(w, permitted, unmatched));
        exact.then_some(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scopegate::{Format, LoadedPolicy};

    fn planner(routes: &[(&str, &str)]) -> (Engine, Planner) {
        let mut text = "version = 1\n[[issuers]]\nid = \"a\"\nissuer = \"https://a\"\naudiences = [\"x\"]\njwks = '{\"keys\":[]}'\n".to_string();
        for (key, rule) in routes {
            text.push_str(&format!("[[routes]]\nroute = \"{key}\"\n{rule}\n"));
        }
        let engine = Engine::compile(&LoadedPolicy::parse(&text, Format::Toml, "p").unwrap())
            .unwrap()
            .engine;
        let p = Planner::new(&engine);
        (engine, p)
    }

    #[test]
    fn plans_anonymous_routes_with_deny_carve_outs() {
        let (engine, p) = planner(&[
            ("GET /pets", "allow = \"anonymous\""),
            ("GET /pets/{id}", "allow = \"anonymous\""),
            ("GET /pets/{id}/secret", "require = \"authenticated\""),
        ]);
        let plan = p.plan(&engine, None).unwrap();
        assert_eq!(plan.allow, ["GET/pets", "GET/pets/", "GET/pets/?*"]);
        assert!(plan.allows("GET/pets/7"));
        assert!(!plan.allows("GET/pets/7/secret"));
        assert!(!plan.allows("GET/pets/7/x"));
        assert!(!plan.allows("POST/pets"));
    }

    #[test]
    fn inexpressible_sets_have_no_plan() {
        // `GET/pets/?*` and `GET/pets/?*/toys` also cover the unrouted `/pets/1/x`, and no Deny
        // pattern can take it back without also denying `/pets/1/toys`.
        let (engine, p) = planner(&[
            ("GET /pets/{id}", "allow = \"anonymous\""),
            ("GET /pets/{id}/toys", "allow = \"anonymous\""),
        ]);
        assert_eq!(p.plan(&engine, None), None);
        assert!(p.witness_count() > 0);
    }

    #[test]
    fn wildcard_literals_are_unplannable() {
        let (engine, p) = planner(&[("GET /a*b", "allow = \"anonymous\"")]);
        assert!(p.unplannable().is_some());
        assert_eq!(p.plan(&engine, None), None);
    }

    #[test]
    fn nothing_allowed_is_one_deny() {
        let (engine, p) = planner(&[("GET /a", "require = \"authenticated\"")]);
        let plan = p.plan(&engine, None).unwrap();
        assert_eq!(
            (plan.allow.len(), plan.deny.as_slice()),
            (0, ["*".to_string()].as_slice())
        );
    }
}
