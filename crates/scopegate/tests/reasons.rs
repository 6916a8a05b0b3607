//! Every reason code is reachable, with the status its class promises.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::collections::BTreeSet;

use common::*;
use scopegate::{AuthRequest, Decision, Engine, Format, LoadedPolicy, ReasonCode};
use scopegate_testkit::{b64, now};
use serde_json::json;

fn engine_with(extra: &str, unmatched: &str) -> Engine {
    let text =
        pharmacy_policy_text().replace("cors_preflight = \"allow\"", &format!("unmatched = \"{unmatched}\"")) + extra;
    let p = LoadedPolicy::parse(&text, Format::Toml, "x.toml")
        .unwrap()
        .with_secret("FUSION_SECRET", FA_SECRET);
    Engine::compile(&p).unwrap().engine
}

#[test]
fn every_reason_code_is_produced() {
    let k = keys();
    let t = now();
    let remote = r#"
[[issuers]]
id = "remote"
issuer = "https://idp.example.com"
audiences = ["api"]
"#;
    let e = engine_with(remote, "deny");
    let run = |method: &str, path: &str, token: Option<String>| -> Decision {
        let mut req = AuthRequest::new(method, path);
        if let Some(tok) = &token {
            req = req.token(tok);
        }
        e.decide(&req)
    };
    let mut expired = auth0_claims("", &["admin"]);
    expired["exp"] = json!(t - 3600);
    let mut early = auth0_claims("", &["admin"]);
    early["nbf"] = json!(t + 3600);
    let mut bad_aud = auth0_claims("", &["admin"]);
    bad_aud["aud"] = json!("nope");
    let mut bad_type = auth0_claims("", &["admin"]);
    bad_type["exp"] = json!("soon");
    let mut unknown_iss = auth0_claims("", &["admin"]);
    unknown_iss["iss"] = json!("https://evil.example.com/");
    let remote_token = a0b(json!({"iss":"https://idp.example.com","aud":"api","exp":t+60})).sign(&k.auth0);
    let sig_swapped = {
        let good = auth0_token("", &["admin"]);
        let other = auth0_token("x", &[]);
        let (head, _) = good.rsplit_once('.').unwrap();
        format!("{head}.{}", other.rsplit_once('.').unwrap().1)
    };
    let cases: Vec<(ReasonCode, Decision)> = vec![
        (ReasonCode::MissingToken, run("POST", "/pets", None)),
        (
            ReasonCode::MalformedToken,
            run("POST", "/pets", Some("not-a-jwt".into())),
        ),
        (
            ReasonCode::UnsupportedAlgorithm,
            run(
                "POST",
                "/pets",
                Some(format!("{}.{}.x", b64(br#"{"alg":"none"}"#), b64(b"{}"))),
            ),
        ),
        (
            ReasonCode::UnknownIssuer,
            run("POST", "/pets", Some(a0b(unknown_iss).sign(&k.auth0))),
        ),
        (
            ReasonCode::UnknownKey,
            run(
                "POST",
                "/pets",
                Some(
                    a0b(auth0_claims("", &[]))
                        .header("kid", json!("rotated-away"))
                        .sign(&k.auth0),
                ),
            ),
        ),
        (ReasonCode::BadSignature, run("POST", "/pets", Some(sig_swapped))),
        (
            ReasonCode::TokenExpired,
            run("POST", "/pets", Some(a0b(expired).sign(&k.auth0))),
        ),
        (
            ReasonCode::TokenNotYetValid,
            run("POST", "/pets", Some(a0b(early).sign(&k.auth0))),
        ),
        (
            ReasonCode::AudienceMismatch,
            run("POST", "/pets", Some(a0b(bad_aud).sign(&k.auth0))),
        ),
        (
            ReasonCode::WrongTokenType,
            run(
                "POST",
                "/pets",
                Some(a0b(auth0_claims("", &[])).header("typ", json!("id+jwt")).sign(&k.auth0)),
            ),
        ),
        (
            ReasonCode::InvalidClaims,
            run("POST", "/pets", Some(a0b(bad_type).sign(&k.auth0))),
        ),
        (ReasonCode::KeysUnavailable, run("POST", "/pets", Some(remote_token))),
        (
            ReasonCode::InsufficientScope,
            run("GET", "/user", Some(asgardeo_token("openid"))),
        ),
        (
            ReasonCode::InsufficientRole,
            run("POST", "/pets", Some(auth0_token("pets:buy", &[]))),
        ),
        (
            ReasonCode::RouteDenied,
            run("POST", "/pets/purchase", Some(auth0_token("pets:buy", &["admin"]))),
        ),
        (ReasonCode::NoRoute, run("GET", "/nowhere", Some(auth0_token("", &[])))),
    ];
    let mut seen = BTreeSet::new();
    for (want, got) in &cases {
        assert_eq!(
            got.reason_code(),
            Some(*want),
            "expected {want}, got {:?}: {}",
            got.reason_code(),
            got.reason()
        );
        assert_eq!(got.status(), want.status());
        assert!(!got.reason().is_empty());
        seen.insert(want.as_str());
    }
    assert_eq!(seen.len(), ReasonCode::ALL.len(), "every code covered");
}

#[test]
fn unmatched_allow_authenticated() {
    let e = engine_with("", "allow-authenticated");
    let d = e.decide(&AuthRequest::new("GET", "/nowhere").token(&auth0_token("", &[])));
    assert!(d.is_allowed());
    assert!(d.route().is_none());
    assert_eq!(
        e.decide(&AuthRequest::new("GET", "/nowhere")).reason_code(),
        Some(ReasonCode::MissingToken)
    );
}

#[test]
fn explanations_say_route_requirement_token_and_failed_check() {
    let d = decide("POST", "/pets", &auth0_token("openid pets:buy", &["user"]));
    let r = d.reason();
    for needle in [
        "route `POST /pets`",
        "requires `role:admin`",
        "token from `auth0`",
        "auth0|602c0dcab993d10073daf680",
        "\"pets:buy\"",
        "\"user\"",
        "missing role (any of [\"admin\"])",
    ] {
        assert!(r.contains(needle), "{needle} not in {r}");
    }
    let token = auth0_token("", &[]);
    let d = decide("POST", "/pets", &format!("{token}x"));
    assert!(
        !d.reason().contains(&token[token.len() - 20..]),
        "signature echoed: {}",
        d.reason()
    );
}
