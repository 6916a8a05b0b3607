//! Positions of the values diagnostics point at, read from the TOML text beside the model so
//! that the model itself stays plain data. A repeated value (a duplicate issuer id) then
//! points at its own line, not at the first occurrence.

use serde::Deserialize;
use toml::Spanned;

type Text = Option<Spanned<String>>;
type List = Option<Vec<Spanned<String>>>;

/// Spans of `[[issuers]]` and `[[routes]]` entries, by index.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Spans {
    issuers: Vec<IssuerSpans>,
    routes: Vec<RouteSpans>,
}

/// One `[[issuers]]` entry's spans.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct IssuerSpans {
    pub id: Text,
    pub algorithms: List,
    pub jwks_file: Text,
    pub jwks_uri: Text,
    pub hmac_secret_env: Text,
    pub known_scopes: List,
    pub known_roles: List,
}

/// One `[[routes]]` entry's spans.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RouteSpans {
    pub route: Text,
    pub require: Text,
    pub scopes: List,
    pub roles: List,
    pub issuers: List,
}

static NO_ISSUER: IssuerSpans = IssuerSpans {
    id: None,
    algorithms: None,
    jwks_file: None,
    jwks_uri: None,
    hmac_secret_env: None,
    known_scopes: None,
    known_roles: None,
};

static NO_ROUTE: RouteSpans = RouteSpans {
    route: None,
    require: None,
    scopes: None,
    roles: None,
    issuers: None,
};

impl Spans {
    /// The spans of `issuers[i]` (all empty when unknown).
    pub fn issuer(&self, i: usize) -> &IssuerSpans {
        self.issuers.get(i).unwrap_or(&NO_ISSUER)
    }

    /// The spans of `routes[i]` (all empty when unknown).
    pub fn route(&self, i: usize) -> &RouteSpans {
        self.routes.get(i).unwrap_or(&NO_ROUTE)
    }
}

/// Entry `j` of a spanned list.
pub(crate) fn entry(list: &List, j: usize) -> Option<&Spanned<String>> {
    list.as_ref().and_then(|l| l.get(j))
}
