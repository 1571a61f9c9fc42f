//! What c/image would read for each image, as the containers-policy stage asks for it: the
//! layers of the manifests under its cosign `.sig` tag (signature artifacts or not; c/image
//! reads no referrers), its GPG lookaside signatures, and its manifest. Blobs are read here,
//! through the repositories' blob stores and the audit's blob memo; lookaside signatures are
//! what the audit read to verify them, never read again. The stage reads no file.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::discover::{Annotations, Artifact, ArtifactKind, RepoGraph};
use crate::layout::{BlobStore, DedupeIndex, MAX_MANIFEST_BYTES};
use sigaudit_model::digest::Digest;
use sigaudit_model::finding::Finding;

use super::blobs::{BlobMemo, read_blob};
use super::cache::{FileRead, Memo};
use super::plan::Work;

/// One `.sig` tag layer as c/image reads it.
pub struct SigLayer<'a> {
    pub media_type: &'a str,
    /// Its bytes, or why they cannot be read.
    pub payload: Result<Arc<Vec<u8>>, String>,
    pub annotations: &'a Annotations,
}

/// An artifact c/image reads, and for a lookaside signature what the audit read of its file.
type Read<'a> = (&'a Artifact, Option<FileRead>);

/// What c/image reads for the images of one audit, indexed by (repository, image) once, so
/// that asking for every image stays linear in signatures.
pub struct Attached<'a> {
    /// One blob store per repository: its `blobs/sha256` folder is opened once.
    stores: HashMap<&'a str, BlobStore>,
    /// The `.sig` tag manifests and lookaside signatures of each image, in the graph's order,
    /// with what the audit read of each lookaside signature.
    artifacts: HashMap<(&'a str, &'a Digest), Vec<Read<'a>>>,
    blobs: &'a Mutex<BlobMemo>,
    dedupe: &'a Arc<DedupeIndex>,
}

impl<'a> Attached<'a> {
    /// `kept` holds the audit's memo of each of `work`.
    pub(super) fn new(
        graphs: &'a [RepoGraph],
        work: &[Work],
        kept: &[Option<Memo>],
        blobs: &'a Mutex<BlobMemo>,
        dedupe: &'a Arc<DedupeIndex>,
    ) -> Self {
        let mut files: HashMap<(usize, usize), FileRead> = work
            .iter()
            .zip(kept)
            .filter_map(|(w, m)| Some(((w.graph, w.artifact), m.as_ref()?.file.clone()?)))
            .collect();
        let stores = graphs
            .iter()
            .map(|g| {
                let store = BlobStore::with_dedupe(&g.location, dedupe.clone());
                (g.name.as_str(), store)
            })
            .collect();
        let mut artifacts: HashMap<(&str, &Digest), Vec<Read<'_>>> = HashMap::new();
        for (gi, g) in graphs.iter().enumerate() {
            let read: Vec<Read<'_>> = g
                .artifacts
                .iter()
                .enumerate()
                .map(|(ai, a)| (a, files.remove(&(gi, ai))))
                .collect();
            let unread = g.sig_tag_attachments.iter().map(|a| (a, None));
            for (a, file) in read.into_iter().chain(unread).filter(|(a, _)| {
                matches!(a.kind, ArtifactKind::CosignTag | ArtifactKind::GpgLookaside)
            }) {
                artifacts
                    .entry((g.name.as_str(), &a.subject))
                    .or_default()
                    .push((a, file));
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
    ) -> impl Iterator<Item = &'s Read<'s>> + 's {
        self.artifacts
            .get(&(repository, digest))
            .into_iter()
            .flatten()
    }

    /// Every layer of the manifests under the image's `.sig` tag.
    pub fn sig_layers<'s>(&'s self, repository: &'s str, digest: &'s Digest) -> Vec<SigLayer<'s>> {
        let Some(store) = self.stores.get(repository) else {
            return Vec::new();
        };
        let mut layers = Vec::new();
        for (art, _) in self
            .of(repository, digest)
            .filter(|(a, _)| a.kind == ArtifactKind::CosignTag)
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
    /// names), in `signature-N` order, as the audit read them; one that could not be read is
    /// logged and left out.
    pub fn simple_signing(&self, repository: &str, digest: &Digest) -> Vec<Arc<Vec<u8>>> {
        let mut out = Vec::new();
        for (art, file) in self
            .of(repository, digest)
            .filter(|(a, _)| a.kind == ArtifactKind::GpgLookaside)
        {
            let Some(f) = &art.source else { continue };
            match file {
                Some(Ok(b)) => out.push(b.clone()),
                Some(Err(e)) => tracing::warn!("cannot read {}: {e}", f.display()),
                None => tracing::warn!(
                    "cannot read {}: the audit did not read it (no containers policy was set)",
                    f.display()
                ),
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
