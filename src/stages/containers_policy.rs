//! The containers-policy stage: every image's verdict under `--policy` (would podman or skopeo
//! pull it?), over every `docker://` reference it can be pulled as, from what c/image would read
//! for it ([`Attached`]: its cosign `.sig` tag layers and GPG lookaside signatures; c/image
//! reads no referrers). Then the summary's accept and reject counts.

use chrono::{DateTime, Utc};
use rayon::prelude::*;

use crate::audit::{Attached, SigLayer};
use crate::containers_policy::eval::{self, ImageInput, SigstoreAttachment, Verdict};
use crate::containers_policy::{ContainersPolicy, DockerReference};
use crate::digest::Digest;
use crate::discover::Annotations;
use crate::report::Report;
use crate::report::model::{ContainersPolicyReport, PolicyReferenceOutcome, PolicyVerdict};

/// A containers policy to judge every image of an audit with.
pub struct Judge<'a> {
    pub policy: &'a ContainersPolicy,
    /// The registry host[:port] images are pulled from (`--registry`).
    pub registry: &'a str,
    /// The instant time-dependent checks use (`--as-of`).
    pub as_of: DateTime<Utc>,
    /// What c/image reads for each image.
    pub attached: Attached<'a>,
}

/// Sets every image's `containersPolicy` verdict.
pub fn judge(report: &mut Report, j: &Judge<'_>) {
    let no_annotations = Annotations::default();
    report.images.par_iter_mut().for_each(|img| {
        if !j.attached.has_repository(&img.repository) {
            return;
        }
        let layers: Vec<SigLayer<'_>> = j.attached.sig_layers(&img.repository, &img.digest);
        // An unreadable layer is kept as an attachment with no payload and no signature, so
        // that it rejects (c/image could not read it either) and names why.
        let unreadable: Vec<String> = layers
            .iter()
            .filter_map(|l| l.payload.as_ref().err().cloned())
            .collect();
        let sigstore: Vec<SigstoreAttachment<'_>> = layers
            .iter()
            .map(|l| match &l.payload {
                Ok(p) => SigstoreAttachment {
                    media_type: l.media_type,
                    payload: p.as_slice(),
                    annotations: l.annotations,
                },
                Err(_) => SigstoreAttachment {
                    media_type: l.media_type,
                    payload: &[],
                    annotations: &no_annotations,
                },
            })
            .collect();
        let manifest = if img.error.is_none() {
            j.attached.manifest(&img.repository, &img.digest)
        } else {
            None
        };
        let simple_signing = j.attached.simple_signing(&img.repository, &img.digest);
        let mut out = evaluate_image(
            j.policy,
            j.registry,
            &StageImage {
                repository: &img.repository,
                digest: &img.digest,
                tags: &img.tags,
                error: img.error.as_deref(),
                manifest: manifest.as_deref(),
                simple_signing: &simple_signing,
                sigstore: &sigstore,
            },
            j.as_of,
        );
        if out.verdict == PolicyVerdict::Reject {
            out.reasons.extend(unreadable);
        }
        img.containers_policy = Some(out);
    });
    // Reading for the stage may have resolved deduplication placeholders.
    report.add_findings(j.attached.dedupe_findings());
}

/// `summary.containersPolicyAccept` and `Reject`: every image is judged when a `--policy` is
/// given, none otherwise (in a merged report, the shards judged them).
pub fn count(report: &mut Report) {
    let judged = report
        .images
        .iter()
        .filter(|i| i.containers_policy.is_some())
        .count();
    let rejected = report
        .images
        .iter()
        .filter(|i| {
            i.containers_policy
                .as_ref()
                .is_some_and(|p| p.verdict == PolicyVerdict::Reject)
        })
        .count();
    report.summary.containers_policy_reject = rejected;
    report.summary.containers_policy_accept = judged - rejected;
}

/// One image, as the stage needs it.
struct StageImage<'a> {
    repository: &'a str,
    digest: &'a Digest,
    tags: &'a [String],
    /// Why the image cannot be read, if it cannot (podman could not pull it either).
    error: Option<&'a str>,
    manifest: Option<&'a [u8]>,
    simple_signing: &'a [Vec<u8>],
    sigstore: &'a [SigstoreAttachment<'a>],
}

/// The `docker://` references of an image on `registry`: one per tag, else by digest.
pub fn references(
    registry: &str,
    repository: &str,
    digest: &Digest,
    tags: &[String],
) -> Vec<String> {
    if tags.is_empty() {
        vec![format!("{registry}/{repository}@{digest}")]
    } else {
        tags.iter()
            .map(|t| format!("{registry}/{repository}:{t}"))
            .collect()
    }
}

fn verdict(v: Verdict) -> PolicyVerdict {
    match v {
        Verdict::Accept => PolicyVerdict::Accept,
        Verdict::Reject => PolicyVerdict::Reject,
    }
}

/// Evaluates `policy` for every reference of `img`.
fn evaluate_image(
    policy: &ContainersPolicy,
    registry: &str,
    img: &StageImage<'_>,
    as_of: chrono::DateTime<chrono::Utc>,
) -> ContainersPolicyReport {
    let mut outcomes = Vec::new();
    for r in references(registry, img.repository, img.digest, img.tags) {
        let parsed = match DockerReference::parse_normalized(&r) {
            Ok(p) => p,
            Err(e) => {
                outcomes.push(PolicyReferenceOutcome {
                    reference: r.clone(),
                    verdict: PolicyVerdict::Reject,
                    scope: String::new(),
                    reasons: vec![format!("docker://{r} is not a valid docker reference: {e}")],
                });
                continue;
            }
        };
        let input = ImageInput {
            reference: parsed,
            digest: img.digest,
            manifest: img.manifest,
            simple_signing: img.simple_signing,
            sigstore: img.sigstore,
            as_of,
        };
        let mut o = eval::evaluate(policy, &input);
        if let Some(e) = img.error {
            o.verdict = Verdict::Reject;
            o.reasons
                .insert(0, format!("the image cannot be read: {e}"));
        }
        outcomes.push(PolicyReferenceOutcome {
            reference: input.reference.to_string(),
            verdict: verdict(o.verdict),
            scope: o.scope.label(),
            reasons: o.reasons,
        });
    }
    let rejected = outcomes.iter().find(|o| o.verdict == PolicyVerdict::Reject);
    let several = outcomes.len() > 1;
    ContainersPolicyReport {
        verdict: if rejected.is_some() {
            PolicyVerdict::Reject
        } else {
            PolicyVerdict::Accept
        },
        scope: rejected
            .or(outcomes.first())
            .map(|o| o.scope.clone())
            .unwrap_or_default(),
        reasons: outcomes
            .iter()
            .flat_map(|o| {
                o.reasons.iter().map(move |r| {
                    if several {
                        format!("{}: {r}", o.reference)
                    } else {
                        r.clone()
                    }
                })
            })
            .collect(),
        references: outcomes,
    }
}
