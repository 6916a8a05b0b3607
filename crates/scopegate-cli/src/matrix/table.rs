//! The access matrix as data: one row per route with its grants, one column per scope or role
//! the grants name, and the part an atom plays in a route's grants.

use std::collections::BTreeSet;

use scopegate::{Conjunction, Engine, Grants};
use serde_json::{Value, json};

/// One row: a route with its grants.
pub(crate) struct Row {
    pub route: String,
    pub requirement: String,
    pub grants: Grants,
}

/// How an atom takes part in a route's grants.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Cell {
    None,
    Excluded,
    WithOthers,
    Alone,
}

impl Cell {
    pub fn text(self) -> &'static str {
        match self {
            Cell::None => "",
            Cell::Excluded => "excluded",
            Cell::WithOthers => "with others",
            Cell::Alone => "alone",
        }
    }
}

pub(crate) fn rows(engine: &Engine) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for id in engine.route_table().in_precedence_order() {
        let (Some(view), Some(grants)) = (engine.route(id), engine.grants(id)) else {
            continue;
        };
        rows.push(Row {
            route: view.key.to_string(),
            requirement: view.access.to_string(),
            grants: grants.map_err(|e| e.to_string())?,
        });
    }
    Ok(rows)
}

/// The scope and role atoms any grant names, sorted: the matrix's columns.
pub(crate) fn columns(rows: &[Row]) -> Vec<String> {
    let mut set = BTreeSet::new();
    for r in rows {
        for c in &r.grants.conjunctions {
            for a in c.all_of.iter().chain(&c.none_of) {
                if a.starts_with("scope:") || a.starts_with("role:") {
                    set.insert(a.clone());
                }
            }
        }
    }
    set.into_iter().collect()
}

/// The strongest part `atom` plays in any of the route's conjunctions.
pub(crate) fn cell(grants: &Grants, atom: &str) -> Cell {
    let mut best = Cell::None;
    for c in &grants.conjunctions {
        let here = if c.all_of.iter().any(|a| a == atom) {
            if c.all_of.len() == 1 {
                Cell::Alone
            } else {
                Cell::WithOthers
            }
        } else if c.none_of.iter().any(|a| a == atom) {
            Cell::Excluded
        } else {
            Cell::None
        };
        best = best.max(here);
    }
    best
}

/// A conjunction as a requirement: `auth0: scope:a and not role:b`.
pub(crate) fn conjunction_text(c: &Conjunction) -> String {
    let mut parts: Vec<String> = c.all_of.clone();
    parts.extend(c.none_of.iter().map(|a| format!("not {a}")));
    format!("{}: {}", c.issuer, parts.join(" and "))
}

/// A conjunction as JSON.
pub(crate) fn conjunction_json(c: &Conjunction) -> Value {
    json!({"issuer": &*c.issuer, "all_of": c.all_of, "none_of": c.none_of})
}

pub(crate) fn issuers(g: &Grants) -> String {
    if g.anonymous {
        return "anyone".into();
    }
    let mut ids: Vec<&str> = Vec::new();
    for c in &g.conjunctions {
        if !ids.contains(&&*c.issuer) {
            ids.push(&c.issuer);
        }
    }
    if ids.is_empty() {
        "nobody".into()
    } else {
        ids.join(", ")
    }
}
