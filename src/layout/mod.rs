//! The rootDir on disk: finding repositories and reading their blobs safely.

mod blobs;
mod walk;

pub use blobs::{BlobError, BlobStore, MAX_MANIFEST_BYTES, MAX_SIGNATURE_BYTES};
pub use walk::{RepoLocation, Walk, find_repositories, walked_folders};

use std::path::Path;

/// `path` relative to `root`, `/`-separated, for reports (lossy for non-UTF-8 names).
pub fn rel_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let s = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    if s.is_empty() { ".".to_string() } else { s }
}
