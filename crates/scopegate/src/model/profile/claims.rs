//! The claim rules of one issuer (its profile's, with the issuer's overrides) and reading
//! scopes, roles, client and audience out of verified claims.

use serde_json::{Map, Value};

use super::{claim, profile};
use crate::policy::IssuerSource;
use crate::reason::{ReasonCode, Rejection};
use crate::text::printable;

/// The claim conventions of one issuer, after profile defaults and overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClaimRules {
    /// Claims holding scopes (string, space separated, or array of strings).
    pub scope_claims: Vec<String>,
    /// Claims holding roles (string, array of strings, or an object whose keys are roles).
    pub role_claims: Vec<String>,
    /// Claims holding `{"CLIENT": {"roles": [..]}}`, read as `CLIENT/NAME`.
    pub client_role_claims: Vec<String>,
    /// Claims naming the client, first present wins.
    pub client_claims: Vec<String>,
    /// Claims compared with the configured audiences.
    pub audience_claims: Vec<String>,
    /// Accepted `typ` header values (compared without case, `application/` optional); empty
    /// accepts any value or none.
    pub token_types: Vec<String>,
    /// Claims an access token must hold with exactly these values.
    pub token_claims: Vec<(String, String)>,
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_string()).collect()
}

impl ClaimRules {
    /// Profile defaults with the issuer's overrides applied. For roles, `role_claims` wins
    /// over the `roles_claim` shorthand, which wins over the profile.
    pub fn for_issuer(src: &IssuerSource) -> ClaimRules {
        let p = profile(src.profile);
        let given = |over: &Option<Vec<String>>, default: &[&str]| over.clone().unwrap_or_else(|| strings(default));
        let role_claims = match (&src.role_claims, &src.roles_claim) {
            (Some(names), _) => names.clone(),
            (None, Some(name)) => vec![name.clone()],
            (None, None) => strings(p.role_claims),
        };
        ClaimRules {
            scope_claims: given(&src.scope_claims, p.scope_claims),
            role_claims,
            client_role_claims: given(&src.client_role_claims, p.client_role_claims),
            client_claims: given(&src.client_claims, p.client_claims),
            audience_claims: given(&src.audience_claims, p.audience_claims),
            token_types: given(&src.token_types, p.token_types),
            token_claims: match &src.token_claims {
                Some(map) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                None => p
                    .token_claims
                    .iter()
                    .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                    .collect(),
            },
        }
    }

    /// The token kind told by claims (`token_use`, `typ`): each must hold its exact value.
    pub fn check_kind(&self, claims: &Map<String, Value>) -> Result<(), Rejection> {
        for (name, want) in &self.token_claims {
            let found = match claim(claims, name) {
                Some(Value::String(s)) if s == want => continue,
                Some(Value::String(s)) => format!("`{}`", printable(s)),
                None | Some(Value::Null) => "absent".to_string(),
                Some(_) => return Err(wrong_type(name, "a string")),
            };
            let message = format!("claim `{name}` is {found}; an access token has `{want}`");
            return Err(Rejection::new(ReasonCode::WrongTokenType, message));
        }
        Ok(())
    }

    /// True when the header `typ` is acceptable.
    pub fn accepts_type(&self, typ: Option<&str>) -> bool {
        if self.token_types.is_empty() {
            return true;
        }
        let Some(typ) = typ else { return false };
        let bare = |t: &str| -> String {
            let t = t.trim();
            let t = if t.len() > 12 && t.get(..12).is_some_and(|p| p.eq_ignore_ascii_case("application/")) {
                t.get(12..).unwrap_or(t)
            } else {
                t
            };
            t.to_ascii_lowercase()
        };
        let typ = bare(typ);
        self.token_types.iter().any(|t| bare(t) == typ)
    }

    /// True when any audience claim holds one of `audiences`.
    pub fn audience_matches(&self, claims: &Map<String, Value>, audiences: &[String]) -> Result<bool, Rejection> {
        for name in &self.audience_claims {
            let mut hit = false;
            for_each_string(claims, name, false, &mut |v| hit |= audiences.iter().any(|a| a == v))?;
            if hit {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Scopes, roles and client from verified claims.
    pub fn extract(&self, claims: &Map<String, Value>) -> Result<Extracted, Rejection> {
        let mut out = Extracted::default();
        for name in &self.scope_claims {
            for_each_string(claims, name, true, &mut |s| push_unique(&mut out.scopes, s))?;
        }
        for name in &self.role_claims {
            match claim(claims, name) {
                // An object of role names (Zitadel's project roles): its keys are the roles.
                Some(Value::Object(map)) => map.keys().for_each(|r| push_unique(&mut out.roles, r)),
                _ => for_each_string(claims, name, false, &mut |s| push_unique(&mut out.roles, s))?,
            }
        }
        for name in &self.client_role_claims {
            client_roles(claims, name, &mut out.roles)?;
        }
        for name in &self.client_claims {
            match claim(claims, name) {
                None | Some(Value::Null) => continue,
                Some(Value::String(s)) => {
                    out.client = Some(s.clone());
                    break;
                }
                Some(_) => return Err(wrong_type(name, "a string")),
            }
        }
        Ok(out)
    }
}

/// What a profile reads from claims.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Extracted {
    /// Scopes, in token order, without repeats.
    pub scopes: Vec<String>,
    /// Roles, in token order, without repeats.
    pub roles: Vec<String>,
    /// The client id.
    pub client: Option<String>,
}

fn push_unique(list: &mut Vec<String>, s: &str) {
    if !s.is_empty() && !list.iter().any(|x| x == s) {
        list.push(s.to_string());
    }
}

fn wrong_type(name: &str, expected: &str) -> Rejection {
    Rejection::new(ReasonCode::InvalidClaims, format!("claim `{name}` must be {expected}"))
}

/// Roles per client, `{"CLIENT": {"roles": [..]}}` (Keycloak `resource_access`), as
/// `CLIENT/NAME`. A client without `roles` has none; any other shape is `invalid_claims`.
fn client_roles(claims: &Map<String, Value>, name: &str, roles: &mut Vec<String>) -> Result<(), Rejection> {
    let clients = match claim(claims, name) {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Object(clients)) => clients,
        Some(_) => return Err(wrong_type(name, "an object of clients")),
    };
    for (client, entry) in clients {
        let Value::Object(entry) = entry else {
            return Err(wrong_type(name, "an object of clients, each an object"));
        };
        let shown = format!("{name}.{client}.roles");
        for_each_string(entry, "roles", false, &mut |r| {
            push_unique(roles, &format!("{client}/{r}"))
        })
        .map_err(|_| wrong_type(&shown, "a string or an array of strings"))?;
    }
    Ok(())
}

/// Visits a claim that is a string or an array of strings. `split` splits strings on spaces,
/// and only spaces (RFC 6749 section 3.3: a tab or newline is part of a scope, never a
/// separator). Any other type is `invalid_claims`: never treated as absent.
fn for_each_string(
    claims: &Map<String, Value>,
    name: &str,
    split: bool,
    f: &mut impl FnMut(&str),
) -> Result<(), Rejection> {
    match claim(claims, name) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(s)) if split => {
            s.split(' ').for_each(&mut *f);
            Ok(())
        }
        Some(Value::String(s)) => {
            f(s);
            Ok(())
        }
        Some(Value::Array(items)) => {
            for item in items {
                match item {
                    Value::String(s) => f(s),
                    _ => return Err(wrong_type(name, "a string or an array of strings")),
                }
            }
            Ok(())
        }
        Some(_) => Err(wrong_type(name, "a string or an array of strings")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::src;
    use super::*;
    use crate::policy::ProfileName;
    use serde_json::json;

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn scopes_as_string_or_array_roles_as_string_or_array() {
        let rules = ClaimRules::for_issuer(&src(ProfileName::Asgardeo));
        let e = rules.extract(&claims(json!({"scope":"openid  books:read books:read","roles":"librarian","groups":["staff"],"client_id":"c1","azp":"c2"}))).unwrap();
        assert_eq!(e.scopes, ["openid", "books:read"]);
        assert_eq!(e.roles, ["librarian", "staff"]);
        assert_eq!(e.client.as_deref(), Some("c1"));
        let e = rules
            .extract(&claims(json!({"scope":["a","b"],"roles":["r1","r2"]})))
            .unwrap();
        assert_eq!((e.scopes.len(), e.roles.len()), (2, 2));
    }

    #[test]
    fn auth0_permissions_and_namespaced_roles() {
        let mut s = src(ProfileName::Auth0);
        s.roles_claim = Some("https://pets.example.com/roles".into());
        let rules = ClaimRules::for_issuer(&s);
        let e = rules
            .extract(&claims(json!({"scope":"openid","permissions":["pets:buy"],"https://pets.example.com/roles":["admin"],"roles":["ignored"],"azp":"spa"})))
            .unwrap();
        assert_eq!(e.scopes, ["openid", "pets:buy"]);
        assert_eq!(e.roles, ["admin"]);
        assert_eq!(e.client.as_deref(), Some("spa"));
    }

    #[test]
    fn wrong_claim_types_are_invalid_not_absent() {
        let rules = ClaimRules::for_issuer(&src(ProfileName::Generic));
        for bad in [
            json!({"scope": 5}),
            json!({"scope": ["a", 1]}),
            json!({"roles": 1.5}),
            json!({"client_id": ["c"]}),
        ] {
            let r = rules.extract(&claims(bad.clone())).unwrap_err();
            assert_eq!(r.code, ReasonCode::InvalidClaims, "{bad}");
        }
        assert_eq!(
            rules
                .audience_matches(&claims(json!({"aud": 7})), &["x".into()])
                .unwrap_err()
                .code,
            ReasonCode::InvalidClaims
        );
    }

    #[test]
    fn audience_string_or_array() {
        let rules = ClaimRules::for_issuer(&src(ProfileName::Auth0));
        let want = vec!["https://api".to_string()];
        assert!(
            rules
                .audience_matches(&claims(json!({"aud":"https://api"})), &want)
                .unwrap()
        );
        assert!(
            rules
                .audience_matches(&claims(json!({"aud":["https://t/userinfo","https://api"]})), &want)
                .unwrap()
        );
        assert!(
            !rules
                .audience_matches(&claims(json!({"aud":"client-id"})), &want)
                .unwrap()
        );
        assert!(!rules.audience_matches(&claims(json!({})), &want).unwrap());
    }

    #[test]
    fn token_types_per_profile_and_override() {
        let asg = ClaimRules::for_issuer(&src(ProfileName::Asgardeo));
        assert!(asg.accepts_type(Some("at+jwt")));
        assert!(asg.accepts_type(Some("application/AT+JWT")));
        assert!(!asg.accepts_type(Some("JWT")));
        assert!(!asg.accepts_type(None));
        let a0 = ClaimRules::for_issuer(&src(ProfileName::Auth0));
        assert!(a0.accepts_type(Some("JWT")) && a0.accepts_type(Some("at+jwt")));
        let generic = ClaimRules::for_issuer(&src(ProfileName::Generic));
        assert!(generic.accepts_type(None));
        let mut s = src(ProfileName::Asgardeo);
        s.token_types = Some(vec![]);
        assert!(ClaimRules::for_issuer(&s).accepts_type(Some("JWT")));
    }

    #[test]
    fn claim_names_are_overridable() {
        let mut s = src(ProfileName::Generic);
        s.scope_claims = Some(vec!["scp".into()]);
        s.role_claims = Some(vec!["cognito:groups".into()]);
        s.client_claims = Some(vec!["cid".into()]);
        s.audience_claims = Some(vec!["client_id".into()]);
        let rules = ClaimRules::for_issuer(&s);
        let c = claims(json!({"scope":"x","scp":["y"],"cognito:groups":["g"],"cid":"okta","client_id":"cog"}));
        let e = rules.extract(&c).unwrap();
        assert_eq!(
            (e.scopes, e.roles, e.client.as_deref()),
            (vec!["y".to_string()], vec!["g".to_string()], Some("okta"))
        );
        assert!(rules.audience_matches(&c, &["cog".into()]).unwrap());
    }
}
