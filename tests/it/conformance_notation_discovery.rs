//! Discovery over the real notation CLI e2e OCI layouts (../shared/vectors/notation): every
//! notation signature is found exactly once, referrers-tag-schema indexes are de-duplicated and
//! never listed as images, and, with no `_notation` trust material in the rootDir, no notation
//! signature is trusted.

use crate::common;

use sigaudit::audit::{self, AuditOptions};
use sigaudit::report::model::ImageStatus;

#[test]
fn notation_e2e_layouts_are_discovered() {
    let Some(v) = common::vectors() else { return };
    let layouts = v.join("notation/notation-e2e/oci_layout");
    let root = tempfile::tempdir().expect("tempdir");
    common::copy_tree(&layouts, root.path());
    let before = common::tree_hash(root.path());
    let report = audit::run(
        root.path(),
        &AuditOptions::at("2026-11-23T00:00:00Z".parse().expect("time")),
    )
    .expect("audit");
    assert_eq!(
        before,
        common::tree_hash(root.path()),
        "the audit wrote into the rootDir"
    );
    assert_eq!(report.summary.repositories, 8);
    // One image per layout, the tagged `v1`: no signature manifest and no referrers index is an image.
    assert_eq!(
        report.images.len(),
        8,
        "{:#?}",
        report
            .images
            .iter()
            .map(|i| (&i.repository, &i.tags))
            .collect::<Vec<_>>()
    );
    let sigs = |repo: &str| {
        let img = report
            .images
            .iter()
            .find(|i| &*i.repository == repo)
            .expect("repo");
        assert_eq!(img.tags, ["v1"]);
        img.signatures
            .iter()
            .map(|s| (s.tool, s.format, s.manifest_digest.hex()[..8].to_string()))
            .collect::<Vec<_>>()
    };
    assert!(sigs("e2e").is_empty());
    assert_eq!(
        sigs("e2e-valid-signature"),
        [("notation", "notation-jws", "90ceaff2".to_string())]
    );
    let multi = sigs("e2e-valid-multiple-signatures");
    assert_eq!(
        multi.len(),
        2,
        "listed in index.json and again in the referrers index: {multi:?}"
    );
    assert_eq!(sigs("e2e-expired-signature").len(), 1);
    assert_eq!(sigs("e2e-with-expired-cert").len(), 1);
    // The invalid signature's layer is a tar, not an envelope: listed, never trusted.
    assert_eq!(
        sigs("e2e-invalid-signature"),
        [("notation", "notation-unknown", "321fcc67".to_string())]
    );
    // The timestamped layouts sign an artifact manifest, which is listed as the image.
    assert_eq!(sigs("e2e-with-timestamped-signature").len(), 1);
    assert_eq!(sigs("e2e-with-invalid-timestamped-signature").len(), 1);
    for img in &report.images {
        assert_ne!(img.status, ImageStatus::Trusted, "{}", img.repository);
        assert!(
            img.signature_info
                .iter()
                .all(|s| s.Tool == "notation" && !s.IsTrusted && s.Author.is_empty())
        );
    }
    let findings: Vec<_> = report
        .findings
        .iter()
        .map(|f| format!("{} {}", f.code, f.path))
        .collect();
    assert!(
        findings.is_empty(),
        "well-formed layouts give no findings: {findings:?}"
    );
}
