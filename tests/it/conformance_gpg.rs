//! Conformance against containers/image's GPG simple-signing fixtures in
//! ../shared/vectors/cosign/containers-image/gpg (README section 2b gives the verdicts checked
//! here).

use crate::common;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use sigaudit::codes::ResultCode;
use sigaudit::digest::Digest;
use sigaudit::gpg::{GpgError, Keyring, verify_simple_signing};

const MAIN_FP: &str = "08CD26E446E2E95249B7A405E932F44B23E8DD43";
const SUBKEY_PRIMARY: &str = "B9F4CDB9FD8C475BFA340AC38D54A947EE396F36";
const SUBKEY: &str = "57D1D95BBC53BA0EAFF0718CD75B3109B3BAAEAF";
/// `image.manifest.json`'s digest (containers/image `fixtures_info_test.go`).
const IMAGE_DIGEST: &str =
    "sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55";

fn dir() -> Option<PathBuf> {
    common::vectors().map(|v| v.join("cosign/containers-image/gpg"))
}

fn as_of() -> DateTime<Utc> {
    "2026-11-23T00:00:00Z".parse().expect("time")
}

fn read(d: &Path, name: &str) -> Vec<u8> {
    std::fs::read(d.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn keyring(d: &Path, names: &[&str]) -> Keyring {
    let mut k = Keyring::new();
    for n in names {
        k.extend(Keyring::from_bytes(&read(d, n)).unwrap_or_else(|e| panic!("{n}: {e}")));
    }
    k
}

/// The keyring containers/image's tests use for most fixtures.
fn main_ring(d: &Path) -> Keyring {
    keyring(d, &["public-key.gpg"])
}

fn verify(d: &Path, sig: &str, ring: &Keyring) -> Result<sigaudit::gpg::GpgVerified, GpgError> {
    verify_simple_signing(&read(d, sig), ring, as_of())
}

#[test]
fn keyrings_armored_and_binary_hold_the_same_key() {
    let Some(d) = dir() else { return };
    assert_eq!(keyring(&d, &["public-key.gpg"]).fingerprints(), [MAIN_FP]);
    assert_eq!(keyring(&d, &["public-key-1.gpg"]).fingerprints(), [MAIN_FP]);
    let other = keyring(&d, &["public-key-2.gpg"]).fingerprints();
    assert_eq!(other.len(), 1);
    assert_ne!(other[0], MAIN_FP);
    assert_eq!(
        keyring(&d, &["public-key-with-subkey.gpg"]).fingerprints(),
        [SUBKEY_PRIMARY]
    );
}

#[test]
fn image_signature_is_valid_and_names_the_image() {
    let Some(d) = dir() else { return };
    for ring in ["public-key.gpg", "public-key-1.gpg"] {
        let v = verify(&d, "image.signature", &keyring(&d, &[ring])).expect("valid");
        assert_eq!(v.primary_fingerprint, MAIN_FP);
        assert_eq!(v.signing_key_fingerprint, MAIN_FP);
        assert_eq!(v.payload.docker_reference, "testing/manifest");
        assert_eq!(v.payload.manifest_digest, IMAGE_DIGEST);
        assert_eq!(v.signature_version, 4);
        assert_eq!(
            Digest::sha256_of(&read(&d, "image.manifest.json")).to_string(),
            IMAGE_DIGEST
        );
    }
}

#[test]
fn a_keyring_without_the_signer_rejects_as_unknown_key() {
    let Some(d) = dir() else { return };
    let e =
        verify(&d, "image.signature", &keyring(&d, &["public-key-2.gpg"])).expect_err("unknown");
    assert!(matches!(e, GpgError::UnknownKey { .. }), "{e}");
    assert_eq!(e.code(), ResultCode::UntrustedKey);
}

#[test]
fn no_optional_fields_is_accepted() {
    let Some(d) = dir() else { return };
    let v = verify(&d, "no-optional-fields.signature", &main_ring(&d)).expect("valid");
    assert!(v.payload.optional.is_empty());
    assert_eq!(v.payload.manifest_digest, IMAGE_DIGEST);
}

#[test]
fn subkey_signatures_v4_and_v3_are_valid_as_the_primary() {
    let Some(d) = dir() else { return };
    let ring = keyring(&d, &["public-key-with-subkey.gpg"]);
    for (sig, version) in [("subkey.signature", 4), ("subkey.signature-v3", 3)] {
        let v = verify(&d, sig, &ring).unwrap_or_else(|e| panic!("{sig}: {e}"));
        assert_eq!(v.primary_fingerprint, SUBKEY_PRIMARY, "{sig}");
        assert_eq!(v.signing_key_fingerprint, SUBKEY, "{sig}");
        assert_eq!(v.signature_version, version, "{sig}");
    }
}

#[test]
fn revoked_subkey_is_rejected_v4_and_v3() {
    let Some(d) = dir() else { return };
    let ring = keyring(&d, &["public-key-with-revoked-subkey.gpg"]);
    for sig in ["subkey-revoked.signature", "subkey-revoked.signature-v3"] {
        let e = verify(&d, sig, &ring).expect_err(sig);
        assert!(matches!(e, GpgError::KeyRevoked { .. }), "{sig}: {e}");
        assert_eq!(e.code(), ResultCode::KeyRevoked);
    }
}

#[test]
fn unknown_key_is_rejected_v4_and_v3() {
    let Some(d) = dir() else { return };
    let ring = keyring(&d, &["public-key.gpg", "public-key-with-subkey.gpg"]);
    for sig in ["unknown-key.signature", "unknown-key.signature-v3"] {
        let e = verify(&d, sig, &ring).expect_err(sig);
        assert!(matches!(e, GpgError::UnknownKey { .. }), "{sig}: {e}");
    }
}

#[test]
fn corrupt_signatures_are_rejected_v4_and_v3() {
    let Some(d) = dir() else { return };
    for sig in ["corrupt.signature", "corrupt.signature-v3"] {
        let e = verify(&d, sig, &main_ring(&d)).expect_err(sig);
        assert_eq!(e.code(), ResultCode::InvalidOpenpgp, "{sig}: {e}");
    }
}

#[test]
fn invalid_blob_verifies_but_is_not_json_v4_and_v3() {
    let Some(d) = dir() else { return };
    for sig in ["invalid-blob.signature", "invalid-blob.signature-v3"] {
        let e = verify(&d, sig, &main_ring(&d)).expect_err(sig);
        assert!(matches!(e, GpgError::InvalidPayload(_)), "{sig}: {e}");
        // The signature itself is good: only the content is refused.
        let m = sigaudit::gpg::verify_signed_message(&read(&d, sig), &main_ring(&d), as_of())
            .unwrap_or_else(|e| panic!("{sig}: {e}"));
        assert_eq!(m.content, b"This is not JSON\n");
    }
}

#[test]
fn expired_signature_is_rejected() {
    let Some(d) = dir() else { return };
    let e = verify(&d, "expired.signature", &main_ring(&d)).expect_err("expired");
    assert!(matches!(e, GpgError::SignatureExpired { .. }), "{e}");
    assert_eq!(e.code(), ResultCode::SignatureExpired);
    // Before its lifetime ran out, the same signature was good.
    let created = sigaudit::gpg::verify_signed_message(
        &read(&d, "expired.signature"),
        &main_ring(&d),
        "2025-06-23T21:00:59Z".parse().expect("time"),
    );
    assert!(created.is_ok(), "{created:?}");
}

#[test]
fn unsigned_messages_are_rejected() {
    let Some(d) = dir() else { return };
    for sig in ["unsigned-literal.signature", "unsigned-encrypted.signature"] {
        let e = verify(&d, sig, &main_ring(&d)).expect_err(sig);
        assert!(matches!(e, GpgError::NotSigned(_)), "{sig}: {e}");
    }
}

#[test]
fn invalid_reference_verifies_and_carries_the_bad_identity() {
    let Some(d) = dir() else { return };
    // The signature and payload are good; the identity `UPPERCASEISINVALID` is refused when it
    // is matched against the image (the audit's reference check, policy.json's signedIdentity).
    let v = verify(&d, "invalid-reference.signature", &main_ring(&d)).expect("valid");
    assert_eq!(v.payload.docker_reference, "UPPERCASEISINVALID");
}

/// The `dir:` images: manifest.json + signature-N, accepted when at least one signature is
/// valid for the manifest's digest.
fn dir_img_accepts(d: &Path, name: &str, ring: &Keyring) -> bool {
    let img = d.join(name);
    let digest = Digest::sha256_of(&read(&img, "manifest.json")).to_string();
    (1..)
        .map(|n| img.join(format!("signature-{n}")))
        .take_while(|p| p.is_file())
        .any(|p| {
            let bytes = std::fs::read(&p).expect("read");
            verify_simple_signing(&bytes, ring, as_of())
                .is_ok_and(|v| v.payload.manifest_digest == digest)
        })
}

#[test]
fn dir_images_give_the_readme_verdicts() {
    let Some(d) = dir() else { return };
    let ring = main_ring(&d);
    assert!(dir_img_accepts(&d, "dir-img-valid", &ring));
    assert!(dir_img_accepts(&d, "dir-img-valid-2", &ring));
    assert!(dir_img_accepts(&d, "dir-img-mixed", &ring));
    assert!(!dir_img_accepts(&d, "dir-img-modified-manifest", &ring));
    assert!(dir_img_accepts(
        &d,
        "dir-img-valid-subkey",
        &keyring(&d, &["public-key-with-subkey.gpg"])
    ));
    assert!(!dir_img_accepts(&d, "dir-img-valid-subkey", &ring));
    // dir-img-mixed's first signature is the invalid blob, its second a valid one.
    let mixed = read(&d.join("dir-img-mixed"), "signature-1");
    assert!(matches!(
        verify_simple_signing(&mixed, &ring, as_of()),
        Err(GpgError::InvalidPayload(_))
    ));
    // Every signature of dir-img-valid-2 is valid on its own.
    for n in 1..=2 {
        let s = read(&d.join("dir-img-valid-2"), &format!("signature-{n}"));
        assert!(
            verify_simple_signing(&s, &ring, as_of()).is_ok(),
            "signature-{n}"
        );
    }
}

#[test]
fn cosign_sigstore_json_blobs_are_recognised_not_openpgp() {
    let Some(v) = common::vectors() else { return };
    let s =
        std::fs::read(v.join("cosign/containers-image/cosign/dir-img-cosign-valid/signature-1"))
            .expect("read");
    let e = verify_simple_signing(&s, &Keyring::new(), as_of()).expect_err("not openpgp");
    assert!(matches!(e, GpgError::NotOpenPgp(_)), "{e}");
    assert_eq!(e.code(), ResultCode::NotOpenpgp);
}

/// What a mutated signature or keyring may never do: make a different claim trusted. Each
/// signature is verified after every truncation and after flipping bits at every byte (1, 0x80,
/// 0xff), and with the keyring mutated the same way. A mutation may still verify (bytes outside
/// the signed data, such as unhashed subpackets, are not covered by the signature), but then it
/// must be the same signer, the same payload and the same creation and expiry times; nothing
/// may panic.
fn mutations_keep_the_claim(name: &str, sig: &[u8], ring_bytes: &[u8]) {
    let ring = Keyring::from_bytes(ring_bytes).expect("keyring");
    let orig = verify_simple_signing(sig, &ring, as_of())
        .unwrap_or_else(|e| panic!("{name}: the unmutated signature must verify: {e}"));
    let same = |v: &sigaudit::gpg::GpgVerified| {
        v.primary_fingerprint == orig.primary_fingerprint
            && v.payload == orig.payload
            && v.created == orig.created
            && v.expires == orig.expires
    };
    let mutants = |bytes: &[u8]| {
        let mut all: Vec<(String, Vec<u8>)> = (0..bytes.len())
            .map(|n| (format!("truncated to {n} bytes"), bytes[..n].to_vec()))
            .collect();
        for i in 0..bytes.len() {
            for x in [0x01u8, 0x80, 0xff] {
                let mut m = bytes.to_vec();
                m[i] ^= x;
                all.push((format!("byte {i} ^ {x:#04x}"), m));
            }
        }
        all
    };
    let (mut tried, mut still_valid) = (0, 0);
    for (what, m) in mutants(sig) {
        tried += 1;
        if let Ok(v) = verify_simple_signing(&m, &ring, as_of()) {
            still_valid += 1;
            assert!(
                same(&v),
                "{name}: signature {what} verified with another claim: {v:?}"
            );
        }
    }
    for (what, m) in mutants(ring_bytes) {
        tried += 1;
        let Ok(r) = Keyring::from_bytes(&m) else {
            continue;
        };
        if let Ok(v) = verify_simple_signing(sig, &r, as_of()) {
            still_valid += 1;
            assert!(
                same(&v),
                "{name}: keyring {what} verified another claim: {v:?}"
            );
        }
    }
    eprintln!("{name}: {tried} mutations, {still_valid} still verified with the same claim");
    assert!(
        still_valid < tried / 2,
        "{name}: most mutations should not verify"
    );
}

#[test]
fn mutated_demo_signatures_and_keyring_never_change_the_claim() {
    let store = common::project().join("fixtures/demo-lookaside");
    let ring = std::fs::read(store.join("release.gpg")).expect("release.gpg");
    for (name, rel) in [
        (
            "primary key",
            "library/alpine@sha256=f54806343f73e42a1151da8d947716d675cde0ab6dc946e8752d45aeb7212960/signature-1",
        ),
        (
            "signing subkey",
            "team/app@sha256=be3217ed16d9d3999632f7ab3ea22000cd2626cc116858a989421abb4591f7bb/signature-1",
        ),
    ] {
        let sig = std::fs::read(store.join(rel)).expect(rel);
        mutations_keep_the_claim(name, &sig, &ring);
    }
}

#[test]
fn mutated_gnupg_signatures_and_keyring_never_change_the_claim() {
    let Some(d) = dir() else { return };
    mutations_keep_the_claim(
        "dir-img-valid (GnuPG, RSA, compressed)",
        &read(&d.join("dir-img-valid"), "signature-1"),
        &read(&d, "public-key.gpg"),
    );
}
