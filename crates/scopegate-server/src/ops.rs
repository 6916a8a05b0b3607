//! Operations endpoints: liveness, readiness, Prometheus metrics, and the request counter.

use axum::body::Body;
use axum::extract::State;
use axum::http::{Response, StatusCode, header};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::App;

/// The counter every endpoint records: `scopegate_http_requests_total{endpoint, status}`.
pub const HTTP_REQUESTS: &str = "scopegate_http_requests_total";

/// Counts one answered request; returns it unchanged.
pub(crate) fn count(endpoint: &'static str, response: Response<Body>) -> Response<Body> {
    count_status(endpoint, response.status().as_u16());
    response
}

/// Counts one answer by status code (gRPC `Check` counts the HTTP status it tells Envoy).
pub(crate) fn count_status(endpoint: &'static str, status: u16) {
    metrics::counter!(HTTP_REQUESTS, "endpoint" => endpoint, "status" => status.to_string()).increment(1);
}

/// Installs the process-wide Prometheus recorder; `None` when another recorder is installed.
pub fn install_prometheus() -> Option<PrometheusHandle> {
    match PrometheusBuilder::new().install_recorder() {
        Ok(handle) => Some(handle),
        Err(e) => {
            tracing::warn!(error = %e, "metrics recorder not installed; /metrics answers 404");
            None
        }
    }
}

fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
}

/// `/healthz`: the process answers.
pub(crate) async fn healthz() -> Response<Body> {
    count("healthz", text(StatusCode::OK, "ok\n"))
}

/// `/readyz`: every network issuer of the current policy has fetched its keys at least once.
pub(crate) async fn readyz(State(app): State<App>) -> Response<Body> {
    let engine = app.engine.current();
    let waiting = engine
        .key_stats()
        .iter()
        .filter(|(_, s)| s.fetches <= s.failures)
        .count();
    let response = if waiting == 0 {
        text(StatusCode::OK, "ready\n")
    } else {
        text(StatusCode::SERVICE_UNAVAILABLE, "keys not fetched yet\n")
    };
    count("readyz", response)
}

/// `/metrics`: Prometheus text format.
pub(crate) async fn metrics(State(app): State<App>) -> Response<Body> {
    let Some(handle) = &app.metrics else {
        return count("metrics", text(StatusCode::NOT_FOUND, "no metrics recorder\n"));
    };
    count_status("metrics", 200);
    let mut response = Response::new(Body::from(handle.render()));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    response
}
