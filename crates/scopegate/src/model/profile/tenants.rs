//! Issuers that stand for several tenants (Entra ID multi-tenant apps): one exact `iss` per
//! listed tenant, built from a template, and the token's tenant claim must name the same
//! tenant. Never "any tenant": an unlisted tenant's `iss` is an unknown issuer.

use serde_json::{Map, Value};

use super::claim;
use crate::reason::{ReasonCode, Rejection};
use crate::text::printable;

/// The tenant rule of a multi-tenant issuer: `iss` = `prefix` + tenant + `suffix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tenants {
    /// The claim naming the tenant (`tid`).
    pub claim: &'static str,
    /// `iss` before the tenant.
    pub prefix: &'static str,
    /// `iss` after the tenant.
    pub suffix: &'static str,
    /// The accepted tenants.
    pub allowed: Vec<String>,
}

impl Tenants {
    /// The `iss` of one tenant.
    pub fn iss_for(&self, tenant: &str) -> String {
        format!("{}{tenant}{}", self.prefix, self.suffix)
    }

    /// Every accepted `iss`, one per allowed tenant.
    pub fn all_iss(&self) -> Vec<String> {
        self.allowed.iter().map(|t| self.iss_for(t)).collect()
    }

    /// After the signature: the tenant claim must be a listed tenant, the one `iss` names.
    pub fn check(&self, iss: &str, claims: &Map<String, Value>) -> Result<(), Rejection> {
        let name = self.claim;
        let tenant = match claim(claims, name) {
            Some(Value::String(t)) => t,
            None | Some(Value::Null) => {
                let message = format!("the token has no `{name}` claim; this issuer accepts listed tenants only");
                return Err(Rejection::new(ReasonCode::InvalidClaims, message));
            }
            Some(_) => {
                let message = format!("claim `{name}` must be a string");
                return Err(Rejection::new(ReasonCode::InvalidClaims, message));
            }
        };
        if self.allowed.iter().any(|t| t == tenant) && self.iss_for(tenant) == iss {
            return Ok(());
        }
        Err(Rejection::new(
            ReasonCode::InvalidClaims,
            format!(
                "claim `{name}` `{}` is not the tenant of issuer `{}`",
                printable(tenant),
                printable(iss)
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_listed_tenants_matching_their_iss() {
        let t = Tenants {
            claim: "tid",
            prefix: "https://login.microsoftonline.com/",
            suffix: "/v2.0",
            allowed: vec!["t1".into(), "t2".into()],
        };
        assert_eq!(
            t.all_iss(),
            [
                "https://login.microsoftonline.com/t1/v2.0",
                "https://login.microsoftonline.com/t2/v2.0"
            ]
        );
        let claims = |v: Value| v.as_object().unwrap().clone();
        let iss1 = t.iss_for("t1");
        assert!(t.check(&iss1, &claims(json!({"tid": "t1"}))).is_ok());
        for bad in [json!({"tid": "t2"}), json!({"tid": "t3"}), json!({}), json!({"tid": 1})] {
            let r = t.check(&iss1, &claims(bad.clone())).unwrap_err();
            assert_eq!(r.code, ReasonCode::InvalidClaims, "{bad}");
        }
        assert!(t.check(&t.iss_for("t3"), &claims(json!({"tid": "t3"}))).is_err());
    }
}
