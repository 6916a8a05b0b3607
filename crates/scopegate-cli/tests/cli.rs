//! The command-line contract: JSON keys, exit codes, diagnostics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::workdir;

use std::path::PathBuf;
use std::process::{Command, Output};

use scopegate_testkit::fixtures::{
    A0_AUD, A0_ISS, A0_ROLES, IDP_ISS, Rule, a0b, auth0_issuer, fusion_issuer, jwks_uri_policy_text, keys, routes,
};
use scopegate_testkit::server::{Idp, Jwks};
use scopegate_testkit::{TestKey, TokenBuilder, jwks, now};
use serde_json::{Value, json};

struct Setup {
    dir: PathBuf,
    key: TestKey,
}

impl Setup {
    fn new() -> Setup {
        let dir = workdir();
        let key = keys().auth0.clone();
        std::fs::write(dir.join("keys/auth0.jwks.json"), jwks(&[&key]).to_string()).unwrap();
        let policy = format!(
            "version = 1\n{}{}{}",
            auth0_issuer(&["jwks_file = \"keys/auth0.jwks.json\""]),
            fusion_issuer("app", &["hmac_secret_env = \"SCOPEGATE_TEST_FUSION_SECRET\""]),
            routes(&[
                ("GET /user", Rule::Scopes(&["get_pharmacy_user"])),
                ("POST /pets", Rule::Require("role:admin")),
                ("GET /pets/{id}", Rule::Authenticated),
            ])
        );
        std::fs::write(dir.join("policy.toml"), policy).unwrap();
        Setup { dir, key }
    }

    fn policy(&self) -> String {
        self.dir.join("policy.toml").display().to_string()
    }

    fn token(&self, scope: &str, roles: &[&str], exp: u64) -> String {
        a0b(json!({"iss":A0_ISS,"aud":A0_AUD,"sub":"auth0|u1","exp":exp,"scope":scope,A0_ROLES:roles})).sign(&self.key)
    }
}

fn scopegate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args(args)
        .env("SCOPEGATE_TEST_FUSION_SECRET", "an-hmac-secret-of-at-least-32-bytes!!")
        .output()
        .unwrap()
}

/// `scopegate decide POLICY --method M --path P EXTRA..`.
fn decide(policy: &str, method: &str, path: &str, extra: &[&str]) -> Output {
    let mut args = vec!["decide", policy, "--method", method, "--path", path];
    args.extend(extra);
    scopegate(&args)
}

/// `scopegate decide POLICY --method M --path P --json EXTRA..`.
fn decide_json(policy: &str, method: &str, path: &str, extra: &[&str]) -> (Option<i32>, Value) {
    let out = decide(policy, method, path, &[&["--json"], extra].concat());
    (out.status.code(), json_of(&out))
}

/// `scopegate explain POLICY --method M --path P --token T`.
fn explain(policy: &str, method: &str, path: &str, token: &str) -> Output {
    scopegate(&["explain", policy, "--method", method, "--path", path, "--token", token])
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn decide_json_allow() {
    let s = Setup::new();
    let t = s.token("openid get_pharmacy_user", &["user"], now() + 600);
    let (code, v) = decide_json(&s.policy(), "GET", "/user", &["--token", &t]);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["decision"], "allow");
    assert_eq!(v["status"], 200);
    assert_eq!(v["reason_code"], Value::Null);
    assert_eq!(v["route"], "GET /user");
    assert_eq!(v["issuer"], "auth0");
    assert_eq!(v["subject"], "auth0|u1");
    assert_eq!(v["scopes"], json!(["openid", "get_pharmacy_user"]));
    assert_eq!(v["roles"], json!(["user"]));
    assert!(
        v["reason"]
            .as_str()
            .unwrap()
            .contains("requires `scope:get_pharmacy_user`")
    );
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 9, "{keys:?}");
}

#[test]
fn decide_json_denials_and_exit_codes() {
    let s = Setup::new();
    let t = s.token("openid", &["user"], now() + 600);
    let (code, v) = decide_json(&s.policy(), "POST", "/pets", &["--token", &t]);
    assert_eq!(code, Some(1));
    assert_eq!(
        (v["decision"].as_str(), v["status"].as_u64(), v["reason_code"].as_str()),
        (Some("deny"), Some(403), Some("insufficient_role"))
    );
    assert_eq!(v["issuer"], "auth0");

    let (code, v) = decide_json(&s.policy(), "POST", "/pets", &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        (v["status"].as_u64(), v["reason_code"].as_str(), v["issuer"].clone()),
        (Some(401), Some("missing_token"), Value::Null)
    );
    assert_eq!(v["scopes"], json!([]));
}

#[test]
fn token_file_with_bearer_prefix_and_now() {
    let s = Setup::new();
    let exp = now() + 600;
    let file = s.dir.join("token.txt");
    std::fs::write(&file, format!("Bearer {}\n", s.token("", &["admin"], exp))).unwrap();
    let f = file.display().to_string();
    let (_, v) = decide_json(&s.policy(), "POST", "/pets", &["--token-file", &f]);
    assert_eq!(v["decision"], "allow", "{v}");
    let later = (exp + 31).to_string();
    let (_, v) = decide_json(&s.policy(), "POST", "/pets", &["--token-file", &f, "--now", &later]);
    assert_eq!(v["reason_code"], "token_expired");
    let out = decide(&s.policy(), "POST", "/pets", &["--token-file", &f]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("allow 200: route `POST /pets`"));
}

#[test]
fn hmac_secret_from_the_environment() {
    let s = Setup::new();
    let key = TestKey::hmac(b"an-hmac-secret-of-at-least-32-bytes!!", "HS256");
    let t = TokenBuilder::new(json!({"iss":"acme.com","aud":"app","exp":now()+60,"roles":["admin"]}))
        .header("typ", json!("JWT"))
        .sign(&key);
    let out = decide(&s.policy(), "POST", "/pets", &["--token", &t, "--json"]);
    assert_eq!(json_of(&out)["issuer"], "fusion", "{}", stderr(&out));
}

#[test]
fn usage_and_policy_errors_exit_2() {
    let s = Setup::new();
    assert_eq!(
        scopegate(&["decide", &s.policy(), "--path", "/x"]).status.code(),
        Some(2)
    );
    assert_eq!(
        scopegate(&["decide", "/nonexistent.toml", "--method", "GET", "--path", "/"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        scopegate(&[
            "decide",
            &s.policy(),
            "--method",
            "GET",
            "--path",
            "/",
            "--token",
            "a",
            "--token-file",
            "b"
        ])
        .status
        .code(),
        Some(2)
    );
}

#[test]
fn explain_shows_route_requirement_token_and_failure() {
    let s = Setup::new();
    let t = s.token("openid", &["user"], now() + 600);
    let out = explain(&s.policy(), "GET", "/pets/42", &t);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "route:     GET /pets/{id}",
        "requires:  authenticated",
        "param:     id = 42",
        "subject:   auth0|u1",
        "decision:  allow (200)",
    ] {
        assert!(text.contains(needle), "{needle} in\n{text}");
    }
    let mut bad = s.token("openid", &["user"], now() + 600);
    bad.push('x');
    let out = explain(&s.policy(), "GET", "/pets/42", &bad);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(text.contains("decision:  deny (401 bad_signature)"), "{text}");
    assert!(
        text.contains("claim:     iss = \"https://pets.us.auth0.com/\""),
        "{text}"
    );
    assert!(!text.contains(&bad), "token echoed");
}

#[test]
fn routes_lists_precedence_order() {
    let s = Setup::new();
    let out = scopegate(&["routes", &s.policy()]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let order: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().nth(2).unwrap())
        .collect();
    assert_eq!(order, ["/pets", "/pets/{id}", "/user"]);
    assert!(text.contains("role:admin"));
}

fn check_text(policy: &str) -> (Option<i32>, String) {
    let dir = workdir();
    let path = dir.join("p.toml");
    std::fs::write(&path, policy).unwrap();
    let out = scopegate(&["check", &path.display().to_string()]);
    (out.status.code(), stderr(&out))
}

const ISSUER: &str = r#"version = 1
[[issuers]]
id = "auth0"
profile = "auth0"
domain = "pets.us.auth0.com"
audiences = ["https://pets.example.com"]
jwks = '{"keys":[]}'
known_scopes = ["pets:read", "pets:buy", "pets:sell"]
"#;

#[test]
fn check_valid_policy() {
    let s = Setup::new();
    let out = scopegate(&["check", &s.policy()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok (2 issuers, 3 routes"));
}

/// `check` of `policy`: the exit code is `code` and the diagnostics name every `needle`.
/// Returns the diagnostics.
fn check_expect(policy: &str, code: i32, needles: &[&str]) -> String {
    let (got, err) = check_text(policy);
    assert_eq!(got, Some(code), "{err}");
    for needle in needles {
        assert!(err.contains(needle), "{needle}: {err}");
    }
    err
}

#[test]
fn check_reports_syntax_errors_with_line_and_column() {
    let routes = "[[routes]]\nroute = \"GET /a\"\nrequire = \"scope:a and (role:b\"\n";
    check_expect(&format!("{ISSUER}\n{routes}"), 1, &["p.toml:12:", "missing `)`"]);
    check_expect(
        "version = 1\n[[routes]]\nroute = \"GET /a\"\nscope = [\"x\"]\n",
        1,
        &["p.toml:4:1: error: unknown field `scope`"],
    );
}

#[test]
fn check_reports_overlaps_and_unknown_issuers() {
    check_expect(
        &format!(
            "{ISSUER}\n[[routes]]\nroute = \"GET /pets/{{id}}\"\nscopes = [\"pets:read\"]\n[[routes]]\nroute = \"GET /pets/{{name}}\"\nrequire = \"issuer:okta\"\n[[routes]]\nroute = \"GET /x\"\nissuers = [\"cognito\"]\n"
        ),
        1,
        &["overlaps routes[0] `GET /pets/{id}`", "unknown issuer id `cognito`"],
    );
}

#[test]
fn check_warns_on_unreachable_routes_and_unused_or_unknown_names() {
    let err = check_expect(
        &format!(
            "{ISSUER}\n[[routes]]\nroute = \"GET /never\"\nrequire = \"scope:pets:read and not scope:pets:read\"\n[[routes]]\nroute = \"POST /pets\"\nscopes = [\"pets:bye\"]\n[[routes]]\nroute = \"GET /pets\"\nscopes = [\"pets:read\"]\n"
        ),
        0,
        &[
            "route `GET /never`: can never be allowed",
            "scope `pets:sell`: declared in `known_scopes` but used by no route",
            "scope `pets:bye`: required by a route but granted by no issuer",
        ],
    );
    assert!(!err.contains("scope `pets:read`:"), "{err}");
}

#[test]
fn check_reports_broken_issuers() {
    check_expect(
        "version = 1\n[[issuers]]\nid = \"a\"\nprofile = \"auth0\"\naudiences = []\njwks_file = \"missing.json\"\nalgorithms = [\"HS256\", \"ES512\"]\n[[routes]]\nroute = \"GET /a\"\nrequire = \"authenticated\"\n",
        1,
        &["need `domain` or `issuer`"],
    );
    check_expect(
        "version = 1\n[[issuers]]\nid = \"a\"\nissuer = \"https://a\"\naudiences = []\njwks_file = \"missing.json\"\nalgorithms = [\"HS256\", \"ES512\"]\n",
        1,
        &[
            "`audiences` is required",
            "cannot read",
            "HS256 needs `hmac_secret_env`",
            "unknown algorithm `ES512`",
        ],
    );
}

#[test]
fn decide_and_explain_fetch_keys_of_network_issuers_once() {
    let key = TestKey::es256("net-1");
    let idp = Idp::start_background(Jwks::keys(&[&key])).unwrap();
    let jwks_uri = idp.jwks_uri();
    let dir = workdir();
    let policy = dir.join("net.toml");
    std::fs::write(
        &policy,
        jwks_uri_policy_text("", "net", &jwks_uri, &[("GET /a", Rule::Scopes(&["read"]))]),
    )
    .unwrap();
    let token =
        TokenBuilder::new(json!({"iss": IDP_ISS, "aud": "api", "sub": "svc", "scope": "read", "exp": now() + 600}))
            .sign(&key);
    let p = policy.to_str().unwrap();
    let (code, v) = decide_json(p, "GET", "/a", &["--token", &token]);
    assert_eq!((code, v["decision"].as_str()), (Some(0), Some("allow")), "{v}");
    assert_eq!(idp.hits(), 1);
    let out = explain(p, "GET", "/a", &token);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("keys:      jwks_uri {jwks_uri} (1 fetch(es), 0 failed)")),
        "{text}"
    );
    // A key the issuer does not publish: one more fetch (a new process), then 401 unknown_key.
    let other = TokenBuilder::new(json!({"iss": IDP_ISS, "aud": "api", "scope": "read", "exp": now() + 600}))
        .sign(&TestKey::es256("net-2"));
    let (code, v) = decide_json(p, "GET", "/a", &["--token", &other]);
    assert_eq!((code, v["reason_code"].as_str()), (Some(1), Some("unknown_key")), "{v}");
    assert_eq!(idp.hits(), 3);
}

/// `scopegate authorize-event POLICY EXTRA.. < event`.
fn authorize_event(policy: &str, event: &Value, extra: &[&str]) -> Output {
    use std::io::Write;
    let mut args = vec!["authorize-event", policy];
    args.extend(extra);
    let mut child = Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args(&args)
        .env("SCOPEGATE_TEST_FUSION_SECRET", "an-hmac-secret-of-at-least-32-bytes!!")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(event.to_string().as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn token_event(token: &str, method_path: &str) -> Value {
    json!({
        "type": "TOKEN",
        "authorizationToken": format!("Bearer {token}"),
        "methodArn": format!("arn:aws:execute-api:us-east-1:123456789012:api/prod/{method_path}")
    })
}

#[test]
fn authorize_event_prints_the_handler_response() {
    let s = Setup::new();
    let t = s.token("get_pharmacy_user", &["user"], now() + 600);
    let event = token_event(&t, "GET/user");
    let out = authorize_event(&s.policy(), &event, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let printed = json_of(&out);
    // Exactly what the Lambda handler answers for the same event.
    let loaded = scopegate::LoadedPolicy::from_path(s.policy())
        .unwrap()
        .with_secret("SCOPEGATE_TEST_FUSION_SECRET", "an-hmac-secret-of-at-least-32-bytes!!");
    let authorizer = scopegate_lambda::Authorizer::from_policy(&loaded).unwrap();
    let direct = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(authorizer.handle(event))
        .unwrap();
    assert_eq!(printed, direct);
    assert_eq!(printed["principalId"], "auth0|u1");
    let allow = &printed["policyDocument"]["Statement"][0];
    assert_eq!(allow["Effect"], "Allow");
    // Cache-safe: every route this token may call, not only GET /user.
    let resources: Vec<&str> = allow["Resource"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(resources.contains(&"arn:aws:execute-api:us-east-1:123456789012:api/prod/GET/user"));
    assert!(resources.contains(&"arn:aws:execute-api:us-east-1:123456789012:api/prod/GET/pets/?*"));
    assert!(!resources.iter().any(|r| r.contains("POST")), "{resources:?}");
}

#[test]
fn authorize_event_403_401_and_bad_events() {
    let s = Setup::new();
    let exp = now() + 600;
    let t = s.token("openid", &["user"], exp);
    let out = authorize_event(&s.policy(), &token_event(&t, "POST/pets"), &[]);
    assert_eq!(out.status.code(), Some(0));
    let v = json_of(&out);
    let statements = v["policyDocument"]["Statement"].as_array().unwrap();
    assert!(
        !statements
            .iter()
            .any(|s| s["Effect"] == "Allow" && s["Resource"].to_string().contains("POST/pets")),
        "{v}"
    );

    // Expired at --now: the Unauthorized error on stdout, exit 1.
    let later = (exp + 31).to_string();
    let out = authorize_event(&s.policy(), &token_event(&t, "GET/pets/1"), &["--now", &later]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        json_of(&out),
        json!({"errorType": "Unauthorized", "errorMessage": "Unauthorized"})
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&t));

    let out = authorize_event(&s.policy(), &json!({"nothing": true}), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("invalid authorizer event"), "{}", stderr(&out));
}
