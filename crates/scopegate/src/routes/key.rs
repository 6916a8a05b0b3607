//! Route keys as written in a policy: `GET /pets/{id}`, `ANY /{proxy+}`, `$default`.

use std::fmt;

use super::{MAX_SEGMENTS, METHODS, next_segment, trim_path};

/// One segment of a route path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Matches itself exactly.
    Literal(String),
    /// `{name}`: any one non-empty segment.
    Param(String),
    /// `{name+}`: one or more segments; only last.
    Greedy(String),
}

/// A parsed route key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteKey {
    /// `$default`: requests no other route matches.
    Default,
    /// `METHOD /path`.
    Path {
        /// Upper-case method name, or `None` for `ANY`.
        method: Option<String>,
        /// The path's segments (empty for `/`).
        segments: Vec<Segment>,
    },
}

/// A route key that cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid route key `{key}`: {message}")]
pub struct RouteKeyError {
    /// The key as written.
    pub key: String,
    /// Why.
    pub message: String,
}

impl RouteKey {
    /// Parses `GET /pets/{id}`, `ANY /{proxy+}` or `$default`.
    pub fn parse(key: &str) -> Result<RouteKey, RouteKeyError> {
        let err = |message: String| RouteKeyError {
            key: key.to_string(),
            message,
        };
        if key == "$default" {
            return Ok(RouteKey::Default);
        }
        let (method, path) = key
            .split_once(' ')
            .ok_or_else(|| err("expected `METHOD /path` or `$default`".into()))?;
        let method = match method {
            "ANY" => None,
            m if METHODS.contains(&m) => Some(m.to_string()),
            m => {
                return Err(err(format!(
                    "unknown method `{m}`; expected ANY or one of {}",
                    METHODS.join(", ")
                )));
            }
        };
        let Some(rest) = path.strip_prefix('/') else {
            return Err(err("the path must start with `/`".into()));
        };
        if rest.is_empty() {
            return Ok(RouteKey::Path {
                method,
                segments: Vec::new(),
            });
        }
        if rest.ends_with('/') {
            return Err(err(
                "the path must not end with `/` (requests with a trailing slash match anyway)".into(),
            ));
        }
        let parts: Vec<&str> = rest.split('/').collect();
        if parts.len() > MAX_SEGMENTS {
            return Err(err(format!("more than {MAX_SEGMENTS} segments")));
        }
        let mut segments = Vec::with_capacity(parts.len());
        for (i, part) in parts.iter().enumerate() {
            if part.is_empty() {
                return Err(err("empty segment (`//`)".into()));
            }
            if part
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '?' || c == '#')
            {
                return Err(err(format!("segment `{part}` contains whitespace, `?` or `#`")));
            }
            let segment = match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(inner) => {
                    let (name, greedy) = match inner.strip_suffix('+') {
                        Some(n) => (n, true),
                        None => (inner, false),
                    };
                    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                        return Err(err(format!("bad parameter name in `{part}`")));
                    }
                    if greedy && i + 1 != parts.len() {
                        return Err(err(format!("greedy `{part}` must be the last segment")));
                    }
                    if greedy {
                        Segment::Greedy(name.into())
                    } else {
                        Segment::Param(name.into())
                    }
                }
                None if part.contains(['{', '}']) => {
                    return Err(err(format!("segment `{part}` mixes text and a parameter")));
                }
                None => Segment::Literal((*part).to_string()),
            };
            segments.push(segment);
        }
        let key_out = RouteKey::Path { method, segments };
        let mut names = key_out.param_names();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w.first() == w.get(1)) {
            return Err(err(format!(
                "parameter `{}` appears twice",
                w.first().copied().unwrap_or_default()
            )));
        }
        Ok(key_out)
    }

    /// Names of the key's parameters, in order.
    pub fn param_names(&self) -> Vec<&str> {
        let RouteKey::Path { segments, .. } = self else {
            return Vec::new();
        };
        segments
            .iter()
            .filter_map(|s| match s {
                Segment::Param(n) | Segment::Greedy(n) => Some(n.as_str()),
                Segment::Literal(_) => None,
            })
            .collect()
    }

    /// Extracts path parameters from a request path this key matched.
    pub fn params<'p>(&self, path: &'p str) -> Vec<(&str, &'p str)> {
        let mut out = Vec::new();
        self.each_param(path, |name, value| out.push((name, value)));
        out
    }

    /// Calls `f(name, value)` for each path parameter, in route order, without allocating.
    pub(crate) fn each_param<'k, 'p>(&'k self, path: &'p str, mut f: impl FnMut(&'k str, &'p str)) {
        let RouteKey::Path { segments, .. } = self else {
            return;
        };
        let mut rest = trim_path(path);
        for segment in segments {
            let (head, tail) = next_segment(rest);
            let tail = tail.unwrap_or("");
            match segment {
                Segment::Literal(_) => {}
                Segment::Param(name) => f(name.as_str(), head),
                Segment::Greedy(name) => {
                    f(name.as_str(), rest);
                    return;
                }
            }
            rest = tail;
        }
    }
}

impl fmt::Display for RouteKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteKey::Default => f.write_str("$default"),
            RouteKey::Path { method, segments } => {
                f.write_str(method.as_deref().unwrap_or("ANY"))?;
                f.write_str(" ")?;
                if segments.is_empty() {
                    return f.write_str("/");
                }
                for s in segments {
                    match s {
                        Segment::Literal(l) => write!(f, "/{l}")?,
                        Segment::Param(n) => write!(f, "/{{{n}}}")?,
                        Segment::Greedy(n) => write!(f, "/{{{n}+}}")?,
                    }
                }
                Ok(())
            }
        }
    }
}
