//! The identity object shared by test cases (`identity = {..}`) and `scopegate can --identity`.

use scopegate::SyntheticIdentity;
use serde::Deserialize;

/// `{issuer, subject, scopes, roles, client}`: a made-up caller; `issuer` is a policy issuer id.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IdentitySpec {
    issuer: String,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    client: Option<String>,
}

impl IdentitySpec {
    pub(crate) fn synthetic(&self) -> SyntheticIdentity {
        let mut who = SyntheticIdentity::new(&self.issuer)
            .scopes(self.scopes.iter().cloned())
            .roles(self.roles.iter().cloned());
        if let Some(s) = &self.subject {
            who = who.subject(s);
        }
        if let Some(c) = &self.client {
            who = who.client(c);
        }
        who
    }
}

/// 1-based line and column of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}
