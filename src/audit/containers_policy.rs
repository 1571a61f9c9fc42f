//! The containers-policy stage: every image's verdict under `--policy`, from what c/image would
//! read for it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use rayon::prelude::*;

use crate::containers_policy::ContainersPolicy;
use crate::digest::Digest;
use crate::discover::{ArtifactKind, RepoGraph};
use crate::layout::{BlobStore, DedupeIndex, MAX_SIGNATURE_BYTES};
use crate::report::model::Report;

use super::aggregate::count_policy_verdicts;
use super::blobs::{BlobMemo, read_blob};

/// A `.sig` layer for the containers-policy stage: its media type, its payload (or why it is
/// unreadable) and its annotations.
type SigLayer<'a> = (
    &'a str,
    Result<Arc<Vec<u8>>, String>,
    &'a crate::discover::Annotations,
);

/// The containers-policy stage: every image's verdict under `--policy`, from the signatures
/// c/image would read for it (its cosign `.sig` tag layers; c/image reads no referrers).
pub(super) fn containers_policy_stage(
    policy: &ContainersPolicy,
    registry: &str,
    as_of: DateTime<Utc>,
    graphs: &[RepoGraph],
    report: &mut Report,
    blobs: &Mutex<BlobMemo>,
    dedupe: &Arc<DedupeIndex>,
) {
    use crate::containers_policy::SigstoreAttachment;
    use crate::containers_policy::stage::{StageImage, evaluate_image};
    // One blob store per repository for the stage: its `blobs/sha256` folder is opened once.
    let by_repo: HashMap<&str, BlobStore> = graphs
        .iter()
        .map(|g| {
            let store = BlobStore::with_dedupe(&g.path, &g.name, dedupe.clone());
            (g.name.as_str(), store)
        })
        .collect();
    // What c/image reads for an image: the manifests under its `.sig` tag (signature artifacts
    // or not) and its GPG lookaside files, indexed by (repository, subject) once, so the stage
    // stays linear in signatures.
    let mut attached: HashMap<(&str, &Digest), Vec<&crate::discover::Artifact>> = HashMap::new();
    for g in graphs {
        for a in g
            .artifacts
            .iter()
            .chain(&g.sig_tag_attachments)
            .filter(|a| matches!(a.kind, ArtifactKind::CosignTag | ArtifactKind::GpgLookaside))
        {
            attached
                .entry((g.name.as_str(), &a.subject))
                .or_default()
                .push(a);
        }
    }
    let no_annotations = crate::discover::Annotations::default();
    report.images.par_iter_mut().for_each(|img| {
        let Some(store) = by_repo.get(&*img.repository) else {
            return;
        };
        let arts: &[&crate::discover::Artifact] = attached
            .get(&(&*img.repository, &img.digest))
            .map_or(&[], Vec::as_slice);
        // (media type, payload or why it is unreadable, annotations) per `.sig` layer.
        let mut layers: Vec<SigLayer<'_>> = Vec::new();
        for art in arts.iter().filter(|a| a.kind == ArtifactKind::CosignTag) {
            for layer in &art.layers {
                let blob = match &layer.digest {
                    Some(d) => {
                        read_blob(store, d, blobs).map_err(|e| format!("signature blob {d}: {e}"))
                    }
                    None => Err("a signature layer's digest is invalid".to_string()),
                };
                layers.push((layer.media_type.as_str(), blob, &layer.annotations));
            }
        }
        // An unreadable layer is kept as an attachment with no payload and no signature, so
        // that it rejects (c/image could not read it either) and names why.
        let unreadable: Vec<String> = layers
            .iter()
            .filter_map(|(_, b, _)| b.as_ref().err().cloned())
            .collect();
        let sigstore: Vec<SigstoreAttachment<'_>> = layers
            .iter()
            .map(|(mt, b, ann)| match b {
                Ok(p) => SigstoreAttachment {
                    media_type: mt,
                    payload: p.as_slice(),
                    annotations: ann,
                },
                Err(_) => SigstoreAttachment {
                    media_type: mt,
                    payload: &[],
                    annotations: &no_annotations,
                },
            })
            .collect();
        let manifest = if img.error.is_none() {
            store
                .read(&img.digest, crate::layout::MAX_MANIFEST_BYTES)
                .ok()
        } else {
            None
        };
        // GPG signatures: the lookaside files discovery attached to this image (from
        // --lookaside or the store --registries-d names), in signature-N order.
        let mut simple_signing = Vec::new();
        for art in arts.iter().filter(|a| a.kind == ArtifactKind::GpgLookaside) {
            let Some(f) = &art.source else { continue };
            match read_limited(f, MAX_SIGNATURE_BYTES) {
                Ok(b) => simple_signing.push(b),
                Err(e) => tracing::warn!("cannot read {}: {e}", f.display()),
            }
        }
        let mut out = evaluate_image(
            policy,
            registry,
            &StageImage {
                repository: &img.repository,
                digest: &img.digest,
                tags: &img.tags,
                error: img.error.as_deref(),
                manifest: manifest.as_deref(),
                simple_signing: &simple_signing,
                sigstore: &sigstore,
            },
            as_of,
        );
        if out.verdict == crate::report::model::PolicyVerdict::Reject {
            out.reasons.extend(unreadable);
        }
        img.containers_policy = Some(out);
    });
    count_policy_verdicts(report);
}

/// Reads at most `limit` bytes of the regular file `path` (links followed; a named pipe or
/// device is refused without being opened).
fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    crate::layout::read_regular_following_links(path, limit)
        .map_err(|e| crate::layout::describe_read_error(&e))
}
