//! The axum extractor for the [`Grant`] the layer put in the request.

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;
use scopegate::Grant;

/// The grant of an allowed request, for axum handlers behind [`crate::ScopeGateLayer`].
///
/// ```
/// use scopegate_tower::Authorized;
///
/// async fn user(Authorized(grant): Authorized) -> String {
///     format!("Welcome {}!", grant.subject().unwrap_or("anonymous"))
/// }
/// let app: axum::Router = axum::Router::new().route("/user", axum::routing::get(user));
/// ```
#[derive(Debug, Clone)]
pub struct Authorized(pub Grant);

/// The handler is not behind a [`crate::ScopeGateLayer`]: a server bug, answered with 500.
#[derive(Debug, Clone, Copy)]
pub struct MissingGrant;

impl IntoResponse for MissingGrant {
    fn into_response(self) -> Response {
        (StatusCode::INTERNAL_SERVER_ERROR, "authorization layer missing").into_response()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Authorized {
    type Rejection = MissingGrant;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Grant>()
            .cloned()
            .map(Authorized)
            .ok_or(MissingGrant)
    }
}
