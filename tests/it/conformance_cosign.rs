//! Conformance against the real upstream cosign vectors in ../shared/vectors/cosign (see its
//! README for provenance and the expected outcomes checked here).

use crate::common;

use std::path::{Path, PathBuf};

use base64::Engine;
use chrono::Utc;

use sigaudit::audit::{self, AuditOptions};
use sigaudit::codes::ResultCode;
use sigaudit::digest::Digest;
use sigaudit::discover::{ArtifactKind, LayerRef};
use sigaudit::report::Report;
use sigaudit::report::model::ImageStatus;
use sigaudit::trust::{CosignKey, TrustMaterial};
use sigaudit::verify::{
    CheckResult, KeyCache, SigStatus, Subject, VerifyContext, verify_detached, verify_detached_blob,
};

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

fn opts() -> AuditOptions {
    AuditOptions::at("2026-11-23T00:00:00Z".parse().expect("time"))
}

/// Turn a containers/image `dir:` fixture (manifest.json + signature-N sigstore-json blobs)
/// into a zot-style rootDir with the image tagged `latest` and a cosign `.sig` tag.
fn layout_from_dir_img(
    fixture: &Path,
    extra_signatures: &[PathBuf],
    keys: &[&Path],
) -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("tempdir");
    let cosign = root.path().join("_cosign");
    std::fs::create_dir_all(&cosign).expect("mkdir");
    for k in keys {
        std::fs::copy(k, cosign.join(k.file_name().expect("name"))).expect("copy key");
    }
    common::dir_fixture_layout(root.path(), "img", fixture, extra_signatures);
    root
}

fn audit_codes(root: &Path) -> (ImageStatus, Vec<ResultCode>, Report) {
    let report = audit::run(root, &opts()).expect("audit");
    let img = report
        .images
        .iter()
        .find(|i| i.tags == ["latest"])
        .expect("image");
    let codes = img.signatures.iter().map(|s| s.code).collect();
    (img.status, codes, report)
}

fn ci_dir(v: &Path) -> PathBuf {
    v.join("cosign/containers-image/cosign")
}

#[test]
fn containers_image_cosign_key_fixtures() {
    let Some(v) = common::vectors() else { return };
    let d = ci_dir(&v);
    let key1 = d.join("cosign.pub");
    let key2 = d.join("cosign2.pub");

    // ACCEPT with cosign.pub.
    for name in ["dir-img-cosign-valid", "dir-img-cosign-valid-2"] {
        let root = layout_from_dir_img(&d.join(name), &[], &[&key1]);
        let (status, codes, _) = audit_codes(root.path());
        assert_eq!(status, ImageStatus::Trusted, "{name}: {codes:?}");
        assert!(
            codes.iter().all(|c| *c == ResultCode::Verified),
            "{name}: {codes:?}"
        );
    }
    // Key + Rekor bundle: ACCEPT with cosign2.pub (the SET is recorded, not required)...
    let root = layout_from_dir_img(&d.join("dir-img-cosign-key-rekor-valid"), &[], &[&key2]);
    let (status, codes, report) = audit_codes(root.path());
    assert_eq!(status, ImageStatus::Trusted, "{codes:?}");
    let sig = &report
        .images
        .iter()
        .find(|i| i.tags == ["latest"])
        .expect("image")
        .signatures[0];
    assert!(
        sig.checks.iter().any(|c| c.name == "transparency-log"),
        "{:?}",
        sig.checks
    );
    // ...and REJECT when only the other key is trusted.
    let root = layout_from_dir_img(&d.join("dir-img-cosign-key-rekor-valid"), &[], &[&key1]);
    assert_eq!(audit_codes(root.path()).1, vec![ResultCode::UntrustedKey]);

    // Modified manifest: the signature is genuine but names the original digest.
    let root = layout_from_dir_img(&d.join("dir-img-cosign-modified-manifest"), &[], &[&key1]);
    let (status, codes, _) = audit_codes(root.path());
    assert_eq!(
        (status, codes),
        (ImageStatus::Untrusted, vec![ResultCode::DigestMismatch])
    );

    // A manifest whose digest cannot match the signed one (a schema 1 manifest, which is not
    // an OCI manifest at all): the image is unreadable, its signature never counts.
    let root = layout_from_dir_img(
        &d.join("dir-img-cosign-manifest-digest-error"),
        &[],
        &[&key1, &key2],
    );
    let (status, codes, _) = audit_codes(root.path());
    assert!(
        matches!(status, ImageStatus::Untrusted | ImageStatus::Error),
        "{status:?} {codes:?}"
    );
    assert!(!codes.contains(&ResultCode::Verified));

    // An attachment that is not a simple-signing payload never counts: c/image finds "no
    // signature exists". Its `.sig` manifest is not a signature artifact (a finding), so the
    // image is unsigned, and that manifest, which can be pulled by its tag, is audited too.
    let root = layout_from_dir_img(
        &d.join("dir-img-cosign-other-attachment"),
        &[],
        &[&key1, &key2],
    );
    let (status, codes, report) = audit_codes(root.path());
    assert_eq!(status, ImageStatus::Unsigned, "{codes:?}");
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.code == sigaudit::codes::FindingCode::NotASignature
                && f.message.contains("text/plain")),
        "{:?}",
        report.findings
    );
    assert!(
        report
            .images
            .iter()
            .any(|i| i.tags.iter().any(|t| t.ends_with(".sig"))),
        "the non-signature manifest under the .sig tag is audited"
    );

    // A signature by a key that is neither cosign.pub nor cosign2.pub.
    let root = layout_from_dir_img(
        &d.join("dir-img-cosign-valid"),
        &[d.join("unknown-cosign-key.signature")],
        &[&key1, &key2],
    );
    let (status, codes, _) = audit_codes(root.path());
    assert_eq!(status, ImageStatus::Trusted);
    assert_eq!(codes.len(), 2);
    assert!(codes.contains(&ResultCode::UntrustedKey), "{codes:?}");
}

#[test]
fn containers_image_keyless_fixtures_are_listed_never_trusted() {
    let Some(v) = common::vectors() else { return };
    let d = ci_dir(&v);
    for name in [
        "dir-img-cosign-fulcio-rekor-valid",
        "dir-img-cosign-pki-valid",
    ] {
        let root = layout_from_dir_img(
            &d.join(name),
            &[],
            &[&d.join("cosign.pub"), &d.join("cosign2.pub")],
        );
        let (status, codes, _) = audit_codes(root.path());
        assert_eq!(
            (status, codes),
            (ImageStatus::Untrusted, vec![ResultCode::KeylessUnsupported]),
            "{name}"
        );
    }
}

fn key(path: &Path) -> CosignKey {
    CosignKey::parse("k", &std::fs::read(path).expect("key")).expect("parses")
}

#[test]
fn sigstore_rs_payloads_and_keys() {
    let Some(v) = common::vectors() else { return };
    let d = v.join("cosign/legacy-cosign");
    let read_sig = |p: &Path| {
        b64()
            .decode(std::fs::read_to_string(p).expect("sig").trim())
            .expect("b64")
    };

    let ec = d.join("sigstore-rs-ecdsa-p256");
    let payload = std::fs::read(ec.join("payload.json")).expect("payload");
    let sig = read_sig(&ec.join("signature.b64"));
    assert_eq!(
        key(&ec.join("cosign.pub")).verify(&payload, &sig),
        Some("ECDSA P-256 SHA-256")
    );
    assert_eq!(key(&ec.join("wrong-key.pub")).verify(&payload, &sig), None);
    let mut tampered = payload.clone();
    tampered[10] ^= 1;
    assert_eq!(key(&ec.join("cosign.pub")).verify(&tampered, &sig), None);

    let rsa = d.join("sigstore-rs-rsa-pkcs1");
    let payload = std::fs::read(rsa.join("payload.json")).expect("payload");
    let sig = read_sig(&rsa.join("signature.b64"));
    assert_eq!(
        key(&rsa.join("key.pub")).verify(&payload, &sig),
        Some("RSA PKCS#1 v1.5 SHA-256")
    );

    // Every published cosign public key in the vectors parses.
    for k in [
        "keys/cosign-ci-test.pub",
        "keys/cosign_generated_encrypted_empty_private.pub",
    ] {
        key(&v.join("cosign").join(k));
    }
}

/// A rootDir holding just `keys` in `_cosign`, for trust material.
fn trust_with(keys: &[&Path]) -> (tempfile::TempDir, TrustMaterial) {
    let root = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(root.path().join("_cosign")).expect("mkdir");
    for (i, k) in keys.iter().enumerate() {
        std::fs::copy(k, root.path().join(format!("_cosign/key{i}.pub"))).expect("copy");
    }
    let tm = TrustMaterial::load(root.path());
    (root, tm)
}

/// Verify the bundle file at `bundle` with `trust`'s keys: `check` gets its layer, its bytes and
/// a verification context as of now.
fn with_bundle(
    bundle: &Path,
    trust: &TrustMaterial,
    check: impl FnOnce(&LayerRef, &[u8], &VerifyContext<'_>) -> sigaudit::verify::Verdict,
) -> sigaudit::verify::Verdict {
    let bytes = std::fs::read(bundle).expect("bundle");
    let layer = LayerRef {
        digest: Some(Digest::sha256_of(&bytes)),
        media_type: "application/vnd.dev.sigstore.bundle.v0.3+json".into(),
        size: bytes.len() as u64,
        annotations: Default::default(),
    };
    let cache = KeyCache::default();
    let ctx = VerifyContext {
        trust,
        cache: &cache,
        as_of: Utc::now(),
        notation: None,
        registry: None,
        keyless: None,
    };
    check(&layer, &bytes, &ctx)
}

/// A sigstore bundle verified as a signature over a blob whose digest is `blob`
/// (`cosign verify-blob`): what the blob-signing vectors (sigstore-conformance, sign-blob)
/// are for.
fn verify_blob_bundle(
    bundle: &Path,
    blob: &Digest,
    trust: &TrustMaterial,
) -> sigaudit::verify::Verdict {
    with_bundle(bundle, trust, |layer, bytes, ctx| {
        verify_detached_blob(layer, bytes, blob, ctx)
    })
}

/// A sigstore bundle verified as a signature attached to an image whose digest is `subject`.
fn verify_bundle(
    bundle: &Path,
    subject: &Digest,
    trust: &TrustMaterial,
) -> sigaudit::verify::Verdict {
    with_bundle(bundle, trust, |layer, bytes, ctx| {
        let subject = Subject {
            digest: subject,
            media_type: "application/octet-stream",
            size: 0,
        };
        verify_detached(
            "app",
            ArtifactKind::SigstoreBundle,
            layer,
            bytes,
            subject,
            ctx,
        )
        .1
    })
}

#[test]
fn key_signed_sigstore_bundles() {
    let Some(v) = common::vectors() else { return };
    let mk = v.join("cosign/sigstore-bundles/managed-key-sigstore-rust");
    let artifact = Digest::sha256_of(&std::fs::read(mk.join("artifact.txt")).expect("artifact"));
    let (_r, trust) = trust_with(&[&mk.join("key.pub")]);
    // VALID with key.pub as a blob signature, with and without transparency-log material.
    for b in [
        "bundle.sigstore.json",
        "DERIVED-bundle-no-tlog.sigstore.json",
    ] {
        let verdict = verify_blob_bundle(&mk.join(b), &artifact, &trust);
        assert_eq!(
            (verdict.status, verdict.code),
            (SigStatus::Trusted, ResultCode::Verified),
            "{b}: {}",
            verdict.reason
        );
        // Attached to an image whose digest is the blob's, the same messageSignature bundle
        // is listed, never trusted: it signs a blob, not an image. Its signature check still
        // passes (the listing says what it is, not that it is broken).
        let verdict = verify_bundle(&mk.join(b), &artifact, &trust);
        assert_eq!(
            (verdict.status, verdict.code),
            (SigStatus::Unsupported, ResultCode::MessageSignature),
            "{b}: {}",
            verdict.reason
        );
        assert!(
            verdict
                .checks
                .iter()
                .any(|c| c.name == "signature" && c.result == CheckResult::Pass),
            "{:?}",
            verdict.checks
        );
    }
    // Any other digest is refused.
    let other = Digest::sha256_of(b"another artifact");
    let verdict = verify_blob_bundle(&mk.join("bundle.sigstore.json"), &other, &trust);
    assert_eq!(verdict.code, ResultCode::DigestMismatch);
    // Without the key nothing is trusted.
    let (_r2, empty) = trust_with(&[]);
    assert_eq!(
        verify_blob_bundle(&mk.join("bundle.sigstore.json"), &artifact, &empty).code,
        ResultCode::NoTrustedKeys
    );
}

#[test]
fn keyless_bundles_are_listed_never_trusted() {
    let Some(v) = common::vectors() else { return };
    let b = v.join("cosign/sigstore-bundles");
    let (_r, trust) = trust_with(&[&v.join("cosign/containers-image/cosign/cosign.pub")]);
    let subject =
        Digest::parse("sha256:c811d58de79c92f03214e63aa339484e488d694ae8a6283b5f3f17a9faf50172")
            .expect("digest");
    let verdict = verify_bundle(
        &b.join("kubewarden-controller-v1.34.0.cosign-sign.sigstore.json"),
        &subject,
        &trust,
    );
    assert_eq!(
        (verdict.status, verdict.code),
        (SigStatus::Untrusted, ResultCode::KeylessUnsupported)
    );
    assert_eq!(
        verdict.attestation, None,
        "a cosign sign/v1 statement is a signature"
    );
    // The cosign attestation bundle is recognised as an attestation by its predicate type.
    let att =
        Digest::parse("sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4")
            .expect("digest");
    let verdict = verify_bundle(
        &b.join("cosign-oci-attestation.sigstore.json"),
        &att,
        &trust,
    );
    assert_eq!(
        verdict.attestation.as_deref(),
        Some("https://cosign.sigstore.dev/attestation/v1")
    );
    assert!(verdict.status != SigStatus::Trusted);
}

#[test]
fn conformance_managed_key_cases() {
    let Some(v) = common::vectors() else { return };
    let c = v.join("cosign/conformance");
    let a = Digest::sha256_of(&std::fs::read(c.join("a.txt")).expect("a.txt"));
    // Passing managed-key cases verify with their key.
    for case in ["managed-key-happy-path", "managed-key-and-trusted-root"] {
        let (_r, trust) = trust_with(&[&c.join(case).join("key.pub")]);
        let verdict = verify_blob_bundle(&c.join(case).join("bundle.sigstore.json"), &a, &trust);
        assert_eq!(
            verdict.code,
            ResultCode::Verified,
            "{case}: {}",
            verdict.reason
        );
        let verdict = verify_bundle(&c.join(case).join("bundle.sigstore.json"), &a, &trust);
        assert_eq!(verdict.code, ResultCode::MessageSignature, "{case}");
    }
    // managed-key-wrong-key_fail: its key.pub is deliberately malformed, so nothing trusts it.
    let case = c.join("managed-key-wrong-key_fail");
    let (_r, trust) = trust_with(&[&case.join("key.pub")]);
    assert!(
        trust.cosign_keys.is_empty(),
        "the malformed key must be refused"
    );
    assert!(
        trust
            .records
            .iter()
            .any(|r| r.status == sigaudit::trust::MaterialStatus::Invalid)
    );
    let verdict = verify_bundle(&case.join("bundle.sigstore.json"), &a, &trust);
    assert_ne!(verdict.status, SigStatus::Trusted);
    // managed-key-no-key_fail: no key at all.
    let (_r, empty) = trust_with(&[]);
    let verdict = verify_bundle(
        &c.join("managed-key-no-key_fail/bundle.sigstore.json"),
        &a,
        &empty,
    );
    assert_ne!(verdict.status, SigStatus::Trusted);
    // Every other `_fail` case stays untrusted even with the managed key of the set trusted
    // (the two managed-key cases are about the key supplied, covered above).
    let keys = [c.join("managed-key-happy-path/key.pub")];
    let (_r, trust) = trust_with(&[&keys[0]]);
    for entry in std::fs::read_dir(&c).expect("dir") {
        let dir = entry.expect("entry").path();
        let name = dir
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        if !name.ends_with("_fail") || name.starts_with("managed-key-") {
            continue;
        }
        let artifact = if dir.join("artifact").exists() {
            Digest::sha256_of(&std::fs::read(dir.join("artifact")).expect("artifact"))
        } else {
            a.clone()
        };
        let verdict = verify_blob_bundle(&dir.join("bundle.sigstore.json"), &artifact, &trust);
        assert_ne!(
            verdict.status,
            SigStatus::Trusted,
            "{name} must fail: {}",
            verdict.reason
        );
    }
}
