//! `/auth` and the Envoy HTTP mode, from the gateway's side and the attacker's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{client, header, start};
use scopegate_testkit::fixtures::{a0b, auth0_claims, auth0_token, keys};

async fn auth(addr: std::net::SocketAddr, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = client().get(format!("http://{addr}/auth"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn allow_carries_identity_headers_and_denials_carry_the_challenge() {
    let (addr, _) = start("").await;
    let admin = format!("Bearer {}", auth0_token("openid", &["admin"]));
    let r = auth(
        addr,
        &[
            ("x-original-method", "POST"),
            ("x-original-uri", "/pets?debug=1"),
            ("authorization", &admin),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        header(&r, "x-auth-subject").as_deref(),
        Some("auth0|602c0dcab993d10073daf680")
    );
    assert_eq!(header(&r, "x-auth-issuer").as_deref(), Some("auth0"));
    assert_eq!(header(&r, "x-auth-client").as_deref(), Some("spa-client"));
    assert_eq!(header(&r, "x-auth-scopes").as_deref(), Some("openid"));
    assert_eq!(header(&r, "x-auth-roles").as_deref(), Some("admin"));
    assert_eq!(header(&r, "x-auth-azp").as_deref(), Some("spa-client"));

    // No token: 401 with the bare RFC 6750 challenge.
    let r = auth(addr, &[("x-original-method", "POST"), ("x-original-uri", "/pets")]).await;
    assert_eq!(r.status(), 401);
    assert_eq!(header(&r, "www-authenticate").as_deref(), Some("Bearer realm=\"api\""));
    assert_eq!(header(&r, "x-auth-subject"), None);

    // Valid token without the role: 403 with the insufficient_scope challenge.
    let user = format!("Bearer {}", auth0_token("openid", &[]));
    let r = auth(
        addr,
        &[
            ("x-forwarded-method", "POST"),
            ("x-forwarded-uri", "/pets"),
            ("authorization", &user),
        ],
    )
    .await;
    assert_eq!(r.status(), 403);
    assert!(
        header(&r, "www-authenticate")
            .unwrap()
            .contains("error=\"insufficient_scope\"")
    );

    // Expired token: 401 invalid_token.
    let mut claims = auth0_claims("openid", &["admin"]);
    claims["exp"] = serde_json::json!(1);
    let expired = format!("Bearer {}", a0b(claims).sign(&keys().auth0));
    let r = auth(
        addr,
        &[
            ("x-original-method", "POST"),
            ("x-original-uri", "/pets"),
            ("authorization", &expired),
        ],
    )
    .await;
    assert_eq!(r.status(), 401);
    assert!(
        header(&r, "www-authenticate")
            .unwrap()
            .contains("error=\"invalid_token\"")
    );
}

#[tokio::test]
async fn anonymous_allow_clears_every_identity_header() {
    let (addr, _) = start("").await;
    let r = auth(
        addr,
        &[
            ("x-original-method", "GET"),
            ("x-original-uri", "/pets"),
            ("x-auth-subject", "admin"),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    for h in [
        "x-auth-subject",
        "x-auth-issuer",
        "x-auth-client",
        "x-auth-scopes",
        "x-auth-roles",
        "x-auth-azp",
    ] {
        assert_eq!(header(&r, h).as_deref(), Some(""), "{h}");
    }
}

#[tokio::test]
async fn a_missing_description_is_a_server_error_never_an_allow() {
    let (addr, _) = start("").await;
    for headers in [
        vec![],
        vec![("x-original-uri", "/pets")],
        vec![("x-forwarded-method", "GET")],
    ] {
        let r = auth(addr, &headers).await;
        assert_eq!(r.status(), 500, "{headers:?}");
        assert_eq!(header(&r, "x-auth-subject"), None);
    }
    // In `original` mode the forwarded pair does not count.
    let (addr, _) = start("original_request = \"original\"").await;
    let r = auth(addr, &[("x-forwarded-method", "GET"), ("x-forwarded-uri", "/pets")]).await;
    assert_eq!(r.status(), 500);
}

#[tokio::test]
async fn attacker_descriptions_are_refused() {
    let (addr, _) = start("").await;
    let user = format!("Bearer {}", auth0_token("openid", &[]));
    // A client adds the pair its gateway does not set, pointing at an anonymous route.
    let r = auth(
        addr,
        &[
            ("x-original-method", "GET"),
            ("x-original-uri", "/pets"),
            ("x-forwarded-method", "POST"),
            ("x-forwarded-uri", "/pets"),
        ],
    )
    .await;
    assert_eq!(r.status(), 403);
    // Paths the upstream could read differently from the policy.
    for uri in [
        "/pets/%2e%2e/pets",
        "/pets//7",
        "/pets/%2F7",
        "pets",
        "http://evil/pets",
    ] {
        let r = auth(
            addr,
            &[
                ("x-original-method", "GET"),
                ("x-original-uri", uri),
                ("authorization", &user),
            ],
        )
        .await;
        assert_eq!(r.status(), 403, "{uri}");
    }
    // A repeated description header.
    let r = client()
        .get(format!("http://{addr}/auth"))
        .header("x-original-method", "GET")
        .header("x-original-uri", "/pets")
        .header("x-original-uri", "/pets/7")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // A bad signature is 401 whatever the route.
    let forged = format!(
        "Bearer {}",
        a0b(auth0_claims("openid", &["admin"])).sign(&keys().asg_rs)
    );
    let r = auth(
        addr,
        &[
            ("x-original-method", "POST"),
            ("x-original-uri", "/pets"),
            ("authorization", &forged),
        ],
    )
    .await;
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn envoy_http_mode_reads_method_and_path_after_the_prefix() {
    let (addr, _) = start("envoy_path_prefix = \"/ext\"").await;
    let admin = format!("Bearer {}", auth0_token("pets:buy", &["admin"]));
    let c = client();
    let r = c
        .get(format!("http://{addr}/ext/pets/7?x=1"))
        .header("authorization", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "x-auth-issuer").as_deref(), Some("auth0"));
    let r = c.post(format!("http://{addr}/ext/pets")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(header(&r, "www-authenticate").as_deref(), Some("Bearer realm=\"api\""));
    let r = c
        .delete(format!("http://{addr}/ext/pets/7"))
        .header("authorization", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = c.get(format!("http://{addr}/ext/pets//7")).send().await.unwrap();
    assert_eq!(r.status(), 403);
    // The root path: `{prefix}/`, no route for it, no token.
    let r = c.get(format!("http://{addr}/ext/")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    // Outside the prefix: not an Envoy check.
    let r = c.get(format!("http://{addr}/extpets")).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn health_and_readiness_with_offline_keys() {
    let (addr, _) = start("").await;
    let c = client();
    assert_eq!(
        c.get(format!("http://{addr}/healthz")).send().await.unwrap().status(),
        200
    );
    assert_eq!(
        c.get(format!("http://{addr}/readyz")).send().await.unwrap().status(),
        200
    );
    // No recorder in this sidecar.
    assert_eq!(
        c.get(format!("http://{addr}/metrics")).send().await.unwrap().status(),
        404
    );
}

#[tokio::test]
async fn a_configured_token_header_is_read_instead_of_authorization() {
    let (addr, _) = start("token_header = \"X-Access-Token\"").await;
    let token = auth0_token("openid", &["admin"]);
    let describe = [("x-original-method", "POST"), ("x-original-uri", "/pets")];
    let with = |extra: (&'static str, String)| {
        let mut req = client().get(format!("http://{addr}/auth"));
        for (k, v) in describe {
            req = req.header(k, v);
        }
        req.header(extra.0, extra.1).send()
    };
    // Bearer prefix optional in a dedicated header.
    assert_eq!(with(("x-access-token", token.clone())).await.unwrap().status(), 200);
    assert_eq!(
        with(("x-access-token", format!("Bearer {token}")))
            .await
            .unwrap()
            .status(),
        200
    );
    // Authorization is not read any more.
    assert_eq!(
        with(("authorization", format!("Bearer {token}")))
            .await
            .unwrap()
            .status(),
        401
    );
}
