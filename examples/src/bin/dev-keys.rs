//! Regenerates `examples/keys/*.jwks.json` from the bundled PEM keys.
//!
//! `cargo run -p scopegate-examples --bin dev-keys`

use scopegate_examples::{DEV_KEYS, dev_key, examples_dir};
use scopegate_testkit::jwks;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for k in DEV_KEYS {
        let key = dev_key(k.name)?;
        let path = examples_dir().join("keys").join(format!("{}.jwks.json", k.name));
        let mut text = serde_json::to_string_pretty(&jwks(&[&key]))?;
        text.push('\n');
        std::fs::write(&path, text)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
