//! Reading blobs: size-limited, digest-checked, never through a path built from unvalidated input.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::digest::Digest;

/// Largest manifest or index sigaudit reads (zot's own limit for manifests is 4 MiB).
pub const MAX_MANIFEST_BYTES: u64 = 4 << 20;
/// Largest signature blob (payload, bundle or envelope) sigaudit reads.
pub const MAX_SIGNATURE_BYTES: u64 = 32 << 20;

/// Why a blob could not be used.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob is missing")]
    Missing,
    #[error("blob is {size} bytes, over the {limit}-byte limit")]
    TooLarge { size: u64, limit: u64 },
    #[error("content does not match its digest (sha256 of content is {actual}){placeholder}")]
    DigestMismatch {
        actual: String,
        placeholder: &'static str,
    },
    #[error("cannot read blob: {0}")]
    Io(#[from] io::Error),
}

/// The blob store of one OCI layout.
#[derive(Debug, Clone)]
pub struct BlobStore {
    repo: PathBuf,
}

impl BlobStore {
    pub fn new(repo: &Path) -> Self {
        BlobStore {
            repo: repo.to_path_buf(),
        }
    }

    /// Where the blob for `digest` lives. Safe: a `Digest` is validated hex.
    pub fn path(&self, digest: &Digest) -> PathBuf {
        self.repo
            .join("blobs")
            .join(digest.algorithm().name())
            .join(digest.hex())
    }

    /// Read the blob for `digest`, refusing anything over `limit` bytes and any content that
    /// does not hash to `digest`.
    pub fn read(&self, digest: &Digest, limit: u64) -> Result<Vec<u8>, BlobError> {
        let path = self.path(digest);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(BlobError::Missing),
            Err(e) => return Err(BlobError::Io(e)),
        };
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(BlobError::Io(io::Error::other("not a regular file")));
        }
        if meta.len() > limit {
            return Err(BlobError::TooLarge {
                size: meta.len(),
                limit,
            });
        }
        let mut buf = Vec::with_capacity(meta.len() as usize);
        file.take(limit + 1).read_to_end(&mut buf)?;
        if buf.len() as u64 > limit {
            return Err(BlobError::TooLarge {
                size: buf.len() as u64,
                limit,
            });
        }
        if !digest.matches(&buf) {
            return Err(BlobError::DigestMismatch {
                actual: Digest::of(digest.algorithm(), &buf).hex().to_string(),
                placeholder: if buf.is_empty() {
                    " (a zero-byte file: a deduplication placeholder left by remote storage)"
                } else {
                    ""
                },
            });
        }
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_with(content: &[u8], name_of: &[u8]) -> (tempfile::TempDir, BlobStore, Digest) {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = Digest::sha256_of(name_of);
        let blobs = dir.path().join("blobs/sha256");
        std::fs::create_dir_all(&blobs).expect("mkdir");
        std::fs::write(blobs.join(d.hex()), content).expect("write");
        let store = BlobStore::new(dir.path());
        (dir, store, d)
    }

    #[test]
    fn reads_checks_and_refuses() {
        let (_d, store, digest) = store_with(b"hello", b"hello");
        assert_eq!(store.read(&digest, 5).expect("fits"), b"hello");
        assert!(matches!(
            store.read(&digest, 4),
            Err(BlobError::TooLarge { size: 5, limit: 4 })
        ));
        let (_d, store, digest) = store_with(b"tampered", b"original");
        assert!(matches!(
            store.read(&digest, 100),
            Err(BlobError::DigestMismatch { .. })
        ));
        let (_d, store, digest) = store_with(b"", b"placeholder");
        let err = store.read(&digest, 100).expect_err("zero-byte placeholder");
        assert!(err.to_string().contains("placeholder"), "{err}");
        let missing = Digest::sha256_of(b"absent");
        assert!(matches!(store.read(&missing, 100), Err(BlobError::Missing)));
    }
}
