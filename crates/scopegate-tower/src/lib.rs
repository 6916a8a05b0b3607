//! scopegate as tower middleware.
//!
//! One [`ScopeGateLayer`] in front of any tower service (axum first) enforces a scopegate
//! policy: the same file that drives the CLI and the Lambda authorizer. The layer holds no
//! policy logic: it extracts the token, asks the [`scopegate::Engine`], and renders the answer.
//!
//! ```
//! use std::sync::Arc;
//! use http::{Request, Response, StatusCode};
//! use scopegate::{Engine, Format, Grant, LoadedPolicy};
//! use scopegate_tower::ScopeGateLayer;
//! use tower::{ServiceBuilder, ServiceExt};
//!
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//! let policy = LoadedPolicy::parse(r#"
//!     version = 1
//!     [[issuers]]
//!     id = "auth0"
//!     profile = "auth0"
//!     domain = "pets.us.auth0.com"
//!     audiences = ["https://pets.example.com"]
//!     jwks = '{"keys": []}'
//!     [[routes]]
//!     route = "GET /pets"
//!     allow = "anonymous"
//!     [[routes]]
//!     route = "POST /pets"
//!     require = "role:admin"
//! "#, Format::Toml, "pets.toml")?;
//! let engine = Arc::new(Engine::compile(&policy)?.engine);
//!
//! let service = ServiceBuilder::new()
//!     .layer(ScopeGateLayer::new(engine))
//!     .service_fn(|req: Request<String>| async move {
//!         // Allowed requests carry the Grant.
//!         let anonymous = req.extensions().get::<Grant>().is_some_and(|g| g.identity.is_none());
//!         Ok::<_, std::convert::Infallible>(Response::new(format!("anonymous: {anonymous}")))
//!     });
//!
//! let ok = service.clone().oneshot(Request::get("/pets").body(String::new())?).await?;
//! assert_eq!(ok.into_body(), "anonymous: true");
//! let denied = service.oneshot(Request::post("/pets").body(String::new())?).await?;
//! assert_eq!(denied.status(), StatusCode::UNAUTHORIZED);
//! assert_eq!(denied.into_body(), r#"{"message":"Unauthorized"}"#);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Path safety
//! The policy matches the raw request path, so a path that routers could read in two ways is
//! refused with 400 before matching: empty segments (`//`), `.` and `..` segments (also
//! percent-encoded), percent-encoded `/` or `\`, a raw `\`, percent-encoded unreserved
//! characters (`%61`), malformed escapes, and escapes that decode to invalid UTF-8 or control
//! characters. The policy and the inner router therefore never see different paths.
//!
//! # CORS
//! With `settings.cors_preflight = "allow"` in the policy, an `OPTIONS` request with `Origin`
//! and `Access-Control-Request-Method` passes without a token. Put tower-http's `CorsLayer`
//! outside this layer to answer it.

mod extract;
mod handle;
mod layer;
mod render;

#[cfg(feature = "axum")]
mod extractor;

pub use extract::TokenSource;
#[cfg(feature = "axum")]
pub use extractor::{Authorized, MissingGrant};
pub use handle::{EngineHandle, ShadowStats};
pub use layer::{ResponseFuture, ScopeGate, ScopeGateLayer, ScopeGateLayerBuilder};
pub use render::{ChallengeStyle, challenge};
