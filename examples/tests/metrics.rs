//! The pharmacy service with `/metrics`: the Prometheus recorder installed for the process (its
//! own test binary, since the recorder is global), scraped over a real socket without a token.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use scopegate_examples::services::{install_prometheus, pharmacy, policy_engine, with_metrics};
use scopegate_examples::{asgardeo_token, dev_key};

#[tokio::test]
async fn pharmacy_exposes_prometheus_metrics_without_a_token() {
    let handle = install_prometheus().unwrap();
    let router = with_metrics(pharmacy(policy_engine("pharmacy").unwrap()), handle);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });

    let key = dev_key("asgardeo").unwrap();
    let client = reqwest::Client::new();
    let user = format!("http://{addr}/user");
    let ok = asgardeo_token(&key, "alice@pharmacy", "openid get_pharmacy_user");
    let no_scope = asgardeo_token(&key, "bob", "openid");
    for (token, status) in [(Some(&ok), 200), (Some(&no_scope), 403), (None, 401), (Some(&ok), 200)] {
        let mut req = client.get(&user);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        assert_eq!(req.send().await.unwrap().status().as_u16(), status);
    }

    let r = client.get(format!("http://{addr}/metrics")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "the scraper needs no token");
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = r.text().await.unwrap();
    // Two allowed requests reached the handler; the 403 and the 401 never did.
    assert!(text.lines().any(|l| l == "pharmacy_welcomes_total 2"), "{text}");
    // scopegate's own metrics reach the same recorder (installed before the engine compiled).
    for line in [
        "scopegate_decisions_total{decision=\"allowed\",reason=\"allowed\"} 2",
        "scopegate_decisions_total{decision=\"forbidden\",reason=\"insufficient_scope\"} 1",
        "scopegate_decisions_total{decision=\"unauthorized\",reason=\"missing_token\"} 1",
        "scopegate_identity_cache_hits_total 1",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} missing from\n{text}");
    }
    assert!(!text.contains(&ok), "token material never reaches the metrics");
}
