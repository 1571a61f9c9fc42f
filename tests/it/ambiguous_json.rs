//! Signed JSON means what Go reads: end to end, with real keys and real signatures in rootDirs
//! built at test time. A validly signed document whose keys Go's `encoding/json` folds to one
//! field (`docker-manifeſt-digest` with U+017F beside `docker-manifest-digest`, `TargetArtifact`
//! beside `targetArtifact`, `ſubject` beside `subject`, `truſtedIdentities` beside
//! `trustedIdentities`) is never trusted; beside each, the same key or signer signing the clean
//! document is trusted, so no case passes by everything failing.

use std::path::Path;

use crate::common::Sigaudit;
use predicates::str::contains;
use serde_json::{Value, json};
use sigaudit_fixtures::bundle;
use sigaudit_fixtures::cosign::{self, SigLayer};
use sigaudit_fixtures::image::{ImageSpec, push_image};
use sigaudit_fixtures::keys::CosignKey;
use sigaudit_fixtures::notation::{self, SignOptions};
use sigaudit_fixtures::oci::{Descriptor, Repo};
use sigaudit_fixtures::pki::{Hierarchy, Identity, PkiKey};
use sigaudit_fixtures::trust;

const AS_OF: &str = "2026-11-23T00:00:00Z";

fn scan(root: &Path, extra: &[&str]) -> (Value, String) {
    let out = root.parent().expect("parent").join("out");
    let assert = Sigaudit::scan(root)
        .arg("--out")
        .arg(&out)
        .args(["--as-of", AS_OF, "--format", "json"])
        .args(extra)
        .assert();
    let output = assert.get_output();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "scan failed: {stderr}"
    );
    let report = serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("report"))
        .expect("json");
    (report, stderr)
}

/// `(trusted, code, reason)` of each signature of the image tagged `tag`.
fn signatures(report: &Value, tag: &str) -> Vec<(bool, String, String)> {
    let image = report["images"]
        .as_array()
        .expect("images")
        .iter()
        .find(|i| {
            i["tags"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t == tag))
        })
        .unwrap_or_else(|| panic!("no image tagged {tag}"));
    image["signatures"]
        .as_array()
        .expect("signatures")
        .iter()
        .map(|s| {
            (
                s["trusted"].as_bool().expect("trusted"),
                s["code"].as_str().expect("code").to_string(),
                s["reason"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The one signature of `tag`.
fn only(report: &Value, tag: &str) -> (bool, String, String) {
    let sigs = signatures(report, tag);
    assert_eq!(sigs.len(), 1, "{tag}: {sigs:?}");
    sigs.into_iter().next().expect("one")
}

fn cosign_payload(critical_image: &str) -> Vec<u8> {
    format!(
        r#"{{"critical":{{"identity":{{"docker-reference":"registry.example/app"}},"image":{{{critical_image}}},"type":"cosign container image signature"}},"optional":null}}"#
    )
    .into_bytes()
}

#[test]
fn a_cosign_payload_naming_two_images_under_folded_keys_is_not_trusted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("root");
    let key = CosignKey::p256("gojson-cosign");
    trust::upload_cosign_keys(&root, &[&key]).expect("keys");
    let mut repo = Repo::create(&root, "app").expect("repo");
    let t = push_image(&mut repo, ImageSpec::new("app:t"), Some("t")).expect("t");
    let c = push_image(&mut repo, ImageSpec::new("app:c"), Some("c")).expect("c");
    let kelvin = push_image(&mut repo, ImageSpec::new("app:kelvin"), Some("kelvin")).expect("k");
    let clean = push_image(&mut repo, ImageSpec::new("app:clean"), Some("clean")).expect("clean");
    // T under the plain key, C under the long-s spelling every Go verifier reads last.
    let long_s = cosign_payload(&format!(
        r#""docker-manifest-digest":"{}","docker-manifeſt-digest":"{}""#,
        t.digest, c.digest
    ));
    cosign::push_legacy(&mut repo, &t.digest, &[SigLayer::signed(&key, long_s)]).expect("sig");
    // The Kelvin sign, escaped, first: Go still reads the last one, the plain key.
    let escaped = cosign_payload(&format!(
        r#""doc\u212Aer-manifest-digest":"{}","docker-manifest-digest":"{}""#,
        c.digest, kelvin.digest
    ));
    cosign::push_legacy(
        &mut repo,
        &kelvin.digest,
        &[SigLayer::signed(&key, escaped)],
    )
    .expect("sig");
    // Control: the same key, a clean payload.
    cosign::push_legacy(
        &mut repo,
        &clean.digest,
        &[SigLayer::for_image(&key, "app", &clean.digest)],
    )
    .expect("sig");
    repo.finish().expect("finish");

    let (report, _) = scan(&root, &[]);
    let (trusted, code, reason) = only(&report, "clean");
    assert!(trusted, "control: {code} {reason}");
    assert_eq!(code, "verified");
    for tag in ["t", "kelvin"] {
        let (trusted, code, reason) = only(&report, tag);
        assert!(!trusted, "{tag}: {reason}");
        assert_eq!(code, "ambiguous-json", "{tag}: {reason}");
        assert!(reason.contains("$.critical.image"), "{reason}");
    }
    let (_, _, reason) = only(&report, "t");
    assert!(
        reason.contains(r#""docker-manifest-digest""#)
            && reason.contains(r#""docker-manife\u{17f}t-digest""#),
        "the message names both keys: {reason}"
    );
}

/// A cosign v3 bundle whose statement `key` signs, attached to `subject`.
fn push_bundle(repo: &mut Repo, subject: &Descriptor, key: &CosignKey, statement: &[u8]) {
    let b = bundle::bundle_json(key, statement);
    bundle::push_referrer(repo, subject, &b, "https://sigstore.dev/cosign/sign/v1")
        .expect("bundle");
}

fn statement(subjects: &str) -> Vec<u8> {
    format!(
        r#"{{"_type":"https://in-toto.io/Statement/v1",{subjects},"predicateType":"https://sigstore.dev/cosign/sign/v1"}}"#
    )
    .into_bytes()
}

#[test]
fn a_dsse_statement_with_two_folded_subject_keys_is_not_trusted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("root");
    let key = CosignKey::p256("gojson-bundle");
    trust::upload_cosign_keys(&root, &[&key]).expect("keys");
    let mut repo = Repo::create(&root, "app").expect("repo");
    let t = push_image(&mut repo, ImageSpec::new("app:t"), Some("t")).expect("t");
    let c = push_image(&mut repo, ImageSpec::new("app:c"), Some("c")).expect("c");
    let camel = push_image(&mut repo, ImageSpec::new("app:camel"), Some("camel")).expect("i");
    let clean = push_image(&mut repo, ImageSpec::new("app:clean"), Some("clean")).expect("i");
    let subject = |hex: &str| format!(r#"[{{"digest":{{"sha256":"{hex}"}}}}]"#);
    push_bundle(
        &mut repo,
        &t,
        &key,
        &statement(&format!(
            r#""subject":{},"ſubject":{}"#,
            subject(t.hex()),
            subject(c.hex())
        )),
    );
    // `Subject` alone: in-toto-golang (encoding/json) reads it, protojson refuses it.
    push_bundle(
        &mut repo,
        &camel,
        &key,
        &statement(&format!(r#""Subject":{}"#, subject(camel.hex()))),
    );
    push_bundle(
        &mut repo,
        &clean,
        &key,
        &statement(&format!(r#""subject":{}"#, subject(clean.hex()))),
    );
    repo.finish().expect("finish");

    let (report, _) = scan(&root, &[]);
    let (trusted, code, reason) = only(&report, "clean");
    assert!(trusted && code == "verified", "control: {code} {reason}");
    for tag in ["t", "camel"] {
        let (trusted, code, reason) = only(&report, tag);
        assert!(!trusted, "{tag}: {reason}");
        assert_eq!(code, "ambiguous-json", "{tag}: {reason}");
        assert!(reason.contains("in-toto statement"), "{reason}");
    }
}

/// A CA, its intermediate and a code-signing leaf (ECDSA, fast to derive).
fn signer() -> (Hierarchy, Identity) {
    let h = Hierarchy::new(
        PkiKey::p256("gojson-root"),
        "sigaudit tests",
        "gojson root CA",
        PkiKey::p256("gojson-intermediate"),
        "gojson intermediate CA",
    );
    let leaf = h.leaf(PkiKey::p256("gojson-leaf"), "gojson signer");
    (h, leaf)
}

fn descriptor(d: &Descriptor) -> Value {
    json!({"mediaType": d.media_type, "digest": d.digest, "size": d.size})
}

#[test]
fn a_notation_payload_with_target_artifact_twice_is_not_trusted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("root");
    let (h, leaf) = signer();
    trust::write_notation(&root, &[&h.root.cert.pem()], &[]).expect("notation");
    let mut repo = Repo::create(&root, "app").expect("repo");
    let t = push_image(&mut repo, ImageSpec::new("app:t"), Some("t")).expect("t");
    let c = push_image(&mut repo, ImageSpec::new("app:c"), Some("c")).expect("c");
    let size = push_image(&mut repo, ImageSpec::new("app:size"), Some("size")).expect("s");
    let clean = push_image(&mut repo, ImageSpec::new("app:clean"), Some("clean")).expect("c");
    let folded = format!(
        r#"{{"targetArtifact":{},"TargetArtifact":{}}}"#,
        descriptor(&t),
        descriptor(&c)
    );
    let env = notation::sign_jws_payload(&leaf, folded.as_bytes(), SignOptions::JWS, "gojson-t");
    notation::push_envelope(&mut repo, &t, &env).expect("push");
    // A descriptor whose size is given twice, once with U+017F.
    let sizes = format!(
        r#"{{"targetArtifact":{{"mediaType":"{}","digest":"{}","size":{},"ſize":{}}}}}"#,
        size.media_type,
        size.digest,
        size.size,
        size.size + 1
    );
    let env = notation::sign_jws_payload(&leaf, sizes.as_bytes(), SignOptions::JWS, "gojson-s");
    notation::push_envelope(&mut repo, &size, &env).expect("push");
    // Control: the same signer, a clean payload (Go's spelling `TargetArtifact` alone is read
    // as Go reads it).
    let clean_payload = format!(r#"{{"TargetArtifact":{}}}"#, descriptor(&clean));
    let env = notation::sign_jws_payload(
        &leaf,
        clean_payload.as_bytes(),
        SignOptions::JWS,
        "gojson-clean",
    );
    notation::push_envelope(&mut repo, &clean, &env).expect("push");
    repo.finish().expect("finish");

    let (report, _) = scan(&root, &[]);
    for tag in ["t", "size"] {
        let (trusted, code, reason) = only(&report, tag);
        assert!(!trusted, "{tag}: {reason}");
        assert_eq!(code, "ambiguous-json", "{tag}: {reason}");
    }
    let (trusted, code, reason) = only(&report, "clean");
    assert!(trusted && code == "verified", "control: {code} {reason}");
}

const POLICY: &str = r#"{
  "version": "1.0",
  "trustPolicies": [{
    "name": "all",
    "registryScopes": ["*"],
    "signatureVerification": {"level": "strict"},
    "trustStores": ["ca:default"],
    "trustedIdentities": ["x509.subject: C=US, ST=WA, O=elsewhere, CN=someone else"],
    "IDENTITIES": ["x509.subject: C=US, ST=WA, O=sigaudit fixtures, CN=gojson signer"]
  }]
}"#;

#[test]
fn a_trust_policy_with_folded_trusted_identities_trusts_nothing() {
    // Control first: with `IDENTITIES` ignored (an unknown field, as in Go), the policy trusts
    // only someone else; with the signer's identity under `trustedIdentities`, it is trusted.
    let signer_identity = r#""x509.subject: C=US, ST=WA, O=sigaudit fixtures, CN=gojson signer""#;
    let cases = [
        (
            "control-other",
            POLICY.to_string(),
            false,
            "identity-mismatch",
        ),
        (
            "control-signer",
            POLICY.replace(
                r#""x509.subject: C=US, ST=WA, O=elsewhere, CN=someone else""#,
                signer_identity,
            ),
            true,
            "verified",
        ),
        (
            "folded",
            POLICY.replace(r#""IDENTITIES""#, r#""truſtedIdentities""#),
            false,
            "invalid-trust-policy",
        ),
        (
            "exact-duplicate",
            POLICY.replace(r#""IDENTITIES""#, r#""trustedIdentities""#),
            false,
            "invalid-trust-policy",
        ),
    ];
    for (name, policy, want_trusted, want_code) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("root");
        let (h, leaf) = signer();
        trust::write_notation(&root, &[&h.root.cert.pem()], &[]).expect("notation");
        trust::put_notation_file(&root, "trustpolicy.oci.json", policy.as_bytes()).expect("policy");
        let mut repo = Repo::create(&root, "app").expect("repo");
        notation::push_signed_image(&mut repo, "t", &leaf, SignOptions::JWS).expect("sign");
        repo.finish().expect("finish");
        let (report, _) = scan(&root, &[]);
        let (trusted, code, reason) = only(&report, "t");
        assert_eq!(
            (trusted, code.as_str()),
            (want_trusted, want_code),
            "{name}: {reason}"
        );
        if name == "folded" {
            assert!(
                reason.contains(r#""tru\u{17f}tedIdentities" (also spelt "trustedIdentities")"#),
                "{reason}"
            );
        }
    }
}

#[test]
fn a_containers_policy_with_a_folded_duplicate_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clean = r#"{"default":[{"type":"reject"}],"transports":{"docker":{"registry.example/app":[{"type":"insecureAcceptAnything"}]}}}"#;
    let folded = r#"{"default":[{"type":"reject"}],"transports":{"docker":{"registry.example/app":[{"type":"insecureAcceptAnything"}],"registry.example/App":[{"type":"reject"}]}}}"#;
    let kelvin = r#"{"default":[{"type":"reject"}],"transports":{"doc\u212Aer":{"a":[{"type":"reject"}]},"docker":{}}}"#;
    for (name, policy, code) in [
        ("clean", clean, 0),
        ("folded", folded, 2),
        ("kelvin", kelvin, 2),
    ] {
        let path = dir.path().join(format!("{name}.json"));
        std::fs::write(&path, policy).expect("write");
        let out = dir.path().join(format!("out-{name}"));
        let assert = Sigaudit::scan("fixtures/demo")
            .args(["--as-of", AS_OF])
            .args(["--registry", "registry.example", "--out"])
            .arg(&out)
            .arg("--policy")
            .arg(&path)
            .assert();
        let got = assert.get_output().status.code();
        if code == 0 {
            assert!(matches!(got, Some(0 | 1)), "{name}: {got:?}");
        } else {
            assert
                .code(code)
                .stderr(contains("ambiguous JSON"))
                .stderr(contains(path.display().to_string()));
        }
    }
}
