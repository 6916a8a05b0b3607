//! `tower::ServiceExt::oneshot` tests for every rendering and option of the layer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use http::{HeaderName, Request, Response, StatusCode};
use scopegate::{Engine, Format, Grant, LoadedPolicy};
use scopegate_testkit::fixtures::{A0_AUD, A0_ISS, A0_ROLES, Rule, a0b, auth0_issuer, jwks_inline, keys, routes};
use scopegate_testkit::now;
use scopegate_tower::{ChallengeStyle, EngineHandle, ScopeGateLayer, TokenSource};
use serde_json::json;
use tower::{Layer, Service, ServiceBuilder, ServiceExt};

fn policy(extra_settings: &str, routes: &str) -> String {
    format!(
        "version = 1\n[settings]\n{extra_settings}\n{}{routes}",
        auth0_issuer(&[&jwks_inline(&[&keys().auth0])])
    )
}

/// The pets routes as this test knows them (`pets:buy` as a plain scope).
fn pets_routes() -> String {
    routes(&[
        ("GET /pets", Rule::Anonymous),
        ("GET /pets/{id}", Rule::Authenticated),
        ("POST /pets", Rule::Require("role:admin")),
        ("POST /pets/purchase", Rule::Scopes(&["pets:buy"])),
    ])
}

fn engine_from(text: &str) -> Arc<Engine> {
    Arc::new(
        Engine::compile(&LoadedPolicy::parse(text, Format::Toml, "p.toml").unwrap())
            .unwrap()
            .engine,
    )
}

fn engine() -> Arc<Engine> {
    engine_from(&policy("cors_preflight = \"allow\"", &pets_routes()))
}

fn token(scope: &str, roles: &[&str], exp_in: i64) -> String {
    let exp = now() as i64 + exp_in;
    a0b(json!({"iss":A0_ISS,"aud":A0_AUD,"sub":"auth0|u1","exp":exp,"scope":scope,A0_ROLES:roles})).sign(&keys().auth0)
}

/// An inner service that counts calls and echoes what the Grant says.
fn inner(
    calls: Arc<AtomicUsize>,
) -> impl Service<Request<String>, Response = Response<String>, Error = Infallible> + Clone {
    tower::service_fn(move |req: Request<String>| {
        calls.fetch_add(1, Ordering::SeqCst);
        async move {
            let grant = req.extensions().get::<Grant>();
            let body = match grant {
                Some(g) => format!(
                    "route={:?} subject={:?}",
                    g.route.as_ref().map(|r| r.key.to_string()),
                    g.subject()
                ),
                None => "no grant".into(),
            };
            Ok(Response::new(body))
        }
    })
}

async fn call(layer: &ScopeGateLayer, req: Request<String>) -> (Response<String>, usize) {
    let calls = Arc::new(AtomicUsize::new(0));
    let svc = layer.layer(inner(Arc::clone(&calls)));
    let response = svc.oneshot(req).await.unwrap();
    (response, calls.load(Ordering::SeqCst))
}

/// A request with `Authorization: Bearer <token>`.
fn bearer(method: &str, uri: &str, token: &str) -> Request<String> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .body(String::new())
        .unwrap()
}

fn get(uri: &str) -> http::request::Builder {
    Request::get(uri)
}

fn challenge(r: &Response<String>) -> &str {
    r.headers().get("www-authenticate").map_or("", |v| v.to_str().unwrap())
}

#[tokio::test]
async fn allow_puts_the_grant_in_extensions() {
    let layer = ScopeGateLayer::new(engine());
    let t = token("", &[], 600);
    let (r, calls) = call(&layer, bearer("GET", "/pets/7", &t)).await;
    assert_eq!((r.status(), calls), (StatusCode::OK, 1));
    assert_eq!(r.body(), "route=Some(\"GET /pets/{id}\") subject=Some(\"auth0|u1\")");
}

#[tokio::test]
async fn missing_token_is_401_with_bare_challenge_and_json_body() {
    let layer = ScopeGateLayer::new(engine());
    let (r, calls) = call(&layer, Request::post("/pets").body(String::new()).unwrap()).await;
    assert_eq!((r.status(), calls), (StatusCode::UNAUTHORIZED, 0));
    assert_eq!(challenge(&r), "Bearer realm=\"api\"");
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(r.body(), r#"{"message":"Unauthorized"}"#);
}

#[tokio::test]
async fn invalid_token_is_401_invalid_token_and_never_echoed() {
    let layer = ScopeGateLayer::builder(EngineHandle::new(engine()))
        .realm("pets")
        .build();
    let t = token("", &["admin"], -3600);
    let (r, _) = call(&layer, bearer("POST", "/pets", &t)).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenge(&r),
        "Bearer realm=\"pets\", error=\"invalid_token\", error_description=\"the token has expired\""
    );
    let everything = format!("{:?}{}", r.headers(), r.body());
    let signature = t.rsplit('.').next().unwrap();
    assert!(
        !everything.contains(signature) && !everything.contains(&t[..40]),
        "token echoed"
    );
}

#[tokio::test]
async fn forbidden_names_the_needed_scope() {
    let layer = ScopeGateLayer::new(engine());
    let t = token("openid", &[], 600);
    let (r, calls) = call(&layer, bearer("POST", "/pets/purchase", &t)).await;
    assert_eq!((r.status(), calls), (StatusCode::FORBIDDEN, 0));
    assert_eq!(
        challenge(&r),
        "Bearer realm=\"api\", error=\"insufficient_scope\", error_description=\"the token lacks a required scope\", scope=\"pets:buy\""
    );
    assert_eq!(r.body(), r#"{"message":"Forbidden"}"#);
    let (r, _) = call(&layer, bearer("POST", "/pets", &t)).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        challenge(&r).contains("error=\"insufficient_scope\", error_description=\"the token lacks a required role\"")
    );
}

#[tokio::test]
async fn api_gateway_challenge_format() {
    let layer = ScopeGateLayer::builder(EngineHandle::new(engine()))
        .challenge_style(ChallengeStyle::ApiGateway)
        .build();
    let mut claims = json!({"iss":A0_ISS,"aud":"other","exp":now()+60});
    claims["sub"] = json!("x");
    let t = a0b(claims).sign(&keys().auth0);
    let (r, _) = call(&layer, bearer("POST", "/pets", &t)).await;
    assert_eq!(
        challenge(&r),
        "Bearer scope=\"\" error=\"invalid_token\" error_description=\"the token does not have a valid audience\""
    );
    let t = token("openid", &[], 600);
    let (r, _) = call(&layer, bearer("POST", "/pets/purchase", &t)).await;
    assert_eq!(
        challenge(&r),
        "Bearer scope=\"pets:buy\" error=\"insufficient_scope\" error_description=\"the token lacks a required scope\""
    );
}

#[tokio::test]
async fn malformed_authorization_headers_are_401_malformed() {
    let layer = ScopeGateLayer::new(engine());
    let t = token("", &["admin"], 600);
    let two = Request::post("/pets")
        .header("authorization", format!("Bearer {t}"))
        .header("authorization", format!("Bearer {t}"))
        .body(String::new())
        .unwrap();
    let (r, calls) = call(&layer, two).await;
    assert_eq!((r.status(), calls), (StatusCode::UNAUTHORIZED, 0));
    assert!(
        challenge(&r).contains("the access token is malformed"),
        "{}",
        challenge(&r)
    );
    for bad in [
        format!("Basic {t}"),
        t.clone(),
        "Bearer".into(),
        format!("Bearer {t} extra"),
    ] {
        let (r, _) = call(
            &layer,
            Request::post("/pets")
                .header("authorization", bad)
                .body(String::new())
                .unwrap(),
        )
        .await;
        assert!(challenge(&r).contains("malformed"), "{}", challenge(&r));
    }
    // A malformed header on an anonymous route is ignored, like a route without an authorizer.
    let (r, calls) = call(
        &layer,
        get("/pets")
            .header("authorization", "Basic x")
            .body(String::new())
            .unwrap(),
    )
    .await;
    assert_eq!((r.status(), calls), (StatusCode::OK, 1));
}

#[tokio::test]
async fn scheme_is_case_insensitive() {
    let layer = ScopeGateLayer::new(engine());
    let t = token("", &["admin"], 600);
    let (r, _) = call(
        &layer,
        Request::post("/pets")
            .header("authorization", format!("bEaReR {t}"))
            .body(String::new())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn header_cookie_and_query_token_sources() {
    let t = token("", &["admin"], 600);
    let e = EngineHandle::new(engine());
    let header = ScopeGateLayer::builder(e.clone())
        .token_source(TokenSource::Header(HeaderName::from_static("x-pets-token")))
        .build();
    let (r, _) = call(
        &header,
        Request::post("/pets")
            .header("x-pets-token", &t)
            .body(String::new())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (r, _) = call(&header, bearer("POST", "/pets", &t)).await;
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "only the configured source counts"
    );
    let cookie = ScopeGateLayer::builder(e.clone())
        .token_source(TokenSource::Cookie("pets_at".into()))
        .build();
    let (r, _) = call(
        &cookie,
        Request::post("/pets")
            .header("cookie", format!("theme=dark; pets_at={t}"))
            .body(String::new())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let query = ScopeGateLayer::builder(e)
        .token_source(TokenSource::Query("access_token".into()))
        .build();
    let (r, _) = call(
        &query,
        Request::post(format!("/pets?access_token={t}"))
            .body(String::new())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (r, _) = call(
        &query,
        Request::post(format!("/pets?access_token={t}&access_token=x"))
            .body(String::new())
            .unwrap(),
    )
    .await;
    assert!(challenge(&r).contains("malformed"));
}

#[tokio::test]
async fn ambiguous_paths_are_400_before_matching() {
    let layer = ScopeGateLayer::new(engine());
    let t = token("pets:buy", &[], 600);
    for path in [
        "//pets",
        "/pets/./purchase",
        "/pets/../pets/purchase",
        "/pets%2Fpurchase",
        "/pets/purch%61se",
        "/pets/%2e%2e",
        "/pets/%ff",
    ] {
        let (r, calls) = call(&layer, bearer("POST", path, &t)).await;
        assert_eq!((r.status(), calls), (StatusCode::BAD_REQUEST, 0), "{path}");
        assert_eq!(r.body(), r#"{"message":"Bad Request"}"#);
    }
    let (r, _) = call(&layer, bearer("POST", "/pets/purchase/", &t)).await;
    assert_eq!(r.status(), StatusCode::OK, "one trailing slash is fine");
}

fn preflight(uri: &str) -> Request<String> {
    Request::options(uri)
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "POST")
        .body(String::new())
        .unwrap()
}

#[tokio::test]
async fn cors_preflight_passes_without_token_when_the_policy_allows() {
    let (r, calls) = call(&ScopeGateLayer::new(engine()), preflight("/pets")).await;
    assert_eq!((r.status(), calls), (StatusCode::OK, 1));
    let enforcing = ScopeGateLayer::new(engine_from(&policy("", &pets_routes())));
    let (r, calls) = call(&enforcing, preflight("/pets")).await;
    assert_eq!((r.status(), calls), (StatusCode::UNAUTHORIZED, 0));
}

#[tokio::test]
async fn composes_with_tower_http_cors() {
    use tower_http::cors::{Any, CorsLayer};
    let calls = Arc::new(AtomicUsize::new(0));
    let svc = ServiceBuilder::new()
        .layer(CorsLayer::new().allow_origin(Any).allow_methods(Any).allow_headers(Any))
        .layer(ScopeGateLayer::new(engine()))
        .service(inner(Arc::clone(&calls)));
    let r = svc.clone().oneshot(preflight("/pets")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    // A denial still carries CORS headers, so the browser can read the 401.
    let r = svc
        .oneshot(
            Request::post("/pets")
                .header("origin", "https://shop.example")
                .body(String::new())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn reload_swaps_good_policies_and_keeps_the_old_one_on_errors() {
    let dir = std::env::temp_dir().join(format!("scopegate-tower-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let handle = EngineHandle::new(engine());
    let layer = ScopeGateLayer::builder(handle.clone()).build();
    let t = token("", &[], 600);
    let req = || bearer("POST", "/pets", &t);
    assert_eq!(call(&layer, req()).await.0.status(), StatusCode::FORBIDDEN);

    let open = dir.join("open.toml");
    std::fs::write(
        &open,
        policy("", "[[routes]]\nroute = \"POST /pets\"\nrequire = \"authenticated\"\n"),
    )
    .unwrap();
    handle.reload_from_path(&open).unwrap();
    assert_eq!(call(&layer, req()).await.0.status(), StatusCode::OK);

    let broken = dir.join("broken.toml");
    std::fs::write(
        &broken,
        policy("", "[[routes]]\nroute = \"POST /pets\"\nrequire = \"role:\"\n"),
    )
    .unwrap();
    assert!(handle.reload_from_path(&broken).is_err());
    assert!(handle.reload_from_path(dir.join("missing.toml")).is_err());
    assert_eq!(call(&layer, req()).await.0.status(), StatusCode::OK, "old engine kept");
}

#[tokio::test]
async fn shadow_disagreements_are_counted_never_enforced() {
    let strict = engine_from(&policy(
        "",
        "[[routes]]\nroute = \"GET /pets/{id}\"\nrequire = \"role:admin\"\n",
    ));
    let layer = ScopeGateLayer::builder(EngineHandle::new(engine()))
        .shadow(EngineHandle::new(strict))
        .build();
    let t = token("", &[], 600);
    let (r, _) = call(&layer, bearer("GET", "/pets/1", &t)).await;
    assert_eq!(r.status(), StatusCode::OK, "the enforcing policy decides");
    let (r, _) = call(&layer, get("/pets/2").body(String::new()).unwrap()).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let stats = layer.shadow_stats().unwrap();
    assert_eq!((stats.evaluated(), stats.disagreements()), (2, 1));
}
