//! The compiler: policy source -> issuer table, route table and compiled requirements.
//!
//! Everything that does not depend on the request is done here once: issuer values derived,
//! keys parsed, names interned, expressions compiled.

use std::fmt;
use std::sync::Arc;

use jsonwebtoken::Algorithm;

use crate::expr::Expr;
use crate::keys::{KeySet, KeyStore, is_hmac};
use crate::policy::{AllowSource, InlineJwks, IssuerSource, LoadedPolicy, Location, RouteSource};
use crate::profile::{ClaimRules, default_algorithms, issuer_value};
use crate::routes::{RouteKey, RouteTable};
use crate::rules::{BitSet, Rule, Symbols};
use crate::verify::{Issuer, IssuerTable};

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The policy cannot be used.
    Error,
    /// The policy works but probably not as meant.
    Warning,
}

/// One finding about a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Where, when it can be pointed at.
    pub location: Option<Location>,
    /// What it is about, e.g. ``routes[2] `POST /pets` ``.
    pub subject: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(l) = &self.location {
            write!(f, "{l}: ")?;
        }
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{level}: {}: {}", self.subject, self.message)
    }
}

/// A policy that does not compile; holds every error found (and the warnings).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", render(.diagnostics))]
pub struct CompileError {
    /// Errors first, then warnings.
    pub diagnostics: Vec<Diagnostic>,
}

fn render(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// How a route may be reached.
#[derive(Debug, Clone)]
pub(crate) enum Access {
    Anonymous,
    Rule(Rule),
}

/// A route with its compiled requirement.
#[derive(Debug, Clone)]
pub(crate) struct CompiledRoute {
    pub key: RouteKey,
    pub key_text: Arc<str>,
    pub requirement_text: Arc<str>,
    pub access: Access,
    /// Issuer indexes allowed; `None` = all.
    pub issuers: Option<Vec<u16>>,
    pub param_names: Vec<Arc<str>>,
}

/// The compiler's output before the engine wraps it.
pub(crate) struct Compiled {
    pub issuers: IssuerTable,
    pub symbols: Symbols,
    pub routes: RouteTable,
    pub compiled: Vec<CompiledRoute>,
    pub warnings: Vec<Diagnostic>,
}

struct Ctx<'p> {
    policy: &'p LoadedPolicy,
    diagnostics: Vec<Diagnostic>,
    /// The HTTP client and timing rules, built when the first network issuer needs them.
    #[cfg(feature = "network")]
    network: Option<Option<crate::remote::Network>>,
}

impl Ctx<'_> {
    fn push(&mut self, severity: Severity, subject: String, value: Option<&str>, message: String) {
        let location = value.and_then(|v| self.policy.locate_value(v, 0));
        self.diagnostics.push(Diagnostic {
            severity,
            location,
            subject,
            message,
        });
    }
    fn error(&mut self, subject: &str, value: Option<&str>, message: impl Into<String>) {
        self.push(Severity::Error, subject.to_string(), value, message.into());
    }
    fn warn(&mut self, subject: &str, value: Option<&str>, message: impl Into<String>) {
        self.push(Severity::Warning, subject.to_string(), value, message.into());
    }
}

pub(crate) fn compile(policy: &LoadedPolicy) -> Result<Compiled, CompileError> {
    let src = &policy.source;
    let mut ctx = Ctx {
        policy,
        diagnostics: Vec::new(),
        #[cfg(feature = "network")]
        network: None,
    };
    if src.version != 1 {
        ctx.error(
            "version",
            None,
            format!("version {} is not supported; write `version = 1`", src.version),
        );
    }
    let s = &src.settings;
    if s.max_token_bytes == 0 || s.max_token_bytes > 1 << 20 {
        ctx.error("settings.max_token_bytes", None, "must be between 1 and 1048576");
    }
    if s.leeway_seconds > 300 {
        ctx.warn(
            "settings.leeway_seconds",
            None,
            format!("{} s of clock skew is a lot; 30 to 60 is usual", s.leeway_seconds),
        );
    }
    if let Err(e) = s.jwks.check() {
        ctx.error("settings.jwks", None, e);
    }

    let issuers = compile_issuers(&mut ctx);
    let mut symbols = Symbols::default();
    let mut routes = RouteTable::new();
    let mut compiled = Vec::new();
    for (i, route) in src.routes.iter().enumerate() {
        if let Some(r) = compile_route(&mut ctx, i, route, &issuers, &mut symbols, &mut routes) {
            compiled.push(r);
        }
    }
    if src.routes.is_empty() {
        ctx.warn("routes", None, "the policy has no routes: every request is unmatched");
    }

    let has_errors = ctx.diagnostics.iter().any(|d| d.severity == Severity::Error);
    if has_errors {
        let mut diagnostics = ctx.diagnostics;
        diagnostics.sort_by_key(|d| d.severity != Severity::Error);
        return Err(CompileError { diagnostics });
    }
    crate::analysis::analyse(&mut ctx.diagnostics, policy, &issuers, &symbols, &compiled);
    Ok(Compiled {
        issuers,
        symbols,
        routes,
        compiled,
        warnings: ctx.diagnostics,
    })
}

fn compile_issuers(ctx: &mut Ctx<'_>) -> IssuerTable {
    let mut table = IssuerTable::default();
    let mut seen_ids: Vec<&str> = Vec::new();
    let mut seen_iss: Vec<(String, String)> = Vec::new();
    for (i, src) in ctx.policy.source.issuers.iter().enumerate() {
        let subject = format!("issuers[{i}] `{}`", src.id);
        if src.id.is_empty() || src.id.chars().any(|c| c.is_whitespace() || c == '"') {
            ctx.error(&subject, None, "`id` must be a non-empty name without spaces or quotes");
        }
        if seen_ids.contains(&src.id.as_str()) {
            ctx.error(&subject, Some(&src.id), format!("issuer id `{}` is used twice", src.id));
        }
        seen_ids.push(&src.id);
        let iss = match issuer_value(src) {
            Ok(v) => v,
            Err(e) => {
                ctx.error(&subject, Some(&src.id), e);
                continue;
            }
        };
        if let Some((other, _)) = seen_iss.iter().find(|(_, v)| *v == iss) {
            ctx.error(
                &subject,
                Some(&src.id),
                format!("issuer `{iss}` is already configured as `{other}`; `iss` must pick one issuer"),
            );
        }
        seen_iss.push((src.id.clone(), iss.clone()));
        if src.audiences.is_empty() {
            ctx.error(
                &subject,
                Some(&src.id),
                "`audiences` is required: a token for another API must not be accepted here",
            );
        }
        let algorithms = compile_algorithms(ctx, &subject, src);
        let keys = compile_keys(ctx, &subject, src, &iss, &algorithms);
        let Ok(index) = u16::try_from(i) else {
            ctx.error(&subject, None, "more than 65535 issuers");
            break;
        };
        table.push(Issuer {
            index,
            id: src.id.as_str().into(),
            iss,
            profile: src.profile,
            audiences: src.audiences.clone(),
            algorithms,
            claims: ClaimRules::for_issuer(src),
            keys,
        });
    }
    table
}

fn compile_algorithms(ctx: &mut Ctx<'_>, subject: &str, src: &IssuerSource) -> Vec<Algorithm> {
    let Some(names) = &src.algorithms else {
        let mut algs = default_algorithms(src.profile);
        if src.hmac_secret_env.is_some() {
            algs.extend([Algorithm::HS256, Algorithm::HS384, Algorithm::HS512]);
        }
        return algs;
    };
    let mut algs = Vec::new();
    for name in names {
        match name.parse::<Algorithm>() {
            Ok(a) if is_hmac(a) && src.hmac_secret_env.is_none() => ctx.error(
                subject,
                Some(name),
                format!("{name} needs `hmac_secret_env`: HMAC is never verified with a published key"),
            ),
            Ok(a) => algs.push(a),
            Err(_) => ctx.error(subject, Some(name), format!("unknown algorithm `{name}`; expected one of RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 EdDSA HS256 HS384 HS512")),
        }
    }
    if names.is_empty() {
        ctx.error(subject, None, "`algorithms` is empty: no token could verify");
    }
    algs
}

fn compile_keys(ctx: &mut Ctx<'_>, subject: &str, src: &IssuerSource, iss: &str, algorithms: &[Algorithm]) -> KeyStore {
    let offline = [src.jwks_file.is_some(), src.jwks.is_some()]
        .iter()
        .filter(|b| **b)
        .count();
    if offline > 1 || (offline == 1 && src.jwks_uri.is_some()) {
        ctx.error(subject, None, "give only one of `jwks_file`, `jwks` and `jwks_uri`");
    }
    let mut set: Option<KeySet> = None;
    if let Some(path) = &src.jwks_file {
        let full = ctx.policy.resolve(path);
        let shown = path.display().to_string();
        match std::fs::read(&full) {
            Ok(bytes) => match KeySet::from_jwks_json(&bytes) {
                Ok(s) => set = Some(s),
                Err(e) => ctx.error(subject, Some(&shown), format!("{}: {e}", full.display())),
            },
            Err(e) => ctx.error(subject, Some(&shown), format!("cannot read `{}`: {e}", full.display())),
        }
    }
    if let Some(inline) = &src.jwks {
        let parsed = match inline {
            InlineJwks::Text(t) => KeySet::from_jwks_json(t.as_bytes()),
            InlineJwks::Document(d) => KeySet::from_jwks(&serde_json::to_value(d).unwrap_or_default()),
        };
        match parsed {
            Ok(s) => set = Some(s),
            Err(e) => ctx.error(subject, None, format!("inline `jwks`: {e}")),
        }
    }
    if let Some(var) = &src.hmac_secret_env {
        match ctx.policy.secret(var) {
            Some(secret) if !secret.is_empty() => {
                if secret.len() < 32 {
                    ctx.warn(
                        subject,
                        Some(var),
                        format!(
                            "the secret in `{var}` is {} bytes; HS256 wants at least 32",
                            secret.len()
                        ),
                    );
                }
                set = Some(set.unwrap_or_default().with_hmac_secret(secret.as_bytes()));
            }
            _ => ctx.error(
                subject,
                Some(var),
                format!("environment variable `{var}` (hmac_secret_env) is not set"),
            ),
        }
    }
    match set {
        Some(set) => {
            for skipped in set.skipped() {
                ctx.warn(
                    subject,
                    None,
                    format!(
                        "JWKS key {:?} skipped: {}",
                        skipped.kid.as_deref().unwrap_or("(no kid)"),
                        skipped.reason
                    ),
                );
            }
            let usable = set.keys().any(|k| algorithms.iter().any(|a| k.family().supports(*a)));
            if !usable && !set.has_secret() {
                ctx.warn(
                    subject,
                    None,
                    "no key can verify any allowed algorithm: every token will fail with unknown_key",
                );
            }
            KeyStore::fixed(set)
        }
        None => network_keys(ctx, subject, src, iss),
    }
}

#[cfg(feature = "network")]
fn network_keys(ctx: &mut Ctx<'_>, subject: &str, src: &IssuerSource, iss: &str) -> KeyStore {
    use crate::remote::{KeySource, Network, RemoteKeys};
    let source = match KeySource::for_issuer(src, iss) {
        Ok(s) => s,
        Err(e) => {
            ctx.error(subject, src.jwks_uri.as_deref(), e.clone());
            return KeyStore::empty(e);
        }
    };
    if ctx.network.is_none() {
        match Network::new(&ctx.policy.source.settings.jwks) {
            Ok(n) => ctx.network = Some(Some(n)),
            Err(e) => {
                ctx.network = Some(None);
                ctx.error("settings.jwks", None, e);
            }
        }
    }
    match ctx.network.clone().flatten() {
        Some(n) => KeyStore::remote(RemoteKeys::new(src.id.as_str().into(), iss.to_string(), source, n)),
        None => KeyStore::empty("the HTTP client could not be built"),
    }
}

#[cfg(not(feature = "network"))]
fn network_keys(ctx: &mut Ctx<'_>, subject: &str, src: &IssuerSource, _iss: &str) -> KeyStore {
    let reason =
        "no offline key source (`jwks_file`, `jwks`, `hmac_secret_env`) and this build has no `network` feature";
    let _ = src;
    ctx.warn(
        subject,
        None,
        format!("{reason}: tokens from this issuer fail with keys_unavailable"),
    );
    KeyStore::empty(reason)
}

fn compile_route(
    ctx: &mut Ctx<'_>,
    i: usize,
    src: &RouteSource,
    issuers: &IssuerTable,
    symbols: &mut Symbols,
    table: &mut RouteTable,
) -> Option<CompiledRoute> {
    let subject = format!("routes[{i}] `{}`", src.route);
    let key = match RouteKey::parse(&src.route) {
        Ok(k) => k,
        Err(e) => {
            ctx.error(&subject, Some(&src.route), e.message);
            return None;
        }
    };
    let issuer_index = |id: &str| issuers.iter().find(|x| &*x.id == id).map(|x| x.index);
    // Inserted first so that overlaps are reported even when the requirement has errors too.
    // Route ids are insertion indexes; any error below fails the whole compilation.
    let mut ok = true;
    if let Err(e) = table.insert(key.clone()) {
        ctx.error(
            &subject,
            Some(&src.route),
            format!(
                "overlaps routes[{}] `{}`: both match the same requests with equal precedence",
                e.existing_id.index(),
                e.existing
            ),
        );
        ok = false;
    }

    if src.allow == Some(AllowSource::Anonymous)
        && (src.require.is_some() || src.scopes.is_some() || src.roles.is_some() || src.issuers.is_some())
    {
        ctx.error(
            &subject,
            Some(&src.route),
            "`allow = \"anonymous\"` cannot be combined with `require`, `scopes`, `roles` or `issuers`",
        );
        return None;
    }
    let mut parts = Vec::new();
    if let Some(text) = &src.require {
        match Expr::parse(text) {
            Ok(expr) => {
                check_names(ctx, &subject, &expr);
                match Rule::compile(&expr, symbols, &issuer_index) {
                    Ok(rule) => parts.push(rule),
                    Err(e) => {
                        ctx.error(&subject, Some(text), e);
                        ok = false;
                    }
                }
            }
            Err(e) => {
                // Point at the failing character: the value's location plus the offset.
                let location = ctx.policy.locate_value(text, 0).map(|mut l| {
                    l.column += e.offset;
                    l
                });
                ctx.diagnostics.push(Diagnostic {
                    severity: Severity::Error,
                    location,
                    subject: format!("{subject} require"),
                    message: format!("{}\n    {text}\n    {}^", e.message, " ".repeat(e.offset)),
                });
                ok = false;
            }
        }
    }
    for (list, is_scope) in [(&src.scopes, true), (&src.roles, false)] {
        let Some(names) = list else { continue };
        let field = if is_scope { "scopes" } else { "roles" };
        if names.is_empty() {
            ctx.error(
                &subject,
                Some(&src.route),
                format!("`{field} = []` can never be satisfied; remove it or list names"),
            );
            ok = false;
            continue;
        }
        let mut bits = BitSet::default();
        for name in names {
            check_name(ctx, &subject, name);
            bits.insert(if is_scope {
                symbols.scopes.intern(name)
            } else {
                symbols.roles.intern(name)
            });
        }
        parts.push(if is_scope {
            Rule::AnyScope(bits)
        } else {
            Rule::AnyRole(bits)
        });
    }
    let route_issuers = match &src.issuers {
        None => None,
        Some(ids) => {
            let mut out = Vec::new();
            for id in ids {
                match issuer_index(id) {
                    Some(x) => out.push(x),
                    None => {
                        ctx.error(&subject, Some(id), format!("unknown issuer id `{id}` in `issuers`"));
                        ok = false;
                    }
                }
            }
            if ids.is_empty() {
                ctx.error(
                    &subject,
                    Some(&src.route),
                    "`issuers = []` lets no token in; remove it or list issuer ids",
                );
                ok = false;
            }
            Some(out)
        }
    };
    let access = if src.allow == Some(AllowSource::Anonymous) {
        Access::Anonymous
    } else if parts.is_empty() && route_issuers.is_some() {
        Access::Rule(Rule::Authenticated)
    } else if parts.is_empty() {
        if ok {
            ctx.error(
                &subject,
                Some(&src.route),
                "the route says nothing: add `require`, `scopes`, `roles`, `issuers` or `allow = \"anonymous\"`",
            );
        }
        return None;
    } else if parts.len() == 1 {
        parts.pop().map(Access::Rule)?
    } else {
        Access::Rule(Rule::And(parts.into_boxed_slice()))
    };
    if !ok {
        return None;
    }
    let requirement_text: Arc<str> = match &access {
        Access::Anonymous => "anonymous".into(),
        Access::Rule(r) => r.describe(symbols, &|i| issuers.id_of(i)).into(),
    };
    let param_names = key.param_names().into_iter().map(Arc::from).collect();
    Some(CompiledRoute {
        key_text: key.to_string().into(),
        key,
        requirement_text,
        access,
        issuers: route_issuers,
        param_names,
    })
}

fn check_names(ctx: &mut Ctx<'_>, subject: &str, expr: &Expr) {
    expr.for_each_atom(&mut |atom| {
        if let Expr::Scope(n) | Expr::Role(n) | Expr::Client(n) = atom {
            check_name(ctx, subject, n);
        }
    });
}

fn check_name(ctx: &mut Ctx<'_>, subject: &str, name: &str) {
    if name.is_empty() || name.contains('"') || name.chars().any(char::is_control) {
        ctx.error(
            subject,
            None,
            format!("name {name:?} is empty or contains a quote or control character"),
        );
    } else if name.chars().any(char::is_whitespace) {
        ctx.warn(subject, Some(name), format!("`{name}` contains a space: it can only match array-valued claims, never a space-separated `scope` string"));
    }
}
