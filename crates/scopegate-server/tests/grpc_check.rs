//! Envoy's gRPC `Check`, called with a tonic client over the same envoy-types protos.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;

use envoy_types::ext_authz::v3::pb::HeaderAppendAction;
use envoy_types::pb::envoy::service::auth::v3::attribute_context::{HttpRequest, Request as AttrRequest};
use envoy_types::pb::envoy::service::auth::v3::authorization_client::AuthorizationClient;
use envoy_types::pb::envoy::service::auth::v3::check_response::HttpResponse;
use envoy_types::pb::envoy::service::auth::v3::{AttributeContext, CheckRequest, CheckResponse};
use scopegate_testkit::fixtures::auth0_token;
use tonic::transport::Channel;

async fn grpc() -> AuthorizationClient<Channel> {
    let (_, sidecar) = common::start("").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = sidecar.grpc();
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener))
            .await
            .unwrap()
    });
    AuthorizationClient::connect(format!("http://{addr}")).await.unwrap()
}

fn request(method: &str, path: &str, headers: &[(&str, &str)]) -> CheckRequest {
    let headers: HashMap<String, String> = headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    CheckRequest {
        attributes: Some(AttributeContext {
            request: Some(AttrRequest {
                http: Some(HttpRequest {
                    method: method.into(),
                    path: path.into(),
                    headers,
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }),
    }
}

fn header(resp: &CheckResponse, name: &str) -> Option<String> {
    let headers = match resp.http_response.as_ref()? {
        HttpResponse::OkResponse(ok) => &ok.headers,
        HttpResponse::DeniedResponse(d) => &d.headers,
        _ => return None,
    };
    headers
        .iter()
        .filter_map(|h| h.header.as_ref())
        .find(|h| h.key.eq_ignore_ascii_case(name))
        .map(|h| h.value.clone())
}

fn code(resp: &CheckResponse) -> i32 {
    resp.status.as_ref().map_or(-1, |s| s.code)
}

fn denied_status(resp: &CheckResponse) -> Option<i32> {
    match resp.http_response.as_ref()? {
        HttpResponse::DeniedResponse(d) => d.status.as_ref().map(|s| s.code),
        _ => None,
    }
}

#[tokio::test]
async fn check_allows_with_identity_headers_and_removes_the_unset_ones() {
    let mut client = grpc().await;
    let admin = format!("Bearer {}", auth0_token("openid", &["admin"]));
    let resp = client
        .check(request(
            "POST",
            "/pets?x=1",
            &[("authorization", &admin), ("x-auth-client", "forged")],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(code(&resp), 0, "{resp:?}");
    assert_eq!(
        header(&resp, "x-auth-subject").as_deref(),
        Some("auth0|602c0dcab993d10073daf680")
    );
    assert_eq!(header(&resp, "x-auth-roles").as_deref(), Some("admin"));
    let Some(HttpResponse::OkResponse(ok)) = &resp.http_response else {
        panic!("{resp:?}")
    };
    // Overwrite, never append to what the client sent.
    assert!(
        ok.headers
            .iter()
            .all(|h| h.append_action == HeaderAppendAction::OverwriteIfExistsOrAdd as i32),
        "{ok:?}"
    );

    // Anonymous route: every identity header is removed upstream.
    let resp = client
        .check(request("GET", "/pets", &[("x-auth-subject", "admin")]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(code(&resp), 0);
    let Some(HttpResponse::OkResponse(ok)) = &resp.http_response else {
        panic!("{resp:?}")
    };
    assert!(ok.headers.is_empty());
    assert!(
        ok.headers_to_remove
            .iter()
            .any(|h| h.eq_ignore_ascii_case("x-auth-subject")),
        "{ok:?}"
    );
}

#[tokio::test]
async fn check_denies_with_status_and_challenge() {
    let mut client = grpc().await;
    let resp = client.check(request("POST", "/pets", &[])).await.unwrap().into_inner();
    assert_eq!(code(&resp), tonic::Code::Unauthenticated as i32);
    assert_eq!(denied_status(&resp), Some(401));
    assert_eq!(
        header(&resp, "www-authenticate").as_deref(),
        Some("Bearer realm=\"api\"")
    );

    let user = format!("Bearer {}", auth0_token("openid", &[]));
    let resp = client
        .check(request("POST", "/pets", &[("authorization", &user)]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(code(&resp), tonic::Code::PermissionDenied as i32);
    assert_eq!(denied_status(&resp), Some(403));
    assert!(
        header(&resp, "www-authenticate")
            .unwrap()
            .contains("insufficient_scope")
    );

    let resp = client
        .check(request("GET", "/pets/%2e%2e/admin", &[]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(denied_status(&resp), Some(403));

    // No HTTP attributes: a configuration error, never OK.
    let resp = client.check(CheckRequest::default()).await.unwrap().into_inner();
    assert_ne!(code(&resp), 0);
    assert_eq!(denied_status(&resp), Some(500));
}
