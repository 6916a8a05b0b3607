//! `scopegate matrix POLICY [--format markdown|html|json]`: who can call what, from the grants
//! analysis of the core ([`scopegate::Engine::grants`]).

mod html;
mod table;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde_json::{Value, json};

use table::{Row, cell, columns, issuers, rows};
pub(crate) use table::{conjunction_json, conjunction_text};

/// Arguments of `scopegate matrix`.
#[derive(Args)]
pub(crate) struct MatrixArgs {
    /// Policy file.
    policy: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "markdown")]
    format: MatrixFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum MatrixFormat {
    /// A table for a code-review page.
    Markdown,
    /// One self-contained HTML file (audit evidence: offline, printable).
    Html,
    /// `{"routes": [..]}`.
    Json,
}
fn markdown(rows: &[Row], cols: &[String]) -> String {
    let esc = |s: &str| s.replace('|', "\\|");
    let mut out = String::from("| route | requirement | who |");
    for c in cols {
        out.push_str(&format!(" `{}` |", esc(c)));
    }
    out.push_str("\n|---|---|---|");
    out.push_str(&"---|".repeat(cols.len()));
    out.push('\n');
    for r in rows {
        out.push_str(&format!(
            "| `{}` | `{}` | {} |",
            esc(&r.route),
            esc(&r.requirement),
            issuers(&r.grants)
        ));
        for c in cols {
            out.push_str(&format!(" {} |", cell(&r.grants, c).text()));
        }
        out.push('\n');
    }
    out.push_str(
        "\nalone: enough by itself (with a valid token from a listed issuer); with others: needed \
         together with other atoms; excluded: a token holding it is refused by that grant.\n",
    );
    out
}

pub(crate) fn run(args: &MatrixArgs) -> ExitCode {
    let Ok((loaded, engine)) = crate::load_policy(&args.policy) else {
        return ExitCode::from(2);
    };
    let rows = match rows(&engine) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{}: {e}", args.policy.display());
            return ExitCode::from(2);
        }
    };
    let cols = columns(&rows);
    match args.format {
        MatrixFormat::Json => {
            let routes: Vec<Value> = rows
                .iter()
                .map(|r| {
                    json!({
                        "route": r.route,
                        "requirement": r.requirement,
                        "anonymous": r.grants.anonymous,
                        "grants": r.grants.conjunctions.iter().map(conjunction_json).collect::<Vec<_>>(),
                    })
                })
                .collect();
            println!("{}", json!({ "routes": routes }));
        }
        MatrixFormat::Markdown => print!("{}", markdown(&rows, &cols)),
        MatrixFormat::Html => print!("{}", html::page(loaded.file(), &rows, &cols)),
    }
    ExitCode::SUCCESS
}
