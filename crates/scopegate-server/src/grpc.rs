//! Envoy's gRPC ext_authz service: `envoy.service.auth.v3.Authorization/Check`.

use envoy_types::ext_authz::v3::pb::{Authorization, CheckRequest, CheckResponse, HeaderAppendAction, HttpStatusCode};
use envoy_types::ext_authz::v3::{CheckResponseExt, DeniedHttpResponseBuilder, OkHttpResponseBuilder};
use scopegate::unverified::{Credentials, Scheme, is_cors_preflight};
use tonic::{Request, Response, Status};

use crate::App;
use crate::check::{Original, Outcome, check};
use crate::ops::count_status;

/// The `Authorization` service over the sidecar's engine and settings.
#[derive(Debug, Clone)]
pub struct GrpcCheck {
    pub(crate) app: App,
}

fn http_status(status: http::StatusCode) -> HttpStatusCode {
    match status.as_u16() {
        401 => HttpStatusCode::Unauthorized,
        403 => HttpStatusCode::Forbidden,
        _ => HttpStatusCode::InternalServerError,
    }
}

fn answer(outcome: Outcome) -> CheckResponse {
    let status = outcome.status();
    let mut response = CheckResponse::new();
    match outcome {
        Outcome::Allow(headers) => {
            let mut ok = OkHttpResponseBuilder::new();
            for (name, value) in headers {
                // Set what the identity has, remove the rest: a client's own X-Auth-* never
                // reaches the upstream.
                match value.as_ref().and_then(|v| v.to_str().ok()) {
                    Some(v) => {
                        ok.add_header(
                            name.as_str(),
                            v,
                            Some(HeaderAppendAction::OverwriteIfExistsOrAdd),
                            false,
                        );
                    }
                    None => {
                        ok.remove_header(name.as_str());
                    }
                }
            }
            response.set_status(Status::ok("allowed")).set_http_response(ok);
        }
        Outcome::Deny { challenge, .. } => {
            let mut denied = DeniedHttpResponseBuilder::new();
            denied.set_http_status(http_status(status));
            if let Some(c) = challenge.as_ref().and_then(|c| c.to_str().ok()) {
                denied.add_header("www-authenticate", c, None, false);
            }
            let code = if status == http::StatusCode::UNAUTHORIZED {
                Status::unauthenticated("unauthorized")
            } else {
                Status::permission_denied("forbidden")
            };
            response.set_status(code).set_http_response(denied);
        }
        Outcome::Misconfigured(why) => {
            let mut denied = DeniedHttpResponseBuilder::new();
            denied.set_http_status(http_status(status));
            response
                .set_status(Status::invalid_argument(why))
                .set_http_response(denied);
        }
    }
    response
}

#[tonic::async_trait]
impl Authorization for GrpcCheck {
    async fn check(&self, request: Request<CheckRequest>) -> Result<Response<CheckResponse>, Status> {
        let request = request.into_inner();
        let http = request
            .attributes
            .as_ref()
            .and_then(|a| a.request.as_ref())
            .and_then(|r| r.http.as_ref());
        let outcome = match http {
            None => Outcome::Misconfigured("the check request carries no HTTP request attributes"),
            Some(http) if http.method.is_empty() || http.path.is_empty() => {
                Outcome::Misconfigured("the check request has no method or path")
            }
            Some(http) => {
                // Envoy lower-cases header names in the map.
                let name = self.app.config.token_header.as_str();
                let credentials = match http.headers.get(name) {
                    None => Credentials::Absent,
                    Some(v) if name == "authorization" => Credentials::parse(v, Scheme::Required),
                    Some(v) => Credentials::parse(v, Scheme::Optional),
                };
                let original = Original {
                    method: &http.method,
                    target: &http.path,
                    credentials,
                    preflight: is_cors_preflight(&http.method, |h| http.headers.contains_key(h)),
                };
                check(&self.app.engine, &self.app.config, original).await
            }
        };
        count_status("grpc_check", outcome.status().as_u16());
        Ok(Response::new(answer(outcome)))
    }
}
