//! Every event type x allow / 401 / 403, on the AWS sample events with our tokens substituted,
//! and the cache-safety of the policies the authorizer returns.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::sync::Arc;

use common::{fixture, policy_allows};
use scopegate::{Engine, Format, LoadedPolicy};
use scopegate_lambda::{Authorizer, AuthorizerError, ConfigError};
use scopegate_testkit::fixtures::{
    A0_AUD, A0_ISS, A0_ROLES, PETS_ROUTES, Rule, a0b, auth0_issuer, jwks_inline, keys, routes,
};
use scopegate_testkit::{TestKey, now};
use serde_json::{Value, json};

const REST_PREFIX: &str = "arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/";

fn key() -> &'static TestKey {
    &keys().auth0
}

fn policy_text(lambda: &str) -> String {
    format!(
        "version = 1\n{lambda}\n{}{}{}",
        auth0_issuer(&[&jwks_inline(&[key()])]),
        routes(&PETS_ROUTES),
        routes(&[
            ("GET /request", Rule::Scopes(&["read:request"])),
            ("ANY /admin/{proxy+}", Rule::Require("role:admin")),
        ])
    )
}

fn authorizer(lambda: &str) -> Authorizer {
    let loaded = LoadedPolicy::parse(&policy_text(lambda), Format::Toml, "pets.toml").unwrap();
    Authorizer::from_policy(&loaded).unwrap()
}

fn token(scope: &str, roles: &[&str]) -> String {
    a0b(json!({
        "iss": A0_ISS, "aud": A0_AUD, "sub": "auth0|u1", "exp": now() + 600, "scope": scope, A0_ROLES: roles,
        "email": "u1@example.com", "org": {"id": 7, "tier": "gold"}, "azp": "client-1"
    }))
    .sign(key())
}

fn expired() -> String {
    a0b(json!({"iss": A0_ISS, "aud": A0_AUD, "sub": "auth0|u1", "exp": now() - 3600, "scope": "read:request"}))
        .sign(key())
}

fn run(a: &Authorizer, event: Value) -> Result<Value, AuthorizerError> {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(a.handle(event))
}

fn token_event(token: Option<&str>, arn: &str) -> Value {
    let mut e = fixture("example-apigw-custom-auth-request.json");
    e["authorizationToken"] = token.map_or(Value::Null, |t| json!(format!("Bearer {t}")));
    e["methodArn"] = json!(arn);
    e
}

fn request_event(token: Option<&str>) -> Value {
    let mut e = fixture("example-apigw-custom-auth-request-type-request.json");
    if let Some(t) = token {
        e["headers"]["Authorization"] = json!(format!("Bearer {t}"));
        e["multiValueHeaders"]["Authorization"] = json!([format!("Bearer {t}")]);
    }
    e
}

fn v1_event(token: Option<&str>) -> Value {
    let mut e = fixture("example-apigw-v2-custom-authorizer-v1-request.json");
    if let Some(t) = token {
        e["headers"]["Authorization"] = json!(format!("Bearer {t}"));
        e["identitySource"] = json!(format!("Bearer {t}"));
        e["authorizationToken"] = json!(format!("Bearer {t}"));
    }
    e
}

fn v2_event(token: Option<&str>) -> Value {
    let mut e = fixture("example-apigw-v2-custom-authorizer-v2-request.json");
    // The sample's routeArn says GET /request; make the request itself agree.
    e["rawPath"] = json!("/request");
    e["requestContext"]["http"]["method"] = json!("GET");
    e["requestContext"]["http"]["path"] = json!("/request");
    if let Some(t) = token {
        e["headers"]["authorization"] = json!(format!("Bearer {t}"));
        e["identitySource"] = json!([format!("Bearer {t}")]);
    }
    e
}

/// Checks an IAM answer: effect for the event's own ARN, principal and context.
fn assert_policy(response: &Value, arn: &str, allowed: bool) {
    assert_eq!(policy_allows(response, arn), allowed, "{response:#}");
    assert_eq!(response["principalId"], "auth0|u1");
    assert_eq!(response["policyDocument"]["Version"], "2012-10-17");
    let ctx = &response["context"];
    assert_eq!(ctx["issuer"], "auth0");
    assert_eq!(ctx["subject"], "auth0|u1");
    assert!(response.get("usageIdentifierKey").is_none());
    for v in ctx.as_object().unwrap().values() {
        assert!(v.is_string() || v.is_number() || v.is_boolean(), "{ctx}");
    }
}

#[test]
fn rest_token_events() {
    let a = authorizer("");
    let arn = format!("{REST_PREFIX}GET/request");
    let allow = run(&a, token_event(Some(&token("read:request", &[])), &arn)).unwrap();
    assert_policy(&allow, &arn, true);
    let deny = run(&a, token_event(Some(&token("openid", &[])), &arn)).unwrap();
    assert_policy(&deny, &arn, false);
    assert_eq!(
        run(&a, token_event(Some(&expired()), &arn)),
        Err(AuthorizerError::Unauthorized)
    );
    assert_eq!(run(&a, token_event(None, &arn)), Err(AuthorizerError::Unauthorized));
    assert_eq!(
        run(&a, token_event(Some("not-a-jwt"), &arn)),
        Err(AuthorizerError::Unauthorized)
    );
    // The unmodified sample (token "allow", console stage `*`) is a 401, not a 500.
    assert_eq!(
        run(&a, fixture("example-apigw-custom-auth-request.json")),
        Err(AuthorizerError::Unauthorized)
    );
}

#[test]
fn rest_request_events() {
    let a = authorizer("");
    let arn = format!("{REST_PREFIX}GET/request");
    let allow = run(&a, request_event(Some(&token("read:request", &[])))).unwrap();
    assert_policy(&allow, &arn, true);
    let deny = run(&a, request_event(Some(&token("openid", &[])))).unwrap();
    assert_policy(&deny, &arn, false);
    assert_eq!(
        run(&a, request_event(Some(&expired()))),
        Err(AuthorizerError::Unauthorized)
    );
    assert_eq!(run(&a, request_event(None)), Err(AuthorizerError::Unauthorized));
    // Two Authorization values are unusable credentials: 401.
    let mut twice = request_event(Some(&token("read:request", &[])));
    twice["multiValueHeaders"]["Authorization"] = json!(["Bearer a", "Bearer b"]);
    assert_eq!(run(&a, twice), Err(AuthorizerError::Unauthorized));
}

#[test]
fn rest_request_token_only_in_multi_value_headers() {
    // Some REQUEST events (and test consoles) fill `multiValueHeaders` but not `headers`.
    let a = authorizer("");
    let arn = format!("{REST_PREFIX}GET/request");
    let mut e = request_event(None);
    e["headers"].as_object_mut().unwrap().remove("Authorization");
    e["multiValueHeaders"]["Authorization"] = json!([format!("Bearer {}", token("read:request", &[]))]);
    assert_policy(&run(&a, e).unwrap(), &arn, true);
    let mut e = request_event(None);
    e["multiValueHeaders"]["Authorization"] = json!([format!("Bearer {}", token("openid", &[]))]);
    assert_policy(&run(&a, e).unwrap(), &arn, false);
    // Query parameters likewise: only the multi-valued map carries it.
    let a = authorizer("[lambda]\ntoken_query = \"access_token\"");
    let mut e = request_event(None);
    e["multiValueQueryStringParameters"]["access_token"] = json!([token("read:request", &[])]);
    assert_policy(&run(&a, e).unwrap(), &arn, true);
}

#[test]
fn rest_request_token_from_a_query_parameter() {
    let a = authorizer("[lambda]\ntoken_query = \"access_token\"");
    let t = token("read:request", &[]);
    let mut e = request_event(None);
    e["queryStringParameters"]["access_token"] = json!(t);
    e["multiValueQueryStringParameters"]["access_token"] = json!([t]);
    let allow = run(&a, e).unwrap();
    assert_policy(&allow, &format!("{REST_PREFIX}GET/request"), true);
    // The header is not consulted when a query parameter is configured.
    assert_eq!(run(&a, request_event(Some(&t))), Err(AuthorizerError::Unauthorized));
}

#[test]
fn http_v1_events() {
    let a = authorizer("");
    let arn = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/request";
    assert_policy(
        &run(&a, v1_event(Some(&token("read:request", &[])))).unwrap(),
        arn,
        true,
    );
    assert_policy(&run(&a, v1_event(Some(&token("", &[])))).unwrap(), arn, false);
    assert_eq!(run(&a, v1_event(Some(&expired()))), Err(AuthorizerError::Unauthorized));
    assert_eq!(run(&a, v1_event(None)), Err(AuthorizerError::Unauthorized));
}

#[test]
fn http_v2_events_with_iam_answers() {
    let a = authorizer("");
    let arn = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/request";
    let allow = run(&a, v2_event(Some(&token("read:request", &[])))).unwrap();
    assert_policy(&allow, arn, true);
    assert!(allow.get("usageIdentifierKey").is_none());
    assert_policy(&run(&a, v2_event(Some(&token("", &[])))).unwrap(), arn, false);
    assert_eq!(run(&a, v2_event(Some(&expired()))), Err(AuthorizerError::Unauthorized));
    assert_eq!(run(&a, v2_event(None)), Err(AuthorizerError::Unauthorized));
}

#[test]
fn http_v2_events_with_simple_answers() {
    let a = authorizer(
        "[lambda]\nhttp_response = \"simple\"\ncontext_claims = [\"email\", \"org\", \"https://pets.example.com/roles\", \"missing\", \"/org/tier\", \"/org/none\"]",
    );
    let allow = run(&a, v2_event(Some(&token("read:request openid", &["user", "ops"])))).unwrap();
    assert_eq!(allow["isAuthorized"], true);
    assert_eq!(
        allow["context"],
        json!({
            "issuer": "auth0", "subject": "auth0|u1", "client": "client-1",
            "scopes": "read:request openid", "roles": "user ops",
            "email": "u1@example.com", "org": "map[id:7 tier:gold]", A0_ROLES: "[user ops]",
            "/org/tier": "gold"
        })
    );
    let deny = run(&a, v2_event(Some(&token("openid", &[])))).unwrap();
    assert_eq!(deny["isAuthorized"], false);
    assert_eq!(deny["context"]["subject"], "auth0|u1");
    assert_eq!(run(&a, v2_event(Some(&expired()))), Err(AuthorizerError::Unauthorized));
    assert_eq!(run(&a, v2_event(None)), Err(AuthorizerError::Unauthorized));
    // Without a routeArn a simple answer still works (the path comes from rawPath).
    let mut no_arn = v2_event(Some(&token("read:request", &[])));
    no_arn.as_object_mut().unwrap().remove("routeArn");
    assert_eq!(run(&a, no_arn).unwrap()["isAuthorized"], true);
}

#[test]
fn http_v2_named_stage_prefix_and_route_key() {
    let a = authorizer("");
    let t = token("read:request", &[]);
    let mut e = v2_event(Some(&t));
    e["rawPath"] = json!("/test/request");
    e["requestContext"]["stage"] = json!("test");
    e["routeKey"] = json!("GET /request");
    let arn = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/request";
    assert_policy(&run(&a, e.clone()).unwrap(), arn, true);
    // API Gateway matched a different policy route than the engine: fail closed (403).
    e["routeKey"] = json!("GET /pets/{id}");
    assert_policy(&run(&a, e).unwrap(), arn, false);
}

#[test]
fn the_context_never_holds_the_token() {
    let a = authorizer("[lambda]\ncontext_claims = [\"email\"]");
    let t = token("read:request", &[]);
    for e in [
        token_event(Some(&t), &format!("{REST_PREFIX}GET/request")),
        request_event(Some(&t)),
        v1_event(Some(&t)),
        v2_event(Some(&t)),
    ] {
        let text = run(&a, e).unwrap().to_string();
        assert!(!text.contains(&t));
        assert!(!text.contains(t.rsplit('.').next().unwrap()));
    }
}

#[test]
fn bad_events_fail_closed() {
    let a = authorizer("");
    let t = token("read:request", &[]);
    // A valid token with an unusable ARN: a 500-class error, never an Allow.
    let e = token_event(Some(&t), "arn:aws:execute-api:us-east-1:123:api/test");
    assert!(matches!(run(&a, e), Err(AuthorizerError::InvalidEvent(_))));
    // A bad token with an unusable ARN: still 401.
    let e = token_event(Some(&expired()), "garbage");
    assert_eq!(run(&a, e), Err(AuthorizerError::Unauthorized));
    assert!(matches!(
        run(&a, json!({"hello": 1})),
        Err(AuthorizerError::InvalidEvent(_))
    ));
    assert!(matches!(
        run(&a, json!({"version": "2.0", "type": "REQUEST"})),
        Err(AuthorizerError::InvalidEvent(_))
    ));
}

#[test]
fn reserved_context_claims_are_refused() {
    let loaded = LoadedPolicy::parse(
        &policy_text("[lambda]\ncontext_claims = [\"scopes\"]"),
        Format::Toml,
        "p.toml",
    )
    .unwrap();
    let engine = Arc::new(Engine::compile(&loaded).unwrap().engine);
    assert_eq!(
        Authorizer::new(engine, &loaded.source.lambda).unwrap_err(),
        ConfigError::ReservedClaim("scopes".into())
    );
}

#[test]
fn method_arn_setting_answers_for_the_single_arn() {
    let a = authorizer("[lambda]\npolicy_resources = \"method-arn\"");
    let arn = format!("{REST_PREFIX}GET/request");
    let r = run(&a, token_event(Some(&token("read:request", &[])), &arn)).unwrap();
    assert_eq!(
        r["policyDocument"]["Statement"],
        json!([{"Action": ["execute-api:Invoke"], "Effect": "Allow", "Resource": [arn]}])
    );
}

/// Requests of the pets API, as `(method, path)`.
const REQUESTS: &[(&str, &str)] = &[
    ("GET", "/pets"),
    ("GET", "/pets/"),
    ("POST", "/pets"),
    ("PUT", "/pets"),
    ("POST", "/pets/purchase"),
    ("GET", "/pets/purchase"),
    ("GET", "/pets/7"),
    ("GET", "/pets/7/"),
    ("GET", "/pets/7/toys"),
    ("DELETE", "/pets/7"),
    ("GET", "/request"),
    ("POST", "/request"),
    ("GET", "/admin/x"),
    ("DELETE", "/admin/x/y/z"),
    ("GET", "/admin"),
    ("GET", "/"),
    ("GET", "/other"),
];

#[test]
fn cached_policies_allow_exactly_what_direct_calls_allow() {
    let a = authorizer("");
    let tokens = [
        token("", &[]),
        token("read:request", &[]),
        token("pets:buy", &[]),
        token("pets:buy read:request", &["admin"]),
        "garbage".to_string(),
    ];
    let arn = |(m, p): (&str, &str)| format!("{REST_PREFIX}{m}/{}", p.strip_prefix('/').unwrap());
    let direct = |t: &str, r: (&str, &str)| match run(&a, token_event(Some(t), &arn(r))) {
        Ok(resp) => policy_allows(&resp, &arn(r)),
        Err(AuthorizerError::Unauthorized) => false,
        Err(e) => panic!("{e}"),
    };
    let mut cache_safe = 0;
    for t in &tokens {
        for first in REQUESTS {
            // The answer API Gateway would cache for this token after `first`.
            let Ok(cached) = run(&a, token_event(Some(t), &arn(*first))) else {
                continue;
            };
            let resources = cached["policyDocument"]["Statement"][0]["Resource"]
                .as_array()
                .unwrap()
                .len();
            if resources > 1 || cached["policyDocument"]["Statement"].as_array().unwrap().len() > 1 {
                cache_safe += 1;
            }
            for later in REQUESTS {
                assert_eq!(
                    policy_allows(&cached, &arn(*later)),
                    direct(t, *later),
                    "cached after {first:?}, then {later:?}: {cached:#}"
                );
            }
        }
    }
    assert!(cache_safe > 40, "only {cache_safe} cache-safe answers");
}
