//! `scopegate`: check, list, debug, test and review scopegate policies.
//!
//! Exit codes: `check` 0 valid / 1 invalid; `decide` and `explain` 0 allow / 1 deny;
//! `authorize-event` 0 for a policy or simple response / 1 for the `Unauthorized` error;
//! `check --openapi --strict` 1 on drift; `import` 1 on untranslatable operations; `test` 0 all
//! pass / 1 any fails; `can` 0 valid caller / 1 rejected; `diff` 1 when `--fail-on`
//! holds; `serve` 0 after a clean shutdown; 2 for usage errors, policies or test files that cannot be loaded and events the
//! authorizer rejects.

mod can;
mod check_openapi;
mod diff;
mod identity;
mod import;
mod matrix;
mod serve;
mod test_cmd;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use scopegate::unverified::{Credentials, Scheme, peek};
use scopegate::{AuthRequest, Decision, Engine, LoadError, LoadedPolicy, Severity};
use scopegate_lambda::{Authorizer, AuthorizerError};
use serde_json::{Value, json};

#[derive(Parser)]
#[command(
    name = "scopegate",
    version,
    about = "Route-level JWT authorization: check, list and debug policies"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate a policy: syntax, issuers, overlapping and unreachable routes, unused names.
    Check {
        /// Policy file (TOML, or JSON by extension).
        policy: PathBuf,
        /// Also report drift against an OpenAPI document or API Gateway export (JSON or YAML).
        #[arg(long)]
        openapi: Option<PathBuf>,
        /// With `--openapi`: exit 1 when there is any drift.
        #[arg(long, requires = "openapi")]
        strict: bool,
        /// With `--openapi`: print the drift as one JSON object.
        #[arg(long, requires = "openapi")]
        json: bool,
    },
    /// Print the compiled route table in precedence order.
    Routes {
        /// Policy file.
        policy: PathBuf,
    },
    /// Decide one request: allow, 401 or 403 with a reason code.
    Decide {
        #[command(flatten)]
        request: RequestArgs,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Explain one request step by step: route, requirement, token, failed check.
    Explain {
        #[command(flatten)]
        request: RequestArgs,
    },
    /// Answer an API Gateway authorizer event from stdin exactly as the Lambda authorizer does.
    AuthorizeEvent {
        /// Policy file.
        policy: PathBuf,
        /// The clock, in seconds since the epoch (default: now).
        #[arg(long)]
        now: Option<u64>,
    },
    /// Run policy tests (TOML `[[case]]` files) with synthetic identities, tokens or none.
    Test(test_cmd::TestArgs),
    /// List every route a caller (token or synthetic identity) may call.
    Can(can::CanArgs),
    /// Show who can call what: grants per route and issuer.
    Matrix(matrix::MatrixArgs),
    /// Review a policy change by access: requests, issuers and settings that changed.
    Diff(diff::DiffArgs),
    /// Write a policy from an OpenAPI document or an API Gateway export.
    Import(import::ImportArgs),
    /// Run the forward-auth / Envoy ext_authz sidecar for nginx, Caddy, Traefik and Envoy.
    Serve(serve::ServeArgs),
}

#[derive(Args)]
struct RequestArgs {
    /// Policy file.
    policy: PathBuf,
    /// HTTP method, e.g. GET.
    #[arg(long)]
    method: String,
    /// Request path, e.g. /pets/7.
    #[arg(long)]
    path: String,
    /// The access token (a leading `Bearer ` is removed).
    #[arg(long, conflicts_with = "token_file")]
    token: Option<String>,
    /// A file holding the access token.
    #[arg(long)]
    token_file: Option<PathBuf>,
    /// The clock, in seconds since the epoch (default: now).
    #[arg(long)]
    now: Option<u64>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check {
            policy,
            openapi,
            strict,
            json,
        } => check(&policy, openapi.as_deref(), strict, json),
        Command::Routes { policy } => routes(&policy),
        Command::Decide { request, json } => run_request(&request, if json { Output::Json } else { Output::Line }),
        Command::Explain { request } => run_request(&request, Output::Explain),
        Command::AuthorizeEvent { policy, now } => authorize_event(&policy, now),
        Command::Test(args) => test_cmd::run(&args),
        Command::Can(args) => can::run(&args),
        Command::Matrix(args) => matrix::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Import(args) => import::run(&args),
        Command::Serve(args) => serve::run(args),
    }
}

/// Runs the Lambda handler on one event read from stdin. Prints the response JSON (exit 0), or
/// the error the runtime would post: `Unauthorized` on stdout (exit 1), anything else on
/// stderr (exit 2).
fn authorize_event(path: &Path, now: Option<u64>) -> ExitCode {
    let (loaded, engine) = match load_policy(path) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let mut authorizer = match Authorizer::new(Arc::new(engine), &loaded.source.lambda) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    if let Some(now) = now {
        authorizer = authorizer.at(now);
    }
    let mut text = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut text) {
        eprintln!("cannot read the event from stdin: {e}");
        return ExitCode::from(2);
    }
    let event: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("the event on stdin is not JSON: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start a runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let error_json = |e: &AuthorizerError| {
        let d: scopegate_lambda::Diagnostic = e.clone().into();
        json!({ "errorType": d.error_type, "errorMessage": d.error_message })
    };
    match runtime.block_on(authorizer.handle(event)) {
        Ok(response) => {
            println!("{response}");
            ExitCode::SUCCESS
        }
        Err(e @ AuthorizerError::Unauthorized) => {
            println!("{}", error_json(&e));
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("{}", error_json(&e));
            ExitCode::from(2)
        }
    }
}

fn load(path: &Path) -> Result<Engine, ExitCode> {
    load_policy(path).map(|(_, engine)| engine)
}

/// The policy and its engine; warnings and errors are printed, errors exit with 2.
pub(crate) fn load_policy(path: &Path) -> Result<(LoadedPolicy, Engine), ExitCode> {
    let compiled = LoadedPolicy::from_path(path)
        .map_err(LoadError::from)
        .and_then(|loaded| Ok((Engine::compile(&loaded)?, loaded)));
    match compiled {
        Ok((compiled, loaded)) => {
            for w in &compiled.warnings {
                eprintln!("{w}");
            }
            Ok((loaded, compiled.engine))
        }
        Err(e) => {
            eprintln!("{e}");
            Err(ExitCode::from(2))
        }
    }
}

fn check(path: &Path, openapi: Option<&Path>, strict: bool, json: bool) -> ExitCode {
    let loaded = match LoadedPolicy::from_path(path) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    match Engine::compile(&loaded) {
        Ok(compiled) => {
            for w in &compiled.warnings {
                eprintln!("{w}");
            }
            let line = format!(
                "{}: ok ({} issuers, {} routes, {} warnings)",
                path.display(),
                compiled.engine.issuers().iter().count(),
                compiled.engine.route_table().len(),
                compiled.warnings.len()
            );
            // With `--json`, stdout holds the JSON object only.
            if json {
                eprintln!("{line}")
            } else {
                println!("{line}")
            }
            match openapi {
                Some(spec) => check_openapi::run(&compiled.engine, spec, strict, json),
                None => ExitCode::SUCCESS,
            }
        }
        Err(e) => {
            for d in &e.diagnostics {
                eprintln!("{d}");
            }
            let errors = e.diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
            eprintln!("{}: {errors} error(s)", path.display());
            ExitCode::from(1)
        }
    }
}

fn routes(path: &Path) -> ExitCode {
    let engine = match load(path) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let rows: Vec<(String, String, String)> = engine
        .route_table()
        .in_precedence_order()
        .into_iter()
        .filter_map(|id| engine.route(id))
        .map(|r| {
            let issuers = match r.issuers {
                None => "any".to_string(),
                Some(ids) => ids.join(","),
            };
            (r.key.to_string(), r.access.to_string(), issuers)
        })
        .collect();
    let w0 = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(5);
    let w1 = rows.iter().map(|r| r.1.len()).max().unwrap_or(0).max(8);
    println!("{:>3}  {:w0$}  {:w1$}  ISSUERS", "#", "ROUTE", "REQUIRES");
    for (i, (key, req, iss)) in rows.iter().enumerate() {
        println!("{:>3}  {key:w0$}  {req:w1$}  {iss}", i + 1);
    }
    ExitCode::SUCCESS
}

enum Output {
    Line,
    Json,
    Explain,
}

fn run_request(args: &RequestArgs, output: Output) -> ExitCode {
    let token = match (&args.token, &args.token_file) {
        (Some(t), _) => pasted_token(t),
        (None, Some(f)) => match std::fs::read_to_string(f) {
            Ok(t) => pasted_token(&t),
            Err(e) => {
                eprintln!("{}: cannot read token: {e}", f.display());
                return ExitCode::from(2);
            }
        },
        (None, None) => None,
    };
    let engine = match load(&args.policy) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let mut req = AuthRequest::new(&args.method, &args.path);
    req.token = token.as_deref();
    req.now = args.now;
    // Network issuers fetch their keys once here (decide alone never fetches).
    let decision = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(engine.authorize(&req)),
        Err(e) => {
            eprintln!("cannot start the async runtime for key fetching: {e}");
            engine.decide(&req)
        }
    };
    match output {
        Output::Json => println!("{}", decision_json(&decision)),
        Output::Line => {
            let verdict = if decision.is_allowed() { "allow" } else { "deny" };
            let code = decision.reason_code().map_or(String::new(), |c| format!(" {c}"));
            println!("{verdict} {}{code}: {}", decision.status(), decision.reason());
        }
        Output::Explain => explain(&engine, &req, &decision),
    }
    if decision.is_allowed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// A token as people paste it: whitespace and a leading `Bearer ` removed, empty is none.
pub(crate) fn pasted_token(text: &str) -> Option<String> {
    Credentials::parse(text, Scheme::Lenient).token().map(str::to_string)
}

fn decision_json(d: &Decision) -> Value {
    let identity = d.identity();
    json!({
        "decision": if d.is_allowed() { "allow" } else { "deny" },
        "status": d.status(),
        "reason_code": d.reason_code().map(|c| c.as_str()),
        "reason": d.reason(),
        "route": d.route().map(|r| r.key.to_string()),
        "issuer": identity.map(|i| i.issuer_id()),
        "subject": identity.and_then(|i| i.subject()),
        "scopes": identity.map(|i| i.scopes().to_vec()).unwrap_or_default(),
        "roles": identity.map(|i| i.roles().to_vec()).unwrap_or_default(),
    })
}

fn explain(engine: &Engine, req: &AuthRequest<'_>, d: &Decision) {
    println!("request:   {} {}", req.method, req.path);
    match d.route() {
        Some(r) => {
            println!("route:     {}", r.key);
            println!("requires:  {}", r.requirement);
            for (name, value) in &r.params {
                println!("param:     {name} = {value}");
            }
        }
        None => println!(
            "route:     (no route matches; settings.unmatched = {:?})",
            engine.settings().unmatched
        ),
    }
    if let Some(t) = req.token {
        explain_keys(engine, t);
    }
    match (req.token, d.identity()) {
        (None, _) => println!("token:     (none)"),
        (Some(_), Some(i)) => {
            println!("token:     verified, issuer `{}`", i.issuer_id());
            println!("subject:   {}", i.subject().unwrap_or("(none)"));
            println!("client:    {}", i.client().unwrap_or("(none)"));
            println!("scopes:    {}", i.scopes().join(" "));
            println!("roles:     {}", i.roles().join(" "));
        }
        (Some(t), None) => match peek(t, engine.settings().max_token_bytes) {
            // What the token claims, unverified: enough to see a wrong issuer, kid or audience.
            Ok(p) => {
                println!("token:     not accepted; unverified contents follow");
                println!(
                    "header:    alg {:?}, kid {:?}, typ {:?}",
                    p.header.alg, p.header.kid, p.header.typ
                );
                for name in ["iss", "aud", "sub", "exp", "nbf", "iat", "scope", "scp"] {
                    if let Some(v) = p.claims.get(name) {
                        println!("claim:     {name} = {v}");
                    }
                }
            }
            Err(r) => println!("token:     unreadable ({})", r.message),
        },
    }
    match d.reason_code() {
        None => println!("decision:  allow (200)"),
        Some(c) => println!("decision:  deny ({} {c})", d.status()),
    }
    println!("reason:    {}", d.reason());
}

/// Where the token's issuer gets its keys, and how fetching went.
fn explain_keys(engine: &Engine, token: &str) {
    let Ok(p) = peek(token, engine.settings().max_token_bytes) else {
        return;
    };
    let Some(issuer) = p
        .claims
        .get("iss")
        .and_then(Value::as_str)
        .and_then(|iss| engine.issuers().by_iss(iss))
    else {
        return;
    };
    match (issuer.keys().source(), issuer.keys().stats()) {
        (Some(source), Some(s)) => println!("keys:      {source} ({} fetch(es), {} failed)", s.fetches, s.failures),
        _ => println!("keys:      from the policy (offline)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_errors_are_typed() {
        assert!(matches!(
            Engine::from_path("/nonexistent/p.toml"),
            Err(LoadError::Policy(_))
        ));
    }
}
