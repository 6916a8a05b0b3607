//! A policy change reviewed beyond routes: issuers and settings whose change can change who
//! gets in, each with the direction it moves access where it has one.

use serde_json::{Value, json};

use super::Engine;
use crate::model::Issuer;
use crate::policy::load::LoadedPolicy;
use crate::policy::{CorsPreflight, IssuerSource, Unmatched};

/// What a [`ConfigChange`] is about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigSubject {
    /// The issuer with this policy id.
    Issuer(String),
    /// `[settings]`.
    Settings,
}

/// Which way a change moves access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// More requests can get in.
    Widen,
    /// Fewer requests can get in.
    Narrow,
}

/// One issuer or settings field that changed between two policies.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfigChange {
    /// The issuer or the settings.
    pub subject: ConfigSubject,
    /// The field: `added`, `removed`, `iss`, `profile`, `audiences`, `algorithms`,
    /// `key_source`; `unmatched`, `cors_preflight`, `leeway_seconds`, `max_token_bytes`.
    pub field: &'static str,
    /// The value before, as JSON (`null` for an added issuer).
    pub old: Value,
    /// The value after, as JSON (`null` for a removed issuer).
    pub new: Value,
    /// The direction, where the change has one (a new `iss` or key source has none).
    pub direction: Option<Direction>,
}

impl ConfigChange {
    fn new(subject: &ConfigSubject, field: &'static str, old: Value, new: Value, direction: Option<Direction>) -> Self {
        ConfigChange {
            subject: subject.clone(),
            field,
            old,
            new,
            direction,
        }
    }
}

/// The issuer and settings changes from `old` to `new` (each policy with the engine compiled
/// from it): issuers in the old policy's order, then added ones, then settings.
pub fn config_changes(
    old_policy: &LoadedPolicy,
    old: &Engine,
    new_policy: &LoadedPolicy,
    new: &Engine,
) -> Vec<ConfigChange> {
    let mut out = issuer_changes(old_policy, old, new_policy, new);
    out.extend(settings_changes(old, new));
    out
}

fn issuer_changes(
    old_policy: &LoadedPolicy,
    old: &Engine,
    new_policy: &LoadedPolicy,
    new: &Engine,
) -> Vec<ConfigChange> {
    let mut out = Vec::new();
    for o in old.issuers().iter() {
        let subject = ConfigSubject::Issuer(o.id().to_string());
        let Some(n) = new.issuers().by_id(o.id()) else {
            let change = ConfigChange::new(
                &subject,
                "removed",
                json!(o.iss()),
                Value::Null,
                Some(Direction::Narrow),
            );
            out.push(change);
            continue;
        };
        let mut push = |field, old: Value, new: Value, direction| {
            if old != new {
                out.push(ConfigChange::new(&subject, field, old, new, direction));
            }
        };
        push("iss", json!(o.iss()), json!(n.iss()), None);
        push("profile", json!(o.profile()), json!(n.profile()), None);
        let class = set_direction(o.audiences(), n.audiences());
        push("audiences", json!(o.audiences()), json!(n.audiences()), class);
        let (oa, na) = (algorithms(o), algorithms(n));
        let class = set_direction(&oa, &na);
        push("algorithms", json!(oa), json!(na), class);
        let source = |p: &LoadedPolicy| key_source(p.source.issuers.iter().find(|i| i.id == o.id()));
        push("key_source", source(old_policy), source(new_policy), None);
    }
    for n in new.issuers().iter() {
        if old.issuers().by_id(n.id()).is_none() {
            let subject = ConfigSubject::Issuer(n.id().to_string());
            let change = ConfigChange::new(&subject, "added", Value::Null, json!(n.iss()), Some(Direction::Widen));
            out.push(change);
        }
    }
    out
}

fn settings_changes(old: &Engine, new: &Engine) -> Vec<ConfigChange> {
    let (o, n) = (old.settings(), new.settings());
    // Each field with whether its new value lets more requests in than the old one.
    let fields = [
        (
            "unmatched",
            json!(o.unmatched),
            json!(n.unmatched),
            n.unmatched == Unmatched::AllowAuthenticated,
        ),
        (
            "cors_preflight",
            json!(o.cors_preflight),
            json!(n.cors_preflight),
            n.cors_preflight == CorsPreflight::Allow,
        ),
        (
            "leeway_seconds",
            json!(o.leeway_seconds),
            json!(n.leeway_seconds),
            n.leeway_seconds > o.leeway_seconds,
        ),
        (
            "max_token_bytes",
            json!(o.max_token_bytes),
            json!(n.max_token_bytes),
            n.max_token_bytes > o.max_token_bytes,
        ),
    ];
    fields
        .into_iter()
        .filter(|(_, old, new, _)| old != new)
        .map(|(field, old, new, widens)| {
            let direction = if widens { Direction::Widen } else { Direction::Narrow };
            ConfigChange::new(&ConfigSubject::Settings, field, old, new, Some(direction))
        })
        .collect()
}

fn algorithms(i: &Issuer) -> Vec<String> {
    i.algorithms().iter().map(|a| format!("{a:?}")).collect()
}

/// Widen when only added, narrow when only removed, no direction otherwise.
fn set_direction(old: &[String], new: &[String]) -> Option<Direction> {
    let added = new.iter().any(|x| !old.contains(x));
    let removed = old.iter().any(|x| !new.contains(x));
    match (added, removed) {
        (true, false) => Some(Direction::Widen),
        (false, true) => Some(Direction::Narrow),
        _ => None,
    }
}

/// Where an issuer's keys come from, as the policy says it.
fn key_source(s: Option<&IssuerSource>) -> Value {
    let Some(s) = s else { return Value::Null };
    json!({
        "jwks_file": s.jwks_file.as_ref().map(|p| p.display().to_string()),
        "jwks": s.jwks.as_ref().and_then(|j| serde_json::to_value(j).ok()),
        "jwks_uri": s.jwks_uri,
        "hmac_secret_env": s.hmac_secret_env,
    })
}
