//! The contract of the policy-authoring commands: `test`, `can`, `matrix`, `diff` (output
//! shapes, exit codes, file:line:col errors) and the HTML matrix rendered in headless Chromium.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::workdir;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use scopegate_testkit::fixtures::{A0_AUD, A0_ISS, A0_ROLES, Rule, a0b, auth0_issuer, keys, routes};
use scopegate_testkit::{jwks, now};
use serde_json::{Value, json};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/policies")
}

fn pets() -> String {
    examples().join("pets.toml").display().to_string()
}

fn scopegate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)))
}

/// A pets-like policy with offline Auth0 keys in a fresh folder; `extra` is appended.
fn policy_dir(extra: &str) -> PathBuf {
    let dir = workdir();
    std::fs::write(dir.join("keys/auth0.jwks.json"), jwks(&[&keys().auth0]).to_string()).unwrap();
    let text = format!(
        "version = 1\n{}{}{extra}",
        auth0_issuer(&["jwks_file = \"keys/auth0.jwks.json\""]),
        routes(&[
            ("GET /pets", Rule::Anonymous),
            ("POST /pets", Rule::Require("role:admin")),
            (
                "POST /pets/purchase",
                Rule::Require("scope:pets:buy and not role:admin")
            ),
            ("GET /pets/{id}", Rule::Authenticated),
        ])
    );
    std::fs::write(dir.join("policy.toml"), text).unwrap();
    dir
}

fn token(scope: &str, roles: &[&str], exp: u64) -> String {
    a0b(json!({"iss": A0_ISS, "aud": A0_AUD, "sub": "auth0|u1", "exp": exp, "scope": scope, A0_ROLES: roles}))
        .sign(&keys().auth0)
}

#[test]
fn test_runs_the_committed_pets_tests() {
    let file = examples().join("tests/pets.toml");
    let out = scopegate(&["test", &pets(), &file.display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(stdout(&out).lines().last(), Some("8 passed, 0 failed"));
}

#[test]
fn test_reports_failures_json_and_real_tokens() {
    let dir = policy_dir("");
    let t = now();
    std::fs::write(
        dir.join("buyer.jwt"),
        format!("Bearer {}\n", token("pets:buy", &[], t + 600)),
    )
    .unwrap();
    std::fs::write(dir.join("old.jwt"), token("pets:buy", &[], t - 600)).unwrap();
    std::fs::write(
        dir.join("cases.toml"),
        format!(
            r#"
[[case]]
name = "buyer purchases"
method = "POST"
path = "/pets/purchase"
identity = {{ issuer = "auth0", subject = "u1", scopes = ["pets:buy"], roles = [], client = "spa" }}
expect = "allow"

[[case]]
name = "wrong expectation"
method = "POST"
path = "/pets"
identity = {{ issuer = "auth0", scopes = ["pets:buy"] }}
expect = 403
reason_code = "insufficient_scope"

[[case]]
name = "real token"
method = "POST"
path = "/pets/purchase"
token_file = "buyer.jwt"
now = {t}
expect = "allow"

[[case]]
name = "expired token"
method = "GET"
path = "/pets/7"
token_file = "old.jwt"
now = {t}
expect = 401
reason_code = "token_expired"

[[case]]
name = "no token on an open route"
method = "GET"
path = "/pets"
expect = 401
"#
        ),
    )
    .unwrap();
    let (policy, cases) = (dir.join("policy.toml"), dir.join("cases.toml"));
    let (policy, cases) = (policy.to_str().unwrap(), cases.to_str().unwrap());
    let out = scopegate(&["test", policy, cases]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with(
            "FAIL wrong expectation: expected 403 insufficient_scope, got 403 insufficient_role: route `POST /pets`"
        ),
        "{text}"
    );
    assert!(
        lines[1].starts_with("FAIL no token on an open route: expected 401, got 200: "),
        "{text}"
    );
    assert_eq!(lines[2], "3 passed, 2 failed");

    let out = scopegate(&["test", policy, cases, "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v = json_of(&out);
    assert_eq!(v.as_array().unwrap().len(), 5);
    assert_eq!(
        v[0],
        json!({"name": "buyer purchases", "passed": true, "expected": "allow", "status": 200,
               "reason_code": null, "route": "POST /pets/purchase"})
    );
    assert_eq!(v[1]["expected"], 403);
    assert_eq!(v[3]["reason_code"], "token_expired");
    assert_eq!(v[3]["passed"], true);
}

#[test]
fn test_file_errors_exit_2_with_positions() {
    let dir = policy_dir("");
    let policy = dir.join("policy.toml");
    for (body, needle) in [
        (
            "[[case]]\nname = \"x\"\nmethod = \"GET\"\npath = \"/\"\nexpect = \"deny\"\n",
            "cases.toml:5:10: `expect`",
        ),
        (
            "[[case]]\nname = \"x\"\nmethod = \"GET\"\npath = \"/\"\nexpct = 401\n",
            "cases.toml:5:1: unknown field `expct`",
        ),
        (
            "[[case]]\nname = \"x\"\nmethod = \"GET\"\npath = \"/\"\nexpect = 401\nidentity = { issuer = \"okta\" }\n",
            "cases.toml:6:12: `okta` is not an issuer id",
        ),
    ] {
        std::fs::write(dir.join("cases.toml"), body).unwrap();
        let out = scopegate(&[
            "test",
            policy.to_str().unwrap(),
            dir.join("cases.toml").to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{err}");
    }
}

#[test]
fn can_lists_routes_for_identities_and_tokens() {
    let dir = policy_dir("");
    let policy = dir.join("policy.toml");
    let policy = policy.to_str().unwrap();
    let out = scopegate(&[
        "can",
        policy,
        "--identity",
        r#"{"issuer":"auth0","subject":"u1","scopes":["pets:buy"]}"#,
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        json_of(&out),
        json!({"status": 200, "reason_code": null, "issuer": "auth0", "subject": "u1", "unmatched_allowed": false,
               "routes": [{"route": "GET /pets", "requirement": "anonymous"},
                          {"route": "POST /pets/purchase", "requirement": "scope:pets:buy and not role:admin"},
                          {"route": "GET /pets/{id}", "requirement": "authenticated"}]})
    );
    let t = now();
    let admin = token("openid", &["admin"], t + 600);
    let out = scopegate(&["can", policy, "--token", &admin, "--now", &t.to_string(), "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let v = json_of(&out);
    let routes: Vec<&str> = v["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["route"].as_str().unwrap())
        .collect::<Vec<_>>();
    assert_eq!(routes, ["GET /pets", "POST /pets", "GET /pets/{id}"]);

    let expired = token("openid", &["admin"], t - 600);
    let out = scopegate(&["can", policy, "--token", &expired, "--now", &t.to_string(), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v = json_of(&out);
    assert_eq!(
        (v["status"].clone(), v["reason_code"].clone()),
        (json!(401), json!("token_expired"))
    );
    assert_eq!(v["routes"], json!([{"route": "GET /pets", "requirement": "anonymous"}]));

    let out = scopegate(&["can", policy, "--identity", r#"{"issuer":"nope"}"#]);
    assert_eq!(out.status.code(), Some(2));
    let out = scopegate(&["can", policy, "--identity", r#"{"issuer":"auth0","roles":["admin"]}"#]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("POST /pets  "), "{}", stdout(&out));
}

#[test]
fn matrix_json_and_markdown() {
    let out = scopegate(&["matrix", &pets(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        json_of(&out),
        json!({"routes": [
            {"route": "GET /pets", "requirement": "anonymous", "anonymous": true, "grants": []},
            {"route": "POST /pets", "requirement": "role:admin", "anonymous": false,
             "grants": [{"issuer": "auth0", "all_of": ["role:admin"], "none_of": []}]},
            {"route": "POST /pets/purchase", "requirement": "scope:pets:buy and not role:admin", "anonymous": false,
             "grants": [{"issuer": "auth0", "all_of": ["scope:pets:buy"], "none_of": ["role:admin"]}]},
        ]})
    );
    let md = stdout(&scopegate(&["matrix", &pets()]));
    let lines: Vec<&str> = md.lines().collect();
    assert_eq!(
        lines[0],
        "| route | requirement | who | `role:admin` | `scope:pets:buy` |"
    );
    assert_eq!(
        lines[4],
        "| `POST /pets/purchase` | `scope:pets:buy and not role:admin` | auth0 | excluded | alone |"
    );
}

#[test]
fn diff_by_access_not_text() {
    let old = policy_dir("");
    // Reordered, reformatted and rewritten: the same access.
    let same = workdir();
    std::fs::write(same.join("keys/auth0.jwks.json"), jwks(&[&keys().auth0]).to_string()).unwrap();
    let text = format!(
        "version = 1\n{}{}",
        auth0_issuer(&["jwks_file = \"keys/auth0.jwks.json\""]),
        routes(&[
            ("GET /pets/{petId}", Rule::Require("authenticated or scope:x")),
            (
                "POST /pets/purchase",
                Rule::Require("not (role:admin or not scope:pets:buy)")
            ),
            ("POST /pets", Rule::Require("(role:admin)")),
            ("GET /pets", Rule::Anonymous),
        ])
    );
    std::fs::write(same.join("policy.toml"), text).unwrap();
    let (o, s) = (old.join("policy.toml"), same.join("policy.toml"));
    let out = scopegate(&["diff", o.to_str().unwrap(), s.to_str().unwrap(), "--fail-on", "any"]);
    assert_eq!(
        (out.status.code(), stdout(&out)),
        (Some(0), "no access change\n".to_string())
    );

    // A new literal route takes `GET /pets/mine` from `GET /pets/{id}`; unmatched widens.
    let new = policy_dir(&format!(
        "{}[settings]\nunmatched = \"allow-authenticated\"\n",
        routes(&[("GET /pets/mine", Rule::Require("scope:pets:own"))])
    ));
    let n = new.join("policy.toml");
    let args = ["diff", o.to_str().unwrap(), n.to_str().unwrap()];
    assert_eq!(scopegate(&args).status.code(), Some(0));
    let out = scopegate(&[&args[..], &["--fail-on", "widen", "--json"]].concat());
    assert_eq!(out.status.code(), Some(1));
    let v = json_of(&out);
    assert_eq!(
        (v["widened"].clone(), v["narrowed"].clone()),
        (json!(true), json!(true))
    );
    let mine = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["method"] == "GET" && c["path"] == "/pets/mine")
        .unwrap();
    assert_eq!(
        mine,
        &json!({"method": "GET", "path": "/pets/mine", "old_route": "GET /pets/{id}", "new_route": "GET /pets/mine",
                "kind": "narrowed", "gained": [], "lost": [{"issuer": "auth0", "all_of": ["authenticated"], "none_of": []}]})
    );
    assert!(
        v["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "widened" && c["old_route"].is_null())
    );
    assert_eq!(
        v["settings"],
        json!([{"setting": "settings", "field": "unmatched", "old": "deny", "new": "allow-authenticated", "class": "widen"}])
    );
    assert_eq!(v["issuers"], json!([]));
    let text = stdout(&scopegate(&args));
    assert!(
        text.contains(
            "narrowed GET /pets/mine: GET /pets/{id} -> GET /pets/mine; gained: -; lost: auth0: authenticated"
        ),
        "{text}"
    );
}

#[test]
fn diff_reports_issuer_changes() {
    let old = policy_dir("");
    let new = policy_dir("");
    let text = std::fs::read_to_string(new.join("policy.toml")).unwrap();
    let text = text.replacen(
        &format!("audiences = [\"{A0_AUD}\"]"),
        &format!("audiences = [\"{A0_AUD}\", \"other\"]"),
        1,
    );
    std::fs::write(new.join("policy.toml"), text).unwrap();
    let (o, n) = (old.join("policy.toml"), new.join("policy.toml"));
    let out = scopegate(&[
        "diff",
        o.to_str().unwrap(),
        n.to_str().unwrap(),
        "--json",
        "--fail-on",
        "widen",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let v = json_of(&out);
    assert_eq!(v["issuers"][0]["issuer"], "auth0");
    assert_eq!(v["issuers"][0]["field"], "audiences");
    assert_eq!(v["issuers"][0]["class"], "widen");
    assert_eq!(v["changes"], json!([]));
    let out = scopegate(&["diff", o.to_str().unwrap(), "/nonexistent.toml"]);
    assert_eq!(out.status.code(), Some(2));
}

/// The HTML matrix is one self-contained page that a browser renders into the expected table.
#[test]
fn html_matrix_renders_in_headless_chromium() {
    let out = scopegate(&["matrix", &pets(), "--format", "html"]);
    assert_eq!(out.status.code(), Some(0));
    let html = stdout(&out);
    for external in ["src=", "href=", "<script", "@import", "url("] {
        assert!(!html.contains(external), "external asset or script: {external}");
    }
    let Some(browser) = ["chromium", "chromium-browser"].into_iter().find(|b| {
        Command::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    }) else {
        assert!(
            std::env::var_os("SCOPEGATE_REQUIRE_CHROMIUM").is_none(),
            "chromium is required but missing"
        );
        eprintln!("skipped: chromium is not installed (.ci/run installs it)");
        return;
    };
    let dir = workdir();
    let page = dir.join("matrix.html");
    std::fs::write(&page, &html).unwrap();
    let url = format!("file://{}", page.display());
    let profile = dir.join("profile");
    let common = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ];
    let run = |extra: &[&str]| {
        Command::new(browser)
            .args(common)
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(extra)
            .arg(&url)
            .output()
            .unwrap()
    };
    let dom = run(&["--dump-dom"]);
    assert!(dom.status.success(), "{}", String::from_utf8_lossy(&dom.stderr));
    let dom = String::from_utf8_lossy(&dom.stdout);
    // The rendered DOM: the table, its three routes in order, and the cells.
    assert!(dom.contains("<table id=\"matrix\">"), "{dom}");
    let rows: Vec<&str> = dom.split("<tr>").skip(2).collect();
    assert_eq!(rows.len(), 3, "{dom}");
    assert!(rows[0].contains("GET /pets") && rows[0].contains("anyone, with or without a token"));
    assert!(rows[1].contains("POST /pets") && rows[1].contains("<td class=\"alone\">alone</td>"));
    assert!(rows[2].contains("auth0: scope:pets:buy and not role:admin"));
    assert!(rows[2].contains("<td class=\"excluded\">excluded</td>"));
    let shot = dir.join("matrix.png");
    let out = run(&[&format!("--screenshot={}", shot.display()), "--window-size=1000,600"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 2_000, "{} bytes", png.len());
}
