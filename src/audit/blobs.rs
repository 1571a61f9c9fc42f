//! Signature blobs, read through the repository's [`BlobStore`] (which checks each digest) and
//! optionally kept in memory between the audits of one [`super::Auditor`] (a watch), up to a
//! budget; a single audit keeps none.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::layout::{BlobError, BlobStore, MAX_SIGNATURE_BYTES};
use sigaudit_model::digest::Digest;

/// Signature blobs kept in memory between audits by [`super::Auditor::retain_blobs`], up to
/// this many bytes (beyond it they are read again each time).
pub(super) const RETAINED_BLOB_BYTES: usize = 256 << 20;

/// The signature blobs read so far, by digest, within a byte budget.
#[derive(Default)]
pub(super) struct BlobMemo {
    map: HashMap<Digest, Arc<Vec<u8>>>,
    bytes: usize,
    /// How many bytes may be kept (0 for a single audit: nothing is worth keeping).
    budget: usize,
}

impl BlobMemo {
    /// Forgets every blob (the repositories were read again), keeping the budget.
    pub(super) fn clear(&mut self) {
        *self = BlobMemo {
            budget: self.budget,
            ..BlobMemo::default()
        };
    }

    /// Keeps up to `bytes` of blobs from now on.
    pub(super) fn set_budget(&mut self, bytes: usize) {
        self.budget = bytes;
    }
}

/// Reads a signature blob, or recalls it.
pub(super) fn read_blob(
    store: &BlobStore,
    digest: &Digest,
    memo: &Mutex<BlobMemo>,
) -> Result<Arc<Vec<u8>>, BlobError> {
    if let Some(b) = memo
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .map
        .get(digest)
    {
        return Ok(b.clone());
    }
    let blob = Arc::new(store.read(digest, MAX_SIGNATURE_BYTES)?);
    let mut m = memo.lock().unwrap_or_else(|e| e.into_inner());
    if m.bytes + blob.len() <= m.budget {
        m.bytes += blob.len();
        m.map.insert(digest.clone(), blob.clone());
    }
    Ok(blob)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// A copy of the demo's `library/alpine` layout (real blobs), and one of its blobs.
    fn layout() -> (tempfile::TempDir, Digest) {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo/library/alpine");
        let dir = tempfile::tempdir().unwrap();
        let blobs = dir.path().join("blobs/sha256");
        std::fs::create_dir_all(&blobs).unwrap();
        std::fs::copy(src.join("index.json"), dir.path().join("index.json")).unwrap();
        std::fs::copy(src.join("oci-layout"), dir.path().join("oci-layout")).unwrap();
        let mut first = None;
        for e in std::fs::read_dir(src.join("blobs/sha256")).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), blobs.join(e.file_name())).unwrap();
            first.get_or_insert(e.file_name().to_string_lossy().into_owned());
        }
        let digest = Digest::parse(&format!("sha256:{}", first.unwrap())).unwrap();
        (dir, digest)
    }

    /// Within its budget a blob is recalled (the file is not read again, so its removal is not
    /// seen); with no budget, as in a single audit, every read goes to the store.
    #[test]
    fn blobs_are_kept_only_within_the_budget() {
        let (dir, digest) = layout();
        let store = BlobStore::new(&crate::layout::RepoLocation::in_folder(dir.path()));
        let bytes = store.read(&digest, MAX_SIGNATURE_BYTES).unwrap();

        let kept = Mutex::new(BlobMemo::default());
        kept.lock().unwrap().set_budget(bytes.len());
        let none = Mutex::new(BlobMemo::default());
        assert_eq!(*read_blob(&store, &digest, &kept).unwrap(), bytes);
        assert_eq!(*read_blob(&store, &digest, &none).unwrap(), bytes);

        std::fs::remove_file(store.path(&digest)).unwrap();
        assert_eq!(*read_blob(&store, &digest, &kept).unwrap(), bytes);
        assert!(matches!(
            read_blob(&store, &digest, &none),
            Err(BlobError::Missing)
        ));
        // Forgotten after a rediscovery, the budget kept.
        kept.lock().unwrap().clear();
        assert!(matches!(
            read_blob(&store, &digest, &kept),
            Err(BlobError::Missing)
        ));
        assert_eq!(kept.lock().unwrap().budget, bytes.len());
    }

    /// A blob larger than what is left of the budget is read but not kept.
    #[test]
    fn a_blob_beyond_the_budget_is_not_kept() {
        let (dir, digest) = layout();
        let store = BlobStore::new(&crate::layout::RepoLocation::in_folder(dir.path()));
        let len = store.read(&digest, MAX_SIGNATURE_BYTES).unwrap().len();
        let memo = Mutex::new(BlobMemo::default());
        memo.lock().unwrap().set_budget(len - 1);
        read_blob(&store, &digest, &memo).unwrap();
        let m = memo.lock().unwrap();
        assert!(m.map.is_empty());
        assert_eq!(m.bytes, 0);
    }

    /// A blob whose content does not match its digest is an error, never kept.
    #[test]
    fn a_tampered_blob_is_refused_and_not_kept() {
        let (dir, digest) = layout();
        let store = BlobStore::new(&crate::layout::RepoLocation::in_folder(dir.path()));
        std::fs::write(store.path(&digest), b"tampered").unwrap();
        let memo = Mutex::new(BlobMemo::default());
        memo.lock().unwrap().set_budget(RETAINED_BLOB_BYTES);
        assert!(matches!(
            read_blob(&store, &digest, &memo),
            Err(BlobError::DigestMismatch { .. })
        ));
        assert!(memo.lock().unwrap().map.is_empty());
    }
}
