//! The Lambda `bootstrap` binary: a scopegate authorizer for API Gateway.
//!
//! Reads the policy from `SCOPEGATE_POLICY` (a file path) or `SCOPEGATE_POLICY_JSON` (the
//! policy as JSON), compiles it once per cold start, and serves authorizer events through the
//! Lambda Runtime API. `SCOPEGATE_WARM_KEYS=1` fetches every network issuer's keys before the first
//! event. Logs are JSON lines (`tracing`); `RUST_LOG` filters them (default `info`).

use std::process::ExitCode;
use std::sync::Arc;

use lambda_runtime::{LambdaEvent, service_fn};
use scopegate_lambda::Authorizer;
use serde_json::Value;
use tracing_subscriber::EnvFilter;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_current_span(false)
        .without_time()
        .with_target(false)
        .init();
    let authorizer = match Authorizer::from_env() {
        Ok(a) => Arc::new(a),
        Err(e) => {
            tracing::error!(error = %e, "cannot start the authorizer");
            return ExitCode::from(2);
        }
    };
    if std::env::var_os("SCOPEGATE_WARM_KEYS").is_some_and(|v| v != "0") {
        let ready = authorizer.warm().await;
        tracing::info!(ready, "issuer keys warmed");
    }
    tracing::info!(
        routes = authorizer.engine().route_table().len(),
        witnesses = authorizer.planner().witness_count(),
        "scopegate authorizer ready"
    );
    let handler = service_fn(move |event: LambdaEvent<Value>| {
        let authorizer = Arc::clone(&authorizer);
        async move { authorizer.handle_event(event).await }
    });
    match lambda_runtime::run(handler).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "the Lambda runtime stopped");
            ExitCode::FAILURE
        }
    }
}
