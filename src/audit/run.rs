//! Verifying every planned signature in parallel: each read through its repository's blob
//! store (or, for a GPG lookaside signature, from its file), handed to the verifier of its
//! format, and turned into its report; a verdict whose inputs are unchanged since the last
//! audit is reused instead ([`super::cache`]).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::discover::{Artifact, ImageNode, LayerRef, RepoGraph};
use crate::layout::{BlobError, BlobStore, MAX_SIGNATURE_BYTES};
use crate::verify::registry;
use crate::verify::{Retime, SignatureInput, Subject, Verdict, VerifyContext};
use sigaudit_model::codes::{FindingCode, ResultCode};
use sigaudit_model::digest::Digest;
use sigaudit_model::finding::Finding;
use sigaudit_model::report::SignatureReport;
use sigaudit_model::text::Interner;
use sigaudit_model::verdict::SigStatus;

use super::aggregate::{Placement, to_report};
use super::blobs::{BlobMemo, read_blob};
use super::cache::{FileRead, Memo, Reuse, Verdicted};
use super::plan::Work;
use super::progress::with_progress;

/// What every verification of one audit shares.
pub(super) struct Run<'a> {
    pub graphs: &'a [RepoGraph],
    /// One blob store per graph: its `blobs/sha256` folder is opened once, on the first read,
    /// and closed when the audit ends.
    pub stores: &'a [BlobStore],
    pub ctx: &'a VerifyContext<'a>,
    /// One copy of each report sentence, however many signatures say it.
    pub text: &'a Interner,
    pub blobs: &'a Mutex<BlobMemo>,
    /// Keep what was read of signatures held in files (a containers policy will ask).
    pub keep_files: bool,
}

/// Verdicts of one audit, in the order of `work`, and how many were reused.
pub(super) struct Verified {
    pub verdicts: Vec<Verdicted>,
    pub reused: usize,
}

/// Verifies every signature of `work` (or recalls its verdict from `memo`, one slot per work
/// item, which is updated), showing progress on a terminal when `progress`.
pub(super) fn verify_all(
    run: &Run<'_>,
    work: &[Work],
    memo: &mut [Option<Memo>],
    reuse: &Reuse<'_>,
    progress: bool,
) -> Verified {
    let graphs = run.graphs;
    let subjects: Vec<HashMap<&Digest, &ImageNode>> = graphs
        .iter()
        .map(|g| g.images.iter().map(|i| (&i.digest, i)).collect())
        .collect();
    let done = AtomicUsize::new(0);
    let reused = AtomicUsize::new(0);
    let verdicts = with_progress(progress, work.len(), &done, || {
        work.par_iter()
            .zip(memo.par_iter_mut())
            .map(|(w, slot)| {
                let kind = graphs[w.graph].artifacts[w.artifact].kind;
                let r = match reuse.recall(kind, slot, run.text) {
                    Some(r) => {
                        reused.fetch_add(1, Ordering::Relaxed);
                        r
                    }
                    None => {
                        let repo = Repo {
                            graph: &graphs[w.graph],
                            store: &run.stores[w.graph],
                            subjects: &subjects[w.graph],
                        };
                        let (r, f, file, retime) = verify_one(&repo, (w.artifact, w.layer), run);
                        let r = (std::sync::Arc::new(r), f);
                        let mut kept = reuse.keep(kind, r.clone(), retime);
                        if run.keep_files {
                            kept.file = file;
                        }
                        *slot = Some(kept);
                        r
                    }
                };
                done.fetch_add(1, Ordering::Relaxed);
                r
            })
            .collect()
    });
    Verified {
        verdicts,
        reused: reused.load(Ordering::Relaxed),
    }
}

/// One repository as a verification sees it.
struct Repo<'a> {
    graph: &'a RepoGraph,
    store: &'a BlobStore,
    /// Its images by digest.
    subjects: &'a HashMap<&'a Digest, &'a ImageNode>,
}

/// What one verification gives: the report, the finding its reading raised, for a signature
/// held in a file what was read of it, and the verdict's other verification times (see
/// [`Retime`]).
type Outcome = (
    SignatureReport,
    Option<Finding>,
    Option<FileRead>,
    Option<Retime>,
);

/// Verifies layer `l` of artifact `a` of `repo`.
fn verify_one(repo: &Repo<'_>, (a, l): (usize, usize), run: &Run<'_>) -> Outcome {
    let (graph, ctx, text) = (repo.graph, run.ctx, run.text);
    let art = &graph.artifacts[a];
    let subject = repo.subjects[&art.subject];
    let attachment = if art.tag.is_some() { "tag" } else { "referrer" };
    let Some(layer) = art.layers.get(l) else {
        let v = Verdict::fail(
            ResultCode::InvalidBundle,
            format!("signature manifest {} has no layers", art.manifest_digest),
            Vec::new(),
        );
        let format = registry::format_without_layer(art.kind);
        let at = Placement {
            tool: format.tool,
            format: format.name,
            attachment,
            artifact: art,
            signature_digest: None,
            layer: l,
        };
        return (to_report(at, v, ctx, text), None, None, None);
    };
    let format = registry::format(art.kind, layer);
    if let Some(source) = &art.source {
        return verify_file(graph, subject, art, layer, source, ctx, text);
    }
    let Some(digest) = &layer.digest else {
        let v = Verdict::new(
            SigStatus::Error,
            ResultCode::SignatureUnreadable,
            "the signature layer's digest is invalid",
        );
        let at = Placement {
            tool: format.tool,
            format: format.name,
            attachment,
            artifact: art,
            signature_digest: None,
            layer: l,
        };
        return (to_report(at, v, ctx, text), None, None, None);
    };
    let (verdict, finding) = match read_blob(repo.store, digest, run.blobs) {
        Ok(blob) => {
            let input = SignatureInput {
                repository: &graph.name,
                subject: Subject {
                    digest: &subject.digest,
                    media_type: &subject.media_type,
                    size: subject.size,
                },
                artifact: art,
                layer,
                blob: blob.as_slice(),
            };
            let mut v = format.verifier.verify(&input, ctx);
            if format.envelope && art.layers.len() != 1 {
                v = Verdict::fail(
                    ResultCode::InvalidBundle,
                    format!(
                        "signature manifest has {} layers; exactly one envelope is expected",
                        art.layers.len()
                    ),
                    v.checks,
                );
            }
            (v, None)
        }
        Err(e) => {
            let code = match e {
                BlobError::Missing => FindingCode::BlobMissing,
                BlobError::TooLarge { .. } => FindingCode::BlobTooLarge,
                BlobError::DigestMismatch { .. } => FindingCode::DigestMismatch,
                BlobError::Symlink { .. } => FindingCode::SymlinkNotFollowed,
                BlobError::NotRegularFile { .. } => FindingCode::NotRegularFile,
                BlobError::UnresolvedPlaceholder { .. } => FindingCode::DedupeUnresolved,
                BlobError::Io(_) => FindingCode::Unreadable,
            };
            let path = crate::layout::blob_rel(&graph.name, digest);
            let f = Finding::new(code, path, format!("signature blob {digest}: {e}"));
            (
                Verdict::new(
                    SigStatus::Error,
                    ResultCode::SignatureUnreadable,
                    format!("signature blob {digest}: {e}"),
                ),
                Some(f),
            )
        }
    };
    let at = Placement {
        tool: format.tool,
        format: format.name,
        attachment,
        artifact: art,
        signature_digest: Some(digest.clone()),
        layer: l,
    };
    let retime = verdict.retime.clone();
    (to_report(at, verdict, ctx, text), finding, None, retime)
}

/// A signature held in a file outside the layout (a GPG lookaside `signature-N`): read here,
/// verified like any other.
fn verify_file(
    graph: &RepoGraph,
    subject: &ImageNode,
    art: &Artifact,
    layer: &LayerRef,
    source: &Path,
    ctx: &VerifyContext<'_>,
    text: &Interner,
) -> Outcome {
    let format = registry::format(art.kind, layer);
    let shown = source.display().to_string();
    // Links are followed (sites link stores into place), but only to a regular file: a named
    // pipe is refused before it is opened, so it cannot block the scan.
    let read = crate::layout::read_regular_following_links(source, MAX_SIGNATURE_BYTES)
        .map(std::sync::Arc::new);
    let file: FileRead = match &read {
        Ok(bytes) => Ok(bytes.clone()),
        Err(e) => Err(crate::layout::describe_read_error(e)),
    };
    let (mut verdict, digest, finding) = match read {
        Err(BlobError::TooLarge { .. }) => {
            let msg = format!("larger than {MAX_SIGNATURE_BYTES} bytes; refused");
            (
                Verdict::new(
                    SigStatus::Error,
                    ResultCode::SignatureUnreadable,
                    msg.clone(),
                ),
                None,
                Some(Finding::new(FindingCode::BlobTooLarge, shown.clone(), msg)),
            )
        }
        Ok(bytes) => {
            let input = SignatureInput {
                repository: &graph.name,
                subject: Subject {
                    digest: &subject.digest,
                    media_type: &subject.media_type,
                    size: subject.size,
                },
                artifact: art,
                layer,
                blob: bytes.as_slice(),
            };
            let v = format.verifier.verify(&input, ctx);
            (v, Some(Digest::sha256_of(bytes.as_slice())), None)
        }
        Err(e) => {
            let code = match e {
                BlobError::NotRegularFile { .. } => FindingCode::NotRegularFile,
                _ => FindingCode::Unreadable,
            };
            let msg = format!(
                "cannot read the GPG signature file: {}",
                crate::layout::describe_read_error(&e)
            );
            (
                Verdict::new(
                    SigStatus::Error,
                    ResultCode::SignatureUnreadable,
                    msg.clone(),
                ),
                None,
                Some(Finding::new(code, shown.clone(), msg)),
            )
        }
    };
    verdict.details.insert("lookaside-path", shown);
    let at = Placement {
        tool: format.tool,
        format: format.name_for(&verdict),
        attachment: "lookaside",
        artifact: art,
        signature_digest: digest,
        layer: 0,
    };
    (to_report(at, verdict, ctx, text), finding, Some(file), None)
}
