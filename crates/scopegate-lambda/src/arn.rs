//! `execute-api` ARNs: the `methodArn` of REST events and the `routeArn` of HTTP API events.

use std::fmt;

/// A parsed `arn:{partition}:execute-api:{region}:{account}:{api}/{stage}/{METHOD}/{path}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecuteApiArn {
    /// `aws`, `aws-cn`, `aws-us-gov`, ...
    pub partition: String,
    /// Region, e.g. `us-east-1`.
    pub region: String,
    /// Account id.
    pub account: String,
    /// API id.
    pub api_id: String,
    /// Stage name (`$default` for HTTP APIs; `*` in console tests).
    pub stage: String,
    /// HTTP method, upper case.
    pub method: String,
    /// The request path with a leading `/` (`/` for the root resource).
    pub path: String,
}

/// An ARN that is not a well-formed `execute-api` method ARN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an execute-api method ARN ({0})")]
pub struct ArnError(pub &'static str);

/// A control character (C0, DEL or C1). Byte by byte for ASCII text: this runs on every event.
fn has_control(text: &str) -> bool {
    if text.is_ascii() {
        text.bytes().any(|b| b.is_ascii_control())
    } else {
        text.chars().any(char::is_control)
    }
}

/// `text` split at the first `sep` (an ASCII byte, so both sides are valid text).
fn cut(text: &str, sep: u8) -> Option<(&str, &str)> {
    let at = text.bytes().position(|b| b == sep)?;
    Some((text.get(..at)?, text.get(at + 1..)?))
}

fn plain(part: &str) -> bool {
    !part.is_empty() && !part.bytes().any(|b| matches!(b, b'*' | b'?' | b'/' | b':')) && !has_control(part)
}

impl ExecuteApiArn {
    /// Parses an ARN strictly: every part present, no wildcards outside the stage, an upper-case
    /// method. `…/GET` and `…/GET/` both mean the root resource.
    pub fn parse(arn: &str) -> Result<ExecuteApiArn, ArnError> {
        if arn.len() > 1600 {
            return Err(ArnError("longer than 1600 bytes"));
        }
        const SHAPE: ArnError = ArnError("expected arn:PARTITION:execute-api:REGION:ACCOUNT:RESOURCE");
        let Some(("arn", rest)) = cut(arn, b':') else {
            return Err(SHAPE);
        };
        let (partition, rest) = cut(rest, b':').ok_or(SHAPE)?;
        let Some(("execute-api", rest)) = cut(rest, b':') else {
            return Err(SHAPE);
        };
        let (region, rest) = cut(rest, b':').ok_or(SHAPE)?;
        let (account, rest) = cut(rest, b':').ok_or(SHAPE)?;
        if !plain(partition) || !plain(region) || !plain(account) {
            return Err(ArnError("empty or wildcard partition, region or account"));
        }
        const RESOURCE: ArnError = ArnError("expected API_ID/STAGE/METHOD/PATH");
        let (api_id, rest) = cut(rest, b'/').ok_or(RESOURCE)?;
        let (stage, rest) = cut(rest, b'/').ok_or(RESOURCE)?;
        let (method, path) = cut(rest, b'/').unwrap_or((rest, ""));
        if !plain(api_id) {
            return Err(ArnError("empty or wildcard API id"));
        }
        if stage != "*" && !plain(stage) {
            return Err(ArnError("empty or wildcard stage"));
        }
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(ArnError("the method is not an upper-case HTTP method"));
        }
        if has_control(path) {
            return Err(ArnError("control character in the path"));
        }
        Ok(ExecuteApiArn {
            partition: partition.to_string(),
            region: region.to_string(),
            account: account.to_string(),
            api_id: api_id.to_string(),
            stage: stage.to_string(),
            method: method.to_string(),
            path: {
                let mut p = String::with_capacity(path.len() + 1);
                p.push('/');
                p.push_str(path);
                p
            },
        })
    }

    /// `arn:…:{api}/{stage}/`: what every resource of a generated policy starts with.
    pub fn stage_prefix(&self) -> String {
        format!(
            "arn:{}:execute-api:{}:{}:{}/{}/",
            self.partition, self.region, self.account, self.api_id, self.stage
        )
    }

    /// `METHOD/path-without-leading-slash`: the part after [`ExecuteApiArn::stage_prefix`].
    pub fn suffix(&self) -> String {
        request_suffix(&self.method, &self.path)
    }

    /// True when the stage is the console test's `*`, which cannot anchor generated patterns.
    pub fn wildcard_stage(&self) -> bool {
        self.stage == "*"
    }
}

/// `METHOD/path` without the path's leading `/`, as it appears after the stage in an ARN.
pub fn request_suffix(method: &str, path: &str) -> String {
    format!("{method}/{}", path.strip_prefix('/').unwrap_or(path))
}

impl fmt::Display for ExecuteApiArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.stage_prefix(), self.suffix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_method_arns() {
        let a = ExecuteApiArn::parse("arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/GET/request").unwrap();
        assert_eq!(
            (a.api_id.as_str(), a.stage.as_str(), a.method.as_str()),
            ("s4x3opwd6i", "test", "GET")
        );
        assert_eq!(a.path, "/request");
        assert_eq!(
            a.to_string(),
            "arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/GET/request"
        );
        let root = ExecuteApiArn::parse("arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/*/GET/").unwrap();
        assert_eq!(root.path, "/");
        assert!(root.wildcard_stage());
        assert_eq!(
            ExecuteApiArn::parse("arn:aws:execute-api:r:1:a/s/GET").unwrap().path,
            "/"
        );
        let deep = ExecuteApiArn::parse("arn:aws-cn:execute-api:r:1:a/$default/POST/pets/7/toys/").unwrap();
        assert_eq!((deep.stage.as_str(), deep.path.as_str()), ("$default", "/pets/7/toys/"));
    }

    #[test]
    fn rejects_malformed_arns() {
        for bad in [
            "",
            "arn:aws:lambda:us-east-1:1:a/s/GET/x",
            "arn:aws:execute-api:us-east-1:1:a/s",
            "arn:aws:execute-api:*:1:a/s/GET/x",
            "arn:aws:execute-api:r:1:*/s/GET/x",
            "arn:aws:execute-api:r:1:a/s/get/x",
            "arn:aws:execute-api:r:1:a/s/*/x",
            "arn:aws:execute-api:r:1:a/s*/GET/x",
            "arn:aws:execute-api:r::a/s/GET/x",
            "arn:aws:execute-api:r:1:a//GET/x",
        ] {
            assert!(ExecuteApiArn::parse(bad).is_err(), "{bad}");
        }
    }
}
