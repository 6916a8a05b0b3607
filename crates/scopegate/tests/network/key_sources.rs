//! Where an issuer's keys come from (the profile's fixed JWKS URL, `jwks_uri`, discovery), and the
//! key sources that do not compile (plain http, undiscoverable issuers, impossible timings).

use super::*;

#[test]
fn key_sources_come_from_the_policy_profile_or_discovery() {
    let x = "audiences = [\"x\"]";
    let text = [
        "version = 1\n".to_string(),
        issuer_table(&[("id", "asg"), ("profile", "asgardeo"), ("org", "pharmacy")], &[x]),
        issuer_table(
            &[("id", "a0"), ("profile", "auth0"), ("domain", "pets.us.auth0.com")],
            &[x],
        ),
        plain_issuer("kc", "https://id.example.com/realms/main", "x", &[]),
        issuer_table(
            &[("id", "fa"), ("profile", "fusionauth"), ("issuer", "acme.com")],
            &["jwks_uri = \"https://auth.acme.com/.well-known/jwks.json\"", x],
        ),
        routes(&[("GET /a", Rule::Authenticated)]),
    ]
    .concat();
    let p = LoadedPolicy::parse(&text, Format::Toml, "p.toml").unwrap();
    let e = Engine::compile(&p).unwrap().engine;
    let source = |id: &str| {
        let i = e.issuers().iter().find(|i| i.id() == id).unwrap();
        i.keys().source().unwrap().to_string()
    };
    assert_eq!(source("asg"), "jwks_uri https://api.asgardeo.io/t/pharmacy/oauth2/jwks");
    assert_eq!(source("a0"), "jwks_uri https://pets.us.auth0.com/.well-known/jwks.json");
    assert_eq!(
        source("kc"),
        "discovery https://id.example.com/realms/main/.well-known/openid-configuration"
    );
    assert_eq!(source("fa"), "jwks_uri https://auth.acme.com/.well-known/jwks.json");
}

#[test]
fn insecure_or_undiscoverable_key_sources_do_not_compile() {
    let compile_error = |issuer: &str, settings: &str| {
        let text = format!(
            "version = 1\n[settings.jwks]\n{settings}\n[[issuers]]\nid = \"x\"\naudiences = [\"api\"]\n{issuer}\n[[routes]]\nroute = \"GET /a\"\nrequire = \"authenticated\"\n"
        );
        let p = LoadedPolicy::parse(&text, Format::Toml, "p.toml").unwrap();
        Engine::compile(&p).unwrap_err().to_string()
    };
    let cases = [
        (
            "issuer = \"https://idp.example\"\njwks_uri = \"http://idp.example/jwks\"",
            "",
            "must use https",
        ),
        (
            "issuer = \"https://idp.example\"\njwks_uri = \"http://169.254.169.254/keys\"",
            "",
            "must use https",
        ),
        ("profile = \"fusionauth\"\nissuer = \"acme.com\"", "", "give `jwks_uri`"),
        ("issuer = \"http://idp.example\"", "", "cannot be discovered"),
        (
            "issuer = \"https://idp.example\"",
            "timeout_seconds = 0",
            "`timeout_seconds` must be between",
        ),
        (
            "issuer = \"https://idp.example\"",
            "min_ttl_seconds = 10\nmax_ttl_seconds = 5",
            "larger than `max_ttl_seconds`",
        ),
        (
            "issuer = \"https://idp.example\"",
            "max_stale_seconds = nan",
            "`max_stale_seconds`",
        ),
    ];
    for (issuer, settings, needle) in cases {
        let e = compile_error(issuer, settings);
        assert!(e.contains(needle), "{e}");
    }
}
