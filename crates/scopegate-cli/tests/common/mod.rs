//! Shared by the CLI tests: run the binary, read its output, work folders and files.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A document of `tests/data/import`.
pub fn data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/import")
        .join(name)
        .display()
        .to_string()
}

/// Runs `scopegate` with these arguments.
pub fn scopegate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args(args)
        .output()
        .unwrap()
}

/// Output bytes as text.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A new, empty folder of its own (with a `keys/` subfolder) under the system temp dir.
pub fn workdir() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "scopegate-cli-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(dir.join("keys")).unwrap();
    dir
}

/// Writes `content` to a file `name` in a folder of its own; returns its path.
pub fn workfile(name: &str, content: &str) -> String {
    let path = workdir().join(name);
    std::fs::write(&path, content).unwrap();
    path.display().to_string()
}
