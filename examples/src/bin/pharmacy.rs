//! Asgardeo guide, the pharmacy API: `GET /user` needs `get_pharmacy_user`.
//!
//! `cargo run -p scopegate-examples --bin pharmacy` (port 3001, or `$PORT`)

use scopegate_examples::services::{local_addr, pharmacy, policy_engine, serve};
use scopegate_examples::{asgardeo_token, dev_key, print_curl};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = local_addr(3001);
    let key = dev_key("asgardeo")?;
    println!("pharmacy (Asgardeo); try, with tokens signed by the bundled dev key:");
    print_curl(
        "GET",
        &format!("http://{addr}/user"),
        Some(&asgardeo_token(&key, "alice@pharmacy", "openid get_pharmacy_user")),
    );
    print_curl(
        "GET",
        &format!("http://{addr}/user"),
        Some(&asgardeo_token(&key, "bob@pharmacy", "openid")),
    );
    serve(pharmacy(policy_engine("pharmacy")?), addr).await?;
    Ok(())
}
