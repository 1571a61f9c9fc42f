//! Incremental re-verification: facts are kept by content, so a repeated audit redoes only the
//! work a trust change requires, and a persistent cache can never make a signature trusted.

use crate::common;

use std::path::Path;

use sigaudit::audit::{AuditOptions, Auditor};
use sigaudit::report::model::{ImageStatus, Report};

fn opts() -> AuditOptions {
    AuditOptions::at("2026-11-23T00:00:00Z".parse().expect("time"))
}

fn copy_fixture(name: &str) -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("tempdir");
    common::copy_tree(&common::project().join("fixtures").join(name), root.path());
    root
}

fn status(r: &Report, repo: &str, tag: &str) -> ImageStatus {
    r.images
        .iter()
        .find(|i| &*i.repository == repo && i.tags.iter().any(|t| t == tag))
        .unwrap_or_else(|| panic!("{repo}:{tag}"))
        .status
}

/// K1, the key that signs `app:v1` in `fixtures/no-trust`.
fn k1() -> std::path::PathBuf {
    common::project().join(
        "fixtures/demo/_cosign/sha256:92c1b7c11cc270d70b91ef0a31d6f9437b0c43b7ad5934d8ad2b20abe913e77e",
    )
}

fn add_key(root: &Path, src: &Path, name: &str) {
    std::fs::create_dir_all(root.join("_cosign")).expect("mkdir");
    std::fs::copy(src, root.join("_cosign").join(name)).expect("copy key");
}

#[test]
fn a_trust_change_redoes_only_what_it_requires() {
    let root = copy_fixture("demo");
    let mut a = Auditor::new(root.path(), opts()).expect("auditor");
    let first = a.audit();
    let initial = a.verifications();
    assert!(initial > 0);
    // Nothing changed: no signature is verified again.
    let again = a.audit();
    assert_eq!(a.verifications(), initial, "an unchanged audit re-verified");
    assert_eq!(
        serde_json::to_value(&first.images).expect("json"),
        serde_json::to_value(&again.images).expect("json")
    );
    // One more key: each signature not verified yet is tried against that key only.
    let unverified = first
        .images
        .iter()
        .flat_map(|i| i.signatures.iter().chain(&i.attestations))
        .filter(|s| s.tool == "cosign" && !s.trusted && s.signature_digest.is_some())
        .count();
    add_key(
        root.path(),
        &common::project().join("fixtures/rsa-and-bundle-keys/_cosign/cosign.pub"),
        "cosign.pub",
    );
    let _ = a.audit();
    let added = a.verifications() - initial;
    assert!(added > 0, "the new key was not tried");
    assert!(
        added <= unverified,
        "{added} verifications for {unverified} unverified signatures"
    );
    // Removing a key that verified signatures needs no crypto at all.
    std::fs::remove_file(
        root.path().join(
            "_cosign/sha256:92c1b7c11cc270d70b91ef0a31d6f9437b0c43b7ad5934d8ad2b20abe913e77e",
        ),
    )
    .expect("rm");
    let before = a.verifications();
    let r = a.audit();
    assert_eq!(
        status(&r, "library/alpine", "3.20"),
        ImageStatus::Untrusted,
        "K1 removed"
    );
    assert!(a.verifications() - before <= unverified);
}

#[test]
fn a_key_added_later_is_tried_and_its_removal_is_seen() {
    let root = copy_fixture("no-trust");
    let mut a = Auditor::new(root.path(), opts()).expect("auditor");
    assert_eq!(status(&a.audit(), "app", "v1"), ImageStatus::Untrusted);
    add_key(root.path(), &k1(), "k1.pub");
    assert_eq!(status(&a.audit(), "app", "v1"), ImageStatus::Trusted);
    std::fs::remove_file(root.path().join("_cosign/k1.pub")).expect("rm");
    assert_eq!(status(&a.audit(), "app", "v1"), ImageStatus::Untrusted);
    // The same public key under another file name: trusted again without new crypto.
    let n = a.verifications();
    add_key(root.path(), &k1(), "sha256:renamed");
    let r = a.audit();
    assert_eq!(status(&r, "app", "v1"), ImageStatus::Trusted);
    assert_eq!(
        a.verifications(),
        n,
        "a known (signature, key) fact was recomputed"
    );
    let s = &r.images[0].signatures[0];
    assert_eq!(s.key_file.as_deref(), Some("_cosign/sha256:renamed"));
}

#[test]
fn persistent_cache_saves_work_and_cannot_grant_trust() {
    let root = copy_fixture("no-trust");
    add_key(root.path(), &k1(), "k1.pub");
    let cache = tempfile::tempdir().expect("cache");
    let mut o = opts();
    o.cache_dir = Some(cache.path().to_path_buf());
    let mut a = Auditor::new(root.path(), o.clone()).expect("auditor");
    assert_eq!(status(&a.audit(), "app", "v1"), ImageStatus::Trusted);
    a.save_cache().expect("save");
    let file = cache.path().join(sigaudit::verify::CACHE_FILE);
    assert!(file.is_file());

    // A second run with the cache: the hinted key is verified again (one check), no other.
    let mut b = Auditor::new(root.path(), o.clone()).expect("auditor");
    assert_eq!(status(&b.audit(), "app", "v1"), ImageStatus::Trusted);
    assert_eq!(b.verifications(), 1);

    // A forged cache claiming that K1 verifies a signature does not make it trusted when the
    // signature is not K1's: replace the key by another one and claim the hint for it.
    let other = common::project().join("fixtures/rsa-and-bundle-keys/_cosign/cosign.pub");
    std::fs::remove_file(root.path().join("_cosign/k1.pub")).expect("rm");
    add_key(root.path(), &other, "other.pub");
    let text = std::fs::read_to_string(&file).expect("read");
    let mut v: serde_json::Value = serde_json::from_str(&text).expect("json");
    for e in v["signatures"].as_array_mut().expect("entries") {
        e["hint"] =
            "sha256:56149ad775f24415dfb69cee0a4a2ca3ba6300448c936e3349705064963aa791".into();
        e["failed"] = serde_json::json!([]);
    }
    std::fs::write(&file, v.to_string()).expect("write");
    let mut c = Auditor::new(root.path(), o.clone()).expect("auditor");
    assert_eq!(status(&c.audit(), "app", "v1"), ImageStatus::Untrusted);

    // A corrupt or foreign cache file is ignored and rebuilt.
    for junk in [
        "{not json",
        r#"{"format":"something-else/9","signatures":[]}"#,
    ] {
        std::fs::write(&file, junk).expect("write");
        add_key(root.path(), &k1(), "k1.pub");
        let mut d = Auditor::new(root.path(), o.clone()).expect("auditor");
        assert_eq!(status(&d.audit(), "app", "v1"), ImageStatus::Trusted);
        d.save_cache().expect("save");
        let back: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&file).expect("read")).expect("rebuilt");
        assert_eq!(back["format"], "sigaudit-key-facts/1");
    }
}

/// A watch renders each report reusing the rendered parts of unchanged images: what it writes
/// must be byte for byte what a fresh render of the same report writes, after a key is removed,
/// after it comes back, and after an image is deleted. The HTML report is split into pages of
/// four images, so every page file is compared too.
#[test]
fn incremental_rendering_writes_what_a_fresh_render_writes() {
    use sigaudit::report::{self, Format, Renderer, html::HtmlOptions};
    let root = copy_fixture("demo");
    let formats = [
        Format::Json,
        Format::Csv,
        Format::Html,
        Format::Junit,
        Format::Sarif,
    ];
    let html = HtmlOptions {
        templates: None,
        page_size: 4,
    };
    let out = tempfile::tempdir().expect("tempdir");
    let fresh = tempfile::tempdir().expect("tempdir");
    let mut auditor = Auditor::new(root.path(), opts()).expect("auditor");
    let mut renderer = Renderer::new(&formats, out.path()).with_html(html.clone());
    let mut check = |report: Report, step: &str| {
        let images = report.images.len();
        report::render_all_with(&report, &formats, fresh.path(), &html).expect("fresh render");
        renderer.render(report).expect("incremental render");
        let (a, b) = (
            common::tree_hash(out.path()),
            common::tree_hash(fresh.path()),
        );
        assert_eq!(a, b, "{step}: the files differ from a fresh render");
        let pages = a
            .iter()
            .filter(|(name, _)| name.starts_with("report-images-"))
            .count();
        assert_eq!(pages, images.div_ceil(4), "{step}: one page per 4 images");
    };
    let first = auditor.audit();
    let trusted_before = first.summary.trusted_images;
    check(first, "initial");
    let key = root
        .path()
        .join("_cosign")
        .join(k1().file_name().expect("name"));
    let saved = std::fs::read(&key).expect("read key");
    std::fs::remove_file(&key).expect("remove key");
    let without = auditor.audit();
    assert!(
        without.summary.trusted_images < trusted_before,
        "removing the key changes verdicts, so parts are both reused and re-rendered"
    );
    check(without, "key removed");
    std::fs::write(&key, saved).expect("restore key");
    check(auditor.audit(), "key restored");
    // An image deleted: the remaining images keep their parts, their positions shift.
    let index = root.path().join("library/alpine/index.json");
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&index).expect("read index")).expect("json");
    let manifests = doc["manifests"].as_array_mut().expect("manifests");
    assert!(manifests.len() > 1, "alpine has several manifests");
    manifests.remove(0);
    std::fs::write(&index, serde_json::to_vec(&doc).expect("json")).expect("write index");
    auditor.rediscover();
    check(auditor.audit(), "image deleted");
}
