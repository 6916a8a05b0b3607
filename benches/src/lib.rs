//! Shared fixture for the scopegate benchmarks: one policy shape at any size, three issuers
//! (RS256, ES256, HS256), realistic access tokens, and the raw key material the baselines need.
//!
//! Every benchmark asks the same question: may `GET /svc{mid}/items/42` pass with a token that
//! carries `svc{mid}:read`? `mid` is a service in the middle of the route table.
// Fixture code: a key that cannot be generated or a policy that does not compile is a broken
// benchmark, reported loudly.
#![allow(clippy::expect_used, clippy::panic)]

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use scopegate::{Engine, Format, LoadedPolicy};
use scopegate_testkit::fixtures::{self, Rule, jwks_inline, plain_issuer};
use scopegate_testkit::{TestKey, TokenBuilder, now};
use serde_json::{Value, json};

/// Issuer of the RS256 tokens.
pub const RS_ISS: &str = "https://rs.idp.example.com/";
/// Issuer of the ES256 tokens.
pub const ES_ISS: &str = "https://es.idp.example.com/";
/// Issuer of the HS256 tokens.
pub const HS_ISS: &str = "https://hs.idp.example.com/";
/// The audience every token carries and every issuer accepts.
pub const AUDIENCE: &str = "https://api.example.com";
/// HMAC secret of the HS256 issuer (given to the policy with `with_secret`).
pub const HS_SECRET: &str = "bench-secret-0123456789abcdef-0123456789abcdef";
/// Clock skew, the same for scopegate and every baseline.
pub const LEEWAY: u64 = 30;
/// Routes in the policy of the `decision`, `tower` and `peers` groups.
pub const POLICY_ROUTES: usize = 1_000;

/// Keys and tokens, generated once per process.
pub struct Fixture {
    /// RSA-2048 key, RS256.
    pub rs_key: TestKey,
    /// P-256 key, ES256.
    pub es_key: TestKey,
    /// HMAC key, HS256.
    pub hs_key: TestKey,
    /// An RS256 token from [`RS_ISS`] (962 bytes).
    pub rs_token: String,
    /// An ES256 token from [`ES_ISS`].
    pub es_token: String,
    /// An HS256 token from [`HS_ISS`].
    pub hs_token: String,
}

/// The process-wide fixture.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let rs_key = TestKey::rsa("bench-rsa-2048", "RS256");
        let es_key = TestKey::es256("bench-p256");
        let hs_key = TestKey::hmac(HS_SECRET.as_bytes(), "HS256");
        let rs_token = token(&rs_key, RS_ISS, POLICY_ROUTES);
        let es_token = token(&es_key, ES_ISS, POLICY_ROUTES);
        let hs_token = token(&hs_key, HS_ISS, POLICY_ROUTES);
        Fixture {
            rs_key,
            es_key,
            hs_key,
            rs_token,
            es_token,
            hs_token,
        }
    })
}

/// The service in the middle of a table of `routes` routes (four routes per service).
pub fn middle_service(routes: usize) -> usize {
    routes.div_ceil(4) / 2
}

/// The benchmarked request for a table of `routes` routes: method and path.
pub fn request(routes: usize) -> (&'static str, String) {
    ("GET", format!("/svc{}/items/42", middle_service(routes)))
}

/// Claims of a realistic access token, granting `svc{mid}:read`.
pub fn claims(iss: &str, routes: usize) -> Value {
    let t = now();
    let mid = middle_service(routes);
    json!({
        "iss": iss,
        "sub": "5f1c2a9e-7b7d-4c1e-9a55-3f2d4b0c8e11",
        "aud": AUDIENCE,
        "iat": t,
        "nbf": t,
        "exp": t + 3600,
        "jti": "0b6e6f0e-5d7a-4f8b-9f43-2b8f4c0a1d22",
        "client_id": "bench-web-app",
        "scope": format!("openid profile email svc{mid}:read svc{mid}:write offline_access"),
        "roles": ["user", "reader"],
        "email": "ada@example.com",
        "name": "Ada Lovelace",
        "tenant": "acme-production",
    })
}

/// A signed token from `iss` for a table of `routes` routes.
pub fn token(key: &TestKey, iss: &str, routes: usize) -> String {
    TokenBuilder::new(claims(iss, routes))
        .header("typ", json!("at+jwt"))
        .sign(key)
}

/// The route keys of the benchmark policy: four per service, mixing literals, a parameter,
/// two parameters and a greedy tail.
pub fn route_keys(routes: usize) -> Vec<String> {
    (0..routes)
        .map(|i| {
            let s = i / 4;
            match i % 4 {
                0 => format!("GET /svc{s}/items/{{id}}"),
                1 => format!("POST /svc{s}/items"),
                2 => format!("PUT /svc{s}/items/{{id}}/tags/{{tag}}"),
                _ => format!("ANY /svc{s}/files/{{path+}}"),
            }
        })
        .collect()
}

/// The policy text: three issuers and `routes` routes; `identity_cache = false` sets its
/// capacity to 0 (every request verifies its token).
pub fn policy_text(routes: usize, identity_cache: bool) -> String {
    let f = fixture();
    let capacity = if identity_cache { 10_000 } else { 0 };
    let mut text = format!(
        "version = 1\n[settings]\nleeway_seconds = {LEEWAY}\n[settings.identity_cache]\ncapacity = {capacity}\n"
    );
    let rs_jwks = jwks_inline(&[&f.rs_key]);
    let es_jwks = jwks_inline(&[&f.es_key]);
    let issuers = [
        ("rs", RS_ISS, "RS256", rs_jwks.as_str()),
        ("es", ES_ISS, "ES256", es_jwks.as_str()),
        ("hs", HS_ISS, "HS256", "hmac_secret_env = \"BENCH_HS_SECRET\""),
    ];
    for (id, iss, alg, key_line) in issuers {
        let algorithms = format!("algorithms = [\"{alg}\"]");
        text.push_str(&plain_issuer(id, iss, AUDIENCE, &[&algorithms, key_line]));
    }
    let keys = route_keys(routes);
    let requirements: Vec<String> = (0..routes).map(requirement).collect();
    let table: Vec<(&str, Rule<'_>)> = keys
        .iter()
        .zip(&requirements)
        .map(|(key, require)| (key.as_str(), Rule::Require(require)))
        .collect();
    text.push_str(&fixtures::routes(&table));
    text
}

/// The requirement of route `i` (see [`route_keys`]); peers model the same four shapes.
pub fn requirement(i: usize) -> String {
    let s = i / 4;
    match i % 4 {
        0 => format!("scope:svc{s}:read or role:admin"),
        1 | 2 => format!("scope:svc{s}:write and not role:suspended"),
        _ => format!("scope:svc{s}:files or (role:admin and client:ops-console)"),
    }
}

/// The loaded (not yet compiled) policy.
pub fn policy(routes: usize, identity_cache: bool) -> LoadedPolicy {
    LoadedPolicy::parse(&policy_text(routes, identity_cache), Format::Toml, "bench.toml")
        .expect("bench policy parses")
        .with_secret("BENCH_HS_SECRET", HS_SECRET)
}

/// A compiled engine for the benchmark policy.
pub fn engine(routes: usize, identity_cache: bool) -> Engine {
    let compiled = Engine::compile(&policy(routes, identity_cache)).expect("bench policy compiles");
    assert!(
        compiled.warnings.is_empty(),
        "bench policy warnings: {:?}",
        compiled.warnings
    );
    compiled.engine
}

/// A JWK member decoded from base64url.
pub fn jwk_bytes(jwk: &Value, member: &str) -> Vec<u8> {
    let text = jwk.get(member).and_then(Value::as_str).expect("JWK member");
    URL_SAFE_NO_PAD.decode(text).expect("base64url JWK member")
}

/// The uncompressed SEC 1 point (`04 || x || y`) of an EC key, from its JWK.
pub fn ec_public_point(key: &TestKey) -> Vec<u8> {
    let jwk = key.public_jwk();
    [vec![0x04], jwk_bytes(&jwk, "x"), jwk_bytes(&jwk, "y")].concat()
}

/// A token from [`RS_ISS`] under the RSA key's `kid`, signed by another RSA key: a forgery
/// that is refused at the signature check.
pub fn forged_rs_token() -> String {
    let forger = TestKey::rsa("bench-rsa-2048", "RS256");
    token(&forger, RS_ISS, POLICY_ROUTES)
}

/// An engine whose metric handles are registered with `recorder` (a real exporter's recorder,
/// used as the thread's local recorder while compiling; nothing is installed globally).
pub fn engine_with_recorder(routes: usize, identity_cache: bool, recorder: &dyn metrics::Recorder) -> Engine {
    metrics::with_local_recorder(recorder, || engine(routes, identity_cache))
}

/// DER `RSAPublicKey` (PKCS#1) of an RSA key, from its JWK `n` and `e`.
pub fn rsa_public_key_der(key: &TestKey) -> Vec<u8> {
    let jwk = key.public_jwk();
    let mut body = der_integer(&jwk_bytes(&jwk, "n"));
    body.extend(der_integer(&jwk_bytes(&jwk, "e")));
    der(0x30, &body)
}

fn der_integer(magnitude: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = magnitude.iter().copied().skip_while(|b| *b == 0).collect();
    let mut bytes = Vec::with_capacity(trimmed.len() + 1);
    if trimmed.first().is_none_or(|b| b & 0x80 != 0) {
        bytes.push(0);
    }
    bytes.extend(trimmed);
    der(0x02, &bytes)
}

fn der(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = body.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let be: Vec<u8> = len.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
        out.push(0x80 | be.len() as u8);
        out.extend(be);
    }
    out.extend_from_slice(body);
    out
}

/// The signing input and the decoded signature of a compact JWS.
pub fn split_jws(token: &str) -> (&str, Vec<u8>) {
    let (input, sig) = token.rsplit_once('.').expect("three-part token");
    (input, URL_SAFE_NO_PAD.decode(sig).expect("base64url signature"))
}
