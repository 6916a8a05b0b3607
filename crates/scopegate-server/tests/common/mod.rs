//! Shared by the in-process tests: the pets policy with a `[server]` table, and a running
//! sidecar on 127.0.0.1.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;

use scopegate::{Engine, Format, LoadedPolicy};
use scopegate_server::{Overrides, ServerConfig, Sidecar};
use scopegate_testkit::fixtures::{PETS_ROUTES, auth0_issuer, jwks_inline, keys, routes};
use scopegate_tower::EngineHandle;

/// The pets policy (Auth0, inline keys) with `server` lines appended to a `[server]` table.
pub fn policy_text(server: &str) -> String {
    let mut text = String::from("version = 1\n");
    text.push_str(&auth0_issuer(&[&jwks_inline(&[&keys().auth0])]));
    text.push_str(&routes(&PETS_ROUTES));
    text.push_str("\n[server]\n");
    text.push_str(server);
    text.push_str("\n[server.claim_headers]\nazp = \"X-Auth-Azp\"\n");
    text
}

/// A sidecar over `policy_text(server)` serving HTTP on a free port; returns its address.
pub async fn start(server: &str) -> (SocketAddr, Sidecar) {
    start_with(&policy_text(server)).await
}

/// A sidecar over a whole policy text serving HTTP on a free port; returns its address.
pub async fn start_with(text: &str) -> (SocketAddr, Sidecar) {
    let loaded = LoadedPolicy::parse(text, Format::Toml, "pets.toml").unwrap();
    let config = ServerConfig::new(&loaded.source.server, &Overrides::default()).unwrap();
    let engine = EngineHandle::new(Arc::new(Engine::compile(&loaded).unwrap().engine));
    let sidecar = Sidecar::new(engine, config, None);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = sidecar.router();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (addr, sidecar)
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

pub fn header(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers().get(name).map(|v| v.to_str().unwrap().to_string())
}
