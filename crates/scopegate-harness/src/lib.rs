//! Fuzz harness functions for scopegate.
//!
//! Each function takes arbitrary bytes, drives one part of scopegate with them and asserts the
//! invariants that must hold for every input; a panic is a finding. The cargo-fuzz targets in
//! `fuzz/` are one-line calls into these functions, and `tests/corpus.rs` replays every file of
//! `fuzz/corpus/<target>/` through the same functions, so a committed crash input is a
//! regression test of `cargo test`.
//!
//! Fixed inputs (engine, keys, clock) are built once per process. The keys are the dev keys in
//! `examples/keys/`, so committed seed tokens verify on every machine; the clock is fixed at
//! [`NOW`] so that they never expire.
// Harness code: asserting invariants by panicking is its purpose.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing)]

use std::sync::OnceLock;

use scopegate::Expr;
use scopegate::KeySet;
use scopegate::unverified::{Credentials, Scheme, peek};
use scopegate::{AuthRequest, Engine, Format, LoadedPolicy, RouteKey, RouteTable};
use scopegate::{METHODS, Segment};

/// The fixed clock of every decision, in seconds since the epoch (2027-01-15).
pub const NOW: u64 = 1_800_000_000;
/// Token size cap of the fixed engine (the policy default).
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// Issuer of RS256 tokens (key `examples/keys/auth0.key.pem`).
pub const RS_ISS: &str = "https://rs.fuzz.example/";
/// Issuer of ES256 tokens (key `examples/keys/fusionauth.key.pem`).
pub const ES_ISS: &str = "https://es.fuzz.example/";
/// Issuer of HS256 tokens (secret [`HS_SECRET`]).
pub const HS_ISS: &str = "https://hs.fuzz.example/";
/// The audience the fixed issuers accept.
pub const AUDIENCE: &str = "fuzz-api";
/// The HMAC secret of [`HS_ISS`].
pub const HS_SECRET: &str = "fuzz-hmac-secret-0123456789abcdef-0123456789";
/// JWKS of [`RS_ISS`].
pub const RS_JWKS: &str = include_str!("../../../examples/keys/auth0.jwks.json");
/// JWKS of [`ES_ISS`].
pub const ES_JWKS: &str = include_str!("../../../examples/keys/fusionauth.jwks.json");

/// A harness function: arbitrary bytes in, a panic on a finding.
pub type Harness = fn(&[u8]);

/// Every harness by fuzz target name (also the corpus directory name).
pub const TARGETS: &[(&str, Harness)] = &[
    ("token", token),
    ("jwks", jwks),
    ("policy", policy),
    ("expr", expr),
    ("routes", routes),
    ("lambda_event", lambda_event),
];

/// The policy of the fixed engine.
pub fn fixed_policy_text() -> String {
    format!(
        r#"version = 1
[settings.identity_cache]
capacity = 0

[[issuers]]
id = "rs"
issuer = "{RS_ISS}"
audiences = ["{AUDIENCE}"]
jwks = '''{RS_JWKS}'''

[[issuers]]
id = "es"
issuer = "{ES_ISS}"
audiences = ["{AUDIENCE}"]
jwks = '''{ES_JWKS}'''

[[issuers]]
id = "hs"
issuer = "{HS_ISS}"
audiences = ["{AUDIENCE}"]
algorithms = ["HS256"]
hmac_secret_env = "FUZZ_HS_SECRET"

[[routes]]
route = "GET /read"
require = "scope:read or role:admin"

[[routes]]
route = "POST /items/{{id}}"
require = "scope:write and not role:banned"

[[routes]]
route = "GET /me"
require = "authenticated"

[[routes]]
route = "ANY /public/{{rest+}}"
allow = "anonymous"
"#
    )
}

/// The fixed engine: three issuers, identity cache off (every call verifies).
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let policy = LoadedPolicy::parse(&fixed_policy_text(), Format::Toml, "fuzz.toml")
            .expect("fixed policy parses")
            .with_secret("FUZZ_HS_SECRET", HS_SECRET);
        let compiled = Engine::compile(&policy).expect("fixed policy compiles");
        assert!(compiled.warnings.is_empty(), "{:?}", compiled.warnings);
        compiled.engine
    })
}

fn iss_of(issuer_id: &str) -> &'static str {
    match issuer_id {
        "rs" => RS_ISS,
        "es" => ES_ISS,
        "hs" => HS_ISS,
        other => panic!("identity from an issuer the policy does not have: {other}"),
    }
}

/// Token peek, verification and decisions against the fixed engine.
///
/// Invariants: peek's parts are the token's; a token that verifies comes from one of the fixed
/// issuers and its `iss` is that issuer's; a decision is a 401 exactly when verification
/// failed (on protected routes), and an allow on a scope route is backed by the scope or role.
pub fn token(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let token = text.as_ref();
    if let Ok(p) = peek(token, MAX_TOKEN_BYTES) {
        assert!(token.starts_with(p.signing_input) && token.ends_with(p.signature));
        assert_eq!(p.signing_input.len() + 1 + p.signature.len(), token.len());
    }
    let engine = engine();
    let verified = engine.authenticate(token, Some(NOW));
    match &verified {
        Ok(identity) => {
            let expected = iss_of(identity.issuer_id());
            let claims = peek(token, MAX_TOKEN_BYTES).expect("a verified token peeks").claims;
            assert_eq!(claims.get("iss").and_then(|v| v.as_str()), Some(expected));
            assert!(identity.expires_at() > NOW as f64 - 30.0, "expired token verified");
        }
        Err(rejection) => assert_eq!(rejection.code.status(), 401, "{rejection}"),
    }
    for (method, path) in [
        ("GET", "/read"),
        ("POST", "/items/7"),
        ("GET", "/me"),
        ("GET", "/public/a/b"),
    ] {
        let d = engine.decide(&AuthRequest::new(method, path).token(token).at(NOW));
        let anonymous = path.starts_with("/public/");
        if anonymous {
            assert!(d.is_allowed(), "anonymous route denied: {d:?}");
            assert_eq!(d.identity().is_some(), verified.is_ok());
            continue;
        }
        assert_eq!(d.status() == 401, verified.is_err(), "{method} {path}: {d:?}");
        if d.is_allowed() {
            let id = d.identity().expect("allowed protected request has an identity");
            let has = |list: &[String], name: &str| list.iter().any(|s| s == name);
            match path {
                "/read" => assert!(has(id.scopes(), "read") || has(id.roles(), "admin")),
                "/items/7" => assert!(has(id.scopes(), "write") && !has(id.roles(), "banned")),
                _ => {}
            }
        }
    }
}

/// JWKS parsing. Invariants: every key is either loaded or reported as skipped, and every
/// loaded key with a `kid` and an `alg` is found again by them.
pub fn jwks(data: &[u8]) {
    let Ok(set) = KeySet::from_jwks_json(data) else {
        return;
    };
    let listed = serde_json::from_slice::<serde_json::Value>(data)
        .ok()
        .and_then(|v| v.get("keys").and_then(|k| k.as_array()).map(Vec::len))
        .expect("a parsed JWKS has a keys array");
    assert_eq!(set.keys().count(), set.len());
    assert_eq!(
        set.len() + set.skipped().len(),
        listed,
        "a key was neither loaded nor skipped"
    );
    for key in set.keys() {
        if let (Some(kid), Some(alg)) = (key.kid(), key.alg())
            && !kid.is_empty()
        {
            assert!(
                set.find(Some(kid), alg).is_ok(),
                "key {kid:?} ({alg:?}) not found again"
            );
        }
    }
}

/// Policy load (TOML and JSON) and compilation. Invariants: a parsed model prints to JSON and
/// parses back equal; a compiled engine finds a route for every route's literal witness.
pub fn policy(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for format in [Format::Toml, Format::Json] {
        let Ok(loaded) = LoadedPolicy::parse(&text, format, "fuzz") else {
            continue;
        };
        let loaded = loaded.with_secret("FUZZ_HS_SECRET", HS_SECRET);
        // Inline JWKS documents hold arbitrary JSON numbers, which need not print back exactly.
        if loaded.source.issuers.iter().all(|i| i.jwks.is_none()) {
            let json = loaded.source.to_json().expect("a parsed model prints as JSON");
            let again = LoadedPolicy::parse(&json, Format::Json, "again").expect("printed JSON parses");
            assert_eq!(again.source, loaded.source, "JSON round trip changed the model");
        }
        let Ok(compiled) = Engine::compile(&loaded) else {
            continue;
        };
        let engine = compiled.engine;
        let table = engine.route_table();
        for id in table.in_precedence_order() {
            let key = table.key(id).expect("listed routes have keys");
            if let Some((method, path)) = witness(key) {
                assert!(
                    table.find(method, &path).is_some(),
                    "{key} does not match its witness {path}"
                );
                let _ = engine.decide(&AuthRequest::new(method, &path).at(NOW));
            }
        }
        let _ = engine.decide(&AuthRequest::new("GET", "/").token("a.b.c").at(NOW));
    }
}

/// Requirement expressions. Invariant: whatever parses prints to text that parses back equal,
/// and printing is stable.
pub fn expr(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(e) = Expr::parse(&text) {
        let printed = e.to_string();
        let again = Expr::parse(&printed).unwrap_or_else(|err| panic!("{printed:?} does not parse: {err}"));
        assert_eq!(again, e, "{printed:?}");
        assert_eq!(again.to_string(), printed);
    }
}

/// Route keys and matching. Input: lines; route keys until a line `--`, request lines
/// (`METHOD /path`) after it. Invariants: a parsed key prints back to itself, every inserted
/// route's literal witness finds a route, a trailing slash changes nothing, and matched
/// parameters come from the path.
pub fn routes(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (keys, requests) = text.split_once("\n--\n").unwrap_or((&text, ""));
    let mut table = RouteTable::new();
    let mut inserted = Vec::new();
    for line in keys.lines().take(256) {
        let Ok(key) = RouteKey::parse(line) else { continue };
        assert_eq!(RouteKey::parse(&key.to_string()).as_ref(), Ok(&key), "{line:?}");
        if table.insert(key.clone()).is_ok() {
            inserted.push(key);
        }
    }
    for key in &inserted {
        if let Some((method, path)) = witness(key) {
            let found = table.find(method, &path);
            assert!(found.is_some(), "{key} does not match its witness {path}");
            if path != "/" {
                assert_eq!(
                    table.find(method, &format!("{path}/")),
                    found,
                    "trailing slash on {path}"
                );
            }
        }
    }
    for line in requests.lines().take(256) {
        let (method, path) = line.split_once(' ').unwrap_or((line, ""));
        let found = table.find(method, path);
        if path.len() > 1 && path.starts_with('/') && !path.ends_with('/') {
            assert_eq!(
                table.find(method, &format!("{path}/")),
                found,
                "trailing slash on {path:?}"
            );
        }
        if let Some(id) = found {
            let key = table.key(id).expect("found routes have keys");
            for (_, value) in key.params(path) {
                assert!(path.contains(value), "parameter {value:?} not from {path:?}");
            }
        }
    }
}

/// A request the route key matches, built from its literals (`x` for a parameter, `x/y` for a
/// greedy tail). `None` for `$default`, which has no path of its own.
pub fn witness(key: &RouteKey) -> Option<(&'static str, String)> {
    let RouteKey::Path { method, segments } = key else {
        return None;
    };
    let method = match method.as_deref() {
        None => "ANY-METHOD",
        Some(m) => METHODS.iter().copied().find(|x| *x == m)?,
    };
    if segments.is_empty() {
        return Some((method, "/".into()));
    }
    let mut path = String::new();
    for s in segments {
        path.push('/');
        match s {
            Segment::Literal(l) => path.push_str(l),
            Segment::Param(_) => path.push('x'),
            Segment::Greedy(_) => path.push_str("x/y"),
        }
    }
    Some((method, path))
}

/// The fixed Lambda authorizer: the fixed policy, clock at [`NOW`].
pub fn authorizer() -> &'static scopegate_lambda::Authorizer {
    static AUTHORIZER: OnceLock<scopegate_lambda::Authorizer> = OnceLock::new();
    AUTHORIZER.get_or_init(|| {
        let policy = LoadedPolicy::parse(&fixed_policy_text(), Format::Toml, "fuzz.toml")
            .expect("fixed policy parses")
            .with_secret("FUZZ_HS_SECRET", HS_SECRET);
        scopegate_lambda::Authorizer::from_policy(&policy)
            .expect("fixed authorizer")
            .at(NOW)
    })
}

/// Strings in an event that carry a token: `authorizationToken`, `Authorization` header values
/// and `identitySource` entries. (Other header values may legitimately reappear in the answer,
/// e.g. a header that happens to hold an ARN prefix.)
fn token_candidates(event: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |v: &serde_json::Value| {
        if let Some(s) = v.as_str()
            && let Some(t) = Credentials::parse(s, Scheme::Lenient).token()
            && t.len() >= 16
        {
            out.push(t.to_string());
        }
    };
    push(&event["authorizationToken"]);
    if let Some(h) = event["headers"].as_object() {
        h.iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case("authorization"))
            .for_each(|(_, v)| push(v));
    }
    if let Some(list) = event["identitySource"].as_array() {
        list.iter().for_each(&mut push);
    }
    out
}

/// API Gateway authorizer events (any JSON) through the Lambda handler with the fixed engine.
///
/// Invariants: the handler answers every JSON value with an object or a typed error; an answer
/// never contains a token it was given; an `Allow` for a protected route (anything outside
/// `/public/`) needs a token from the event that verifies.
pub fn lambda_event(data: &[u8]) {
    thread_local! {
        static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime");
    }
    let Ok(event) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let answer = RUNTIME.with(|rt| rt.block_on(authorizer().handle(event.clone())));
    let Ok(answer) = answer else {
        return;
    };
    assert!(answer.is_object(), "answer is not an object: {answer}");
    let text = answer.to_string();
    let tokens = token_candidates(&event);
    for t in &tokens {
        assert!(!text.contains(t.as_str()), "the answer repeats a token: {text}");
    }
    let allowed_protected = answer["policyDocument"]["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["Effect"] == "Allow")
        .flat_map(|s| s["Resource"].as_array().cloned().unwrap_or_default())
        .any(|r| r.as_str().is_some_and(|r| !r.contains("/public/")));
    if allowed_protected || answer["isAuthorized"] == true {
        let verified = tokens.iter().any(|t| engine().authenticate(t, Some(NOW)).is_ok());
        assert!(verified, "allowed without a verified token: {event} -> {text}");
    }
}
