//! containers-policy.json: the fuzzed bytes are a `--policy` file, parsed with the demo's
//! `_policy` folder as the base of relative key paths (so `release.pub` and the demo keyring
//! load), then evaluated as podman would for three images: one with the demo's valid GPG
//! signature, one signed by the release subkey, one with no signature at all. This reaches
//! strict JSON, every requirement type and `signedIdentity` variant, key sources (paths, data,
//! Fulcio, Rekor, PKI), scope lookup and the evaluators.
//!
//! Invariants: an accepted image was accepted by a non-empty list without `reject` or
//! `signedBaseLayer`; an image with no signature is accepted only by `insecureAcceptAnything`.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sigaudit::containers_policy::eval::evaluate;
use sigaudit::containers_policy::{
    ContainersPolicy, DockerReference, ImageInput, Requirement, Verdict,
};
use sigaudit::digest::Digest;

const ALPINE: &str = "sha256:f54806343f73e42a1151da8d947716d675cde0ab6dc946e8752d45aeb7212960";
const APP: &str = "sha256:be3217ed16d9d3999632f7ab3ea22000cd2626cc116858a989421abb4591f7bb";

/// An image of the demo and its lookaside `signature-1`.
struct Image {
    digest: Digest,
    signatures: [Vec<u8>; 1],
}

/// The two demo images, read once per process (not once per input).
fn images() -> &'static (Image, Image) {
    static I: OnceLock<(Image, Image)> = OnceLock::new();
    I.get_or_init(|| {
        let image = |repo: &str, digest: &str| {
            let p = sigaudit_fuzz::fixture("demo-lookaside")
                .join(format!("{repo}@{}", digest.replace("sha256:", "sha256=")))
                .join("signature-1");
            Image {
                digest: Digest::parse(digest).expect("digest"),
                signatures: [std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))],
            }
        };
        (image("library/alpine", ALPINE), image("team/app", APP))
    })
}

fuzz_target!(|data: &[u8]| {
    let base = sigaudit_fuzz::fixture("demo/_policy");
    let Ok(policy) = ContainersPolicy::from_bytes(&base.join("policy.json"), &base, data) else {
        return;
    };
    let _ = policy.key_problems();
    let (alpine, app) = images();
    // A fresh audit's facts: every key check is made.
    let facts = sigaudit::verify::KeyCache::default();
    let cases: [(&str, &Digest, &[Vec<u8>]); 4] = [
        (
            "registry.example/library/alpine:3.20",
            &alpine.digest,
            &alpine.signatures,
        ),
        ("registry.example/team/app:v2", &app.digest, &app.signatures),
        ("registry.example/team/app:v2", &app.digest, &[]),
        ("docker.io/library/busybox:latest", &alpine.digest, &[]),
    ];
    for (reference, digest, signatures) in cases {
        let image = ImageInput {
            reference: DockerReference::parse_normalized(reference).expect("reference"),
            digest,
            manifest: None,
            simple_signing: signatures,
            sigstore: &[],
            as_of: sigaudit_fuzz::as_of(),
            facts: &facts,
        };
        let outcome = evaluate(&policy, &image);
        let (_, reqs) = policy.requirements_for(&image.reference);
        if outcome.verdict == Verdict::Accept {
            assert!(
                !reqs.is_empty(),
                "{reference}: accepted by an empty requirement list"
            );
            assert!(
                !reqs
                    .iter()
                    .any(|r| matches!(r, Requirement::Reject | Requirement::SignedBaseLayer)),
                "{reference}: accepted despite a reject: {outcome:?}"
            );
            if signatures.is_empty() {
                assert!(
                    reqs.iter()
                        .all(|r| matches!(r, Requirement::InsecureAcceptAnything)),
                    "{reference}: accepted without a signature: {outcome:?}"
                );
            }
        } else {
            assert!(
                !outcome.reasons.is_empty(),
                "{reference}: rejected without a reason"
            );
        }
    }
});
