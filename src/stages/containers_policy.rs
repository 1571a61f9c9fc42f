//! The containers-policy stage: every image's verdict under `--policy` (would podman or skopeo
//! pull it?), over every `docker://` reference it can be pulled as, from what c/image would read
//! for it ([`Attached`]: its cosign `.sig` tag layers and GPG lookaside signatures; c/image
//! reads no referrers). Then the summary's accept and reject counts.

use chrono::{DateTime, Utc};
use rayon::prelude::*;

use crate::audit::{Attached, SigLayer};
use crate::containers_policy::eval::{self, ImageInput, SigstoreAttachment, Verdict};
use crate::containers_policy::{ContainersPolicy, DockerReference};
use crate::discover::Annotations;
use crate::verify::KeyCache;
use sigaudit_model::Report;
use sigaudit_model::digest::Digest;
use sigaudit_model::report::{ContainersPolicyReport, PolicyReferenceOutcome, PolicyVerdict};

/// A containers policy to judge every image of an audit with.
pub struct Judge<'a> {
    pub policy: &'a ContainersPolicy,
    /// The registry host[:port] images are pulled from (`--registry`).
    pub registry: &'a str,
    /// The instant time-dependent checks use (`--as-of`).
    pub as_of: DateTime<Utc>,
    /// What c/image reads for each image.
    pub attached: Attached<'a>,
    /// What the audit knows of signatures checked against cosign keys.
    pub facts: &'a KeyCache,
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
        let simple_signing: Vec<Vec<u8>> = j
            .attached
            .simple_signing(&img.repository, &img.digest)
            .iter()
            .map(|b| b.as_ref().clone())
            .collect();
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
                facts: j.facts,
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
    facts: &'a KeyCache,
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
            facts: img.facts,
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

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    use crate::audit::{AuditOptions, Auditor};
    use crate::config::{Policy, Source};
    use crate::containers_policy::ContainersPolicy;
    use crate::stages::{Inputs, conclude};
    use sigaudit_model::report::{PolicyVerdict, Report};

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name)
    }

    fn opts(policy: &Path) -> AuditOptions {
        let mut o = AuditOptions::at(
            chrono::DateTime::parse_from_rfc3339("2026-11-23T00:00:00Z")
                .unwrap()
                .to_utc(),
        );
        o.registry = Some("registry.example".into());
        o.containers_policy = Some(Arc::new(ContainersPolicy::load(policy).unwrap()));
        o
    }

    fn judge(report: &mut Report, auditor: &Auditor) {
        let rules = Policy::builtin(Source::None);
        let inputs = Inputs {
            rules: &rules,
            baseline: None,
        };
        conclude(report, auditor, &inputs);
    }

    /// `(repository, tags, verdict)` of every image.
    fn verdicts(report: &Report) -> Vec<(String, Vec<String>, PolicyVerdict)> {
        report
            .images
            .iter()
            .map(|i| {
                let p = i.containers_policy.as_ref().expect("judged");
                (i.repository.to_string(), i.tags.clone(), p.verdict)
            })
            .collect()
    }

    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            let target = to.join(e.file_name());
            if e.file_type().unwrap().is_dir() {
                copy_dir(&e.path(), &target);
            } else {
                std::fs::copy(e.path(), target).unwrap();
            }
        }
    }

    /// The policy's key is a key of `_cosign`: the audit checked every signature against it,
    /// and the stage asks those facts instead of checking again. Without `_cosign` (the
    /// control) the stage makes the checks itself, and the verdicts are the same.
    #[test]
    fn a_key_shared_with_cosign_checks_no_signature_twice() {
        let root = fixture("containers-policy");
        let policy = root.join("_policy/policy.json");
        let mut auditor = Auditor::new(&root, opts(&policy)).unwrap();
        let mut report = auditor.audit();
        let audited = auditor.verifications();
        assert!(audited > 0);
        judge(&mut report, &auditor);
        assert_eq!(auditor.verifications(), audited, "no check made twice");
        let shared = verdicts(&report);
        assert!(shared.iter().any(|v| v.2 == PolicyVerdict::Accept));
        assert!(shared.iter().any(|v| v.2 == PolicyVerdict::Reject));

        let dir = tempfile::tempdir().unwrap();
        copy_dir(&root, dir.path());
        std::fs::remove_dir_all(dir.path().join("_cosign")).unwrap();
        let mut alone = Auditor::new(dir.path(), opts(&policy)).unwrap();
        let mut report = alone.audit();
        assert_eq!(alone.verifications(), 0, "no cosign key to check with");
        judge(&mut report, &alone);
        assert!(
            alone.verifications() > 0,
            "the stage checked with the policy's key"
        );
        assert_eq!(verdicts(&report), shared);
    }

    /// GPG lookaside signatures are judged as the audit read them: a signature file replaced
    /// after the audit verified it changes nothing (the stage reads no file), where the same
    /// replacement before the audit (the control) rejects the images it signed.
    #[test]
    fn lookaside_signatures_are_judged_as_the_audit_read_them() {
        let root = fixture("demo");
        let policy = root.join("_policy/policy.json");
        let store = tempfile::tempdir().unwrap();
        copy_dir(&fixture("demo-lookaside"), store.path());
        let mut o = opts(&policy);
        o.lookaside = Some(store.path().to_path_buf());
        let replace_signatures = || {
            let mut n = 0;
            for repo in walkdir::WalkDir::new(store.path()) {
                let e = repo.unwrap();
                if e.file_name().to_string_lossy().starts_with("signature-") {
                    std::fs::write(e.path(), b"not a signature").unwrap();
                    n += 1;
                }
            }
            assert!(n > 0);
        };

        let mut auditor = Auditor::new(&root, o.clone()).unwrap();
        let mut report = auditor.audit();
        replace_signatures();
        judge(&mut report, &auditor);
        let judged = verdicts(&report);
        let gpg_accepted = judged
            .iter()
            .filter(|(r, _, v)| {
                (r.starts_with("prod/") || r.starts_with("team/")) && *v == PolicyVerdict::Accept
            })
            .count();
        assert!(gpg_accepted > 0, "{judged:?}");

        // The control: the same store, replaced before the audit.
        let mut auditor = Auditor::new(&root, o).unwrap();
        let mut report = auditor.audit();
        judge(&mut report, &auditor);
        let replaced = verdicts(&report);
        assert!(
            replaced
                .iter()
                .filter(|(r, _, _)| r.starts_with("prod/") || r.starts_with("team/"))
                .all(|(_, _, v)| *v == PolicyVerdict::Reject),
            "{replaced:?}"
        );
    }
}
