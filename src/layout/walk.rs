//! Repository discovery: every folder under the rootDir holding an OCI image layout.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use super::rel_path;
use crate::codes::FindingCode;
use crate::finding::Finding;

/// A repository found on disk.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RepoLocation {
    /// Repository name relative to the rootDir, `/`-separated (`team/app`).
    pub name: String,
    pub path: PathBuf,
}

/// What the walk found.
#[derive(Debug, Default)]
pub struct Walk {
    /// Repositories, sorted by name.
    pub repositories: Vec<RepoLocation>,
    pub findings: Vec<Finding>,
}

/// Folder names never descended into, wherever they are: a layout's blob store and zot's
/// upload and sync staging areas. Matched on the whole name (zot matches a suffix, which hides
/// repositories such as `team/myblobs`).
const SKIPPED_DIRS: &[&str] = &["blobs", ".uploads", ".sync"];

/// Walk `root` and return every repository. Top-level folders starting with `_` (`_cosign`,
/// `_notation`, `_trivy`, `_sessions`, ...) hold zot's own data and are skipped. Symbolic
/// links are never followed.
pub fn find_repositories(root: &Path) -> Walk {
    let mut walk = Walk::default();
    let it = WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(descended);
    for entry in it {
        let entry = match entry {
            Ok(e) => e,
            Err(err) => {
                let path = err
                    .path()
                    .map(|p| rel_path(root, p))
                    .unwrap_or_else(|| ".".into());
                walk.findings.push(Finding::new(
                    FindingCode::Unreadable,
                    path,
                    format!("cannot read folder: {err}"),
                ));
                continue;
            }
        };
        let dir = entry.path();
        let has_index = dir.join("index.json").is_file();
        if !has_index || entry.depth() == 0 {
            continue;
        }
        let name = rel_path(root, dir);
        let has_layout = dir.join("oci-layout").is_file();
        let has_blobs = dir.join("blobs").is_dir();
        if !(has_layout && has_blobs) {
            let missing = match (has_layout, has_blobs) {
                (false, false) => "`oci-layout` and `blobs/`",
                (false, true) => "`oci-layout`",
                _ => "`blobs/`",
            };
            walk.findings.push(Finding::new(
                FindingCode::IncompleteLayout,
                name,
                format!("folder has an index.json but no {missing}; not audited as a repository"),
            ));
            continue;
        }
        walk.repositories.push(RepoLocation {
            name,
            path: dir.to_path_buf(),
        });
    }
    walk.repositories.sort();
    walk
}

/// Every folder [`find_repositories`] descends into (the rootDir included): where a repository
/// can appear, vanish or change its `index.json`. Unreadable folders are left out.
pub fn walked_folders(root: &Path) -> Vec<PathBuf> {
    WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(descended)
        .filter_map(|e| e.ok().map(walkdir::DirEntry::into_path))
        .collect()
}

/// Whether the walk enters `e`: folders only, not zot's own top-level `_` folders, not
/// [`SKIPPED_DIRS`].
fn descended(e: &walkdir::DirEntry) -> bool {
    if !e.file_type().is_dir() {
        return false;
    }
    let name = e.file_name().to_string_lossy();
    if e.depth() == 1 && name.starts_with('_') {
        return false;
    }
    !(e.depth() > 0 && SKIPPED_DIRS.contains(&name.as_ref()))
}
