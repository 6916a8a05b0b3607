//! The README's demo runs and every scenario decides as the guides say.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::process::Command;

#[test]
fn demo_decides_every_seed_scenario_as_expected() {
    let out = Command::new(env!("CARGO_BIN_EXE_demo")).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "the demo policy should compile without warnings: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|l| l.ends_with(" yes") || l.ends_with(" NO"))
        .collect();
    assert_eq!(rows.len(), 18, "{stdout}");
    assert!(rows.iter().all(|r| r.ends_with(" yes")), "{stdout}");
}

#[test]
fn demo_policy_checks_clean_and_bundled_jwks_match_the_keys() {
    let dir = scopegate_examples::examples_dir();
    let compiled = scopegate::Engine::from_path(dir.join("policies/demo.toml")).unwrap();
    assert!(compiled.warnings.is_empty(), "{:?}", compiled.warnings);
    for k in scopegate_examples::DEV_KEYS {
        let key = scopegate_examples::dev_key(k.name).unwrap();
        let file: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(format!("keys/{}.jwks.json", k.name))).unwrap())
                .unwrap();
        assert_eq!(
            file,
            scopegate_testkit::jwks(&[&key]),
            "regenerate with `cargo run -p scopegate-examples --bin dev-keys`"
        );
    }
}
