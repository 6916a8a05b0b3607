//! `scopegate import SPEC [--format toml|json] [--skip-unsupported]`: a policy from an API
//! definition teams already have. Three kinds of input, detected: an API Gateway HTTP API
//! export (JWT authorizers), an API Gateway REST API export (Cognito user-pool authorizers),
//! plain OpenAPI 3.0 / 3.1 (`oauth2`, `openIdConnect`, `http` bearer schemes). JSON or YAML.
//!
//! What the document leaves open becomes a placeholder (`"<fill in: ..>"`, see
//! [`scopegate::policy::PLACEHOLDER_PREFIX`]) that `scopegate check` reports field by field;
//! what cannot be translated faithfully (API keys, Lambda and IAM authorizers, mutual TLS)
//! stops the import unless `--skip-unsupported` leaves those operations out (unmatched requests
//! are denied: fail closed). This is format translation only; `check --openapi` compares the
//! result with a policy through the core's grants analysis.

mod operations;
mod schemes;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use scopegate::policy::{IssuerSource, PolicySource, RouteSource};
use serde_json::Value;

pub(crate) use operations::{Operation, route_source};
pub(crate) use schemes::IssuerDraft;

/// Arguments of `scopegate import`.
#[derive(Args)]
pub(crate) struct ImportArgs {
    /// OpenAPI 3.0 / 3.1 document or API Gateway export (JSON or YAML).
    spec: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "toml")]
    format: OutputFormat,
    /// Leave out operations whose security cannot be translated (they are then denied).
    #[arg(long)]
    skip_unsupported: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Toml,
    Json,
}

/// The kind of document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `aws apigatewayv2 export-api --specification OAS30`.
    GatewayHttp,
    /// `aws apigateway get-export --export-type oas30 --extensions apigateway`.
    GatewayRest,
    /// Plain OpenAPI 3.0 / 3.1.
    OpenApi,
}

impl Kind {
    fn describe(self) -> &'static str {
        match self {
            Kind::GatewayHttp => "an API Gateway HTTP API export (scopes any-of)",
            Kind::GatewayRest => "an API Gateway REST API export (scopes any-of)",
            Kind::OpenApi => {
                "an OpenAPI document (alternatives OR, schemes in one requirement AND, scopes all required)"
            }
        }
    }

    /// API Gateway checks that a token holds any of a route's scopes; OpenAPI requires all.
    pub(crate) fn scopes_any_of(self) -> bool {
        self != Kind::OpenApi
    }
}

/// A document read and translated.
pub(crate) struct Import {
    pub kind: Kind,
    pub issuers: Vec<IssuerDraft>,
    pub operations: Vec<Operation>,
}

impl Import {
    /// The policy ids of the document's issuers.
    fn ids(&self) -> Vec<String> {
        self.issuers.iter().map(|d| d.source.id.clone()).collect()
    }

    /// The policy: every issuer, and a route per translatable operation.
    pub(crate) fn policy(&self) -> PolicySource {
        let ids = self.ids();
        let routes: Vec<RouteSource> = self
            .operations
            .iter()
            .filter_map(|op| {
                let access = op.access.as_ref().ok()?;
                let mut r = route_source(&op.route, access, &ids, self.kind.scopes_any_of());
                r.description = Some(format!("imported from {}", op.label));
                Some(r)
            })
            .collect();
        PolicySource {
            version: 1,
            settings: Default::default(),
            issuers: self
                .issuers
                .iter()
                .map(|d| d.source.clone())
                .collect::<Vec<IssuerSource>>(),
            routes,
            lambda: Default::default(),
            server: Default::default(),
        }
    }

    /// Operations whose security cannot be translated, with the reason.
    pub(crate) fn unsupported(&self) -> Vec<(&str, &str)> {
        self.operations
            .iter()
            .filter_map(|op| op.access.as_ref().err().map(|e| (op.label.as_str(), e.as_str())))
            .collect()
    }
}

/// Reads a JSON or YAML document.
pub(crate) fn read_document(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let json_like = text.trim_start().starts_with('{');
    let doc: Value = if json_like {
        serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))?
    } else {
        let yaml: serde_norway::Value =
            serde_norway::from_str(&text).map_err(|e| format!("{}: not YAML: {e}", path.display()))?;
        yaml_to_json(yaml)
    };
    if !doc
        .get("openapi")
        .and_then(Value::as_str)
        .is_some_and(|v| v.starts_with("3."))
    {
        return Err(format!(
            "{}: not an OpenAPI 3.x document (no `openapi: 3.x`; Swagger 2.0 is not read)",
            path.display()
        ));
    }
    Ok(doc)
}

/// YAML -> JSON, with non-string mapping keys (`200:`) as their text.
/// The members of a JSON object by name. serde_json keeps document order or sorts, depending
/// on features other crates of a build turn on; imports must not change with that.
pub(crate) fn by_name(map: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut members: Vec<_> = map.iter().collect();
    members.sort_by(|a, b| a.0.cmp(b.0));
    members
}

fn yaml_to_json(v: serde_norway::Value) -> Value {
    use serde_norway::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::to_value(&n).unwrap_or(Value::Null),
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(yaml_to_json).collect()),
        Y::Mapping(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let key = match k {
                        Y::String(s) => s,
                        other => serde_norway::to_string(&other).unwrap_or_default().trim().to_string(),
                    };
                    (key, yaml_to_json(v))
                })
                .collect(),
        ),
        Y::Tagged(t) => yaml_to_json(t.value),
    }
}

/// The kind of a document: API Gateway exports carry `x-amazon-apigateway-*` extensions.
fn detect(doc: &Value) -> Kind {
    let schemes = doc.pointer("/components/securitySchemes").and_then(Value::as_object);
    let authorizer = |t: &str| {
        schemes.into_iter().flatten().any(|(_, s)| {
            s.pointer("/x-amazon-apigateway-authorizer/type")
                .and_then(Value::as_str)
                .is_some_and(|x| x.eq_ignore_ascii_case(t))
        })
    };
    let text = doc.to_string();
    if doc.get("x-amazon-apigateway-importexport-version").is_some()
        || authorizer("jwt")
        || text.contains("\"payloadFormatVersion\"")
    {
        Kind::GatewayHttp
    } else if text.contains("\"x-amazon-apigateway-") {
        Kind::GatewayRest
    } else {
        Kind::OpenApi
    }
}

/// Translates a document.
pub(crate) fn translate(doc: &Value) -> Import {
    let kind = detect(doc);
    let (schemes, issuers) = schemes::read_schemes(doc);
    let operations = operations::read_operations(doc, kind, &schemes, &issuers);
    Import {
        kind,
        issuers,
        operations,
    }
}

pub(crate) fn run(args: &ImportArgs) -> ExitCode {
    let doc = match read_document(&args.spec) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let import = translate(&doc);
    let unsupported = import.unsupported();
    for (op, reason) in &unsupported {
        let what = if args.skip_unsupported { "left out" } else { "error" };
        eprintln!("{what}: {op}: {reason}");
    }
    if !unsupported.is_empty() && !args.skip_unsupported {
        eprintln!(
            "{}: {} operation(s) cannot be translated faithfully; --skip-unsupported leaves them out (they are then denied)",
            args.spec.display(),
            unsupported.len()
        );
        return ExitCode::from(1);
    }
    let policy = import.policy();
    let text = match args.format {
        OutputFormat::Json => policy.to_json().map_err(|e| e.to_string()),
        OutputFormat::Toml => policy
            .to_toml()
            .map_err(|e| e.to_string())
            .map(|t| commented(&t, &import, &args.spec)),
    };
    match text {
        Ok(t) => {
            print!("{t}");
            if !t.ends_with('\n') {
                println!();
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot write the policy: {e}");
            ExitCode::from(2)
        }
    }
}

/// The TOML with a header and a comment block before each issuer and route.
fn commented(toml: &str, import: &Import, spec: &Path) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "# Imported by `scopegate import` from {}: {}.\n",
        spec.display(),
        import.kind.describe()
    ));
    let placeholders = toml.matches(scopegate::policy::PLACEHOLDER_PREFIX).count();
    if placeholders > 0 {
        out.push_str(&format!(
            "# {placeholders} value(s) \"<fill in: ..>\" are placeholders: `scopegate check` names each one.\n"
        ));
    }
    out.push_str("# Paths are as the document writes them (relative to its servers); requests no route\n");
    out.push_str("# matches are denied (settings.unmatched = \"deny\").\n");
    for (op, reason) in import.unsupported() {
        out.push_str(&format!("# Left out (denied): {op}: {reason}\n"));
    }
    let supported: Vec<&Operation> = import.operations.iter().filter(|o| o.access.is_ok()).collect();
    let (mut issuer_n, mut route_n) = (0, 0);
    let mut table = "";
    for line in toml.lines() {
        if line.starts_with('[') {
            table = line;
        }
        // Settings are the defaults: only `unmatched` is shown, the one that matters here.
        let default_setting = table.starts_with("[settings.")
            || (table == "[settings]" && line.contains(" = ") && !line.starts_with("unmatched"));
        if default_setting {
            continue;
        }
        let notes: Vec<String> = match line {
            "[[issuers]]" => {
                issuer_n += 1;
                import
                    .issuers
                    .get(issuer_n - 1)
                    .map(|d| d.notes.clone())
                    .unwrap_or_default()
            }
            "[[routes]]" => {
                route_n += 1;
                supported
                    .get(route_n - 1)
                    .map(|o| {
                        std::iter::once(o.label.clone())
                            .chain(o.notes.iter().cloned())
                            .collect()
                    })
                    .unwrap_or_default()
            }
            _ => Vec::new(),
        };
        if !notes.is_empty() && !out.ends_with("\n\n") {
            out.push('\n');
        }
        for n in notes {
            out.push_str(&format!("# {n}\n"));
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}
