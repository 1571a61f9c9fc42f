//! The one seam between the audit and where a store keeps its repositories.
//!
//! Everything above `layout` reads a store through [`Storage`]: it lists the store (the walk
//! that finds repositories, and a repository's blobs for deduplication placeholders), stats a
//! blob, reads a repository file (`index.json`) bounded, and reads a blob's bytes bounded;
//! [`super::BlobStore`] checks each blob against its digest and resolves placeholders, the
//! same way for every kind of store. A local folder ([`LocalStorage`]) is one implementation,
//! with the safe-open rules of hostile storage inside it (no link followed, no named pipe or
//! device opened, blobs opened relative to a held `blobs/<algorithm>` folder); object storage
//! (`super::object`) is the other. The trust material is not read through here: it is always
//! local files of the rootDir, read as trust material (`crate::trust`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::blobs::{BlobError, Held};
use super::walk::{RepoLocation, Walk};
use sigaudit_model::digest::Digest;

/// A store of repositories: a local folder or object storage.
pub trait Storage: Send + Sync + fmt::Debug {
    /// Lists the store and returns every repository in it, with what the listing found wrong
    /// (findings, folders that could not be listed). Each [`RepoLocation`] carries this
    /// storage, so that whoever reads the repository reads it here.
    fn walk(self: Arc<Self>) -> Walk;

    /// Lists the blobs the repository `repo` holds, as `"<algorithm>/<hex>"`: every regular
    /// file of `blobs/<algorithm>/`, none through a link (a blob behind one is not a copy
    /// sigaudit will read). What cannot be listed is left out.
    fn list_blobs(&self, repo: &RepoLocation) -> Vec<String>;

    /// The size of the blob `digest` of `repo` when it is a regular file (not a link), `None`
    /// otherwise or when it cannot be told.
    fn stat_blob(&self, repo: &RepoLocation, digest: &Digest) -> Option<u64>;

    /// Reads the repository file `name` (`index.json`) of `repo`, at most `limit` bytes:
    /// never through a link, never a named pipe or a device.
    fn read_file(&self, repo: &RepoLocation, name: &str, limit: u64) -> Result<Vec<u8>, BlobError>;

    /// Reads the bytes of the blob `digest` of `repo`, at most `limit` bytes, before any digest
    /// check (that is [`super::BlobStore::read`]'s). `held` is the reader's own state, kept for
    /// one discovery or one audit (a local store holds the `blobs/<algorithm>` folders in it).
    fn read_blob(
        &self,
        repo: &RepoLocation,
        held: &Held,
        digest: &Digest,
        limit: u64,
    ) -> Result<Vec<u8>, BlobError>;

    /// Reads, ahead of need and concurrently, the blobs `digests` of `repo` that the caller is
    /// about to read one by one (a manifest's children, an audit's signatures). A local store
    /// ignores it: reading a local file costs no round trip.
    fn prefetch(&self, _repo: &RepoLocation, _held: &Held, _digests: &[Digest]) {}

    /// Whether [`Storage::prefetch`] does anything (so callers need not list what to read
    /// ahead for a store that ignores it).
    fn reads_ahead(&self) -> bool {
        false
    }

    /// How a message names `rel` (a path relative to the store, `.` for the store itself) in
    /// full: a local path, or an object URL.
    fn full_name(&self, rel: &str) -> String;

    /// The store's folder when it is a local folder.
    fn local_folder(&self) -> Option<&Path> {
        None
    }

    /// Whether the store can be reached at all (object storage: one listing of its top
    /// level); a local folder is checked as a rootDir instead.
    fn check_reachable(&self) -> Result<(), String> {
        Ok(())
    }

    /// How many requests an object store keeps in flight (`None`: a local folder).
    fn io_concurrency(&self) -> Option<usize> {
        None
    }

    /// `(HTTP requests, bytes of content received)` so far (`None`: a local folder).
    fn counted(&self) -> Option<(u64, u64)> {
        None
    }

    /// Polls `index.json` of `repo` with a conditional request against `etag` (`None`: the
    /// store reads files, which the caller reads itself).
    fn poll_index(&self, _repo: &RepoLocation, _etag: Option<&str>) -> Option<IndexPoll> {
        None
    }
}
/// Which cloud, and where in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cloud {
    /// zot's `s3` driver (distribution's `s3-aws`).
    S3 {
        bucket: String,
        region: String,
        /// `regionendpoint`.
        endpoint: Option<String>,
        /// `forcepathstyle`.
        force_path_style: bool,
        /// `secure`: HTTPS to an endpoint that names no scheme.
        secure: bool,
    },
    Gcs {
        bucket: String,
    },
    Azure {
        container: String,
        /// `accountname`; otherwise `AZURE_STORAGE_ACCOUNT_NAME`.
        account: Option<String>,
    },
}

/// An object store and the key prefix of its repositories (`zot/zot/`, or empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectLocation {
    pub cloud: Cloud,
    /// Prepended to `<repository>/index.json`: empty, or ending with `/`.
    pub prefix: String,
}

/// What polling a repository's `index.json` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexPoll {
    /// The server answered 304 Not Modified to the ETag given.
    Unchanged,
    /// New content (or the first read): the SHA-256 of its bytes and its ETag.
    Changed {
        sha256: String,
        etag: Option<String>,
    },
    /// No `index.json` any more.
    Gone,
    /// The request failed; why.
    Failed(String),
}

/// Runs `f` (a parallel discovery or verification) on `concurrency` threads when one of
/// `stores` is in object storage, so that that many reads wait on the network at once while
/// the others verify; as it is otherwise. Logs the requests and bytes of the object stores
/// after it.
pub fn with_io_threads<T: Send>(
    stores: &[Arc<dyn Storage>],
    what: &str,
    f: impl FnOnce() -> T + Send,
) -> T {
    let Some(n) = stores.iter().filter_map(|s| s.io_concurrency()).max() else {
        return f();
    };
    let out = match rayon::ThreadPoolBuilder::new()
        .num_threads(n.max(rayon::current_num_threads()))
        .thread_name(|i| format!("sigaudit-io-{i}"))
        .build()
    {
        Ok(pool) => pool.install(f),
        Err(e) => {
            tracing::warn!("cannot start {n} threads for object storage ({e}); reading with fewer");
            f()
        }
    };
    let (requests, bytes) = stores
        .iter()
        .filter_map(|s| s.counted())
        .fold((0, 0), |(r, b), (r2, b2)| (r + r2, b + b2));
    tracing::info!(requests, bytes, "object storage, after {what}");
    out
}

/// A store in a local folder: the rootDir, or a substore's `rootDirectory`.
#[derive(Debug)]
pub struct LocalStorage {
    root: PathBuf,
}

impl LocalStorage {
    pub fn new(root: &Path) -> Arc<Self> {
        Arc::new(LocalStorage {
            root: root.to_path_buf(),
        })
    }

    /// The folder.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl Storage for LocalStorage {
    fn walk(self: Arc<Self>) -> Walk {
        let root = self.root.clone();
        super::walk::walk_local(&root, &(self as Arc<dyn Storage>))
    }

    fn full_name(&self, rel: &str) -> String {
        if rel == "." {
            self.root.display().to_string()
        } else {
            self.root.join(rel).display().to_string()
        }
    }

    fn local_folder(&self) -> Option<&Path> {
        Some(&self.root)
    }

    fn list_blobs(&self, repo: &RepoLocation) -> Vec<String> {
        let mut out = Vec::new();
        let blobs = repo.path.join("blobs");
        // `blobs/` itself may be a link (to another repository, or out of the rootDir): never
        // listed, as it is never read.
        if !std::fs::symlink_metadata(&blobs).is_ok_and(|m| m.is_dir()) {
            return out;
        }
        let Ok(algs) = std::fs::read_dir(&blobs) else {
            return out;
        };
        for alg in algs.flatten() {
            if !alg.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let Ok(files) = std::fs::read_dir(alg.path()) else {
                continue;
            };
            let alg = alg.file_name().to_string_lossy().into_owned();
            for f in files.flatten() {
                if f.file_type().is_ok_and(|t| t.is_file()) {
                    out.push(format!("{alg}/{}", f.file_name().to_string_lossy()));
                }
            }
        }
        out
    }

    fn stat_blob(&self, repo: &RepoLocation, digest: &Digest) -> Option<u64> {
        std::fs::symlink_metadata(super::blobs::blob_path(&repo.path, digest))
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len())
    }

    fn read_file(&self, repo: &RepoLocation, name: &str, limit: u64) -> Result<Vec<u8>, BlobError> {
        super::blobs::read_regular(&repo.path.join(name), limit, name)
    }

    fn read_blob(
        &self,
        repo: &RepoLocation,
        held: &Held,
        digest: &Digest,
        limit: u64,
    ) -> Result<Vec<u8>, BlobError> {
        held.read_local(&repo.path, digest, limit)
    }
}
