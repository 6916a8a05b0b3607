//! Issuer and settings changes between two policies, each with the direction it moves access.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use scopegate::{ConfigChange, ConfigSubject, Direction, Engine, Format, LoadedPolicy, config_changes};
use serde_json::json;

fn load(text: &str) -> (LoadedPolicy, Engine) {
    let policy = LoadedPolicy::parse(text, Format::Toml, "p.toml").unwrap();
    let engine = Engine::compile(&policy).unwrap().engine;
    (policy, engine)
}

const ROUTES: &str = "[[routes]]\nroute = \"GET /a\"\nrequire = \"authenticated\"\n";

fn issuer(id: &str, iss: &str, audiences: &str, algorithms: &str) -> String {
    format!(
        "[[issuers]]\nid = \"{id}\"\nissuer = \"{iss}\"\naudiences = {audiences}\nalgorithms = {algorithms}\njwks = '{{\"keys\": []}}'\n"
    )
}

fn changes(old: &str, new: &str) -> Vec<ConfigChange> {
    let (op, oe) = load(old);
    let (np, ne) = load(new);
    config_changes(&op, &oe, &np, &ne)
}

fn find<'c>(all: &'c [ConfigChange], subject: &ConfigSubject, field: &str) -> &'c ConfigChange {
    all.iter()
        .find(|c| &c.subject == subject && c.field == field)
        .unwrap_or_else(|| panic!("no change {subject:?} {field}: {all:?}"))
}

#[test]
fn the_same_policy_has_no_config_change() {
    let text = format!(
        "version = 1\n{}{ROUTES}",
        issuer("a", "https://a", "[\"x\"]", "[\"RS256\"]")
    );
    assert!(changes(&text, &text).is_empty());
}

#[test]
fn issuer_fields_and_settings_are_classed_by_direction() {
    let old = format!(
        "version = 1\n{}{}{ROUTES}",
        issuer("a", "https://a", "[\"x\"]", "[\"RS256\", \"PS256\"]"),
        issuer("gone", "https://gone", "[\"x\"]", "[\"RS256\"]"),
    );
    let new = format!(
        "version = 1\n[settings]\nunmatched = \"allow-authenticated\"\nleeway_seconds = 10\n{}{}{ROUTES}",
        issuer("a", "https://a2", "[\"x\", \"y\"]", "[\"RS256\"]"),
        issuer("new", "https://new", "[\"x\"]", "[\"RS256\"]"),
    );
    let all = changes(&old, &new);
    let a = ConfigSubject::Issuer("a".into());
    let iss = find(&all, &a, "iss");
    assert_eq!(
        (iss.old.clone(), iss.new.clone(), iss.direction),
        (json!("https://a"), json!("https://a2"), None)
    );
    assert_eq!(find(&all, &a, "audiences").direction, Some(Direction::Widen));
    assert_eq!(find(&all, &a, "algorithms").direction, Some(Direction::Narrow));
    let gone = ConfigSubject::Issuer("gone".into());
    assert_eq!(find(&all, &gone, "removed").direction, Some(Direction::Narrow));
    let added = ConfigSubject::Issuer("new".into());
    assert_eq!(find(&all, &added, "added").direction, Some(Direction::Widen));
    let unmatched = find(&all, &ConfigSubject::Settings, "unmatched");
    assert_eq!(unmatched.new, json!("allow-authenticated"));
    assert_eq!(unmatched.direction, Some(Direction::Widen));
    assert_eq!(
        find(&all, &ConfigSubject::Settings, "leeway_seconds").direction,
        Some(Direction::Narrow)
    );
    assert!(
        all.iter().all(|c| c.field != "profile" && c.field != "key_source"),
        "{all:?}"
    );
}
