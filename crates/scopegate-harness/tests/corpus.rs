//! Replays every committed fuzz corpus file (`fuzz/corpus/<target>/*`) through the harness
//! function of its target, so that seeds and past crashes are regression tests of `cargo test`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::fs;
use std::path::{Path, PathBuf};

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

#[test]
fn every_corpus_directory_has_a_harness_and_seeds() {
    let mut dirs: Vec<String> = fs::read_dir(corpus_root())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    for dir in &dirs {
        assert!(
            scopegate_harness::TARGETS.iter().any(|(name, _)| name == dir),
            "fuzz/corpus/{dir} has no harness function in scopegate_harness::TARGETS"
        );
    }
    for (name, _) in scopegate_harness::TARGETS {
        assert!(
            dirs.iter().any(|d| d == name),
            "target {name} has no fuzz/corpus/{name}"
        );
        assert!(
            !files(&corpus_root().join(name)).is_empty(),
            "fuzz/corpus/{name} is empty"
        );
    }
}

#[test]
fn every_corpus_file_replays_without_a_finding() {
    let mut replayed = 0;
    for (name, harness) in scopegate_harness::TARGETS {
        for file in files(&corpus_root().join(name)) {
            let data = fs::read(&file).unwrap();
            let outcome = std::panic::catch_unwind(|| harness(&data));
            assert!(outcome.is_ok(), "{name}: {} fails", file.display());
            replayed += 1;
        }
    }
    assert!(replayed > 0);
}
