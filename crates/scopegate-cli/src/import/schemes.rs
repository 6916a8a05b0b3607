//! Security schemes -> issuers: which schemes carry a bearer JWT scopegate can verify (and from
//! which issuer), and which cannot be translated (API keys, Lambda and IAM authorizers, mutual
//! TLS, HTTP basic).

use scopegate::policy::{IssuerSource, ProfileName, placeholder};
use serde_json::Value;

/// An issuer the document describes (or leaves open), with the comments the output gives it.
pub(crate) struct IssuerDraft {
    pub source: IssuerSource,
    pub notes: Vec<String>,
    /// The exact `iss` when the document gives it (`check --openapi` matches policy issuers by it).
    pub url: Option<String>,
    /// The security schemes that name this issuer.
    pub schemes: Vec<String>,
    /// A Cognito user-pool authorizer of a REST API (accepts ID tokens without scopes).
    pub cognito_authorizer: bool,
}

/// What a scheme becomes: tokens of these issuers, or a reason it cannot be translated.
pub(crate) enum SchemeUse {
    Issuers(Vec<usize>),
    Unsupported(String),
}

/// Every scheme of `components.securitySchemes`, by name, and the issuers they add.
pub(crate) fn read_schemes(doc: &Value) -> (Vec<(String, SchemeUse)>, Vec<IssuerDraft>) {
    let mut issuers: Vec<IssuerDraft> = Vec::new();
    let mut uses = Vec::new();
    let empty = serde_json::Map::new();
    let schemes = doc
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    for (name, scheme) in super::by_name(schemes) {
        let used = match classify(name, scheme) {
            Ok(drafts) => SchemeUse::Issuers(drafts.into_iter().map(|d| add(&mut issuers, d)).collect()),
            Err(reason) => SchemeUse::Unsupported(reason),
        };
        uses.push((name.clone(), used));
    }
    (uses, issuers)
}

/// Adds a draft, or merges it into the issuer with the same `iss`.
fn add(issuers: &mut Vec<IssuerDraft>, draft: IssuerDraft) -> usize {
    if let Some(url) = &draft.url
        && let Some(i) = issuers.iter().position(|d| d.url.as_ref() == Some(url))
    {
        if let Some(existing) = issuers.get_mut(i) {
            existing.schemes.extend(draft.schemes);
            for a in draft.source.audiences {
                if !existing.source.audiences.contains(&a) && !a.starts_with(scopegate::policy::PLACEHOLDER_PREFIX) {
                    existing.source.audiences.push(a);
                }
            }
        }
        return i;
    }
    issuers.push(draft);
    issuers.len() - 1
}

fn text<'v>(v: &'v Value, pointer: &str) -> Option<&'v str> {
    v.pointer(pointer).and_then(Value::as_str)
}

/// The issuers one scheme stands for, or why it cannot be translated.
fn classify(name: &str, scheme: &Value) -> Result<Vec<IssuerDraft>, String> {
    let auth_type = text(scheme, "/x-amazon-apigateway-authtype").unwrap_or_default();
    if auth_type.eq_ignore_ascii_case("awsSigv4") || auth_type.eq_ignore_ascii_case("aws_iam") {
        return Err(format!(
            "scheme `{name}` is IAM authorization (SigV4): no JWT to verify"
        ));
    }
    if let Some(authorizer) = scheme.get("x-amazon-apigateway-authorizer") {
        return match text(authorizer, "/type")
            .unwrap_or_default()
            .to_ascii_lowercase()
            .as_str()
        {
            "jwt" => Ok(vec![jwt_authorizer(name, authorizer)]),
            "cognito_user_pools" => cognito_authorizer(name, authorizer),
            "token" | "request" => Err(format!(
                "scheme `{name}` is a Lambda authorizer: its decisions are code, not a policy"
            )),
            other => Err(format!(
                "scheme `{name}` is an API Gateway authorizer of type `{other}`"
            )),
        };
    }
    let describe = |what: &str| format!("scheme `{name}` is {what}");
    match text(scheme, "/type").unwrap_or_default() {
        "apiKey" => Err(describe(&format!(
            "an API key ({} `{}`): not a JWT",
            text(scheme, "/in").unwrap_or("header"),
            text(scheme, "/name").unwrap_or("?")
        ))),
        "mutualTLS" => Err(describe("mutual TLS: client certificates are checked before HTTP")),
        "http" if text(scheme, "/scheme").is_some_and(|s| s.eq_ignore_ascii_case("bearer")) => {
            Ok(vec![open_issuer(name, "http bearer scheme", Vec::new())])
        }
        "http" => Err(describe(&format!(
            "HTTP `{}` authentication: not a bearer JWT",
            text(scheme, "/scheme").unwrap_or("?")
        ))),
        "oauth2" => {
            let mut notes = Vec::new();
            if let Some(flows) = scheme.get("flows").and_then(Value::as_object) {
                for (flow, f) in flows {
                    for url in ["authorizationUrl", "tokenUrl"] {
                        if let Some(u) = f.get(url).and_then(Value::as_str) {
                            notes.push(format!("{flow} flow {url}: {u}"));
                        }
                    }
                }
            }
            Ok(vec![open_issuer(name, "oauth2 scheme", notes)])
        }
        "openIdConnect" => {
            let url = text(scheme, "/openIdConnectUrl").unwrap_or_default();
            match url.strip_suffix("/.well-known/openid-configuration") {
                Some(iss) if iss.starts_with("https://") || iss.starts_with("http://") => {
                    let mut d = known_issuer(name, iss);
                    d.notes.insert(0, format!("openIdConnect scheme `{name}`: {url}"));
                    d.source.audiences = vec![placeholder(&format!(
                        "the audience (`aud`) of access tokens for this API (scheme `{name}`)"
                    ))];
                    Ok(vec![d])
                }
                _ => Ok(vec![open_issuer(
                    name,
                    "openIdConnect scheme",
                    vec![format!("openIdConnectUrl: {url}")],
                )]),
            }
        }
        other => Err(describe(&format!("of type `{other}`"))),
    }
}

/// An issuer the document does not name: `issuer` and `audiences` are placeholders.
fn open_issuer(name: &str, what: &str, mut notes: Vec<String>) -> IssuerDraft {
    notes.insert(
        0,
        format!("{what} `{name}`: the document does not name the token issuer"),
    );
    IssuerDraft {
        source: IssuerSource {
            id: name.to_string(),
            profile: ProfileName::Generic,
            issuer: Some(placeholder(&format!(
                "the exact `iss` of access tokens for scheme `{name}`"
            ))),
            audiences: vec![placeholder(&format!(
                "the audience (`aud`) of access tokens for this API (scheme `{name}`)"
            ))],
            ..IssuerSource::default()
        },
        notes,
        url: None,
        schemes: vec![name.to_string()],
        cognito_authorizer: false,
    }
}

/// An HTTP API JWT authorizer: issuer and audiences are in the document.
fn jwt_authorizer(name: &str, authorizer: &Value) -> IssuerDraft {
    let iss = text(authorizer, "/jwtConfiguration/issuer");
    let mut d = match iss {
        Some(iss) => known_issuer(name, iss),
        None => open_issuer(name, "JWT authorizer", Vec::new()),
    };
    let audiences: Vec<String> = authorizer
        .pointer("/jwtConfiguration/audience")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    d.source.audiences = if audiences.is_empty() {
        vec![placeholder(&format!("the audiences of JWT authorizer `{name}`"))]
    } else {
        audiences
    };
    let source = text(authorizer, "/identitySource").unwrap_or("$request.header.Authorization");
    d.notes.insert(
        0,
        format!("API Gateway JWT authorizer `{name}` (identity source {source}); route scopes are any-of"),
    );
    d
}

/// A REST API Cognito user-pool authorizer: one `cognito` issuer per user pool ARN; the app
/// client ids (audiences) are not in the export.
fn cognito_authorizer(name: &str, authorizer: &Value) -> Result<Vec<IssuerDraft>, String> {
    let arns: Vec<&str> = authorizer
        .get("providerARNs")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if arns.is_empty() {
        return Err(format!("Cognito authorizer `{name}` lists no `providerARNs`"));
    }
    let mut out = Vec::new();
    for (k, arn) in arns.iter().enumerate() {
        // arn:aws:cognito-idp:{region}:{account}:userpool/{pool id}
        let parts: Vec<&str> = arn.split(':').collect();
        let (Some(region), Some(pool)) = (parts.get(3), parts.get(5).and_then(|r| r.strip_prefix("userpool/"))) else {
            return Err(format!("Cognito authorizer `{name}`: `{arn}` is not a user pool ARN"));
        };
        let id = if arns.len() == 1 {
            name.to_string()
        } else {
            format!("{name}-{}", k + 1)
        };
        out.push(IssuerDraft {
            source: IssuerSource {
                id,
                profile: ProfileName::Cognito,
                region: Some((*region).to_string()),
                user_pool_id: Some(pool.to_string()),
                audiences: vec![placeholder(&format!(
                    "the app client ids of user pool {pool} allowed to call this API (Cognito authorizer `{name}`)"
                ))],
                ..IssuerSource::default()
            },
            notes: vec![format!(
                "API Gateway Cognito user-pool authorizer `{name}` ({arn}); method scopes are any-of"
            )],
            url: Some(format!("https://cognito-idp.{region}.amazonaws.com/{pool}")),
            schemes: vec![name.to_string()],
            cognito_authorizer: true,
        });
    }
    Ok(out)
}

/// An issuer named by its exact `iss`, in the profile's own form where the URL names a known
/// identity provider (Asgardeo, Auth0 `*.auth0.com`, Cognito, Okta, Entra v2 single tenant),
/// else `generic` with the exact `iss`.
fn known_issuer(name: &str, iss: &str) -> IssuerDraft {
    let mut source = IssuerSource {
        id: name.to_string(),
        ..IssuerSource::default()
    };
    let rest = iss.strip_prefix("https://");
    let (host, path) = rest.map_or(("", ""), |r| r.split_once('/').unwrap_or((r, "")));
    let path = path.trim_end_matches('/');
    let label = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
    };
    let cognito_region = host
        .strip_prefix("cognito-idp.")
        .and_then(|h| h.strip_suffix(".amazonaws.com"));
    let asgardeo_org = path.strip_prefix("t/").and_then(|p| p.strip_suffix("/oauth2/token"));
    let okta = [".okta.com", ".oktapreview.com", ".okta-emea.com"]
        .iter()
        .any(|s| host.ends_with(s));
    if host == "api.asgardeo.io" && asgardeo_org.is_some_and(label) {
        source.profile = ProfileName::Asgardeo;
        source.org = asgardeo_org.map(str::to_string);
    } else if host.ends_with(".auth0.com") && iss.ends_with(".auth0.com/") {
        source.profile = ProfileName::Auth0;
        source.domain = Some(host.to_string());
    } else if let Some(region) = cognito_region
        && label(region)
        && label(path)
    {
        source.profile = ProfileName::Cognito;
        source.region = Some(region.to_string());
        source.user_pool_id = Some(path.to_string());
    } else if let Some(tenant) = path.strip_suffix("/v2.0").filter(|t| {
        host == "login.microsoftonline.com" && label(t) && !["common", "organizations", "consumers"].contains(t)
    }) {
        source.profile = ProfileName::Entra;
        source.tenant = Some(tenant.to_string());
    } else if okta && !iss.ends_with('/') && (path.is_empty() || path.strip_prefix("oauth2/").is_some_and(label)) {
        source.profile = ProfileName::Okta;
        source.domain = Some(host.to_string());
        source.authorization_server = Some(path.strip_prefix("oauth2/").unwrap_or("org").to_string());
    } else {
        source.issuer = Some(iss.to_string());
    }
    IssuerDraft {
        notes: vec![format!("issuer {iss} (profile {})", source.profile.as_str())],
        source,
        url: Some(iss.to_string()),
        schemes: vec![name.to_string()],
        cognito_authorizer: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_guessed_from_the_issuer_url() {
        let p = |iss: &str| known_issuer("s", iss).source;
        let a = p("https://api.asgardeo.io/t/pharmacy/oauth2/token");
        assert_eq!((a.profile, a.org.as_deref()), (ProfileName::Asgardeo, Some("pharmacy")));
        let a = p("https://pets.us.auth0.com/");
        assert_eq!(
            (a.profile, a.domain.as_deref()),
            (ProfileName::Auth0, Some("pets.us.auth0.com"))
        );
        let c = p("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc");
        assert_eq!(
            (c.profile, c.user_pool_id.as_deref()),
            (ProfileName::Cognito, Some("eu-west-1_Abc"))
        );
        let o = p("https://dev-1.okta.com/oauth2/default");
        assert_eq!(o.authorization_server.as_deref(), Some("default"));
        let e = p("https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0");
        assert_eq!(
            (e.profile, e.tenant.as_deref()),
            (ProfileName::Entra, Some("72f988bf-86f1-41af-91ab-2d7cd011db47"))
        );
        let g = p("https://sso.example.com/realms/shop");
        assert_eq!(
            (g.profile, g.issuer.as_deref()),
            (ProfileName::Generic, Some("https://sso.example.com/realms/shop"))
        );
    }
}
