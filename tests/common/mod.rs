//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The project root.
pub fn project() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/vectors` beside the checkout. `None` (the test is skipped) when it is absent,
/// except under `CI=true`, where its absence is a failure.
pub fn vectors() -> Option<PathBuf> {
    let dir = project().join("../shared/vectors");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "CI=true but {} is missing: the conformance vectors must be present in CI",
            dir.display()
        );
    }
    eprintln!("skipping: {} not found", dir.display());
    None
}

/// Copy a folder tree (folders, files, and symbolic links as links, never followed).
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("walk");
        let rel = entry.path().strip_prefix(from).expect("prefix");
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).expect("mkdir");
        } else if entry.path_is_symlink() {
            let target = std::fs::read_link(entry.path()).expect("readlink");
            #[cfg(unix)]
            std::os::unix::fs::symlink(target, &dest).expect("symlink");
            #[cfg(not(unix))]
            let _ = target;
        } else {
            std::fs::copy(entry.path(), &dest).expect("copy");
        }
    }
}

/// SHA-256 of every file under `dir`, with its relative path, sorted: a fingerprint of a tree.
pub fn tree_hash(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.expect("walk");
        let rel = entry
            .path()
            .strip_prefix(dir)
            .expect("prefix")
            .to_string_lossy()
            .into_owned();
        let h = if entry.file_type().is_file() {
            sigaudit::digest::sha256_hex(&std::fs::read(entry.path()).expect("read"))
        } else {
            "dir".into()
        };
        out.push((rel, h));
    }
    out
}

/// The committed fixture rootDirs: every folder under `fixtures/` but the generator, by name,
/// with `broken` standing for its scenarios (`broken/truncated-index`, ...).
pub fn fixture_roots() -> Vec<String> {
    let dirs = |d: &Path| -> Vec<String> {
        std::fs::read_dir(d)
            .expect("fixtures")
            .map(|e| e.expect("entry"))
            .filter(|e| e.file_type().expect("type").is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect()
    };
    let fixtures = project().join("fixtures");
    let mut names: Vec<String> = Vec::new();
    for n in dirs(&fixtures) {
        match n.as_str() {
            "generator" => {}
            "broken" => names.extend(
                dirs(&fixtures.join("broken"))
                    .into_iter()
                    .map(|s| format!("broken/{s}")),
            ),
            _ => names.push(n),
        }
    }
    names.sort();
    names
}
