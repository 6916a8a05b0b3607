//! Asgardeo guide, the pharmacy API: `GET /user` needs `get_pharmacy_user`.
//!
//! `cargo run -p scopegate-examples --bin pharmacy` (port 3001, or `$PORT`); Prometheus metrics
//! at `/metrics`.

use scopegate_examples::services::{install_prometheus, local_addr, pharmacy, policy_engine, serve, with_metrics};
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
    println!("metrics: curl http://{addr}/metrics");
    let metrics = install_prometheus()?;
    serve(with_metrics(pharmacy(policy_engine("pharmacy")?), metrics), addr).await?;
    Ok(())
}
