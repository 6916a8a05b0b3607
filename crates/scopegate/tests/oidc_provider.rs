//! Against a real, OpenID-certified provider (panva/oidc-provider from npm) on 127.0.0.1:
//! client-credentials JWT access tokens verified through discovery, scopes enforced, and a key
//! rotation that retires the old key.
//!
//! Needs Node.js. The provider's packages are pinned in `tests/oidc/package-lock.json`; `.ci/run`
//! installs them with `npm ci`, and this test does the same when they are missing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use scopegate::{AuthRequest, Engine, Format, LoadedPolicy, ReasonCode};
use scopegate_testkit::fixtures::{Rule, plain_issuer, routes};
use serde_json::Value;

const RESOURCE: &str = "https://api.example.com";

struct Provider {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Provider {
    fn start() -> Provider {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc");
        match Command::new("node").arg("--version").output() {
            Ok(o) if o.status.success() => {}
            _ => panic!(
                "NODE.JS IS MISSING: this test runs a real OpenID Provider (oidc-provider from npm) and needs \
                 `node` (20 or later) and `npm` on PATH. Install Node.js; the test does not skip."
            ),
        }
        if !dir.join("node_modules/oidc-provider/package.json").exists() {
            let status = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir)
                .status()
                .expect("npm is required to install the test provider");
            assert!(status.success(), "`npm ci` in {} failed", dir.display());
        }
        let mut child = Command::new("node")
            .arg("provider.mjs")
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("node provider.mjs");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut p = Provider {
            child,
            stdin,
            lines,
            issuer: String::new(),
        };
        p.issuer = p.message()["issuer"].as_str().unwrap().to_string();
        p
    }

    /// The next `@scopegate {json}` line; other output is echoed.
    fn message(&self) -> Value {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(60))
                .expect("the provider did not answer within 60 s");
            match line.strip_prefix("@scopegate ") {
                Some(json) => return serde_json::from_str(json).unwrap(),
                None => eprintln!("provider: {line}"),
            }
        }
    }

    fn rotate(&mut self) -> String {
        writeln!(self.stdin, "rotate").unwrap();
        self.message()["rotated"].as_str().unwrap().to_string()
    }

    async fn token(&self, scope: &str) -> String {
        let http = reqwest::Client::new();
        let discovery: Value = serde_json::from_slice(
            &http
                .get(format!("{}/.well-known/openid-configuration", self.issuer))
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap(),
        )
        .unwrap();
        let endpoint = discovery["token_endpoint"].as_str().unwrap();
        let form = format!(
            "grant_type=client_credentials&client_id=svc&client_secret=svc-secret-0123456789&scope={scope}&resource={}",
            RESOURCE.replace(':', "%3A").replace('/', "%2F")
        );
        let response = http
            .post(endpoint)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        assert!(status.is_success(), "token endpoint: {status} {body}");
        body["access_token"].as_str().unwrap().to_string()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_provider_tokens_verify_through_discovery_and_rotation_retires_the_old_key() {
    let mut idp = Provider::start();
    let policy = format!(
        "version = 1\n[settings.jwks]\nunknown_kid_cooldown_seconds = 0.1\n{}{}",
        plain_issuer("oidc", &idp.issuer, RESOURCE, &["token_types = [\"at+jwt\"]"]),
        routes(&[
            ("GET /reports", Rule::Scopes(&["read"])),
            ("POST /reports", Rule::Scopes(&["write"])),
        ])
    );
    let engine = Engine::compile(&LoadedPolicy::parse(&policy, Format::Toml, "oidc.toml").unwrap())
        .unwrap()
        .engine;
    let started = std::time::Instant::now();
    let warmed = engine.warm_up().await;
    eprintln!(
        "warm-up (discovery + JWKS) against oidc-provider: {:?}",
        started.elapsed()
    );
    assert_eq!(warmed.len(), 1);
    assert_eq!(warmed[0].outcome, Ok(1), "{warmed:?}");
    let reader = idp.token("read").await;
    let d = engine
        .authorize(&AuthRequest::new("GET", "/reports").token(&reader))
        .await;
    assert!(d.is_allowed(), "{}", d.reason());
    let identity = d.identity().unwrap();
    assert_eq!(identity.client(), Some("svc"));
    assert_eq!(identity.scopes(), ["read"]);
    let d = engine
        .authorize(&AuthRequest::new("POST", "/reports").token(&reader))
        .await;
    assert_eq!(
        (d.status(), d.reason_code()),
        (403, Some(ReasonCode::InsufficientScope))
    );
    assert_eq!(engine.key_stats()[0].1.fetches, 1);

    // The provider rotates: its JWKS now holds only the new key.
    let new_kid = idp.rotate();
    let writer = idp.token("read write").await;
    assert!(writer.len() > 100);
    let d = engine
        .authorize(&AuthRequest::new("POST", "/reports").token(&writer))
        .await;
    assert!(d.is_allowed(), "{}", d.reason());
    assert_eq!(
        engine.key_stats()[0].1.fetches,
        2,
        "the new kid {new_kid} caused one fetch"
    );
    // The old token was verified (and cached) under the retired key: now refused.
    let d = engine
        .authorize(&AuthRequest::new("GET", "/reports").token(&reader))
        .await;
    assert_eq!(
        (d.status(), d.reason_code()),
        (401, Some(ReasonCode::UnknownKey)),
        "{}",
        d.reason()
    );
}
