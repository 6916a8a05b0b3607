//! Credentials as adapters find them: one parser for every adapter, so that the tower layer,
//! the Lambda authorizer and the command line differ only where they mean to.

/// What an adapter found where the token should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials<'a> {
    /// Nothing there: the engine answers `missing_token` where a token is needed.
    Absent,
    /// A token, not yet verified.
    Token(&'a str),
    /// Something there that cannot be a bearer token (another scheme, a repeated header). The
    /// text says why and never quotes the credentials; the engine answers `malformed_token`.
    Unusable(&'static str),
}

/// How strictly a credentials value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scheme {
    /// The `Authorization` header (RFC 6750 §2.1): the `Bearer` scheme (any case) is required;
    /// another scheme, or `Bearer` with nothing after it, is unusable.
    Required,
    /// A header dedicated to the token: `Bearer ` is optional; another scheme, or nothing
    /// after `Bearer`, is unusable.
    Optional,
    /// As people paste tokens and API Gateway hands them over (command line, Lambda events):
    /// whitespace and a leading `Bearer ` are removed, nothing left is no token, and whatever
    /// else is there is the engine's to judge.
    Lenient,
}

const NOT_BEARER: &str = "the authorization scheme is not Bearer";
const EMPTY: &str = "the Bearer credentials are empty";

impl<'a> Credentials<'a> {
    /// Reads one credentials value.
    pub fn parse(value: &'a str, scheme: Scheme) -> Credentials<'a> {
        let value = value.trim();
        let token = match value.split_once(' ') {
            Some((s, rest)) if s.eq_ignore_ascii_case("bearer") => rest.trim_start(),
            Some(_) if scheme != Scheme::Lenient => return Credentials::Unusable(NOT_BEARER),
            None if value.eq_ignore_ascii_case("bearer") => "",
            None if scheme == Scheme::Required => return Credentials::Unusable(NOT_BEARER),
            _ => value,
        };
        match (token.is_empty(), scheme) {
            (true, Scheme::Lenient) => Credentials::Absent,
            (true, _) => Credentials::Unusable(EMPTY),
            // Anything else wrong with the token (spaces included) is the engine's
            // `malformed_token`, with the engine's explanation.
            (false, _) => Credentials::Token(token),
        }
    }

    /// Reads every value a request carries for one header: none is absent, more than one is
    /// unusable (which one would a gateway have checked?), and so is a value that is not UTF-8.
    pub fn from_header_values(values: impl IntoIterator<Item = &'a [u8]>, scheme: Scheme) -> Credentials<'a> {
        let mut values = values.into_iter();
        let Some(value) = values.next() else {
            return Credentials::Absent;
        };
        if values.next().is_some() {
            return Credentials::Unusable("more than one credentials header");
        }
        // Header values cannot hold control characters, and the engine validates the token.
        match std::str::from_utf8(value) {
            Ok(value) => Credentials::parse(value, scheme),
            Err(_) => Credentials::Unusable("the credentials header is not UTF-8"),
        }
    }

    /// The token, when there is one.
    pub fn token(self) -> Option<&'a str> {
        match self {
            Credentials::Token(t) => Some(t),
            Credentials::Absent | Credentials::Unusable(_) => None,
        }
    }
}

/// A CORS preflight: `OPTIONS` with `Origin` and `Access-Control-Request-Method`.
/// `has_header` answers for lower-case header names.
pub fn is_cors_preflight(method: &str, has_header: impl Fn(&str) -> bool) -> bool {
    method == "OPTIONS" && has_header("origin") && has_header("access-control-request-method")
}

#[cfg(test)]
mod tests {
    use super::*;
    use Credentials::{Absent, Token, Unusable};

    /// The intended differences, one row per input: the `Authorization` header (tower's
    /// default), a dedicated token header (tower's `TokenSource::Header`), and pasted or
    /// gateway-given values (command line, Lambda).
    #[test]
    fn schemes_differ_only_where_intended() {
        #[rustfmt::skip]
        let rows: &[(&str, Credentials<'_>, Credentials<'_>, Credentials<'_>)] = &[
            // input                  Required                Optional                Lenient
            ("Bearer a.b.c",          Token("a.b.c"),         Token("a.b.c"),         Token("a.b.c")),
            ("bearer   a.b.c ",       Token("a.b.c"),         Token("a.b.c"),         Token("a.b.c")),
            ("BEARER a.b.c",          Token("a.b.c"),         Token("a.b.c"),         Token("a.b.c")),
            ("  Bearer a.b.c\n",      Token("a.b.c"),         Token("a.b.c"),         Token("a.b.c")),
            ("Bearer a b",            Token("a b"),           Token("a b"),           Token("a b")),
            ("a.b.c",                 Unusable(NOT_BEARER),   Token("a.b.c"),         Token("a.b.c")),
            ("Basic dXNlcjpwdw==",    Unusable(NOT_BEARER),   Unusable(NOT_BEARER),   Token("Basic dXNlcjpwdw==")),
            ("Token a.b.c",           Unusable(NOT_BEARER),   Unusable(NOT_BEARER),   Token("Token a.b.c")),
            ("Bearer",                Unusable(EMPTY),        Unusable(EMPTY),        Absent),
            ("Bearer ",               Unusable(EMPTY),        Unusable(EMPTY),        Absent),
            ("",                      Unusable(NOT_BEARER),   Unusable(EMPTY),        Absent),
            (" \n",                   Unusable(NOT_BEARER),   Unusable(EMPTY),        Absent),
        ];
        for (input, required, optional, lenient) in rows {
            assert_eq!(
                Credentials::parse(input, Scheme::Required),
                *required,
                "Required {input:?}"
            );
            assert_eq!(
                Credentials::parse(input, Scheme::Optional),
                *optional,
                "Optional {input:?}"
            );
            assert_eq!(
                Credentials::parse(input, Scheme::Lenient),
                *lenient,
                "Lenient {input:?}"
            );
        }
    }

    #[test]
    fn repeated_or_binary_headers_are_unusable() {
        let one: [&[u8]; 1] = [b"Bearer a.b.c"];
        assert_eq!(Credentials::from_header_values(one, Scheme::Required), Token("a.b.c"));
        let none: [&[u8]; 0] = [];
        assert_eq!(Credentials::from_header_values(none, Scheme::Required), Absent);
        let two: [&[u8]; 2] = [b"Bearer a.b.c", b"Bearer d.e.f"];
        assert_eq!(
            Credentials::from_header_values(two, Scheme::Optional),
            Unusable("more than one credentials header")
        );
        let binary: [&[u8]; 1] = [b"Bearer \xff"];
        assert_eq!(
            Credentials::from_header_values(binary, Scheme::Required),
            Unusable("the credentials header is not UTF-8")
        );
    }

    #[test]
    fn preflight_needs_options_origin_and_request_method() {
        let both = |h: &str| h == "origin" || h == "access-control-request-method";
        assert!(is_cors_preflight("OPTIONS", both));
        assert!(!is_cors_preflight("GET", both));
        assert!(!is_cors_preflight("OPTIONS", |h| h == "origin"));
    }
}
