//! Aggregation: every verdict becomes a signature report ([`to_report`]), signatures are
//! gathered per image ([`image_report`]: their order, attestations apart, the image's status),
//! images are counted per repository and for the registry ([`tally`]), and the report model is
//! built with its header and settings ([`aggregate`]); what could not be read is recorded
//! ([`note_unreadable`]).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rayon::prelude::*;

use crate::discover::{Artifact, ArtifactKind, ImageNode, RepoGraph};
use crate::trust::TrustMaterial;
use crate::verify::registry;
use crate::verify::{Verdict, VerifyContext};
use sigaudit_model::codes::{FindingCode, ResultCode};
use sigaudit_model::digest::Digest;
use sigaudit_model::finding::Finding;
use sigaudit_model::report::{
    Check as ReportCheck, EXPIRY_WINDOW_DAYS, Expiry, ImageReport, ImageStatus, PolicyFile, Report,
    RepositorySummary, SCHEMA_VERSION, Settings, SignatureReport, Summary, TRUST_CERTIFICATE, Tool,
    ZotSignatureInfo,
};
use sigaudit_model::text::{Interner, Text};
use sigaudit_model::verdict::SigStatus;

use super::AuditOptions;
use super::cache::Verdicted;
use super::plan::Work;

/// Where a signature was found, for its report.
pub(super) struct Placement<'a> {
    /// `cosign`, `notation` or `gpg`.
    pub tool: &'static str,
    /// The format name ([`crate::verify::Verifier::format`]).
    pub format: &'static str,
    /// `tag`, `referrer` or `lookaside`.
    pub attachment: &'static str,
    pub artifact: &'a Artifact,
    /// The digest of the signature's bytes, when they were read.
    pub signature_digest: Option<Digest>,
    pub layer: usize,
}

/// A verdict as the report states it: a key, certificate or author only when trusted.
pub(super) fn to_report(
    at: Placement<'_>,
    v: Verdict,
    ctx: &VerifyContext<'_>,
    text: &Interner,
) -> SignatureReport {
    let Placement {
        tool,
        format,
        attachment,
        artifact: art,
        signature_digest,
        layer,
    } = at;
    let trusted = v.status == SigStatus::Trusted;
    let key = v
        .key
        .filter(|_| trusted)
        .map(|k| &ctx.trust.cosign_keys[k.key]);
    let anchor = v.anchor.filter(|_| trusted);
    let (author, key_file, key_fingerprint) = match (key, &anchor) {
        (Some(k), _) => (
            Some(text.text(&k.pem)),
            Some(text.text(&k.file)),
            Some(text.text(&k.fingerprint)),
        ),
        (None, Some(a)) => (
            Some(text.text(&a.author)),
            text.opt(a.file.as_deref()),
            text.opt(a.fingerprint.as_deref()),
        ),
        (None, None) => (None, None, None),
    };
    SignatureReport {
        tool,
        format,
        attachment,
        signature_digest,
        manifest_digest: art.manifest_digest.clone(),
        tag: art.tag.clone(),
        layer,
        trusted,
        status: v.status,
        code: v.code,
        author,
        key_file,
        key_fingerprint,
        signer: text.opt(v.signer.as_deref()),
        trust_store: text.opt(anchor.as_ref().and_then(|a| a.store.as_deref())),
        reason: text.text(&v.reason),
        signed_at: v.signed_at,
        expires_at: v.expires_at,
        cert_expires_at: v.cert_expires_at,
        predicate_type: text.opt(v.attestation.as_deref()),
        checks: v
            .checks
            .iter()
            .map(|c| ReportCheck {
                name: c.name,
                result: c.result,
                detail: text.text(&c.detail),
            })
            .collect(),
        details: v.details.iter().map(|(k, d)| (*k, text.text(d))).collect(),
    }
}

/// The report's `rootDirAbsolute`: `root` with every link resolved, or, if that fails (the
/// rootDir vanished mid-scan), made absolute against the working folder, or as given.
fn absolute_root(root: &Path) -> String {
    std::fs::canonicalize(root)
        .or_else(|_| std::path::absolute(root))
        .unwrap_or_else(|_| root.to_path_buf())
        .display()
        .to_string()
}

/// The report's `host`: the node name of uname(2), which is what `hostname` prints.
#[cfg(unix)]
fn host_name() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

/// The report's `host` where there is no uname(2): `COMPUTERNAME` (Windows), else empty.
#[cfg(not(unix))]
fn host_name() -> String {
    std::env::var("COMPUTERNAME").unwrap_or_default()
}

/// What the report of one audit is made of.
pub(super) struct Audited<'a> {
    /// The rootDir as given (the trust material's folder).
    pub root: &'a Path,
    pub opts: &'a AuditOptions,
    pub trust: &'a TrustMaterial,
    /// The walk's findings (and those of the GPG lookaside store).
    pub walk_findings: &'a [Finding],
    pub graphs: &'a [RepoGraph],
    /// The signatures verified, and their verdicts in the same order.
    pub work: &'a [Work],
    pub text: &'a Interner,
}

/// The report of one audit: the findings of the trust material, the walk and every
/// repository, sorted; every image with its signatures; the counts; the header and settings.
pub(super) fn aggregate(a: &Audited<'_>, verdicts: Vec<Verdicted>) -> Report {
    let Audited {
        root,
        opts,
        trust,
        walk_findings,
        graphs,
        work,
        text,
    } = *a;
    let mut findings: Vec<Finding> = trust.findings.clone();
    findings.extend(walk_findings.iter().cloned());
    if opts.registry.is_none()
        && let crate::trust::notation::PolicyState::Valid { path, doc } = &trust.notation.policy
    {
        let scoped: Vec<&str> = doc
            .trust_policies
            .iter()
            .filter(|s| s.registry_scopes.iter().any(|x| x != "*"))
            .map(|s| s.name.as_str())
            .collect();
        if !scoped.is_empty() {
            findings.push(Finding::new(
                FindingCode::RegistryScopesUnused,
                path.clone(),
                format!(
                    "statements {} are scoped to <registry>/<repository>, but no --registry was given, so only the '*' statement can apply",
                    scoped.join(", ")
                ),
            ));
        }
    }
    // Every image, and for each the signatures on it (an image listed twice in a repository,
    // as a tag and as an index child, gets them under its first listing).
    let nodes: Vec<(usize, &ImageNode)> = graphs
        .iter()
        .enumerate()
        .flat_map(|(g, graph)| graph.images.iter().map(move |n| (g, n)))
        .collect();
    let mut slot: HashMap<(usize, &Digest), usize> = HashMap::with_capacity(nodes.len());
    for (i, &(g, n)) in nodes.iter().enumerate() {
        slot.entry((g, &n.digest)).or_insert(i);
    }
    let mut per_image: Vec<Vec<(ArtifactKind, Arc<SignatureReport>)>> =
        vec![Vec::new(); nodes.len()];
    for (w, (report, finding)) in work.iter().zip(verdicts) {
        findings.extend(finding);
        let g = w.graph;
        let art = &graphs[g].artifacts[w.artifact];
        if let Some(&i) = slot.get(&(g, &art.subject)) {
            per_image[i].push((art.kind, report));
        }
    }
    let names: Vec<Text> = graphs.iter().map(|g| text.text(&g.name)).collect();
    let images: Vec<ImageReport> = nodes
        .par_iter()
        .zip(per_image.into_par_iter())
        .map(|(&(g, node), sigs)| {
            let media_type = text.text(&node.media_type);
            image_report(names[g].clone(), media_type, node.clone(), sigs)
        })
        .collect();
    let mut repositories: Vec<RepositorySummary> = graphs
        .iter()
        .map(|graph| RepositorySummary {
            name: graph.name.clone(),
            ..Default::default()
        })
        .collect();
    for graph in graphs {
        findings.extend(graph.findings.iter().cloned());
    }
    drop(nodes);
    let mut summary = tally(&images, &mut repositories);
    findings.sort_by(|a, b| (&a.path, a.code, &a.message).cmp(&(&b.path, b.code, &b.message)));
    findings.dedup();
    summary.findings = findings.len();
    let (verified_formats, listed_formats) = registry::settings(opts.keyless.is_some());
    Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "sigaudit",
            version: env!("CARGO_PKG_VERSION"),
        },
        generated_at: Utc::now(),
        as_of: opts.as_of,
        root_dir: root.display().to_string(),
        root_dir_absolute: absolute_root(root),
        host: host_name(),
        zot_config: None,
        stores: Vec::new(),
        settings: Settings {
            formats: opts.formats.clone(),
            fail_on: opts.fail_on.clone(),
            registry: opts.registry.clone(),
            require_revocation: opts.require_revocation,
            crl_dirs: opts
                .crl_dirs
                .iter()
                .map(|d| d.display().to_string())
                .collect(),
            verified_formats,
            listed_formats,
            gpg_lookaside: match (&opts.lookaside, &opts.registries_d) {
                (Some(d), _) => Some(d.display().to_string()),
                (None, Some(d)) => Some(format!("registries.d {}", d.display())),
                (None, None) => None,
            },
            config: None,
            containers_policy: opts.containers_policy.as_ref().map(|p| PolicyFile {
                path: p.path.display().to_string(),
                sha256: p.sha256.clone(),
                key_problems: p.key_problems(),
            }),
            allow_empty: opts.allow_empty,
        },
        shard: opts.shard.as_ref().map(crate::shard::Shard::report),
        merged: None,
        trust_fingerprint: trust.fingerprint(),
        trust_material: trust.records.clone(),
        summary,
        repositories,
        // Filled by `note_unreadable`.
        unreadable_repositories: Vec::new(),
        // Filled by the compliance stage (`crate::stages::compliance`).
        compliance: Default::default(),
        // Completed with the signatures by the expiry stage (`crate::stages::expiry`).
        expiring: expiring_trust_certificates(opts.as_of, trust),
        images,
        findings,
        changes: None,
        duration: None,
    }
}

/// The trust-store certificates expiring in `(as_of, as_of + 90 days]`: the entries of
/// `expiring` only the trust material can give (the expiry stage adds the signatures').
fn expiring_trust_certificates(as_of: DateTime<Utc>, trust: &TrustMaterial) -> Vec<Expiry> {
    let limit = as_of + chrono::Duration::days(EXPIRY_WINDOW_DAYS);
    let soon = |t: DateTime<Utc>| t > as_of && t <= limit;
    let mut out = Vec::new();
    for ((ty, name), loaded) in trust.notation.stores.loaded() {
        if let Ok(store) = loaded.as_ref() {
            for (file, cert) in &store.certs {
                let t = cert.not_after();
                if soon(t) {
                    out.push(Expiry {
                        kind: TRUST_CERTIFICATE,
                        what: cert.subject_string().to_string(),
                        location: format!("_notation/truststore/x509/{ty}/{name}/{file}"),
                        expires_at: t,
                        days_left: (t - as_of).num_days(),
                    });
                }
            }
        }
    }
    out
}

/// The counts that follow from the images: each repository's images by status, and the
/// registry's `summary` of images and signatures (`findings`, `unreadableRepositories` and the
/// containers-policy counts are the later stages'). `repositories` holds every repository, by
/// name, its counts are set here. A scan's aggregation and `merge` count with this one function,
/// so a merged report counts exactly as a scan of the whole registry does.
pub fn tally(images: &[ImageReport], repositories: &mut [RepositorySummary]) -> Summary {
    let index: HashMap<String, usize> = repositories
        .iter()
        .enumerate()
        .map(|(i, r)| (r.name.clone(), i))
        .collect();
    for r in repositories.iter_mut() {
        (r.images, r.trusted, r.untrusted, r.unsigned, r.error) = (0, 0, 0, 0, 0);
    }
    let mut summary = Summary::default();
    for img in images {
        if let Some(&i) = index.get(&*img.repository) {
            let repo = &mut repositories[i];
            match img.status {
                ImageStatus::Trusted => repo.trusted += 1,
                ImageStatus::Untrusted => repo.untrusted += 1,
                ImageStatus::Unsigned => repo.unsigned += 1,
                ImageStatus::Error => repo.error += 1,
            }
            repo.images += 1;
        }
        if !img.signatures.is_empty() {
            summary.signed_images += 1;
        }
        summary.signatures += img.signatures.len();
        summary.trusted_signatures += img.signatures.iter().filter(|s| s.trusted).count();
        summary.attestations += img.attestations.len();
    }
    for repo in repositories.iter() {
        summary.images += repo.images;
        summary.trusted_images += repo.trusted;
        summary.untrusted_images += repo.untrusted;
        summary.unsigned_images += repo.unsigned;
        summary.error_images += repo.error;
    }
    summary.repositories = repositories.len();
    summary
}

/// Records what could not be read: every folder the walk could not list and every repository
/// whose `index.json` could not be read or parsed (`unreadableRepositories` and its count),
/// and the `no-repositories` finding when no repository was found at all. A repository that
/// could not be read is never silently absent: its images are unknown, which fails
/// `--fail-on`.
pub(super) fn note_unreadable(
    report: &mut Report,
    folders: &[(String, String)],
    graphs: &[RepoGraph],
    registry_repositories: usize,
) {
    use sigaudit_model::report::{UnreadableKind, UnreadableRepository};
    let mut places: Vec<UnreadableRepository> = folders
        .iter()
        .map(|(path, reason)| UnreadableRepository {
            path: path.clone(),
            kind: UnreadableKind::Folder,
            reason: reason.clone(),
        })
        .collect();
    for g in graphs.iter().filter(|g| !g.readable) {
        let index = format!("{}/index.json", g.name);
        let reason = g.findings.iter().find(|f| f.path == index).map_or_else(
            || "index.json could not be read".to_string(),
            |f| format!("index.json: {}", f.message),
        );
        places.push(UnreadableRepository {
            path: g.name.clone(),
            kind: UnreadableKind::Repository,
            reason,
        });
    }
    places.sort_by(|a, b| a.path.cmp(&b.path));
    report.summary.unreadable_repositories = places.len();
    if let Some(shard) = &mut report.shard {
        shard.registry_repositories = registry_repositories;
    }
    // Sharded, only a registry with no repository in any shard is empty.
    if registry_repositories == 0 {
        let message = match folders.len() {
            0 if report.settings.allow_empty => "no OCI image layout was found under the rootDir; --allow-empty says an empty registry is expected".to_string(),
            0 => "no OCI image layout was found under the rootDir (an unmounted volume, or not zot's storage.rootDirectory?); pass --allow-empty if an empty registry is expected".to_string(),
            n => format!(
                "no OCI image layout was found under the rootDir, and {n} folder(s) could not be read (see unreadableRepositories): the repositories they hold, if any, are unknown"
            ),
        };
        report.add_findings([Finding::new(FindingCode::NoRepositories, ".", message)]);
    }
    report.unreadable_repositories = places;
}

/// One image's report: its signatures in a deterministic order (tag-scheme first, as zot
/// does, then referrers by manifest digest, then layer), attestations apart, and its verdict.
pub(super) fn image_report(
    repository: Text,
    media_type: Text,
    node: ImageNode,
    mut sigs: Vec<(ArtifactKind, Arc<SignatureReport>)>,
) -> ImageReport {
    sigs.sort_by(|(ka, a), (kb, b)| {
        (
            a.tool != "cosign",
            *ka != ArtifactKind::CosignTag,
            &a.manifest_digest,
            a.layer,
        )
            .cmp(&(
                b.tool != "cosign",
                *kb != ArtifactKind::CosignTag,
                &b.manifest_digest,
                b.layer,
            ))
    });
    let (attestations, mut signatures): (Vec<_>, Vec<_>) = sigs
        .into_iter()
        .map(|(_, s)| s)
        .partition(|s| s.predicate_type.is_some());
    if let Some(err) = &node.error {
        // A signature over a digest whose stored content is missing or corrupt vouches for
        // nothing that is actually in the registry.
        for s in signatures.iter_mut().filter(|s| s.trusted) {
            let s = Arc::make_mut(s);
            s.trusted = false;
            s.status = SigStatus::Untrusted;
            s.code = ResultCode::SubjectUnreadable;
            s.reason =
                format!("the signature verified, but the signed image cannot be used: {err}")
                    .into();
            s.checks.push(ReportCheck {
                name: "subject",
                result: sigaudit_model::verdict::CheckResult::Fail,
                detail: err.as_str().into(),
            });
            s.author = None;
            s.key_file = None;
            s.key_fingerprint = None;
            s.trust_store = None;
        }
    }
    let status = if node.error.is_some() {
        ImageStatus::Error
    } else if signatures.iter().any(|s| s.trusted) {
        ImageStatus::Trusted
    } else if signatures.is_empty() {
        ImageStatus::Unsigned
    } else {
        ImageStatus::Untrusted
    };
    let signature_info = signatures
        .iter()
        .map(|s| ZotSignatureInfo {
            Tool: s.tool,
            IsTrusted: s.trusted,
            Author: s.author.clone().unwrap_or_else(|| Text::from("")),
        })
        .collect();
    ImageReport {
        repository,
        digest: node.digest,
        media_type,
        size: node.size,
        tags: node.tags,
        platform: node.platform,
        parent: node.parent,
        status,
        error: node.error,
        signatures,
        attestations,
        signature_info,
        compliance: Default::default(),
        violations: Vec::new(),
        exemptions: Vec::new(),
        containers_policy: None,
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::layout::Store;
    use sigaudit_model::verdict::CheckResult;

    fn demo_root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo")
    }

    fn opts() -> AuditOptions {
        AuditOptions::at(
            chrono::DateTime::parse_from_rfc3339("2026-06-01T00:00:00Z")
                .unwrap()
                .to_utc(),
        )
    }

    fn demo_report() -> Report {
        super::super::Auditor::new(&demo_root(), opts())
            .unwrap()
            .audit()
    }

    /// Every image node of the demo, with its repository's name.
    fn demo_nodes() -> Vec<(String, ImageNode)> {
        let found = super::super::plan::discover(&[Store::default_at(demo_root())], None);
        found
            .graphs
            .into_iter()
            .flat_map(|g| {
                let name = g.name;
                g.images.into_iter().map(move |n| (name.clone(), n))
            })
            .collect()
    }

    /// The artifact kind a signature report came from, as far as ordering needs it.
    fn kind_of(s: &SignatureReport) -> ArtifactKind {
        match (s.tool, s.attachment) {
            ("cosign", "tag") => ArtifactKind::CosignTag,
            ("cosign", _) => ArtifactKind::CosignReferrer,
            ("gpg", _) => ArtifactKind::GpgLookaside,
            _ => ArtifactKind::Notation,
        }
    }

    /// An image's signatures are ordered cosign first, tag-attached first, then by manifest
    /// digest and layer, whatever order they were verified in; attestations are kept apart.
    #[test]
    fn image_report_orders_signatures_whatever_the_verification_order() {
        let report = demo_report();
        let nodes = demo_nodes();
        let img = report
            .images
            .iter()
            .filter(|i| i.error.is_none())
            .max_by_key(|i| i.signatures.len())
            .unwrap();
        assert!(img.signatures.len() > 1, "an image with several signatures");
        let node = nodes
            .iter()
            .find(|(r, n)| *r == *img.repository && n.digest == img.digest)
            .map(|(_, n)| n.clone())
            .unwrap();
        let mut sigs: Vec<_> = img
            .signatures
            .iter()
            .chain(&img.attestations)
            .map(|s| (kind_of(s), s.clone()))
            .collect();
        sigs.reverse();
        let rebuilt = image_report(
            img.repository.clone(),
            img.media_type.clone(),
            node.clone(),
            sigs.clone(),
        );
        assert_eq!(rebuilt.signatures, img.signatures);
        assert_eq!(rebuilt.attestations, img.attestations);
        assert_eq!(rebuilt.status, img.status);
        let rank = |s: &SignatureReport| {
            (
                s.tool != "cosign",
                kind_of(s) != ArtifactKind::CosignTag,
                s.manifest_digest.clone(),
                s.layer,
            )
        };
        assert!(
            rebuilt
                .signatures
                .windows(2)
                .all(|w| rank(&w[0]) <= rank(&w[1]))
        );
        assert!(
            rebuilt
                .signatures
                .iter()
                .all(|s| s.predicate_type.is_none())
        );
        assert!(
            rebuilt
                .attestations
                .iter()
                .all(|s| s.predicate_type.is_some())
        );
        // zot's signature info: one per signature, in the same order.
        assert_eq!(rebuilt.signature_info.len(), rebuilt.signatures.len());
        for (info, s) in rebuilt.signature_info.iter().zip(&rebuilt.signatures) {
            assert_eq!((info.Tool, info.IsTrusted), (s.tool, s.trusted));
        }
    }

    /// A signature over an image whose content cannot be read vouches for nothing: a trusted
    /// one is downgraded (`subject-unreadable`, a failed `subject` check, no key or author),
    /// and the image is in error. The same signatures over the readable image stay trusted.
    #[test]
    fn a_trusted_signature_over_an_unreadable_image_is_not_trusted() {
        let report = demo_report();
        let nodes = demo_nodes();
        let img = report
            .images
            .iter()
            .find(|i| i.status == ImageStatus::Trusted)
            .unwrap();
        let node = nodes
            .iter()
            .find(|(r, n)| *r == *img.repository && n.digest == img.digest)
            .map(|(_, n)| n.clone())
            .unwrap();
        let sigs: Vec<_> = img
            .signatures
            .iter()
            .map(|s| (kind_of(s), s.clone()))
            .collect();
        let trusted_before = sigs.iter().filter(|(_, s)| s.trusted).count();
        assert!(trusted_before > 0);

        // The control: the node as discovered.
        let control = image_report(
            img.repository.clone(),
            img.media_type.clone(),
            node.clone(),
            sigs.clone(),
        );
        assert_eq!(control.status, ImageStatus::Trusted);
        assert_eq!(
            control.signatures.iter().filter(|s| s.trusted).count(),
            trusted_before
        );

        let mut broken = node;
        broken.error = Some("manifest blob is missing".into());
        let r = image_report(
            img.repository.clone(),
            img.media_type.clone(),
            broken,
            sigs.clone(),
        );
        assert_eq!(r.status, ImageStatus::Error);
        assert!(r.signatures.iter().all(|s| !s.trusted));
        for (s, (_, before)) in r
            .signatures
            .iter()
            .zip(&sigs)
            .filter(|(_, (_, b))| b.trusted)
        {
            assert_eq!(s.code, ResultCode::SubjectUnreadable);
            assert_eq!(s.status, SigStatus::Untrusted);
            assert!(s.author.is_none() && s.key_file.is_none() && s.key_fingerprint.is_none());
            let last = s.checks.last().unwrap();
            assert_eq!((last.name, last.result), ("subject", CheckResult::Fail));
            assert_eq!(&*last.detail, "manifest blob is missing");
            assert_eq!(s.checks.len(), before.checks.len() + 1);
        }
        assert!(r.signature_info.iter().all(|i| !i.IsTrusted));
    }

    /// An image with no signature is unsigned; with signatures none of which is trusted, it is
    /// untrusted.
    #[test]
    fn unsigned_and_untrusted_images() {
        let report = demo_report();
        let (repo, node) = demo_nodes()
            .into_iter()
            .find(|(_, n)| n.error.is_none())
            .unwrap();
        let untrusted = report
            .images
            .iter()
            .flat_map(|i| &i.signatures)
            .find(|s| !s.trusted)
            .expect("an untrusted signature in the demo")
            .clone();
        let text = Interner::default();
        let name = text.text(&repo);
        let mt = text.text(&node.media_type);
        let unsigned = image_report(name.clone(), mt.clone(), node.clone(), Vec::new());
        assert_eq!(unsigned.status, ImageStatus::Unsigned);
        let r = image_report(
            name,
            mt,
            node,
            vec![(kind_of(&untrusted), untrusted.clone())],
        );
        assert_eq!(r.status, ImageStatus::Untrusted);
        assert_eq!(r.signatures, vec![untrusted]);
    }

    /// The counts follow from the images alone: per repository by status, and for the
    /// registry; an image of a repository not listed counts towards the signatures but not the
    /// images, and a listed repository with no image counts zero.
    #[test]
    fn tally_counts_images_by_repository_and_status() {
        let report = demo_report();
        let mut repositories: Vec<RepositorySummary> = report
            .repositories
            .iter()
            .map(|r| RepositorySummary {
                name: r.name.clone(),
                // Stale counts are replaced.
                images: 99,
                trusted: 7,
                ..Default::default()
            })
            .collect();
        repositories.push(RepositorySummary {
            name: "nobody/here".into(),
            ..Default::default()
        });
        let s = tally(&report.images, &mut repositories);
        let count = |st: ImageStatus| report.images.iter().filter(|i| i.status == st).count();
        assert_eq!(s.images, report.images.len());
        assert_eq!(s.trusted_images, count(ImageStatus::Trusted));
        assert_eq!(s.untrusted_images, count(ImageStatus::Untrusted));
        assert_eq!(s.unsigned_images, count(ImageStatus::Unsigned));
        assert_eq!(s.error_images, count(ImageStatus::Error));
        assert_eq!(
            s.signed_images,
            report
                .images
                .iter()
                .filter(|i| !i.signatures.is_empty())
                .count()
        );
        assert_eq!(
            s.signatures,
            report
                .images
                .iter()
                .map(|i| i.signatures.len())
                .sum::<usize>()
        );
        assert_eq!(
            s.trusted_signatures,
            report
                .images
                .iter()
                .flat_map(|i| &i.signatures)
                .filter(|s| s.trusted)
                .count()
        );
        assert_eq!(s.repositories, report.repositories.len() + 1);
        for r in &repositories {
            let mine: Vec<_> = report
                .images
                .iter()
                .filter(|i| *i.repository == r.name)
                .collect();
            assert_eq!(r.images, mine.len(), "{}", r.name);
            assert_eq!(
                r.trusted,
                mine.iter()
                    .filter(|i| i.status == ImageStatus::Trusted)
                    .count()
            );
            assert_eq!(r.trusted + r.untrusted + r.unsigned + r.error, r.images);
        }
        assert_eq!(repositories.last().unwrap().images, 0);
        // The scan counted the same way.
        assert_eq!(s.images, report.summary.images);
        assert_eq!(s.trusted_images, report.summary.trusted_images);
        assert_eq!(s.signatures, report.summary.signatures);

        // Without the repository list, images are not counted but signatures are.
        let orphans = tally(&report.images, &mut []);
        assert_eq!((orphans.images, orphans.repositories), (0, 0));
        assert_eq!(orphans.signatures, s.signatures);
    }
}
