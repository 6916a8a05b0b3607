//! The Lambda `bootstrap` binary: a scopegate authorizer for API Gateway.
//!
//! Reads the policy from `SCOPEGATE_POLICY` (a file path) or `SCOPEGATE_POLICY_JSON` (the
//! policy as JSON), compiles it once per cold start, and serves authorizer events through the
//! Lambda Runtime API. `SCOPEGATE_WARM_KEYS=1` fetches every network issuer's keys before the first
//! event. Logs are JSON lines (`tracing`); `RUST_LOG` filters them (default `info`).
//!
//! `SCOPEGATE_EMF=1` (opt-in) installs a `metrics` recorder that writes the core's and the
//! adapter's metrics to stdout as CloudWatch Embedded Metric Format JSON lines, one flush per
//! invocation with the request id as the `RequestId` property; CloudWatch Logs turns them into
//! metrics in the namespace `SCOPEGATE_EMF_NAMESPACE` (default `scopegate`), with the function
//! name as the `function` dimension.

use std::process::ExitCode;
use std::sync::Arc;

use lambda_runtime::{LambdaEvent, service_fn};
use scopegate_lambda::Authorizer;
use serde_json::Value;
use tracing_subscriber::EnvFilter;

#[cfg(feature = "emf")]
mod emf {
    use metrics_cloudwatch_embedded::{Builder, Collector};

    /// The EMF collector, installed as the global `metrics` recorder, when `SCOPEGATE_EMF` is on.
    pub fn from_env() -> Option<&'static Collector> {
        if !std::env::var_os("SCOPEGATE_EMF").is_some_and(|v| v != "0" && !v.is_empty()) {
            return None;
        }
        let namespace = std::env::var("SCOPEGATE_EMF_NAMESPACE").unwrap_or_else(|_| "scopegate".into());
        let mut builder = Builder::new().cloudwatch_namespace(namespace);
        if let Ok(function) = std::env::var("AWS_LAMBDA_FUNCTION_NAME") {
            builder = builder.with_dimension("function", function);
        }
        match builder.init() {
            Ok(collector) => Some(collector),
            Err(e) => {
                tracing::warn!(error = %e, "cannot install the EMF metrics recorder; metrics are off");
                None
            }
        }
    }

    /// Writes this invocation's metrics as EMF lines on stdout.
    pub fn flush(collector: &Collector, request_id: String) {
        let out = std::io::stdout().lock();
        if let Err(e) = collector.set_property("RequestId", request_id).flush(out) {
            tracing::warn!(error = %e, "cannot write EMF metrics");
        }
    }
}

#[cfg(not(feature = "emf"))]
mod emf {
    /// Without the `emf` feature there is no collector.
    #[derive(Clone, Copy)]
    pub enum Collector {}

    pub fn from_env() -> Option<&'static Collector> {
        if std::env::var_os("SCOPEGATE_EMF").is_some() {
            tracing::warn!("SCOPEGATE_EMF is set but this bootstrap was built without the `emf` feature");
        }
        None
    }

    pub fn flush(collector: &Collector, _request_id: String) {
        match *collector {}
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_current_span(false)
        .without_time()
        .with_target(false)
        .init();
    // Before the policy and the key warm-up, so that their metrics (JWKS fetches) are recorded.
    let emf = emf::from_env();
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
        async move {
            let request_id = emf.map(|_| event.context.request_id.clone());
            let answer = authorizer.handle_event(event).await;
            if let (Some(collector), Some(id)) = (emf, request_id) {
                emf::flush(collector, id);
            }
            answer
        }
    });
    match lambda_runtime::run(handler).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "the Lambda runtime stopped");
            ExitCode::FAILURE
        }
    }
}
