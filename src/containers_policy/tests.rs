use std::path::Path;

use super::*;

fn parse(json: &str) -> Result<ContainersPolicy, PolicyError> {
    ContainersPolicy::from_bytes(
        Path::new("policy.json"),
        Path::new("/nonexistent"),
        json.as_bytes(),
    )
}

fn invalid_at(json: &str) -> (String, String) {
    match parse(json) {
        Err(PolicyError::Invalid { at, message, .. }) => (at, message),
        Err(e) => panic!("expected an invalid-policy error, got {e}"),
        Ok(_) => panic!("expected {json} to be refused"),
    }
}

#[test]
fn refuses_what_c_image_refuses() {
    let cases: &[(&str, &str)] = &[
        (r#"{}"#, "$"),
        (r#"{"default":[]}"#, "$.default"),
        (r#"{"default":[{"type":"reject"}],"other":1}"#, "$.other"),
        (r#"{"default":[{"type":"reject","x":1}]}"#, "$.default[0].x"),
        (r#"{"default":[{"type":"nope"}]}"#, "$.default[0].type"),
        (
            r#"{"default":[{"type":"reject"}],"transports":{"docker":{"a.com":[]}}}"#,
            "$.transports.docker[\"a.com\"]",
        ),
        (
            r#"{"default":[{"type":"signedBy","keyPath":"/k"}]}"#,
            "$.default[0]",
        ),
        (
            r#"{"default":[{"type":"signedBy","keyType":"Bogus","keyPath":"/k"}]}"#,
            "$.default[0].keyType",
        ),
        (
            r#"{"default":[{"type":"signedBy","keyType":"GPGKeys"}]}"#,
            "$.default[0]",
        ),
        (
            r#"{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/k","keyData":""}]}"#,
            "$.default[0]",
        ),
        (
            r#"{"default":[{"type":"signedBy","keyType":"GPGKeys","keyData":"not base64!"}]}"#,
            "$.default[0].keyData",
        ),
        (
            r#"{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPaths":[]}]}"#,
            "$.default[0].keyPaths",
        ),
        (
            r#"{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/k","signedIdentity":{"type":"matchExact","x":1}}]}"#,
            "$.default[0].signedIdentity.x",
        ),
        (
            r#"{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/k","signedIdentity":{"type":"exactReference","dockerReference":"busybox"}}]}"#,
            "$.default[0].signedIdentity.dockerReference",
        ),
        (
            r#"{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/k","signedIdentity":{"type":"exactRepository","dockerRepository":"UPPER"}}]}"#,
            "$.default[0].signedIdentity.dockerRepository",
        ),
        (
            r#"{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/k","signedIdentity":{"type":"remapIdentity","prefix":"example.com/","signedPrefix":"x.com"}}]}"#,
            "$.default[0].signedIdentity.prefix",
        ),
        (
            r#"{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/k","signedIdentity":{"type":"bogus"}}]}"#,
            "$.default[0].signedIdentity.type",
        ),
        (r#"{"default":[{"type":"sigstoreSigned"}]}"#, "$.default[0]"),
        (
            r#"{"default":[{"type":"sigstoreSigned","keyPath":"/k","keyData":""}]}"#,
            "$.default[0]",
        ),
        (
            r#"{"default":[{"type":"sigstoreSigned","fulcio":{"caPath":"/ca","oidcIssuer":"i","subjectEmail":"e"}}]}"#,
            "$.default[0]",
        ),
        (
            r#"{"default":[{"type":"sigstoreSigned","pki":{"caRootsPath":"/r","subjectEmail":"e"},"rekorPublicKeyPath":"/r"}]}"#,
            "$.default[0]",
        ),
        (
            r#"{"default":[{"type":"sigstoreSigned","pki":{"caRootsPath":"/r"}}]}"#,
            "$.default[0].pki",
        ),
        (
            r#"{"default":[{"type":"sigstoreSigned","fulcio":{"caPath":"/ca","oidcIssuer":"i"},"rekorPublicKeyPath":"/r"}]}"#,
            "$.default[0].fulcio",
        ),
        (
            r#"{"default":[{"type":"sigstoreSigned","keyPath":"/k","rekorPublicKeyPath":"/r","rekorPublicKeyData":""}]}"#,
            "$.default[0]",
        ),
        (
            r#"{"default":[{"type":"signedBaseLayer"}]}"#,
            "$.default[0]",
        ),
    ];
    for (json, at) in cases {
        assert_eq!(invalid_at(json).0, *at, "{json}");
    }
    assert!(matches!(
        parse(r#"{"default":[{"type":"reject"},{"type":"reject"}],"default":[]}"#),
        Err(PolicyError::NotJson { .. })
    ));
    assert!(matches!(
        parse("not json"),
        Err(PolicyError::NotJson { .. })
    ));
}

#[test]
fn parses_c_image_sample_policy() {
    let Some(v) = crate::test_vectors::dir() else {
        return;
    };
    let p = ContainersPolicy::load(&v.join("cosign/containers-image/gpg/policy.json")).unwrap();
    assert_eq!(p.other_transports, ["dir"]);
    let docker = p.docker.as_ref().unwrap();
    assert_eq!(docker.len(), 14);
    assert!(matches!(p.default[..], [Requirement::Reject]));
    // Its key files do not exist here: each is reported, naming the file.
    let problems = p.key_problems();
    assert!(
        problems
            .iter()
            .any(|e| e.contains("/keys/employee-gpg-keyring")),
        "{problems:?}"
    );
    let r = |s: &str| DockerReference::parse_normalized(s).unwrap();
    let scope = |s: &str| p.requirements_for(&r(s)).0.label();
    assert_eq!(
        scope("example.com/playground/app:1"),
        "example.com/playground"
    );
    assert_eq!(scope("example.com/production:1"), "example.com/production");
    assert_eq!(
        scope("registry.access.redhat.com/rhel7/rhel:7"),
        "registry.access.redhat.com"
    );
    assert_eq!(scope("foo.access.redhat.com/x:1"), "*.access.redhat.com");
    assert_eq!(
        scope("registry.redhat.io/beta/x:1"),
        "registry.redhat.io/beta"
    );
    assert_eq!(scope("registry.redhat.io/x:1"), "default");
    assert_eq!(scope("quay.example.com/x:1"), "*.com");
    assert_eq!(scope("localhost:5000/x:1"), "default");
}

/// The facts the evaluations share, as an audit's would be.
static FACTS: std::sync::LazyLock<crate::verify::KeyCache> =
    std::sync::LazyLock::new(crate::verify::KeyCache::default);

fn image<'a>(
    reference: &str,
    digest: &'a sigaudit_model::digest::Digest,
    manifest: &'a [u8],
    sigs: &'a [SigstoreAttachment<'a>],
) -> ImageInput<'a> {
    ImageInput {
        reference: DockerReference::parse_normalized(reference).unwrap(),
        digest,
        manifest: Some(manifest),
        simple_signing: &[],
        sigstore: sigs,
        as_of: chrono::Utc::now(),
        facts: &FACTS,
    }
}

#[test]
fn accept_reject_and_defaults() {
    let p = parse(
        r#"{"default":[{"type":"reject"}],"transports":{"docker":{
            "reg.example.com/open":[{"type":"insecureAcceptAnything"}],
            "reg.example.com/both":[{"type":"insecureAcceptAnything"},{"type":"reject"}],
            "":[{"type":"insecureAcceptAnything"},{"type":"signedBaseLayer","baseLayerIdentity":{"type":"matchRepository"}}]}}}"#,
    )
    .unwrap();
    let d = sigaudit_model::digest::Digest::sha256_of(b"{}");
    let eval = |r: &str| eval::evaluate(&p, &image(r, &d, b"{}", &[]));
    let o = eval("reg.example.com/open/app:1");
    assert_eq!(
        (o.verdict, o.scope.label()),
        (Verdict::Accept, "reg.example.com/open".into())
    );
    assert!(o.reasons.is_empty());
    let o = eval("reg.example.com/both:1");
    assert_eq!(o.verdict, Verdict::Reject);
    assert_eq!(
        o.reasons,
        ["reject[1]: running image docker://reg.example.com/both:1 is rejected by policy"]
    );
    let o = eval("other.example.com/x:1");
    assert_eq!(
        (o.verdict, o.scope.label()),
        (Verdict::Reject, "docker:\"\"".into())
    );
    assert!(
        o.reasons[0].starts_with("signedBaseLayer[1]"),
        "{:?}",
        o.reasons
    );
    let p2 = parse(r#"{"default":[{"type":"insecureAcceptAnything"}]}"#).unwrap();
    let o = eval::evaluate(&p2, &image("x.com/y:1", &d, b"{}", &[]));
    assert_eq!(
        (o.verdict, o.scope),
        (Verdict::Accept, MatchedScope::Default)
    );
}

/// `sigstoreSigned` with a key over the real sigstore-rs / c/image vectors.
#[test]
fn sigstore_key_signatures() {
    let Some(v) = crate::test_vectors::dir() else {
        return;
    };
    let dir = v.join("cosign/legacy-cosign/sigstore-rs-ecdsa-p256");
    let payload = std::fs::read(dir.join("payload.json")).unwrap();
    let sig = std::fs::read_to_string(dir.join("signature.b64")).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    let digest = sigaudit_model::digest::Digest::parse(
        claims["critical"]["image"]["docker-manifest-digest"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let mut ann = BTreeMap::new();
    ann.insert(
        crate::media::COSIGN_SIGNATURE_ANNOTATION.to_string(),
        sig.trim().to_string(),
    );
    let ann = ann.into();
    let sigs = [SigstoreAttachment {
        media_type: crate::media::COSIGN_SIMPLESIGNING,
        payload: &payload,
        annotations: &ann,
    }];
    let policy = |key: &str, identity: &str| {
        ContainersPolicy::from_bytes(
            Path::new("p.json"),
            &dir,
            format!(r#"{{"default":[{{"type":"sigstoreSigned","keyPath":"{key}"{identity}}}]}}"#)
                .as_bytes(),
        )
        .unwrap()
    };
    let repo = r#","signedIdentity":{"type":"matchRepository"}"#;
    // The manifest bytes are unknown here: only same-algorithm digests are compared.
    let img = ImageInput {
        manifest: None,
        ..image(
            "registry-testing.svc.lan/busybox:latest",
            &digest,
            b"",
            &sigs,
        )
    };
    let o = eval::evaluate(&policy("cosign.pub", repo), &img);
    assert_eq!(o.verdict, Verdict::Accept, "{:?}", o.reasons);
    // The default identity rule refuses cosign's repository-only identity.
    let o = eval::evaluate(&policy("cosign.pub", ""), &img);
    assert_eq!(o.verdict, Verdict::Reject);
    assert!(o.reasons[0].contains("is not accepted"), "{:?}", o.reasons);
    let o = eval::evaluate(&policy("wrong-key.pub", repo), &img);
    assert!(
        o.reasons[0].contains("verification failed"),
        "{:?}",
        o.reasons
    );
    let o = eval::evaluate(&policy("missing.pub", repo), &img);
    assert!(o.reasons[0].contains("missing.pub"), "{:?}", o.reasons);
    let other = sigaudit_model::digest::Digest::sha256_of(b"other");
    let o = eval::evaluate(
        &policy("cosign.pub", repo),
        &ImageInput {
            digest: &other,
            ..image(
                "registry-testing.svc.lan/busybox:latest",
                &other,
                b"",
                &sigs,
            )
        },
    );
    assert!(o.reasons[0].contains("does not match"), "{:?}", o.reasons);
    let o = eval::evaluate(
        &policy("cosign.pub", repo),
        &image("registry-testing.svc.lan/busybox:1", &digest, b"", &[]),
    );
    assert_eq!(
        o.reasons,
        ["sigstoreSigned[0]: a signature was required, but no signature exists"]
    );
}

#[test]
fn strict_payloads() {
    let ok = br#"{"critical":{"identity":{"docker-reference":"a.com/b"},"image":{"docker-manifest-digest":"sha256:0"},"type":"cosign container image signature"},"optional":null}"#;
    assert!(eval::strict_payload(ok, "cosign container image signature", true).is_ok());
    for bad in [
        r#"{"critical":{"identity":{"docker-reference":"a"},"image":{"docker-manifest-digest":"d"},"type":"cosign container image signature"}}"#,
        r#"{"critical":{"identity":{"docker-reference":"a"},"image":{"docker-manifest-digest":"d"},"type":"other"},"optional":null}"#,
        r#"{"critical":{"identity":{"docker-reference":"a","x":1},"image":{"docker-manifest-digest":"d"},"type":"cosign container image signature"},"optional":null}"#,
        r#"{"critical":{"identity":{"docker-reference":"a"},"image":{"docker-manifest-digest":"d"},"type":"cosign container image signature","x":1},"optional":null}"#,
        r#"{"critical":{"identity":{"docker-reference":"a"},"image":{"docker-manifest-digest":"d"},"type":"cosign container image signature"},"optional":{"timestamp":1.5}}"#,
        r#"{"critical":{"identity":{"docker-reference":"a"},"image":{"docker-manifest-digest":"d"},"type":"cosign container image signature"},"optional":{"creator":1}}"#,
        r#"{"critical":{"identity":{"docker-reference":"a"},"image":{"docker-manifest-digest":"d"},"type":"cosign container image signature"},"optional":null,"x":1}"#,
        "This is not JSON\n",
    ] {
        assert!(
            eval::strict_payload(bad.as_bytes(), "cosign container image signature", true).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn pki_requirements_parse_as_c_image_parses_them() {
    let pki = |body: &str| {
        format!(
            r#"{{"default":[{{"type":"sigstoreSigned","pki":{body},"signedIdentity":{{"type":"matchRepository"}}}}]}}"#
        )
    };
    let cases: &[(&str, &str, &str)] = &[
        (
            r#"{"caRootsPath":"/r","caRootsData":"","subjectEmail":"e"}"#,
            "$.default[0].pki",
            "only one of caRootsPath and caRootsData",
        ),
        (
            r#"{"subjectEmail":"e"}"#,
            "$.default[0].pki",
            "exactly one of caRootsPath and caRootsData",
        ),
        (
            r#"{"caRootsPath":"/r","caIntermediatesPath":"/i","caIntermediatesData":"","subjectEmail":"e"}"#,
            "$.default[0].pki",
            "only one of caIntermediatesPath and caIntermediatesData",
        ),
        (
            r#"{"caRootsPath":"/r","subjectEmail":"","subjectHostname":""}"#,
            "$.default[0].pki",
            "at least one of subjectEmail and subjectHostname",
        ),
        (
            r#"{"caRootsPath":"/r","subjectEmail":"e","oidcIssuer":"i"}"#,
            "$.default[0].pki.oidcIssuer",
            "unknown key",
        ),
        (
            r#"{"caRootsData":"not base64!","subjectEmail":"e"}"#,
            "$.default[0].pki.caRootsData",
            "not valid base64",
        ),
        (
            r#"{"caRootsPath":"/r","subjectHostname":7}"#,
            "$.default[0].pki.subjectHostname",
            "must be a string",
        ),
        (r#""/r""#, "$.default[0].pki", "must be a JSON object"),
    ];
    for (body, at, msg) in cases {
        let (got_at, got_msg) = invalid_at(&pki(body));
        assert_eq!(got_at, *at, "{body}");
        assert!(got_msg.contains(msg), "{body}: {got_msg}");
    }
    // pki with fulcio or a key, or with a Rekor key, is refused (c/image: "exactly one of
    // ... fulcio, and pki"; "... are not supported for pki").
    for extra in [
        r#""keyPath":"/k""#,
        r#""fulcio":{"caPath":"/ca","oidcIssuer":"i","subjectEmail":"e"}"#,
        r#""rekorPublicKeyData":"""#,
    ] {
        let json = format!(
            r#"{{"default":[{{"type":"sigstoreSigned","pki":{{"caRootsPath":"/r","subjectEmail":"e"}},{extra}}}]}}"#
        );
        assert_eq!(invalid_at(&json).0, "$.default[0]", "{json}");
    }
}

#[test]
fn pki_certificate_files_that_hold_no_certificate_are_named() {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let key = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
    let json = format!(
        r#"{{"default":[{{"type":"sigstoreSigned","pki":{{"caRootsData":"{}","subjectEmail":"e"}}}}]}}"#,
        b64(key)
    );
    let p = parse(&json).expect("a valid policy");
    assert_eq!(
        p.key_problems(),
        ["default[0].pki.caRootsData: no PEM CERTIFICATE block"]
    );
    // Unreadable files are a problem of the requirement, not a parse error.
    let json = r#"{"default":[{"type":"sigstoreSigned","pki":{"caRootsPath":"/nonexistent/roots.pem","subjectHostname":"h"}}]}"#;
    let p = parse(json).expect("a valid policy");
    let problems = p.key_problems();
    assert!(
        problems
            .iter()
            .all(|m| m.contains("/nonexistent/roots.pem"))
            && !problems.is_empty(),
        "{problems:?}"
    );
    // Intermediates must all be certificates (sigstore's UnmarshalCertificatesFromPEM).
    let Some(v) = crate::test_vectors::dir() else {
        return;
    };
    let roots = std::fs::read_to_string(v.join("cosign/containers-image/cosign/pki_root_crts.pem"))
        .expect("roots");
    let json = format!(
        r#"{{"default":[{{"type":"sigstoreSigned","pki":{{"caRootsData":"{}","caIntermediatesData":"{}","subjectEmail":"e"}}}}]}}"#,
        b64(&roots),
        b64(&format!("{roots}{key}"))
    );
    let p = parse(&json).expect("a valid policy");
    assert_eq!(
        p.key_problems(),
        ["default[0].pki.caIntermediatesData: PEM block 2 is a PUBLIC KEY, not a CERTIFICATE"]
    );
    let json = format!(
        r#"{{"default":[{{"type":"sigstoreSigned","pki":{{"caRootsData":"{}","subjectEmail":"e"}}}}]}}"#,
        b64(&roots)
    );
    assert!(parse(&json).expect("valid").key_problems().is_empty());
}
