//! `scopegate diff OLD NEW [--json] [--fail-on none|widen|any]`: a policy change reviewed by
//! access, not by text. Route access comes from the core's comparison over the witness
//! requests of both route tables ([`scopegate::access_changes`]), issuers and settings from
//! [`scopegate::config_changes`]; this module only prints them.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use scopegate::{
    AccessChange, ChangeKind, ConfigChange, ConfigSubject, Direction, Grants, access_changes, config_changes,
};
use serde_json::{Value, json};

use crate::matrix::{conjunction_json, conjunction_text};

/// Arguments of `scopegate diff`.
#[derive(Args)]
pub(crate) struct DiffArgs {
    /// The policy before the change.
    old: PathBuf,
    /// The policy after the change.
    new: PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// Exit 1 when the change widens access (`widen`) or changes it at all (`any`).
    #[arg(long, value_enum, default_value = "none")]
    fail_on: FailOn,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    None,
    Widen,
    Any,
}

/// Direction of a change: `Some(true)` widens, `Some(false)` narrows.
type Class = Option<bool>;

/// An issuer or settings change as printed: a JSON entry and a line of text.
struct Entry {
    json: Value,
    line: String,
    class: Class,
}

impl From<&ConfigChange> for Entry {
    fn from(c: &ConfigChange) -> Entry {
        let (kind, subject) = match &c.subject {
            ConfigSubject::Issuer(id) => ("issuer", id.as_str()),
            _ => ("setting", "settings"),
        };
        let (class, label, dir) = match c.direction {
            Some(Direction::Widen) => (Some(true), json!("widen"), " (widen)"),
            Some(Direction::Narrow) => (Some(false), json!("narrow"), " (narrow)"),
            None => (None, Value::Null, ""),
        };
        let (field, old, new) = (c.field, &c.old, &c.new);
        Entry {
            line: format!("{kind} {subject}: {field} {old} -> {new}{dir}"),
            json: json!({ kind: subject, "field": field, "old": old, "new": new, "class": label }),
            class,
        }
    }
}

pub(crate) fn grants_json(g: &Grants) -> Value {
    let mut v: Vec<Value> = g.conjunctions.iter().map(conjunction_json).collect();
    if g.anonymous {
        v.insert(0, json!({"issuer": null, "all_of": ["anonymous"], "none_of": []}));
    }
    Value::Array(v)
}

pub(crate) fn grants_text(g: &Grants) -> String {
    let mut v: Vec<String> = g.conjunctions.iter().map(conjunction_text).collect();
    if g.anonymous {
        v.insert(0, "anonymous".into());
    }
    if v.is_empty() { "-".into() } else { v.join("; ") }
}

fn change_json(c: &AccessChange) -> Value {
    json!({
        "method": c.method,
        "path": c.path,
        "old_route": c.old_route.as_deref(),
        "new_route": c.new_route.as_deref(),
        "kind": c.kind.as_str(),
        "gained": grants_json(&c.gained),
        "lost": grants_json(&c.lost),
    })
}

pub(crate) fn run(args: &DiffArgs) -> ExitCode {
    let Ok(old) = crate::load_policy(&args.old) else {
        return ExitCode::from(2);
    };
    let Ok(new) = crate::load_policy(&args.new) else {
        return ExitCode::from(2);
    };
    let changes = match access_changes(&old.1, &new.1) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let config = config_changes(&old.0, &old.1, &new.0, &new.1);
    let (issuers, settings): (Vec<&ConfigChange>, Vec<&ConfigChange>) = config
        .iter()
        .partition(|c| matches!(c.subject, ConfigSubject::Issuer(_)));
    let issuers: Vec<Entry> = issuers.into_iter().map(Entry::from).collect();
    let settings: Vec<Entry> = settings.into_iter().map(Entry::from).collect();
    // A change without a direction counts both ways.
    let kinds = changes.iter().map(|c| match c.kind {
        ChangeKind::Widened => Some(true),
        ChangeKind::Narrowed => Some(false),
        _ => None,
    });
    let classes: Vec<Class> = kinds.chain(issuers.iter().chain(&settings).map(|e| e.class)).collect();
    let widened = classes.iter().any(|c| *c != Some(false));
    let narrowed = classes.iter().any(|c| *c != Some(true));
    if args.json {
        let v = json!({
            "widened": widened,
            "narrowed": narrowed,
            "changes": changes.iter().map(change_json).collect::<Vec<_>>(),
            "issuers": issuers.iter().map(|e| &e.json).collect::<Vec<_>>(),
            "settings": settings.iter().map(|e| &e.json).collect::<Vec<_>>(),
        });
        println!("{v}");
    } else if classes.is_empty() {
        println!("no access change");
    } else {
        for c in &changes {
            println!(
                "{} {} {}: {} -> {}; gained: {}; lost: {}",
                c.kind.as_str(),
                c.method,
                c.path,
                c.old_route.as_deref().unwrap_or("(unmatched)"),
                c.new_route.as_deref().unwrap_or("(unmatched)"),
                grants_text(&c.gained),
                grants_text(&c.lost)
            );
        }
        for e in issuers.iter().chain(&settings) {
            println!("{}", e.line);
        }
    }
    let fail = match args.fail_on {
        FailOn::None => false,
        FailOn::Widen => widened,
        FailOn::Any => !classes.is_empty(),
    };
    if fail { ExitCode::from(1) } else { ExitCode::SUCCESS }
}
