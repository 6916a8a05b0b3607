//! What the layer reads from a request: the token, through the core's credentials parser.

use http::header::{AUTHORIZATION, COOKIE};
use http::{HeaderMap, Request};
use scopegate::unverified::{Credentials, Scheme};

/// Where the layer looks for the access token.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TokenSource {
    /// `Authorization: Bearer <token>` (scheme compared without case). The default.
    #[default]
    AuthorizationBearer,
    /// A named header holding the token, with or without a `Bearer ` prefix.
    Header(http::HeaderName),
    /// A cookie holding the token.
    Cookie(String),
    /// A query-string parameter holding the token.
    Query(String),
}

impl TokenSource {
    /// What the request carries where this source looks: the `Authorization` header needs the
    /// `Bearer` scheme, a named header may omit it (the core's [`Scheme`] rules).
    pub(crate) fn extract<'r, B>(&self, req: &'r Request<B>) -> Credentials<'r> {
        let header = |name: &http::HeaderName, scheme| {
            Credentials::from_header_values(req.headers().get_all(name).iter().map(|v| v.as_bytes()), scheme)
        };
        match self {
            TokenSource::AuthorizationBearer => header(&AUTHORIZATION, Scheme::Required),
            TokenSource::Header(name) => header(name, Scheme::Optional),
            TokenSource::Cookie(name) => cookie(req.headers(), name),
            TokenSource::Query(name) => query(req.uri().query(), name),
        }
    }
}

fn cookie<'r>(headers: &'r HeaderMap, name: &str) -> Credentials<'r> {
    let mut found = None;
    for header in headers.get_all(COOKIE) {
        let Ok(text) = header.to_str() else {
            return Credentials::Unusable("a Cookie header is not visible ASCII");
        };
        for pair in text.split(';') {
            let (k, v) = pair.trim().split_once('=').unwrap_or((pair.trim(), ""));
            if k == name {
                if found.is_some() {
                    return Credentials::Unusable("the token cookie appears more than once");
                }
                found = Some(v.trim_matches('"'));
            }
        }
    }
    match found {
        None => Credentials::Absent,
        Some("") => Credentials::Unusable("the token cookie is empty"),
        Some(v) => Credentials::Token(v),
    }
}

fn query<'r>(query: Option<&'r str>, name: &str) -> Credentials<'r> {
    let mut found = None;
    for pair in query.unwrap_or("").split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if k == name {
            if found.is_some() {
                return Credentials::Unusable("the token parameter appears more than once");
            }
            found = Some(v);
        }
    }
    match found {
        None => Credentials::Absent,
        Some("") => Credentials::Unusable("the token parameter is empty"),
        // A JWT is base64url and dots; anything percent-encoded is not one.
        Some(v) if v.contains('%') || v.contains('+') => Credentials::Unusable("the token parameter is encoded"),
        Some(v) => Credentials::Token(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(headers: &[(&str, &str)], uri: &str) -> Request<()> {
        let mut b = Request::builder().uri(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap()
    }

    #[test]
    fn authorization_bearer() {
        let s = TokenSource::AuthorizationBearer;
        assert_eq!(
            s.extract(&req(&[("authorization", "Bearer a.b.c")], "/")),
            Credentials::Token("a.b.c")
        );
        assert_eq!(
            s.extract(&req(&[("authorization", "bearer   a.b.c ")], "/")),
            Credentials::Token("a.b.c")
        );
        assert_eq!(
            s.extract(&req(&[("authorization", "BEARER a.b.c")], "/")),
            Credentials::Token("a.b.c")
        );
        assert_eq!(s.extract(&req(&[], "/")), Credentials::Absent);
        // Spaces inside the token are the engine's `malformed_token`, not the extractor's.
        assert_eq!(
            s.extract(&req(&[("authorization", "Bearer a b")], "/")),
            Credentials::Token("a b")
        );
        for bad in ["Basic dXNlcjpwdw==", "a.b.c", "Bearer", "Bearer ", "Token a.b.c"] {
            assert!(
                matches!(
                    s.extract(&req(&[("authorization", bad)], "/")),
                    Credentials::Unusable(_)
                ),
                "{bad}"
            );
        }
        let two = req(
            &[("authorization", "Bearer a.b.c"), ("authorization", "Bearer d.e.f")],
            "/",
        );
        assert_eq!(
            s.extract(&two),
            Credentials::Unusable("more than one credentials header")
        );
    }

    #[test]
    fn named_header_cookie_and_query() {
        let h = TokenSource::Header(http::HeaderName::from_static("x-access-token"));
        assert_eq!(
            h.extract(&req(&[("x-access-token", "a.b.c")], "/")),
            Credentials::Token("a.b.c")
        );
        assert_eq!(
            h.extract(&req(&[("x-access-token", "Bearer a.b.c")], "/")),
            Credentials::Token("a.b.c")
        );
        let c = TokenSource::Cookie("at".into());
        assert_eq!(
            c.extract(&req(&[("cookie", "theme=dark; at=a.b.c")], "/")),
            Credentials::Token("a.b.c")
        );
        assert!(matches!(
            c.extract(&req(&[("cookie", "at=x"), ("cookie", "at=y")], "/")),
            Credentials::Unusable(_)
        ));
        assert_eq!(c.extract(&req(&[("cookie", "att=x")], "/")), Credentials::Absent);
        let q = TokenSource::Query("access_token".into());
        assert_eq!(
            q.extract(&req(&[], "/p?x=1&access_token=a.b.c")),
            Credentials::Token("a.b.c")
        );
        assert!(matches!(
            q.extract(&req(&[], "/p?access_token=a&access_token=b")),
            Credentials::Unusable(_)
        ));
        assert!(matches!(
            q.extract(&req(&[], "/p?access_token=a%2Eb")),
            Credentials::Unusable(_)
        ));
    }
}
