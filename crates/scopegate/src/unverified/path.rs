//! Request paths as clients send them: refused before matching when routers could read them
//! differently.

/// Why a request path must be refused before matching (`None`: it is unambiguous). Adapters
/// answer such requests without asking the engine (the tower layer: 400).
///
/// The rule: the policy matches the raw path, so the raw path must mean one thing to every
/// router. Refused: an empty segment (`//`), a `.` or `..` segment (also percent-encoded),
/// a percent-encoded `/` or `\`, a raw `\`, a percent-encoded unreserved character (`%61` for
/// `a`, which normalising routers decode), malformed percent escapes, and escapes that decode
/// to invalid UTF-8 or control characters.
pub fn ambiguous_path(path: &str) -> Option<&'static str> {
    if !path.starts_with('/') {
        return Some("the path does not start with `/`");
    }
    if path.contains('\\') {
        return Some("the path contains `\\`");
    }
    let inner = path.strip_prefix('/').unwrap_or(path);
    let inner = inner.strip_suffix('/').unwrap_or(inner);
    if path != "/" {
        for segment in inner.split('/') {
            if segment.is_empty() {
                return Some("the path has an empty segment (`//`)");
            }
            let dots = |s: &str| s == "." || s == "..";
            if !segment.contains('%') {
                if dots(segment) {
                    return Some("the path has a `.` or `..` segment");
                }
                continue;
            }
            match decode(segment) {
                Err(why) => return Some(why),
                Ok(d) if dots(&d) => return Some("the path has a `.` or `..` segment"),
                Ok(_) => {}
            }
        }
    }
    None
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// Percent-decodes one segment under the rules above.
fn decode(segment: &str) -> Result<String, &'static str> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b != b'%' {
            out.push(b);
            i += 1;
            continue;
        }
        let (Some(h), Some(l)) = (
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) else {
            return Err("the path has a malformed percent escape");
        };
        let c = h * 16 + l;
        match c {
            b'/' | b'\\' => return Err("the path has a percent-encoded `/` or `\\`"),
            c if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~') => {
                return Err("the path percent-encodes an unreserved character");
            }
            c if c.is_ascii_control() => return Err("the path encodes a control character"),
            _ => out.push(c),
        }
        i += 3;
    }
    String::from_utf8(out).map_err(|_| "the path is not UTF-8 after decoding")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ambiguous_paths() {
        for ok in [
            "/",
            "/pets",
            "/pets/",
            "/pets/7",
            "/users/john%20doe",
            "/caf%C3%A9",
            "/a/b.c/..d",
        ] {
            assert_eq!(ambiguous_path(ok), None, "{ok}");
        }
        for bad in [
            "//pets",
            "/pets//7",
            "/pets/./7",
            "/pets/../admin",
            "/pets/%2e%2e/admin",
            "/pets/%2E",
            "/pets%2Fpurchase",
            "/pets%2fpurchase",
            "/pets%5Cx",
            "/pets\\x",
            "/pets/purch%61se",
            "/a/%zz",
            "/a/%4",
            "/a/%FF",
            "/a/%0A",
            "pets",
        ] {
            assert!(ambiguous_path(bad).is_some(), "{bad}");
        }
    }
}
