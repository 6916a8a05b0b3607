//! `scopegate check POLICY --openapi SPEC [--strict] [--json]`: drift between a policy and an
//! API definition. The document is translated as `import` does; its security schemes are
//! matched to the policy's issuers (by issuer URL where the document gives one, else by an
//! issuer id equal to the scheme name); then, over the witness requests of both route tables,
//! it reports operations no policy route matches (or only `$default`), policy routes that match
//! no operation, and operations whose access differs, compared by grants with the core's
//! [`scopegate::access_changes`] (equivalent forms are no drift).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::ExitCode;

use scopegate::policy::{InlineJwks, IssuerSource, PolicySource, RouteSource};
use scopegate::{
    ChangeKind, Engine, LoadedPolicy, METHODS, RouteId, RouteKey, RouteTable, WitnessMode, WitnessPart, access_changes,
    witness_requests,
};
use serde_json::{Value, json};

use crate::diff::{grants_json, grants_text};
use crate::import::{self, Import, route_source};

/// Largest number of witness requests compared.
const MAX_WITNESSES: usize = 2_000_000;

/// Compares `engine` (the policy) with the document at `spec`. Exit 1 with `strict` when there
/// is drift, 2 when the document cannot be read or analysed.
pub(crate) fn run(engine: &Engine, spec: &Path, strict: bool, json_out: bool) -> ExitCode {
    let doc = match import::read_document(spec) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let import = import::translate(&doc);
    let (ids, unmatched_schemes) = match_issuers(&import, engine);
    let mut not_compared: BTreeMap<String, (String, String)> = BTreeMap::new();
    let compared = match spec_engine(&import, engine, &ids, &mut not_compared) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{}: {e}", spec.display());
            return ExitCode::from(2);
        }
    };
    let label = |route: &str| {
        import
            .operations
            .iter()
            .find(|o| o.route == route)
            .map_or_else(|| route.to_string(), |o| o.label.clone())
    };
    let (spec_t, policy_t) = (compared.route_table(), engine.route_table());
    let witnesses = match witness_requests(&[spec_t, policy_t], &METHODS, WitnessMode::Routing, MAX_WITNESSES) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("{}: {e}", spec.display());
            return ExitCode::from(2);
        }
    };
    let is_default = |t: &RouteTable, id: RouteId| matches!(t.key(id), Some(RouteKey::Default));
    let mut without_route: BTreeMap<RouteId, (bool, String)> = BTreeMap::new();
    let mut route_has_op: BTreeMap<RouteId, bool> = BTreeMap::new();
    for w in &witnesses {
        let s = spec_t.find(w.method, &w.path);
        let p = policy_t.find(w.method, &w.path).filter(|p| !is_default(policy_t, *p));
        if let (Some(s), None) = (s, p) {
            // The example: a witness with a fresh segment reads best (`/pet/zq`, not a literal
            // of another route).
            let fresh = w.parts.contains(&WitnessPart::Fresh);
            let example = without_route
                .entry(s)
                .or_insert((fresh, format!("{} {}", w.method, w.path)));
            if fresh && !example.0 {
                *example = (true, format!("{} {}", w.method, w.path));
            }
        }
        if let Some(p) = p {
            *route_has_op.entry(p).or_default() |= s.is_some();
        }
    }
    let key_text = |t: &RouteTable, id: RouteId| t.key(id).map_or_else(String::new, ToString::to_string);
    let ops_without: Vec<Value> = without_route
        .iter()
        .map(|(s, (_, example))| {
            let route = key_text(spec_t, *s);
            json!({"operation": label(&route), "route": route, "example": example})
        })
        .collect();
    let routes_without: Vec<Value> = route_has_op
        .iter()
        .filter(|(_, has)| !**has)
        .map(|(p, _)| json!({"route": key_text(policy_t, *p)}))
        .collect();
    let changes = match access_changes(&compared, engine) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{}: {e}", spec.display());
            return ExitCode::from(2);
        }
    };
    let mut seen = BTreeSet::new();
    let mut differs = Vec::new();
    for c in &changes {
        let (Some(op_route), Some(policy_route)) = (c.old_route.as_deref(), c.new_route.as_deref()) else {
            continue;
        };
        if policy_route == "$default" || not_compared.contains_key(op_route) {
            continue;
        }
        if !seen.insert((op_route.to_string(), policy_route.to_string())) {
            continue;
        }
        let kind = match c.kind {
            ChangeKind::Widened => "policy grants more",
            ChangeKind::Narrowed => "policy grants less",
            _ => "policy grants other callers",
        };
        differs.push(json!({
            "operation": label(op_route),
            "route": op_route,
            "policy_route": policy_route,
            "example": format!("{} {}", c.method, c.path),
            "kind": kind,
            "policy_adds": grants_json(&c.gained),
            "policy_lacks": grants_json(&c.lost),
            "text": format!("{kind}; only the policy grants: {}; only the document grants: {}",
                grants_text(&c.gained), grants_text(&c.lost)),
        }));
    }
    let drift = !(ops_without.is_empty() && routes_without.is_empty() && differs.is_empty());
    if json_out {
        let v = json!({
            "drift": drift,
            "operations_without_route": ops_without,
            "routes_without_operation": routes_without,
            "access_differs": differs,
            "not_compared": not_compared.values().map(|(op, why)| json!({"operation": op, "reason": why})).collect::<Vec<_>>(),
            "unmatched_schemes": unmatched_schemes,
        });
        println!("{v}");
    } else {
        let s = spec.display();
        for o in &ops_without {
            eprintln!(
                "{s}: drift: operation {}: no policy route (e.g. {} is unmatched or only `$default`)",
                o["operation"].as_str().unwrap_or_default(),
                o["example"].as_str().unwrap_or_default()
            );
        }
        for r in &routes_without {
            eprintln!(
                "{s}: drift: route `{}` matches no operation of the document",
                r["route"].as_str().unwrap_or_default()
            );
        }
        for d in &differs {
            eprintln!(
                "{s}: drift: operation {} vs route `{}`: {}",
                d["operation"].as_str().unwrap_or_default(),
                d["policy_route"].as_str().unwrap_or_default(),
                d["text"].as_str().unwrap_or_default()
            );
        }
        for (op, why) in not_compared.values() {
            eprintln!("{s}: warning: operation {op} not compared: {why}");
        }
        for m in &unmatched_schemes {
            eprintln!("{s}: warning: {}", m.as_str().unwrap_or_default());
        }
        if !drift {
            eprintln!("{s}: no drift");
        }
    }
    if strict && drift {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The policy issuer id each document issuer stands for (by `iss`, else by scheme name), or a
/// stand-in id that no policy issuer has; and a warning per document issuer left unmatched.
fn match_issuers(import: &Import, engine: &Engine) -> (Vec<String>, Vec<Value>) {
    let mut ids = Vec::new();
    let mut unmatched = Vec::new();
    for d in &import.issuers {
        let by_url = d.url.as_ref().and_then(|url| {
            engine
                .issuers()
                .iter()
                .find(|i| i.accepted_iss().iter().any(|a| a == url))
        });
        let by_name = || engine.issuers().iter().find(|i| d.schemes.iter().any(|s| s == i.id()));
        // By issuer URL where the document gives one, else by name (the issue's rule: a scheme
        // whose URL no policy issuer has is unmatched even when an id equals its name).
        let found = if d.url.is_some() { by_url } else { by_name() };
        match found {
            Some(i) => ids.push(i.id().to_string()),
            None => {
                let how = d.url.as_ref().map_or_else(
                    || format!("an issuer id among {:?}", d.schemes),
                    |u| format!("an issuer with `iss` {u}"),
                );
                unmatched.push(json!(format!(
                    "security scheme(s) {:?} match no policy issuer (looked for {how})",
                    d.schemes
                )));
                ids.push(format!("openapi:{}", d.source.id));
            }
        }
    }
    (ids, unmatched)
}

/// The document as a policy over the policy's issuer ids (keys play no part in grants: every
/// issuer is a stand-in with an empty key set). Operations that cannot be translated get a
/// route (they are operations) but are not compared; they are recorded in `not_compared`.
fn spec_engine(
    import: &Import,
    engine: &Engine,
    ids: &[String],
    not_compared: &mut BTreeMap<String, (String, String)>,
) -> Result<Engine, String> {
    let stand_in = |id: &str| IssuerSource {
        id: id.to_string(),
        issuer: Some(format!("urn:scopegate:check-openapi:{id}")),
        audiences: vec!["check-openapi".into()],
        jwks: Some(InlineJwks::Text(r#"{"keys": []}"#.into())),
        ..IssuerSource::default()
    };
    let mut issuers: Vec<IssuerSource> = engine.issuers().iter().map(|i| stand_in(i.id())).collect();
    for id in ids {
        if !issuers.iter().any(|i| &i.id == id) {
            issuers.push(stand_in(id));
        }
    }
    let routes: Vec<RouteSource> = import
        .operations
        .iter()
        .map(|op| match &op.access {
            Ok(access) => route_source(&op.route, access, ids, import.kind.scopes_any_of()),
            Err(why) => {
                not_compared.insert(op.route.clone(), (op.label.clone(), why.clone()));
                RouteSource {
                    route: op.route.clone(),
                    require: Some("authenticated".into()),
                    ..RouteSource::default()
                }
            }
        })
        .collect();
    let source = PolicySource {
        version: 1,
        settings: Default::default(),
        issuers,
        routes,
        lambda: Default::default(),
        server: Default::default(),
    };
    Engine::compile(&LoadedPolicy::from_source(source))
        .map(|c| c.engine)
        .map_err(|e| format!("the document's routes do not compile:\n{e}"))
}
