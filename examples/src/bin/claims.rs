//! FusionAuth guide: `GET /claims` returns the verified claims it received.
//!
//! `cargo run -p scopegate-examples --bin claims` (port 3003, or `$PORT`)

use scopegate_examples::services::{claims, local_addr, policy_engine, serve};
use scopegate_examples::{dev_key, fusionauth_token, print_curl};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = local_addr(3003);
    let key = dev_key("fusionauth")?;
    println!("claims (FusionAuth); try, with a token signed by the bundled dev key:");
    print_curl(
        "GET",
        &format!("http://{addr}/claims"),
        Some(&fusionauth_token(&key, "richard@example.com", &["user"])),
    );
    print_curl("GET", &format!("http://{addr}/claims"), None);
    serve(claims(policy_engine("claims")?), addr).await?;
    Ok(())
}
