//! Diagnostics point at the value they are about, even when the same text appears earlier in
//! the file: a duplicate issuer id or route points at the duplicate, not the first occurrence.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use scopegate::{Engine, Format, LoadedPolicy, Location, Severity};

const POLICY: &str = r#"version = 1

[[issuers]]
id = "a"
issuer = "https://a.example"
audiences = ["x"]
jwks = '{"keys": []}'

[[issuers]]
id = "a"                                   # duplicate id
issuer = "https://b.example"
audiences = ["x"]
algorithms = ["RS256", "XS999"]            # unknown algorithm
jwks = '{"keys": []}'

[[routes]]
route = "GET /pets"
scopes = ["read"]

[[routes]]
route = "GET /pets"                        # overlap
scopes = ["read"]

[[routes]]
route = "GET /x"
require = "scope:a and"                    # syntax error

[[routes]]
route = "GET /y"
issuers = ["a", "nope"]                    # unknown issuer id
"#;

/// 1-based line and column of the `n`-th occurrence of `needle` on the line marked `marker`.
fn position(marker: &str, needle: &str) -> (usize, usize) {
    let (i, line) = POLICY
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains(marker))
        .expect("marker");
    (i + 1, line.find(needle).expect("needle") + 1)
}

fn diagnostic_locations() -> Vec<(String, Location)> {
    let loaded = LoadedPolicy::parse(POLICY, Format::Toml, "p.toml").unwrap();
    let err = Engine::compile(&loaded).unwrap_err();
    err.diagnostics
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| {
            let location = d.location.expect("every error here has a location");
            (format!("{}: {}", d.subject, d.message), location)
        })
        .collect()
}

fn located(what: &str) -> (usize, usize) {
    let all = diagnostic_locations();
    let (_, l) = all
        .iter()
        .find(|(m, _)| m.contains(what))
        .unwrap_or_else(|| panic!("no diagnostic says {what:?}: {all:?}"));
    (l.line, l.column)
}

#[test]
fn duplicate_issuer_id_points_at_the_duplicate() {
    // Inside the quotes of the second `id = "a"`.
    let (line, col) = position("# duplicate id", "\"a\"");
    assert_eq!(located("issuer id `a` is used twice"), (line, col + 1));
}

#[test]
fn overlapping_route_points_at_the_later_route() {
    let (line, col) = position("# overlap", "\"GET");
    assert_eq!(located("overlaps routes[0]"), (line, col + 1));
}

#[test]
fn requirement_syntax_error_points_at_the_failing_character() {
    // The expression ends after `and`: the error is at the end of the text.
    let (line, col) = position("# syntax error", "\"scope");
    let text = "scope:a and";
    assert_eq!(located("routes[2] `GET /x` require:"), (line, col + 1 + text.len()));
}

#[test]
fn list_entries_point_at_their_own_entry() {
    let (line, col) = position("# unknown algorithm", "\"XS999\"");
    assert_eq!(located("unknown algorithm `XS999`"), (line, col + 1));
    let (line, col) = position("# unknown issuer id", "\"nope\"");
    assert_eq!(located("unknown issuer id `nope`"), (line, col + 1));
}
