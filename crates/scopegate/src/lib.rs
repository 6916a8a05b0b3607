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
//! The crate is laid out as its pipeline: [`policy`] (the file as data) -> the compiler
//! ([`Engine::compile`]: issuers, [`RouteTable`], interned requirements, parsed keys) -> the
//! [`Engine`] (authenticate, decide, explain). Every item has one path: the root, or the two
//! public modules, [`policy`] (built field by field) and [`unverified`] (the untrusted reader,
//! named for what it does not do).

// Leaves: no imports from the rest of the crate.
mod expr;
mod reason;
mod routes;
mod text;

// The pipeline, in order: each stage imports only the leaves and the stages above it.
pub mod unverified;

pub mod policy;

mod keys;

mod model;

mod compile;

mod engine;

pub use compile::{
    AnalysisError, CompileError, Conjunction, Diagnostic, Grants, Severity, TooManyWitnesses, WitnessMode, WitnessPart,
    WitnessRequest, witness_requests,
};
pub use engine::{
    AccessChange, AuthRequest, ChangeKind, Compiled, ConfigChange, ConfigSubject, Decision, Denial, Direction, Engine,
    Grant, GrantBasis, Identity, KeyFetch, LoadError, MatchedRoute, RouteAccess, RouteView, Settings,
    SyntheticIdentity, WarmUp, access_changes, config_changes,
};
pub use expr::{Expr, ExprError};
pub use jsonwebtoken::Algorithm;
#[cfg(feature = "network")]
pub use keys::{FetchError, KeySource, KeyStats};
pub use keys::{JwksError, KeyLookupError, KeySet, KeyStore, KeysUnavailable, SkippedKey, VerificationKey};
pub use model::{Issuer, IssuerTable};
pub use policy::load::{Format, LoadedPolicy, Location, PolicyError};
pub use reason::{ReasonCode, Rejection};
pub use routes::{METHODS, OverlapError, RouteId, RouteKey, RouteKeyError, RouteTable, Segment};
