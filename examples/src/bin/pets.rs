//! Auth0 guide, the pets API: `GET /pets` public, `POST /pets` admins, `POST /pets/purchase`
//! buyers that are not admins; CORS for a browser client on http://localhost:5173.
//!
//! `cargo run -p scopegate-examples --bin pets` (port 3002, or `$PORT`)

use scopegate_examples::services::{local_addr, pets, policy_engine, serve};
use scopegate_examples::{auth0_claims, auth0_token, dev_key, print_curl};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = local_addr(3002);
    let key = dev_key("auth0")?;
    let admin = auth0_token(&key, auth0_claims("auth0|admin", "openid", &["admin"]));
    let buyer = auth0_token(&key, auth0_claims("google-oauth2|buyer", "openid pets:buy", &[]));
    println!("pets (Auth0); try, with tokens signed by the bundled dev key:");
    print_curl("GET", &format!("http://{addr}/pets"), None);
    print_curl("POST", &format!("http://{addr}/pets"), Some(&admin));
    print_curl("POST", &format!("http://{addr}/pets"), Some(&buyer));
    print_curl("POST", &format!("http://{addr}/pets/purchase"), Some(&buyer));
    serve(pets(policy_engine("pets")?), addr).await?;
    Ok(())
}
