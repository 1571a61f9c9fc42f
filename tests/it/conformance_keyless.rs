//! Keyless conformance against the real upstream vectors in ../shared/vectors/cosign (see its
//! README): sigstore-conformance bundle cases, real cosign v3 bundles, and the containers/image
//! Fulcio + Rekor and BYO-PKI fixtures, through the `sigaudit::keyless` library API.

use std::path::{Path, PathBuf};

use base64::Engine;
use serde_json::Value;
use sigaudit::keyless::{
    self, Artifact, FailureKind, IdentityRule, LegacySignature, Matcher, Requirements, TrustRoot,
};

/// `../shared/vectors` beside the checkout; `None` skips, and `CI=true` requires it.
fn vectors() -> Option<PathBuf> {
    let d = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/vectors"));
    if d.is_dir() {
        return Some(d);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but {} is missing",
        d.display()
    );
    None
}

fn root(path: &Path) -> TrustRoot {
    TrustRoot::from_file(path).unwrap_or_else(|e| panic!("{e}"))
}

const BEACON: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const GHA: &str = "https://token.actions.githubusercontent.com";

fn rule(identity: &str, issuer: &str) -> IdentityRule {
    IdentityRule {
        identity: Matcher::Exact(identity.into()),
        issuer: Matcher::Exact(issuer.into()),
    }
}

#[test]
fn conformance_keyless_cases() {
    let Some(v) = vectors() else { return };
    let c = v.join("cosign/conformance");
    let public_good = root(&v.join("cosign/trusted-roots/public-good-2025-11.json"));
    let a_txt = std::fs::read(c.join("a.txt")).expect("a.txt");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&c)
        .expect("conformance dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let mut checked = 0;
    for case in dirs {
        let name = case
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .to_string();
        if name.starts_with("managed-key") {
            continue; // key-signed: tests/conformance_cosign.rs
        }
        let own_root = case.join("trusted_root.json");
        let tr = own_root.is_file().then(|| root(&own_root));
        let tr = tr.as_ref().unwrap_or(&public_good);
        let artifact = if case.join("artifact").is_file() {
            std::fs::read(case.join("artifact")).expect("artifact")
        } else {
            a_txt.clone()
        };
        let bundle = std::fs::read_to_string(case.join("bundle.sigstore.json")).expect("bundle");
        let got = keyless::verify_bundle(
            tr,
            &bundle,
            Artifact::Bytes(&artifact),
            Requirements::default(),
        );
        let expected: Option<FailureKind> = match name.as_str() {
            // Rejected before the chain is looked at: its v0.3 inclusion proof has no checkpoint.
            "bundle-with-root-cert_fail" => Some(FailureKind::InclusionProof),
            "checkpoint-wrong-roothash_fail" | "invalid-inclusion-proof_fail" => {
                Some(FailureKind::InclusionProof)
            }
            "dsse-invalid-sig_fail" | "signature-mismatch_fail" => Some(FailureKind::Signature),
            // A second signature over the same payload: valid, but not the one logged.
            "dsse-mismatch-sig_fail" => Some(FailureKind::Tlog),
            "intoto-expired-certificate_fail" => Some(FailureKind::Chain),
            "set-invalid-signature_fail" => Some(FailureKind::Tlog),
            "wrong-material_fail" => Some(FailureKind::ArtifactMismatch),
            n if n.ends_with("_fail") => panic!("{n}: no expectation written"),
            _ => None,
        };
        match (expected, got) {
            (None, Ok(ok)) => {
                assert_eq!(ok.identity, BEACON, "{name}");
                assert_eq!(ok.issuer.as_deref(), Some(GHA), "{name}");
                assert!(
                    ok.identity_allowed(&[rule(BEACON, GHA)]).is_some(),
                    "{name}"
                );
                assert!(
                    ok.identity_allowed(&[rule("someone@example.com", GHA)])
                        .is_none()
                );
                assert!(ok.sct_verified && ok.tlog_verified, "{name}");
                assert!(ok.signed_at.is_some(), "{name}");
            }
            (None, Err(e)) => panic!("{name}: expected to verify, got {:?}: {e}", e.kind),
            (Some(k), Ok(_)) => panic!("{name}: expected {k:?}, but it verified"),
            (Some(k), Err(e)) => assert_eq!(e.kind, k, "{name}: {e}"),
        }
        checked += 1;
    }
    assert_eq!(checked, 13, "conformance keyless cases checked");
}

#[test]
fn real_cosign_v3_image_bundle() {
    let Some(v) = vectors() else { return };
    let b = v.join("cosign/sigstore-bundles");
    let bundle =
        std::fs::read_to_string(b.join("kubewarden-controller-v1.34.0.cosign-sign.sigstore.json"))
            .expect("bundle");
    let subject = "c811d58de79c92f03214e63aa339484e488d694ae8a6283b5f3f17a9faf50172";
    let identity = "https://github.com/kubewarden/kubewarden-controller/.github/workflows/release.yml@refs/tags/v1.34.0";
    // The 2025-02 root has no timestamp authority, so the bundle's RFC 3161 timestamp cannot be
    // verified with it: sigstore-verify requires every timestamp present to verify.
    let old = root(&v.join("cosign/trusted-roots/sigstore-rs-prod-2025-02.json"));
    let e = keyless::verify_bundle(
        &old,
        &bundle,
        Artifact::Sha256Hex(subject),
        Requirements::default(),
    )
    .expect_err("unverifiable timestamp");
    assert_eq!(e.kind, FailureKind::Timestamp, "{e}");
    {
        let r = "public-good-2025-11.json";
        let tr = root(&v.join("cosign/trusted-roots").join(r));
        let ok = keyless::verify_bundle(
            &tr,
            &bundle,
            Artifact::Sha256Hex(subject),
            Requirements::default(),
        )
        .unwrap_or_else(|e| panic!("{r}: {e}"));
        assert_eq!(ok.identity, identity);
        assert_eq!(ok.identity_kind, "uri");
        assert_eq!(ok.issuer.as_deref(), Some(GHA));
        assert!(ok.identity_allowed(&[rule(identity, GHA)]).is_some());
        let re = IdentityRule {
            identity: Matcher::regex(r"https://github\.com/kubewarden/.*").expect("re"),
            issuer: Matcher::Exact(GHA.into()),
        };
        assert!(ok.identity_allowed(&[re]).is_some());
        assert!(
            ok.identity_allowed(&[rule(identity, "https://accounts.google.com")])
                .is_none()
        );
        let other = "0000000000000000000000000000000000000000000000000000000000000000";
        let e = keyless::verify_bundle(
            &tr,
            &bundle,
            Artifact::Sha256Hex(other),
            Requirements::default(),
        )
        .expect_err("other digest");
        assert_eq!(e.kind, FailureKind::ArtifactMismatch, "{e}");
    }
    // The cosign attestation bundle, with cosign's own test root.
    let tr = root(&v.join("cosign/trusted-roots/cosign-trusted_root_pgi.json"));
    let att = std::fs::read_to_string(b.join("cosign-oci-attestation.sigstore.json")).expect("att");
    let digest = "732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4";
    let ok = keyless::verify_bundle(
        &tr,
        &att,
        Artifact::Sha256Hex(digest),
        Requirements::default(),
    )
    .unwrap_or_else(|e| panic!("attestation: {e}"));
    assert_eq!(ok.identity, "cody@soyland.com");
    assert_eq!(ok.identity_kind, "email");
    assert_eq!(ok.issuer.as_deref(), Some("https://github.com/login/oauth"));
    let e = keyless::verify_bundle(
        &tr,
        &att,
        Artifact::Sha256Hex(&"1".repeat(64)),
        Requirements::default(),
    )
    .expect_err("other digest");
    assert_eq!(e.kind, FailureKind::ArtifactMismatch, "{e}");
    // The cosign v3 sign-blob bundle.
    let tr = root(&v.join("cosign/trusted-roots/public-good-2025-11.json"));
    let blob = std::fs::read(b.join("cosign-v3-blob.txt")).expect("blob");
    let bb = std::fs::read_to_string(b.join("cosign-v3-blob.sigstore.json")).expect("bundle");
    keyless::verify_bundle(&tr, &bb, Artifact::Bytes(&blob), Requirements::default())
        .unwrap_or_else(|e| panic!("blob: {e}"));
    let e = keyless::verify_bundle(&tr, &bb, Artifact::Bytes(b"other"), Requirements::default())
        .expect_err("other blob");
    assert_eq!(e.kind, FailureKind::ArtifactMismatch, "{e}");
}

/// A containers/image `signature-N` (0x00 "sigstore-json\n" JSON): payload and annotations.
fn sigstore_json(path: &Path) -> (Vec<u8>, serde_json::Map<String, Value>) {
    let raw = std::fs::read(path).expect("signature");
    let json = raw
        .strip_prefix(b"\x00sigstore-json\n")
        .expect("sigstore-json prefix");
    let doc: Value = serde_json::from_slice(json).expect("json");
    let payload = base64::engine::general_purpose::STANDARD
        .decode(doc["payload"].as_str().expect("payload"))
        .expect("b64");
    (
        payload,
        doc["annotations"].as_object().expect("annotations").clone(),
    )
}

fn der_of(pem_text: &str) -> Vec<Vec<u8>> {
    pem::parse_many(pem_text)
        .expect("pem")
        .into_iter()
        .map(|p| p.into_contents())
        .collect()
}

#[test]
fn containers_image_fulcio_rekor_fixture() {
    let Some(v) = vectors() else { return };
    let d = v.join("cosign/containers-image/cosign");
    let (payload, ann) = sigstore_json(&d.join("dir-img-cosign-fulcio-rekor-valid/signature-1"));
    let get = |k: &str| ann.get(k).and_then(Value::as_str);
    let ca = der_of(&std::fs::read_to_string(d.join("fulcio_v1.crt.pem")).expect("ca"));
    let rekor = der_of(&std::fs::read_to_string(d.join("rekor.pub")).expect("rekor"));
    let tr = TrustRoot::from_parts("fulcio_v1.crt.pem + rekor.pub", &ca, &rekor).expect("root");
    // containers/image checks no SCT.
    let req = Requirements {
        sct: false,
        tlog: true,
    };
    let sig = LegacySignature {
        payload: &payload,
        signature_b64: get("dev.cosignproject.cosign/signature").expect("sig"),
        certificate_pem: get("dev.sigstore.cosign/certificate").expect("cert"),
        chain_pem: get("dev.sigstore.cosign/chain"),
        rekor_bundle: get("dev.sigstore.cosign/bundle"),
        rfc3161_timestamp: None,
    };
    let ok = keyless::verify_legacy(&tr, &sig, req).unwrap_or_else(|e| panic!("{:?}: {e}", e.kind));
    assert_eq!(ok.identity, "mitr@redhat.com");
    assert_eq!(ok.issuer.as_deref(), Some("https://github.com/login/oauth"));
    assert!(ok.tlog_verified && ok.integrated_time.is_some());
    // Without the chain annotation the leaf does not reach the root.
    let e = keyless::verify_legacy(
        &tr,
        &LegacySignature {
            chain_pem: None,
            ..sig
        },
        req,
    )
    .expect_err("no chain");
    assert_eq!(e.kind, FailureKind::Chain, "{e}");
    // A Rekor key that is not the log's: the SET does not verify.
    let other = der_of(&std::fs::read_to_string(d.join("cosign.pub")).expect("key"));
    let wrong = TrustRoot::from_parts("wrong rekor", &ca, &other).expect("root");
    let e = keyless::verify_legacy(&wrong, &sig, req).expect_err("wrong rekor key");
    assert!(
        matches!(e.kind, FailureKind::Tlog | FailureKind::Timestamp),
        "{e}"
    );
    // A payload other than the one signed.
    let mut tampered = payload.clone();
    tampered.extend_from_slice(b" ");
    let e = keyless::verify_legacy(
        &tr,
        &LegacySignature {
            payload: &tampered,
            ..sig
        },
        req,
    )
    .expect_err("tampered");
    assert!(
        matches!(
            e.kind,
            FailureKind::Signature | FailureKind::ArtifactMismatch | FailureKind::Tlog
        ),
        "{e}"
    );
    // No Rekor bundle: no authenticated signing time.
    let e = keyless::verify_legacy(
        &tr,
        &LegacySignature {
            rekor_bundle: None,
            ..sig
        },
        req,
    )
    .expect_err("no SET");
    assert!(
        matches!(
            e.kind,
            FailureKind::Malformed | FailureKind::Timestamp | FailureKind::Tlog
        ),
        "{e}"
    );
}

/// The verifiers' keyless path: a signature attached to `subject` in repository `repo`, audited
/// now.
fn verify_as(
    repo: &str,
    kind: sigaudit::discover::ArtifactKind,
    media_type: &str,
    blob: &[u8],
    annotations: std::collections::BTreeMap<String, String>,
    subject: &sigaudit::digest::Digest,
    keyless: Option<&sigaudit::verify::KeylessContext>,
) -> sigaudit::verify::Verdict {
    let now = chrono::Utc::now();
    verify_as_at(
        repo,
        kind,
        media_type,
        blob,
        annotations,
        subject,
        keyless,
        now,
    )
}

/// [`verify_as`] with the audit's instant (`--as-of`) given.
#[allow(clippy::too_many_arguments)]
fn verify_as_at(
    repo: &str,
    kind: sigaudit::discover::ArtifactKind,
    media_type: &str,
    blob: &[u8],
    annotations: std::collections::BTreeMap<String, String>,
    subject: &sigaudit::digest::Digest,
    keyless: Option<&sigaudit::verify::KeylessContext>,
    as_of: chrono::DateTime<chrono::Utc>,
) -> sigaudit::verify::Verdict {
    use sigaudit::verify::{KeyCache, Subject, VerifyContext, verify_detached};
    let empty = tempfile::tempdir().expect("tempdir");
    let trust = sigaudit::trust::TrustMaterial::load(empty.path());
    let layer = sigaudit::discover::LayerRef {
        digest: Some(sigaudit::digest::Digest::sha256_of(blob)),
        media_type: media_type.into(),
        size: blob.len() as u64,
        annotations: annotations.into(),
    };
    let cache = KeyCache::default();
    let ctx = VerifyContext {
        trust: &trust,
        cache: &cache,
        as_of,
        notation: None,
        registry: None,
        keyless,
    };
    let subject = Subject {
        digest: subject,
        media_type: "application/vnd.oci.image.manifest.v1+json",
        size: 0,
    };
    verify_detached(repo, kind, &layer, blob, subject, &ctx).1
}

fn identities(
    glob: &str,
    identity: &str,
    issuer: &str,
) -> Vec<sigaudit::verify::RepositoryIdentities> {
    vec![sigaudit::verify::RepositoryIdentities {
        repositories: sigaudit::glob::Glob::new(glob).expect("glob"),
        rule: rule(identity, issuer),
    }]
}

#[test]
fn bundle_verifier_keyless_verdicts() {
    use sigaudit::codes::ResultCode;
    use sigaudit::discover::ArtifactKind;
    use sigaudit::verify::{KeylessContext, SigStatus};
    let Some(v) = vectors() else { return };
    let blob = std::fs::read(
        v.join("cosign/sigstore-bundles/kubewarden-controller-v1.34.0.cosign-sign.sigstore.json"),
    )
    .expect("bundle");
    let subject = sigaudit::digest::Digest::parse(
        "sha256:c811d58de79c92f03214e63aa339484e488d694ae8a6283b5f3f17a9faf50172",
    )
    .expect("digest");
    let identity = "https://github.com/kubewarden/kubewarden-controller/.github/workflows/release.yml@refs/tags/v1.34.0";
    let mt = "application/vnd.dev.sigstore.bundle.v0.3+json";
    let none = std::collections::BTreeMap::new();
    let ctx = KeylessContext {
        root: root(&v.join("cosign/trusted-roots/public-good-2025-11.json")),
        identities: identities("kubewarden/*", identity, GHA),
    };
    let ok = verify_as(
        "kubewarden/controller",
        ArtifactKind::SigstoreBundle,
        mt,
        &blob,
        none.clone(),
        &subject,
        Some(&ctx),
    );
    assert_eq!(
        (ok.status, ok.code),
        (SigStatus::Trusted, ResultCode::Verified),
        "{}",
        ok.reason
    );
    assert_eq!(
        ok.anchor.as_ref().map(|a| a.author.as_str()),
        Some(identity)
    );
    assert_eq!(ok.details.get("oidcIssuer").map(String::as_str), Some(GHA));
    // Audited as of an instant before it was signed (2026-04-09), the signature did not exist.
    let before = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .expect("time")
        .to_utc();
    let early = verify_as_at(
        "kubewarden/controller",
        ArtifactKind::SigstoreBundle,
        mt,
        &blob,
        none.clone(),
        &subject,
        Some(&ctx),
        before,
    );
    assert_eq!(
        (early.status, early.code),
        (SigStatus::Untrusted, ResultCode::KeylessTimestampInvalid),
        "{}",
        early.reason
    );
    assert!(early.reason.contains("--as-of"), "{}", early.reason);
    let signed = ok.signed_at.expect("signing time");
    let at_signing = verify_as_at(
        "kubewarden/controller",
        ArtifactKind::SigstoreBundle,
        mt,
        &blob,
        none.clone(),
        &subject,
        Some(&ctx),
        signed,
    );
    assert_eq!(
        at_signing.status,
        SigStatus::Trusted,
        "{}",
        at_signing.reason
    );
    for name in [
        "certificate-chain",
        "sct",
        "transparency-log",
        "timestamp",
        "signature",
        "identity",
    ] {
        let c = ok
            .checks
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no {name} check"));
        assert_eq!(
            c.result,
            sigaudit::verify::CheckResult::Pass,
            "{name}: {}",
            c.detail
        );
    }
    assert!(ok.signed_at.is_some() && ok.cert_expires_at.is_some());
    // Another repository: the identity is not trusted there.
    let other = verify_as(
        "other/app",
        ArtifactKind::SigstoreBundle,
        mt,
        &blob,
        none.clone(),
        &subject,
        Some(&ctx),
    );
    assert_eq!(
        other.code,
        ResultCode::KeylessIdentityNotAllowed,
        "{}",
        other.reason
    );
    assert_eq!(other.signer.as_deref(), Some(identity));
    assert!(other.anchor.is_none());
    // Attached to another image.
    let wrong =
        sigaudit::digest::Digest::parse(&format!("sha256:{}", "ab".repeat(32))).expect("digest");
    let moved = verify_as(
        "kubewarden/controller",
        ArtifactKind::SigstoreBundle,
        mt,
        &blob,
        none.clone(),
        &wrong,
        Some(&ctx),
    );
    assert_eq!(moved.code, ResultCode::DigestMismatch, "{}", moved.reason);
    // No trusted root.
    let no = verify_as(
        "kubewarden/controller",
        ArtifactKind::SigstoreBundle,
        mt,
        &blob,
        none,
        &subject,
        None,
    );
    assert_eq!(no.code, ResultCode::KeylessUnsupported);
}

#[test]
fn simplesigning_verifier_keyless_verdicts() {
    use sigaudit::codes::ResultCode;
    use sigaudit::discover::ArtifactKind;
    use sigaudit::verify::{KeylessContext, SigStatus};
    let Some(v) = vectors() else { return };
    let d = v.join("cosign/containers-image/cosign");
    let fixture = d.join("dir-img-cosign-fulcio-rekor-valid");
    let (payload, ann) = sigstore_json(&fixture.join("signature-1"));
    let annotations: std::collections::BTreeMap<String, String> = ann
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
        .collect();
    let manifest = std::fs::read(fixture.join("manifest.json")).expect("manifest");
    let subject = sigaudit::digest::Digest::sha256_of(&manifest);
    let mt = "application/vnd.dev.cosign.simplesigning.v1+json";
    let ca = der_of(&std::fs::read_to_string(d.join("fulcio_v1.crt.pem")).expect("ca"));
    let rekor = der_of(&std::fs::read_to_string(d.join("rekor.pub")).expect("rekor"));
    // cosign's requirements include the SCT: this root has no CT log, so the SCT cannot verify.
    let ctx = KeylessContext {
        root: TrustRoot::from_parts("fulcio + rekor", &ca, &rekor).expect("root"),
        identities: identities("**", "mitr@redhat.com", "https://github.com/login/oauth"),
    };
    let no_ct = verify_as(
        "cosign-signed/fulcio-rekor-1",
        ArtifactKind::CosignTag,
        mt,
        &payload,
        annotations.clone(),
        &subject,
        Some(&ctx),
    );
    assert_eq!(
        no_ct.code,
        ResultCode::KeylessSctInvalid,
        "{}",
        no_ct.reason
    );
    // Tampered Rekor bundle: the SET no longer verifies.
    let mut bad = annotations.clone();
    let b = bad
        .get_mut("dev.sigstore.cosign/bundle")
        .expect("bundle annotation");
    *b = b.replacen("\"logIndex\":", "\"logIndex\":1", 1);
    let set = verify_as(
        "cosign-signed/fulcio-rekor-1",
        ArtifactKind::CosignTag,
        mt,
        &payload,
        bad,
        &subject,
        Some(&ctx),
    );
    assert!(
        matches!(
            set.code,
            ResultCode::KeylessTlogInvalid | ResultCode::KeylessSctInvalid
        ),
        "{}: {}",
        set.code,
        set.reason
    );
    assert_ne!(set.status, SigStatus::Trusted);
    let none = verify_as(
        "cosign-signed/fulcio-rekor-1",
        ArtifactKind::CosignTag,
        mt,
        &payload,
        annotations,
        &subject,
        None,
    );
    assert_eq!(none.code, ResultCode::KeylessUnsupported);
}

#[test]
fn containers_image_byo_pki_fixture() {
    use sigaudit::keyless::pki;
    let Some(v) = vectors() else { return };
    let d = v.join("cosign/containers-image/cosign");
    let (_payload, ann) = sigstore_json(&d.join("dir-img-cosign-pki-valid/signature-1"));
    let get = |k: &str| ann.get(k).and_then(Value::as_str).expect(k);
    let leaf = der_of(get("dev.sigstore.cosign/certificate")).remove(0);
    let chain = ann
        .get("dev.sigstore.cosign/chain")
        .and_then(Value::as_str)
        .map(der_of)
        .unwrap_or_default();
    let roots = der_of(&std::fs::read_to_string(d.join("pki_root_crts.pem")).expect("roots"));
    let mut inter =
        der_of(&std::fs::read_to_string(d.join("pki_intermediate_crts.pem")).expect("inter"));
    inter.extend(chain);
    let (_, _, _) = pki::subject_alt_names(&leaf).expect("sans");
    let cert = x509_not_before(&leaf);
    let at = cert + chrono::Duration::seconds(60);
    let ok = pki::verify_pki_chain(&leaf, &inter, &roots, at).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        ok.emails.iter().any(|e| e == "qiwan@redhat.com"),
        "{:?}",
        ok.emails
    );
    assert!(
        ok.dns_names.iter().any(|e| e == "myhost.example.com"),
        "{:?}",
        ok.dns_names
    );
    // Without the intermediates it does not reach a root; another root does not anchor it.
    let e = pki::verify_pki_chain(&leaf, &[], &roots, at).expect_err("no intermediates");
    assert_eq!(e.kind, FailureKind::Chain);
    let fulcio = der_of(&std::fs::read_to_string(d.join("fulcio_v1.crt.pem")).expect("ca"));
    let e = pki::verify_pki_chain(&leaf, &inter, &fulcio, at).expect_err("other root");
    assert_eq!(e.kind, FailureKind::Chain);
    // Before the certificate's validity.
    let e = pki::verify_pki_chain(&leaf, &inter, &roots, cert - chrono::Duration::days(1))
        .expect_err("not yet valid");
    assert_eq!(e.kind, FailureKind::Chain);
}

fn x509_not_before(der: &[u8]) -> chrono::DateTime<chrono::Utc> {
    use der::Decode;
    let c = x509_cert::Certificate::from_der(der).expect("cert");
    let s = c
        .tbs_certificate
        .validity
        .not_before
        .to_unix_duration()
        .as_secs();
    chrono::DateTime::from_timestamp(s as i64, 0).expect("time")
}

#[test]
fn containers_image_fulcio_fixture_with_the_public_good_root() {
    let Some(v) = vectors() else { return };
    let d = v.join("cosign/containers-image/cosign");
    let (payload, ann) = sigstore_json(&d.join("dir-img-cosign-fulcio-rekor-valid/signature-1"));
    let get = |k: &str| ann.get(k).and_then(Value::as_str);
    let tr = root(&v.join("cosign/trusted-roots/public-good-2025-11.json"));
    let sig = LegacySignature {
        payload: &payload,
        signature_b64: get("dev.cosignproject.cosign/signature").expect("sig"),
        certificate_pem: get("dev.sigstore.cosign/certificate").expect("cert"),
        chain_pem: get("dev.sigstore.cosign/chain"),
        rekor_bundle: get("dev.sigstore.cosign/bundle"),
        rfc3161_timestamp: None,
    };
    let ok = keyless::verify_legacy(&tr, &sig, Requirements::default())
        .unwrap_or_else(|e| panic!("{:?}: {e}", e.kind));
    assert!(ok.sct_verified && ok.tlog_verified);
    assert_eq!(ok.identity, "mitr@redhat.com");
}
