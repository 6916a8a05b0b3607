//! scopegate: route-level authorization for APIs that trust JWTs from several identity
//! providers.
//!
//! A policy file names the trusted issuers and what each route requires. It is compiled once
//! into an [`Engine`], which answers each request with a [`Decision`]: allow (with a
//! [`Grant`]), 401 or 403, with a stable [`ReasonCode`] and an explanation.
//!
//! ```
//! use scopegate::{AuthRequest, Engine, Format, LoadedPolicy, ReasonCode};
//!
//! let policy = LoadedPolicy::parse(r#"
//!     version = 1
//!     [[issuers]]
//!     id = "auth0"
//!     profile = "auth0"
//!     domain = "pets.us.auth0.com"
//!     audiences = ["https://pets.example.com"]
//!     jwks = '{"keys": []}'
//!
//!     [[routes]]
//!     route = "POST /pets"
//!     require = "role:admin"
//!
//!     [[routes]]
//!     route = "GET /pets"
//!     allow = "anonymous"
//! "#, Format::Toml, "pets.toml")?;
//! let engine = Engine::compile(&policy)?.engine;
//!
//! assert!(engine.decide(&AuthRequest::new("GET", "/pets")).is_allowed());
//! let denied = engine.decide(&AuthRequest::new("POST", "/pets"));
//! assert_eq!(denied.reason_code(), Some(ReasonCode::MissingToken));
//! assert_eq!(denied.status(), 401);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The pipeline keeps source and compiled forms apart: [`policy`] (the file as data) ->
//! [`Engine::compile`] (issuers, [`RouteTable`], interned requirements, parsed keys) ->
//! [`Engine::decide`].

mod analysis;
mod cache;
mod compile;
mod decision;
mod engine;
pub mod expr;
#[cfg(feature = "network")]
pub mod fetch;
mod identity;
mod key_fetch;
pub mod keys;
pub mod policy;
pub mod profile;
#[cfg(feature = "network")]
pub mod remote;
pub mod routes;
mod rules;
pub mod token;
mod verify;

pub use compile::{CompileError, Diagnostic, Severity};
pub use decision::{Decision, Denial, Grant, GrantBasis, MatchedRoute, ReasonCode, Rejection};
pub use engine::{AuthRequest, Compiled, Engine, LoadError, RouteView, Settings};
pub use identity::Identity;
pub use jsonwebtoken::Algorithm;
pub use key_fetch::{KeyFetch, WarmUp};
pub use policy::{Format, LoadedPolicy, Location, PolicyError, PolicySource};
#[cfg(feature = "network")]
pub use remote::{KeySource, KeyStats};
pub use routes::{RouteId, RouteKey, RouteTable};
pub use verify::{Issuer, IssuerTable};
