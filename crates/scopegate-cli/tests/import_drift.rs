//! `scopegate import` edge shapes (API Gateway any-method, greedy paths and `$default`,
//! refusals), `check --openapi` drift, and the round trip: a policy exported to OpenAPI by
//! the testkit and imported back grants the same access.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::{data, scopegate, text, workfile};

use proptest::prelude::*;
use scopegate::{Engine, Format, LoadedPolicy, access_changes};
use scopegate_testkit::openapi::{ExportAccess, ExportRoute, openapi_document};
use serde_json::{Value, json};

/// An HTTP API export with the shapes of the developer guide: a JWT authorizer, a Lambda
/// (REQUEST) authorizer, `x-amazon-apigateway-any-method`, `/{proxy+}` and `$default`.
fn http_api(lambda_route: bool) -> Value {
    let jwt = json!({"type": "oauth2", "x-amazon-apigateway-authorizer": {"type": "jwt",
        "jwtConfiguration": {"issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC",
            "audience": ["client-1"]}, "identitySource": "$request.header.Authorization"}});
    let lambda = json!({"type": "apiKey", "name": "Authorization", "in": "header",
        "x-amazon-apigateway-authorizer": {"type": "request", "identitySource": "$request.header.Authorization",
            "authorizerUri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:auth/invocations",
            "authorizerPayloadFormatVersion": "2.0"}});
    let integration = json!({"payloadFormatVersion": "2.0", "type": "aws_proxy", "httpMethod": "POST",
        "uri": "arn:aws:lambda:us-east-1:123456789012:function:app", "connectionType": "INTERNET"});
    let mut paths = json!({
        "/files/{proxy+}": {"x-amazon-apigateway-any-method": {"security": [{"jwt": ["files/read", "files/admin"]}],
            "x-amazon-apigateway-integration": integration}},
        "$default": {"x-amazon-apigateway-any-method": {"x-amazon-apigateway-integration": integration}},
    });
    if lambda_route {
        paths["/admin"] =
            json!({"post": {"security": [{"custom": []}], "x-amazon-apigateway-integration": integration}});
    }
    json!({"openapi": "3.0.1", "info": {"title": "files", "version": "1"}, "paths": paths,
        "components": {"securitySchemes": {"jwt": jwt, "custom": lambda}},
        "x-amazon-apigateway-importexport-version": "1.0"})
}

#[test]
fn any_method_greedy_paths_and_default_map_to_route_keys_and_lambda_authorizers_are_refused() {
    let spec = workfile("files.json", &http_api(true).to_string());
    let out = scopegate(&["import", &spec]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("error: POST /admin: scheme `custom` is a Lambda authorizer"),
        "{}",
        text(&out.stderr)
    );
    let out = scopegate(&["import", &spec, "--skip-unsupported", "--format", "json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let policy: Value = serde_json::from_slice(&out.stdout).unwrap();
    let routes = policy["routes"].as_array().unwrap();
    let keys: Vec<&str> = routes.iter().map(|r| r["route"].as_str().unwrap()).collect();
    assert_eq!(keys, ["$default", "ANY /files/{proxy+}"]);
    assert_eq!(routes[0]["allow"], "anonymous");
    assert_eq!(routes[1]["scopes"], json!(["files/read", "files/admin"]));
    assert_eq!(routes[1]["description"], "imported from ANY /files/{proxy+}");
    assert_eq!(policy["issuers"][0]["profile"], "cognito");
    assert_eq!(policy["issuers"][0]["user_pool_id"], "us-east-1_AbC");
}

#[test]
fn schemes_required_together_from_two_issuers_api_keys_and_mutual_tls_are_refused() {
    let doc = json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
        "paths": {"/a": {"get": {"security": [{"one": [], "two": []}]}},
                  "/b": {"get": {"security": [{"tls": []}]}},
                  "/c": {"get": {"security": [{"key": []}, {}]}}},
        "components": {"securitySchemes": {
            "one": {"type": "openIdConnect", "openIdConnectUrl": "https://one.example/.well-known/openid-configuration"},
            "two": {"type": "openIdConnect", "openIdConnectUrl": "https://two.example/.well-known/openid-configuration"},
            "tls": {"type": "mutualTLS"},
            "key": {"type": "apiKey", "name": "k", "in": "query"}}}});
    let spec = workfile("refuse.json", &doc.to_string());
    let out = scopegate(&["import", &spec]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("GET /a: schemes [\"one\", \"two\"] are required together but name different issuers"),
        "{err}"
    );
    assert!(err.contains("GET /b: scheme `tls` is mutual TLS"), "{err}");
    // `{}` beside an API key: anyone may call it, so nothing is lost in translation.
    assert!(!err.contains("GET /c"), "{err}");
}

fn drift_json(policy: &str, spec: &str, extra: &[&str]) -> (i32, Value) {
    let out = scopegate(&[&["check", policy, "--openapi", spec, "--json"], extra].concat());
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
    (out.status.code().unwrap(), v)
}

#[test]
fn check_openapi_reports_each_kind_of_drift_and_not_equivalent_forms() {
    let spec = data("pharmacy-http-api.json");
    let base = "version = 1\n[[issuers]]\nid = \"asgardeo\"\nprofile = \"asgardeo\"\norg = \"pharmacy\"\naudiences = [\"Wsoq8t4nHW80gSnPfyDvRbiC__Ea\"]\njwks = '{\"keys\": []}'\n";
    // The same access written another way, matched by issuer URL (ids differ): no drift.
    let same = workfile(
        "same.toml",
        &format!(
            "{base}[[routes]]\nroute = \"GET /user\"\nrequire = \"scope:get_pharmacy_user and issuer:asgardeo\"\n"
        ),
    );
    let (code, v) = drift_json(&same, &spec, &["--strict"]);
    assert_eq!((code, &v["drift"]), (0, &json!(false)), "{v}");
    let out = scopegate(&["check", &same, "--openapi", &spec]);
    assert!(text(&out.stderr).contains("no drift"), "{}", text(&out.stderr));
    // Wider scopes, an extra route and a `$default` that is the only route for the operation.
    let drifted = workfile(
        "drifted.toml",
        &format!(
            "{base}[[routes]]\nroute = \"GET /user\"\nscopes = [\"get_pharmacy_user\", \"admin\"]\n[[routes]]\nroute = \"GET /admin\"\nrequire = \"authenticated\"\n"
        ),
    );
    let (code, v) = drift_json(&drifted, &spec, &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["routes_without_operation"], json!([{"route": "GET /admin"}]));
    let d = &v["access_differs"][0];
    assert_eq!(
        (d["route"].as_str(), d["kind"].as_str()),
        (Some("GET /user"), Some("policy grants more"))
    );
    assert_eq!(
        d["policy_adds"],
        json!([{"issuer": "asgardeo", "all_of": ["scope:admin"], "none_of": []}])
    );
    assert_eq!(drift_json(&drifted, &spec, &["--strict"]).0, 1);
    let only_default = workfile(
        "default.toml",
        &format!("{base}[[routes]]\nroute = \"$default\"\nrequire = \"authenticated\"\n"),
    );
    let (code, v) = drift_json(&only_default, &spec, &["--strict"]);
    assert_eq!(code, 1);
    assert_eq!(v["operations_without_route"][0]["operation"], "GET /user");
    assert_eq!(v["routes_without_operation"], json!([]));
    let out = scopegate(&["check", &only_default, "--openapi", &spec]);
    assert!(
        text(&out.stderr).contains("drift: operation GET /user: no policy route"),
        "{}",
        text(&out.stderr)
    );
    assert!(out.status.success());
}

#[test]
fn check_openapi_matches_schemes_by_name_when_the_document_names_no_issuer() {
    let policy = "version = 1\n[[issuers]]\nid = \"petstore_auth\"\nissuer = \"https://idp.example\"\naudiences = [\"api\"]\njwks = '{\"keys\": []}'\n[[routes]]\nroute = \"PUT /pet\"\nscopes = [\"write:pets\"]\n";
    let (_, v) = drift_json(&workfile("p.toml", policy), &data("petstore.yaml"), &[]);
    assert_eq!(v["unmatched_schemes"], json!([]));
    let d = &v["access_differs"][0];
    assert_eq!(
        (d["route"].as_str(), d["kind"].as_str()),
        (Some("PUT /pet"), Some("policy grants more"))
    );
    let not_compared: Vec<&str> = v["not_compared"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["operation"].as_str().unwrap())
        .collect();
    assert_eq!(
        not_compared,
        ["getPetById (GET /pet/{petId})", "getInventory (GET /store/inventory)"]
    );
    assert_eq!(v["operations_without_route"].as_array().unwrap().len(), 18, "{v}");
}

const ISSUERS: [(&str, &str); 2] = [("alpha", "https://alpha.example"), ("beta", "https://beta.example")];
const PATHS: [&str; 5] = ["/a", "/a/{id}", "/a/{id}/c", "/b/x", "/b/{id}"];
const METHODS: [&str; 3] = ["GET", "POST", "DELETE"];
const SCOPES: [&str; 3] = ["read", "write", "s:admin"];

fn access() -> impl Strategy<Value = ExportAccess> {
    let alt = (0..2usize, proptest::sample::subsequence(SCOPES.to_vec(), 0..3)).prop_map(|(i, s)| {
        (
            ISSUERS[i].0.to_string(),
            s.into_iter().map(str::to_string).collect::<Vec<_>>(),
        )
    });
    prop_oneof![
        1 => Just(ExportAccess::Anonymous),
        4 => proptest::collection::vec(alt, 1..4).prop_map(ExportAccess::AnyOf),
    ]
}

fn routes() -> impl Strategy<Value = Vec<ExportRoute>> {
    proptest::collection::btree_map((0..METHODS.len(), 0..PATHS.len()), access(), 1..8).prop_map(|m| {
        m.into_iter()
            .map(|((mi, pi), access)| ExportRoute {
                method: METHODS[mi].to_string(),
                path: PATHS[pi].to_string(),
                access,
            })
            .collect()
    })
}

/// The policy an author would write for the routes (parenthesised expressions).
fn policy_text(routes: &[ExportRoute]) -> String {
    let mut t = String::from("version = 1\n");
    for (id, iss) in ISSUERS {
        t.push_str(&format!(
            "[[issuers]]\nid = \"{id}\"\nissuer = \"{iss}\"\naudiences = [\"api\"]\njwks = '{{\"keys\": []}}'\n"
        ));
    }
    for r in routes {
        t.push_str(&format!("[[routes]]\nroute = \"{} {}\"\n", r.method, r.path));
        match &r.access {
            ExportAccess::Anonymous => t.push_str("allow = \"anonymous\"\n"),
            ExportAccess::AnyOf(alts) => {
                let terms: Vec<String> = alts
                    .iter()
                    .map(|(i, s)| {
                        let mut atoms = vec![format!("issuer:{i}")];
                        atoms.extend(s.iter().map(|s| format!("scope:{s}")));
                        format!("({})", atoms.join(" and "))
                    })
                    .collect();
                t.push_str(&format!("require = \"{}\"\n", terms.join(" or ")));
            }
        }
    }
    t
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn exported_and_imported_back_grants_the_same_access(routes in routes()) {
        let original = Engine::compile(&LoadedPolicy::parse(&policy_text(&routes), Format::Toml, "p.toml").unwrap()).unwrap().engine;
        let spec = workfile("spec.json", &openapi_document(&ISSUERS, &routes).to_string());
        let out = scopegate(&["import", &spec, "--format", "json"]);
        prop_assert!(out.status.success(), "{}", text(&out.stderr));
        let mut imported: Value = serde_json::from_slice(&out.stdout).unwrap();
        for issuer in imported["issuers"].as_array_mut().unwrap() {
            prop_assert!(issuer["audiences"][0].as_str().unwrap().starts_with("<fill in"));
            issuer["audiences"] = json!(["api"]);
            issuer["jwks"] = json!({"keys": []});
        }
        let back = LoadedPolicy::parse(&imported.to_string(), Format::Json, "i.json").unwrap();
        let back = Engine::compile(&back).unwrap().engine;
        prop_assert_eq!(back.route_table().len(), routes.len());
        let changes = access_changes(&original, &back).unwrap();
        prop_assert!(changes.is_empty(), "{:?}\n{}", changes, imported);
    }
}
