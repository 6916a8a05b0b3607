//! `scopegate import` on real documents (tests/data/import, sources in SOURCES.md): import,
//! fill what `check` names, `check` passes, and `decide` on a table of requests answers as the
//! source system would (API Gateway's documented behaviour for exports, OpenAPI semantics for
//! plain documents). Requests no route matches are denied.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::{data, scopegate, text, workfile};

use scopegate_testkit::fixtures::{asgardeo_claims, jwks_inline, keys};
use scopegate_testkit::idps::{Kind, cognito_claims, idp_keys, okta_claims, sign_cognito, sign_okta};
use scopegate_testkit::{TestKey, TokenBuilder, now};
use serde_json::{Value, json};

/// `scopegate import` output (exit 0 expected).
fn import(spec: &str, extra: &[&str]) -> String {
    let out = scopegate(&[&["import", spec], extra].concat());
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

/// `check` on a policy text: exit code and stderr.
fn check(policy: &str) -> (i32, String) {
    let out = scopegate(&["check", policy]);
    (out.status.code().unwrap(), text(&out.stderr))
}

/// Replaces a placeholder value (the whole quoted string starting with `<fill in`) that
/// contains `hint`, and adds inline keys to the issuer `id`.
fn fill(policy: &str, hint: &str, value: &str) -> String {
    let start = policy
        .match_indices("\"<fill in")
        .map(|(i, _)| i)
        .find(|i| policy[*i..].split('"').nth(1).is_some_and(|v| v.contains(hint)))
        .unwrap_or_else(|| panic!("no placeholder with {hint:?} in\n{policy}"));
    let end = start + 1 + policy[start + 1..].find('"').unwrap();
    format!("{}\"{value}\"{}", &policy[..start], &policy[end + 1..])
}

fn with_keys(policy: &str, id: &str, key: &TestKey) -> String {
    let line = format!("id = \"{id}\"\n");
    policy.replacen(&line, &format!("{line}{}\n", jwks_inline(&[key])), 1)
}

/// One request and what it must get: method, path, token, status, reason code.
type Row<'a> = (&'a str, &'a str, Option<&'a str>, u16, Option<&'a str>);

/// Runs `decide --json` for each row.
fn decide_table(policy: &str, rows: &[Row<'_>]) {
    for (method, path, token, status, code) in rows {
        let mut args = vec!["decide", policy, "--method", method, "--path", path, "--json"];
        if let Some(t) = token {
            args.extend(["--token", t]);
        }
        let out = scopegate(&args);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
        assert_eq!(
            (v["status"].as_u64(), v["reason_code"].as_str()),
            (Some(u64::from(*status)), *code),
            "{method} {path} with {:?}: {v}",
            token.map(|t| &t[..12])
        );
    }
}

#[test]
fn pharmacy_http_api_export_imports_complete_and_decides_like_the_jwt_authorizer() {
    let policy = import(&data("pharmacy-http-api.json"), &[]);
    assert!(!policy.contains("<fill in"), "{policy}");
    assert!(policy.contains("# GET /user\n"), "{policy}");
    assert!(
        policy.contains("profile = \"asgardeo\"\norg = \"pharmacy\""),
        "{policy}"
    );
    let key = &keys().asg_rs;
    let path = workfile("pharmacy.toml", &with_keys(&policy, "asgardeo-jwt", key));
    assert_eq!(check(&path).0, 0, "{}", check(&path).1);
    let token = |scope: &str| {
        let mut c = asgardeo_claims(scope);
        for claim in ["aud", "client_id", "azp"] {
            c[claim] = json!("Wsoq8t4nHW80gSnPfyDvRbiC__Ea");
        }
        TokenBuilder::new(c).header("typ", json!("at+jwt")).sign(key)
    };
    let (user, other) = (token("openid get_pharmacy_user"), token("openid"));
    let mut wrong_aud = asgardeo_claims("get_pharmacy_user");
    wrong_aud["aud"] = json!("another-api");
    let wrong_aud = TokenBuilder::new(wrong_aud).header("typ", json!("at+jwt")).sign(key);
    decide_table(
        &path,
        &[
            ("GET", "/user", Some(&user), 200, None),
            ("GET", "/user", Some(&other), 403, Some("insufficient_scope")),
            ("GET", "/user", None, 401, Some("missing_token")),
            ("GET", "/user", Some(&wrong_aud), 401, Some("audience_mismatch")),
            ("POST", "/user", Some(&user), 403, Some("no_route")),
            ("GET", "/users", Some(&user), 403, Some("no_route")),
        ],
    );
}

#[test]
fn rest_api_cognito_export_names_the_app_client_ids_then_decides_like_api_gateway() {
    let policy = import(&data("orders-rest-api.json"), &[]);
    assert!(policy.contains("profile = \"cognito\"\nregion = \"us-east-1\"\nuser_pool_id = \"us-east-1_AbCdEfGhI\""));
    assert!(
        policy.contains("scopegate accepts access tokens only (a stated narrowing)"),
        "{policy}"
    );
    let raw = workfile("orders.toml", &policy);
    let (code, err) = check(&raw);
    assert_eq!(code, 1);
    assert!(err.contains("issuers[0] `orders-pool`: `audiences[0]` is a placeholder to fill in: the app client ids of user pool us-east-1_AbCdEfGhI"), "{err}");
    assert_eq!(err.matches("placeholder").count(), 1, "{err}");
    let filled = fill(&policy, "app client ids", "orders-client");
    let path = workfile("orders.toml", &with_keys(&filled, "orders-pool", &idp_keys().cognito));
    assert_eq!(check(&path).0, 0, "{}", check(&path).1);
    let token = |kind: Kind, scope: &str| {
        let mut c = cognito_claims(kind, scope, &[]);
        c["iss"] = json!("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEfGhI");
        if kind == Kind::Id {
            c["aud"] = json!("orders-client");
        } else {
            c["client_id"] = json!("orders-client");
        }
        sign_cognito(c)
    };
    let admin = token(Kind::Access, "orders/admin");
    let write = token(Kind::Access, "orders/write");
    let bare = token(Kind::Access, "openid");
    let id = token(Kind::Id, "");
    decide_table(
        &path,
        &[
            // Any listed scope, as API Gateway checks a Cognito authorizer's scopes.
            ("GET", "/orders", Some(&admin), 200, None),
            ("GET", "/orders", Some(&write), 403, Some("insufficient_scope")),
            ("POST", "/orders", Some(&write), 200, None),
            ("POST", "/orders", Some(&admin), 403, Some("insufficient_scope")),
            ("GET", "/orders/o-17", Some(&bare), 200, None),
            // API Gateway would accept the ID token here: the stated narrowing.
            ("GET", "/orders/o-17", Some(&id), 401, Some("wrong_token_type")),
            ("GET", "/orders/o-17", None, 401, Some("missing_token")),
            ("GET", "/health", None, 200, None),
            ("DELETE", "/orders/o-17", Some(&admin), 403, Some("no_route")),
        ],
    );
}

#[test]
fn petstore_refuses_api_keys_unless_skipped_and_then_requires_all_scopes() {
    let out = scopegate(&["import", &data("petstore.yaml")]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    for op in ["getPetById (GET /pet/{petId})", "getInventory (GET /store/inventory)"] {
        assert!(
            err.contains(&format!("error: {op}: scheme `api_key` is an API key")),
            "{err}"
        );
    }
    assert!(out.stdout.is_empty());
    let policy = import(&data("petstore.yaml"), &["--skip-unsupported"]);
    assert!(policy.contains("# Left out (denied): getPetById"), "{policy}");
    assert!(policy.contains("# updatePet (PUT /pet)\n"), "{policy}");
    let (code, err) = check(&workfile("petstore.toml", &policy));
    assert_eq!(code, 1);
    assert!(
        err.contains(
            "`issuer` is a placeholder to fill in: the exact `iss` of access tokens for scheme `petstore_auth`"
        ),
        "{err}"
    );
    assert!(err.contains("`audiences[0]` is a placeholder"), "{err}");
    assert!(err.contains("2 error(s)"), "{err}");
    let filled = fill(&policy, "`iss`", "https://idp.example");
    let filled = fill(&filled, "audience", "api");
    let key = &idp_keys().keycloak;
    let path = workfile("petstore.toml", &with_keys(&filled, "petstore_auth", key));
    assert_eq!(check(&path).0, 0, "{}", check(&path).1);
    let token = |scope: &str| {
        let t = now();
        TokenBuilder::new(
            json!({"iss": "https://idp.example", "aud": "api", "sub": "u1", "scope": scope,
            "iat": t, "exp": t + 600}),
        )
        .sign(key)
    };
    let (both, write) = (token("write:pets read:pets"), token("write:pets"));
    decide_table(
        &path,
        &[
            // OpenAPI: every scope listed for the scheme is required.
            ("PUT", "/pet", Some(&both), 200, None),
            ("PUT", "/pet", Some(&write), 403, Some("insufficient_scope")),
            ("DELETE", "/pet/7", Some(&both), 200, None),
            ("POST", "/pet/7/uploadImage", None, 401, Some("missing_token")),
            // Left out (API key alternative): denied, fail closed.
            ("GET", "/pet/7", Some(&both), 403, Some("no_route")),
            ("GET", "/store/inventory", Some(&both), 403, Some("no_route")),
            // No security: anonymous.
            ("POST", "/store/order", None, 200, None),
            ("GET", "/user/login", None, 200, None),
            ("DELETE", "/user/jane", None, 200, None),
        ],
    );
}

#[test]
fn openid_connect_alternatives_and_and_empty_requirements_follow_openapi() {
    let policy = import(&data("bookshop-oidc.yaml"), &[]);
    assert!(policy.contains("profile = \"okta\"\ndomain = \"dev-4402.okta.com\"\nauthorization_server = \"default\""));
    assert!(
        policy.contains("issuer = \"https://login.partners.example\""),
        "{policy}"
    );
    let (code, err) = check(&workfile("bookshop.toml", &policy));
    assert_eq!((code, err.matches("is a placeholder").count()), (1, 2), "{err}");
    let filled = fill(
        &fill(&policy, "scheme `okta`", "api://default"),
        "scheme `partners`",
        "bookshop",
    );
    let partner_key = &idp_keys().keycloak;
    let filled = with_keys(&with_keys(&filled, "okta", &idp_keys().okta), "partners", partner_key);
    let path = workfile("bookshop.toml", &filled);
    assert_eq!(check(&path).0, 0, "{}", check(&path).1);
    let okta = |scp: &[&str]| {
        let mut c = okta_claims(Kind::Access, scp, &[]);
        c["iss"] = json!("https://dev-4402.okta.com/oauth2/default");
        sign_okta(c)
    };
    let partner = |scope: &str| {
        let t = now();
        TokenBuilder::new(
            json!({"iss": "https://login.partners.example", "aud": "bookshop", "sub": "p1",
            "scope": scope, "iat": t, "exp": t + 600}),
        )
        .sign(partner_key)
    };
    let (read, write, both) = (
        okta(&["books:read"]),
        okta(&["books:write"]),
        okta(&["books:write", "books:read"]),
    );
    let (admin, p_delete, p_admin) = (
        okta(&["books:admin"]),
        partner("catalogue:delete"),
        partner("books:admin"),
    );
    let (review, review_profile) = (okta(&["reviews:write"]), okta(&["reviews:write", "profile"]));
    let p_review = partner("reviews:write profile");
    decide_table(
        &path,
        &[
            ("GET", "/books", None, 200, None),                        // security: []
            ("GET", "/books/978-3", None, 401, Some("missing_token")), // top-level security
            ("GET", "/books/978-3", Some(&read), 200, None),
            ("POST", "/books", Some(&write), 403, Some("insufficient_scope")), // all scopes
            ("POST", "/books", Some(&both), 200, None),
            ("DELETE", "/books/978-3", Some(&admin), 200, None), // alternatives: OR
            ("DELETE", "/books/978-3", Some(&p_delete), 200, None),
            (
                "DELETE",
                "/books/978-3",
                Some(&p_admin),
                403,
                Some("insufficient_scope"),
            ),
            ("GET", "/books/978-3/reviews", None, 200, None), // `{}`: optional security
            (
                "POST",
                "/books/978-3/reviews",
                Some(&review),
                403,
                Some("insufficient_scope"),
            ), // AND
            ("POST", "/books/978-3/reviews", Some(&review_profile), 200, None),
            (
                "POST",
                "/books/978-3/reviews",
                Some(&p_review),
                403,
                Some("route_denied"),
            ),
            ("PUT", "/books/978-3", Some(&both), 403, Some("no_route")),
        ],
    );
}
