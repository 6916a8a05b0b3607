//! Mints a development token signed by a bundled dev key, for `curl`ing the examples.
//!
//! ```text
//! cargo run -q -p scopegate-examples --bin mint -- asgardeo --scope "openid get_pharmacy_user"
//! cargo run -q -p scopegate-examples --bin mint -- auth0 --scope pets:buy --role admin
//! cargo run -q -p scopegate-examples --bin mint -- fusionauth --role user
//! ```

use scopegate_examples::{asgardeo_token, auth0_claims, auth0_token, dev_key, fusionauth_token};

const USAGE: &str = "usage: mint (asgardeo|auth0|fusionauth) [--scope \"a b\"] [--role R]... [--sub S]";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let idp = args.next().ok_or(USAGE)?;
    let (mut scope, mut roles, mut sub) = (String::new(), Vec::new(), String::from("dev-user"));
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(USAGE)?;
        match flag.as_str() {
            "--scope" => scope = value,
            "--role" => roles.push(value),
            "--sub" => sub = value,
            _ => return Err(USAGE.into()),
        }
    }
    let roles: Vec<&str> = roles.iter().map(String::as_str).collect();
    let token = match idp.as_str() {
        "asgardeo" => asgardeo_token(&dev_key("asgardeo")?, &sub, &scope),
        "auth0" => auth0_token(&dev_key("auth0")?, auth0_claims(&sub, &scope, &roles)),
        "fusionauth" => fusionauth_token(&dev_key("fusionauth")?, &format!("{sub}@example.com"), &roles),
        _ => return Err(USAGE.into()),
    };
    println!("{token}");
    Ok(())
}
