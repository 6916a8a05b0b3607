//! `[[issuers]]` -> the issuer table: exact `iss`, algorithms, claim rules and keys.

use jsonwebtoken::Algorithm;

use super::Ctx;
use super::secret::{Secret, default_hmac_algorithms, hmac_secret, warn_if_short};
use crate::keys::{KeySet, KeyStore, is_hmac};
use crate::model::profile::{ClaimRules, issuer_value, profile};
use crate::model::{Issuer, IssuerTable};
use crate::policy::spans::{IssuerSpans, entry};
use crate::policy::{InlineJwks, IssuerSource, PLACEHOLDER_PREFIX};

pub(super) fn compile_issuers(ctx: &mut Ctx<'_>) -> IssuerTable {
    let policy = ctx.policy;
    let mut table = IssuerTable::default();
    let mut seen_ids: Vec<&str> = Vec::new();
    let mut seen_iss: Vec<(String, String)> = Vec::new();
    for (i, src) in policy.source.issuers.iter().enumerate() {
        let spans = policy.spans().issuer(i);
        let subject = format!("issuers[{i}] `{}`", src.id);
        let at_id = ctx.at(spans.id.as_ref(), &src.id);
        if src.id.is_empty() || src.id.chars().any(|c| c.is_whitespace() || c == '"') {
            ctx.error(&subject, None, "`id` must be a non-empty name without spaces or quotes");
        }
        if seen_ids.contains(&src.id.as_str()) {
            ctx.error(&subject, at_id.clone(), format!("issuer id `{}` is used twice", src.id));
        }
        seen_ids.push(&src.id);
        if placeholders(ctx, &subject, src) {
            // Reported field by field; the entry stays in the table (routes naming it are not
            // errors too) but can verify nothing.
            let Ok(index) = u16::try_from(i) else {
                break;
            };
            table.push(Issuer {
                index,
                id: src.id.as_str().into(),
                iss: format!("{PLACEHOLDER_PREFIX} issuers[{i}]>"),
                profile: src.profile,
                audiences: Vec::new(),
                algorithms: Vec::new(),
                claims: ClaimRules::for_issuer(src),
                tenants: None,
                keys: KeyStore::empty("the issuer has placeholders to fill in"),
            });
            continue;
        }
        let iss = match issuer_value(src) {
            Ok(v) => v,
            Err(e) => {
                ctx.error(&subject, at_id, e);
                continue;
            }
        };
        let p = profile(src.profile);
        let tenants = match (p.tenants)(src) {
            Ok(t) => t,
            Err(e) => {
                ctx.error(&subject, at_id, e);
                continue;
            }
        };
        for warning in (p.warnings)(src, &iss) {
            ctx.warn(&subject, at_id.clone(), warning);
        }
        let accepted = tenants.as_ref().map_or_else(|| vec![iss.clone()], |t| t.all_iss());
        for one in accepted {
            if let Some((other, _)) = seen_iss.iter().find(|(_, v)| *v == one) {
                let message = format!("issuer `{one}` is already configured as `{other}`; `iss` must pick one issuer");
                ctx.error(&subject, at_id.clone(), message);
            }
            seen_iss.push((src.id.clone(), one));
        }
        if src.audiences.is_empty() {
            let message = "`audiences` is required: a token for another API must not be accepted here";
            ctx.error(&subject, at_id, message);
        }
        let secret = hmac_secret(ctx, &subject, src, spans);
        let algorithms = compile_algorithms(ctx, &subject, src, spans, &secret);
        if let Secret::Bytes(bytes) = &secret {
            warn_if_short(ctx, &subject, src, spans, bytes.len(), &algorithms);
        }
        let keys = compile_keys(ctx, &subject, src, spans, &iss, &algorithms, secret);
        let Ok(index) = u16::try_from(i) else {
            ctx.error(&subject, None, "more than 65535 issuers");
            break;
        };
        table.push(Issuer {
            index,
            id: src.id.as_str().into(),
            iss,
            profile: src.profile,
            audiences: src.audiences.clone(),
            algorithms,
            claims: ClaimRules::for_issuer(src),
            tenants,
            keys,
        });
    }
    table
}

/// Reports every field of the entry that still holds a placeholder (`"<fill in: ..>"`, see
/// [`PLACEHOLDER_PREFIX`]); true when there is one.
fn placeholders(ctx: &mut Ctx<'_>, subject: &str, src: &IssuerSource) -> bool {
    fn walk(value: &serde_json::Value, field: String, found: &mut Vec<(String, String)>) {
        match value {
            serde_json::Value::String(s) if s.starts_with(PLACEHOLDER_PREFIX) => found.push((field, s.clone())),
            serde_json::Value::Array(items) => {
                for (j, v) in items.iter().enumerate() {
                    walk(v, format!("{field}[{j}]"), found);
                }
            }
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    let name = if field.is_empty() {
                        k.clone()
                    } else {
                        format!("{field}.{k}")
                    };
                    walk(v, name, found);
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    if let Ok(value) = serde_json::to_value(src) {
        walk(&value, String::new(), &mut found);
    }
    // In file order (the serialized entry's fields are sorted by name).
    let mut located: Vec<_> = found
        .iter()
        .map(|(field, value)| (ctx.policy.locate_value(value, 0), field, value))
        .collect();
    located.sort_by_key(|(at, _, _)| at.as_ref().map(|l| (l.line, l.column)));
    for (at, field, value) in located {
        let what = value
            .strip_prefix(PLACEHOLDER_PREFIX)
            .map(|w| w.trim_start_matches(':').trim_end_matches('>').trim())
            .unwrap_or_default();
        ctx.error(subject, at, format!("`{field}` is a placeholder to fill in: {what}"));
    }
    !found.is_empty()
}

fn compile_algorithms(
    ctx: &mut Ctx<'_>,
    subject: &str,
    src: &IssuerSource,
    spans: &IssuerSpans,
    secret: &Secret,
) -> Vec<Algorithm> {
    let Some(names) = &src.algorithms else {
        let mut algs = profile(src.profile).algorithms.to_vec();
        if let Secret::Bytes(bytes) = secret {
            algs.extend(default_hmac_algorithms(bytes.len()));
        }
        return algs;
    };
    let mut algs = Vec::new();
    for (j, name) in names.iter().enumerate() {
        let at = ctx.at(entry(&spans.algorithms, j), name);
        match name.parse::<Algorithm>() {
            Ok(a) if is_hmac(a) && src.hmac_secret_env.is_none() => ctx.error(
                subject,
                at,
                format!("{name} needs `hmac_secret_env`: HMAC is never verified with a published key"),
            ),
            Ok(a) => algs.push(a),
            Err(_) => ctx.error(subject, at, format!("unknown algorithm `{name}`; expected one of RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 EdDSA HS256 HS384 HS512")),
        }
    }
    if names.is_empty() {
        ctx.error(subject, None, "`algorithms` is empty: no token could verify");
    }
    algs
}

/// The offline key set the entry describes (`jwks_file`, `jwks`, `hmac_secret_env`), if any.
fn offline_keys(
    ctx: &mut Ctx<'_>,
    subject: &str,
    src: &IssuerSource,
    spans: &IssuerSpans,
    secret: Secret,
) -> Option<KeySet> {
    let mut set: Option<KeySet> = None;
    if let Some(path) = &src.jwks_file {
        let full = ctx.policy.resolve(path);
        let shown = path.display().to_string();
        let at = ctx.at(spans.jwks_file.as_ref(), &shown);
        match std::fs::read(&full) {
            Ok(bytes) => match KeySet::from_jwks_json(&bytes) {
                Ok(s) => set = Some(s),
                Err(e) => ctx.error(subject, at, format!("{}: {e}", full.display())),
            },
            Err(e) => ctx.error(subject, at, format!("cannot read `{}`: {e}", full.display())),
        }
    }
    if let Some(inline) = &src.jwks {
        let parsed = match inline {
            InlineJwks::Text(t) => KeySet::from_jwks_json(t.as_bytes()),
            InlineJwks::Document(d) => KeySet::from_jwks(&serde_json::to_value(d).unwrap_or_default()),
        };
        match parsed {
            Ok(s) => set = Some(s),
            Err(e) => ctx.error(subject, None, format!("inline `jwks`: {e}")),
        }
    }
    match secret {
        Secret::NotConfigured => {}
        Secret::Bytes(bytes) => set = Some(set.unwrap_or_default().with_hmac_secret(&bytes)),
        // Reported already; an offline issuer is still not sent to discovery for it.
        Secret::Failed => set = Some(set.unwrap_or_default()),
    }
    set
}

fn compile_keys(
    ctx: &mut Ctx<'_>,
    subject: &str,
    src: &IssuerSource,
    spans: &IssuerSpans,
    iss: &str,
    algorithms: &[Algorithm],
    secret: Secret,
) -> KeyStore {
    let offline = [src.jwks_file.is_some(), src.jwks.is_some()]
        .iter()
        .filter(|b| **b)
        .count();
    if offline > 1 || (offline == 1 && src.jwks_uri.is_some()) {
        ctx.error(subject, None, "give only one of `jwks_file`, `jwks` and `jwks_uri`");
    }
    let Some(set) = offline_keys(ctx, subject, src, spans, secret) else {
        return network_keys(ctx, subject, src, spans, iss);
    };
    for skipped in set.skipped() {
        let kid = skipped.kid.as_deref().unwrap_or("(no kid)");
        ctx.warn(subject, None, format!("JWKS key {kid:?} skipped: {}", skipped.reason));
    }
    let usable = set.keys().any(|k| algorithms.iter().any(|a| k.family().supports(*a)));
    if !usable && !set.has_secret() {
        let message = "no key can verify any allowed algorithm: every token will fail with unknown_key";
        ctx.warn(subject, None, message);
    }
    KeyStore::fixed(set)
}

#[cfg(feature = "network")]
fn network_keys(ctx: &mut Ctx<'_>, subject: &str, src: &IssuerSource, spans: &IssuerSpans, iss: &str) -> KeyStore {
    use crate::keys::{Network, RemoteKeys};
    let source = match key_source(src, iss) {
        Ok(s) => s,
        Err(e) => {
            let at = src
                .jwks_uri
                .as_ref()
                .and_then(|uri| ctx.at(spans.jwks_uri.as_ref(), uri));
            ctx.error(subject, at, e.clone());
            return KeyStore::empty(e);
        }
    };
    if ctx.network.is_none() {
        match Network::new(&ctx.policy.source.settings.jwks) {
            Ok(n) => ctx.network = Some(Some(n)),
            Err(e) => {
                ctx.network = Some(None);
                ctx.error("settings.jwks", None, e);
            }
        }
    }
    match ctx.network.clone().flatten() {
        Some(n) => KeyStore::remote(RemoteKeys::new(src.id.as_str().into(), iss.to_string(), source, n)),
        None => KeyStore::empty("the HTTP client could not be built"),
    }
}

/// Where a network issuer's keys come from: its `jwks_uri`, else its profile's fixed JWKS
/// URL, else OIDC discovery from `iss`.
#[cfg(feature = "network")]
fn key_source(src: &IssuerSource, iss: &str) -> Result<crate::keys::KeySource, String> {
    use crate::keys::KeySource;
    if let Some(uri) = &src.jwks_uri {
        return KeySource::jwks(uri).map_err(|e| format!("`jwks_uri`: {e}"));
    }
    if let Some(uri) = (profile(src.profile).jwks_url)(src, iss) {
        return KeySource::jwks(&uri).map_err(|e| format!("the {} JWKS URL: {e}", src.profile.as_str()));
    }
    KeySource::discovery(iss).map_err(|e| {
        format!("keys cannot be discovered from issuer `{iss}` ({e}); give `jwks_uri`, `jwks_file` or `jwks`")
    })
}

#[cfg(not(feature = "network"))]
fn network_keys(ctx: &mut Ctx<'_>, subject: &str, _src: &IssuerSource, _spans: &IssuerSpans, _iss: &str) -> KeyStore {
    let reason =
        "no offline key source (`jwks_file`, `jwks`, `hmac_secret_env`) and this build has no `network` feature";
    let message = format!("{reason}: tokens from this issuer fail with keys_unavailable");
    ctx.warn(subject, None, message);
    KeyStore::empty(reason)
}

#[cfg(test)]
mod tests {
    use crate::{Engine, Format, LoadedPolicy, Severity};

    #[test]
    fn placeholders_are_errors_naming_each_field_in_file_order() {
        let text = "version = 1\n[[issuers]]\nid = \"a\"\nissuer = \"<fill in: the iss>\"\naudiences = [\"x\", \"<fill in: the client id>\"]\n\n[[routes]]\nroute = \"GET /a\"\nrequire = \"issuer:a\"\n";
        let p = LoadedPolicy::parse(text, Format::Toml, "p.toml").unwrap();
        let Err(e) = Engine::compile(&p) else {
            panic!("placeholders compiled")
        };
        let errors: Vec<String> = e
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            errors,
            [
                "p.toml:4:11: error: issuers[0] `a`: `issuer` is a placeholder to fill in: the iss",
                "p.toml:5:20: error: issuers[0] `a`: `audiences[1]` is a placeholder to fill in: the client id",
            ]
        );
    }
}
