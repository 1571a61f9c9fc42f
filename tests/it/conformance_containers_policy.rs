//! containers-policy.json conformance over the real containers/image fixtures in
//! ../shared/vectors/cosign/containers-image (README sections 2a and 2b give the verdicts
//! c/image's own policy tests expect; each is checked here through a whole audit of a rootDir
//! built from the fixture).

use crate::common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::common::put_blob;
use serde_json::{Value, json};
use sigaudit::audit::AuditOptions;
use sigaudit::containers_policy::ContainersPolicy;
use sigaudit::digest::Digest;
use sigaudit::report::model::{ContainersPolicyReport, PolicyVerdict};

/// An audit of `root` and the stages after it (the containers-policy verdicts among them).
fn scan(root: &Path, opts: &AuditOptions) -> sigaudit::report::Report {
    let rules = sigaudit::config::Policy::builtin(sigaudit::config::Source::None);
    let inputs = sigaudit::stages::Inputs {
        rules: &rules,
        baseline: None,
    };
    sigaudit::stages::scan(root, opts, &inputs).expect("audit")
}

/// A rootDir holding the `dir:` fixture's manifest as `<repo>:latest`, and its `signature-N`
/// sigstore-json blobs (plus `extra`) as the layers of its cosign `.sig` manifest.
fn cosign_layout(fixture: &Path, repo_name: &str, extra: &[PathBuf]) -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("tempdir");
    common::dir_fixture_layout(root.path(), repo_name, fixture, extra);
    root
}

/// The policy verdict of `<registry>/<repo>:latest` in `root` under `policy` (JSON text).
fn verdict(root: &Path, registry: &str, policy: &str) -> ContainersPolicyReport {
    verdict_at(root, registry, policy, "2026-11-23T00:00:00Z")
}

/// [`verdict`] with the audit's clock at `as_of` (RFC 3339).
fn verdict_at(root: &Path, registry: &str, policy: &str, as_of: &str) -> ContainersPolicyReport {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("policy.json");
    std::fs::write(&path, policy).expect("write policy");
    let mut opts = AuditOptions::at(as_of.parse().expect("time"));
    opts.registry = Some(registry.into());
    opts.containers_policy = Some(Arc::new(ContainersPolicy::load(&path).expect("policy")));
    let report = scan(root, &opts);
    let header = report.settings.containers_policy.as_ref().expect("header");
    assert_eq!(
        header.sha256,
        sigaudit::digest::sha256_hex(policy.as_bytes())
    );
    let img = report
        .images
        .iter()
        .find(|i| i.tags == ["latest"])
        .expect("the tagged image");
    img.containers_policy.clone().expect("a policy verdict")
}

/// The policy rejects, and its first reason says `want`.
#[track_caller]
fn assert_rejected(p: &ContainersPolicyReport, want: &str) {
    assert!(
        p.verdict == PolicyVerdict::Reject && p.reasons[0].contains(want),
        "want a rejection saying {want:?}, got {:?}: {:?}",
        p.verdict,
        p.reasons
    );
}

fn sigstore_key_policy(keys: &[&Path], identity: &str) -> String {
    let keys: Vec<String> = keys.iter().map(|k| k.display().to_string()).collect();
    json!({"default": [{"type": "reject"}], "transports": {"docker": {"": [
        {"type": "sigstoreSigned", "keyPaths": keys, "signedIdentity": {"type": identity}}
    ]}}})
    .to_string()
}

fn ci(v: &Path) -> PathBuf {
    v.join("cosign/containers-image/cosign")
}

#[test]
fn cosign_key_fixtures() {
    let Some(v) = common::vectors() else { return };
    let d = ci(&v);
    let (key1, key2) = (d.join("cosign.pub"), d.join("cosign2.pub"));
    let reg = "192.168.64.2:5000";
    let repo = "cosign-signed-single-sample";

    // ACCEPT with cosign.pub and matchRepository, for one or two signatures.
    for name in ["dir-img-cosign-valid", "dir-img-cosign-valid-2"] {
        let root = cosign_layout(&d.join(name), repo, &[]);
        let p = verdict(
            root.path(),
            reg,
            &sigstore_key_policy(&[&key1], "matchRepository"),
        );
        assert_eq!(p.verdict, PolicyVerdict::Accept, "{name}: {:?}", p.reasons);
        assert_eq!(p.scope, "docker:\"\"");
        assert_eq!(p.references[0].reference, format!("{reg}/{repo}:latest"));
        // Several keys: any of them may verify.
        let p = verdict(
            root.path(),
            reg,
            &sigstore_key_policy(&[&key2, &key1], "matchRepository"),
        );
        assert_eq!(p.verdict, PolicyVerdict::Accept, "{name}: {:?}", p.reasons);
        // cosign signs a repository-only identity: the default identity rule rejects it, and
        // so does matchExact.
        for identity in ["matchRepoDigestOrExact", "matchExact"] {
            let p = verdict(root.path(), reg, &sigstore_key_policy(&[&key1], identity));
            assert_eq!(p.verdict, PolicyVerdict::Reject, "{name} {identity}");
            assert!(
                p.reasons.iter().all(|r| r.contains("is not accepted")),
                "{:?}",
                p.reasons
            );
        }
        // The wrong key.
        let p = verdict(
            root.path(),
            reg,
            &sigstore_key_policy(&[&key2], "matchRepository"),
        );
        assert_rejected(&p, "verification failed");
    }
    // Another repository: matchRepository rejects, exactRepository with the signed name accepts.
    let root = cosign_layout(&d.join("dir-img-cosign-valid"), "elsewhere", &[]);
    let p = verdict(
        root.path(),
        reg,
        &sigstore_key_policy(&[&key1], "matchRepository"),
    );
    assert_eq!(p.verdict, PolicyVerdict::Reject);
    let exact_repo = json!({"default": [{"type": "sigstoreSigned", "keyPath": key1,
        "signedIdentity": {"type": "exactRepository", "dockerRepository": format!("{reg}/{repo}")}}]})
    .to_string();
    let p = verdict(root.path(), reg, &exact_repo);
    assert_eq!(
        (p.verdict, p.scope.as_str()),
        (PolicyVerdict::Accept, "default"),
        "{:?}",
        p.reasons
    );
    // remapIdentity: a mirror whose images were signed under the original name.
    let remap =
        json!({"default": [{"type": "reject"}], "transports": {"docker": {"mirror.example.com": [
        {"type": "sigstoreSigned", "keyPath": key1, "signedIdentity": {"type": "remapIdentity",
            "prefix": "mirror.example.com", "signedPrefix": reg}}]}}})
        .to_string();
    let root = cosign_layout(&d.join("dir-img-cosign-valid"), repo, &[]);
    let p = verdict(root.path(), "mirror.example.com", &remap);
    // remapIdentity ends in matchRepoDigestOrExact, which a repository-only identity fails.
    assert_eq!(
        (p.verdict, p.scope.as_str()),
        (PolicyVerdict::Reject, "mirror.example.com")
    );
    assert!(p.reasons[0].contains("is not accepted"), "{:?}", p.reasons);

    // Modified manifest: the signature is genuine but signs another digest.
    let root = cosign_layout(&d.join("dir-img-cosign-modified-manifest"), repo, &[]);
    let p = verdict(
        root.path(),
        reg,
        &sigstore_key_policy(&[&key1], "matchRepository"),
    );
    assert_rejected(&p, "does not match");

    // A manifest whose digest cannot match.
    let root = cosign_layout(&d.join("dir-img-cosign-manifest-digest-error"), repo, &[]);
    let p = verdict(
        root.path(),
        reg,
        &sigstore_key_policy(&[&key1, &key2], "matchRepository"),
    );
    assert_eq!(p.verdict, PolicyVerdict::Reject, "{:?}", p.reasons);

    // A text/plain attachment is no signature at all.
    let root = cosign_layout(&d.join("dir-img-cosign-other-attachment"), repo, &[]);
    let p = verdict(
        root.path(),
        reg,
        &sigstore_key_policy(&[&key1, &key2], "matchRepository"),
    );
    assert_rejected(
        &p,
        "no signature exists (0 non-sigstore signatures, 1 sigstore non-signature attachments)",
    );

    // A signature by an unknown key alone is rejected; next to a valid one it does not matter.
    let unknown = d.join("unknown-cosign-key.signature");
    let root = cosign_layout(&d.join("dir-img-cosign-valid"), repo, &[unknown]);
    let p = verdict(
        root.path(),
        reg,
        &sigstore_key_policy(&[&key1], "matchRepository"),
    );
    assert_eq!(p.verdict, PolicyVerdict::Accept, "{:?}", p.reasons);
    let p = verdict(
        root.path(),
        reg,
        &sigstore_key_policy(&[&key2], "matchRepository"),
    );
    assert_rejected(&p, "none of the signatures were accepted");
}

#[test]
fn requirements_and_scopes_over_a_real_signature() {
    let Some(v) = common::vectors() else { return };
    let d = ci(&v);
    let key1 = d.join("cosign.pub");
    let reg = "192.168.64.2:5000";
    let repo = "cosign-signed-single-sample";
    let root = cosign_layout(&d.join("dir-img-cosign-valid"), repo, &[]);
    let signed = json!({"type": "sigstoreSigned", "keyPath": key1, "signedIdentity": {"type": "matchRepository"}});
    let policy = json!({"default": [{"type": "insecureAcceptAnything"}], "transports": {"docker": {
        format!("{reg}/{repo}:latest"): [signed, {"type": "reject"}],
        format!("{reg}/{repo}"): [{"type": "insecureAcceptAnything"}],
        "*.64.2": [{"type": "reject"}]
    }}})
    .to_string();
    // The exact reference wins, and every requirement of its list must pass.
    let p = verdict(root.path(), reg, &policy);
    assert_eq!(
        (p.verdict, p.scope.clone()),
        (PolicyVerdict::Reject, format!("{reg}/{repo}:latest"))
    );
    assert_eq!(p.reasons.len(), 1, "{:?}", p.reasons);
    assert!(p.reasons[0].starts_with("reject[1]: "), "{:?}", p.reasons);
    // A wildcard applies to hosts below it; the port is ignored.
    let wildcard = json!({"default": [{"type": "insecureAcceptAnything"}],
        "transports": {"docker": {"*.64.2": [{"type": "reject"}]}}})
    .to_string();
    let p = verdict(root.path(), reg, &wildcard);
    assert_eq!(
        (p.verdict, p.scope.as_str()),
        (PolicyVerdict::Reject, "*.64.2")
    );
}

#[test]
fn an_unreadable_key_rejects_and_names_the_file() {
    let Some(v) = common::vectors() else { return };
    let d = ci(&v);
    let root = cosign_layout(
        &d.join("dir-img-cosign-valid"),
        "cosign-signed-single-sample",
        &[],
    );
    let p = verdict(
        root.path(),
        "192.168.64.2:5000",
        &sigstore_key_policy(&[Path::new("/nonexistent/cosign.pub")], "matchRepository"),
    );
    assert_rejected(&p, "/nonexistent/cosign.pub");
}

#[test]
fn cosign_key_and_rekor_fixture() {
    let Some(v) = common::vectors() else { return };
    let d = ci(&v);
    let root = cosign_layout(
        &d.join("dir-img-cosign-key-rekor-valid"),
        "cosign-signed/key-1",
        &[],
    );
    let policy = |key: &Path, rekor: &Path| {
        json!({"default": [{"type": "sigstoreSigned", "keyPath": key, "rekorPublicKeyPath": rekor,
            "signedIdentity": {"type": "matchRepository"}}]})
        .to_string()
    };
    let reg = "192.168.64.2:5000";
    // ACCEPT with cosign2.pub and the Rekor key.
    let p = verdict(
        root.path(),
        reg,
        &policy(&d.join("cosign2.pub"), &d.join("rekor.pub")),
    );
    assert_eq!(p.verdict, PolicyVerdict::Accept, "{:?}", p.reasons);
    // REJECT when the Rekor key is cosign.pub: the SET does not verify.
    let p = verdict(
        root.path(),
        reg,
        &policy(&d.join("cosign2.pub"), &d.join("cosign.pub")),
    );
    assert_rejected(&p, "Rekor SET does not verify");
    // A Rekor key required, but the signature has no SET.
    let plain = cosign_layout(
        &d.join("dir-img-cosign-valid"),
        "cosign-signed-single-sample",
        &[],
    );
    let p = verdict(
        plain.path(),
        reg,
        &policy(&d.join("cosign.pub"), &d.join("rekor.pub")),
    );
    assert_rejected(&p, "annotation is missing");
}

#[test]
fn cosign_fulcio_and_rekor_fixture() {
    let Some(v) = common::vectors() else { return };
    let d = ci(&v);
    let root = cosign_layout(
        &d.join("dir-img-cosign-fulcio-rekor-valid"),
        "cosign-signed/fulcio-rekor-1",
        &[],
    );
    let policy = |issuer: &str, email: &str, rekor: &Path| {
        json!({"default": [{"type": "sigstoreSigned",
            "fulcio": {"caPath": d.join("fulcio_v1.crt.pem"), "oidcIssuer": issuer, "subjectEmail": email},
            "rekorPublicKeyPath": rekor, "signedIdentity": {"type": "matchRepository"}}]})
        .to_string()
    };
    let reg = "192.168.64.2:5000";
    let (issuer, email, rekor) = (
        "https://github.com/login/oauth",
        "mitr@redhat.com",
        d.join("rekor.pub"),
    );
    let p = verdict(root.path(), reg, &policy(issuer, email, &rekor));
    assert_eq!(p.verdict, PolicyVerdict::Accept, "{:?}", p.reasons);
    let p = verdict(
        root.path(),
        reg,
        &policy("https://accounts.google.com", email, &rekor),
    );
    assert_rejected(&p, "OIDC issuer");
    let p = verdict(
        root.path(),
        reg,
        &policy(issuer, "someone@example.com", &rekor),
    );
    assert_rejected(&p, "required email");
    let p = verdict(
        root.path(),
        reg,
        &policy(issuer, email, &d.join("cosign.pub")),
    );
    assert_rejected(&p, "Fulcio certificate verification failed");
    // A key-signed image has no certificate.
    let plain = cosign_layout(
        &d.join("dir-img-cosign-valid"),
        "cosign-signed-single-sample",
        &[],
    );
    let p = verdict(plain.path(), reg, &policy(issuer, email, &rekor));
    assert_rejected(&p, "certificate annotation is missing");
}

/// `dir-img-cosign-pki-valid`: a leaf (SAN email `qiwan@redhat.com`, DNS
/// `myhost.example.com`) under the fixture's own intermediate and root, no SET.
#[test]
fn cosign_pki_fixture() {
    let Some(v) = common::vectors() else { return };
    let d = ci(&v);
    let root = cosign_layout(&d.join("dir-img-cosign-pki-valid"), "test", &[]);
    let reg = "localhost:5000";
    let policy = |pki: Value| {
        json!({"default": [{"type": "sigstoreSigned", "pki": pki,
            "signedIdentity": {"type": "matchRepository"}}]})
        .to_string()
    };
    let roots = d.join("pki_root_crts.pem");
    let inter = d.join("pki_intermediate_crts.pem");
    let accepted = [
        json!({"caRootsPath": roots, "caIntermediatesPath": inter, "subjectEmail": "qiwan@redhat.com"}),
        json!({"caRootsPath": roots, "caIntermediatesPath": inter, "subjectHostname": "myhost.example.com"}),
        json!({"caRootsPath": roots, "caIntermediatesPath": inter,
            "subjectEmail": "qiwan@redhat.com", "subjectHostname": "MyHost.Example.com"}),
        // The chain annotation carries the intermediate too, so the policy need not.
        json!({"caRootsPath": roots, "subjectEmail": "qiwan@redhat.com"}),
        // Inline data, as the `*Data` fields (base64 of the PEM).
        json!({"caRootsData": b64_file(&roots), "caIntermediatesData": b64_file(&inter),
            "subjectEmail": "qiwan@redhat.com"}),
    ];
    for pki in accepted {
        let p = verdict(root.path(), reg, &policy(pki.clone()));
        assert_eq!(p.verdict, PolicyVerdict::Accept, "{pki}: {:?}", p.reasons);
    }
    let rejected = |pki: Value, want: &str| {
        let p = verdict(root.path(), reg, &policy(pki.clone()));
        assert_rejected(&p, want);
        assert_eq!(p.reasons.len(), 1, "{pki}: {:?}", p.reasons);
    };
    rejected(
        json!({"caRootsPath": roots, "caIntermediatesPath": inter, "subjectEmail": "someone@example.com"}),
        r#"required email "someone@example.com" not found (got ["qiwan@redhat.com"])"#,
    );
    rejected(
        json!({"caRootsPath": roots, "caIntermediatesPath": inter,
            "subjectEmail": "qiwan@redhat.com", "subjectHostname": "other.example.com"}),
        "certificate is valid for myhost.example.com, not other.example.com",
    );
    // Another CA as the root: the chain reaches no trusted root.
    rejected(
        json!({"caRootsPath": d.join("fulcio_v1.crt.pem"), "caIntermediatesPath": inter,
            "subjectEmail": "qiwan@redhat.com"}),
        "verifying the leaf certificate failed",
    );
    // The intermediate as the only root is not the fixture's root either: no anchor for it...
    // unless trusted directly, as Go's x509 would (a root pool member anchors the chain).
    let p = verdict(
        root.path(),
        reg,
        &policy(json!({"caRootsPath": inter, "subjectEmail": "qiwan@redhat.com"})),
    );
    assert_eq!(p.verdict, PolicyVerdict::Accept, "{:?}", p.reasons);
    // c/image checks validity at the moment of evaluation: the audit's clock. Before the
    // leaf's notBefore (2024-10-01T14:28:43Z) it is not valid yet.
    let p = verdict_at(
        root.path(),
        reg,
        &policy(json!({"caRootsPath": roots, "subjectEmail": "qiwan@redhat.com"})),
        "2024-10-01T14:00:00Z",
    );
    assert!(
        p.verdict == PolicyVerdict::Reject
            && p.reasons[0].contains("verifying the leaf certificate failed")
            && p.reasons[0].contains("NotValidYet"),
        "{:?}",
        p.reasons
    );
    // A roots file without a certificate names the file.
    rejected(
        json!({"caRootsPath": d.join("cosign.pub"), "subjectEmail": "qiwan@redhat.com"}),
        "cosign.pub: no PEM CERTIFICATE block",
    );
    // A Fulcio-certified signature does not chain to this PKI.
    let fulcio = cosign_layout(
        &d.join("dir-img-cosign-fulcio-rekor-valid"),
        "cosign-signed/fulcio-rekor-1",
        &[],
    );
    let p = verdict(
        fulcio.path(),
        "192.168.64.2:5000",
        &policy(
            json!({"caRootsPath": roots, "caIntermediatesPath": inter, "subjectEmail": "mitr@redhat.com"}),
        ),
    );
    assert_rejected(&p, "verifying the leaf certificate failed");
    // A key-signed image has no certificate.
    let plain = cosign_layout(
        &d.join("dir-img-cosign-valid"),
        "cosign-signed-single-sample",
        &[],
    );
    let p = verdict(
        plain.path(),
        "192.168.64.2:5000",
        &policy(json!({"caRootsPath": roots, "subjectEmail": "qiwan@redhat.com"})),
    );
    assert_rejected(&p, "certificate annotation is missing");
}

fn b64_file(p: &Path) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(std::fs::read(p).expect("read"))
}

/// A rootDir holding `manifest` as `testing/manifest:<tag>`, and a lookaside store with
/// `signatures` as its `signature-N` files.
fn gpg_layout(manifest: &Path, tag: &str, signatures: &[PathBuf]) -> (tempfile::TempDir, PathBuf) {
    let root = tempfile::tempdir().expect("tempdir");
    let repo = root.path().join("testing/manifest");
    std::fs::create_dir_all(&repo).expect("mkdir");
    std::fs::write(
        repo.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .expect("write");
    let bytes = std::fs::read(manifest).expect("manifest");
    let mt = serde_json::from_slice::<Value>(&bytes).expect("json")["mediaType"]
        .as_str()
        .unwrap_or("application/vnd.oci.image.manifest.v1+json")
        .to_string();
    let mut image = put_blob(&repo, &mt, &bytes);
    image["annotations"] = json!({"org.opencontainers.image.ref.name": tag});
    std::fs::write(
        repo.join("index.json"),
        serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [image]})).expect("json"),
    )
    .expect("write");
    let lookaside = root.path().join("_lookaside");
    let dir = lookaside.join(format!(
        "testing/manifest@sha256={}",
        Digest::sha256_of(&bytes).hex()
    ));
    std::fs::create_dir_all(&dir).expect("mkdir");
    for (i, s) in signatures.iter().enumerate() {
        std::fs::copy(s, dir.join(format!("signature-{}", i + 1))).expect("copy");
    }
    (root, lookaside)
}

fn gpg_verdict(root: &Path, lookaside: &Path, tag: &str, keyring: &Path) -> ContainersPolicyReport {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("policy.json");
    let policy =
        json!({"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": keyring}]});
    std::fs::write(&path, policy.to_string()).expect("write");
    let mut opts = AuditOptions::at("2026-11-23T00:00:00Z".parse().expect("time"));
    opts.registry = Some("docker.io".into());
    opts.lookaside = Some(lookaside.to_path_buf());
    opts.containers_policy = Some(Arc::new(ContainersPolicy::load(&path).expect("policy")));
    let report = scan(root, &opts);
    let img = report
        .images
        .iter()
        .find(|i| i.tags == [tag])
        .expect("image");
    img.containers_policy.clone().expect("verdict")
}

#[test]
fn gpg_fixtures() {
    let Some(v) = common::vectors() else { return };
    let g = v.join("cosign/containers-image/gpg");
    let key = g.join("public-key.gpg");
    let sigs = |dir: &str| -> Vec<PathBuf> {
        (1..)
            .map(|n| g.join(dir).join(format!("signature-{n}")))
            .take_while(|p| p.exists())
            .collect()
    };
    let check = |manifest: &Path,
                 tag: &str,
                 signatures: &[PathBuf],
                 keyring: &Path,
                 want: PolicyVerdict,
                 why: &str| {
        let (root, lookaside) = gpg_layout(manifest, tag, signatures);
        let p = gpg_verdict(root.path(), &lookaside, tag, keyring);
        assert_eq!(p.verdict, want, "{signatures:?} {tag}: {:?}", p.reasons);
        if !why.is_empty() {
            assert!(
                p.reasons.iter().any(|r| r.contains(why)),
                "{signatures:?}: {:?} lacks {why}",
                p.reasons
            );
        }
    };
    use PolicyVerdict::{Accept, Reject};
    for dir in ["dir-img-valid", "dir-img-valid-2", "dir-img-mixed"] {
        check(
            &g.join(dir).join("manifest.json"),
            "latest",
            &sigs(dir),
            &key,
            Accept,
            "",
        );
    }
    check(
        &g.join("dir-img-valid/manifest.json"),
        "notlatest",
        &sigs("dir-img-valid"),
        &key,
        Reject,
        "is not accepted",
    );
    check(
        &g.join("dir-img-modified-manifest/manifest.json"),
        "latest",
        &sigs("dir-img-modified-manifest"),
        &key,
        Reject,
        "does not match",
    );
    check(
        &g.join("dir-img-valid-subkey/manifest.json"),
        "latest",
        &sigs("dir-img-valid-subkey"),
        &g.join("public-key-with-subkey.gpg"),
        Accept,
        "",
    );
    let m = g.join("image.manifest.json");
    // These sign the name-only identity `testing/manifest`: the signature, the payload and the
    // digest pass, and the default matchRepoDigestOrExact refuses a name-only identity.
    check(
        &m,
        "latest",
        &[g.join("image.signature")],
        &key,
        Reject,
        "signature for identity \"testing/manifest\" is not accepted",
    );
    check(
        &m,
        "latest",
        &[g.join("image.signature")],
        &g.join("public-key-2.gpg"),
        Reject,
        "not in the keyring",
    );
    check(
        &m,
        "latest",
        &[g.join("no-optional-fields.signature")],
        &key,
        Reject,
        "is not accepted",
    );
    for bad in [
        "unknown-key.signature",
        "unknown-key.signature-v3",
        "corrupt.signature",
        "corrupt.signature-v3",
        "invalid-blob.signature",
        "invalid-blob.signature-v3",
        "expired.signature",
        "unsigned-literal.signature",
        "unsigned-encrypted.signature",
        "invalid-reference.signature",
    ] {
        check(&m, "latest", &[g.join(bad)], &key, Reject, "");
    }
    let revoked = g.join("public-key-with-revoked-subkey.gpg");
    for s in ["subkey-revoked.signature", "subkey-revoked.signature-v3"] {
        check(&m, "latest", &[g.join(s)], &revoked, Reject, "");
    }
    // No lookaside signature at all.
    check(&m, "latest", &[], &key, Reject, "no signature exists");
}
