//! Loading a policy: reading the text, parsing it, and remembering where things stand in it so
//! that the compiler's diagnostics can point there.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::PolicySource;
use super::spans::Spans;

/// Which syntax a policy text is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// TOML (the default).
    Toml,
    /// JSON.
    Json,
}

impl Format {
    /// `.json` files are JSON; everything else is TOML.
    pub fn for_path(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("json") => Format::Json,
            _ => Format::Toml,
        }
    }
}

/// A position in a policy file, for diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file, or `<inline>`.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// A policy file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The file could not be opened.
    #[error("{file}: cannot read policy: {source}")]
    Io {
        /// The path.
        file: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The text is not a valid policy document.
    #[error("{location}: error: {message}")]
    Syntax {
        /// Where the parser stopped.
        location: Location,
        /// What was expected.
        message: String,
    },
}

/// An environment variable is set but its value is not valid UTF-8 (the value is never shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SecretUnreadable;

/// A policy source together with where it came from, so that later stages can point into it.
#[derive(Debug, Clone)]
pub struct LoadedPolicy {
    /// The parsed model.
    pub source: PolicySource,
    text: Option<String>,
    spans: Spans,
    file: String,
    base_dir: Option<PathBuf>,
    secrets: BTreeMap<String, String>,
}

impl LoadedPolicy {
    /// Reads a TOML or JSON (by extension) policy file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<LoadedPolicy, PolicyError> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Io {
            file: file.clone(),
            source,
        })?;
        let mut loaded = LoadedPolicy::parse(&text, Format::for_path(path), &file)?;
        loaded.base_dir = path.parent().map(Path::to_path_buf);
        Ok(loaded)
    }

    /// Parses policy text; `file` names it in diagnostics. Relative paths resolve from the
    /// current directory.
    pub fn parse(text: &str, format: Format, file: &str) -> Result<LoadedPolicy, PolicyError> {
        let (source, spans) = match format {
            Format::Toml => {
                let source = toml::from_str::<PolicySource>(text).map_err(|e| {
                    let offset = e.span().map_or(0, |s| s.start);
                    PolicyError::Syntax {
                        location: location_at(text, file, offset),
                        message: e.message().trim().to_string(),
                    }
                })?;
                // The same text read again for positions only: it parsed once, so this cannot
                // fail in practice, and positions are a help, never a requirement.
                (source, toml::from_str::<Spans>(text).unwrap_or_default())
            }
            Format::Json => {
                let source = serde_json::from_str::<PolicySource>(text).map_err(|e| PolicyError::Syntax {
                    location: Location {
                        file: file.to_string(),
                        line: e.line(),
                        column: e.column(),
                    },
                    message: json_message(&e),
                })?;
                (source, Spans::default())
            }
        };
        Ok(LoadedPolicy {
            source,
            text: Some(text.to_string()),
            spans,
            file: file.to_string(),
            base_dir: None,
            secrets: BTreeMap::new(),
        })
    }

    /// Wraps a model built in code, field by field (no text to point into).
    pub fn from_source(source: PolicySource) -> LoadedPolicy {
        LoadedPolicy {
            source,
            text: None,
            spans: Spans::default(),
            file: "<inline>".to_string(),
            base_dir: None,
            secrets: BTreeMap::new(),
        }
    }

    /// Supplies a value for a `hmac_secret_env` name without touching the process
    /// environment (secrets from a vault, or tests). Takes precedence over the environment.
    pub fn with_secret(mut self, name: &str, value: &str) -> LoadedPolicy {
        self.secrets.insert(name.to_string(), value.to_string());
        self
    }

    /// The name used in diagnostics.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The value of a secret: from [`LoadedPolicy::with_secret`], else the environment.
    /// `Ok(None)` when it is not set; an error when it is set but not text.
    pub(crate) fn secret(&self, name: &str) -> Result<Option<String>, SecretUnreadable> {
        if let Some(v) = self.secrets.get(name) {
            return Ok(Some(v.clone()));
        }
        match std::env::var(name) {
            Ok(v) => Ok(Some(v)),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(SecretUnreadable),
        }
    }

    /// Resolves a path written in the policy against the policy file's folder.
    pub(crate) fn resolve(&self, path: &Path) -> PathBuf {
        match &self.base_dir {
            Some(dir) if path.is_relative() => dir.join(path),
            _ => path.to_path_buf(),
        }
    }

    /// Where each value of interest stands in the text (TOML only).
    pub(crate) fn spans(&self) -> &Spans {
        &self.spans
    }

    /// Where a value stands: at its own span when the format keeps spans, else (JSON) at the
    /// first appearance of the quoted value.
    pub(crate) fn locate(&self, span: Option<&Spanned<String>>, value: &str) -> Option<Location> {
        let text = self.text.as_deref()?;
        match span {
            Some(s) => {
                let start = s.span().start;
                // Point inside the quotes, at the value itself.
                let quoted = text.get(start..).is_some_and(|t| t.starts_with(['"', '\'']));
                Some(location_at(text, &self.file, start + usize::from(quoted)))
            }
            None => self.locate_value(value, 0),
        }
    }

    /// Best-effort location of a quoted string value, for diagnostics about values that the
    /// format parser accepted but the compiler did not. `occurrence` picks among repeats.
    pub(crate) fn locate_value(&self, value: &str, occurrence: usize) -> Option<Location> {
        let text = self.text.as_deref()?;
        let quoted = serde_json::to_string(value).ok()?;
        let candidates = [quoted, format!("'{value}'")];
        candidates.iter().find_map(|needle| {
            let offset = text.match_indices(needle.as_str()).nth(occurrence)?.0;
            // Point inside the quotes, at the value itself.
            Some(location_at(text, &self.file, offset + 1))
        })
    }
}

fn json_message(e: &serde_json::Error) -> String {
    // serde_json appends " at line L column C"; the location is reported separately.
    let full = e.to_string();
    match full.rfind(" at line ") {
        Some(i) => full.get(..i).unwrap_or(&full).to_string(),
        None => full,
    }
}

/// 1-based line and column of a byte offset.
fn location_at(text: &str, file: &str, offset: usize) -> Location {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    Location {
        file: file.to_string(),
        line,
        column,
    }
}
