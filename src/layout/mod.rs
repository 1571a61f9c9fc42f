//! The rootDir on disk: finding repositories and reading their blobs safely.

mod blobs;
mod dedupe;
#[cfg(feature = "object-storage")]
mod object;
mod regular_file;
mod root;
mod storage;
mod stores;
mod walk;

pub use blobs::{
    BlobError, BlobStore, Held, MAX_MANIFEST_BYTES, MAX_SIGNATURE_BYTES, file_kind, read_regular,
};
pub use dedupe::DedupeIndex;
#[cfg(feature = "object-storage")]
pub use object::{Counters, DEFAULT_CONCURRENCY, ObjectStorage};
pub use regular_file::{
    describe as describe_read_error, open_regular, read_operator_file, read_regular_following_links,
};
pub use root::{RootError, check_root};
pub use storage::{Cloud, IndexPoll, LocalStorage, ObjectLocation, Storage, with_io_threads};
pub use stores::{IndexMemo, Store, find_in_stores, repositories_fingerprint};
pub use walk::{RepoLocation, Walk, find_repositories, has_repository, walked_folders};

use std::path::Path;

use sigaudit_model::codes::FindingCode;
use sigaudit_model::digest::Digest;
use sigaudit_model::finding::Finding;

/// The finding for a symbolic link met under the rootDir: where it points, whether that is
/// inside or outside the rootDir (resolved as a path only; nothing behind it is read), and that
/// it was not followed. The walk and the readers of `index.json` produce the same text, so a
/// link met twice is reported once.
pub fn symlink_finding(root: &Path, link: &Path) -> Finding {
    let target = std::fs::read_link(link)
        .map(|t| format!("{:?}", t.to_string_lossy()))
        .unwrap_or_else(|e| format!("an unreadable target ({e})"));
    let whither = match (std::fs::canonicalize(link), std::fs::canonicalize(root)) {
        (Ok(t), Ok(r)) if t.starts_with(&r) => "inside the rootDir".to_string(),
        (Ok(_), Ok(_)) => "outside the rootDir".to_string(),
        (Err(e), _) | (_, Err(e)) => format!("which does not resolve: {e}"),
    };
    Finding::new(
        FindingCode::SymlinkNotFollowed,
        rel_path(root, link),
        format!(
            "symbolic link to {target} ({whither}); not followed, so nothing it leads to is audited"
        ),
    )
}

/// Where the blob `digest` of repository `repo` is, as reports name it
/// (`team/app/blobs/sha256/<hex>`): the same for every store a repository can be in.
pub fn blob_rel(repo: &str, digest: &Digest) -> String {
    format!(
        "{repo}/blobs/{}/{}",
        digest.algorithm().name(),
        digest.hex()
    )
}

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
