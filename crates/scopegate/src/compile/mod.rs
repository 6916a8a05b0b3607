//! The compiler: policy source -> [`Model`] (issuer table, route table, compiled
//! requirements), with every finding as a [`Diagnostic`].
//!
//! Everything that does not depend on the request is done here once: issuer values derived,
//! keys parsed, names interned, expressions compiled.

mod analysis;
mod diagnostics;
mod grants;
mod issuers;
mod routes;
mod secret;
mod witness;

pub(crate) use analysis::route_grants;
pub use diagnostics::{CompileError, Diagnostic, Severity};
pub use grants::{AnalysisError, Conjunction, Grants};
pub use witness::{TooManyWitnesses, WitnessMode, WitnessPart, WitnessRequest, witness_requests};

use toml::Spanned;

use crate::model::{Model, Symbols};
use crate::policy::load::{LoadedPolicy, Location};
use crate::routes::RouteTable;

/// A compiled model and the warnings found on the way.
pub(crate) struct Output {
    pub model: Model,
    pub warnings: Vec<Diagnostic>,
}

/// What the compiler carries from one entry to the next.
struct Ctx<'p> {
    policy: &'p LoadedPolicy,
    diagnostics: Vec<Diagnostic>,
    /// The HTTP client and timing rules, built when the first network issuer needs them.
    #[cfg(feature = "network")]
    network: Option<Option<crate::keys::Network>>,
}

impl Ctx<'_> {
    /// Where a value stands in the file: its own span (TOML), else its first appearance.
    fn at(&self, span: Option<&Spanned<String>>, value: &str) -> Option<Location> {
        self.policy.locate(span, value)
    }

    fn push(&mut self, severity: Severity, subject: String, location: Option<Location>, message: String) {
        self.diagnostics.push(Diagnostic {
            severity,
            location,
            subject,
            message,
        });
    }

    fn error(&mut self, subject: &str, location: Option<Location>, message: impl Into<String>) {
        self.push(Severity::Error, subject.to_string(), location, message.into());
    }

    fn warn(&mut self, subject: &str, location: Option<Location>, message: impl Into<String>) {
        self.push(Severity::Warning, subject.to_string(), location, message.into());
    }

    fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.severity == Severity::Error)
    }
}

/// Compiles a loaded policy, or reports every error found (and the warnings).
pub(crate) fn compile(policy: &LoadedPolicy) -> Result<Output, CompileError> {
    let src = &policy.source;
    let mut ctx = Ctx {
        policy,
        diagnostics: Vec::new(),
        #[cfg(feature = "network")]
        network: None,
    };
    check_settings(&mut ctx);
    let issuers = issuers::compile_issuers(&mut ctx);
    let mut symbols = Symbols::default();
    let mut routes = RouteTable::new();
    let mut compiled = Vec::new();
    for (i, route) in src.routes.iter().enumerate() {
        let scope = routes::Scope {
            issuers: &issuers,
            symbols: &mut symbols,
            table: &mut routes,
        };
        if let Some(r) = routes::compile_route(&mut ctx, i, route, scope) {
            compiled.push(r);
        }
    }
    if src.routes.is_empty() {
        ctx.warn("routes", None, "the policy has no routes: every request is unmatched");
    }
    if ctx.has_errors() {
        let mut diagnostics = ctx.diagnostics;
        diagnostics.sort_by_key(|d| d.severity != Severity::Error);
        return Err(CompileError { diagnostics });
    }
    let model = Model {
        issuers,
        symbols,
        routes,
        compiled,
    };
    analysis::analyse(&mut ctx.diagnostics, policy, &model);
    Ok(Output {
        model,
        warnings: ctx.diagnostics,
    })
}

fn check_settings(ctx: &mut Ctx<'_>) {
    let src = &ctx.policy.source;
    if src.version != 1 {
        let message = format!("version {} is not supported; write `version = 1`", src.version);
        ctx.error("version", None, message);
    }
    let s = &src.settings;
    if s.max_token_bytes == 0 || s.max_token_bytes > 1 << 20 {
        ctx.error("settings.max_token_bytes", None, "must be between 1 and 1048576");
    }
    if s.leeway_seconds > 300 {
        let message = format!("{} s of clock skew is a lot; 30 to 60 is usual", s.leeway_seconds);
        ctx.warn("settings.leeway_seconds", None, message);
    }
    if let Err(e) = s.jwks.check() {
        ctx.error("settings.jwks", None, e);
    }
}
