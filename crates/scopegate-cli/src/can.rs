//! `scopegate can POLICY [--token T | --token-file F | --identity JSON] [--now UNIX] [--json]`:
//! every route this caller may call, in precedence order.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use scopegate::policy::Unmatched;
use scopegate::{Engine, Identity, ReasonCode, Rejection, RouteAccess};
use serde_json::json;

use crate::identity::IdentitySpec;

/// Arguments of `scopegate can`.
#[derive(Args)]
pub(crate) struct CanArgs {
    /// Policy file.
    policy: PathBuf,
    /// The access token (a leading `Bearer ` is removed).
    #[arg(long, conflicts_with_all = ["token_file", "identity"])]
    token: Option<String>,
    /// A file holding the access token.
    #[arg(long, conflicts_with = "identity")]
    token_file: Option<PathBuf>,
    /// A synthetic caller, the same object as a test case's `identity`:
    /// '{"issuer":"auth0","scopes":["pets:buy"]}'.
    #[arg(long)]
    identity: Option<String>,
    /// The clock, in seconds since the epoch (default: now).
    #[arg(long)]
    now: Option<u64>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

fn split(r: Rejection) -> (ReasonCode, String) {
    (r.code, r.message)
}

/// The caller: a verified or synthetic identity, or why there is none.
fn caller(args: &CanArgs, engine: &Engine) -> Result<Result<Arc<Identity>, (ReasonCode, String)>, ExitCode> {
    if let Some(text) = &args.identity {
        let spec: IdentitySpec = serde_json::from_str(text).map_err(|e| {
            eprintln!("--identity: {e}");
            ExitCode::from(2)
        })?;
        return engine.synthetic_identity(&spec.synthetic()).map(Ok).map_err(|r| {
            eprintln!("--identity: {}", r.message);
            ExitCode::from(2)
        });
    }
    let token = match (&args.token, &args.token_file) {
        (Some(t), _) => crate::pasted_token(t),
        (None, Some(f)) => match std::fs::read_to_string(f) {
            Ok(t) => crate::pasted_token(&t),
            Err(e) => {
                eprintln!("{}: cannot read token: {e}", f.display());
                return Err(ExitCode::from(2));
            }
        },
        (None, None) => None,
    };
    let Some(token) = token else {
        return Ok(Err((ReasonCode::MissingToken, "no token was presented".into())));
    };
    let first = engine.authenticate(&token, args.now);
    if let Err(r) = &first
        && matches!(r.code, ReasonCode::UnknownKey | ReasonCode::KeysUnavailable)
        && let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build()
    {
        // Network issuers: fetch their keys once, then verify again.
        runtime.block_on(engine.warm_up());
        return Ok(engine.authenticate(&token, args.now).map_err(split));
    }
    Ok(first.map_err(split))
}

pub(crate) fn run(args: &CanArgs) -> ExitCode {
    let Ok((_, engine)) = crate::load_policy(&args.policy) else {
        return ExitCode::from(2);
    };
    let who = match caller(args, &engine) {
        Ok(w) => w,
        Err(code) => return code,
    };
    let identity = who.as_ref().ok();
    let mut routes = Vec::new();
    for id in engine.route_table().in_precedence_order() {
        let Some(view) = engine.route(id) else { continue };
        let allowed = match identity {
            Some(i) => engine.permits(id, i),
            None => view.access == RouteAccess::Anonymous,
        };
        if allowed {
            routes.push((view.key.to_string(), view.access.to_string()));
        }
    }
    let unmatched = identity.is_some() && engine.settings().unmatched == Unmatched::AllowAuthenticated;
    let (status, code) = match &who {
        Ok(_) => (200, None),
        Err((code, _)) => (401, Some(code.as_str())),
    };
    if args.json {
        let v = json!({
            "status": status,
            "reason_code": code,
            "issuer": identity.map(|i| i.issuer_id()),
            "subject": identity.and_then(|i| i.subject()),
            "unmatched_allowed": unmatched,
            "routes": routes
                .iter()
                .map(|(r, q)| json!({"route": r, "requirement": q}))
                .collect::<Vec<_>>(),
        });
        println!("{v}");
    } else {
        match &who {
            Ok(i) => println!("caller: {}", i.describe()),
            Err(r) => println!("caller: rejected, 401 {}: {} (anonymous routes only)", r.0, r.1),
        }
        let width = routes.iter().map(|r| r.0.len()).max().unwrap_or(0).max(5);
        println!("{:width$}  REQUIRES", "ROUTE");
        for (route, requirement) in &routes {
            println!("{route:width$}  {requirement}");
        }
        if unmatched {
            println!("(and any request no route matches: settings.unmatched = \"allow-authenticated\")");
        }
    }
    if who.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
