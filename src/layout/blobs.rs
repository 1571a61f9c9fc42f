//! Reading blobs: size-limited, digest-checked, never through a path built from unvalidated input.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::dedupe::DedupeIndex;
use super::regular_file::{read_bounded, same_file};
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
    /// The blob, `blobs/` or `blobs/<algorithm>/` is a symbolic link: never followed, so a
    /// link to `/etc/passwd`, to another repository or to a device is never read.
    #[error("{which} is a symbolic link (to {target}); sigaudit does not follow links")]
    Symlink { which: String, target: String },
    /// A folder, named pipe, socket or device where a blob should be. A named pipe would block
    /// the scan forever if it were opened, so the type is checked before opening.
    #[error("not a regular file but {kind}")]
    NotRegularFile { kind: &'static str },
    /// A zero-byte deduplication placeholder (see [`super::DedupeIndex`]) whose content no
    /// other repository holds: `tried` names each copy looked at and why it was not used.
    #[error("a zero-byte deduplication placeholder, and no other repository holds content with this digest{}", describe_tried(.tried))]
    UnresolvedPlaceholder { tried: Vec<String> },
    #[error("cannot read blob: {0}")]
    Io(#[from] io::Error),
}

fn describe_tried(tried: &[String]) -> String {
    if tried.is_empty() {
        String::new()
    } else {
        format!(" (copies not used: {})", tried.join(", "))
    }
}

/// What a file that is not a regular file is, in words.
pub fn file_kind(ft: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a named pipe";
        }
        if ft.is_socket() {
            return "a socket";
        }
        if ft.is_block_device() || ft.is_char_device() {
            return "a device";
        }
    }
    if ft.is_dir() {
        "a folder"
    } else if ft.is_symlink() {
        "a symbolic link"
    } else if ft.is_file() {
        "a regular file"
    } else {
        "a special file"
    }
}

/// The blob store of one OCI layout.
#[derive(Debug, Clone)]
pub struct BlobStore {
    repo: PathBuf,
    /// Where a zero-byte placeholder's content is looked for, and this repository's name;
    /// `None`: a placeholder is a digest mismatch.
    dedupe: Option<(Arc<DedupeIndex>, String)>,
}

impl BlobStore {
    pub fn new(repo: &Path) -> Self {
        BlobStore {
            repo: repo.to_path_buf(),
            dedupe: None,
        }
    }

    /// The blob store of the repository `name` at `repo`, resolving deduplication
    /// placeholders through `index`.
    pub fn with_dedupe(repo: &Path, name: &str, index: Arc<DedupeIndex>) -> Self {
        BlobStore {
            repo: repo.to_path_buf(),
            dedupe: Some((index, name.to_string())),
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
        // Neither `blobs/` nor `blobs/<algorithm>/` may be a link: checked with lstat, the
        // repository folder itself being found by a walk that follows no links.
        let blobs = self.repo.join("blobs");
        for (dir, which) in [
            (&blobs, "blobs/".to_string()),
            (
                &blobs.join(digest.algorithm().name()),
                format!("blobs/{}/", digest.algorithm().name()),
            ),
        ] {
            if let Ok(m) = std::fs::symlink_metadata(dir)
                && m.file_type().is_symlink()
            {
                return Err(symlink_error(dir, format!("the repository's {which}")));
            }
        }
        let buf = read_regular(&path, limit, "the blob")?;
        if !digest.matches(&buf) {
            if let (true, Some((index, name))) = (buf.is_empty(), &self.dedupe) {
                return index.resolve(name, digest, limit);
            }
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

/// Read the regular file at `path`, at most `limit` bytes, refusing (before opening it) a
/// symbolic link, a folder, a named pipe or a device, and a file swapped for another between
/// that check and the open. `which` names the file in the error (`the blob`, `index.json`).
pub fn read_regular(path: &Path, limit: u64, which: &str) -> Result<Vec<u8>, BlobError> {
    let seen = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(BlobError::Missing),
        Err(e) => return Err(BlobError::Io(e)),
    };
    if seen.file_type().is_symlink() {
        return Err(symlink_error(path, which.into()));
    }
    if !seen.is_file() {
        return Err(BlobError::NotRegularFile {
            kind: file_kind(seen.file_type()),
        });
    }
    // Non-blocking: a file swapped for a named pipe after the check cannot block the open.
    let file = match super::regular_file::open_nonblocking(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(BlobError::Missing),
        Err(e) => return Err(BlobError::Io(e)),
    };
    let meta = file.metadata()?;
    if !meta.is_file() || !same_file(&seen, &meta) {
        // Replaced between the check and the open (by a link, a pipe, another file).
        return Err(BlobError::Io(io::Error::other(
            "the file changed while it was being opened",
        )));
    }
    read_bounded(file, &meta, limit)
}

fn symlink_error(path: &Path, which: String) -> BlobError {
    BlobError::Symlink {
        which,
        target: std::fs::read_link(path)
            .map(|t| format!("{:?}", t.to_string_lossy()))
            .unwrap_or_else(|_| "an unreadable target".into()),
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
