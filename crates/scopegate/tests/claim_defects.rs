//! Issue 13's defects, each built as a new user would meet it, with today's answer; and the
//! policy checks of the new profiles (Okta org server, Entra multi-tenant without a list).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use scopegate::{Engine, Format, LoadedPolicy, Severity};
use scopegate_testkit::{TestKey, TokenBuilder, jwks, now};
use serde_json::json;

#[test]
fn a_tab_or_newline_in_scope_does_not_separate_scopes() {
    // RFC 6749 section 3.3: scope tokens are separated by spaces (%x20) only.
    let d = decide("GET", "/user", &asgardeo_token("openid\tget_pharmacy_user"));
    assert_eq!(code(&d), "insufficient_scope", "{}", d.reason());
    let d = decide("GET", "/user", &asgardeo_token("openid\nget_pharmacy_user"));
    assert_eq!(code(&d), "insufficient_scope");
    let d = decide("GET", "/user", &asgardeo_token("openid  get_pharmacy_user"));
    assert_eq!(code(&d), "allow");
}

#[test]
fn registered_claims_of_the_wrong_type_are_invalid_claims() {
    for (name, value) in [
        ("jti", json!(7)),
        ("jti", json!({})),
        ("jti", json!(["a"])),
        ("sub", json!(42)),
        ("sub", json!({"id": 1})),
        ("aud", json!({"x": 1})),
        ("aud", json!([ASG_AUD, 1])),
    ] {
        let mut claims = asgardeo_claims("get_pharmacy_user");
        claims[name] = value.clone();
        let token = TokenBuilder::new(claims)
            .header("typ", json!("at+jwt"))
            .sign(&keys().asg_rs);
        let d = decide("GET", "/user", &token);
        assert_eq!(code(&d), "invalid_claims", "{name}: {value}: {}", d.reason());
    }
    let mut claims = asgardeo_claims("get_pharmacy_user");
    claims["jti"] = json!("a-string-jti");
    let token = TokenBuilder::new(claims)
        .header("typ", json!("at+jwt"))
        .sign(&keys().asg_rs);
    assert_eq!(code(&decide("GET", "/user", &token)), "allow");
}

fn hs_policy(extra: &str) -> String {
    format!(
        "version = 1\n{}{}",
        plain_issuer("hs", IDP_ISS, IDP_AUD, &["hmac_secret_env = \"HS_SECRET\"", extra]),
        routes(&[("GET /me", Rule::Authenticated)])
    )
}

fn compile(text: &str, secret: Option<&str>) -> Result<scopegate::Compiled, scopegate::CompileError> {
    let mut loaded = LoadedPolicy::parse(text, Format::Toml, "p.toml").unwrap();
    if let Some(s) = secret {
        loaded = loaded.with_secret("HS_SECRET", s);
    }
    Engine::compile(&loaded)
}

fn hs_token(secret: &[u8], alg: &'static str) -> String {
    TokenBuilder::new(json!({"iss": IDP_ISS, "aud": IDP_AUD, "sub": "u", "exp": now() + 600}))
        .sign(&TestKey::hmac(secret, alg))
}

#[test]
fn binary_hmac_secrets_in_each_encoding() {
    let secret: Vec<u8> = (0u8..64).map(|i| i.wrapping_mul(37) ^ 0xA5).collect();
    let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    let check = |encoding: &str, text: String| {
        let compiled = compile(
            &hs_policy(&format!("hmac_secret_encoding = \"{encoding}\"")),
            Some(&text),
        )
        .unwrap();
        assert!(compiled.warnings.is_empty(), "{:?}", compiled.warnings);
        let req = |t: &str| {
            compiled
                .engine
                .decide(&scopegate::AuthRequest::new("GET", "/me").token(t))
                .is_allowed()
        };
        assert!(req(&hs_token(&secret, "HS512")), "{encoding}");
        assert!(
            !req(&hs_token(text.as_bytes(), "HS256")),
            "{encoding}: the text is not the key"
        );
    };
    check("hex", hex);
    use base64::Engine as _;
    let standard = base64::engine::general_purpose::STANDARD.encode(&secret);
    check("base64", standard.clone());
    check(
        "base64url",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&secret),
    );
    // Invalid for the encoding: said so, not "not set".
    for (encoding, text, says) in [
        ("hex", "zz", "not valid hex"),
        ("base64", "not base64!", "not valid base64"),
        ("base64url", "+/+/", "not valid base64url"),
    ] {
        let err = compile(
            &hs_policy(&format!("hmac_secret_encoding = \"{encoding}\"")),
            Some(text),
        )
        .unwrap_err();
        let text_err = err.to_string();
        assert!(text_err.contains(says), "{text_err}");
        assert!(
            !text_err.contains("not set") && !text_err.contains("discover"),
            "{text_err}"
        );
        assert!(!text_err.contains(text), "the value must not be echoed: {text_err}");
    }
    let err = LoadedPolicy::parse(&hs_policy("hmac_secret_encoding = \"rot13\""), Format::Toml, "p").unwrap_err();
    assert!(err.to_string().contains("base64url"), "{err}");
}

#[test]
fn short_hmac_secrets_warn_per_algorithm() {
    let warnings = |extra: &str, len: usize| -> Vec<String> {
        compile(&hs_policy(extra), Some(&"k".repeat(len)))
            .unwrap()
            .warnings
            .into_iter()
            .filter(|d| d.severity == Severity::Warning)
            .map(|d| d.message)
            .collect()
    };
    assert_eq!(warnings("", 32), Vec::<String>::new());
    let w = warnings("", 20);
    assert!(
        w.len() == 1 && w[0].contains("20 bytes") && w[0].contains("HS256 needs 32"),
        "{w:?}"
    );
    let w = warnings("algorithms = [\"HS256\", \"HS384\", \"HS512\"]", 40);
    assert!(
        w.len() == 1 && w[0].contains("HS384 needs 48") && w[0].contains("HS512 needs 64") && !w[0].contains("HS256"),
        "{w:?}"
    );
    assert_eq!(warnings("algorithms = [\"HS512\"]", 64), Vec::<String>::new());
    // By default a 40-byte secret allows HS256 only: HS384/HS512 would break RFC 7518 3.2.
    let compiled = compile(&hs_policy(""), Some(&"k".repeat(40))).unwrap();
    let allowed = |t: &str| {
        compiled
            .engine
            .decide(&scopegate::AuthRequest::new("GET", "/me").token(t))
            .reason_code()
    };
    assert_eq!(allowed(&hs_token("k".repeat(40).as_bytes(), "HS256")), None);
    assert_eq!(
        allowed(&hs_token("k".repeat(40).as_bytes(), "HS384")).map(|c| c.as_str()),
        Some("unsupported_algorithm")
    );
}

fn issuer_policy(lines: &str) -> String {
    let key = TestKey::rsa("k", "RS256");
    format!(
        "version = 1\n[[issuers]]\nid = \"x\"\n{lines}\njwks = '''{}'''\n{}",
        jwks(&[&key]),
        routes(&[("GET /me", Rule::Authenticated)])
    )
}

fn diagnostics(lines: &str) -> (bool, String) {
    let loaded = LoadedPolicy::parse(&issuer_policy(lines), Format::Toml, "p.toml").unwrap();
    match Engine::compile(&loaded) {
        Ok(c) => (
            true,
            c.warnings
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        Err(e) => (false, e.to_string()),
    }
}

#[test]
fn profile_fields_are_checked() {
    let (ok, text) = diagnostics(
        "profile = \"okta\"\ndomain = \"dev-1.okta.com\"\nauthorization_server = \"org\"\naudiences = [\"a\"]",
    );
    assert!(ok && text.contains("org authorization server"), "{text}");
    let (ok, text) = diagnostics("profile = \"okta\"\ndomain = \"dev-1.okta.com\"\naudiences = [\"a\"]");
    assert!(ok && text.is_empty(), "{text}");
    let (ok, text) = diagnostics("profile = \"okta\"\naudiences = [\"a\"]");
    assert!(!ok && text.contains("need `domain`"), "{text}");
    // An explicit issuer keeps the profile's claim rules.
    let (ok, text) =
        diagnostics("profile = \"okta\"\nissuer = \"https://id.example.com/oauth2/aus1\"\naudiences = [\"a\"]");
    assert!(ok && text.is_empty(), "{text}");
    for (lines, says) in [
        (
            "profile = \"entra\"\ntenant = \"common\"\naudiences = [\"a\"]",
            "allowed_tenants",
        ),
        (
            "profile = \"entra\"\ntenant = \"organizations\"\nallowed_tenants = []\naudiences = [\"a\"]",
            "is empty",
        ),
        (
            "profile = \"entra\"\ntenant = \"t1\"\nallowed_tenants = [\"t2\"]\naudiences = [\"a\"]",
            "only for",
        ),
        (
            "profile = \"entra\"\ntenant = \"common\"\nallowed_tenants = [\"common\"]\naudiences = [\"a\"]",
            "not a tenant id",
        ),
        (
            "profile = \"entra\"\ntenant = \"t1\"\ntoken_version = 3\naudiences = [\"a\"]",
            "token_version",
        ),
        (
            "profile = \"cognito\"\nregion = \"us-east-1\"\naudiences = [\"a\"]",
            "user_pool_id",
        ),
        (
            "profile = \"keycloak\"\nbase_url = \"sso.example.com\"\nrealm = \"r\"\naudiences = [\"a\"]",
            "base_url",
        ),
    ] {
        let (ok, text) = diagnostics(lines);
        assert!(!ok && text.contains(says), "{lines}: {text}");
    }
    let (ok, text) = diagnostics(
        "profile = \"entra\"\ntenant = \"common\"\nallowed_tenants = [\"t1\"]\naudiences = [\"a\"]\n[[issuers]]\nid = \"y\"\nprofile = \"entra\"\ntenant = \"t1\"\naudiences = [\"a\"]",
    );
    assert!(!ok && text.contains("already configured"), "{text}");
}
