//! Requirement expressions: `scope:pets:buy and not role:admin`.
//!
//! Grammar (`not` binds tighter than `and`, which binds tighter than `or`):
//! ```text
//! or    := and ("or" and)*
//! and   := unary ("and" unary)*
//! unary := "not" unary | "(" or ")" | atom
//! atom  := "authenticated" | KIND ":" NAME        KIND = scope | role | issuer | client
//! NAME  := [A-Za-z0-9:/._-]+ | '"' any text without '"' '"'
//! ```

use std::fmt;

/// A parsed requirement, before names are interned by the compiler.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Expr {
    /// Any valid token.
    Authenticated,
    /// The token carries this scope.
    Scope(String),
    /// The token carries this role.
    Role(String),
    /// The token came from the issuer with this policy id.
    Issuer(String),
    /// The token was issued to this client.
    Client(String),
    /// Negation.
    Not(Box<Expr>),
    /// All of (two or more).
    And(Vec<Expr>),
    /// Any of (two or more).
    Or(Vec<Expr>),
}

/// A syntax error, with the character offset where it was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {}: {message}", .offset + 1)]
pub struct ExprError {
    /// 0-based character offset into the expression.
    pub offset: usize,
    /// What was expected.
    pub message: String,
}

/// Longest expression accepted; policies are trusted, but a typo should not recurse forever.
const MAX_DEPTH: usize = 64;

impl Expr {
    /// Parses an expression.
    pub fn parse(text: &str) -> Result<Expr, ExprError> {
        let tokens = lex(text)?;
        let mut p = Parser {
            tokens: &tokens,
            pos: 0,
            end: text.chars().count(),
            depth: 0,
        };
        let expr = p.or()?;
        match p.peek() {
            None => Ok(expr),
            Some(t) => Err(t.error(format!("expected `and`, `or` or the end, found {}", t.kind))),
        }
    }

    fn needs_quotes(name: &str) -> bool {
        name.is_empty() || !name.chars().all(is_name_char) || is_keyword(name)
    }

    /// Calls `f` on every atom (leaf).
    pub fn for_each_atom(&self, f: &mut impl FnMut(&Expr)) {
        match self {
            Expr::Not(e) => e.for_each_atom(f),
            Expr::And(es) | Expr::Or(es) => es.iter().for_each(|e| e.for_each_atom(f)),
            atom => f(atom),
        }
    }

    /// True when the expression contains a `not`.
    pub fn has_negation(&self) -> bool {
        match self {
            Expr::Not(_) => true,
            Expr::And(es) | Expr::Or(es) => es.iter().any(Expr::has_negation),
            _ => false,
        }
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '.' | '-' | '_')
}

fn is_keyword(word: &str) -> bool {
    matches!(word, "and" | "or" | "not")
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn name(f: &mut fmt::Formatter<'_>, kind: &str, n: &str) -> fmt::Result {
            if Expr::needs_quotes(n) {
                write!(f, "{kind}:\"{n}\"")
            } else {
                write!(f, "{kind}:{n}")
            }
        }
        fn child(f: &mut fmt::Formatter<'_>, e: &Expr, parens: bool) -> fmt::Result {
            if parens { write!(f, "({e})") } else { write!(f, "{e}") }
        }
        match self {
            Expr::Authenticated => f.write_str("authenticated"),
            Expr::Scope(n) => name(f, "scope", n),
            Expr::Role(n) => name(f, "role", n),
            Expr::Issuer(n) => name(f, "issuer", n),
            Expr::Client(n) => name(f, "client", n),
            Expr::Not(e) => {
                f.write_str("not ")?;
                child(f, e, matches!(**e, Expr::And(_) | Expr::Or(_)))
            }
            Expr::And(es) => {
                for (i, e) in es.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" and ")?;
                    }
                    child(f, e, matches!(e, Expr::And(_) | Expr::Or(_)))?;
                }
                Ok(())
            }
            Expr::Or(es) => {
                for (i, e) in es.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" or ")?;
                    }
                    child(f, e, matches!(e, Expr::Or(_)))?;
                }
                Ok(())
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Word(String),
    Atom(&'static str, String),
    Open,
    Close,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kind::Word(w) => write!(f, "`{w}`"),
            Kind::Atom(k, n) => write!(f, "`{k}:{n}`"),
            Kind::Open => f.write_str("`(`"),
            Kind::Close => f.write_str("`)`"),
        }
    }
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    offset: usize,
}

impl Token {
    fn error(&self, message: String) -> ExprError {
        ExprError {
            offset: self.offset,
            message,
        }
    }
}

fn lex(text: &str) -> Result<Vec<Token>, ExprError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '(' || c == ')' {
            tokens.push(Token {
                kind: if c == '(' { Kind::Open } else { Kind::Close },
                offset: i,
            });
            i += 1;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            return Err(ExprError {
                offset: i,
                message: format!(
                    "unexpected `{c}`; expected `scope:`, `role:`, `issuer:`, `client:`, `authenticated`, `not` or `(`"
                ),
            });
        }
        while chars.get(i).is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_') {
            i += 1;
        }
        let word: String = chars.get(start..i).unwrap_or_default().iter().collect();
        if chars.get(i) != Some(&':') {
            tokens.push(Token {
                kind: Kind::Word(word),
                offset: start,
            });
            continue;
        }
        let kind = match word.as_str() {
            "scope" => "scope",
            "role" => "role",
            "issuer" => "issuer",
            "client" => "client",
            _ => {
                return Err(ExprError {
                    offset: start,
                    message: format!("unknown kind `{word}:`; expected `scope:`, `role:`, `issuer:` or `client:`"),
                });
            }
        };
        i += 1; // ':'
        let name_start = i;
        let name: String = if chars.get(i) == Some(&'"') {
            i += 1;
            let from = i;
            while chars.get(i).is_some_and(|c| *c != '"') {
                i += 1;
            }
            if chars.get(i).is_none() {
                return Err(ExprError {
                    offset: name_start,
                    message: "unterminated quoted name".into(),
                });
            }
            let name = chars.get(from..i).unwrap_or_default().iter().collect();
            i += 1;
            name
        } else {
            while chars.get(i).copied().is_some_and(is_name_char) {
                i += 1;
            }
            chars.get(name_start..i).unwrap_or_default().iter().collect()
        };
        if name.is_empty() {
            return Err(ExprError {
                offset: name_start,
                message: format!("expected a name after `{kind}:`"),
            });
        }
        tokens.push(Token {
            kind: Kind::Atom(kind, name),
            offset: start,
        });
    }
    Ok(tokens)
}

struct Parser<'t> {
    tokens: &'t [Token],
    pos: usize,
    end: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn eat_word(&mut self, word: &str) -> bool {
        let hit = matches!(self.peek(), Some(Token { kind: Kind::Word(w), .. }) if w == word);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn or(&mut self) -> Result<Expr, ExprError> {
        self.joined("or", Self::and, Expr::Or)
    }

    fn and(&mut self) -> Result<Expr, ExprError> {
        self.joined("and", Self::unary, Expr::And)
    }

    /// Operands joined by an infix word (`and`, `or`); a single operand stands alone.
    fn joined(
        &mut self,
        word: &str,
        operand: fn(&mut Self) -> Result<Expr, ExprError>,
        join: fn(Vec<Expr>) -> Expr,
    ) -> Result<Expr, ExprError> {
        let mut items = vec![operand(self)?];
        while self.eat_word(word) {
            items.push(operand(self)?);
        }
        Ok(if items.len() == 1 { items.remove(0) } else { join(items) })
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let offset = self.peek().map_or(self.end, |t| t.offset);
            return Err(ExprError {
                offset,
                message: format!("nested deeper than {MAX_DEPTH}"),
            });
        }
        let result = self.unary_inner();
        self.depth -= 1;
        result
    }

    fn unary_inner(&mut self) -> Result<Expr, ExprError> {
        let Some(token) = self.peek().cloned() else {
            return Err(ExprError {
                offset: self.end,
                message: "unexpected end; expected `scope:NAME`, `role:NAME`, `issuer:ID`, `client:ID`, `authenticated`, `not` or `(`".into(),
            });
        };
        self.pos += 1;
        match token.kind {
            Kind::Word(w) if w == "not" => Ok(Expr::Not(Box::new(self.unary()?))),
            Kind::Word(w) if w == "authenticated" => Ok(Expr::Authenticated),
            Kind::Open => {
                let inner = self.or()?;
                match self.peek() {
                    Some(Token { kind: Kind::Close, .. }) => {
                        self.pos += 1;
                        Ok(inner)
                    }
                    Some(t) => Err(t.error(format!("expected `)`, found {}", t.kind))),
                    None => Err(ExprError {
                        offset: self.end,
                        message: format!("missing `)` for `(` at column {}", token.offset + 1),
                    }),
                }
            }
            Kind::Atom(kind, name) => Ok(match kind {
                "scope" => Expr::Scope(name),
                "role" => Expr::Role(name),
                "issuer" => Expr::Issuer(name),
                _ => Expr::Client(name),
            }),
            other => Err(ExprError {
                offset: token.offset,
                message: format!(
                    "expected `scope:NAME`, `role:NAME`, `issuer:ID`, `client:ID`, `authenticated`, `not` or `(`, found {other}"
                ),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: &str) -> Expr {
        Expr::Scope(n.into())
    }
    fn r(n: &str) -> Expr {
        Expr::Role(n.into())
    }

    #[test]
    fn precedence_not_and_or() {
        let e = Expr::parse("scope:a or scope:b and not role:c").unwrap();
        assert_eq!(
            e,
            Expr::Or(vec![s("a"), Expr::And(vec![s("b"), Expr::Not(Box::new(r("c")))])])
        );
    }

    #[test]
    fn parentheses_group() {
        let e = Expr::parse("(scope:a or scope:b) and role:x").unwrap();
        assert_eq!(e, Expr::And(vec![Expr::Or(vec![s("a"), s("b")]), r("x")]));
    }

    #[test]
    fn names_with_punctuation_and_quotes() {
        assert_eq!(Expr::parse("scope:pets:buy").unwrap(), s("pets:buy"));
        assert_eq!(
            Expr::parse("role:https://pets.example.com/admin").unwrap(),
            r("https://pets.example.com/admin")
        );
        assert_eq!(Expr::parse("scope:\"read all (v2)\"").unwrap(), s("read all (v2)"));
        assert_eq!(
            Expr::parse("issuer:auth0 and client:abc-1").unwrap(),
            Expr::And(vec![Expr::Issuer("auth0".into()), Expr::Client("abc-1".into())])
        );
        assert_eq!(Expr::parse("  authenticated ").unwrap(), Expr::Authenticated);
    }

    #[test]
    fn errors_have_positions() {
        let e = Expr::parse("scope:a and").unwrap_err();
        assert_eq!(e.offset, 11);
        assert!(e.message.contains("unexpected end"));
        let e = Expr::parse("scope:a and (role:b").unwrap_err();
        assert!(e.message.contains("missing `)`"), "{e}");
        let e = Expr::parse("scope:a role:b").unwrap_err();
        assert_eq!(e.offset, 8);
        let e = Expr::parse("scopes:a").unwrap_err();
        assert!(e.message.contains("unknown kind `scopes:`"), "{e}");
        let e = Expr::parse("scope:").unwrap_err();
        assert_eq!((e.offset, e.message.as_str()), (6, "expected a name after `scope:`"));
        let e = Expr::parse("scope:\"open").unwrap_err();
        assert!(e.message.contains("unterminated"));
        let e = Expr::parse("scope:a & scope:b").unwrap_err();
        assert_eq!(e.offset, 8);
        assert!(Expr::parse("").is_err());
        assert!(Expr::parse("and").is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let text = format!("{}scope:a{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(Expr::parse(&text).unwrap_err().message.contains("nested deeper"));
        let text = format!("{}scope:a", "not ".repeat(10_000));
        assert!(Expr::parse(&text).is_err());
    }

    #[test]
    fn display_round_trips() {
        for text in [
            "scope:a or scope:b and not role:c",
            "(scope:a or scope:b) and role:x",
            "not (scope:a and scope:b)",
            "scope:\"read all\" or scope:\"and\"",
            "scope:a and (scope:b and scope:c)",
            "scope:a or (scope:b or scope:c)",
            "not not authenticated",
        ] {
            let e = Expr::parse(text).unwrap();
            assert_eq!(Expr::parse(&e.to_string()).unwrap(), e, "{text} -> {e}");
        }
    }
}
