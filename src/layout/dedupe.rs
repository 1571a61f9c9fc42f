//! Deduplication placeholders: zot's remote storage drivers (S3, GCS, Azure) keep each blob
//! once and leave a zero-byte file under the same digest in every other repository holding it;
//! zot finds the real copy in its cache database. A local copy of such storage has the
//! placeholders too. sigaudit needs no cache database: the content is wherever another
//! repository holds a blob of that digest, and whichever copy is used is checked against the
//! digest, so a copy an attacker overwrote is never used (it does not hash to the digest).
//!
//! The index of which repository holds which blob is built once per discovery, the first time
//! a placeholder is met: a registry without placeholders never pays for listing its blobs.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};

use super::blobs::{BlobError, BlobStore};
use super::walk::RepoLocation;
use sigaudit_model::codes::FindingCode;
use sigaudit_model::digest::Digest;
use sigaudit_model::finding::Finding;

/// Where each digest is stored, across every repository of the audit, and which copy each
/// placeholder was read from.
#[derive(Debug, Default)]
pub struct DedupeIndex {
    /// Every repository, sorted by name: copies are tried in this order, so the copy used does
    /// not depend on the order the store lists folders in.
    repos: Vec<RepoLocation>,
    /// `"<algorithm>/<hex>"` -> positions in `repos`, built on first use.
    holders: OnceLock<HashMap<String, Vec<usize>>>,
    /// Placeholder path (report form) -> what became of it.
    outcomes: Mutex<BTreeMap<String, Outcome>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// Read from this blob path (report form).
    Resolved(String),
    /// No copy with matching content; `(copies tried, why each failed)`.
    Unresolved(Vec<String>),
}

impl DedupeIndex {
    /// An index over `repos` (every repository discovery will read).
    pub fn new(repos: &[RepoLocation]) -> Self {
        let mut repos = repos.to_vec();
        repos.sort();
        DedupeIndex {
            repos,
            ..DedupeIndex::default()
        }
    }

    /// Lists the blobs of every repository once (see [`super::Storage::list_blobs`]: links and
    /// unreadable folders are skipped, a blob behind them is not a copy sigaudit will read).
    fn holders(&self) -> &HashMap<String, Vec<usize>> {
        self.holders.get_or_init(|| {
            let started = std::time::Instant::now();
            let mut map: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, repo) in self.repos.iter().enumerate() {
                for key in repo.store.list_blobs(repo) {
                    map.entry(key).or_default().push(i);
                }
            }
            tracing::debug!(
                repositories = self.repos.len(),
                blobs = map.len(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "indexed blobs to resolve deduplication placeholders"
            );
            map
        })
    }

    /// The content of `digest` from another repository than `repo`, for the zero-byte
    /// placeholder in `repo`: the first copy (by repository name) that is a regular file of
    /// at most `limit` bytes hashing to `digest`. Records which copy was used, or that none
    /// could be.
    pub(super) fn resolve(
        &self,
        repo: &str,
        digest: &Digest,
        limit: u64,
    ) -> Result<Vec<u8>, BlobError> {
        let key = format!("{}/{}", digest.algorithm().name(), digest.hex());
        let here = super::blob_rel(repo, digest);
        // Already found unresolvable: the same answer without listing the copies again. A
        // resolved one is read again from the copies (and checked again).
        if let Some(Outcome::Unresolved(tried)) = self.lock().get(&here) {
            return Err(BlobError::UnresolvedPlaceholder {
                tried: tried.clone(),
            });
        }
        let mut tried = Vec::new();
        let candidates = self.holders().get(&key).map_or(&[][..], Vec::as_slice);
        for &i in candidates {
            let holder = &self.repos[i];
            if holder.name == repo {
                continue;
            }
            let copy = super::blob_rel(&holder.name, digest);
            match BlobStore::new(holder).read(digest, limit) {
                Ok(bytes) if !bytes.is_empty() || digest.matches(&[]) => {
                    self.lock().insert(here, Outcome::Resolved(copy));
                    return Ok(bytes);
                }
                Ok(_) => tried.push(format!("{copy} (empty)")),
                Err(BlobError::DigestMismatch { .. })
                    if holder.store.stat_blob(holder, digest) == Some(0) =>
                {
                    tried.push(format!("{copy} (a placeholder too)"));
                }
                Err(e) => tried.push(format!("{copy} ({e})")),
            }
        }
        self.lock().insert(here, Outcome::Unresolved(tried.clone()));
        Err(BlobError::UnresolvedPlaceholder { tried })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Outcome>> {
        self.outcomes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One `dedupe-placeholder` finding per placeholder resolved so far, naming the copy whose
    /// content was used (the unresolved ones are reported where they were read, as
    /// `dedupe-unresolved`).
    pub fn findings(&self) -> Vec<Finding> {
        self.lock()
            .iter()
            .filter_map(|(path, o)| match o {
                Outcome::Resolved(copy) => Some(Finding::new(
                    FindingCode::DedupePlaceholder,
                    path.clone(),
                    format!(
                        "zero-byte deduplication placeholder; its content was read from {copy}, which matches the digest"
                    ),
                )),
                Outcome::Unresolved(_) => None,
            })
            .collect()
    }

    /// How many placeholders were met, resolved or not.
    pub fn placeholders(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// `(repository name, folder)` locations under `root`.
    fn repos(root: &std::path::Path, names: &[&str]) -> Vec<RepoLocation> {
        let store: Arc<dyn crate::layout::Storage> = crate::layout::LocalStorage::new(root);
        names
            .iter()
            .map(|n| RepoLocation {
                name: n.to_string(),
                path: root.join(n),
                root: root.to_path_buf(),
                store: store.clone(),
            })
            .collect()
    }

    fn put(root: &std::path::Path, repo: &str, digest: &Digest, content: &[u8]) {
        let d = root.join(repo).join("blobs/sha256");
        std::fs::create_dir_all(&d).expect("mkdir");
        std::fs::write(d.join(digest.hex()), content).expect("write");
    }

    #[test]
    fn resolves_from_a_matching_copy_only_and_never_through_a_link() {
        let t = tempfile::tempdir().expect("tempdir");
        let root = t.path();
        let content = b"the real content";
        let digest = Digest::sha256_of(content);
        put(root, "a", &digest, b"");
        put(root, "b", &digest, b"");
        put(root, "c", &digest, b"overwritten by a pusher");
        // `d/blobs` leads to a folder holding the right content: never used.
        let outside = root.join("outside/sha256");
        std::fs::create_dir_all(&outside).expect("mkdir");
        std::fs::write(outside.join(digest.hex()), content).expect("write");
        std::fs::create_dir_all(root.join("d")).expect("mkdir");
        std::os::unix::fs::symlink(root.join("outside"), root.join("d/blobs")).expect("link");
        let index = Arc::new(DedupeIndex::new(&repos(root, &["a", "b", "c", "d"])));
        let store = BlobStore::with_dedupe(&repos(root, &["a"])[0], index.clone());
        let err = store.read(&digest, 1 << 10).expect_err("no usable copy");
        let text = err.to_string();
        assert!(
            text.contains("b/blobs/sha256/") && text.contains("a placeholder too"),
            "{text}"
        );
        assert!(
            text.contains("c/blobs/sha256/") && text.contains("does not match"),
            "{text}"
        );
        assert!(!text.contains("d/blobs"), "{text}");
        assert!(index.findings().is_empty());
        // The control: a good copy in `e` is found and named.
        put(root, "e", &digest, content);
        let index = Arc::new(DedupeIndex::new(&repos(root, &["a", "b", "c", "d", "e"])));
        let store = BlobStore::with_dedupe(&repos(root, &["a"])[0], index.clone());
        assert_eq!(store.read(&digest, 1 << 10).expect("resolved"), content);
        let f = index.findings();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].path, format!("a/blobs/sha256/{}", digest.hex()));
        assert!(
            f[0].message
                .contains(&format!("e/blobs/sha256/{}", digest.hex()))
        );
        // Over the limit, the copy is refused like any blob.
        let store = BlobStore::with_dedupe(&repos(root, &["b"])[0], index);
        assert!(matches!(
            store.read(&digest, 4),
            Err(BlobError::UnresolvedPlaceholder { .. })
        ));
    }
}
