//! Repository discovery: every folder under the rootDir holding an OCI image layout.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use walkdir::WalkDir;

use super::storage::{LocalStorage, Storage};
use super::{rel_path, symlink_finding};
use sigaudit_model::codes::FindingCode;
use sigaudit_model::finding::Finding;

/// A repository found in a store.
#[derive(Debug, Clone)]
pub struct RepoLocation {
    /// Repository name relative to the store, `/`-separated (`team/app`).
    pub name: String,
    /// Its folder (a local store), or where its objects are (object storage: the key prefix,
    /// `zot/zot/team/app`, never opened as a path).
    pub path: PathBuf,
    /// The store folder `name` is relative to (the rootDir, or a substore's rootDirectory);
    /// for object storage, the key prefix of the store.
    pub root: PathBuf,
    /// Where the repository is read from.
    pub store: Arc<dyn Storage>,
}

impl RepoLocation {
    /// The repository in the local folder `dir`, alone in a store of its own (named `repo`):
    /// for reading one layout outside an audit (tests, the fuzzer).
    pub fn in_folder(dir: &Path) -> Self {
        RepoLocation {
            name: "repo".into(),
            path: dir.to_path_buf(),
            root: dir.parent().unwrap_or(dir).to_path_buf(),
            store: LocalStorage::new(dir.parent().unwrap_or(dir)),
        }
    }

    fn key(&self) -> (&str, &Path, &Path) {
        (&self.name, &self.path, &self.root)
    }
}

// Ordered and compared by name, then folder and store folder; the storage itself is where
// they are read from, not what they are.
impl PartialEq for RepoLocation {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for RepoLocation {}
impl PartialOrd for RepoLocation {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for RepoLocation {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

/// What the walk found.
#[derive(Debug, Default)]
pub struct Walk {
    /// Repositories, sorted by name.
    pub repositories: Vec<RepoLocation>,
    pub findings: Vec<Finding>,
    /// Folders that could not be listed, `(path relative to the rootDir, why)`, also reported
    /// as `unreadable` findings. Each may hide any number of repositories, so the audit counts
    /// them (`summary.unreadableRepositories`) instead of letting their repositories vanish.
    pub unreadable: Vec<(String, String)>,
}

/// Folder names never descended into, wherever they are: a layout's blob store and zot's
/// upload and sync staging areas. Matched on the whole name (zot matches a suffix, which hides
/// repositories such as `team/myblobs`).
pub(super) const SKIPPED_DIRS: &[&str] = &["blobs", ".uploads", ".sync"];

/// Walk `root` and return every repository. Top-level folders starting with `_` (`_cosign`,
/// `_notation`, `_trivy`, `_sessions`, ...) hold zot's own data and are skipped. Symbolic
/// links are never followed: each one met is reported (`symlink-not-followed`), so that a
/// repository linked in from elsewhere, or a link loop, is visible rather than silently absent.
/// Folder names that are not UTF-8 are reported (`non-utf8-name`) and still walked.
pub fn find_repositories(root: &Path) -> Walk {
    LocalStorage::new(root).walk()
}

/// [`find_repositories`] in the local store `store` at `root`.
pub(super) fn walk_local(root: &Path, store: &Arc<dyn Storage>) -> Walk {
    let mut walk = Walk::default();
    // Unsorted on purpose: sorting makes walkdir hold every entry of a folder in memory, and a
    // folder may hold millions of files. The repositories are sorted below, the findings by
    // the audit.
    let it = WalkDir::new(root)
        .follow_links(false)
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
                let why = format!("cannot read folder: {err}");
                walk.findings
                    .push(Finding::new(FindingCode::Unreadable, path.clone(), &why));
                walk.unreadable.push((path, why));
                continue;
            }
        };
        if entry.depth() > 0 && entry.path_is_symlink() {
            walk.findings.push(symlink_finding(root, entry.path()));
            continue;
        }
        let dir = entry.path();
        if entry.depth() > 0 && entry.file_name().to_str().is_none() {
            walk.findings.push(Finding::new(
                FindingCode::NonUtf8Name,
                rel_path(root, dir),
                format!(
                    "folder name {:?} is not valid UTF-8; it is shown with U+FFFD, and zot cannot serve a repository so named",
                    entry.file_name()
                ),
            ));
        }
        // Any kind of `index.json` makes a repository: one that is a link or not a regular
        // file is then reported by discovery instead of making the folder silently vanish.
        let has_index = std::fs::symlink_metadata(dir.join("index.json")).is_ok();
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
            root: root.to_path_buf(),
            store: store.clone(),
        });
    }
    walk.repositories.sort();
    walk.unreadable.sort();
    walk
}

/// Whether [`find_repositories`] would find at least one repository under `root`; stops at
/// the first one, so a real rootDir answers at once.
pub fn has_repository(root: &Path) -> bool {
    WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_entry(descended)
        .filter_map(Result::ok)
        .any(|e| {
            let dir = e.path();
            e.depth() > 0
                && !e.path_is_symlink()
                && std::fs::symlink_metadata(dir.join("index.json")).is_ok()
                && dir.join("oci-layout").is_file()
                && dir.join("blobs").is_dir()
        })
}

/// Every folder [`find_repositories`] descends into (the rootDir included): where a repository
/// can appear, vanish or change its `index.json`. Unreadable folders are left out.
pub fn walked_folders(root: &Path) -> Vec<PathBuf> {
    let mut folders: Vec<PathBuf> = WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_entry(descended)
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_dir())
        .map(walkdir::DirEntry::into_path)
        .collect();
    folders.sort();
    folders
}

/// Whether the walk enters `e` (or, for a symbolic link, yields it to be reported): folders and
/// links only, not zot's own top-level `_` folders (`_cosign` and `_notation` may be links, to
/// ConfigMap volumes; the trust loader resolves those), not [`SKIPPED_DIRS`].
fn descended(e: &walkdir::DirEntry) -> bool {
    let ft = e.file_type();
    if !ft.is_dir() && !ft.is_symlink() {
        return false;
    }
    let name = e.file_name().to_string_lossy();
    if e.depth() == 1 && name.starts_with('_') {
        return false;
    }
    ft.is_symlink() || !(e.depth() > 0 && SKIPPED_DIRS.contains(&name.as_ref()))
}
