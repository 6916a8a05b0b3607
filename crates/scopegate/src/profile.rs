//! IdP profiles: how each provider names its issuer, scopes, roles and client, and which token
//! types and algorithms it uses. Every claim name can be overridden per issuer.

use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};

use crate::decision::{ReasonCode, Rejection};
use crate::policy::{IssuerSource, ProfileName};

/// The claim conventions of one issuer, after profile defaults and overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRules {
    /// Claims holding scopes (string, space separated, or array of strings).
    pub scope_claims: Vec<String>,
    /// Claims holding roles (string or array of strings).
    pub role_claims: Vec<String>,
    /// Claims naming the client, first present wins.
    pub client_claims: Vec<String>,
    /// Claims compared with the configured audiences.
    pub audience_claims: Vec<String>,
    /// Accepted `typ` header values (compared without case, `application/` optional); empty
    /// accepts any value or none.
    pub token_types: Vec<String>,
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_string()).collect()
}

/// Asymmetric algorithms a profile accepts by default.
pub fn default_algorithms(profile: ProfileName) -> Vec<Algorithm> {
    use Algorithm::*;
    match profile {
        // Asgardeo lists each key once per algorithm (`_RS256`, `_PS256`).
        ProfileName::Asgardeo => vec![RS256, PS256],
        // Auth0 has no EC keys.
        ProfileName::Auth0 => vec![RS256, PS256],
        ProfileName::Fusionauth => vec![RS256, RS384, RS512, ES256, ES384, EdDSA],
        ProfileName::Generic => vec![RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA],
    }
}

impl ClaimRules {
    /// Profile defaults with the issuer's overrides applied.
    pub fn for_issuer(src: &IssuerSource) -> ClaimRules {
        let mut rules = match src.profile {
            ProfileName::Asgardeo => ClaimRules {
                scope_claims: strings(&["scope"]),
                role_claims: strings(&["roles", "groups"]),
                client_claims: strings(&["client_id", "azp"]),
                audience_claims: strings(&["aud"]),
                token_types: strings(&["at+jwt"]),
            },
            ProfileName::Fusionauth => ClaimRules {
                scope_claims: strings(&["scope"]),
                role_claims: strings(&["roles"]),
                client_claims: strings(&["client_id", "applicationId"]),
                audience_claims: strings(&["aud"]),
                token_types: strings(&["JWT"]),
            },
            ProfileName::Auth0 => ClaimRules {
                scope_claims: strings(&["scope", "permissions"]),
                role_claims: src.roles_claim.iter().cloned().collect(),
                client_claims: strings(&["azp", "client_id"]),
                audience_claims: strings(&["aud"]),
                token_types: strings(&["JWT", "at+jwt"]),
            },
            ProfileName::Generic => ClaimRules {
                scope_claims: strings(&["scope", "scp"]),
                role_claims: strings(&["roles"]),
                client_claims: strings(&["client_id", "azp"]),
                audience_claims: strings(&["aud"]),
                token_types: Vec::new(),
            },
        };
        let overrides = [
            (&src.scope_claims, &mut rules.scope_claims),
            (&src.role_claims, &mut rules.role_claims),
            (&src.client_claims, &mut rules.client_claims),
            (&src.audience_claims, &mut rules.audience_claims),
            (&src.token_types, &mut rules.token_types),
        ];
        for (given, target) in overrides {
            if let Some(v) = given {
                target.clone_from(v);
            }
        }
        if src.profile != ProfileName::Auth0
            && let Some(c) = &src.roles_claim
            && src.role_claims.is_none()
        {
            rules.role_claims = vec![c.clone()];
        }
        rules
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
            for_each_string(claims, name, false, &mut |s| push_unique(&mut out.roles, s))?;
        }
        for name in &self.client_claims {
            match claims.get(name) {
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
pub struct Extracted {
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

/// Visits a claim that is a string or an array of strings. `split` splits strings on spaces
/// (OAuth scope syntax). Any other type is `invalid_claims`: never treated as absent.
fn for_each_string(
    claims: &Map<String, Value>,
    name: &str,
    split: bool,
    f: &mut impl FnMut(&str),
) -> Result<(), Rejection> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(s)) if split => {
            s.split_ascii_whitespace().for_each(&mut *f);
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

/// The exact `iss` for an issuer entry: given, or derived from `org` / `domain`.
pub fn issuer_value(src: &IssuerSource) -> Result<String, String> {
    if let Some(iss) = &src.issuer {
        if iss.is_empty() {
            return Err("`issuer` is empty".into());
        }
        return Ok(iss.clone());
    }
    match src.profile {
        ProfileName::Asgardeo => match &src.org {
            Some(org) if valid_label(org) => Ok(format!("https://api.asgardeo.io/t/{org}/oauth2/token")),
            Some(org) => Err(format!("`org` `{org}` is not an organisation name")),
            None => Err("asgardeo issuers need `org` or `issuer`".into()),
        },
        ProfileName::Auth0 => match &src.domain {
            Some(d) if valid_host(d) => Ok(format!("https://{d}/")),
            Some(d) => Err(format!(
                "`domain` `{d}` is not a host name (write it without `https://` or `/`)"
            )),
            None => Err("auth0 issuers need `domain` or `issuer`".into()),
        },
        ProfileName::Fusionauth | ProfileName::Generic => {
            Err(format!("{} issuers need `issuer`", src.profile.as_str()))
        }
    }
}

fn valid_label(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
}

fn valid_host(s: &str) -> bool {
    valid_label(s) && !s.starts_with('.') && !s.ends_with('.')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn src(profile: ProfileName) -> IssuerSource {
        IssuerSource {
            id: "x".into(),
            profile,
            ..IssuerSource::default()
        }
    }

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn issuer_derivation_per_profile() {
        let mut a = src(ProfileName::Asgardeo);
        a.org = Some("pharmacy".into());
        assert_eq!(
            issuer_value(&a).unwrap(),
            "https://api.asgardeo.io/t/pharmacy/oauth2/token"
        );
        let mut z = src(ProfileName::Auth0);
        z.domain = Some("pets.us.auth0.com".into());
        assert_eq!(issuer_value(&z).unwrap(), "https://pets.us.auth0.com/");
        z.domain = Some("https://pets.us.auth0.com/".into());
        assert!(issuer_value(&z).unwrap_err().contains("without `https://`"));
        let mut f = src(ProfileName::Fusionauth);
        assert!(issuer_value(&f).is_err());
        f.issuer = Some("acme.com".into());
        assert_eq!(issuer_value(&f).unwrap(), "acme.com");
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
            json!({"roles": {"a": 1}}),
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
