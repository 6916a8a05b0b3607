//! A policy change reviewed by access: which witness requests of the two route tables are
//! granted to other callers after the change.

use std::sync::Arc;

use super::Engine;
use std::collections::HashMap;

use crate::compile::{AnalysisError, Grants, WitnessMode, witness_requests};
use crate::routes::RouteId;
use crate::routes::{METHODS, RouteKey};

/// Largest number of witness requests a comparison checks.
const MAX_WITNESSES: usize = 2_000_000;

/// A method no route key can name: it reaches only `ANY` routes and `$default`.
const OTHER_METHOD: &str = "TRACE";

/// How access to a request changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChangeKind {
    /// Everyone allowed before still is, and more are.
    Widened,
    /// Nobody is allowed who was not before, and some lost access.
    Narrowed,
    /// Some gained and some lost access.
    Changed,
}

impl ChangeKind {
    /// `widened`, `narrowed` or `changed`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Widened => "widened",
            ChangeKind::Narrowed => "narrowed",
            ChangeKind::Changed => "changed",
        }
    }
}

/// One witness request whose effective requirement changed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccessChange {
    /// The witness request's method.
    pub method: &'static str,
    /// The witness request's path.
    pub path: String,
    /// The route key it matched before (`None`: unmatched).
    pub old_route: Option<Arc<str>>,
    /// The route key it matches after.
    pub new_route: Option<Arc<str>>,
    /// The direction of the change.
    pub kind: ChangeKind,
    /// Conjunctions after that the old grants did not cover (`anonymous` when the request
    /// became anonymous): who gained access.
    pub gained: Grants,
    /// Conjunctions before that the new grants do not cover: who lost access.
    pub lost: Grants,
}

/// The witness requests of both route tables whose effective requirement differs between
/// `old` and `new`, in witness order (route precedence included: a new literal route that takes
/// requests from a parameter route shows here). Equivalent rewrites and reordered routes give
/// none. Issuers and settings are compared by the caller.
pub fn access_changes(old: &Engine, new: &Engine) -> Result<Vec<AccessChange>, AnalysisError> {
    let (t_old, t_new) = (old.route_table(), new.route_table());
    let mut methods: Vec<&'static str> = METHODS.to_vec();
    let catch_all = |t: &crate::routes::RouteTable| {
        (0..t.len()).any(|i| {
            t.key(crate::routes::RouteId(i as u32))
                .is_some_and(|k| matches!(k, RouteKey::Default | RouteKey::Path { method: None, .. }))
        })
    };
    if catch_all(t_old) || catch_all(t_new) {
        methods.push(OTHER_METHOD);
    }
    let witnesses = witness_requests(&[t_old, t_new], &methods, WitnessMode::Routing, MAX_WITNESSES).map_err(|e| {
        AnalysisError {
            subject: "witness requests".into(),
            message: e.to_string(),
        }
    })?;
    let mut old_cache = GrantCache::new(old);
    let mut new_cache = GrantCache::new(new);
    // Witnesses that match the same pair of routes compare alike: compared once.
    type Compared = Option<(ChangeKind, Grants, Grants)>;
    let mut compared: HashMap<(Option<RouteId>, Option<RouteId>), Compared> = HashMap::new();
    let mut out = Vec::new();
    for w in witnesses {
        let (old_id, old_route, before) = old_cache.effective(w.method, &w.path)?;
        let (new_id, new_route, after) = new_cache.effective(w.method, &w.path)?;
        let found = compared.entry((old_id, new_id)).or_insert_with(|| {
            let kind = match (after.includes(before), before.includes(after)) {
                (true, true) => return None,
                (true, false) => ChangeKind::Widened,
                (false, true) => ChangeKind::Narrowed,
                (false, false) => ChangeKind::Changed,
            };
            Some((kind, difference(after, before), difference(before, after)))
        });
        if let Some((kind, gained, lost)) = found {
            out.push(AccessChange {
                method: w.method,
                path: w.path,
                old_route,
                new_route,
                kind: *kind,
                gained: gained.clone(),
                lost: lost.clone(),
            });
        }
    }
    Ok(out)
}

/// The grants of `a` that `b` does not grant (not even through other conjunctions).
fn difference(a: &Grants, b: &Grants) -> Grants {
    let mut d = Grants::nobody();
    d.anonymous = a.anonymous && !b.anonymous;
    d.conjunctions = a.conjunctions.iter().filter(|c| !b.implied_by(c)).cloned().collect();
    d
}

/// Each route's grants, computed once.
struct GrantCache<'e> {
    engine: &'e Engine,
    routes: Vec<Option<Grants>>,
    unmatched: Grants,
}

impl<'e> GrantCache<'e> {
    fn new(engine: &'e Engine) -> Self {
        GrantCache {
            engine,
            routes: vec![None; engine.route_table().len()],
            unmatched: engine.unmatched_grants(),
        }
    }

    /// The route a request matches (id and key) and who may make it.
    fn effective(&mut self, method: &str, path: &str) -> Result<Effective<'_>, AnalysisError> {
        let Some(id) = self.engine.route_table().find(method, path) else {
            return Ok((None, None, &self.unmatched));
        };
        let key = self
            .engine
            .model
            .compiled
            .get(id.index())
            .map(|r| Arc::clone(&r.key_text));
        let Some(slot) = self.routes.get_mut(id.index()) else {
            return Ok((None, None, &self.unmatched));
        };
        if slot.is_none() {
            *slot = Some(crate::compile::route_grants(&self.engine.model, id.index())?);
        }
        match slot {
            Some(g) => Ok((Some(id), key, g)),
            None => Ok((Some(id), key, &self.unmatched)),
        }
    }
}

/// A request's route id and key (none: unmatched) and its grants.
type Effective<'g> = (Option<RouteId>, Option<Arc<str>>, &'g Grants);
