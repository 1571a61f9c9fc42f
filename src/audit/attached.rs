//! What c/image would read for each image, as the containers-policy stage asks for it: the
//! layers of the manifests under its cosign `.sig` tag (signature artifacts or not; c/image
//! reads no referrers), its GPG lookaside signatures, and its manifest. Read here, through
//! the repositories' blob stores and the audit's blob memo, so that the stage reads no file.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::digest::Digest;
use crate::discover::{Annotations, Artifact, ArtifactKind, RepoGraph};
use crate::finding::Finding;
use crate::layout::{BlobStore, DedupeIndex, MAX_MANIFEST_BYTES, MAX_SIGNATURE_BYTES};

use super::blobs::{BlobMemo, read_blob};

/// One `.sig` tag layer as c/image reads it.
pub struct SigLayer<'a> {
    pub media_type: &'a str,
    /// Its bytes, or why they cannot be read.
    pub payload: Result<Arc<Vec<u8>>, String>,
    pub annotations: &'a Annotations,
}

/// What c/image reads for the images of one audit, indexed by (repository, image) once, so
/// that asking for every image stays linear in signatures.
pub struct Attached<'a> {
    /// One blob store per repository: its `blobs/sha256` folder is opened once.
    stores: HashMap<&'a str, BlobStore>,
    /// The `.sig` tag manifests and lookaside signatures of each image, in the graph's order.
    artifacts: HashMap<(&'a str, &'a Digest), Vec<&'a Artifact>>,
    blobs: &'a Mutex<BlobMemo>,
    dedupe: &'a Arc<DedupeIndex>,
}

impl<'a> Attached<'a> {
    pub(super) fn new(
        graphs: &'a [RepoGraph],
        blobs: &'a Mutex<BlobMemo>,
        dedupe: &'a Arc<DedupeIndex>,
    ) -> Self {
        let stores = graphs
            .iter()
            .map(|g| {
                let store = BlobStore::with_dedupe(&g.location, dedupe.clone());
                (g.name.as_str(), store)
            })
            .collect();
        let mut artifacts: HashMap<(&str, &Digest), Vec<&Artifact>> = HashMap::new();
        for g in graphs {
            for a in g
                .artifacts
                .iter()
                .chain(&g.sig_tag_attachments)
                .filter(|a| matches!(a.kind, ArtifactKind::CosignTag | ArtifactKind::GpgLookaside))
            {
                artifacts
                    .entry((g.name.as_str(), &a.subject))
                    .or_default()
                    .push(a);
            }
        }
        Attached {
            stores,
            artifacts,
            blobs,
            dedupe,
        }
    }

    /// Whether `repository` was audited (an image of another is not judged).
    pub fn has_repository(&self, repository: &str) -> bool {
        self.stores.contains_key(repository)
    }

    fn of<'s>(
        &'s self,
        repository: &'s str,
        digest: &'s Digest,
    ) -> impl Iterator<Item = &'s Artifact> + 's {
        self.artifacts
            .get(&(repository, digest))
            .into_iter()
            .flatten()
            .copied()
    }

    /// Every layer of the manifests under the image's `.sig` tag.
    pub fn sig_layers<'s>(&'s self, repository: &'s str, digest: &'s Digest) -> Vec<SigLayer<'s>> {
        let Some(store) = self.stores.get(repository) else {
            return Vec::new();
        };
        let mut layers = Vec::new();
        for art in self
            .of(repository, digest)
            .filter(|a| a.kind == ArtifactKind::CosignTag)
        {
            for layer in &art.layers {
                let payload = match &layer.digest {
                    Some(d) => read_blob(store, d, self.blobs)
                        .map_err(|e| format!("signature blob {d}: {e}")),
                    None => Err("a signature layer's digest is invalid".to_string()),
                };
                layers.push(SigLayer {
                    media_type: layer.media_type.as_str(),
                    payload,
                    annotations: &layer.annotations,
                });
            }
        }
        layers
    }

    /// The image's GPG lookaside signatures (from `--lookaside` or the store `--registries-d`
    /// names), in `signature-N` order; one that cannot be read is logged and left out.
    pub fn simple_signing(&self, repository: &str, digest: &Digest) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for art in self
            .of(repository, digest)
            .filter(|a| a.kind == ArtifactKind::GpgLookaside)
        {
            let Some(f) = &art.source else { continue };
            match read_limited(f, MAX_SIGNATURE_BYTES) {
                Ok(b) => out.push(b),
                Err(e) => tracing::warn!("cannot read {}: {e}", f.display()),
            }
        }
        out
    }

    /// The image's manifest, if it can be read.
    pub fn manifest(&self, repository: &str, digest: &Digest) -> Option<Vec<u8>> {
        self.stores
            .get(repository)?
            .read(digest, MAX_MANIFEST_BYTES)
            .ok()
    }

    /// The deduplication placeholders resolved so far, reading for the stage included.
    pub fn dedupe_findings(&self) -> Vec<Finding> {
        self.dedupe.findings()
    }
}

/// Reads at most `limit` bytes of the regular file `path` (links followed; a named pipe or
/// device is refused without being opened).
fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    crate::layout::read_regular_following_links(path, limit)
        .map_err(|e| crate::layout::describe_read_error(&e))
}
