//! The seed corpus: how it is made (`SCOPEGATE_WRITE_SEEDS=1 cargo test -p scopegate-harness
//! --test seeds -- --ignored`) and a check that its valid tokens still verify, so that the
//! fuzzers start from inputs that reach the signature check and the rules.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::fs;
use std::path::{Path, PathBuf};

use scopegate_harness::{AUDIENCE, ES_ISS, HS_ISS, HS_SECRET, NOW, RS_ISS, engine};
use scopegate_testkit::{TestKey, TokenBuilder, b64, sign_raw};
use serde_json::{Value, json};

fn corpus(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target)
}

fn example(path: &str) -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples").join(path)).unwrap()
}

fn keys() -> (TestKey, TestKey, TestKey) {
    let rs = TestKey::from_pkcs8_pem("Iw0NsTIfEuaHkhVcz7d2D", "RS256", &example("keys/auth0.key.pem")).unwrap();
    let es = TestKey::from_pkcs8_pem(
        "Xoq7kK3eIXryYmi50ZOvg2bcceM",
        "ES256",
        &example("keys/fusionauth.key.pem"),
    )
    .unwrap();
    let hs = TestKey::hmac(HS_SECRET.as_bytes(), "HS256");
    (rs, es, hs)
}

fn claims(iss: &str, scope: &str, roles: &[&str]) -> Value {
    json!({"iss": iss, "sub": "user-1", "aud": AUDIENCE, "iat": NOW - 60, "nbf": NOW - 60,
           "exp": 4_000_000_000u64, "scope": scope, "roles": roles, "client_id": "fuzz-client"})
}

fn token_seeds() -> Vec<(&'static str, String)> {
    let (rs, es, hs) = keys();
    let valid_rs = TokenBuilder::new(claims(RS_ISS, "read write", &[])).sign(&rs);
    vec![
        ("valid_rs256", valid_rs.clone()),
        (
            "valid_es256",
            TokenBuilder::new(claims(ES_ISS, "write", &["banned"])).sign(&es),
        ),
        (
            "valid_hs256",
            TokenBuilder::new(claims(HS_ISS, "", &["admin"])).sign(&hs),
        ),
        (
            "wrong_audience",
            TokenBuilder::new(claims(RS_ISS, "read", &[]))
                .claim("aud", json!("other"))
                .sign(&rs),
        ),
        (
            "expired",
            TokenBuilder::new(claims(RS_ISS, "read", &[]))
                .claim("exp", json!(NOW - 3600))
                .sign(&rs),
        ),
        (
            "exp_as_string",
            TokenBuilder::new(claims(ES_ISS, "read", &[]))
                .claim("exp", json!("4000000000"))
                .sign(&es),
        ),
        (
            "unknown_issuer",
            TokenBuilder::new(claims("https://evil.example/", "read", &[])).sign(&rs),
        ),
        (
            "hs256_with_rsa_kid",
            TokenBuilder::new(claims(RS_ISS, "read", &[]))
                .header("alg", json!("HS256"))
                .sign(&hs),
        ),
        (
            "alg_none",
            format!(
                "{}.{}.",
                b64(br#"{"alg":"none"}"#),
                b64(claims(RS_ISS, "read", &[]).to_string().as_bytes())
            ),
        ),
        (
            "duplicate_claims",
            sign_raw(
                r#"{"alg":"HS256"}"#,
                &format!(r#"{{"iss":"{HS_ISS}","iss":"x","exp":4000000000}}"#),
                &hs,
            ),
        ),
        (
            "crit_header",
            TokenBuilder::new(claims(RS_ISS, "read", &[]))
                .header("crit", json!(["exp"]))
                .sign(&rs),
        ),
        ("five_parts", "a.b.c.d.e".into()),
        ("bad_signature", format!("{}AAAA", &valid_rs[..valid_rs.len() - 4])),
        ("empty", String::new()),
    ]
}

#[test]
#[ignore = "writes fuzz/corpus; run with SCOPEGATE_WRITE_SEEDS=1"]
fn write_seed_corpus() {
    if std::env::var_os("SCOPEGATE_WRITE_SEEDS").is_none() {
        return;
    }
    let write = |target: &str, name: &str, data: &[u8]| {
        fs::create_dir_all(corpus(target)).unwrap();
        fs::write(corpus(target).join(format!("seed-{name}")), data).unwrap();
    };
    for (name, token) in token_seeds() {
        write("token", name, token.as_bytes());
    }
    let (rs, es, hs) = keys();
    write("jwks", "rsa", example("keys/auth0.jwks.json").as_bytes());
    write("jwks", "ec", example("keys/fusionauth.jwks.json").as_bytes());
    write("jwks", "asgardeo", example("keys/asgardeo.jwks.json").as_bytes());
    let mut odd = vec![
        rs.public_jwk(),
        es.public_jwk(),
        hs.public_jwk(),
        json!({"kty": "RSA", "use": "enc", "kid": "e", "n": "AQAB", "e": "AQAB"}),
        json!({"kty": "OKP", "crv": "X25519", "kid": "x", "x": "AAAA"}),
        json!({"kty": "EC", "crv": "P-256", "kid": "short", "alg": "ES256", "x": "AA", "y": "AA"}),
        json!({"kid": "no-kty"}),
    ];
    odd.push(json!({"kty": "RSA", "kid": rs.kid(), "alg": "PS256", "n": rs.public_jwk()["n"], "e": "AQAB"}));
    write("jwks", "mixed", json!({ "keys": odd }).to_string().as_bytes());
    write("jwks", "empty", br#"{"keys":[]}"#);
    write("jwks", "not_a_set", br#"[{"keys":1}]"#);

    for name in ["demo.toml", "pets.toml", "pharmacy.toml", "claims.toml"] {
        write(
            "policy",
            name.trim_end_matches(".toml"),
            example(&format!("policies/{name}")).as_bytes(),
        );
    }
    let fixed = scopegate_harness::fixed_policy_text();
    write("policy", "fixed", fixed.as_bytes());
    let model = scopegate::LoadedPolicy::parse(&fixed, scopegate::Format::Toml, "f")
        .unwrap()
        .source;
    write("policy", "fixed_json", model.to_json().unwrap().as_bytes());
    write(
        "policy",
        "overlap_and_unknown_issuer",
        b"version = 1\n[[routes]]\nroute = \"GET /a/{x}\"\nrequire = \"issuer:nope\"\n[[routes]]\nroute = \"GET /a/{y}\"\n",
    );

    for (name, e) in [
        ("precedence", "scope:a or scope:b and not role:c"),
        ("parens", "(scope:a or scope:b) and (role:x or not client:c-1)"),
        ("quoted", "scope:\"read all (v2)\" or scope:\"and\""),
        ("issuer_client", "issuer:auth0 and client:abc-1 and authenticated"),
        ("names", "role:https://pets.example.com/admin or scope:pets:buy"),
        ("not_not", "not not (authenticated)"),
        ("error", "scope:a and (role:b"),
    ] {
        write("expr", name, e.as_bytes());
    }

    // The AWS sample authorizer events (crates/scopegate-lambda/tests/data, MIT) with our tokens.
    let rs_token = TokenBuilder::new(claims(RS_ISS, "read", &[])).sign(&rs);
    let arn = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/read";
    let sample = |name: &str| -> Value {
        serde_json::from_str(
            &fs::read_to_string(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../scopegate-lambda/tests/data")
                    .join(name),
            )
            .unwrap(),
        )
        .unwrap()
    };
    let mut token_event = sample("example-apigw-custom-auth-request.json");
    token_event["authorizationToken"] = json!(format!("Bearer {rs_token}"));
    token_event["methodArn"] = json!(arn);
    write("lambda_event", "rest_token", token_event.to_string().as_bytes());
    let mut request = sample("example-apigw-custom-auth-request-type-request.json");
    request["methodArn"] = json!(arn);
    request["headers"]["Authorization"] = json!(format!("Bearer {rs_token}"));
    write("lambda_event", "rest_request", request.to_string().as_bytes());
    let mut v1 = sample("example-apigw-v2-custom-authorizer-v1-request.json");
    v1["methodArn"] = json!(arn);
    v1["authorizationToken"] = json!(format!("Bearer {rs_token}"));
    v1["headers"]["Authorization"] = json!(format!("Bearer {rs_token}"));
    write("lambda_event", "http_v1", v1.to_string().as_bytes());
    let mut v2 = sample("example-apigw-v2-custom-authorizer-v2-request.json");
    v2["routeArn"] = json!(arn);
    v2["routeKey"] = json!("GET /read");
    v2["rawPath"] = json!("/read");
    v2["requestContext"]["http"]["method"] = json!("GET");
    v2["requestContext"]["http"]["path"] = json!("/read");
    v2["headers"]["authorization"] = json!(format!("Bearer {rs_token}"));
    v2["identitySource"] = json!([format!("Bearer {rs_token}")]);
    write("lambda_event", "http_v2", v2.to_string().as_bytes());
    let mut forged = token_event.clone();
    forged["authorizationToken"] = json!("Bearer eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL3JzLmZ1enouZXhhbXBsZS8ifQ.");
    write("lambda_event", "alg_none", forged.to_string().as_bytes());

    write(
        "routes",
        "aws_example",
        b"GET /pets/dog/1\nGET /pets/dog/{id}\nGET /pets/{proxy+}\nANY /{proxy+}\n$default\n--\nGET /pets/dog/1\nGET /pets/dog/2/\nGET /pets/cat/1\nPOST /test/5\nPOST /\nBREW /pets\nGET //\n",
    );
    write(
        "routes",
        "methods",
        b"POST /pets/purchase\nGET /pets/{id}\nANY /pets/{id}\nDELETE /pets/{petId}\nGET /\n--\nGET /pets/purchase\nget /pets/7\nDELETE /pets/7/\nGET /\nGET \n",
    );
    write(
        "routes",
        "bad_keys",
        b"GET\nFETCH /a\nGET a\nGET /a/\nGET /a//b\nGET /{p+}/a\nGET /a{b}\nGET /{}\nGET /{a}/{a}\nGET /a b\n--\nGET /a\n",
    );
}

#[test]
fn valid_seed_tokens_verify_with_the_fixed_engine() {
    for name in ["valid_rs256", "valid_es256", "valid_hs256"] {
        let token = fs::read_to_string(corpus("token").join(format!("seed-{name}"))).unwrap();
        let id = engine()
            .authenticate(&token, Some(NOW))
            .unwrap_or_else(|r| panic!("{name}: {r}"));
        assert!(["rs", "es", "hs"].contains(&id.issuer_id()), "{name}");
    }
    for name in [
        "wrong_audience",
        "expired",
        "alg_none",
        "bad_signature",
        "hs256_with_rsa_kid",
    ] {
        let token = fs::read_to_string(corpus("token").join(format!("seed-{name}"))).unwrap();
        assert!(engine().authenticate(&token, Some(NOW)).is_err(), "{name}");
    }
}

#[test]
fn lambda_seed_events_reach_an_allow_and_the_forged_one_does_not() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    for name in ["rest_token", "rest_request", "http_v1", "http_v2"] {
        let event: Value =
            serde_json::from_slice(&fs::read(corpus("lambda_event").join(format!("seed-{name}"))).unwrap()).unwrap();
        let answer = runtime
            .block_on(scopegate_harness::authorizer().handle(event))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            answer["policyDocument"]["Statement"][0]["Effect"], "Allow",
            "{name}: {answer}"
        );
    }
    let forged: Value =
        serde_json::from_slice(&fs::read(corpus("lambda_event").join("seed-alg_none")).unwrap()).unwrap();
    assert!(
        runtime
            .block_on(scopegate_harness::authorizer().handle(forged))
            .is_err()
    );
}
