//! Compiler diagnostics and key sources, at the library level.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use scopegate::{AuthRequest, Engine, Format, LoadedPolicy, Severity};
use scopegate_testkit::{TestKey, TokenBuilder, jwks, now};
use serde_json::json;

const HEAD: &str = "version = 1\n[[issuers]]\nid = \"g\"\nissuer = \"https://idp.example\"\naudiences = [\"api\"]\n";

fn errors(text: &str) -> Vec<String> {
    let p = LoadedPolicy::parse(text, Format::Toml, "p.toml").unwrap();
    match Engine::compile(&p) {
        Ok(_) => Vec::new(),
        Err(e) => e
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(ToString::to_string)
            .collect(),
    }
}

fn has(errs: &[String], needle: &str) -> bool {
    errs.iter().any(|e| e.contains(needle))
}

#[test]
fn route_shape_errors() {
    let e = errors(&format!(
        "{HEAD}jwks = '{{\"keys\":[]}}'\n[[routes]]\nroute = \"GET /a\"\n[[routes]]\nroute = \"GET /b\"\nallow = \"anonymous\"\nscopes = [\"x\"]\n[[routes]]\nroute = \"GET /c\"\nscopes = []\n[[routes]]\nroute = \"GET /d/\"\nrequire = \"authenticated\"\n"
    ));
    assert!(has(&e, "routes[0] `GET /a`: the route says nothing"), "{e:?}");
    assert!(has(&e, "cannot be combined"), "{e:?}");
    assert!(has(&e, "`scopes = []` can never be satisfied"), "{e:?}");
    assert!(
        has(
            &e,
            "p.toml:17:10: error: routes[3] `GET /d/`: the path must not end with `/`"
        ),
        "{e:?}"
    );
}

#[test]
fn issuer_errors() {
    let e = errors(
        "version = 2\n[[issuers]]\nid = \"a\"\nissuer = \"https://x\"\naudiences = [\"api\"]\nhmac_secret_env = \"SCOPEGATE_SURELY_UNSET_VAR\"\n[[issuers]]\nid = \"a\"\nissuer = \"https://x\"\naudiences = [\"api\"]\njwks = 'nope'\n",
    );
    assert!(has(&e, "version 2 is not supported"), "{e:?}");
    assert!(
        has(&e, "`SCOPEGATE_SURELY_UNSET_VAR` (hmac_secret_env) is not set"),
        "{e:?}"
    );
    assert!(has(&e, "issuer id `a` is used twice"), "{e:?}");
    assert!(has(&e, "already configured as `a`"), "{e:?}");
    assert!(has(&e, "inline `jwks`: JWKS is not valid JSON"), "{e:?}");
}

#[test]
fn expression_errors_point_at_the_character() {
    let e = errors(&format!(
        "{HEAD}jwks = '{{\"keys\":[]}}'\n[[routes]]\nroute = \"GET /a\"\nrequire = \"scope:a or or role:b\"\n"
    ));
    assert!(
        has(
            &e,
            "p.toml:9:23: error: routes[0] `GET /a` require: expected `scope:NAME`"
        ),
        "{e:?}"
    );
}

#[test]
fn inline_jwks_table_json_policy_and_relative_jwks_file() {
    let key = TestKey::es256("e1");
    let token =
        TokenBuilder::new(json!({"iss":"https://idp.example","aud":"api","exp":now()+60,"scope":"read"})).sign(&key);
    let check = |p: LoadedPolicy| {
        let engine = Engine::compile(&p).unwrap().engine;
        let d = engine.decide(&AuthRequest::new("GET", "/a").token(&token));
        assert!(d.is_allowed(), "{}", d.reason());
    };
    // JWKS as a TOML table.
    let jwk = key.public_jwk();
    let table = format!(
        "{HEAD}[issuers.jwks]\nkeys = [{{ kty = \"EC\", crv = \"P-256\", kid = \"e1\", alg = \"ES256\", x = \"{}\", y = \"{}\" }}]\n[[routes]]\nroute = \"GET /a\"\nscopes = [\"read\"]\n",
        jwk["x"].as_str().unwrap(),
        jwk["y"].as_str().unwrap()
    );
    check(LoadedPolicy::parse(&table, Format::Toml, "t.toml").unwrap());
    // The same model as JSON.
    let as_json = json!({"version":1,"issuers":[{"id":"g","issuer":"https://idp.example","audiences":["api"],"jwks":jwks(&[&key]).to_string()}],
        "routes":[{"route":"GET /a","scopes":["read"]}]});
    check(LoadedPolicy::parse(&as_json.to_string(), Format::Json, "p.json").unwrap());
    // jwks_file resolves from the policy file's folder, not the working directory.
    let dir = std::env::temp_dir().join(format!("scopegate-compile-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("keys")).unwrap();
    std::fs::write(dir.join("keys/g.json"), jwks(&[&key]).to_string()).unwrap();
    std::fs::write(
        dir.join("p.toml"),
        format!("{HEAD}jwks_file = \"keys/g.json\"\n[[routes]]\nroute = \"GET /a\"\nscopes = [\"read\"]\n"),
    )
    .unwrap();
    check(LoadedPolicy::from_path(dir.join("p.toml")).unwrap());
}

#[test]
fn skipped_jwks_keys_are_warnings_and_network_issuers_are_not() {
    let text = format!(
        "{HEAD}jwks = '{{\"keys\":[{{\"kty\":\"RSA\",\"kid\":\"e\",\"use\":\"enc\",\"n\":\"AQAB\",\"e\":\"AQAB\"}}]}}'\n[[issuers]]\nid = \"remote\"\nissuer = \"https://r\"\naudiences = [\"api\"]\n[[routes]]\nroute = \"GET /a\"\nrequire = \"authenticated\"\n"
    );
    let c = Engine::compile(&LoadedPolicy::parse(&text, Format::Toml, "p.toml").unwrap()).unwrap();
    let w: Vec<String> = c.warnings.iter().map(ToString::to_string).collect();
    assert!(has(&w, "JWKS key \"e\" skipped: `use` is `enc`"), "{w:?}");
    // Keys of an issuer without an offline source come from discovery, which is not a finding.
    assert!(!has(&w, "`remote`"), "{w:?}");
    assert!(c.engine.issuers().by_iss("https://r").unwrap().keys().is_remote());
}

fn warnings(p: LoadedPolicy) -> Vec<String> {
    Engine::compile(&p)
        .unwrap()
        .warnings
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn every_remaining_compile_error_has_its_bad_input() {
    let dir = std::env::temp_dir().join(format!("scopegate-compile-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("bad.json"), "{not json").unwrap();
    let text = format!(
        "version = 1\n[settings]\nmax_token_bytes = 0\n\
         [[issuers]]\nid = \"has space\"\nissuer = \"https://a\"\naudiences = [\"api\"]\nalgorithms = []\njwks = '{{\"keys\":[]}}'\njwks_uri = \"https://a/jwks\"\n\
         [[issuers]]\nid = \"b\"\nissuer = \"https://b\"\naudiences = [\"api\"]\njwks_file = \"{}\"\n\
         [[routes]]\nroute = \"GET /a\"\nissuers = []\n\
         [[routes]]\nroute = \"GET /b\"\nscopes = [\"x\\\"y\"]\n",
        dir.join("bad.json").display()
    );
    let e = errors(&text);
    for needle in [
        "settings.max_token_bytes: must be between 1 and 1048576",
        "`id` must be a non-empty name without spaces or quotes",
        "`algorithms` is empty",
        "give only one of `jwks_file`, `jwks` and `jwks_uri`",
        "JWKS is not valid JSON",
        "`issuers = []` lets no token in",
        "contains a quote or control character",
    ] {
        assert!(has(&e, needle), "{needle}: {e:?}");
    }
}

#[test]
fn warnings_for_suspicious_but_working_policies() {
    let text = "version = 1\n[settings]\nleeway_seconds = 900\n[[issuers]]\nid = \"h\"\nissuer = \"https://h\"\naudiences = [\"api\"]\nhmac_secret_env = \"H_SECRET\"\n[[issuers]]\nid = \"ec\"\nissuer = \"https://ec\"\naudiences = [\"api\"]\nalgorithms = [\"RS256\"]\njwks = '{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"e\",\"x\":\"AA\",\"y\":\"AA\"}]}'\n[[routes]]\nroute = \"GET /a\"\nscopes = [\"read all\"]\n";
    let w = warnings(
        LoadedPolicy::parse(text, Format::Toml, "p.toml")
            .unwrap()
            .with_secret("H_SECRET", "short"),
    );
    for needle in [
        "900 s of clock skew is a lot",
        "the secret in `H_SECRET` is 5 bytes",
        "issuers[1] `ec`: no key can verify any allowed algorithm",
        "`read all` contains a space",
    ] {
        assert!(has(&w, needle), "{needle}: {w:?}");
    }
    let empty = "version = 1\n";
    assert!(has(
        &warnings(LoadedPolicy::parse(empty, Format::Toml, "e.toml").unwrap()),
        "the policy has no routes"
    ));
}
