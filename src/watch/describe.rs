//! What a cycle changed, in the words of its log line: the trust material files added,
//! removed or changed, the images pushed or deleted, the signatures and images whose verdict
//! changed, and the new report's counts.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::report::Report;

/// How many changed paths a cycle's log line names.
pub(super) const LOGGED_PATHS: usize = 5;
/// How many images whose verdict changed a cycle's log line names.
const LOGGED_IMAGES: usize = 5;

/// What a cycle changed, for its log line.
pub(super) struct Change {
    pub(super) what: String,
    /// ` [+a, ~b]`, or empty.
    pub(super) paths: String,
    /// The new report's image and compliance counts, in the report's words.
    pub(super) counts: String,
    /// `; image verdicts changed: prod/api:1.0 untrusted -> trusted, ...`, or empty.
    pub(super) images: String,
    pub(super) now_trusted: usize,
    pub(super) now_untrusted: usize,
}

pub(super) fn describe(
    old: Option<&Report>,
    new: &Report,
    repos_changed: bool,
    lookaside_changed: bool,
) -> Change {
    let empty = Vec::new();
    let old_material = old.map(|r| &r.trust_material).unwrap_or(&empty);
    let before: BTreeMap<&str, &str> = old_material
        .iter()
        .map(|m| (m.path.as_str(), m.sha256.as_str()))
        .collect();
    let after: BTreeMap<&str, &str> = new
        .trust_material
        .iter()
        .map(|m| (m.path.as_str(), m.sha256.as_str()))
        .collect();
    let mut paths = Vec::new();
    let (mut added, mut removed, mut changed) = (0, 0, 0);
    for (p, h) in &after {
        match before.get(p) {
            None => {
                added += 1;
                paths.push(format!("+{p}"));
            }
            Some(o) if o != h => {
                changed += 1;
                paths.push(format!("~{p}"));
            }
            Some(_) => {}
        }
    }
    for p in before.keys().filter(|p| !after.contains_key(*p)) {
        removed += 1;
        paths.push(format!("-{p}"));
    }
    let mut parts = Vec::new();
    if old.map(|r| r.trust_fingerprint.as_str()) != Some(new.trust_fingerprint.as_str()) {
        parts.push(format!(
            "trust material changed (+{added} files, -{removed} files, ~{changed} changed)"
        ));
    }
    if repos_changed {
        let images = |r: &Report| -> HashSet<(String, String)> {
            r.images
                .iter()
                .map(|i| (i.repository.to_string(), i.digest.to_string()))
                .collect()
        };
        let a = images(new);
        let b = old.map(images).unwrap_or_default();
        parts.push(format!(
            "repositories changed (+{} images, -{} images)",
            a.difference(&b).count(),
            b.difference(&a).count()
        ));
    }
    if lookaside_changed {
        parts.push("GPG lookaside signatures changed".into());
    }
    if parts.is_empty() {
        parts.push("trust material changed".into());
    }
    // Verdicts of the signatures present before and after.
    let verdicts = |r: &Report| -> HashMap<(String, String, String, usize), bool> {
        r.images
            .iter()
            .flat_map(|i| {
                i.signatures.iter().map(move |s| {
                    (
                        (
                            i.repository.to_string(),
                            i.digest.to_string(),
                            s.manifest_digest.to_string(),
                            s.layer,
                        ),
                        s.trusted,
                    )
                })
            })
            .collect()
    };
    let (mut now_trusted, mut now_untrusted) = (0, 0);
    if let Some(old) = old {
        let before = verdicts(old);
        for (k, t) in verdicts(new) {
            match before.get(&k) {
                Some(false) if t => now_trusted += 1,
                Some(true) if !t => now_untrusted += 1,
                _ => {}
            }
        }
    }
    let total = paths.len();
    let paths = if paths.is_empty() {
        String::new()
    } else {
        let mut s = paths
            .into_iter()
            .take(LOGGED_PATHS)
            .collect::<Vec<_>>()
            .join(", ");
        if total > LOGGED_PATHS {
            s.push_str(&format!(", and {} more", total - LOGGED_PATHS));
        }
        format!(" [{s}]")
    };
    Change {
        what: parts.join(" and "),
        paths,
        counts: format!("images: {}", verdict_counts(new)),
        images: old.map(|o| image_changes(o, new)).unwrap_or_default(),
        now_trusted,
        now_untrusted,
    }
}

/// The images present before and after whose status or compliance changed, in the new
/// report's order: `; image verdicts changed: prod/api:1.0 untrusted -> trusted, team/app:2
/// compliance pass -> fail, and 3 more`; empty when none did.
fn image_changes(old: &Report, new: &Report) -> String {
    use crate::report::model::ImageReport;
    let key = |i: &ImageReport| (i.repository.to_string(), i.digest.clone(), i.parent.clone());
    let before: HashMap<_, &ImageReport> = old.images.iter().map(|i| (key(i), i)).collect();
    let changed: Vec<String> = new
        .images
        .iter()
        .filter_map(|i| {
            let was = before.get(&key(i))?;
            if was.status != i.status {
                Some(format!(
                    "{} {} -> {}",
                    i.reference(),
                    was.status.as_str(),
                    i.status.as_str()
                ))
            } else if was.compliance != i.compliance {
                Some(format!(
                    "{} compliance {} -> {}",
                    i.reference(),
                    was.compliance.as_str(),
                    i.compliance.as_str()
                ))
            } else {
                None
            }
        })
        .collect();
    if changed.is_empty() {
        return String::new();
    }
    let mut s = format!(
        "; image verdicts changed: {}",
        changed
            .iter()
            .take(LOGGED_IMAGES)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    );
    if changed.len() > LOGGED_IMAGES {
        s.push_str(&format!(", and {} more", changed.len() - LOGGED_IMAGES));
    }
    s
}

/// A report's image and compliance counts, as every watch log line gives them.
pub(super) fn verdict_counts(r: &Report) -> String {
    let (s, c) = (&r.summary, &r.compliance);
    format!(
        "{} trusted, {} untrusted, {} unsigned, {} error, {} unreadable repositories or folders; compliance: {} pass, {} fail, {} exempt",
        s.trusted_images,
        s.untrusted_images,
        s.unsigned_images,
        s.error_images,
        s.unreadable_repositories,
        c.pass,
        c.fail,
        c.exempt
    )
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::audit::{AuditOptions, Auditor};

    fn demo_report() -> Report {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
        let opts = AuditOptions::at(
            chrono::DateTime::parse_from_rfc3339("2026-11-23T00:00:00Z")
                .unwrap()
                .to_utc(),
        );
        let mut auditor = Auditor::new(&root, opts).unwrap();
        let mut r = auditor.audit();
        let rules = crate::config::Policy::builtin(crate::config::Source::None);
        crate::stages::conclude(
            &mut r,
            &auditor,
            &crate::stages::Inputs {
                rules: &rules,
                baseline: None,
            },
        );
        r
    }

    /// A cycle's line names the images whose status or compliance changed, the first
    /// [`LOGGED_IMAGES`], then a count; images only in one report are not verdict changes.
    #[test]
    fn image_verdict_changes_are_named_then_counted() {
        use crate::report::model::{Compliance, ImageStatus};
        let old = demo_report();
        // The same audit: nothing changed.
        assert_eq!(image_changes(&old, &demo_report()), "");
        let mut new = demo_report();
        let trusted: Vec<usize> = (0..new.images.len())
            .filter(|&i| new.images[i].status == ImageStatus::Trusted)
            .collect();
        assert!(
            trusted.len() > LOGGED_IMAGES + 1,
            "the demo has trusted images"
        );
        for &i in &trusted {
            new.images[i].status = ImageStatus::Untrusted;
        }
        let line = image_changes(&old, &new);
        let first = &new.images[trusted[0]];
        assert!(
            line.starts_with(&format!(
                "; image verdicts changed: {} trusted -> untrusted, ",
                first.reference()
            )),
            "{line}"
        );
        assert_eq!(
            line.matches(" trusted -> untrusted").count(),
            LOGGED_IMAGES,
            "{line}"
        );
        assert!(
            line.ends_with(&format!(", and {} more", trusted.len() - LOGGED_IMAGES)),
            "{line}"
        );
        // A compliance change alone is named as such.
        let mut new = demo_report();
        let i = new
            .images
            .iter()
            .position(|i| i.compliance == Compliance::Fail)
            .unwrap();
        new.images[i].compliance = Compliance::Exempt;
        assert_eq!(
            image_changes(&old, &new),
            format!(
                "; image verdicts changed: {} compliance fail -> exempt",
                new.images[i].reference()
            )
        );
        // An image that is new is not a verdict change.
        let mut new = demo_report();
        new.images[0].digest = crate::digest::Digest::parse(
            "sha256:0000000000000000000000000000000000000000000000000000000000000000",
        )
        .unwrap();
        new.images[0].status = ImageStatus::Error;
        assert_eq!(image_changes(&old, &new), "");
    }
}
