//! The pharmacy service for `benches/http.sh`, so a load generator can measure what the layer
//! costs over HTTP.
//!
//! ```text
//! http-bench bare|layer|pharmacy   serve on 127.0.0.1:$PORT (0: any free port; address printed)
//! http-bench tokens                print a valid token, then it with a broken signature
//! ```
//!
//! `bare`: `GET /user` answering a fixed greeting, no layer. `layer`: the same router behind
//! `ScopeGateLayer` with the pharmacy policy (the layer's cost alone). `pharmacy`: the example
//! as shipped, whose handler also reads the grant to greet the caller by name.
//!
//! `$THREADS` sets the tokio worker threads (default 1, so that `taskset` can give the server
//! one core and the load generator the other).

use axum::Router;
use axum::routing::get;
use scopegate_examples::services::{local_addr, pharmacy, policy_engine, serve};
use scopegate_examples::{asgardeo_token, dev_key};
use scopegate_tower::ScopeGateLayer;

const USAGE: &str = "usage: http-bench (bare|layer|pharmacy|tokens)";

/// The bare router: the same route and a handler answering the same shape, no layer.
fn bare() -> Router {
    async fn user() -> axum::Json<serde_json::Value> {
        axum::Json(serde_json::json!({"message": "Welcome alice@pharmacy!"}))
    }
    Router::new().route("/user", get(user))
}

/// The token with its signature's first character changed: well formed, same `kid`, and a
/// different signature (the first base64url character holds no padding bits).
fn break_signature(token: &str) -> Option<String> {
    let dot = token.rfind('.')?;
    let (head, sig) = token.split_at(dot + 1);
    let first = sig.chars().next()?;
    let swapped = if first == 'A' { 'B' } else { 'A' };
    Some(format!("{head}{swapped}{}", sig.get(1..)?))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mode = std::env::args().nth(1).ok_or(USAGE)?;
    if mode == "tokens" {
        let valid = asgardeo_token(&dev_key("asgardeo")?, "alice@pharmacy", "openid get_pharmacy_user");
        let forged = break_signature(&valid).ok_or("token without a signature")?;
        println!("{valid}\n{forged}");
        return Ok(());
    }
    let router = match mode.as_str() {
        "layer" => bare().layer(ScopeGateLayer::new(policy_engine("pharmacy")?)),
        "pharmacy" => pharmacy(policy_engine("pharmacy")?),
        "bare" => bare(),
        _ => return Err(USAGE.into()),
    };
    let threads = std::env::var("THREADS").ok().and_then(|t| t.parse().ok()).unwrap_or(1);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()?
        .block_on(serve(router, local_addr(0)))?;
    Ok(())
}
