//! Shared fixture: the three-issuer pharmacy/pets policy of `scopegate_testkit::fixtures`
//! (Asgardeo, Auth0, FusionAuth, keys generated in the test process), compiled.
#![allow(dead_code, clippy::expect_used)]

pub mod recorded;

use std::sync::OnceLock;

use scopegate::{AuthRequest, Decision, Engine, Format, LoadedPolicy};
pub use scopegate_testkit::fixtures::*;

pub fn loaded() -> LoadedPolicy {
    LoadedPolicy::parse(&pharmacy_policy_text(), Format::Toml, "fixture.toml")
        .expect("fixture parses")
        .with_secret(FA_SECRET_ENV, FA_SECRET)
}

pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(fresh_engine)
}

/// A fresh engine (own identity cache).
pub fn fresh_engine() -> Engine {
    Engine::compile(&loaded()).expect("fixture compiles").engine
}

pub fn decide(method: &str, path: &str, token: &str) -> Decision {
    engine().decide(&AuthRequest::new(method, path).token(token))
}

pub fn code(d: &Decision) -> &'static str {
    d.reason_code().map_or("allow", |c| c.as_str())
}
