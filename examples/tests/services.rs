//! Each example service on a real 127.0.0.1 socket, hit by a reqwest client; and a bounded
//! concurrency run through the pets service with cached, fresh and hostile tokens.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use http::{Request, StatusCode};
use scopegate_examples::services::{PETS_SPA_ORIGIN, claims, pets, pharmacy, policy_engine};
use scopegate_examples::{asgardeo_token, auth0_claims, auth0_token, dev_key, fusionauth_token};
use scopegate_testkit::{TestKey, b64};
use serde_json::Value;
use tower::ServiceExt;

async fn start(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

async fn send(req: reqwest::RequestBuilder) -> (u16, Value, reqwest::header::HeaderMap) {
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
        headers,
    )
}

#[tokio::test]
async fn pharmacy_welcomes_pharmacists_only() {
    let addr = start(pharmacy(policy_engine("pharmacy").unwrap())).await;
    let key = dev_key("asgardeo").unwrap();
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/user");
    let ok = asgardeo_token(&key, "alice@pharmacy", "openid get_pharmacy_user");
    let (status, body, _) = send(client.get(&url).bearer_auth(&ok)).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (200, Some("Welcome alice@pharmacy!"))
    );
    let (status, body, headers) = send(client.get(&url).bearer_auth(asgardeo_token(&key, "bob", "openid"))).await;
    assert_eq!((status, body["message"].as_str()), (403, Some("Forbidden")));
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("scope=\"get_pharmacy_user\"")
    );
    let (status, body, _) = send(client.get(&url)).await;
    assert_eq!((status, body["message"].as_str()), (401, Some("Unauthorized")));
}

#[tokio::test]
async fn pets_admins_add_buyers_purchase_and_cors_works() {
    let addr = start(pets(policy_engine("pets").unwrap())).await;
    let key = dev_key("auth0").unwrap();
    let admin = auth0_token(&key, auth0_claims("auth0|admin", "openid", &["admin"]));
    let buyer = auth0_token(&key, auth0_claims("google-oauth2|buyer", "openid pets:buy", &[]));
    let client = reqwest::Client::new();
    let base = format!("http://{addr}");
    let (status, body, _) = send(client.get(format!("{base}/pets"))).await;
    assert_eq!((status, body["pets"].as_array().map(Vec::len)), (200, Some(2)));
    let (status, body, _) = send(client.post(format!("{base}/pets")).bearer_auth(&admin)).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (201, Some("Pet added by auth0|admin"))
    );
    assert_eq!(
        send(client.post(format!("{base}/pets")).bearer_auth(&buyer)).await.0,
        403
    );
    let (status, body, _) = send(client.post(format!("{base}/pets/purchase")).bearer_auth(&buyer)).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (200, Some("Purchase confirmed for google-oauth2|buyer"))
    );
    assert_eq!(
        send(client.post(format!("{base}/pets/purchase")).bearer_auth(&admin))
            .await
            .0,
        403
    );
    // Browser preflight without a token, then a denied cross-origin call the browser can read.
    let (status, _, headers) = send(
        client
            .request(reqwest::Method::OPTIONS, format!("{base}/pets/purchase"))
            .header("origin", PETS_SPA_ORIGIN)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers["access-control-allow-origin"], PETS_SPA_ORIGIN);
    let (status, _, headers) = send(
        client
            .post(format!("{base}/pets/purchase"))
            .header("origin", PETS_SPA_ORIGIN),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(headers["access-control-allow-origin"], PETS_SPA_ORIGIN);
}

#[tokio::test]
async fn claims_returns_the_verified_claims() {
    let addr = start(claims(policy_engine("claims").unwrap())).await;
    let key = dev_key("fusionauth").unwrap();
    let client = reqwest::Client::new();
    let t = fusionauth_token(&key, "richard@example.com", &["user"]);
    let (status, body, _) = send(client.get(format!("http://{addr}/claims")).bearer_auth(&t)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["issuer"], "fusion");
    assert_eq!(body["claims"]["email"], "richard@example.com");
    assert_eq!(body["claims"]["tid"], "d7d09513-a3f5-401c-9685-34ab6c552453");
    let forged = fusionauth_token(
        &TestKey::es256("Xoq7kK3eIXryYmi50ZOvg2bcceM"),
        "mallory@example.com",
        &["admin"],
    );
    assert_eq!(
        send(client.get(format!("http://{addr}/claims")).bearer_auth(forged))
            .await
            .0,
        401
    );
}

/// What each kind of request must get.
#[derive(Clone)]
struct Case {
    method: &'static str,
    path: &'static str,
    token: Option<String>,
    want: StatusCode,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_thousand_requests_from_64_tasks_no_wrong_decision() {
    let app = pets(policy_engine("pets").unwrap());
    let key = dev_key("auth0").unwrap();
    let stranger = TestKey::rsa("Iw0NsTIfEuaHkhVcz7d2D", "RS256");
    let admin = auth0_token(&key, auth0_claims("auth0|admin", "", &["admin"]));
    let buyer = auth0_token(&key, auth0_claims("buyer", "pets:buy", &[]));
    let mut cases = vec![
        Case {
            method: "POST",
            path: "/pets",
            token: Some(admin.clone()),
            want: StatusCode::CREATED,
        },
        Case {
            method: "POST",
            path: "/pets/purchase",
            token: Some(admin),
            want: StatusCode::FORBIDDEN,
        },
        Case {
            method: "POST",
            path: "/pets/purchase",
            token: Some(buyer.clone()),
            want: StatusCode::OK,
        },
        Case {
            method: "POST",
            path: "/pets",
            token: Some(buyer),
            want: StatusCode::FORBIDDEN,
        },
        Case {
            method: "GET",
            path: "/pets",
            token: None,
            want: StatusCode::OK,
        },
        Case {
            method: "POST",
            path: "/pets",
            token: None,
            want: StatusCode::UNAUTHORIZED,
        },
        Case {
            method: "POST",
            path: "/pets",
            token: Some("garbage".into()),
            want: StatusCode::UNAUTHORIZED,
        },
        Case {
            method: "POST",
            path: "/pets",
            token: Some(format!(
                "{}.{}.",
                b64(br#"{"alg":"none"}"#),
                b64(auth0_claims("x", "", &["admin"]).to_string().as_bytes())
            )),
            want: StatusCode::UNAUTHORIZED,
        },
        Case {
            method: "POST",
            path: "/pets",
            token: Some(auth0_token(&stranger, auth0_claims("mallory", "", &["admin"]))),
            want: StatusCode::UNAUTHORIZED,
        },
        Case {
            method: "POST",
            path: "/pets/../pets",
            token: None,
            want: StatusCode::BAD_REQUEST,
        },
    ];
    // Fresh tokens: each verified once, then served from the identity cache.
    for i in 0..150 {
        let admin = i % 2 == 0;
        let roles: &[&str] = if admin { &["admin"] } else { &[] };
        let t = auth0_token(&key, auth0_claims(&format!("user{i}"), "pets:buy", roles));
        cases.push(Case {
            method: "POST",
            path: "/pets/purchase",
            token: Some(t),
            want: if admin { StatusCode::FORBIDDEN } else { StatusCode::OK },
        });
    }
    let cases = Arc::new(cases);
    let wrong = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for task in 0..64usize {
        let (app, cases, wrong, done) = (app.clone(), Arc::clone(&cases), Arc::clone(&wrong), Arc::clone(&done));
        tasks.push(tokio::spawn(async move {
            for n in 0..(20_000 / 64 + 1) {
                let i = task * 7919 + n * 31;
                if task * (20_000 / 64 + 1) + n >= 20_000 {
                    break;
                }
                let case = &cases[i % cases.len()];
                let mut req = Request::builder().method(case.method).uri(case.path);
                if let Some(t) = &case.token {
                    req = req.header("authorization", format!("Bearer {t}"));
                }
                let response = app.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
                if response.status() != case.want {
                    wrong.fetch_add(1, Ordering::Relaxed);
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(done.load(Ordering::Relaxed), 20_000);
    assert_eq!(wrong.load(Ordering::Relaxed), 0, "wrong decisions");
}
