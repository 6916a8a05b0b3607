//! The main demo: the seed scenarios of the IdP guides decided by one policy, offline.
//!
//! `cargo run -p scopegate-examples --bin demo`
//!
//! Tokens shaped like Asgardeo, Auth0 and FusionAuth ones are signed with the bundled dev keys,
//! decided against `examples/policies/demo.toml`, and printed as a table with reasons. Each
//! token is also written to `target/demo-tokens/` so the CLI can explain it.

use std::path::PathBuf;

use scopegate::{AuthRequest, Engine};
use scopegate_examples::{
    asgardeo_token, auth0_claims, auth0_token, cognito_token, dev_key, examples_dir, fusionauth_token,
};
use scopegate_testkit::{TestKey, TokenBuilder, b64, now};
use serde_json::json;

struct Scenario {
    name: &'static str,
    method: &'static str,
    path: &'static str,
    token: Option<String>,
    expect: &'static str,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let policy = examples_dir().join("policies/demo.toml");
    let compiled = Engine::from_path(&policy)?;
    for w in &compiled.warnings {
        eprintln!("{w}");
    }
    let engine = compiled.engine;
    let asg = dev_key("asgardeo")?;
    let a0 = dev_key("auth0")?;
    let fa = dev_key("fusionauth")?;
    let cog = dev_key("cognito")?;
    let stranger = TestKey::rsa("Iw0NsTIfEuaHkhVcz7d2D", "RS256");

    let pharmacist = asgardeo_token(&asg, "alice@pharmacy", "openid get_pharmacy_user");
    let visitor = asgardeo_token(&asg, "bob@pharmacy", "openid");
    let admin = auth0_token(&a0, auth0_claims("auth0|admin", "openid", &["admin"]));
    let buyer = auth0_token(&a0, auth0_claims("google-oauth2|buyer", "openid pets:buy", &[]));
    // Auth0 ID tokens carry the client id as `aud`, not the API.
    let id_token = TokenBuilder::new(auth0_claims("google-oauth2|buyer", "openid pets:buy", &[]))
        .header("typ", json!("JWT"))
        .claim("aud", json!("pets-spa"))
        .sign(&a0);
    let expired = TokenBuilder::new(auth0_claims("google-oauth2|buyer", "openid pets:buy", &[]))
        .header("typ", json!("JWT"))
        .claim("exp", json!(now() - 3600))
        .sign(&a0);
    let forged = auth0_token(&stranger, auth0_claims("auth0|mallory", "openid", &["admin"]));
    let alg_none = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(auth0_claims("auth0|mallory", "openid", &["admin"])
            .to_string()
            .as_bytes())
    );
    let asg_as_jwt = TokenBuilder::new(json!({"iss":"https://api.asgardeo.io/t/pharmacy/oauth2/token",
        "aud":"Wsoq8t4nHW80gSnPfyDvRbiC__Ea","sub":"alice@pharmacy","scope":"get_pharmacy_user","exp":now()+600}))
    .header("typ", json!("JWT"))
    .sign(&asg);

    let s = |name, method, path, token: Option<&String>, expect| Scenario {
        name,
        method,
        path,
        token: token.cloned(),
        expect,
    };
    let scenarios = [
        s("asgardeo pharmacist", "GET", "/user", Some(&pharmacist), "allow"),
        s(
            "asgardeo user without scope",
            "GET",
            "/user",
            Some(&visitor),
            "insufficient_scope",
        ),
        s(
            "asgardeo token typed JWT",
            "GET",
            "/user",
            Some(&asg_as_jwt),
            "wrong_token_type",
        ),
        s("auth0 admin adds a pet", "POST", "/pets", Some(&admin), "allow"),
        s(
            "auth0 buyer adds a pet",
            "POST",
            "/pets",
            Some(&buyer),
            "insufficient_role",
        ),
        s("auth0 buyer purchases", "POST", "/pets/purchase", Some(&buyer), "allow"),
        s(
            "auth0 admin purchases",
            "POST",
            "/pets/purchase",
            Some(&admin),
            "insufficient_scope",
        ),
        s(
            "auth0 ID token at the API",
            "POST",
            "/pets/purchase",
            Some(&id_token),
            "audience_mismatch",
        ),
        s("auth0 expired token", "GET", "/pets/7", Some(&expired), "token_expired"),
        s(
            "fusionauth user reads claims",
            "GET",
            "/claims",
            Some(&fusionauth_token(&fa, "richard@example.com", &["user"])),
            "allow",
        ),
        s(
            "auth0 token at fusion-only route",
            "GET",
            "/claims",
            Some(&buyer),
            "route_denied",
        ),
        s(
            "cognito clerk reads orders",
            "GET",
            "/orders",
            Some(&cognito_token(
                &cog,
                "access",
                "openid orders-api/orders.read",
                &["clerks"],
            )),
            "allow",
        ),
        s(
            "cognito ID token at the API",
            "GET",
            "/orders",
            Some(&cognito_token(&cog, "id", "", &["clerks"])),
            "wrong_token_type",
        ),
        s("anyone lists pets", "GET", "/pets", None, "allow"),
        s("no token", "POST", "/pets", None, "missing_token"),
        s(
            "forged signature (other key)",
            "POST",
            "/pets",
            Some(&forged),
            "bad_signature",
        ),
        s("alg none", "POST", "/pets", Some(&alg_none), "unsupported_algorithm"),
        s("unmatched route", "DELETE", "/pets/7", Some(&admin), "no_route"),
    ];

    let workspace = examples_dir()
        .parent()
        .map_or_else(|| PathBuf::from("."), PathBuf::from);
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace.join("target"), PathBuf::from);
    let token_dir = target.join("demo-tokens");
    std::fs::create_dir_all(&token_dir)?;
    println!("policy: {}\n", policy.display());
    println!(
        "{:<34} {:<22} {:<6} {:<20} EXPECTED",
        "SCENARIO", "REQUEST", "STATUS", "CODE"
    );
    let mut mismatches = 0;
    for sc in &scenarios {
        let mut req = AuthRequest::new(sc.method, sc.path);
        req.token = sc.token.as_deref();
        let d = engine.decide(&req);
        let code = d.reason_code().map_or("allow", |c| c.as_str());
        if code != sc.expect {
            mismatches += 1;
        }
        let verdict = if code == sc.expect { "yes" } else { "NO" };
        println!(
            "{:<34} {:<22} {:<6} {:<20} {verdict}",
            sc.name,
            format!("{} {}", sc.method, sc.path),
            d.status(),
            code
        );
        println!("    {}", d.reason());
        if let Some(t) = &sc.token {
            std::fs::write(token_dir.join(format!("{}.jwt", sc.name.replace(' ', "-"))), t)?;
        }
    }
    println!("\ntokens written to {}; try:", token_dir.display());
    println!(
        "  cargo run -q -p scopegate-cli -- explain examples/policies/demo.toml --method POST --path /pets \\\n      --token-file {}",
        token_dir.join("auth0-buyer-adds-a-pet.jwt").display()
    );
    if mismatches > 0 {
        return Err(format!("{mismatches} scenario(s) did not decide as expected").into());
    }
    Ok(())
}
