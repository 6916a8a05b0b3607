//! `scopegate diff OLD NEW [--json] [--fail-on none|widen|any]`: a policy change reviewed by
//! access, not by text. Route access comes from the core's comparison over the witness
//! requests of both route tables ([`scopegate::access_changes`]); issuers and settings are
//! compared field by field here.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use scopegate::policy::{CorsPreflight, IssuerSource, Unmatched};
use scopegate::{AccessChange, ChangeKind, Engine, Grants, LoadedPolicy, access_changes};
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

/// Direction of an issuer or setting change: `Some(true)` widens, `Some(false)` narrows.
type Class = Option<bool>;

struct Entry {
    json: Value,
    line: String,
    class: Class,
}

fn class_json(c: Class) -> Value {
    match c {
        Some(true) => json!("widen"),
        Some(false) => json!("narrow"),
        None => Value::Null,
    }
}

fn entry(kind: &str, subject: &str, field: &str, old: Value, new: Value, class: Class) -> Entry {
    let dir = match class {
        Some(true) => " (widen)",
        Some(false) => " (narrow)",
        None => "",
    };
    Entry {
        line: format!("{kind} {subject}: {field} {old} -> {new}{dir}"),
        json: json!({ kind: subject, "field": field, "old": old, "new": new, "class": class_json(class) }),
        class,
    }
}

/// Widen when only added, narrow when only removed, undirected otherwise.
fn set_class(old: &[String], new: &[String]) -> Class {
    let added = new.iter().any(|x| !old.contains(x));
    let removed = old.iter().any(|x| !new.contains(x));
    match (added, removed) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    }
}

fn key_source(s: Option<&IssuerSource>) -> Value {
    let Some(s) = s else { return Value::Null };
    json!({
        "jwks_file": s.jwks_file.as_ref().map(|p| p.display().to_string()),
        "jwks": s.jwks.as_ref().and_then(|j| serde_json::to_value(j).ok()),
        "jwks_uri": s.jwks_uri,
        "hmac_secret_env": s.hmac_secret_env,
    })
}

fn issuers(old: (&LoadedPolicy, &Engine), new: (&LoadedPolicy, &Engine)) -> Vec<Entry> {
    let mut out = Vec::new();
    let source = |p: &LoadedPolicy, id: &str| p.source.issuers.iter().find(|i| i.id == id).cloned();
    for o in old.1.issuers().iter() {
        let Some(n) = new.1.issuers().by_id(o.id()) else {
            out.push(entry(
                "issuer",
                o.id(),
                "removed",
                json!(o.iss()),
                Value::Null,
                Some(false),
            ));
            continue;
        };
        let id = o.id();
        if o.iss() != n.iss() {
            out.push(entry("issuer", id, "iss", json!(o.iss()), json!(n.iss()), None));
        }
        if o.profile() != n.profile() {
            let (a, b) = (format!("{:?}", o.profile()), format!("{:?}", n.profile()));
            out.push(entry("issuer", id, "profile", json!(a), json!(b), None));
        }
        if o.audiences() != n.audiences() {
            let class = set_class(o.audiences(), n.audiences());
            out.push(entry(
                "issuer",
                id,
                "audiences",
                json!(o.audiences()),
                json!(n.audiences()),
                class,
            ));
        }
        let algs = |i: &scopegate::Issuer| i.algorithms().iter().map(|a| format!("{a:?}")).collect::<Vec<_>>();
        let (oa, na) = (algs(o), algs(n));
        if oa != na {
            let class = set_class(&oa, &na);
            out.push(entry("issuer", id, "algorithms", json!(oa), json!(na), class));
        }
        let (ok, nk) = (
            key_source(source(old.0, id).as_ref()),
            key_source(source(new.0, id).as_ref()),
        );
        if ok != nk {
            out.push(entry("issuer", id, "key_source", ok, nk, None));
        }
    }
    for n in new.1.issuers().iter() {
        if old.1.issuers().by_id(n.id()).is_none() {
            out.push(entry(
                "issuer",
                n.id(),
                "added",
                Value::Null,
                json!(n.iss()),
                Some(true),
            ));
        }
    }
    out
}

fn settings(old: &Engine, new: &Engine) -> Vec<Entry> {
    let (o, n) = (old.settings(), new.settings());
    let mut out = Vec::new();
    let unmatched = |u: Unmatched| {
        if u == Unmatched::Deny {
            "deny"
        } else {
            "allow-authenticated"
        }
    };
    if o.unmatched != n.unmatched {
        let class = Some(n.unmatched == Unmatched::AllowAuthenticated);
        let (a, b) = (unmatched(o.unmatched), unmatched(n.unmatched));
        out.push(entry("setting", "settings", "unmatched", json!(a), json!(b), class));
    }
    let cors = |c: CorsPreflight| if c == CorsPreflight::Allow { "allow" } else { "enforce" };
    if o.cors_preflight != n.cors_preflight {
        let class = Some(n.cors_preflight == CorsPreflight::Allow);
        let (a, b) = (cors(o.cors_preflight), cors(n.cors_preflight));
        out.push(entry(
            "setting",
            "settings",
            "cors_preflight",
            json!(a),
            json!(b),
            class,
        ));
    }
    if o.leeway_seconds != n.leeway_seconds {
        let class = Some(n.leeway_seconds > o.leeway_seconds);
        out.push(entry(
            "setting",
            "settings",
            "leeway_seconds",
            json!(o.leeway_seconds),
            json!(n.leeway_seconds),
            class,
        ));
    }
    if o.max_token_bytes != n.max_token_bytes {
        let class = Some(n.max_token_bytes > o.max_token_bytes);
        out.push(entry(
            "setting",
            "settings",
            "max_token_bytes",
            json!(o.max_token_bytes),
            json!(n.max_token_bytes),
            class,
        ));
    }
    out
}

fn grants_json(g: &Grants) -> Value {
    let mut v: Vec<Value> = g.conjunctions.iter().map(conjunction_json).collect();
    if g.anonymous {
        v.insert(0, json!({"issuer": null, "all_of": ["anonymous"], "none_of": []}));
    }
    Value::Array(v)
}

fn grants_text(g: &Grants) -> String {
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
    let issuers = issuers((&old.0, &old.1), (&new.0, &new.1));
    let settings = settings(&old.1, &new.1);
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
