//! The containers-policy stage of the audit: after verification, each image's policy verdict
//! over every `docker://` reference it can be pulled as, in the report model's form.

use super::ContainersPolicy;
use super::eval::{self, ImageInput, SigstoreAttachment, Verdict};
use super::reference::DockerReference;
use crate::digest::Digest;
use crate::report::model::{ContainersPolicyReport, PolicyReferenceOutcome, PolicyVerdict};

/// One image, as the stage needs it.
pub struct StageImage<'a> {
    pub repository: &'a str,
    pub digest: &'a Digest,
    pub tags: &'a [String],
    /// Why the image cannot be read, if it cannot (podman could not pull it either).
    pub error: Option<&'a str>,
    pub manifest: Option<&'a [u8]>,
    pub simple_signing: &'a [Vec<u8>],
    pub sigstore: &'a [SigstoreAttachment<'a>],
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
pub fn evaluate_image(
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
