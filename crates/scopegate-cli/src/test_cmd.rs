//! `scopegate test POLICY TESTFILE... [--json]`: policy tests without keys or tokens.
//!
//! Each `[[case]]` is decided with a synthetic identity ([`scopegate::Engine::decide_for`]),
//! with a real token (`token_file`, verified normally at `now`), or with no token. Prints one
//! `FAIL` line per failing case and `N passed, M failed` last; exit 0 all pass, 1 any fails, 2
//! for a policy or test file that cannot be used (with file:line:col).

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use scopegate::{AuthRequest, Decision, Engine};
use serde::Deserialize;
use serde_json::{Value, json};
use toml::Spanned;

use crate::identity::{IdentitySpec, line_col};

/// Arguments of `scopegate test`.
#[derive(Args)]
pub(crate) struct TestArgs {
    /// Policy file.
    policy: PathBuf,
    /// Test files (TOML, `[[case]]` tables).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print one JSON array of case results.
    #[arg(long)]
    json: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    #[serde(default)]
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    method: String,
    path: String,
    #[serde(default)]
    identity: Option<Spanned<IdentitySpec>>,
    #[serde(default)]
    token_file: Option<Spanned<String>>,
    #[serde(default)]
    now: Option<u64>,
    expect: Spanned<toml::Value>,
    #[serde(default)]
    reason_code: Option<String>,
}

/// What a case expects: allow, or a denial status.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    Allow,
    Status(u16),
}

impl Expect {
    fn json(self) -> Value {
        match self {
            Expect::Allow => json!("allow"),
            Expect::Status(s) => json!(s),
        }
    }
}

/// A test file that cannot be used: where and why.
struct FileError(String);

fn at(file: &Path, text: &str, span: Range<usize>, message: impl std::fmt::Display) -> FileError {
    let (line, col) = line_col(text, span.start);
    FileError(format!("{}:{line}:{col}: {message}", file.display()))
}

/// A case ready to run.
struct Ready {
    case: Case,
    expect: Expect,
    token: Option<String>,
}

fn prepare(file: &Path, engine: &Engine) -> Result<Vec<Ready>, FileError> {
    let text = std::fs::read_to_string(file).map_err(|e| FileError(format!("{}: cannot read: {e}", file.display())))?;
    let parsed: TestFile = toml::from_str(&text).map_err(|e| match e.span() {
        Some(span) => at(file, &text, span, e.message()),
        None => FileError(format!("{}: {}", file.display(), e.message())),
    })?;
    let mut out = Vec::new();
    for case in parsed.case {
        let expect = match case.expect.get_ref() {
            toml::Value::String(s) if s == "allow" => Expect::Allow,
            toml::Value::Integer(401) => Expect::Status(401),
            toml::Value::Integer(403) => Expect::Status(403),
            other => {
                let message = format!("`expect` must be \"allow\", 401 or 403, not {other}");
                return Err(at(file, &text, case.expect.span(), message));
            }
        };
        if let (Some(_), Some(t)) = (&case.identity, &case.token_file) {
            return Err(at(
                file,
                &text,
                t.span(),
                "a case has `identity` or `token_file`, not both",
            ));
        }
        if let Some(id) = &case.identity
            && let Err(r) = engine.synthetic_identity(&id.get_ref().synthetic())
        {
            return Err(at(file, &text, id.span(), r.message));
        }
        let token = match &case.token_file {
            None => None,
            Some(t) => {
                let path = file.parent().unwrap_or(Path::new(".")).join(t.get_ref());
                let read = std::fs::read_to_string(&path)
                    .map_err(|e| at(file, &text, t.span(), format!("cannot read {}: {e}", path.display())))?;
                crate::pasted_token(&read)
            }
        };
        out.push(Ready { case, expect, token });
    }
    Ok(out)
}

fn decide(engine: &Engine, r: &Ready, runtime: Option<&tokio::runtime::Runtime>) -> Decision {
    let c = &r.case;
    let mut req = AuthRequest::new(&c.method, &c.path);
    req.now = c.now;
    if let Some(id) = &c.identity {
        // Checked in `prepare`: the issuer is one of the policy's.
        return match engine.decide_for(&req, &id.get_ref().synthetic()) {
            Ok(d) => d,
            Err(_) => engine.decide(&req),
        };
    }
    req.token = r.token.as_deref();
    match runtime {
        Some(rt) if req.token.is_some() => rt.block_on(engine.authorize(&req)),
        _ => engine.decide(&req),
    }
}

pub(crate) fn run(args: &TestArgs) -> ExitCode {
    let Ok((_, engine)) = crate::load_policy(&args.policy) else {
        return ExitCode::from(2);
    };
    let mut cases = Vec::new();
    for file in &args.files {
        match prepare(file, &engine) {
            Ok(c) => cases.extend(c),
            Err(FileError(message)) => {
                eprintln!("{message}");
                return ExitCode::from(2);
            }
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok();
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut results = Vec::new();
    for r in &cases {
        let d = decide(&engine, r, runtime.as_ref());
        let code = d.reason_code().map(|c| c.as_str());
        let status_ok = match r.expect {
            Expect::Allow => d.is_allowed(),
            Expect::Status(s) => d.status() == s,
        };
        let ok = status_ok && r.case.reason_code.as_deref().is_none_or(|want| Some(want) == code);
        if ok {
            passed += 1;
        } else {
            failed += 1;
        }
        if args.json {
            results.push(json!({
                "name": r.case.name,
                "passed": ok,
                "expected": r.expect.json(),
                "status": d.status(),
                "reason_code": code,
                "route": d.route().map(|m| m.key.to_string()),
            }));
        } else if !ok {
            let expected = match (r.expect, &r.case.reason_code) {
                (Expect::Allow, _) => "allow".to_string(),
                (Expect::Status(s), None) => s.to_string(),
                (Expect::Status(s), Some(c)) => format!("{s} {c}"),
            };
            let got = code.map_or_else(|| d.status().to_string(), |c| format!("{} {c}", d.status()));
            println!("FAIL {}: expected {expected}, got {got}: {}", r.case.name, d.reason());
        }
    }
    if args.json {
        println!("{}", Value::Array(results));
    } else {
        println!("{passed} passed, {failed} failed");
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
